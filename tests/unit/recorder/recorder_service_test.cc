#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <tessera/base/clock.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/recorder_config.h>
#include <tessera/recorder/recorder_service.h>
#include <tessera/recorder/retention.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/recorder/recorder_test_util.h"

namespace tessera::recorder {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kToken[] = "test-token";
// The longest a test waits for the service's own threads (never reached when it works).
constexpr auto kPatience = std::chrono::seconds(20);

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A RecorderService over a key store in a temp dir and recordings in memory; its MCU is nobody
// (a closed port), which only matters for a started recording (its client keeps retrying).
class RecorderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "recorder_service_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/keys");
    std::filesystem::create_directory(dir_ + "/eu");
    auto kek = SecretKey::Random();
    ASSERT_TRUE(kek.ok());
    ASSERT_TRUE(ring_.AddKey("k1", *kek).ok());
    ASSERT_TRUE(ring_.SetActive("k1").ok());
    store_ = std::make_unique<KeyStore>(dir_ + "/keys");
    config_.mcu_url = "http://127.0.0.1:9";
    config_.media_bind_address = "127.0.0.1";
    config_.key_store_dir = dir_ + "/keys";
    config_.storage = {{"eu", dir_ + "/eu"}};
    config_.sweep_interval_s = 0;
  }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Catalogued like the process's sinks: the key store entry (with `participants`, as the MCU
  // client would have added them) before the sink.
  void MakeService() {
    service_ = std::make_unique<RecorderService>(
        config_, kToken, "mcu-token",
        [this](const RecordingInfo& info) -> StatusOr<std::unique_ptr<ByteSink>> {
          RecordingEntry e;
          e.id = info.id;
          e.room = info.room;
          e.region = info.region;
          e.started_s = info.started_unix_ms / 1000;
          e.expires_s = e.started_s + 86400;
          e.participants = start_participants_;
          auto key = store_->Create(e, ring_);
          if (!key.ok()) return key.status();
          return std::unique_ptr<ByteSink>(
              new testing::MemorySink(std::make_shared<testing::MemoryBytes>()));
        },
        SystemClock());
    service_->SetAudit([this](audit::Event e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
    });
  }

  // A finished recording: its key store entry and its (stand-in) file.
  void AddRecording(const std::string& id, int64_t expires_s,
                    std::vector<std::string> participants) {
    RecordingEntry e;
    e.id = id;
    e.room = "board";
    e.region = "eu";
    e.started_s = NowS() - 7200;
    e.ended_s = NowS() - 3600;
    e.expires_s = expires_s;
    e.participants = std::move(participants);
    ASSERT_TRUE(store_->Create(e, ring_).ok());
    std::ofstream(dir_ + "/eu/" + id + ".tsrec") << "ciphertext";
  }
  bool KeyExists(const std::string& id) { return std::filesystem::exists(store_->PathFor(id)); }
  bool FileExists(const std::string& id) {
    return std::filesystem::exists(dir_ + "/eu/" + id + ".tsrec");
  }

  control::HttpResponse Post(const std::string& path, const std::string& body,
                             const std::string& token = kToken) {
    control::HttpRequest r;
    r.method = "POST";
    r.path = path;
    r.body = body;
    r.source_address = "127.0.0.7";
    r.headers["authorization"] = "Bearer " + token;
    return service_->Handle(r);
  }

  std::vector<audit::Event> Events(const std::string& name) {
    std::lock_guard lock(mu_);
    std::vector<audit::Event> out;
    for (const auto& e : events_) {
      if (e.name == name) out.push_back(e);
    }
    return out;
  }

  std::string dir_;
  LocalKeyRing ring_;
  std::unique_ptr<KeyStore> store_;
  RecorderConfig config_;
  std::vector<std::string> start_participants_;
  std::unique_ptr<RecorderService> service_;
  std::mutex mu_;
  std::vector<audit::Event> events_;
};

std::vector<std::string> Ids(const nlohmann::json& list) {
  std::vector<std::string> ids;
  for (const auto& r : list)
    ids.push_back(r.is_string() ? r.get<std::string>() : r.value("id", ""));
  return ids;
}

TEST_F(RecorderServiceTest, ErasureDeletesEveryRecordingOfTheIdentityAndAuditsIt) {
  AddRecording("r1", NowS() + 86400, {"alice", "bob"});
  AddRecording("r2", NowS() + 86400, {"alice"});
  AddRecording("r3", NowS() + 86400, {"bob"});
  MakeService();
  service_->Start();

  auto r = Post("/v1/erasures", R"({"identity":"alice"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["identity"], "alice");
  EXPECT_EQ(body["dry_run"], false);
  EXPECT_THAT(Ids(body["recordings"]), UnorderedElementsAre("r1", "r2"));
  EXPECT_EQ(body["recordings"][0]["room"], "board");
  EXPECT_THAT(body["in_progress"], IsEmpty());
  EXPECT_THAT(body["problems"], IsEmpty());
  EXPECT_FALSE(KeyExists("r1"));
  EXPECT_FALSE(FileExists("r1"));
  EXPECT_FALSE(KeyExists("r2"));
  EXPECT_TRUE(KeyExists("r3"));
  EXPECT_TRUE(FileExists("r3"));

  const auto requested = Events("erasure.requested");
  ASSERT_EQ(requested.size(), 1u);
  EXPECT_EQ(requested[0].fields["identity"], "alice");
  EXPECT_EQ(requested[0].fields["source"], "127.0.0.7");
  const auto deleted = Events("recording.deleted");
  ASSERT_EQ(deleted.size(), 2u);
  for (const auto& e : deleted) {
    EXPECT_EQ(e.fields["reason"], "erasure");
    EXPECT_EQ(e.fields["identity"], "alice");
    EXPECT_EQ(e.fields["result"], "ok");
  }
}

TEST_F(RecorderServiceTest, DryRunListsAndDeletesNothing) {
  AddRecording("r1", NowS() + 86400, {"alice"});
  MakeService();
  service_->Start();
  auto r = Post("/v1/erasures", R"({"identity":"alice","dry_run":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["dry_run"], true);
  EXPECT_THAT(Ids(body["recordings"]), ElementsAre("r1"));
  EXPECT_TRUE(KeyExists("r1"));
  EXPECT_TRUE(FileExists("r1"));
  EXPECT_THAT(Events("recording.deleted"), IsEmpty());
  EXPECT_EQ(Events("erasure.requested").size(), 1u);
}

TEST_F(RecorderServiceTest, ErasureRefusesABadBodyAndAWrongToken) {
  MakeService();
  service_->Start();
  for (const char* body : {"", "[]", "{}", R"({"identity":""})", R"({"identity":5})",
                           R"({"identity":"a","dry_run":"yes"})"}) {
    EXPECT_EQ(Post("/v1/erasures", body).status, 422) << body;
  }
  EXPECT_EQ(Post("/v1/erasures", R"({"identity":"alice"})", "wrong").status, 401);
  control::HttpRequest get;
  get.method = "GET";
  get.path = "/v1/erasures";
  get.headers["authorization"] = std::string("Bearer ") + kToken;
  EXPECT_EQ(service_->Handle(get).status, 405);
  EXPECT_THAT(Events("erasure.requested"), IsEmpty());
}

TEST_F(RecorderServiceTest, ARecordingBeingRecordedIsNotErasedButNamed) {
  start_participants_ = {"alice"};
  AddRecording("done", NowS() + 86400, {"alice"});
  MakeService();
  service_->Start();
  auto info = service_->StartRecording("board", "", "eu", "live1");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_TRUE(service_->InProgress("live1"));
  const auto started = Events("recording.started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].fields["recording"], "live1");

  auto r = Post("/v1/erasures", R"({"identity":"alice"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_THAT(Ids(body["recordings"]), ElementsAre("done"));
  EXPECT_THAT(Ids(body["in_progress"]), ElementsAre("live1"));
  EXPECT_THAT(body.value("note", ""), HasSubstr("stop them"));
  EXPECT_TRUE(KeyExists("live1"));

  // Once stopped, the same request takes it.
  ASSERT_TRUE(service_->StopRecording("live1").ok());
  EXPECT_FALSE(service_->InProgress("live1"));
  const auto stopped = Events("recording.stopped");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].fields["recording"], "live1");
  EXPECT_TRUE(stopped[0].fields.contains("bytes"));
  EXPECT_TRUE(stopped[0].fields.contains("gaps"));
  r = Post("/v1/erasures", R"({"identity":"alice"})");
  ASSERT_EQ(r.status, 200) << r.body;
  body = nlohmann::json::parse(r.body);
  EXPECT_THAT(Ids(body["recordings"]), ElementsAre("live1"));
  EXPECT_THAT(body["in_progress"], IsEmpty());
  EXPECT_FALSE(KeyExists("live1"));
}

TEST_F(RecorderServiceTest, SweepNowDeletesExpiredButNotRunningRecordings) {
  start_participants_ = {};
  AddRecording("old", NowS() - 10, {});
  AddRecording("young", NowS() + 86400, {});
  MakeService();
  service_->Start();
  auto r = service_->SweepNow();
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->deleted, ElementsAre("old"));
  EXPECT_FALSE(KeyExists("old"));
  EXPECT_FALSE(FileExists("old"));
  EXPECT_TRUE(KeyExists("young"));
  const auto deleted = Events("recording.deleted");
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].fields["reason"], "retention");
  EXPECT_EQ(deleted[0].fields["recording"], "old");
}

TEST_F(RecorderServiceTest, WithoutAKeyStoreSweepAndErasureSaySo) {
  config_.key_store_dir.clear();
  MakeService();
  service_->Start();
  EXPECT_EQ(service_->SweepNow().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Post("/v1/erasures", R"({"identity":"alice"})").status, 409);
}

// The timer: a sweep at start, then one every sweep_interval_s (1 s here), each reported to the
// observer; the test waits for the reports, not for time.
TEST_F(RecorderServiceTest, TheTimerSweepsAtStartAndThenEveryInterval) {
  config_.sweep_interval_s = 1;
  AddRecording("first", NowS() - 10, {});
  MakeService();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SweepResult> sweeps;
  service_->SetSweepObserver([&](const SweepResult& r) {
    std::lock_guard lock(mu);
    sweeps.push_back(r);
    cv.notify_all();
  });
  service_->Start();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kPatience, [&] { return sweeps.size() >= 1; }));
    EXPECT_THAT(sweeps[0].deleted, ElementsAre("first"));
  }
  EXPECT_FALSE(KeyExists("first"));
  AddRecording("second", NowS() - 10, {});
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kPatience, [&] {
      for (const auto& s : sweeps) {
        if (!s.deleted.empty() && s.deleted[0] == "second") return true;
      }
      return false;
    }));
  }
  EXPECT_FALSE(KeyExists("second"));
  service_->Shutdown();  // the timer stops with it
}

TEST(RecorderConfigTest, SweepIntervalAndAuditBlock) {
  const std::string base =
      "api_token_file: /t\nmcu: {url: 'http://m', token_file: /m}\nkey_file: /k\n"
      "key_store_dir: /s\nstorage: {eu: /r}\n";
  auto c = ParseRecorderConfig(base, "test");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->sweep_interval_s, 3600u);
  EXPECT_TRUE(c->audit.path.empty());

  c = ParseRecorderConfig(base +
                              "sweep_interval_s: 0\naudit: {path: /a.log, key_file: /a.pem, "
                              "key_id: rec-1}\n",
                          "test");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->sweep_interval_s, 0u);
  EXPECT_EQ(c->audit.path, "/a.log");
  EXPECT_EQ(c->audit.key_file, "/a.pem");
  EXPECT_EQ(c->audit.key_id, "rec-1");

  c = ParseRecorderConfig(base + "sweep_interval_s: -1\naudit: {path: /a.log, colour: red}\n",
                          "test");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("sweep_interval_s"));
  EXPECT_THAT(c.status().message(), HasSubstr("audit.colour"));
  EXPECT_THAT(c.status().message(), HasSubstr("audit.key_file"));
}

}  // namespace
}  // namespace tessera::recorder
