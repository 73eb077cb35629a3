#include "loadgen/api_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace tessera::loadgen {
namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct Url {
  std::string host;  // without brackets
  std::string port;
  std::string target;
};

StatusOr<Url> ParseUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return InvalidArgumentError("not an http:// URL: '" + url + "'");
  }
  const std::string rest = url.substr(kScheme.size());
  const size_t slash = rest.find_first_of("/?");
  const std::string authority = rest.substr(0, slash);
  Url u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target.starts_with("?")) u.target = "/" + u.target;
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return InvalidArgumentError("no host in '" + url + "'");
  }
  std::string port_part;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return InvalidArgumentError("bad host in '" + url + "'");
    u.host = authority.substr(1, close - 1);
    port_part = authority.substr(close + 1);
  } else {
    const size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_part = authority.substr(colon);
  }
  if (port_part.empty()) {
    u.port = "80";
  } else if (port_part.size() > 1 && port_part[0] == ':' &&
             port_part.find_first_not_of("0123456789", 1) == std::string::npos) {
    u.port = port_part.substr(1);
  } else {
    return InvalidArgumentError("bad port in '" + url + "'");
  }
  if (u.host.empty()) return InvalidArgumentError("no host in '" + url + "'");
  return u;
}

std::string Origin(const Url& u) {
  const bool v6 = u.host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + u.host + "]" : u.host) + ":" + u.port;
}

}  // namespace

StatusOr<std::string> UrlOrigin(const std::string& url) {
  auto u = ParseUrl(url);
  if (!u.ok()) return u.status();
  return Origin(*u);
}

StatusOr<std::string> UrlHost(const std::string& url) {
  auto u = ParseUrl(url);
  if (!u.ok()) return u.status();
  return u->host;
}

StatusOr<std::string> ResolveLocation(const std::string& from_url, const std::string& location) {
  if (location.starts_with("http://")) {
    auto u = ParseUrl(location);
    if (!u.ok()) return u.status();
    return location;
  }
  if (location.starts_with("/") && !location.starts_with("//")) {
    auto u = ParseUrl(from_url);
    if (!u.ok()) return u.status();
    return Origin(*u) + location;
  }
  return InvalidArgumentError("a Location that is neither http:// nor /path: '" + location + "'");
}

StatusOr<ApiReply> ApiRequest(const std::string& method, const std::string& url,
                              const std::string& token, const std::string& body,
                              std::chrono::milliseconds timeout) {
  auto u = ParseUrl(url);
  if (!u.ok()) return u.status();
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) return InvalidArgumentError("unknown method " + method);
  boost::asio::io_context io;
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(u->host, u->port, ec);
  if (ec) return UnavailableError(url + ": cannot resolve: " + ec.message());
  tcp::socket socket(io);
  boost::asio::connect(socket, endpoints, ec);
  if (ec) return UnavailableError(url + ": cannot connect: " + ec.message());
  // Blocking calls with the socket's own timeouts: one request at a time, before the run.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

  http::request<http::string_body> req(verb, u->target, 11);
  req.set(http::field::host, u->host + ":" + u->port);
  req.set(http::field::user_agent, "tessera-loadgen");
  req.set(http::field::connection, "close");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket, req, ec);
  if (ec) return UnavailableError(method + " " + url + ": cannot send: " + ec.message());
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(8 << 20);
  http::read(socket, buffer, parser, ec);
  if (ec) return UnavailableError(method + " " + url + ": no answer: " + ec.message());
  const auto& res = parser.get();
  ApiReply reply;
  reply.status = res.result_int();
  if (const auto it = res.find(http::field::location); it != res.end()) {
    reply.location = std::string(it->value());
  }
  reply.body = res.body();
  socket.shutdown(tcp::socket::shutdown_both, ec);
  return reply;
}

StatusOr<JoinResult> JoinFollowingRedirects(const ApiRequester& request, const std::string& url,
                                            const std::string& body, int max_redirects) {
  JoinResult out;
  std::string at = url;
  for (int hop = 0;; ++hop) {
    auto reply = request("POST", at, body);
    if (!reply.ok()) return reply.status();
    if (reply->status == 307) {
      if (hop >= max_redirects) {
        return FailedPreconditionError("POST " + url + ": more than " +
                                       std::to_string(max_redirects) + " redirects");
      }
      auto next = ResolveLocation(at, reply->location);
      if (!next.ok())
        return Status(next.status().code(), "POST " + at + ": 307 with " + next.status().message());
      out.redirects.push_back(*next);
      at = *next;
      continue;
    }
    if (reply->status != 201) {
      return FailedPreconditionError("POST " + at + ": expected 201, got " +
                                     std::to_string(reply->status) + " " + reply->body);
    }
    const auto j = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("video_port") || !j["video_port"].is_number_unsigned()) {
      return FailedPreconditionError("POST " + at + ": 201 without a video_port: " + reply->body);
    }
    out.video_port = j["video_port"].get<uint16_t>();
    if (j.contains("audio_port") && j["audio_port"].is_number_unsigned()) {
      out.audio_port = j["audio_port"].get<uint16_t>();
    }
    auto origin = UrlOrigin(at);
    auto host = UrlHost(at);
    if (!origin.ok()) return origin.status();
    if (!host.ok()) return host.status();
    out.node = *origin;
    out.host = *host;
    out.body = reply->body;
    return out;
  }
}

StatusOr<std::vector<std::string>> TileOrderFromParticipants(const std::string& json) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("participants") || !j["participants"].is_array()) {
    return InvalidArgumentError("not a participants answer: " + json.substr(0, 200));
  }
  struct Member {
    uint64_t id;
    std::vector<std::string> tiles;
  };
  std::vector<Member> members;
  for (const auto& p : j["participants"]) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_number_unsigned() ||
        !p.contains("name") || !p["name"].is_string()) {
      return InvalidArgumentError("a participant without id or name: " + p.dump());
    }
    Member m{p["id"].get<uint64_t>(), {}};
    const auto cascade = p.find("cascade");
    const bool is_cascade =
        p.value("transport", "") == "cascade" && cascade != p.end() && cascade->is_object();
    const std::string role = is_cascade ? cascade->value("role", "") : "";
    if (role == "uplink") continue;
    if (role == "link") {
      const auto cells = cascade->find("cells");
      if (cells == cascade->end() || !cells->is_array()) {
        return InvalidArgumentError("a cascade link without cells: " + p.dump());
      }
      for (const auto& c : *cells) {
        if (!c.is_string()) return InvalidArgumentError("a cell that is not a name: " + p.dump());
        m.tiles.push_back(c.get<std::string>());
      }
    } else {
      m.tiles.push_back(p["name"].get<std::string>());
    }
    members.push_back(std::move(m));
  }
  std::stable_sort(members.begin(), members.end(),
                   [](const Member& a, const Member& b) { return a.id < b.id; });
  std::vector<std::string> order;
  for (auto& m : members) order.insert(order.end(), m.tiles.begin(), m.tiles.end());
  return order;
}

StatusOr<ApiRoomVideo> RoomVideoFromJson(const std::string& json) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("video") || !j["video"].is_object()) {
    return InvalidArgumentError("the room has no video: " + json.substr(0, 200));
  }
  const auto& v = j["video"];
  const auto profiles = v.find("profiles");
  if (profiles == v.end() || !profiles->is_array() || profiles->empty() ||
      !(*profiles)[0].is_object()) {
    return InvalidArgumentError("the room's video has no profile");
  }
  const auto& p = (*profiles)[0];
  ApiRoomVideo out;
  out.layout = v.value("layout", "grid");
  out.profile = p.value("name", "");
  out.codec = p.value("codec", "H264");
  out.width = p.value("width", 0);
  out.height = p.value("height", 0);
  out.fps = p.value("fps", 0);
  if (out.profile.empty() || out.width <= 0 || out.height <= 0 || out.fps <= 0) {
    return InvalidArgumentError("the room's first profile lacks a name, size or fps: " + p.dump());
  }
  return out;
}

}  // namespace tessera::loadgen
