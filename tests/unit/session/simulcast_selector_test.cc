// A simulcast publisher's layers (session::SimulcastSelector): the first layer to start a picture
// is decoded, a tile picks the smallest layer that covers it, switches wait for that layer's
// keyframe (asked for with a PLI on its SSRC), other layers and unnamed streams are not decoded.
#include "session/simulcast_selector.h"

#include <gtest/gtest.h>

namespace tessera::session {
namespace {

constexpr uint8_t kRid = 10, kRepaired = 11;
const std::vector<std::string> kRids = {"q", "h", "f"};
constexpr uint32_t kSsrc[3] = {100, 200, 300};
constexpr uint32_t kRtxSsrc[3] = {101, 201, 301};
constexpr int kSize[3][2] = {{320, 180}, {640, 360}, {1280, 720}};

// A VP8 packet of layer `layer`: a key frame's first partition with its size, or a delta.
rtp::RtpPacket Vp8(size_t layer, bool key, bool named = true) {
  std::vector<uint8_t> payload = {0x10};  // S, PID 0, no extensions
  if (key) {
    const int w = kSize[layer][0], h = kSize[layer][1];
    payload.insert(payload.end(), {0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, static_cast<uint8_t>(w),
                                   static_cast<uint8_t>(w >> 8), static_cast<uint8_t>(h),
                                   static_cast<uint8_t>(h >> 8)});
  } else {
    payload.insert(payload.end(), {0x01, 0x00, 0x00});  // P = 1: an inter frame
  }
  rtp::RtpHeader header;
  header.payload_type = 96;
  header.ssrc = kSsrc[layer];
  std::vector<rtp::ExtensionElement> ext;
  if (named) ext.push_back({kRid, {kRids[layer].begin(), kRids[layer].end()}});
  return rtp::RtpPacket::Build(header, ext, payload);
}

rtp::RtpPacket Rtx(size_t layer) {
  rtp::RtpHeader header;
  header.payload_type = 97;
  header.ssrc = kRtxSsrc[layer];
  const std::vector<rtp::ExtensionElement> ext = {
      {kRepaired, {kRids[layer].begin(), kRids[layer].end()}}};
  const std::vector<uint8_t> payload = {0x00, 0x07, 0x10, 0x01};  // OSN 7, then a delta
  return rtp::RtpPacket::Build(header, ext, payload);
}

using Verdict = SimulcastSelector::Verdict;

TEST(StartsKeyframe, Vp8KeyAndDeltaAndH264Units) {
  auto k = StartsKeyframe(rtp::Codec::kVp8, Vp8(1, true).payload());
  ASSERT_TRUE(k);
  EXPECT_EQ(k->width, 640);
  EXPECT_EQ(k->height, 360);
  EXPECT_FALSE(StartsKeyframe(rtp::Codec::kVp8, Vp8(1, false).payload()));
  const uint8_t idr[] = {0x65, 0x88};
  const uint8_t fu_idr_start[] = {0x7c, 0x85, 0x00};
  const uint8_t fu_idr_middle[] = {0x7c, 0x05, 0x00};
  const uint8_t non_idr[] = {0x41, 0x9a};
  EXPECT_TRUE(StartsKeyframe(rtp::Codec::kH264, idr));
  EXPECT_TRUE(StartsKeyframe(rtp::Codec::kH264, fu_idr_start));
  EXPECT_FALSE(StartsKeyframe(rtp::Codec::kH264, fu_idr_middle));
  EXPECT_FALSE(StartsKeyframe(rtp::Codec::kH264, non_idr));
  const uint8_t stap_bad[] = {0x78, 0x00, 0x40, 0x67};  // a size past the end
  EXPECT_FALSE(StartsKeyframe(rtp::Codec::kH264, stap_bad));
  EXPECT_FALSE(StartsKeyframe(rtp::Codec::kH264, {}));
}

TEST(SimulcastSelector, DecodesTheLayerThatCoversTheTileAndSwitchesAtItsKeyframe) {
  SimulcastSelector s(rtp::Codec::kVp8, kRids, kRid, kRepaired);
  int64_t now = 1'000'000;
  // Nothing decoded yet: the first layer to start a picture is taken.
  EXPECT_EQ(s.OnPacket(Vp8(2, false), false, now).verdict, Verdict::kSkip);
  EXPECT_EQ(s.OnPacket(Vp8(0, true), false, now).verdict, Verdict::kDecode);
  EXPECT_EQ(s.OnPacket(Vp8(1, true), false, now).verdict, Verdict::kSkip);
  EXPECT_EQ(s.OnPacket(Vp8(2, true), false, now).verdict, Verdict::kSkip);
  EXPECT_EQ(s.selected(), 0u);
  EXPECT_EQ(s.layer_size(2), (std::pair<int, int>{1280, 720}));

  // A 320x360 tile (two columns of a 640x360 grid): the half layer covers it, the quarter not.
  s.SetTile(320, 360);
  ASSERT_EQ(s.target(), 1u);
  auto d = s.OnPacket(Vp8(0, false), false, now += 10'000);
  EXPECT_EQ(d.verdict, Verdict::kDecode) << "the old layer plays on until the switch";
  EXPECT_EQ(d.keyframe_from, kSsrc[1]) << "a PLI on the layer switched to";
  EXPECT_FALSE(s.OnPacket(Vp8(0, false), false, now += 10'000).keyframe_from)
      << "not again within the interval";
  EXPECT_EQ(s.OnPacket(Vp8(1, false), false, now += 10'000).verdict, Verdict::kSkip);
  EXPECT_EQ(s.OnPacket(Vp8(1, true), false, now += 10'000).verdict, Verdict::kDecode);
  EXPECT_EQ(s.selected(), 1u);
  EXPECT_FALSE(s.target());
  EXPECT_EQ(s.OnPacket(Vp8(0, true), false, now).verdict, Verdict::kSkip);
  EXPECT_EQ(s.stats().switches, 1u);

  // A 160x90 inset: down to the quarter layer; a full 1280x720 canvas: the full one.
  s.SetTile(160, 90);
  EXPECT_EQ(s.target(), 0u);
  EXPECT_EQ(s.OnPacket(Vp8(0, true), false, now += 10'000).verdict, Verdict::kDecode);
  s.SetTile(1280, 720);
  EXPECT_EQ(s.target(), 2u);
  EXPECT_EQ(s.OnPacket(Vp8(2, true), false, now += 10'000).verdict, Verdict::kDecode);
  // Larger than any layer: the largest.
  s.SetTile(3840, 2160);
  EXPECT_FALSE(s.target()) << "already on the largest";
  EXPECT_EQ(s.stats().switches, 3u);
}

TEST(SimulcastSelector, RtxOfTheDecodedLayerRepairsItAndUnnamedStreamsAreRefused) {
  SimulcastSelector s(rtp::Codec::kVp8, kRids, kRid, kRepaired);
  ASSERT_EQ(s.OnPacket(Vp8(1, true), false, 0).verdict, Verdict::kDecode);
  auto d = s.OnPacket(Rtx(1), true, 0);
  EXPECT_EQ(d.verdict, Verdict::kDecode);
  EXPECT_EQ(d.media_ssrc, kSsrc[1]);
  EXPECT_EQ(s.OnPacket(Rtx(0), true, 0).verdict, Verdict::kSkip);
  // Once named, a stream's later packets need no rid; a stream never named is nobody's.
  EXPECT_EQ(s.OnPacket(Vp8(1, false, /*named=*/false), false, 0).verdict, Verdict::kDecode);
  rtp::RtpHeader stranger;
  stranger.ssrc = 999;
  EXPECT_EQ(s.OnPacket(rtp::RtpPacket::Build(stranger, {}, std::vector<uint8_t>{0x10, 0}), false, 0)
                .verdict,
            Verdict::kUnknown);
  // A rid the offer did not name.
  rtp::RtpHeader other;
  other.ssrc = 555;
  const std::vector<rtp::ExtensionElement> ext = {{kRid, {'x'}}};
  EXPECT_EQ(s.OnPacket(rtp::RtpPacket::Build(other, ext, std::vector<uint8_t>{0x10, 0}), false, 0)
                .verdict,
            Verdict::kUnknown);
  EXPECT_EQ(s.stats().unknown, 2u);
}

}  // namespace
}  // namespace tessera::session
