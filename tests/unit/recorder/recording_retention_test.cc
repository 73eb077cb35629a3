// Per-recording retention on the running recorder: POST /v1/recordings takes the MCU's
// retention_days, the key store entry of the process's own sinks (DefaultSinkFactory) expires
// that many days after the start, the recorder's max_retention_days caps it, and a bad value is
// refused with nothing recorded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <tessera/base/clock.h>
#include <tessera/base/time_format.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/recorder_config.h>
#include <tessera/recorder/recorder_service.h>
#include <tessera/recorder/run_command.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace tessera::recorder {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "test-token";
constexpr int64_t kDay = 86400;

class RecordingRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "recording_retention_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/keys");
    std::filesystem::create_directory(dir_ + "/eu");
    LocalKeyRing ring;
    auto kek = SecretKey::Random();
    ASSERT_TRUE(kek.ok());
    ASSERT_TRUE(ring.AddKey("k1", *kek).ok());
    ASSERT_TRUE(ring.SetActive("k1").ok());
    ASSERT_TRUE(ring.Save(dir_ + "/kek.json").ok());
    config_.mcu_url = "http://127.0.0.1:9";  // nobody: the recording's client keeps retrying
    config_.media_bind_address = "127.0.0.1";
    config_.key_file = dir_ + "/kek.json";
    config_.key_store_dir = dir_ + "/keys";
    config_.storage = {{"eu", dir_ + "/eu"}};
    config_.sweep_interval_s = 0;
    config_.retention_days = 30;
  }
  void TearDown() override {
    if (service_) service_->Shutdown();
    service_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    auto sinks = DefaultSinkFactory(config_);
    ASSERT_TRUE(sinks.ok()) << sinks.status().message();
    service_ = std::make_unique<RecorderService>(config_, kToken, "mcu-token", std::move(*sinks),
                                                 SystemClock());
    service_->Start();
  }
  control::HttpResponse Post(const nlohmann::json& body) {
    control::HttpRequest r;
    r.method = "POST";
    r.path = "/v1/recordings";
    r.body = body.dump();
    r.source_address = "127.0.0.7";
    r.headers["authorization"] = std::string("Bearer ") + kToken;
    return service_->Handle(r);
  }
  // The key store entry's expiry against its start, in days; checks the answer's too.
  int64_t KeptDays(const control::HttpResponse& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    const auto answer = nlohmann::json::parse(r.body, nullptr, false);
    const std::string id = answer.value("id", "");
    KeyStore store(config_.key_store_dir);
    auto entry = store.Load(id);
    EXPECT_TRUE(entry.ok()) << id;
    if (!entry.ok()) return -1;
    EXPECT_EQ((entry->expires_s - entry->started_s) % kDay, 0);
    const int64_t days = (entry->expires_s - entry->started_s) / kDay;
    EXPECT_EQ(answer.value("retention_days", 0), days) << r.body;
    EXPECT_EQ(answer.value("expires", ""), FormatRfc3339(entry->expires_s)) << r.body;
    return days;
  }

  std::string dir_;
  RecorderConfig config_;
  std::unique_ptr<RecorderService> service_;
};

TEST_F(RecordingRetentionTest, EachRecordingExpiresAfterItsOwnRetention) {
  Start();
  EXPECT_EQ(KeptDays(Post({{"room", "board"}, {"id", "seven"}, {"retention_days", 7}})), 7);
  EXPECT_EQ(KeptDays(Post({{"room", "hall"}, {"id", "default"}})), 30) << "the config's";
  // The listing says the same.
  const auto list = service_->ListJson();
  ASSERT_EQ(list.size(), 2u);
  for (const std::string& text : list) {
    const auto j = nlohmann::json::parse(text);
    EXPECT_EQ(j["retention_days"], j["id"] == "seven" ? 7 : 30) << text;
    EXPECT_TRUE(j["expires"].is_string()) << text;
  }
}

TEST_F(RecordingRetentionTest, MaxRetentionDaysCapsWhatIsAskedFor) {
  config_.max_retention_days = 90;
  Start();
  EXPECT_EQ(KeptDays(Post({{"room", "board"}, {"id", "long"}, {"retention_days", 3650}})), 90);
  EXPECT_EQ(KeptDays(Post({{"room", "hall"}, {"id", "short"}, {"retention_days", 89}})), 89);
}

TEST_F(RecordingRetentionTest, ABadRetentionIsRefusedAndNothingIsRecorded) {
  Start();
  for (const nlohmann::json& bad : {nlohmann::json(0), nlohmann::json(36501), nlohmann::json(-3),
                                    nlohmann::json("7"), nlohmann::json(7.5)}) {
    const auto r = Post({{"room", "board"}, {"id", "bad"}, {"retention_days", bad}});
    EXPECT_EQ(r.status, 422) << bad.dump();
    EXPECT_THAT(r.body, HasSubstr("retention_days")) << bad.dump();
  }
  EXPECT_TRUE(service_->ListJson().empty());
  EXPECT_TRUE(std::filesystem::is_empty(config_.key_store_dir));
  EXPECT_EQ(service_->StartRecording("board", "", "eu", "direct", 36501).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RecorderConfigRetentionTest, MaxRetentionDaysIsReadAndBoundsTheDefault) {
  const std::string base =
      "api_token_file: /t\nmcu: {url: 'http://m', token_file: /m}\nkey_file: /k\n"
      "key_store_dir: /s\nstorage: {eu: /r}\n";
  auto c = ParseRecorderConfig(base, "test");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_retention_days, 36500u);
  c = ParseRecorderConfig(base + "retention_days: 10\nmax_retention_days: 365\n", "test");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_retention_days, 365u);
  c = ParseRecorderConfig(base + "retention_days: 400\nmax_retention_days: 365\n", "test");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("must not exceed max_retention_days (365)"));
  c = ParseRecorderConfig(base + "max_retention_days: 0\n", "test");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("max_retention_days"));
}

}  // namespace
}  // namespace tessera::recorder
