// The HTTP request and response as the control plane's handlers see them: what Beast parsed,
// without Beast. The server (http_server.h) owns the sockets; handlers (api.h) own the meaning.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tessera::control {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target before '?', percent-decoding not applied
  std::string query;   // the target after '?', raw; empty when none
  std::map<std::string, std::string> headers;  // names lower-case; a repeated header: last wins
  std::string body;
  std::string source_address;  // the peer's IP address, as text ("127.0.0.2", "::1")
  // What per-source limits count by (net::ConnectionSourceKey: the IPv4 address, or an IPv6
  // address's /64); empty: source_address.
  std::string source_key;
  bool tls = false;  // came over HTTPS

  // The header's value, or "" when absent. `name` in lower case.
  const std::string& Header(const std::string& name) const {
    static const std::string kEmpty;
    auto it = headers.find(name);
    return it == headers.end() ? kEmpty : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Location, ...)
  std::string body;
};

// Handles one request. Runs on: the control io_context thread; may block briefly on the
// RoomDirectory (which serialises room changes), never on media.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
};

}  // namespace tessera::control
