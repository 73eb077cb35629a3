#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/recorder/mcu_client.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tessera::recorder {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The MCU's participant objects as src/control/room_json.cc writes them (id, name, admitted,
// audio_port / video_port when the leg exists).
nlohmann::json Participant(uint32_t id, const std::string& name, bool audio = true,
                           bool video = false) {
  nlohmann::json p = {{"id", id},         {"name", name},        {"joined", "runtime"},
                      {"admitted", true}, {"transport", "rtp"},  {"muted", false},
                      {"deaf", false},    {"consent", "unknown"}};
  if (audio) p["audio_port"] = 40000 + id;
  if (video) p["video_port"] = 41000 + id;
  return p;
}

std::string List(std::vector<nlohmann::json> participants) {
  return nlohmann::json{{"participants", participants}}.dump();
}

TEST(ParseRoomParticipantsTest, NamesThoseWhoSendAndFindsTheRecorderByItsId) {
  const auto list = ParseRoomParticipants(
      List({Participant(3, "carol", true, true), Participant(1, "alice"),
            Participant(7, "recorder-abc", true, true), Participant(2, "bob", false, true)}),
      7, "recorder-abc");
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->self_present);
  EXPECT_THAT(list->senders, ElementsAre("alice", "bob", "carol"));
}

TEST(ParseRoomParticipantsTest, LeavesOutViewersOtherRecordersAndThoseWaitingForTheirPin) {
  nlohmann::json waiting = Participant(4, "dave");
  waiting["admitted"] = false;
  const auto list = ParseRoomParticipants(
      List({Participant(1, "alice"), Participant(2, "erin.viewer", true, true),
            Participant(3, "recorder-other"), waiting, Participant(5, "no-legs", false, false)}),
      9, "recorder-me");
  ASSERT_TRUE(list.has_value());
  EXPECT_FALSE(list->self_present);  // id 9 is not in the list: the recorder must re-join
  EXPECT_THAT(list->senders, ElementsAre("alice"));
}

TEST(ParseRoomParticipantsTest, ASendsFieldWinsOverTheNameRules) {
  nlohmann::json quiet = Participant(1, "frank");
  quiet["sends"] = false;
  nlohmann::json speaker = Participant(2, "grace.viewer");
  speaker["sends"] = true;
  const auto list = ParseRoomParticipants(List({quiet, speaker}), 3, "recorder-x");
  ASSERT_TRUE(list.has_value());
  EXPECT_THAT(list->senders, ElementsAre("grace.viewer"));
}

TEST(ParseRoomParticipantsTest, LeavesOutThoseTheRecordingLeavesOut) {
  nlohmann::json shy = Participant(1, "shy");
  shy["recorded"] = false;
  nlohmann::json cam = Participant(2, "cam");
  cam["recorded"] = true;
  const auto list = ParseRoomParticipants(List({shy, cam}), 3, "recorder-x");
  ASSERT_TRUE(list.has_value());
  EXPECT_THAT(list->senders, ElementsAre("cam"));
}

TEST(ParseRoomParticipantsTest, WithoutAnIdTheRecorderIsFoundByName) {
  const auto list = ParseRoomParticipants(
      List({Participant(1, "alice"), Participant(1, "alice"), Participant(8, "recorder-x")}),
      std::nullopt, "recorder-x");
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->self_present);
  EXPECT_THAT(list->senders, ElementsAre("alice"));  // each name once
}

TEST(ParseRoomParticipantsTest, RefusesWhatIsNotAParticipantList) {
  EXPECT_FALSE(ParseRoomParticipants("not json", 1, "r").has_value());
  EXPECT_FALSE(ParseRoomParticipants("[]", 1, "r").has_value());
  EXPECT_FALSE(ParseRoomParticipants(R"({"participants":{}})", 1, "r").has_value());
  const auto odd = ParseRoomParticipants(R"({"participants":[1,"x",{"name":5}]})", 1, "r");
  ASSERT_TRUE(odd.has_value());
  EXPECT_FALSE(odd->self_present);
  EXPECT_THAT(odd->senders, IsEmpty());
}

}  // namespace
}  // namespace tessera::recorder
