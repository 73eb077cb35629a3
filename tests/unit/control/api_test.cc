#include <gtest/gtest.h>
#include <tessera/base/metrics.h>
#include <tessera/control/api.h>
#include <tessera/control/problem.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "unit/control/fake_directory.h"

namespace tessera::control {
namespace {

using testing::FakeDirectory;
using testing::FakeHooks;
using testing::FakeSip;

// Tokens are their principals: "admin", "operator", "operator:roomA", "viewer", "participant";
// anything else is refused like a bad signature.
class FakeAuthenticator : public Authenticator {
 public:
  int verified = 0;
  StatusOr<Principal> Authenticate(const std::string& authorization, int64_t now_s) override {
    ++verified;
    last_now_s = now_s;
    const std::string prefix = "Bearer ";
    if (authorization.rfind(prefix, 0) != 0) return UnauthenticatedError("not a bearer token");
    const std::string token = authorization.substr(prefix.size());
    Principal p;
    p.subject = token;
    const size_t colon = token.find(':');
    const std::string role = token.substr(0, colon);
    if (colon != std::string::npos) p.room = token.substr(colon + 1);
    const std::optional<Role> r = RoleFromName(role);
    if (!r) return UnauthenticatedError("bad signature");
    p.role = *r;
    return p;
  }
  int64_t last_now_s = 0;
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session::RoomConfig a;
    a.name = "roomA";
    a.video.emplace();
    a.video->profiles.push_back({});
    session::RoomParticipantConfig alice;
    alice.name = "alice";
    alice.video.emplace();
    a.participants.push_back(alice);
    rooms_.AddRoom(a);
    session::RoomConfig b;
    b.name = "roomB";
    b.sip.numbers = {"200"};
    b.video.emplace();
    b.video->profiles.push_back({});
    rooms_.AddRoom(b);
    Make({.per_second = 1000, .burst = 1000}, {.per_second = 1, .burst = 10});
  }

  void Make(net::RateLimit requests, net::RateLimit auth_failures) {
    ApiOptions o;
    o.requests = requests;
    o.auth_failures = auth_failures;
    o.now_us = [this] { return now_us_; };
    o.now_s = [] { return int64_t{1'800'000'000}; };
    o.render_metrics = [] { return std::string("tessera_up 1\n"); };
    api_ = std::make_unique<Api>(service_, &auth_, o);
  }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& token = "admin", const std::string& body = "",
                    const std::string& source = "10.0.0.1") {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.source_address = source;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return api_->Handle(r);
  }

  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  static nlohmann::json Body(const HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  }

  FakeDirectory rooms_;
  FakeSip sip_;
  ControlService service_{rooms_, FakeHooks(&sip_)};
  FakeAuthenticator auth_;
  int64_t now_us_ = 5'000'000;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, CreatesARoomWithLocationAndServesIt) {
  const auto r = Call("POST", "/v1/rooms", "admin",
                      R"({"name":"new room","max_speakers":2,"sip":{"numbers":["300"],"pin":"1234"},
                          "video":{"layout":"speaker"},"participants":[{"name":"bob"}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Header(r, "Location"), "/v1/rooms/new%20room");
  auto room = Body(r);
  EXPECT_EQ(room["name"], "new room");
  EXPECT_EQ(room["max_speakers"], 2);
  EXPECT_EQ(room["sip"]["numbers"], nlohmann::json::array({"300"}));
  EXPECT_EQ(room["sip"]["pin_set"], true);
  EXPECT_EQ(room.dump().find("1234"), std::string::npos) << "the PIN is never answered";
  EXPECT_EQ(room["video"]["layout"], "speaker");
  ASSERT_EQ(room["participants"].size(), 1u);
  EXPECT_EQ(room["participants"][0]["name"], "bob");
  EXPECT_TRUE(room["participants"][0].contains("audio_port"));

  const auto got = Call("GET", "/v1/rooms/new%20room", "viewer");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["name"], "new room");
}

TEST_F(ApiTest, RepeatedReadsWithinTheCacheAgeAskTheRoomsOnce) {
  const size_t before = rooms_.participants_reads;
  ASSERT_EQ(Call("GET", "/v1/rooms/roomA", "viewer").status, 200);
  const size_t after_first = rooms_.participants_reads;
  ASSERT_GT(after_first, before) << "a read asks the rooms";
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Call("GET", "/v1/rooms/roomA", "viewer").status, 200);
  EXPECT_EQ(rooms_.participants_reads, after_first) << "answered from the cache";

  // A change through the API: the next read asks again, and sees it.
  ASSERT_EQ(Call("PATCH", "/v1/rooms/roomA", "admin", R"({"layout":"speaker"})").status, 200);
  const size_t after_patch = rooms_.participants_reads;
  const auto read = Call("GET", "/v1/rooms/roomA", "viewer");
  EXPECT_GT(rooms_.participants_reads, after_patch);
  EXPECT_EQ(Body(read)["video"]["layout"], "speaker") << read.body;

  // Older than live_cache_ms (200): asked again.
  const size_t settled = rooms_.participants_reads;
  now_us_ += 250'000;
  ASSERT_EQ(Call("GET", "/v1/rooms/roomA", "viewer").status, 200);
  EXPECT_GT(rooms_.participants_reads, settled);
}

TEST_F(ApiTest, ADuplicateRoomIsAConflict) {
  const auto r = Call("POST", "/v1/rooms", "admin", R"({"name":"roomA"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(Body(r)["type"], "urn:tessera:problem:conflict");
  EXPECT_EQ(Body(r)["status"], 409);
  EXPECT_EQ(
      Call("POST", "/v1/rooms", "admin", R"({"name":"roomC","sip":{"numbers":["200"]}})").status,
      409);
  EXPECT_EQ(rooms_.room_count(), 2u);
}

TEST_F(ApiTest, AnInvalidRoomIs422WithEveryErrorAndNothingCreated) {
  const auto r = Call("POST", "/v1/rooms", "admin", R"({"max_speakers":"three","colour":"blue"})");
  ASSERT_EQ(r.status, 422) << r.body;
  auto p = Body(r);
  EXPECT_EQ(p["type"], "urn:tessera:problem:validation");
  ASSERT_TRUE(p["errors"].is_array());
  EXPECT_EQ(p["errors"].size(), 3u) << p.dump();
  EXPECT_NE(p.dump().find("rooms.colour: unknown key"), std::string::npos);
  EXPECT_NE(p.dump().find("rooms.name: is required"), std::string::npos);
  EXPECT_EQ(rooms_.room_count(), 2u);
  EXPECT_EQ(rooms_.Calls("CreateRoom"), 0u);
}

TEST_F(ApiTest, AMalformedOrNonObjectBodyIs400AndNothingCreated) {
  for (const char* body : {R"({"name":"x")", "", "[1,2]", "\"roomC\"", "1e999"}) {
    const auto r = Call("POST", "/v1/rooms", "admin", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Body(r)["type"], "urn:tessera:problem:bad-request") << body;
  }
  EXPECT_EQ(rooms_.room_count(), 2u);
  EXPECT_EQ(rooms_.Calls("CreateRoom"), 0u);
}

TEST_F(ApiTest, AnUnknownFieldInAPatchIs422AndNothingChanges) {
  const auto r = Call("PATCH", "/v1/rooms/roomA", "admin", R"({"layout":"speaker","volume":11})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Body(r)["errors"].size(), 1u);
  EXPECT_EQ(rooms_.room("roomA")->layout, "grid");
  EXPECT_EQ(rooms_.Calls("SetLayout"), 0u);
  // A participant that is not there: nothing applied either.
  EXPECT_EQ(
      Call("PATCH", "/v1/rooms/roomA", "admin", R"({"layout":"speaker","pin":["zed"]})").status,
      422);
  EXPECT_EQ(rooms_.Calls("SetLayout"), 0u);
  const auto ok =
      Call("PATCH", "/v1/rooms/roomA", "operator", R"({"layout":"speaker","pin":["alice"]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok)["video"]["layout"], "speaker");
  EXPECT_EQ(rooms_.room("roomA")->pinned.count("alice"), 1u);
}

TEST_F(ApiTest, UnknownRoomsAndParticipantsAre404) {
  const auto r = Call("GET", "/v1/rooms/nowhere", "viewer");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["type"], "urn:tessera:problem:not-found");
  EXPECT_EQ(Call("GET", "/v1/rooms/roomA/participants/99", "viewer").status, 404);
  EXPECT_EQ(Call("GET", "/v1/rooms/roomA/participants/alice", "viewer").status, 404);
  EXPECT_EQ(Call("GET", "/v1/nothing", "viewer").status, 404);
  EXPECT_EQ(Call("GET", "/v1/rooms/", "viewer").status, 404);
}

TEST_F(ApiTest, AViewerMayOnlyRead) {
  EXPECT_EQ(Call("GET", "/v1/rooms", "viewer").status, 200);
  const auto r = Call("POST", "/v1/rooms", "viewer", R"({"name":"roomC"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), R"(Bearer realm="tessera", error="insufficient_scope")");
  EXPECT_EQ(rooms_.room_count(), 2u);
  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomA", "viewer").status, 403);
  EXPECT_EQ(Call("GET", "/v1/rooms", "participant").status, 403);
}

TEST_F(ApiTest, ARoomScopedOperatorTouchesOnlyItsRoom) {
  const auto list = Call("GET", "/v1/rooms", "operator:roomA");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(Body(list)["rooms"].size(), 1u);
  EXPECT_EQ(Body(list)["rooms"][0]["name"], "roomA");

  EXPECT_EQ(Call("PATCH", "/v1/rooms/roomB", "operator:roomA", R"({"layout":"speaker"})").status,
            403);
  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomB", "operator:roomA").status, 403);
  EXPECT_EQ(Call("GET", "/v1/rooms/roomB/participants", "operator:roomA").status, 403);
  EXPECT_EQ(Call("POST", "/v1/rooms", "operator:roomA", R"({"name":"roomC"})").status, 403);
  EXPECT_EQ(rooms_.room("roomB")->layout, "grid");
  EXPECT_EQ(rooms_.room_count(), 2u);
  EXPECT_EQ(rooms_.Calls("SetLayout") + rooms_.Calls("DeleteRoom"), 0u);

  EXPECT_EQ(Call("PATCH", "/v1/rooms/roomA", "operator:roomA", R"({"layout":"pip"})").status, 200);
}

TEST_F(ApiTest, NoTokenIs401WithAChallenge) {
  const auto r = Call("GET", "/v1/rooms", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), R"(Bearer realm="tessera")");
  EXPECT_EQ(Body(r)["type"], "urn:tessera:problem:unauthorized");
  EXPECT_EQ(auth_.verified, 0);

  const auto bad = Call("GET", "/v1/rooms", "forged");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(Header(bad, "WWW-Authenticate"),
            R"(Bearer realm="tessera", error="invalid_token", error_description="bad signature")");
  EXPECT_EQ(auth_.last_now_s, 1'800'000'000);
  EXPECT_EQ(Call("GET", "/metrics", "").status, 401);
}

TEST_F(ApiTest, WithoutAnAuthenticatorEveryTokenIsRefused) {
  Api api(service_, nullptr, ApiOptions{});
  HttpRequest r;
  r.method = "GET";
  r.path = "/v1/rooms";
  r.headers["authorization"] = "Bearer admin";
  EXPECT_EQ(api.Handle(r).status, 401);
  r.path = "/healthz";
  EXPECT_EQ(api.Handle(r).status, 200);
}

TEST_F(ApiTest, AWrongMethodIs405WithAllow) {
  const auto r = Call("PUT", "/v1/rooms");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET, POST");
  EXPECT_EQ(Body(r)["type"], "urn:tessera:problem:method-not-allowed");
  EXPECT_EQ(Header(Call("POST", "/v1/rooms/roomA"), "Allow"), "GET, PATCH, DELETE");
  EXPECT_EQ(Header(Call("GET", "/v1/sip/calls/x"), "Allow"), "DELETE");
}

TEST_F(ApiTest, ASourceOverItsBurstGets429WhileAnotherIsServed) {
  Make({.per_second = 1, .burst = 3}, {.per_second = 1, .burst = 10});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Call("GET", "/v1/rooms", "viewer").status, 200);
  const auto r = Call("GET", "/v1/rooms", "viewer");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_EQ(Body(r)["type"], "urn:tessera:problem:too-many-requests");
  EXPECT_EQ(Call("GET", "/v1/rooms", "viewer", "", "10.0.0.2").status, 200);
  now_us_ += 1'000'000;
  EXPECT_EQ(Call("GET", "/v1/rooms", "viewer").status, 200);
}

TEST_F(ApiTest, RetryAfterIsWholeSecondsUntilATokenIsBack) {
  Make({.per_second = 0.25, .burst = 1}, {.per_second = 1, .burst = 10});
  EXPECT_EQ(Call("GET", "/v1/rooms").status, 200);
  EXPECT_EQ(Header(Call("GET", "/v1/rooms"), "Retry-After"), "4");
  now_us_ += 2'500'000;
  EXPECT_EQ(Header(Call("GET", "/v1/rooms"), "Retry-After"), "2");
}

TEST_F(ApiTest, HealthChecksAreNeverLimited) {
  Make({.per_second = 1, .burst = 1}, {.per_second = 1, .burst = 1});
  EXPECT_EQ(Call("GET", "/v1/rooms").status, 200);
  EXPECT_EQ(Call("GET", "/v1/rooms").status, 429);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
    EXPECT_EQ(Call("GET", "/readyz", "").status, 200);
  }
  EXPECT_EQ(Body(Call("GET", "/healthz", ""))["status"], "ok");
  EXPECT_EQ(Body(Call("GET", "/readyz", ""))["status"], "ready");
}

TEST_F(ApiTest, FailedAuthenticationsEmptyTheirOwnBucket) {
  Make({.per_second = 1000, .burst = 1000}, {.per_second = 1, .burst = 10});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Call("GET", "/v1/rooms", "forged").status, 401);
  const int verified = auth_.verified;
  const auto r = Call("GET", "/v1/rooms", "admin");
  EXPECT_EQ(r.status, 429) << "a good token from a source that failed too often";
  EXPECT_FALSE(Header(r, "Retry-After").empty());
  EXPECT_EQ(auth_.verified, verified) << "the token is not even verified";
  EXPECT_EQ(Call("GET", "/v1/rooms", "admin", "", "10.0.0.2").status, 200);
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
  now_us_ += 1'000'000;
  EXPECT_EQ(Call("GET", "/v1/rooms", "admin").status, 200);
}

TEST_F(ApiTest, TheAuditHookHearsEveryRequestButHealthChecksWithWhoAndWhy) {
  std::vector<ApiAuditRecord> heard;
  ApiOptions o;
  o.now_us = [this] { return now_us_; };
  o.now_s = [] { return int64_t{1'800'000'000}; };
  o.audit = [&heard](const ApiAuditRecord& r) { heard.push_back(r); };
  api_ = std::make_unique<Api>(service_, &auth_, o);

  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomB", "operator", "", "192.0.2.7").status, 204);
  EXPECT_EQ(Call("GET", "/v1/rooms", "forged").status, 401);
  EXPECT_EQ(Call("GET", "/v1/rooms", "").status, 401);
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Call("GET", "/nowhere", "admin").status, 404);

  ASSERT_EQ(heard.size(), 4u);
  EXPECT_EQ(heard[0].actor, "operator");
  EXPECT_EQ(heard[0].role, "operator");
  EXPECT_EQ(heard[0].source, "192.0.2.7");
  EXPECT_EQ(heard[0].method, "DELETE");
  EXPECT_EQ(heard[0].path, "/v1/rooms/roomB");
  EXPECT_EQ(heard[0].status, 204);
  EXPECT_TRUE(heard[0].auth_failure.empty());
  EXPECT_EQ(heard[1].status, 401);
  EXPECT_TRUE(heard[1].actor.empty());
  EXPECT_EQ(heard[1].auth_failure, "bad signature");
  EXPECT_EQ(heard[2].auth_failure, "no bearer token");
  EXPECT_EQ(heard[3].path, "/nowhere");
  EXPECT_EQ(heard[3].status, 404);
}

TEST_F(ApiTest, ReadyzSaysDraining) {
  rooms_.Drain();
  const auto r = Call("GET", "/readyz", "");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Body(r)["status"], "draining");
  EXPECT_EQ(Call("POST", "/v1/rooms", "admin", R"({"name":"late"})").status, 503);
}

TEST_F(ApiTest, ServesMetricsAndTheOpenApiDocument) {
  const auto m = Call("GET", "/metrics", "viewer");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(m.body, "tessera_up 1\n");
  const auto doc = Call("GET", "/v1/openapi.json", "");
  EXPECT_EQ(doc.status, 200);
  auto j = Body(doc);
  EXPECT_EQ(j.value("openapi", ""), "3.1.0");
  EXPECT_TRUE(j["paths"].contains("/v1/rooms/{room}"));
}

TEST_F(ApiTest, CountsRequestsByRouteTemplate) {
  auto& counter = GlobalMetrics().GetCounter(
      "tessera_api_requests_total",
      {{"route", "/v1/rooms/{room}"}, {"method", "GET"}, {"code", "404"}});
  const uint64_t before = counter.Value();
  Call("GET", "/v1/rooms/nowhere", "viewer");
  Call("GET", "/v1/rooms/elsewhere", "viewer");
  EXPECT_EQ(counter.Value(), before + 2);
  auto& limited =
      GlobalMetrics().GetCounter("tessera_api_rate_limited_total", {{"bucket", "requests"}});
  const uint64_t limited_before = limited.Value();
  Make({.per_second = 1, .burst = 1}, {.per_second = 1, .burst = 10});
  Call("GET", "/v1/rooms");
  Call("GET", "/v1/rooms");
  EXPECT_EQ(limited.Value(), limited_before + 1);
  auto& odd = GlobalMetrics().GetCounter(
      "tessera_api_requests_total", {{"route", "unmatched"}, {"method", "other"}, {"code", "429"}});
  const uint64_t odd_before = odd.Value();
  Call("BREW", "/coffee");
  EXPECT_EQ(odd.Value(), odd_before + 1);
}

TEST_F(ApiTest, PathSegmentsArePercentDecoded) {
  EXPECT_EQ(Call("GET", "/v1/rooms/room%41", "viewer").status, 200);
  EXPECT_EQ(Call("GET", "/v1/rooms/room%4", "viewer").status, 400);
  EXPECT_EQ(Call("GET", "/v1/rooms/room%zz", "viewer").status, 400);
  EXPECT_EQ(Call("GET", "/v1/rooms/a%2Fb", "viewer").status, 404);
  EXPECT_EQ(Call("GET", "/v1/rooms/room%41", "operator:roomA").status, 200);
}

TEST_F(ApiTest, ManagesParticipants) {
  const auto added =
      Call("POST", "/v1/rooms/roomA/participants", "operator", R"({"name":"carol"})");
  ASSERT_EQ(added.status, 201) << added.body;
  auto p = Body(added);
  EXPECT_EQ(p["name"], "carol");
  EXPECT_EQ(p["joined"], "runtime");
  EXPECT_TRUE(p["audio_port"].is_number());
  EXPECT_TRUE(p["audio"].is_object());
  const std::string path = "/v1/rooms/roomA/participants/" + p["id"].dump();
  EXPECT_EQ(Header(added, "Location"), path);

  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/participants", "operator", R"({"name":"carol"})").status,
            409);
  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/participants", "operator", R"({"nom":"x"})").status, 422);
  EXPECT_EQ(Call("POST", "/v1/rooms/nowhere/participants", "operator", R"({"name":"x"})").status,
            404);

  const auto patched = Call("PATCH", path, "operator", R"({"muted":true})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Body(patched)["muted"], true);
  EXPECT_EQ(Call("PATCH", path, "operator", R"({"muted":"yes"})").status, 422);
  EXPECT_EQ(Call("PATCH", path, "operator", R"({"loud":true})").status, 422);
  EXPECT_EQ(rooms_.Calls("UpdateMember"), 1u);

  const auto list = Call("GET", "/v1/rooms/roomA/participants", "viewer");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Body(list)["participants"].size(), 2u);
  EXPECT_EQ(Call("DELETE", path, "operator").status, 204);
  EXPECT_EQ(Call("GET", path, "viewer").status, 404);
}

TEST_F(ApiTest, DeletesARoom) {
  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomB", "admin").status, 204);
  EXPECT_EQ(rooms_.room_count(), 1u);
  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomB", "admin").status, 404);
}

TEST_F(ApiTest, SipCallsAreScopedToTheTokensRoom) {
  ASSERT_EQ(Call("POST", "/v1/sip/calls", "operator", R"({"room":"roomB","uri":"sip:9@10.0.0.9"})")
                .status,
            201);
  const auto dialled = Call("POST", "/v1/sip/calls", "operator:roomA",
                            R"({"room":"roomA","uri":"sip:4711@10.0.0.9"})");
  ASSERT_EQ(dialled.status, 201) << dialled.body;
  const std::string mine = Body(dialled)["call_id"].get<std::string>();
  EXPECT_EQ(
      Call("POST", "/v1/sip/calls", "operator:roomA", R"({"room":"roomB","uri":"sip:1@h"})").status,
      403);

  const auto all = Call("GET", "/v1/sip/calls", "viewer");
  EXPECT_EQ(Body(all)["calls"].size(), 2u);
  const auto scoped = Call("GET", "/v1/sip/calls", "operator:roomA");
  ASSERT_EQ(Body(scoped)["calls"].size(), 1u);
  EXPECT_EQ(Body(scoped)["calls"][0]["call_id"], mine);

  const std::string other = Body(all)["calls"][0]["call_id"].get<std::string>();
  EXPECT_EQ(Call("DELETE", "/v1/sip/calls/" + other, "operator:roomA").status, 403);
  EXPECT_EQ(Call("DELETE", "/v1/sip/calls/nope", "operator:roomA").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/sip/calls/" + mine, "operator:roomA").status, 204);
  EXPECT_EQ(sip_.hung_up, std::vector<std::string>{mine});
  EXPECT_EQ(Call("POST", "/v1/sip/calls", "operator", R"({"room":"roomA"})").status, 422);
}

TEST_F(ApiTest, SipIs503WhenDisabled) {
  ControlService no_sip(rooms_, FakeHooks());
  Api api(no_sip, &auth_, ApiOptions{});
  HttpRequest r;
  r.method = "GET";
  r.path = "/v1/sip/calls";
  r.headers["authorization"] = "Bearer viewer";
  const auto answer = api.Handle(r);
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(Body(answer)["type"], "urn:tessera:problem:unavailable");
}

TEST(ProblemFromStatus, MapsEveryCodeAsTheContractSays) {
  EXPECT_EQ(ProblemFromStatus(InvalidArgumentError("a: x\nb: y")).status, 422);
  EXPECT_EQ(ProblemFromStatus(NotFoundError("x")).status, 404);
  EXPECT_EQ(ProblemFromStatus(Status(StatusCode::kAlreadyExists, "x")).status, 409);
  EXPECT_EQ(ProblemFromStatus(ResourceExhaustedError("x")).status, 409);
  EXPECT_EQ(ProblemFromStatus(FailedPreconditionError("x")).status, 409);
  EXPECT_EQ(ProblemFromStatus(UnavailableError("x")).status, 503);
  EXPECT_EQ(ProblemFromStatus(UnauthenticatedError("x")).status, 401);
  EXPECT_EQ(ProblemFromStatus(PermissionDeniedError("x")).status, 403);
  EXPECT_EQ(ProblemFromStatus(InternalError("x")).status, 500);
  auto p = nlohmann::json::parse(ProblemFromStatus(InvalidArgumentError("a: x\nb: y")).body);
  EXPECT_EQ(p["errors"], nlohmann::json::array({"a: x", "b: y"}));
  EXPECT_EQ(p["title"], "Validation failed");
  EXPECT_FALSE(
      nlohmann::json::parse(ProblemFromStatus(NotFoundError("x")).body).contains("errors"));
}

}  // namespace
}  // namespace tessera::control
