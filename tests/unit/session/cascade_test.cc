#include <gtest/gtest.h>
#include <tessera/session/cascade.h>

namespace tessera::session {
namespace {

RoomConfig Room() {
  RoomConfig r;
  r.name = "allhands";
  r.cascade.per_node = 10;
  r.sip.numbers = {"4000"};
  r.sip.pin = "1234";
  RoomParticipantConfig p;
  p.name = "alice";
  r.participants.push_back(p);
  RoomVideoConfig v;
  VideoProfile hd;
  hd.name = "hd";
  hd.codec = rtp::Codec::kVp8;
  hd.width = 640;
  hd.height = 360;
  hd.bitrate_bps = 800'000;
  VideoProfile small = hd;
  small.name = "small";
  v.profiles = {hd, small};
  v.layout = "speaker";
  v.border_px = 4;
  v.record = "room.mp4";
  r.video = v;
  return r;
}

TEST(ShareRoom, IsTheRoomWithoutItsOwnPeopleAndWithASubCanvasProfileFirst) {
  const RoomConfig share = ShareRoom(Room(), "n1");
  ASSERT_TRUE(share.share.has_value());
  EXPECT_EQ(share.share->primary, "n1");
  EXPECT_EQ(share.name, "allhands");
  EXPECT_TRUE(share.participants.empty()) << "the primary's participants stay there";
  EXPECT_TRUE(share.sip.numbers.empty());
  EXPECT_TRUE(share.sip.pin.empty());
  ASSERT_TRUE(share.video.has_value());
  const RoomVideoConfig& v = *share.video;
  ASSERT_EQ(v.profiles.size(), 3u);
  EXPECT_EQ(v.profiles[0].name, "cascade");
  EXPECT_EQ(v.profiles[0].codec, rtp::Codec::kVp8) << "what the primary's link decodes";
  EXPECT_EQ(v.profiles[0].width, 640);
  EXPECT_EQ(v.profiles[0].bitrate_bps, 2'400'000) << "three times the room's first profile";
  EXPECT_EQ(v.profiles[1].name, "hd") << "the names participants ask for stay";
  EXPECT_EQ(v.layout, "grid");
  EXPECT_EQ(v.fit, mixer::FitPolicy::kCrop);
  EXPECT_EQ(v.border_px, 0);
  EXPECT_FALSE(v.name_labels) << "the primary draws the names";
  EXPECT_FALSE(v.highlight_speaker);
  EXPECT_TRUE(v.record.empty());
}

TEST(ShareRoom, CapsTheSubCanvasBitrate) {
  RoomConfig r = Room();
  r.video->profiles[0].bitrate_bps = 6'000'000;
  EXPECT_EQ(ShareRoom(r, "n1").video->profiles[0].bitrate_bps, 8'000'000);
}

TEST(CascadeParticipants, TheUplinkSendsTheSubCanvasAndTheLinkReceivesTheFirstProfile) {
  const RoomConfig share = ShareRoom(Room(), "n1");
  const RoomParticipantConfig up = UplinkParticipant(share);
  EXPECT_EQ(up.name, kUplinkName);
  EXPECT_EQ(up.cascade, CascadeRole::kUplink);
  EXPECT_EQ(up.audio_codec, rtp::Codec::kOpus);
  ASSERT_TRUE(up.video.has_value());
  EXPECT_TRUE(up.video->send);
  EXPECT_EQ(up.video->profile, "cascade");
  EXPECT_EQ(up.video->codec, rtp::Codec::kVp8);
  EXPECT_FALSE(up.video->adapt);

  const RoomParticipantConfig link = LinkParticipant(Room(), "n2", "10.0.0.2", 30000, 30002);
  EXPECT_EQ(link.name, "cascade-n2");
  EXPECT_EQ(link.cascade, CascadeRole::kLink);
  EXPECT_EQ(link.remote_address, "10.0.0.2");
  EXPECT_EQ(link.remote_rtp_port, 30000);
  ASSERT_TRUE(link.video.has_value());
  EXPECT_EQ(link.video->remote_rtp_port, 30002);
  EXPECT_EQ(link.video->profile, "hd");
  EXPECT_EQ(link.video->codec, rtp::Codec::kVp8);
}

TEST(CascadeLayoutJson, RoundTripsAndKeepsOnlyCellsInsideTheCanvas) {
  CascadeLayout l;
  l.width = 640;
  l.height = 360;
  l.cells = {{"p11", {0, 0, 160, 120}}, {"p12", {160, 0, 160, 120}}};
  EXPECT_EQ(CascadeLayoutFromJson(CascadeLayoutJson(l)), l);

  const nlohmann::json bad = nlohmann::json::parse(R"({"width": 640, "height": 360, "cells": [
      {"name": "outside", "x": 600, "y": 0, "width": 160, "height": 120},
      {"name": "", "x": 0, "y": 0, "width": 10, "height": 10},
      {"name": 7, "x": 0, "y": 0, "width": 10, "height": 10},
      {"name": "negative", "x": -2, "y": 0, "width": 10, "height": 10},
      {"name": "huge", "x": 0, "y": 0, "width": 18446744073709551615, "height": 10},
      {"name": "ok", "x": 0, "y": 0, "width": 10, "height": 10}]})");
  const CascadeLayout kept = CascadeLayoutFromJson(bad);
  ASSERT_EQ(kept.cells.size(), 1u);
  EXPECT_EQ(kept.cells[0].name, "ok");

  for (const char* text :
       {R"([])", R"({"width": 0, "height": 360, "cells": []})",
        R"({"width": 100000, "height": 360, "cells": []})", R"({"width": 640, "height": 360})"}) {
    const CascadeLayout none = CascadeLayoutFromJson(nlohmann::json::parse(text));
    EXPECT_TRUE(none.cells.empty()) << text;
    EXPECT_EQ(none.width, 0) << text;
  }
}

}  // namespace
}  // namespace tessera::session
