#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <tessera/control/problem.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/mcu_client.h>
#include <tessera/recorder/recorder_service.h>
#include <tessera/recorder/recording_session.h>
#include <tessera/srtp/srtp_suite.h>

#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <utility>

namespace tessera::recorder {
namespace {

constexpr char kPrefix[] = "/v1/recordings";
// Leaving the MCU (DELETE) at shutdown: each has its request timeout (5 s); this bounds them all.
constexpr auto kShutdownWait = std::chrono::seconds(7);

StatusOr<std::string> NewRecordingId() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return InternalError("recorder: the random generator failed; cannot name a recording");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (const unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0x0f]);
  }
  return id;
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

control::HttpResponse Json(int status, const nlohmann::json& body) {
  control::HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

}  // namespace

struct RecorderService::Recording {
  RecordingInfo info;
  std::unique_ptr<RecordingSession> session;
  std::shared_ptr<McuClient> client;
};

RecorderService::RecorderService(RecorderConfig config, std::string api_token,
                                 std::string mcu_token, SinkFactory sinks, Clock& clock)
    : config_(std::move(config)),
      api_token_(std::move(api_token)),
      mcu_token_(std::move(mcu_token)),
      sinks_(std::move(sinks)),
      clock_(clock) {}

RecorderService::~RecorderService() { Shutdown(); }

void RecorderService::Start() {
  if (thread_.joinable()) return;
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

template <class T>
T RecorderService::OnMedia(std::function<T()> work) {
  std::packaged_task<T()> task(std::move(work));
  std::future<T> result = task.get_future();
  boost::asio::post(io_, [&task] { task(); });
  return result.get();
}

StatusOr<RecordingInfo> RecorderService::StartRecording(const std::string& room,
                                                        const std::string& profile,
                                                        const std::string& region,
                                                        const std::string& wanted_id) {
  RecordingInfo info;
  if (wanted_id.empty()) {
    auto id = NewRecordingId();
    if (!id.ok()) return id.status();
    info.id = std::move(*id);
  } else if (!ValidRecordingId(wanted_id)) {
    return InvalidArgumentError("id: 1 to 128 characters of A-Z a-z 0-9 . _ -, not starting "
                                "with '.' (it names the recording's files)");
  } else {
    info.id = wanted_id;
  }
  info.room = room;
  info.profile = profile;
  info.region = region.empty() ? (config_.default_region.empty() ? config_.storage.begin()->first
                                                                 : config_.default_region)
                               : region;
  auto dir = config_.storage.find(info.region);
  if (dir == config_.storage.end()) {
    return InvalidArgumentError("region '" + info.region +
                                "' has no storage directory (storage: in the recorder's config)");
  }
  info.storage_dir = dir->second;
  info.container = config_.container;
  info.started_unix_ms = UnixMs();
  return OnMedia<StatusOr<RecordingInfo>>([this, info] { return StartOnMedia(info); });
}

StatusOr<RecordingInfo> RecorderService::StartOnMedia(RecordingInfo info) {
  if (!accepting_) return UnavailableError("the recorder is shutting down");
  if (recordings_.count(info.id)) {
    return Status(StatusCode::kAlreadyExists, "recording '" + info.id + "' exists already");
  }
  auto sink = sinks_(info);
  if (!sink.ok()) return sink.status();
  const auto suite = srtp::SrtpSuiteFromName(config_.srtp_suite);
  auto keys = GenerateSrtpKeys(suite.value_or(srtp::SrtpSuite::kAesCm128HmacSha1_80));
  if (!keys.ok()) return keys.status();

  RecordingSessionConfig sc;
  sc.name = info.id;
  sc.bind_address = config_.media_bind_address;
  sc.suite = keys->suite;
  sc.receive_key = keys->send_key;  // the MCU protects what it sends with send_key
  sc.send_key = keys->key;          // and takes ours with key
  sc.muxer.container = info.container;
  auto session = RecordingSession::Create(io_, sc, std::move(*sink), clock_);
  if (!session.ok()) return session.status();

  McuClientConfig mc;
  mc.url = config_.mcu_url;
  mc.token = mcu_token_;
  mc.room = info.room;
  mc.participant_name = "recorder-" + info.id;
  mc.media_address = config_.media_advertise_address;
  mc.audio_port = (*session)->audio_port();
  mc.video_port = (*session)->video_port();
  mc.audio_payload_type = sc.audio_payload_type;
  mc.audio_channels = sc.audio_channels;
  mc.video_codec = sc.video_codec;
  mc.video_payload_type = sc.video_payload_type;
  mc.profile = info.profile;
  mc.keys = std::move(*keys);
  RecordingSession* raw = session->get();
  auto client = McuClient::Create(io_, std::move(mc),
                                  [raw](std::string reason) { raw->NoteGap(std::move(reason)); });
  if (!client.ok()) {
    (void)(*session)->Stop();
    return client.status();
  }
  auto rec = std::make_unique<Recording>();
  rec->info = info;
  rec->session = std::move(*session);
  rec->client = std::move(*client);
  std::weak_ptr<McuClient> weak = rec->client;
  rec->session->Start([weak](bool silent) {
    if (auto c = weak.lock()) c->OnSilence(silent);
  });
  rec->client->Start();
  spdlog::info("recording {} of room {} started (region {}, profile '{}')", info.id, info.room,
               info.region, info.profile);
  recordings_[info.id] = std::move(rec);
  return info;
}

Status RecorderService::StopRecording(const std::string& id) {
  return OnMedia<Status>([this, id] { return StopOnMedia(id); });
}

Status RecorderService::StopOnMedia(const std::string& id) {
  auto it = recordings_.find(id);
  if (it == recordings_.end()) return NotFoundError("no recording '" + id + "'");
  std::unique_ptr<Recording> rec = std::move(it->second);
  recordings_.erase(it);
  // Leave first: no re-join (and no gap note) may follow the session's end.
  std::shared_ptr<McuClient> client = rec->client;
  client->Stop([client] {});
  Status s = rec->session->Stop();
  spdlog::info("recording {} of room {} stopped{}", id, rec->info.room,
               s.ok() ? "" : ": " + s.message());
  return s;
}

std::vector<std::string> RecorderService::ListJson() {
  return OnMedia<std::vector<std::string>>([this] {
    std::vector<std::string> out;
    for (const auto& [id, rec] : recordings_) {
      const RecordingStats s = rec->session->stats();
      nlohmann::json j = {{"id", id},
                          {"room", rec->info.room},
                          {"profile", rec->info.profile},
                          {"region", rec->info.region},
                          {"started_unix_ms", rec->info.started_unix_ms},
                          {"joined", rec->client->joined()},
                          {"joins", rec->client->joins()},
                          {"audio_frames", s.audio_frames},
                          {"video_frames", s.video_frames},
                          {"bytes_written", s.bytes_written},
                          {"gaps", s.gaps},
                          {"srtp_failures", s.srtp_failures},
                          {"malformed", s.malformed}};
      out.push_back(j.dump());
    }
    return out;
  });
}

void RecorderService::Shutdown() {
  if (!thread_.joinable()) return;
  auto pending = std::make_shared<std::atomic<int>>(0);
  auto all_left = std::make_shared<std::promise<void>>();
  std::future<void> left = all_left->get_future();
  OnMedia<int>([this, pending, all_left] {
    accepting_ = false;
    *pending = static_cast<int>(recordings_.size()) + 1;
    auto one_done = [pending, all_left] {
      if (pending->fetch_sub(1) == 1) all_left->set_value();
    };
    for (auto& [id, rec] : recordings_) {
      std::shared_ptr<McuClient> client = rec->client;
      client->Stop([client, one_done] { one_done(); });
      Status s = rec->session->Stop();
      if (!s.ok()) spdlog::error("recording {}: {}", id, s.message());
    }
    recordings_.clear();
    one_done();
    return 0;
  });
  if (left.wait_for(kShutdownWait) != std::future_status::ready) {
    spdlog::warn("recorder: the MCU did not confirm every leave within {} s; stopping anyway",
                 kShutdownWait.count());
  }
  work_.reset();
  io_.stop();
  thread_.join();
}

control::HttpResponse RecorderService::Handle(const control::HttpRequest& req) {
  const std::string& auth = req.Header("authorization");
  const std::string expected = "Bearer " + api_token_;
  if (auth.size() != expected.size() ||
      CRYPTO_memcmp(auth.data(), expected.data(), expected.size()) != 0) {
    control::HttpResponse r = control::Problem(401, "unauthorized", "Unauthorized",
                                               "send Authorization: Bearer <api token>");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::string prefix = kPrefix;
  if (req.path == prefix) {
    if (req.method == "GET") {
      nlohmann::json list = nlohmann::json::array();
      for (const std::string& j : ListJson()) list.push_back(nlohmann::json::parse(j));
      return Json(200, {{"recordings", list}});
    }
    if (req.method != "POST") {
      return control::Problem(405, "method-not-allowed", "Method not allowed",
                              "use GET or POST on " + prefix);
    }
    auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    auto text = [&](const char* key) {
      return body.is_object() && (!body.contains(key) || body[key].is_string());
    };
    if (!body.is_object() || !body.contains("room") || !body["room"].is_string() ||
        body["room"].get<std::string>().empty() || !text("profile") || !text("region") ||
        !text("id")) {
      return control::Problem(422, "validation", "Invalid request",
                              "the body must be {\"room\": \"<name>\", \"profile\": \"<profile>\", "
                              "\"region\": \"<region>\", \"id\": \"<id>\"} (profile, region "
                              "and id optional: strings)");
    }
    auto info = StartRecording(body["room"].get<std::string>(), body.value("profile", ""),
                               body.value("region", ""), body.value("id", ""));
    if (!info.ok()) return control::ProblemFromStatus(info.status());
    control::HttpResponse r = Json(201, {{"id", info->id},
                                         {"room", info->room},
                                         {"profile", info->profile},
                                         {"region", info->region},
                                         {"started_unix_ms", info->started_unix_ms}});
    r.headers.emplace_back("Location", prefix + "/" + info->id);
    return r;
  }
  if (req.path.rfind(prefix + "/", 0) == 0) {
    const std::string id = req.path.substr(prefix.size() + 1);
    if (req.method != "DELETE") {
      return control::Problem(405, "method-not-allowed", "Method not allowed",
                              "use DELETE on " + req.path);
    }
    Status s = StopRecording(id);
    if (s.code() == StatusCode::kNotFound) return control::ProblemFromStatus(s);
    control::HttpResponse r;
    r.status = 204;
    r.body.clear();
    if (!s.ok()) r = control::ProblemFromStatus(s);
    return r;
  }
  return control::Problem(404, "not-found", "Not found", "no route " + req.path);
}

}  // namespace tessera::recorder
