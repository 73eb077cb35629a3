// Retention per recording and erasure through the MCU's API: what the RecorderClient sends its
// recorder (a local stand-in answering as told) and makes of the answers, and what the API takes,
// refuses (role, room scope, bodies, no recorder) and passes on. Nothing sleeps: the tests run
// the io_context until what they wait for has happened.
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

class RecorderClientErasureTest : public testing::RecorderClientFixture {};

TEST_F(RecorderClientErasureTest, TheRetentionGoesToTheRecorderAndItsAnswerIsShown) {
  Receiver recorder(io_, {201},
                    {R"({"id":"x","region":"eu","retention_days":90,)"
                     R"("expires":"2027-03-07T10:00:00Z"})"});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok()) << client.status().message();
  auto started = (*client)->Start({"main", "hd", "", "ops", 365});
  ASSERT_TRUE(started.ok());
  EXPECT_EQ((*started)["retention_days"], 365) << "what was asked, until the recorder answers";
  EXPECT_TRUE((*started)["expires"].is_null());
  const std::string id = started->value("id", "");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->Get("main", id)->value("state", "") != "starting"; }));
  ASSERT_EQ(recorder.requests().size(), 1u);
  EXPECT_EQ(Parse(recorder.requests()[0].body())["retention_days"], 365);
  const nlohmann::json got = (*client)->Get("main", id).value();
  EXPECT_EQ(got["state"], "recording");
  EXPECT_EQ(got["retention_days"], 90) << "the recorder's cap";
  EXPECT_EQ(got["expires"], "2027-03-07T10:00:00Z");
  EXPECT_EQ(events_.back()["recording"]["retention_days"], 90);
  (*client)->Shutdown();
}

TEST_F(RecorderClientErasureTest, WithoutARetentionTheRecorderChooses) {
  Receiver recorder(io_, {201});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  auto started = (*client)->Start({"main", "hd", "", "ops"});
  ASSERT_TRUE(started.ok());
  EXPECT_TRUE((*started)["retention_days"].is_null());
  ASSERT_TRUE(RunUntil(io_, [&] { return recorder.requests().size() == 1; }));
  EXPECT_FALSE(Parse(recorder.requests()[0].body()).contains("retention_days"));
  (*client)->Shutdown();
}

TEST_F(RecorderClientErasureTest, AnErasureThatKeptARunningRecordingIsIncomplete) {
  Receiver recorder(
      io_, {200},
      {R"({"identity":"alice","dry_run":false,"recordings":[{"id":"rec-1","room":"main"}],)"
       R"("in_progress":["rec-2"],"problems":[]})"});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  auto asked = (*client)->StartErasure({"alice", false, "admin-1"});
  ASSERT_TRUE(asked.ok()) << asked.status().message();
  EXPECT_EQ((*asked)["state"], "pending");
  const std::string id = asked->value("id", "");
  ASSERT_EQ(id.rfind("era-", 0), 0u) << id;
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->GetErasure(id)->value("state", "") != "pending"; }));
  const nlohmann::json done = (*client)->GetErasure(id).value();
  // rec-2 is still being recorded: kept, so the erasure is not complete.
  EXPECT_EQ(done["state"], "incomplete") << done.dump();
  EXPECT_EQ(done["identity"], "alice");
  EXPECT_EQ(done["requested_by"], "admin-1");
  EXPECT_EQ(done["result"]["recordings"][0]["id"], "rec-1");
  EXPECT_EQ(done["result"]["in_progress"], nlohmann::json::array({"rec-2"}));
  EXPECT_NE(done["result"].value("note", "").find("still being recorded"), std::string::npos);

  ASSERT_EQ(recorder.requests().size(), 1u);
  const auto& post = recorder.requests()[0];
  EXPECT_EQ(post.method_string(), "POST");
  EXPECT_EQ(ToString(post.target()), "/v1/erasures");
  EXPECT_EQ(ToString(post[boost::beast::http::field::authorization]),
            "Bearer recorder-bearer-token");
  EXPECT_EQ(Parse(post.body()), (nlohmann::json{{"identity", "alice"}, {"dry_run", false}}));
  EXPECT_EQ(EventTypes(), (std::vector<std::string>{"erasure.requested", "erasure.incomplete"}));
  EXPECT_EQ(events_[1]["erasure"]["result"]["recordings"][0]["id"], "rec-1");
  EXPECT_EQ((*client)->GetErasure("era-nope").status().code(), StatusCode::kNotFound);
  (*client)->Shutdown();
}

TEST_F(RecorderClientErasureTest, ARefusalOrAPartialDeletionFailsTheErasure) {
  Receiver recorder(io_, {500, 200},
                    {R"({"title":"Internal","detail":"the key store is not writable"})",
                     R"({"recordings":[],"in_progress":[],"problems":["rec-9: unlink failed"]})"});
  auto client = Make(recorder);
  ASSERT_TRUE(client.ok());
  const std::string first = (*client)->StartErasure({"bob", true, "a"}).value().value("id", "");
  ASSERT_TRUE(
      RunUntil(io_, [&] { return (*client)->GetErasure(first)->value("state", "") != "pending"; }));
  nlohmann::json failed = (*client)->GetErasure(first).value();
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed.value("reason", "").find("the key store is not writable"), std::string::npos)
      << failed.dump();
  EXPECT_EQ(Parse(recorder.requests()[0].body())["dry_run"], true);

  const std::string second = (*client)->StartErasure({"bob", false, "a"}).value().value("id", "");
  ASSERT_TRUE(RunUntil(
      io_, [&] { return (*client)->GetErasure(second)->value("state", "") != "pending"; }));
  failed = (*client)->GetErasure(second).value();
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed.value("reason", "").find("rec-9: unlink failed"), std::string::npos);
  EXPECT_EQ(EventTypes(), (std::vector<std::string>{"erasure.requested", "erasure.failed",
                                                    "erasure.requested", "erasure.failed"}));
  (*client)->Shutdown();
}

TEST(RecordingBodies, ParsedWithEveryErrorNamed) {
  auto start = ParseRecordingStartBody({{"profile", "hd"}, {"retention_days", 7}});
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->profile, "hd");
  EXPECT_EQ(start->retention_days, 7u);
  EXPECT_EQ(ParseRecordingStartBody(nlohmann::json::object())->retention_days, 0u);
  for (const nlohmann::json& bad : {nlohmann::json(0), nlohmann::json(36501), nlohmann::json(-1),
                                    nlohmann::json("7"), nlohmann::json(1.5), nlohmann::json()}) {
    auto refused = ParseRecordingStartBody({{"retention_days", bad}});
    ASSERT_FALSE(refused.ok()) << bad.dump();
    EXPECT_NE(refused.status().message().find("retention_days: must be a whole number of days "
                                              "in 1..36500"),
              std::string::npos)
        << refused.status().message();
  }
  auto erasure = ParseErasureBody({{"identity", "alice"}, {"dry_run", true}});
  ASSERT_TRUE(erasure.ok());
  EXPECT_EQ(erasure->identity, "alice");
  EXPECT_TRUE(erasure->dry_run);
  EXPECT_FALSE(ParseErasureBody({{"identity", "alice"}})->dry_run);
  auto two = ParseErasureBody({{"dry_run", "yes"}, {"who", 1}});
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("dry_run: must be true or false"), std::string::npos);
  EXPECT_NE(two.status().message().find("who: not a field"), std::string::npos);
  EXPECT_NE(two.status().message().find("identity: is required"), std::string::npos);
  EXPECT_FALSE(ParseErasureBody({{"identity", ""}}).ok());
  EXPECT_FALSE(ParseErasureBody({{"identity", std::string(257, 'a')}}).ok());
  EXPECT_FALSE(ParseErasureBody(nlohmann::json::array()).ok());
}

// Records what the API asks for; answers like a recorder client that took it.
class FakeRecorder : public RecordingControl {
 public:
  std::vector<RecordingStart> starts;
  std::vector<ErasureRequest> erasures;
  StatusOr<nlohmann::json> Start(const RecordingStart& r) override {
    starts.push_back(r);
    return nlohmann::json{{"id", "rec-1"}, {"room", r.room}, {"state", "starting"}};
  }
  StatusOr<nlohmann::json> Stop(const std::string&, const std::string& id) override {
    return nlohmann::json{{"id", id}, {"state", "stopping"}};
  }
  StatusOr<nlohmann::json> Get(const std::string& room, const std::string& id) override {
    return NotFoundError("room '" + room + "' has no recording '" + id + "'");
  }
  nlohmann::json List(const std::string&) override {
    return {{"recordings", nlohmann::json::array()}};
  }
  StatusOr<nlohmann::json> StartErasure(const ErasureRequest& r) override {
    erasures.push_back(r);
    return nlohmann::json{{"id", "era-1"}, {"identity", r.identity}, {"state", "pending"}};
  }
  StatusOr<nlohmann::json> GetErasure(const std::string& id) override {
    if (id != "era-1") return NotFoundError("no erasure '" + id + "'");
    return nlohmann::json{{"id", "era-1"}, {"state", "done"}};
  }
};

class ErasureApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session::RoomConfig room;
    room.name = "roomA";
    room.recording.retention_days = 7;
    rooms_.AddRoom(room);
    room.name = "roomB";
    room.recording.retention_days = 0;
    rooms_.AddRoom(room);
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
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    if (!body.empty()) r.headers["content-type"] = "application/json";
    return api_->Handle(r);
  }

  FakeDirectory rooms_;
  FakeSip sip_;
  ControlService service_{rooms_, FakeHooks(&sip_)};
  testing::RoleAuthenticator auth_;
  FakeRecorder recorder_;
  std::unique_ptr<Api> api_;
};

TEST_F(ErasureApiTest, TheRoomsRetentionUnlessTheStartNamesOne) {
  Make(&recorder_);
  ASSERT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "admin", "{}").status, 202);
  // Longer than the room's 7 days: an operator is refused and nothing is asked of the recorder;
  // shorter, or an admin's, goes.
  ASSERT_EQ(
      Call("POST", "/v1/rooms/roomA/recordings", "operator", R"({"retention_days":400})").status,
      403);
  ASSERT_EQ(recorder_.starts.size(), 1u);
  ASSERT_EQ(
      Call("POST", "/v1/rooms/roomA/recordings", "operator", R"({"retention_days":3})").status,
      202);
  ASSERT_EQ(Call("POST", "/v1/rooms/roomA/recordings", "admin", R"({"retention_days":400})").status,
            202);
  ASSERT_EQ(
      Call("POST", "/v1/rooms/roomB/recordings", "operator", R"({"retention_days":900})").status,
      202);
  ASSERT_EQ(Call("POST", "/v1/rooms/roomB/recordings", "admin", "{}").status, 202);
  ASSERT_EQ(recorder_.starts.size(), 5u);
  EXPECT_EQ(recorder_.starts[0].retention_days, 7u) << "the room's";
  EXPECT_EQ(recorder_.starts[1].retention_days, 3u) << "the request's, shorter";
  EXPECT_EQ(recorder_.starts[2].retention_days, 400u) << "an admin's, longer";
  EXPECT_EQ(recorder_.starts[3].retention_days, 900u) << "a room without its own";
  EXPECT_EQ(recorder_.starts[4].retention_days, 0u) << "the recorder's";
  for (const char* bad : {R"({"retention_days":0})", R"({"retention_days":36501})",
                          R"({"retention_days":"30"})", R"({"retention_days":2.5})"}) {
    const auto r = Call("POST", "/v1/rooms/roomA/recordings", "admin", bad);
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_NE(r.body.find("retention_days: must be a whole number of days in 1..36500"),
              std::string::npos)
        << r.body;
  }
  EXPECT_EQ(recorder_.starts.size(), 5u) << "nothing started by a refused body";
  const auto room = Call("GET", "/v1/rooms/roomA", "viewer");
  ASSERT_EQ(room.status, 200) << room.body;
  EXPECT_EQ(Parse(room.body)["recording"]["retention_days"], 7);
  EXPECT_TRUE(Parse(Call("GET", "/v1/rooms/roomB", "viewer").body)["recording"]["retention_days"]
                  .is_null());
}

TEST_F(ErasureApiTest, AnAdminAsksAndGetsALocationToFollow) {
  Make(&recorder_);
  const auto r = Call("POST", "/v1/erasures", "admin", R"({"identity":"alice","dry_run":true})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(Parse(r.body)["state"], "pending");
  bool located = false;
  for (const auto& [name, value] : r.headers) {
    located = located || (name == "Location" && value == "/v1/erasures/era-1");
  }
  EXPECT_TRUE(located);
  ASSERT_EQ(recorder_.erasures.size(), 1u);
  EXPECT_EQ(recorder_.erasures[0].identity, "alice");
  EXPECT_TRUE(recorder_.erasures[0].dry_run);
  EXPECT_EQ(recorder_.erasures[0].requested_by, "admin");
  const auto got = Call("GET", "/v1/erasures/era-1", "admin");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Parse(got.body)["state"], "done");
  EXPECT_EQ(Call("GET", "/v1/erasures/era-2", "admin").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/erasures/era-1", "admin").status, 405);
}

TEST_F(ErasureApiTest, OnlyAnAdminOfEveryRoomMayEraseOrReadAnErasure) {
  Make(&recorder_);
  const std::string body = R"({"identity":"alice"})";
  for (const char* token : {"operator", "viewer", "participant", "admin:roomA"}) {
    const auto r = Call("POST", "/v1/erasures", token, body);
    EXPECT_EQ(r.status, 403) << token;
    EXPECT_EQ(r.content_type, "application/problem+json") << token;
    EXPECT_EQ(Call("GET", "/v1/erasures/era-1", token).status, 403) << token;
  }
  EXPECT_EQ(Call("POST", "/v1/erasures", "", body).status, 401);
  EXPECT_EQ(Call("POST", "/v1/erasures", "forged", body).status, 401);
  // A non-admin with a bad body learns nothing of the body's rules: still 403.
  EXPECT_EQ(Call("POST", "/v1/erasures", "operator", "not json").status, 403);
  EXPECT_TRUE(recorder_.erasures.empty());
}

TEST_F(ErasureApiTest, BadBodiesAndANodeWithoutARecorderAreRefused) {
  Make(&recorder_);
  for (const char* bad :
       {"{}", R"({"identity":""})", R"({"identity":7})", R"({"identity":"alice","dry_run":"no"})",
        R"({"identity":"alice","all":true})"}) {
    const auto r = Call("POST", "/v1/erasures", "admin", bad);
    EXPECT_EQ(r.status, 422) << bad << " " << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json");
  }
  EXPECT_EQ(Call("POST", "/v1/erasures", "admin", "[1]").status, 400);
  EXPECT_TRUE(recorder_.erasures.empty());
  Make(nullptr);
  const auto none = Call("POST", "/v1/erasures", "admin", R"({"identity":"alice"})");
  EXPECT_EQ(none.status, 409);
  EXPECT_NE(none.body.find("no recorder is configured"), std::string::npos) << none.body;
  EXPECT_EQ(Call("GET", "/v1/erasures/era-1", "admin").status, 409);
}

}  // namespace
}  // namespace tessera::control
