// One connection to Redis through hiredis's synchronous API, with timeouts on connect and on
// every reply. It is used from the cluster's own thread only (never a media thread, never the
// API's): a slow or dead Redis stalls that thread alone, for at most the timeout.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/base/status.h"

namespace tessera::cluster {

// A reply, copied out of hiredis's.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool nil() const { return type == Type::kNil; }
  bool ok_status() const { return type == Type::kStatus && str == "OK"; }
};

class RedisConnection {
 public:
  // Not connected until Connect.
  RedisConnection(std::string host, uint16_t port, std::string password, int timeout_ms);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects (and AUTHs) unless connected. Unavailable: why not, for the log.
  Status Connect();
  bool connected() const { return ctx_ != nullptr; }
  // One command, argv binary-safe. Unavailable: the connection failed or timed out (it is
  // closed: the next call reconnects), or Redis answered with an error (LOADING, MISCONF, ...:
  // the connection stays).
  StatusOr<RedisReply> Command(const std::vector<std::string>& argv);
  // Several commands in one round trip (pipelined), their replies in order; Unavailable as
  // Command, for the first error reply among them.
  StatusOr<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);
  void Close();

 private:
  Status Fail(const std::string& what);

  const std::string host_;
  const uint16_t port_;
  const std::string password_;
  const int timeout_ms_;
  redisContext* ctx_ = nullptr;
};

}  // namespace tessera::cluster
