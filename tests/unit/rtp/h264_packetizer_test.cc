#include "rtp/h264_packetizer.h"

#include <gtest/gtest.h>
#include <tessera/base/byte_io.h>

#include <algorithm>
#include <vector>

#include "rtp/h264_depacketizer.h"
#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp {
namespace {

using ::tessera::rtp::testing::AnnexB;
using ::tessera::rtp::testing::Concat;
using ::tessera::rtp::testing::kPps;
using ::tessera::rtp::testing::kSps640x360;
using ::tessera::rtp::testing::MakeNal;

using Bytes = std::vector<uint8_t>;
using Payloads = std::vector<Bytes>;

PacketizerConfig Config(size_t mtu, int mode = 1) {
  PacketizerConfig c;
  c.mtu = mtu;
  c.h264_packetization_mode = mode;
  return c;
}

// SPS + PPS + one 5000-byte IDR slice.
std::vector<Bytes> KeyframeNals() { return {kSps640x360, kPps, MakeNal(0x65, 5000, 7)}; }
// Two P slices, the second not starting the picture.
std::vector<Bytes> DeltaFrameNals() {
  return {MakeNal(0x41, 1500, 8), MakeNal(0x41, 300, 9, /*first_mb_zero=*/false)};
}

struct Depacketized {
  Bytes data;
  std::vector<DepacketizedPayload> parts;
};

Depacketized DepacketizeAll(const Payloads& payloads) {
  H264Depacketizer d;
  Depacketized out;
  for (const auto& p : payloads) {
    auto parsed = d.Parse(p);
    EXPECT_TRUE(parsed);
    if (!parsed) continue;
    out.data.insert(out.data.end(), parsed->data.begin(), parsed->data.end());
    out.parts.push_back(std::move(*parsed));
  }
  return out;
}

void ExpectWithinBudget(const Payloads& payloads, size_t mtu) {
  for (const auto& p : payloads) EXPECT_LE(p.size(), mtu - kRtpOverhead);
}

TEST(H264Packetizer, RoundTripsKeyframeAndDeltaFrame) {
  for (size_t mtu : {kDefaultMtu, size_t{600}}) {
    H264Packetizer packetizer(Config(mtu));
    for (const auto& nals : {KeyframeNals(), DeltaFrameNals()}) {
      const Bytes frame = AnnexB(nals);
      const Payloads payloads = packetizer.Packetize(frame, false);
      ASSERT_FALSE(payloads.empty());
      ExpectWithinBudget(payloads, mtu);
      EXPECT_EQ(DepacketizeAll(payloads).data, frame) << "mtu " << mtu;
    }
  }
}

TEST(H264Packetizer, NormalizesThreeByteStartCodesToFour) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  const Payloads payloads = packetizer.Packetize(AnnexB(KeyframeNals(), 3), true);
  EXPECT_EQ(DepacketizeAll(payloads).data, AnnexB(KeyframeNals(), 4));
}

TEST(H264Packetizer, AggregatesParameterSetsIntoStapA) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  const Payloads payloads = packetizer.Packetize(AnnexB(KeyframeNals()), true);
  ASSERT_GE(payloads.size(), 2u);
  const Bytes expected_stap =
      Concat(std::vector<Bytes>{{0x78, 0x00, static_cast<uint8_t>(kSps640x360.size())},
                                kSps640x360,
                                {0x00, static_cast<uint8_t>(kPps.size())},
                                kPps});
  EXPECT_EQ(payloads[0], expected_stap);

  const auto result = DepacketizeAll(payloads);
  ASSERT_EQ(result.parts.size(), payloads.size());
  EXPECT_TRUE(result.parts[0].frame_start);
  EXPECT_TRUE(result.parts[0].has_parameter_sets);
  EXPECT_FALSE(result.parts[0].keyframe);  // the IDR slice travels in the FU-A packets
  EXPECT_EQ(result.parts[0].width, 640);
  EXPECT_EQ(result.parts[0].height, 360);
  // The first FU-A fragment starts the IDR slice with first_mb_in_slice 0, so it too could
  // begin the frame (if the STAP-A were lost); the others cannot.
  for (size_t i = 1; i < result.parts.size(); ++i) {
    EXPECT_TRUE(result.parts[i].keyframe) << i;
    EXPECT_EQ(result.parts[i].frame_start, i == 1) << i;
  }
}

TEST(H264Packetizer, AggregatesSmallSlicesWithParameterSetsWhenTheyFit) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  const Bytes idr = MakeNal(0x65, 400, 3);
  const Payloads payloads = packetizer.Packetize(AnnexB({kSps640x360, kPps, idr}), true);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0][0] & 0x1F, 24);
  EXPECT_EQ(payloads[0].size(), 1 + 2 + kSps640x360.size() + 2 + kPps.size() + 2 + idr.size());
  const auto result = DepacketizeAll(payloads);
  ASSERT_EQ(result.parts.size(), 1u);
  EXPECT_TRUE(result.parts[0].keyframe);
  EXPECT_TRUE(result.parts[0].has_parameter_sets);
}

TEST(H264Packetizer, StapAHeaderCarriesHighestNri) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  const Payloads payloads =
      packetizer.Packetize(AnnexB({Bytes{0x06, 0x05, 0x80}, Bytes{0x41, 0x9A, 0x01}}), false);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0][0], 0x40 | 24);
}

TEST(H264Packetizer, SendsLoneNalUnitThatFitsAsSingleNalUnitPacket) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  const Bytes slice = MakeNal(0x41, 1000, 4);
  const Payloads payloads = packetizer.Packetize(AnnexB({slice}), false);
  ASSERT_EQ(payloads.size(), 1u);
  EXPECT_EQ(payloads[0], slice);
  // Exactly the budget still fits one packet.
  const Bytes full = MakeNal(0x41, kDefaultMtu - kRtpOverhead, 5);
  EXPECT_EQ(packetizer.Packetize(AnnexB({full}), false), Payloads{full});
}

TEST(H264Packetizer, SplitsLargeNalUnitIntoNearlyEqualFuAFragments) {
  for (size_t mtu : {kDefaultMtu, size_t{600}, size_t{100}}) {
    H264Packetizer packetizer(Config(mtu));
    const Bytes idr = MakeNal(0x65, 5000, 7);
    const Payloads payloads = packetizer.Packetize(AnnexB({idr}), true);
    const size_t budget = mtu - kRtpOverhead;
    const size_t body = idr.size() - 1;
    EXPECT_EQ(payloads.size(), (body + budget - 3) / (budget - 2)) << mtu;  // fewest fragments
    ExpectWithinBudget(payloads, mtu);
    auto [min_it, max_it] =
        std::minmax_element(payloads.begin(), payloads.end(),
                            [](const Bytes& a, const Bytes& b) { return a.size() < b.size(); });
    EXPECT_LE(max_it->size() - min_it->size(), 1u) << mtu;
    for (size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_EQ(payloads[i][0], 0x60 | 28);
      const uint8_t fu = payloads[i][1];
      EXPECT_EQ(fu & 0x1F, 5);
      EXPECT_EQ((fu & 0x80) != 0, i == 0);
      EXPECT_EQ((fu & 0x40) != 0, i + 1 == payloads.size());
    }
  }
}

TEST(H264Packetizer, FuAKnownBytes) {
  // 44 + 2 + 3 = 49-byte MTU: 5-byte budget, 3 bytes of NAL body per fragment.
  H264Packetizer packetizer(Config(kRtpOverhead + 5));
  const Bytes nal = {0x45, 1, 2, 3, 4, 5, 6, 7};  // NRI 2, IDR, 7 body bytes -> 3 + 2 + 2
  const Payloads payloads = packetizer.Packetize(AnnexB({nal}), true);
  EXPECT_EQ(payloads, (Payloads{{0x5C, 0x85, 1, 2, 3}, {0x5C, 0x05, 4, 5}, {0x5C, 0x45, 6, 7}}));
}

TEST(H264Packetizer, Mode0SendsEachNalUnitAloneOrNothing) {
  H264Packetizer packetizer(Config(kDefaultMtu, 0));
  const std::vector<Bytes> small = {kSps640x360, kPps, MakeNal(0x65, 900, 2)};
  EXPECT_EQ(packetizer.Packetize(AnnexB(small), true), small);
  EXPECT_TRUE(packetizer.Packetize(AnnexB(KeyframeNals()), true).empty());
}

TEST(H264Packetizer, IgnoresEmptyNalUnitsAndRejectsFramesWithoutNalUnits) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  const Bytes frame = {0, 0, 0, 1, 0, 0, 0, 1, 0x41, 0x9A, 0x05, 0, 0, 1};
  EXPECT_EQ(packetizer.Packetize(frame, false), (Payloads{{0x41, 0x9A, 0x05}}));
  EXPECT_TRUE(packetizer.Packetize({}, false).empty());
  EXPECT_TRUE(packetizer.Packetize(Bytes{0x41, 0x9A, 0x05}, false).empty());
}

TEST(H264Packetizer, RejectsNalTypesRtpCannotCarry) {
  H264Packetizer packetizer(Config(kDefaultMtu));
  EXPECT_TRUE(packetizer.Packetize(AnnexB({kPps, Bytes{0x7C, 0x85}}), false).empty());
  EXPECT_TRUE(packetizer.Packetize(AnnexB({Bytes{0x00, 0x85}}), false).empty());
}

TEST(H264Packetizer, RejectsMtuWithoutRoomForFragments) {
  H264Packetizer tiny(Config(kRtpOverhead + 2));
  EXPECT_TRUE(tiny.Packetize(AnnexB({MakeNal(0x41, 10)}), false).empty());
  H264Packetizer none(Config(10));
  EXPECT_TRUE(none.Packetize(AnnexB({Bytes{0x41, 0x80}}), false).empty());
}

}  // namespace
}  // namespace tessera::rtp
