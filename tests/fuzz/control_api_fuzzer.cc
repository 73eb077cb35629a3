// The HTTP API on arbitrary requests: "METHOD PATH TOKEN\n" then the body, over the test fakes
// (an in-memory RoomDirectory, the decoders in miniature, a SIP list, a recorder client that
// takes every start and erasure). Every answer must be a status the contract names, and every
// error body a problem object whose status is the answer's. The recording and erasure bodies'
// parsers also get the body directly, whatever the route.
#include <tessera/control/api.h>
#include <tessera/control/recordings.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "../unit/control/fake_directory.h"

namespace {

class TokenIsRole : public tessera::control::Authenticator {
 public:
  tessera::StatusOr<tessera::control::Principal> Authenticate(const std::string& authorization,
                                                              int64_t /*now_s*/) override {
    const std::string token = authorization.substr(std::min<size_t>(7, authorization.size()));
    tessera::control::Principal p;
    const size_t colon = token.find(':');
    const auto role = tessera::control::RoleFromName(token.substr(0, colon));
    if (!role) return tessera::UnauthenticatedError("bad signature");
    p.role = *role;
    if (colon != std::string::npos) p.room = token.substr(colon + 1);
    return p;
  }
};

// Takes what the API passes on (so that its bodies are parsed), like a recorder that accepts.
class AcceptingRecorder : public tessera::control::RecordingControl {
 public:
  tessera::StatusOr<nlohmann::json> Start(const tessera::control::RecordingStart& r) override {
    if (r.retention_days > 36500) abort();  // the parser lets no such value through
    return nlohmann::json{{"id", "rec-1"}, {"state", "starting"}};
  }
  tessera::StatusOr<nlohmann::json> Stop(const std::string&, const std::string& id) override {
    return nlohmann::json{{"id", id}, {"state", "stopping"}};
  }
  tessera::StatusOr<nlohmann::json> Get(const std::string&, const std::string& id) override {
    return tessera::NotFoundError("no recording '" + id + "'");
  }
  nlohmann::json List(const std::string&) override {
    return {{"recordings", nlohmann::json::array()}};
  }
  tessera::StatusOr<nlohmann::json> StartErasure(
      const tessera::control::ErasureRequest& r) override {
    if (r.identity.empty() || r.identity.size() > 256) abort();
    return nlohmann::json{{"id", "era-1"}, {"state", "pending"}};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::control;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t eol = text.find('\n');
  std::istringstream head(std::string(text.substr(0, eol)));
  HttpRequest request;
  std::string token;
  head >> request.method >> request.path >> token;
  if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
  if (eol != std::string_view::npos) request.body = std::string(text.substr(eol + 1));
  request.source_address = "10.0.0.1";

  testing::FakeDirectory rooms;
  tessera::session::RoomConfig room;
  room.name = "main";
  room.video.emplace();
  room.video->profiles.push_back({});
  tessera::session::RoomParticipantConfig alice;
  alice.name = "alice";
  room.participants.push_back(alice);
  rooms.AddRoom(room);
  testing::FakeSip sip;
  ControlService service(rooms, testing::FakeHooks(&sip));
  TokenIsRole auth;
  ApiOptions options;
  options.now_us = [] { return int64_t{1'000'000}; };
  options.now_s = [] { return int64_t{1'800'000'000}; };
  options.openapi_json = "{}";
  AcceptingRecorder recorder;
  options.recordings = &recorder;
  Api api(service, &auth, options);

  // The bodies' parsers on their own: an error or a value within bounds, never a throw.
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_discarded()) {
    const auto start = ParseRecordingStartBody(body);
    if (start.ok() && start->retention_days > 36500) abort();
    const auto erasure = ParseErasureBody(body);
    if (erasure.ok() && (erasure->identity.empty() || erasure->identity.size() > 256)) abort();
  }

  // Twice: the second answer comes from what the first one changed.
  for (int i = 0; i < 2; ++i) {
    const HttpResponse r = api.Handle(request);
    if (r.status < 200 || r.status > 599) abort();
    if (r.content_type == "application/problem+json") {
      const auto p = nlohmann::json::parse(r.body, nullptr, false);
      if (!p.is_object() || p.value("status", 0) != r.status) abort();
    } else if (r.content_type == "application/json" && !r.body.empty() &&
               nlohmann::json::parse(r.body, nullptr, false).is_discarded()) {
      abort();
    }
  }
  return 0;
}
