#include "rtp/vp8_packetizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "rtp/vp8_depacketizer.h"

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;
using Payloads = std::vector<Bytes>;

PacketizerConfig Config(size_t mtu) {
  PacketizerConfig c;
  c.mtu = mtu;
  return c;
}

// A 5000-byte frame behind a real 640x360 keyframe header.
Bytes Keyframe() {
  Bytes frame = {0x90, 0x9c, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
  for (size_t i = frame.size(); i < 5000; ++i) frame.push_back(static_cast<uint8_t>(i * 37));
  return frame;
}

TEST(Vp8Packetizer, RoundTripsFrameWithinMtu) {
  for (size_t mtu : {kDefaultMtu, size_t{600}}) {
    Vp8Packetizer packetizer(Config(mtu));
    Vp8Depacketizer depacketizer;
    const Bytes frame = Keyframe();
    const Payloads payloads = packetizer.Packetize(frame, true);
    ASSERT_EQ(payloads.size(), (frame.size() + mtu - kRtpOverhead - 5) / (mtu - kRtpOverhead - 4));
    Bytes joined;
    for (size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_LE(payloads[i].size(), mtu - kRtpOverhead);
      auto out = depacketizer.Parse(payloads[i]);
      ASSERT_TRUE(out);
      EXPECT_EQ(out->frame_start, i == 0);
      EXPECT_EQ(out->keyframe, i == 0);
      joined.insert(joined.end(), out->data.begin(), out->data.end());
    }
    EXPECT_EQ(joined, frame);
    EXPECT_EQ(depacketizer.Parse(payloads[0])->width, 640);
    EXPECT_EQ(depacketizer.Parse(payloads[0])->height, 360);
  }
}

TEST(Vp8Packetizer, SplitsIntoNearlyEqualPayloads) {
  Vp8Packetizer packetizer(Config(kDefaultMtu));
  const Payloads payloads = packetizer.Packetize(Keyframe(), true);
  auto [min_it, max_it] =
      std::minmax_element(payloads.begin(), payloads.end(),
                          [](const Bytes& a, const Bytes& b) { return a.size() < b.size(); });
  EXPECT_LE(max_it->size() - min_it->size(), 1u);
}

TEST(Vp8Packetizer, WritesDescriptorWithFifteenBitPictureId) {
  Vp8Packetizer packetizer(Config(600), 0x1234);
  const Payloads payloads = packetizer.Packetize(Keyframe(), true);
  ASSERT_GE(payloads.size(), 2u);
  EXPECT_EQ(Bytes(payloads[0].begin(), payloads[0].begin() + 4), (Bytes{0x90, 0x80, 0x92, 0x34}));
  for (size_t i = 1; i < payloads.size(); ++i) {
    EXPECT_EQ(Bytes(payloads[i].begin(), payloads[i].begin() + 4), (Bytes{0x80, 0x80, 0x92, 0x34}));
  }
}

TEST(Vp8Packetizer, IncrementsPictureIdPerFrameAndWrapsAt15Bits) {
  Vp8Packetizer packetizer(Config(kDefaultMtu), 0x7FFE);
  const Bytes frame = {0x91, 0x0c, 0x00, 0x13};
  std::vector<uint16_t> ids;
  for (int i = 0; i < 3; ++i) {
    const Payloads payloads = packetizer.Packetize(frame, false);
    ASSERT_EQ(payloads.size(), 1u);
    auto d = ParseVp8Descriptor(payloads[0]);
    ASSERT_TRUE(d && d->picture_id && d->picture_id_15bit);
    ids.push_back(*d->picture_id);
  }
  EXPECT_EQ(ids, (std::vector<uint16_t>{0x7FFE, 0x7FFF, 0x0000}));
  EXPECT_EQ(packetizer.next_picture_id(), 1);
}

TEST(Vp8Packetizer, PictureIdDoesNotAdvanceOnRejectedFrame) {
  Vp8Packetizer packetizer(Config(kDefaultMtu), 5);
  EXPECT_TRUE(packetizer.Packetize({}, false).empty());
  EXPECT_EQ(packetizer.next_picture_id(), 5);
}

TEST(Vp8Packetizer, RejectsFrameShorterThanFrameTag) {
  Vp8Packetizer packetizer(Config(kDefaultMtu));
  EXPECT_TRUE(packetizer.Packetize(Bytes{0x91, 0x0c}, false).empty());
}

TEST(Vp8Packetizer, KeepsFrameTagInFirstPayloadAtSmallestMtu) {
  const size_t smallest = kRtpOverhead + Vp8Packetizer::kDescriptorSize + 7;
  Vp8Packetizer too_small(Config(smallest - 1));
  EXPECT_TRUE(too_small.Packetize(Bytes{1, 2, 3}, false).empty());
  Vp8Depacketizer depacketizer;
  for (size_t size = 3; size < 40; ++size) {
    Vp8Packetizer packetizer(Config(smallest));
    const Bytes frame(size, 0x91);
    const Payloads payloads = packetizer.Packetize(frame, false);
    ASSERT_FALSE(payloads.empty()) << size;
    EXPECT_GE(payloads[0].size(), Vp8Packetizer::kDescriptorSize + 3) << size;
    Bytes joined;
    for (const auto& p : payloads) {
      auto out = depacketizer.Parse(p);
      ASSERT_TRUE(out) << size;
      joined.insert(joined.end(), out->data.begin(), out->data.end());
    }
    EXPECT_EQ(joined, frame);
  }
}

}  // namespace
}  // namespace tessera::rtp
