#include "cluster/redis.h"

#include <sys/time.h>

namespace tessera::cluster {
namespace {

RedisReply Copy(const redisReply* r) {
  RedisReply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Copy(r->element[i]));
      break;
    default:
      break;  // REDIS_REPLY_NIL
  }
  return out;
}

timeval Timeval(int ms) { return {ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)}; }

struct ArgvView {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  explicit ArgvView(const std::vector<std::string>& argv) {
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
};

}  // namespace

RedisConnection::RedisConnection(std::string host, uint16_t port, std::string password,
                                 int timeout_ms)
    : host_(std::move(host)),
      port_(port),
      password_(std::move(password)),
      timeout_ms_(timeout_ms) {}

RedisConnection::~RedisConnection() { Close(); }

void RedisConnection::Close() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

Status RedisConnection::Fail(const std::string& what) {
  std::string why = ctx_ && ctx_->errstr[0] ? ctx_->errstr : "no reply";
  Close();
  return UnavailableError("redis " + host_ + ":" + std::to_string(port_) + ": " + what + ": " +
                          why);
}

Status RedisConnection::Connect() {
  if (ctx_) return Status::Ok();
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, Timeval(timeout_ms_));
  if (!ctx_) return UnavailableError("redis: out of memory");
  if (ctx_->err) return Fail("cannot connect");
  if (redisSetTimeout(ctx_, Timeval(timeout_ms_)) != REDIS_OK) return Fail("cannot set timeout");
  if (!password_.empty()) {
    auto r = Command({"AUTH", password_});
    if (!r.ok()) {
      Close();
      return r.status();
    }
  }
  return Status::Ok();
}

StatusOr<RedisReply> RedisConnection::Command(const std::vector<std::string>& argv) {
  if (Status s = Connect(); !s.ok()) return s;
  ArgvView v(argv);
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(v.ptrs.size()), v.ptrs.data(), v.lens.data()));
  if (!reply) return Fail(argv.empty() ? "command" : argv[0]);
  RedisReply out = Copy(reply);
  freeReplyObject(reply);
  // An error reply (LOADING, MISCONF, READONLY, OOM, NOAUTH, a script's error) is Redis not
  // doing what was asked: never an answer to act on. The connection stays usable.
  if (out.type == RedisReply::Type::kError) {
    return UnavailableError("redis " + host_ + ":" + std::to_string(port_) + ": " +
                            (argv.empty() ? std::string("command") : argv[0]) + ": " + out.str);
  }
  return out;
}

StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (Status s = Connect(); !s.ok()) return s;
  for (const auto& argv : commands) {
    ArgvView v(argv);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(v.ptrs.size()), v.ptrs.data(),
                               v.lens.data()) != REDIS_OK) {
      return Fail("pipeline");
    }
  }
  std::vector<RedisReply> out;
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) return Fail("pipeline reply");
    out.push_back(Copy(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].type == RedisReply::Type::kError) {
      return UnavailableError("redis " + host_ + ":" + std::to_string(port_) + ": " +
                              (commands[i].empty() ? std::string("command") : commands[i][0]) +
                              ": " + out[i].str);
    }
  }
  return out;
}

}  // namespace tessera::cluster
