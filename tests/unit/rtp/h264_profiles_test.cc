// Main- and High-family H.264 through the receive path (depacketizer, jitter buffer) with real
// parameter sets, packetized as GStreamer's rtph264pay sends them: each NAL unit in its own
// packet, the NAL units before the first slice in one STAP-A (aggregate-mode=zero-latency), or
// FU-A fragments (a small mtu). What reaches the decoder must be the sender's NAL units,
// unchanged and in order, with the picture size read from the SPS.
#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/video_receive_stream.h>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "rtp/h264_depacketizer.h"
#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp {
namespace {

using Nal = std::vector<uint8_t>;
using testing::MainAndHighParameterSets;
using testing::MakeNal;

enum class Mode { kSingleNal, kStapA, kSmallMtu };

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kSingleNal:
      return "single NAL unit packets";
    case Mode::kStapA:
      return "STAP-A";
    case Mode::kSmallMtu:
      return "FU-A";
  }
  return "?";
}

void AppendFuA(const Nal& nal, size_t mtu, std::vector<Nal>& out) {
  const uint8_t type = h264::NalTypeOf(nal[0]);
  const auto indicator = static_cast<uint8_t>((nal[0] & 0xE0) | 28);
  for (size_t offset = 1; offset < nal.size();) {
    const size_t n = std::min(mtu - 2, nal.size() - offset);
    const bool start = offset == 1;
    const bool end = offset + n == nal.size();
    Nal fu = {indicator, static_cast<uint8_t>((start ? 0x80 : 0) | (end ? 0x40 : 0) | type)};
    fu.insert(fu.end(), nal.begin() + static_cast<ptrdiff_t>(offset),
              nal.begin() + static_cast<ptrdiff_t>(offset + n));
    out.push_back(std::move(fu));
    offset += n;
  }
}

// The RTP payloads of one access unit, as rtph264pay makes them with `mode`.
std::vector<Nal> Packetize(const std::vector<Nal>& au, Mode mode) {
  const size_t mtu = mode == Mode::kSmallMtu ? 200 : 1400;
  std::vector<Nal> out;
  Nal stap;
  for (const Nal& nal : au) {
    if (mode == Mode::kStapA && !h264::IsSlice(h264::NalTypeOf(nal[0])) &&
        stap.size() + 2 + nal.size() <= mtu) {
      if (stap.empty()) stap.push_back(24);
      // NRI of a STAP-A: the highest of its NAL units' (RFC 6184 5.7.1).
      stap[0] = static_cast<uint8_t>(std::max(stap[0] & 0x60, nal[0] & 0x60) | 24);
      stap.push_back(static_cast<uint8_t>(nal.size() >> 8));
      stap.push_back(static_cast<uint8_t>(nal.size()));
      stap.insert(stap.end(), nal.begin(), nal.end());
      continue;
    }
    if (!stap.empty()) {
      out.push_back(std::move(stap));
      stap.clear();
    }
    if (nal.size() <= mtu) {
      out.push_back(nal);
    } else {
      AppendFuA(nal, mtu, out);
    }
  }
  if (!stap.empty()) out.push_back(std::move(stap));
  return out;
}

class Receiver {
 public:
  Receiver() : stream_(VideoReceiveStreamConfig{}, clock_, &drops_) {}

  // Sends one access unit at `timestamp`; returns the frames the stream completed.
  std::vector<EncodedFrame> Send(const std::vector<Nal>& au, uint32_t timestamp, Mode mode) {
    std::vector<EncodedFrame> frames;
    const std::vector<Nal> payloads = Packetize(au, mode);
    for (size_t i = 0; i < payloads.size(); ++i) {
      RtpHeader h;
      h.marker = i + 1 == payloads.size();
      h.payload_type = 96;
      h.sequence_number = seq_++;
      h.timestamp = timestamp;
      h.ssrc = 0x5EED;
      clock_.AdvanceUs(100);
      auto out = stream_.OnRtp(RtpPacket::Build(h, {}, payloads[i]), clock_.NowUs());
      for (auto& f : out.frames) frames.push_back(std::move(f));
    }
    return frames;
  }

  uint64_t drops() const { return drops_.Total(); }

 private:
  FakeClock clock_;
  MetricsRegistry metrics_;
  DropCounters drops_{metrics_, "h264_profiles_test"};
  VideoReceiveStream stream_;
  uint16_t seq_ = 65530;  // the run crosses the 16-bit wrap
};

std::vector<Nal> NalUnits(const EncodedFrame& f) {
  std::vector<Nal> out;
  for (auto nal : h264::SplitAnnexB(f.data)) out.emplace_back(nal.begin(), nal.end());
  return out;
}

TEST(H264Profiles, ParsesThePictureSizeOfEveryRealSps) {
  for (const auto& ps : MainAndHighParameterSets()) {
    auto sps = h264::ParseSps(ps.sps);
    ASSERT_TRUE(sps) << ps.name;
    EXPECT_EQ(sps->profile_idc, ps.profile_idc) << ps.name;
    EXPECT_EQ(sps->sps_id, 0u) << ps.name;
    EXPECT_EQ(sps->width, ps.width) << ps.name;
    EXPECT_EQ(sps->height, ps.height) << ps.name;
  }
}

// As x264enc tune=zerolatency sends: an access unit delimiter, SPS, PPS, x264's SEI and the IDR
// picture in two slices (sliced threads), then P pictures. The parameter sets may come with
// every IDR (config-interval=-1) or only with the first.
TEST(H264Profiles, TheDecoderGetsTheSendersNalUnitsUnchanged) {
  const Nal aud_i = {0x09, 0x10};
  const Nal aud_p = {0x09, 0x30};
  const Nal sei = MakeNal(0x06, 695, 1);
  for (const auto& ps : MainAndHighParameterSets()) {
    for (Mode mode : {Mode::kSingleNal, Mode::kStapA, Mode::kSmallMtu}) {
      SCOPED_TRACE(std::string(ps.name) + ", " + ModeName(mode));
      Receiver r;
      const std::vector<Nal> key = {aud_i,
                                    ps.sps,
                                    ps.pps,
                                    sei,
                                    MakeNal(0x65, 1800, 2),
                                    MakeNal(0x65, 900, 3, /*first_mb_zero=*/false)};
      const std::vector<Nal> delta = {aud_p, MakeNal(0x41, 700, 4),
                                      MakeNal(0x41, 300, 5, /*first_mb_zero=*/false)};
      const std::vector<Nal> key_without_parameter_sets = {aud_i, MakeNal(0x65, 2100, 6)};
      std::vector<std::vector<Nal>> sent = {key, delta, key_without_parameter_sets, delta, key};
      std::vector<EncodedFrame> got;
      for (size_t i = 0; i < sent.size(); ++i) {
        for (auto& f : r.Send(sent[i], 1000 + 3000 * static_cast<uint32_t>(i), mode)) {
          got.push_back(std::move(f));
        }
      }
      ASSERT_EQ(got.size(), sent.size());
      for (size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(NalUnits(got[i]), sent[i]) << "frame " << i;
        EXPECT_EQ(got[i].rtp_timestamp, 1000 + 3000 * i) << "frame " << i;
      }
      EXPECT_TRUE(got[0].keyframe);
      EXPECT_FALSE(got[1].keyframe);
      EXPECT_TRUE(got[2].keyframe) << "a later IDR without parameter sets is a keyframe too";
      EXPECT_TRUE(got[4].keyframe);
      EXPECT_EQ(got[0].width, ps.width);
      EXPECT_EQ(got[0].height, ps.height);
      EXPECT_EQ(got[4].width, ps.width);
      EXPECT_EQ(r.drops(), 0u);
    }
  }
}

TEST(H264Profiles, DepacketizerPassesParameterSetsByteForByte) {
  H264Depacketizer d;
  for (const auto& ps : MainAndHighParameterSets()) {
    for (const Nal* nal : {&ps.sps, &ps.pps}) {
      auto out = d.Parse(*nal);
      ASSERT_TRUE(out) << ps.name;
      Nal expected = {0, 0, 0, 1};
      expected.insert(expected.end(), nal->begin(), nal->end());
      EXPECT_EQ(out->data, expected) << ps.name;
      EXPECT_TRUE(out->frame_start) << ps.name;
    }
    auto sps = d.Parse(ps.sps);
    ASSERT_TRUE(sps);
    EXPECT_TRUE(sps->has_sps);
    EXPECT_EQ(sps->width, ps.width) << ps.name;
    EXPECT_EQ(sps->height, ps.height) << ps.name;
  }
}

// An SPS the parser cannot read still goes to the decoder unchanged (libavcodec judges it and the
// frame fails there, counted as an error); it only gives no picture size.
TEST(H264Profiles, AnUnreadableSpsPassesUnchangedWithoutAPictureSize) {
  const auto& ps = MainAndHighParameterSets().front();  // High 4:4:4 Predictive
  ASSERT_EQ(ps.profile_idc, 244);
  const Nal truncated(ps.sps.begin(), ps.sps.begin() + 6);  // ends inside the chroma fields
  EXPECT_FALSE(h264::ParseSps(truncated));
  Nal bad_chroma = ps.sps;
  bad_chroma[4] = 0x95;  // 1 00101 01: sps_id 0, chroma_format_idc 4 (out of range)
  EXPECT_FALSE(h264::ParseSps(bad_chroma));
  H264Depacketizer d;
  for (const Nal* nal : std::initializer_list<const Nal*>{&truncated, &bad_chroma}) {
    auto out = d.Parse(*nal);
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->has_sps);
    EXPECT_EQ(out->width, 0);
    EXPECT_EQ(out->height, 0);
    EXPECT_TRUE(std::equal(nal->begin(), nal->end(), out->data.begin() + 4));
  }
}

}  // namespace
}  // namespace tessera::rtp
