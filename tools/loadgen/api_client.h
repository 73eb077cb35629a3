// The load generator's API mode talks to Tessera's HTTP API: one synchronous HTTP/1.1 request at
// a time (plain http, a bearer token), and the pure parts of joining a cascaded room: following
// a primary's 307 to a share node, and the tile order of the primary's composite. (The control
// module's asynchronous HttpExchange gives no answer headers, and a 307's Location is needed.)
#pragma once

#include <tessera/base/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tessera::loadgen {

struct ApiReply {
  unsigned status = 0;
  std::string location;  // the Location header, if any
  std::string body;
};

// One request to an http:// URL (https is refused), `token` as a bearer token when not empty, a
// JSON body when not empty. Unavailable when the server cannot be reached or does not answer
// within `timeout` (each of connect, send and receive).
StatusOr<ApiReply> ApiRequest(const std::string& method, const std::string& url,
                              const std::string& token, const std::string& body,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10));

// "http://host:port" of an http URL (the node that answers it); InvalidArgument otherwise.
StatusOr<std::string> UrlOrigin(const std::string& url);
// The host of an http URL, without brackets.
StatusOr<std::string> UrlHost(const std::string& url);
// A Location against the URL it answered: absolute ("http://...") as is, "/path" on the same
// origin. InvalidArgument for anything else.
StatusOr<std::string> ResolveLocation(const std::string& from_url, const std::string& location);

using ApiRequester = std::function<StatusOr<ApiReply>(
    const std::string& method, const std::string& url, const std::string& body)>;

// Where one participant landed.
struct JoinResult {
  std::string node;                    // origin ("http://host:port") of the node that answered 201
  std::string host;                    // its host: where the participant sends its media
  std::vector<std::string> redirects;  // each Location followed, in order
  std::string body;                    // the 201's participant JSON
  uint16_t video_port = 0;
  uint16_t audio_port = 0;
};

// POSTs `body` to `url` (a room's participants), re-POSTing it to each 307's Location, at most
// max_redirects times. Any other answer than 201 and 307 is an error naming it.
StatusOr<JoinResult> JoinFollowingRedirects(const ApiRequester& request, const std::string& url,
                                            const std::string& body, int max_redirects = 3);

// The tiles of a room's composite, in order, from its primary's GET .../participants answer
// ({"participants": [...]}): members by id; a cascade link (transport "cascade", cascade.role
// "link") replaced in place by its cascade.cells names; an uplink (cascade.role "uplink") left
// out. As tests/integration/cluster_test.py's tile_order.
StatusOr<std::vector<std::string>> TileOrderFromParticipants(const std::string& json);

// The room's composite as GET /v1/rooms/<room> describes it: its layout and first profile.
struct ApiRoomVideo {
  std::string layout = "grid";
  std::string profile;
  std::string codec = "H264";
  int width = 0;
  int height = 0;
  int fps = 0;
};
StatusOr<ApiRoomVideo> RoomVideoFromJson(const std::string& json);

}  // namespace tessera::loadgen
