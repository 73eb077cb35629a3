// The checks a participant joining a running room passes (the config's rules, on the struct).
#include "session/room_participant_check.h"

#include <gtest/gtest.h>

namespace tessera::session {
namespace {

RoomConfig VideoRoom() {
  RoomConfig room;
  room.name = "r";
  room.video.emplace();
  room.video->profiles.push_back({.name = "hd"});
  return room;
}

RoomParticipantConfig Talker() {
  RoomParticipantConfig pc;
  pc.name = "sip-alice@example.com";
  pc.remote_address = "192.0.2.7";
  pc.remote_rtp_port = 40000;
  return pc;
}

// The check's message for pc (empty when it passes).
std::string Problem(const RoomParticipantConfig& pc, const RoomConfig& room = VideoRoom()) {
  const Status s = CheckRoomParticipant(room, pc);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return s.message();
}

TEST(RoomParticipantCheck, AcceptsAudioVideoAndViewers) {
  EXPECT_EQ(Problem(Talker()), "");
  RoomParticipantConfig both = Talker();
  both.video.emplace();
  both.video->profile = "hd";
  both.video->remote_rtp_port = 40002;
  EXPECT_EQ(Problem(both), "");
  RoomParticipantConfig viewer = Talker();
  viewer.has_audio = false;
  viewer.remote_rtp_port = 0;
  viewer.video.emplace();
  viewer.video->send = false;
  viewer.video->remote_rtp_port = 40002;
  EXPECT_EQ(Problem(viewer), "");
}

TEST(RoomParticipantCheck, NamesTheFieldAndTheReason) {
  RoomParticipantConfig pc = Talker();
  pc.name = "two words";
  EXPECT_NE(Problem(pc).find("only letters, digits"), std::string::npos);
  pc.name = "";
  EXPECT_EQ(Problem(pc), "participant name: must be 1 to 64 characters");
  pc = Talker();
  pc.remote_address = "sip.example.com";
  EXPECT_NE(Problem(pc).find("remote_address: must be an IPv4 or IPv6 address"), std::string::npos);
  pc = Talker();
  pc.remote_rtp_port = 0;
  EXPECT_NE(Problem(pc).find("remote_rtp_port: is required"), std::string::npos);
  pc = Talker();
  pc.audio_codec = rtp::Codec::kH264;
  EXPECT_NE(Problem(pc).find("audio.codec"), std::string::npos);
  pc = Talker();
  pc.audio_codec = rtp::Codec::kPcmu;
  pc.audio_channels = 2;
  EXPECT_NE(Problem(pc).find("only Opus carries stereo"), std::string::npos);
  pc = Talker();
  pc.local_port = 80;
  EXPECT_NE(Problem(pc).find("local_port"), std::string::npos);
  pc = Talker();
  pc.has_audio = false;
  EXPECT_NE(Problem(pc).find("neither audio nor video"), std::string::npos);
}

TEST(RoomParticipantCheck, VideoNeedsARoomWithVideoAndAKnownProfile) {
  RoomParticipantConfig pc = Talker();
  pc.video.emplace();
  RoomConfig audio_only;
  audio_only.name = "talk";
  EXPECT_NE(Problem(pc, audio_only).find("room talk has no video"), std::string::npos);
  pc.video->profile = "uhd";
  EXPECT_NE(Problem(pc).find("no profile 'uhd'"), std::string::npos);
  pc.video->profile.clear();
  pc.video->codec = rtp::Codec::kOpus;
  EXPECT_NE(Problem(pc).find("video.codec"), std::string::npos);
  pc.video->codec = rtp::Codec::kVp8;
  pc.video->payload_type = 8;
  EXPECT_NE(Problem(pc).find("video.payload_type"), std::string::npos);
  pc.video->payload_type = 97;
  pc.video->send = false;
  EXPECT_NE(Problem(pc).find("neither sends"), std::string::npos);
}

}  // namespace
}  // namespace tessera::session
