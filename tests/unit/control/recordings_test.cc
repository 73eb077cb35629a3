// Recordings through the API: what the MCU asks of its recorder (a local stand-in answering as
// told), and what the API refuses without changing anything (no recorder, wrong role, wrong room,
// an unknown profile). The tests run the io_context themselves; nothing sleeps.
#include <gtest/gtest.h>
#include <tessera/control/api.h>
#include <tessera/control/recordings.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/control/fake_directory.h"
#include "unit/control/local_http.h"
#include "unit/control/recorder_client_fixture.h"

namespace tessera::control {
namespace {

namespace asio = boost::asio;
using testing::FakeDirectory;
using testing::FakeHooks;
using testing::FakeSip;
using testing::Parse;
using testing::Receiver;
using testing::RunUntil;
using testing::TempFile;
using testing::ToString;

class RecorderClientTest : public testing::RecorderClientFixture {};

TEST_F(RecorderClientTest, AStartThatTheRecorderTakesRecordsAndAStopStopsIt) {
  Receiver recorder(io_, {201, 204});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok()) << client.status().message();

  auto started = (*client)->Start({"main", "hd", "eu-west", "ops-alice"});
  ASSERT_TRUE(started.ok()) << started.status().message();
  EXPECT_EQ(started->value("state", ""), "starting");
  const std::string id = started->value("id", "");
  ASSERT_EQ(id.rfind("rec-", 0), 0u) << id;
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") != "starting"; }));
  EXPECT_EQ((*client)->Get("main", id)->value("state", ""), "recording");

  ASSERT_EQ(recorder.requests().size(), 1u);
  const auto& post = recorder.requests()[0];
  EXPECT_EQ(post.method_string(), "POST");
  EXPECT_EQ(ToString(post.target()), "/v1/recordings");
  EXPECT_EQ(ToString(post[boost::beast::http::field::authorization]),
            "Bearer recorder-bearer-token");
  const nlohmann::json body = Parse(post.body());
  EXPECT_EQ(body, (nlohmann::json{
                      {"id", id}, {"room", "main"}, {"profile", "hd"}, {"region", "eu-west"}}));

  auto stopping = (*client)->Stop("main", id);
  ASSERT_TRUE(stopping.ok());
  EXPECT_EQ(stopping->value("state", ""), "stopping");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "stopped"; }));
  ASSERT_EQ(recorder.requests().size(), 2u);
  EXPECT_EQ(recorder.requests()[1].method_string(), "DELETE");
  EXPECT_EQ(ToString(recorder.requests()[1].target()), "/v1/recordings/" + id);
  EXPECT_EQ(EventTypes(), (std::vector<std::string>{"recording.starting", "recording.started",
                                                    "recording.stopping", "recording.stopped"}));
  EXPECT_EQ(events_[1]["recording"]["requested_by"], "ops-alice");
}

TEST_F(RecorderClientTest, ARefusalFailsTheRecordingWithTheRecordersReason) {
  Receiver recorder(io_, {422}, {R"({"title":"Bad","detail":"region 'mars' has no storage"})"});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  auto started = (*client)->Start({"main", "hd", "mars", "ops"});
  ASSERT_TRUE(started.ok());
  const std::string id = started->value("id", "");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "failed"; }));
  const std::string reason = (*client)->Get("main", id)->value("reason", "");
  EXPECT_NE(reason.find("422"), std::string::npos) << reason;
  EXPECT_NE(reason.find("region 'mars' has no storage"), std::string::npos) << reason;
  // A failed recording does not block the next one.
  EXPECT_TRUE((*client)->Start({"main", "hd", "eu", "ops"}).ok());
}

TEST_F(RecorderClientTest, ARecorderThatIsDownFailsTheStartAndOneRecordingPerRoom) {
  std::string url;
  {
    Receiver gone(io_, {201});
    url = gone.Url("");
  }  // closed: nothing listens there now
  RecorderConfig config;
  config.url = url;
  config.token_file = token_.path();
  auto client = RecorderClient::Create(io_, config, nullptr);
  ASSERT_TRUE(client.ok());
  auto first = (*client)->Start({"main", "hd", "", "ops"});
  ASSERT_TRUE(first.ok());
  auto second = (*client)->Start({"main", "hd", "", "ops"});
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition) << "one recording per room";
  const std::string id = first->value("id", "");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "failed"; }));
  EXPECT_NE((*client)->Get("main", id)->value("reason", "").find("cannot connect"),
            std::string::npos);
  EXPECT_EQ((*client)->Get("other", id).status().code(), StatusCode::kNotFound)
      << "a recording is found only under its own room";
}

TEST_F(RecorderClientTest, AfterARestartItTakesInWhatTheRecorderRecordsAndCanStopIt) {
  Receiver recorder(io_, {200, 204},
                    {R"({"recordings":[{"id":"rec-old","room":"main","profile":"hd","region":"eu"},
                         {"id":"bad"},"not an object"]})",
                     ""});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  (*client)->Resume();
  ASSERT_TRUE(RunUntil(io_, [&] { return !(*client)->List("main")["recordings"].empty(); }));
  const nlohmann::json listed = (*client)->List("main")["recordings"];
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["id"], "rec-old");
  EXPECT_EQ(listed[0]["state"], "recording");
  EXPECT_EQ(listed[0]["region"], "eu");
  EXPECT_EQ(ToString(recorder.requests()[0].target()), "/v1/recordings");
  ASSERT_TRUE((*client)->Stop("main", "rec-old").ok());
  ASSERT_TRUE(RunUntil(
      io_, [&] { return (*client)->Get("main", "rec-old")->value("state", "") == "stopped"; }));
  EXPECT_EQ(ToString(recorder.requests()[1].target()), "/v1/recordings/rec-old");
  (*client)->Shutdown();
}

TEST_F(RecorderClientTest, ARecordingTheRecorderNoLongerHasIsStoppedAndTheRoomMayRecordAgain) {
  Receiver recorder(io_, {201, 200}, {R"({"id":"x"})", R"({"recordings":[]})"});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  auto started = (*client)->Start({"main", "hd", "", "ops"});
  ASSERT_TRUE(started.ok());
  const std::string id = started->value("id", "");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "recording"; }));
  (*client)->Resume();  // the recorder lists nothing: it was stopped there
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "stopped"; }));
  EXPECT_EQ((*client)->Get("main", id)->value("reason", ""), "the recorder no longer records it");
  EXPECT_TRUE((*client)->Start({"main", "hd", "", "ops"}).ok());
  (*client)->Shutdown();
}

TEST_F(RecorderClientTest, RefusesABadUrlAndAMissingTokenAtCreate) {
  RecorderConfig config;
  config.url = "ftp://recorder";
  config.token_file = token_.path();
  auto bad_url = RecorderClient::Create(io_, config, nullptr);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.status().message().find("control.recorder.url"), std::string::npos);
  config.url = "http://127.0.0.1:9/";
  config.token_file = "/nonexistent/token";
  auto no_token = RecorderClient::Create(io_, config, nullptr);
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.status().message().find("control.recorder.token_file"), std::string::npos);
}

// What the API asks of the recorder, recorded; answers like a recorder that took it.
class FakeRecordings : public RecordingControl {
 public:
  std::vector<RecordingStart> starts;
  std::vector<std::string> stops;
  StatusOr<nlohmann::json> Start(const RecordingStart& r) override {
    starts.push_back(r);
    return nlohmann::json{
        {"id", "rec-1"}, {"room", r.room}, {"profile", r.profile}, {"state", "starting"}};
  }
  StatusOr<nlohmann::json> Stop(const std::string& room, const std::string& id) override {
    stops.push_back(room + "/" + id);
    return nlohmann::json{{"id", id}, {"state", "stopping"}};
  }
  StatusOr<nlohmann::json> Get(const std::string& room, const std::string& id) override {
    return NotFoundError("room '" + room + "' has no recording '" + id + "'");
  }
  nlohmann::json List(const std::string&) override {
    return {{"recordings", nlohmann::json::array()}};
  }
};

class RecordingsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"roomA", "roomB"}) {
      session::RoomConfig room;
      room.name = name;
      room.video.emplace();
      room.video->profiles.push_back({});
      room.video->profiles.back().name = "hd";
      room.video->profiles.push_back({});
      room.video->profiles.back().name = "sd";
      rooms_.AddRoom(room);
    }
  }
  // alice (audio) in roomA, with the consent given; a receive-only viewer, whose consent is not
  // needed: nothing of it is recorded.
  uint32_t AddAlice(session::Consent consent) {
    session::RoomParticipantConfig alice;
    alice.name = "alice";
    alice.consent = consent;
    auto joined = rooms_.JoinRoom("roomA", alice, {});
    session::RoomParticipantConfig wall;
    wall.name = "wall";
    wall.has_audio = false;
    wall.video.emplace();
    wall.video->send = false;
    EXPECT_TRUE(rooms_.JoinRoom("roomA", wall, {}).ok());
    return joined.ok() ? joined->id : 0;
  }
  void Make(RecordingControl* recordings) {
    ApiOptions o;
    o.now_us = [] { return int64_t{5'000'000}; };
    o.now_s = [] { return int64_t{1'800'000'000}; };
    o.recordings = recordings;
    api_ = std::make_unique<Api>(service_, &auth_, o);
  }
  HttpResponse Call(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.source_address = "10.0.0.1";
    r.headers["authorization"] = "Bearer " + token;
    if (!body.empty()) r.headers["content-type"] = "application/json";
    return api_->Handle(r);
  }

  FakeDirectory rooms_;
  FakeSip sip_;
  ControlService service_{rooms_, FakeHooks(&sip_)};
  testing::RoleAuthenticator auth_;
  FakeRecordings recordings_;
  std::unique_ptr<Api> api_;
};

TEST_F(RecordingsApiTest, ANodeWithoutARecorderCannotRecord) {
  Make(nullptr);
  const auto r = Call("POST", "/v1/rooms/roomA/recordings", "admin", R"({"profile":"hd"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("no recorder is configured"), std::string::npos) << r.body;
}

TEST_F(RecordingsApiTest, StartsWithTheRoomsFirstProfileByDefaultAndAnswersWhereItIs) {
  Make(&recordings_);
  const auto r = Call("POST", "/v1/rooms/roomA/recordings", "operator:roomA", "{}");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(recordings_.starts.size(), 1u);
  EXPECT_EQ(recordings_.starts[0].room, "roomA");
  EXPECT_EQ(recordings_.starts[0].profile, "hd");
  EXPECT_EQ(recordings_.starts[0].requested_by, "operator:roomA");
  bool located = false;
  for (const auto& [name, value] : r.headers) {
    located = located || (name == "Location" && value == "/v1/rooms/roomA/recordings/rec-1");
  }
  EXPECT_TRUE(located);
  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomA/recordings/rec-1", "admin").status, 200);
  EXPECT_EQ(recordings_.stops, std::vector<std::string>{"roomA/rec-1"});
}

TEST_F(RecordingsApiTest, RefusedRequestsStartNothing) {
  Make(&recordings_);
  // A viewer may read, not start or stop.
  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "viewer", "{}").status, 403);
  EXPECT_EQ(Call("DELETE", "/v1/rooms/roomA/recordings/rec-1", "viewer").status, 403);
  EXPECT_EQ(Call("GET", "/v1/rooms/roomA/recordings", "viewer").status, 200);
  // A token of another room, a participant's token, no valid token.
  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "operator:roomB", "{}").status, 403);
  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "participant", "{}").status, 403);
  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "forged", "{}").status, 401);
  // No such room, no such profile, a field that is not one.
  EXPECT_EQ(Call("POST", "/v1/rooms/nope/recordings", "admin", "{}").status, 404);
  const auto profile = Call("POST", "/v1/rooms/roomA/recordings", "admin", R"({"profile":"4k"})");
  EXPECT_GE(profile.status, 400);
  EXPECT_NE(profile.body.find("hd, sd"), std::string::npos) << profile.body;
  EXPECT_GE(Call("POST", "/v1/rooms/roomA/recordings", "admin", R"({"quality":"best"})").status,
            400);
  EXPECT_TRUE(recordings_.starts.empty());
  EXPECT_TRUE(recordings_.stops.empty());
}

TEST_F(RecordingsApiTest, NobodyIsRecordedWithoutConsentAndGrantingItThroughTheApiLetsItStart) {
  Make(&recordings_);
  const uint32_t alice = AddAlice(session::Consent::kUnknown);
  const auto refused = Call("POST", "/v1/rooms/roomA/recordings", "admin", "{}");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("not granted: alice (unknown)"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find("wall"), std::string::npos) << "a receive-only viewer is not asked";
  EXPECT_TRUE(recordings_.starts.empty());

  const std::string path = "/v1/rooms/roomA/participants/" + std::to_string(alice);
  EXPECT_EQ(Call("PATCH", path, "operator", R"({"consent":"maybe"})").status, 422);
  EXPECT_EQ(Call("PATCH", path, "viewer", R"({"consent":"granted"})").status, 403);
  const auto granted = Call("PATCH", path, "operator", R"({"consent":"granted"})");
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(Parse(granted.body)["consent"], "granted");
  EXPECT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "admin", "{}").status, 202);
  EXPECT_EQ(recordings_.starts.size(), 1u);
}

TEST_F(RecordingsApiTest, ADeclinedParticipantKeepsTheRecordingFromStarting) {
  Make(&recordings_);
  AddAlice(session::Consent::kDeclined);
  const auto refused = Call("POST", "/v1/rooms/roomA/recordings", "admin", "{}");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("alice (declined)"), std::string::npos) << refused.body;
  EXPECT_TRUE(recordings_.starts.empty());
}

TEST_F(RecordingsApiTest, UnderTheExcludePolicyADeclinedParticipantDoesNotBlockTheStart) {
  session::RoomConfig room;
  room.name = "roomC";
  room.recording.consent = session::ConsentPolicy::kExclude;
  rooms_.AddRoom(room);
  Make(&recordings_);
  session::RoomParticipantConfig bob;
  bob.name = "bob";
  bob.consent = session::Consent::kDeclined;
  ASSERT_TRUE(rooms_.JoinRoom("roomC", bob, {}).ok());
  EXPECT_EQ(service_.BlockingRecording("roomC").value(), std::vector<std::string>{});
  EXPECT_EQ(service_.WithoutConsent("roomC").value(), std::vector<std::string>{"bob (declined)"});
  const auto r = Call("POST", "/v1/rooms/roomC/recordings", "admin", "{}");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(recordings_.starts.size(), 1u);
  const auto listed = Call("GET", "/v1/rooms/roomC", "admin");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Parse(listed.body)["recording"]["consent"], "exclude");
}

TEST_F(RecorderClientTest, StopAllStopsTheRoomsRecordingWithTheReason) {
  Receiver recorder(io_, {201, 200});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  auto started = (*client)->Start({"main", "hd", "", "ops"});
  ASSERT_TRUE(started.ok());
  const std::string id = started->value("id", "");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "recording"; }));
  (*client)->StopAll("other", "consent not granted by bob (unknown)");
  EXPECT_EQ((*client)->Get("main", id)->value("state", ""), "recording") << "another room's";
  (*client)->StopAll("main", "consent not granted by bob (unknown)");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") == "stopped"; }));
  EXPECT_EQ((*client)->Get("main", id)->value("reason", ""),
            "consent not granted by bob (unknown)");
  ASSERT_EQ(recorder.requests().size(), 2u);
  EXPECT_EQ(recorder.requests()[1].method_string(), "DELETE");
}

}  // namespace
}  // namespace tessera::control
