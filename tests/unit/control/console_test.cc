#include <gtest/gtest.h>
#include <tessera/control/console.h>

#include <nlohmann/json.hpp>
#include <string>

#include "unit/control/fake_directory.h"

namespace tessera::control {
namespace {

using testing::FakeDirectory;
using testing::FakeHooks;
using testing::FakeSip;

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session::RoomConfig vid;
    vid.name = "vid";
    vid.video.emplace();
    vid.video->profiles.push_back({});
    session::RoomParticipantConfig host;
    host.name = "host";
    vid.participants.push_back(host);
    session::RoomParticipantConfig camera;
    camera.name = "camera";
    camera.video.emplace();
    vid.participants.push_back(camera);
    rooms_.AddRoom(vid);
    session::RoomConfig talk;
    talk.name = "talk";
    rooms_.AddRoom(talk);
  }

  FakeDirectory rooms_;
};

TEST_F(ConsoleTest, ParticipantsListsTheRosterWithoutLiveStats) {
  Console console(rooms_);
  const std::string answer = console.Handle("participants vid");
  const std::string prefix = "ok participants vid ";
  ASSERT_EQ(answer.rfind(prefix, 0), 0u) << answer;
  const auto list = nlohmann::json::parse(answer.substr(prefix.size()));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (nlohmann::json{{"id", 1},
                                     {"name", "host"},
                                     {"joined", "config"},
                                     {"joined_at", "2027-01-15T08:00:00Z"},
                                     {"admitted", true},
                                     {"audio_port", 20000},
                                     {"consent", "unknown"}}));
  EXPECT_TRUE(list[1].contains("video_port"));
  EXPECT_FALSE(list[1].contains("video"));
  EXPECT_EQ(console.Handle("participants nowhere"), "error: no room 'nowhere'");
  EXPECT_EQ(console.Handle("participants"), "error: participants takes a room");
}

TEST_F(ConsoleTest, KickAndThePictureCommandsEchoTheLine) {
  Console console(rooms_);
  EXPECT_EQ(console.Handle("layout vid speaker"), "ok layout vid speaker");
  EXPECT_EQ(rooms_.room("vid")->layout, "speaker");
  EXPECT_EQ(console.Handle("pin vid camera"), "ok pin vid camera");
  EXPECT_EQ(console.Handle("unpin vid camera"), "ok unpin vid camera");
  EXPECT_EQ(console.Handle("speaker vid host"), "ok speaker vid host");
  EXPECT_EQ(rooms_.log, (std::vector<std::string>{"SetLayout vid speaker", "Pin vid camera",
                                                  "Unpin vid camera", "SetSpeaker vid host"}));
  EXPECT_EQ(console.Handle("pin vid nobody").rfind("error: ", 0), 0u);
  EXPECT_EQ(console.Handle("layout talk grid").rfind("error: ", 0), 0u);
  EXPECT_EQ(console.Handle("layout vid"), "error: layout takes a room and one argument");

  EXPECT_EQ(console.Handle("kick vid host"), "ok kick vid host");
  EXPECT_EQ(console.Handle("kick vid host"), "error: room 'vid' has no participant 'host'");
  EXPECT_EQ(console.Handle("kick nowhere host"), "error: no room 'nowhere'");
  EXPECT_EQ(console.Handle("kick vid"), "error: kick takes a room and a participant");
}

TEST_F(ConsoleTest, StatsAnswersTheLiveObjects) {
  Console console(rooms_);
  const std::string answer = console.Handle("stats vid");
  ASSERT_EQ(answer.rfind("ok stats [", 0), 0u) << answer;
  const auto stats = nlohmann::json::parse(answer.substr(9));
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[1]["media"], "video");
  EXPECT_EQ(nlohmann::json::parse(console.Handle("stats").substr(9)).size(), 3u);
  EXPECT_EQ(console.Handle("stats nowhere"), "error: no room 'nowhere'");
  EXPECT_EQ(console.Handle("stats a b"), "error: stats takes at most a room");
  EXPECT_EQ(console.Handle(""), "error: empty command");
  EXPECT_EQ(console.Handle("dance").rfind("error: unknown command 'dance' (known: ", 0), 0u);
}

TEST_F(ConsoleTest, SipCommandsWithoutSipSaySo) {
  Console console(rooms_);
  for (const char* line : {"calls", "sipstats", "hangup x", "dial vid sip:1@10.0.0.1"}) {
    EXPECT_EQ(console.Handle(line), "error: SIP is not enabled") << line;
  }
}

TEST_F(ConsoleTest, SipCommandsAnswerAsTheUserAgentDid) {
  FakeSip sip;
  ControlService service(rooms_, FakeHooks(&sip));
  Console console(service);
  const std::string dialled = console.Handle("dial vid sip:4711@10.0.0.9 bob");
  EXPECT_EQ(dialled, "ok dial vid call1@tessera");
  const std::string calls = console.Handle("calls");
  ASSERT_EQ(calls.rfind("ok calls [", 0), 0u) << calls;
  const auto list = nlohmann::json::parse(calls.substr(9));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["participant"], "bob");
  EXPECT_EQ(console.Handle("calls now"), "error: calls takes no argument");
  EXPECT_EQ(console.Handle("sipstats").rfind("ok sipstats {", 0), 0u);
  EXPECT_EQ(console.Handle("dial vid"), "error: dial takes a room, a SIP URI and a name");
  EXPECT_EQ(console.Handle("dial vid tel:1"), "error: not a SIP URI: tel:1");
  EXPECT_EQ(console.Handle("hangup"), "error: hangup takes a Call-ID");
  EXPECT_EQ(console.Handle("hangup call1@tessera"), "ok hangup call1@tessera");
  EXPECT_EQ(console.Handle("hangup call1@tessera"), "error: no call call1@tessera");
}

}  // namespace
}  // namespace tessera::control
