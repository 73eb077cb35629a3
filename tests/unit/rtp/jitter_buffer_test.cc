#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/rtp/jitter_buffer.h>

#include <cstdint>
#include <vector>

namespace tessera::rtp {
namespace {

constexpr uint32_t kFrameTicks = 3000;  // 30 fps at 90 kHz

// Each packet's payload is its sequence number (2 bytes, big endian), so a frame's data shows
// which packets it was assembled from, in which order.
std::vector<uint8_t> Bytes(std::vector<uint16_t> seqs) {
  std::vector<uint8_t> out;
  for (uint16_t s : seqs) {
    out.push_back(static_cast<uint8_t>(s >> 8));
    out.push_back(static_cast<uint8_t>(s));
  }
  return out;
}

// Packet flags for Harness::Add.
constexpr unsigned kStart = 1;      // payload.frame_start
constexpr unsigned kMarker = 2;     // RTP marker
constexpr unsigned kKey = 4;        // payload.keyframe
constexpr unsigned kParams = 8;     // payload.has_parameter_sets
constexpr unsigned kSps = 16;       // payload.has_sps
constexpr unsigned kPps = 32;       // payload.has_pps
constexpr unsigned kLayerEnd = 64;  // payload.layer_frame_end (VP9 E)

VideoJitterBuffer::Config MaxPackets(size_t n) {
  VideoJitterBuffer::Config config;
  config.max_packets = n;
  return config;
}

class Harness {
 public:
  explicit Harness(VideoJitterBuffer::Config config = {}, Codec codec = Codec::kVp8)
      : jb_(config, codec, clock_), drops_(registry_, "test") {
    jb_.SetDropCounters(&drops_);
  }

  void Add(uint16_t seq, uint32_t ts, unsigned flags) {
    JitterPacket p;
    p.seq = seq;
    p.timestamp = ts;
    p.marker = (flags & kMarker) != 0;
    p.payload.data = Bytes({seq});
    p.payload.frame_start = (flags & kStart) != 0;
    p.payload.keyframe = (flags & kKey) != 0;
    p.payload.has_parameter_sets = (flags & kParams) != 0;
    p.payload.has_sps = (flags & kSps) != 0;
    p.payload.has_pps = (flags & kPps) != 0;
    p.payload.layer_frame_end = (flags & kLayerEnd) != 0;
    p.arrival_us = clock_.NowUs();
    Collect(jb_.Insert(std::move(p)));
  }
  // A frame of n packets: frame_start on the first, marker on the last.
  void AddFrame(uint16_t first, int n, uint32_t ts, bool keyframe, bool parameter_sets = false) {
    for (int i = 0; i < n; ++i) {
      unsigned flags = keyframe ? kKey : 0;
      if (i == 0) flags |= kStart | (parameter_sets ? kParams : 0);
      if (i == n - 1) flags |= kMarker;
      Add(static_cast<uint16_t>(first + i), ts, flags);
    }
  }
  void AddPadding(uint16_t seq) { Collect(jb_.InsertPadding(seq, clock_.NowUs())); }
  void Timer() { Collect(jb_.OnTimer()); }

  // Frames released so far, in order.
  const std::vector<EncodedFrame>& frames() const { return frames_; }
  std::vector<uint16_t> first_seqs() const {
    std::vector<uint16_t> out;
    for (const auto& f : frames_) out.push_back(f.first_seq);
    return out;
  }
  bool keyframe_needed() const { return keyframe_needed_; }
  size_t held() const { return jb_.size(); }
  const VideoJitterBuffer::Stats& stats() const { return jb_.stats(); }
  uint64_t drops(DropReason reason) const { return drops_.Get(reason); }
  FakeClock& clock() { return clock_; }

 private:
  void Collect(VideoJitterBuffer::InsertResult r) {
    for (auto& f : r.frames) frames_.push_back(std::move(f));
    keyframe_needed_ = r.keyframe_needed;
  }

  FakeClock clock_;
  VideoJitterBuffer jb_;
  MetricsRegistry registry_;
  DropCounters drops_;
  std::vector<EncodedFrame> frames_;
  bool keyframe_needed_ = false;
};

TEST(VideoJitterBuffer, ReleasesInOrderFramesAsTheyComplete) {
  Harness h;
  h.Add(100, 1000, kStart | kKey);
  h.Add(101, 1000, kKey);
  EXPECT_TRUE(h.frames().empty());
  h.clock().AdvanceMs(5);
  h.Add(102, 1000, kMarker | kKey);
  ASSERT_EQ(h.frames().size(), 1u);
  const EncodedFrame& key = h.frames()[0];
  EXPECT_TRUE(key.keyframe);
  EXPECT_EQ(key.codec, Codec::kVp8);
  EXPECT_EQ(key.rtp_timestamp, 1000u);
  EXPECT_EQ(key.first_seq, 100);
  EXPECT_EQ(key.last_seq, 102);
  EXPECT_EQ(key.data, Bytes({100, 101, 102}));
  EXPECT_EQ(key.receive_time_us, h.clock().NowUs());
  EXPECT_FALSE(h.keyframe_needed());

  h.AddFrame(103, 2, 1000 + kFrameTicks, false);
  ASSERT_EQ(h.frames().size(), 2u);
  EXPECT_FALSE(h.frames()[1].keyframe);
  EXPECT_EQ(h.frames()[1].data, Bytes({103, 104}));
  EXPECT_EQ(h.stats().frames_emitted, 2u);
  // The stream started with a keyframe: nothing was lost, so nothing was requested.
  EXPECT_EQ(h.stats().keyframe_requests, 0u);
}

TEST(VideoJitterBuffer, TakesPictureSizeFromAnyPacket) {
  JitterPacket first;
  first.seq = 7;
  first.payload.data = {1};
  first.payload.frame_start = true;
  first.payload.keyframe = true;
  JitterPacket second;
  second.seq = 8;
  second.marker = true;
  second.payload.data = {2};
  second.payload.keyframe = true;
  second.payload.width = 1280;
  second.payload.height = 720;
  FakeClock clock;
  VideoJitterBuffer jb({}, Codec::kVp8, clock);
  EXPECT_TRUE(jb.Insert(std::move(second)).frames.empty());
  auto r = jb.Insert(std::move(first));
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].width, 1280);
  EXPECT_EQ(r.frames[0].height, 720);
  EXPECT_EQ(r.frames[0].data, (std::vector<uint8_t>{1, 2}));
}

TEST(VideoJitterBuffer, AwaitsTheFirstKeyframeWithoutRequestingOne) {
  Harness h;
  h.Add(100, 1000, kStart | kKey);
  EXPECT_FALSE(h.keyframe_needed()) << "a keyframe on its way needs no request";
  h.Add(101, 1000, kMarker | kKey);
  EXPECT_EQ(h.frames().size(), 1u);
  EXPECT_FALSE(h.keyframe_needed());
  EXPECT_EQ(h.stats().keyframe_requests, 0u);
}

TEST(VideoJitterBuffer, ReordersPacketsInsideAFrame) {
  Harness h;
  h.Add(102, 1000, kMarker | kKey);
  h.Add(100, 1000, kStart | kKey);
  EXPECT_TRUE(h.frames().empty());
  h.clock().AdvanceMs(3);
  h.Add(101, 1000, kKey);
  ASSERT_EQ(h.frames().size(), 1u);
  EXPECT_EQ(h.frames()[0].data, Bytes({100, 101, 102}));
  EXPECT_EQ(h.frames()[0].receive_time_us, h.clock().NowUs());
}

TEST(VideoJitterBuffer, HoldsLaterFramesUntilTheEarlierOneCompletes) {
  Harness h;
  h.Add(100, 1000, kStart | kKey);
  h.AddFrame(102, 2, 1000 + kFrameTicks, false);
  h.AddFrame(104, 1, 1000 + 2 * kFrameTicks, false);
  EXPECT_TRUE(h.frames().empty());
  h.Add(101, 1000, kMarker | kKey);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{100, 102, 104}));
  EXPECT_EQ(h.frames()[1].data, Bytes({102, 103}));
}

TEST(VideoJitterBuffer, DropsAndCountsDuplicates) {
  Harness h;
  h.Add(100, 1000, kStart | kKey);
  h.Add(100, 1000, kStart | kKey);
  h.Add(101, 1000, kMarker | kKey);
  ASSERT_EQ(h.frames().size(), 1u);
  EXPECT_EQ(h.frames()[0].data, Bytes({100, 101}));
  EXPECT_EQ(h.stats().packets_duplicate, 1u);
  EXPECT_EQ(h.drops(DropReason::kDuplicate), 1u);
}

TEST(VideoJitterBuffer, DropsPacketsOfReleasedFramesAsTooLate) {
  Harness h;
  h.AddFrame(100, 2, 1000, true);
  h.Add(101, 1000, kMarker | kKey);
  h.Add(99, 1000 - kFrameTicks, kStart | kMarker);
  EXPECT_EQ(h.frames().size(), 1u);
  EXPECT_EQ(h.stats().packets_too_late, 2u);
  EXPECT_EQ(h.stats().packets_duplicate, 0u);
  EXPECT_EQ(h.drops(DropReason::kTooLate), 2u);
}

TEST(VideoJitterBuffer, InsertSaysWhetherThePacketItselfWasDropped) {
  FakeClock clock;
  VideoJitterBuffer jb({}, Codec::kVp8, clock);
  auto packet = [](uint16_t seq, bool start, bool marker) {
    JitterPacket p;
    p.seq = seq;
    p.timestamp = 1000;
    p.marker = marker;
    p.payload.data = {static_cast<uint8_t>(seq)};
    p.payload.frame_start = start;
    p.payload.keyframe = true;
    return p;
  };
  EXPECT_FALSE(jb.Insert(packet(100, true, false)).dropped) << "held";
  EXPECT_EQ(jb.Insert(packet(100, true, false)).dropped, DropReason::kDuplicate);
  const auto released = jb.Insert(packet(101, false, true));
  EXPECT_FALSE(released.dropped) << "went out in a frame";
  EXPECT_EQ(released.frames.size(), 1u);
  EXPECT_EQ(jb.Insert(packet(99, true, true)).dropped, DropReason::kTooLate);
}

TEST(VideoJitterBuffer, EmitsFrameAfterSequenceWrap) {
  Harness h;
  h.AddFrame(65530, 3, 1000, true);
  // 65533..1 crosses the wrap; its packets arrive out of order.
  const uint32_t ts = 1000 + kFrameTicks;
  h.Add(0, ts, 0);
  h.Add(65533, ts, kStart);
  h.Add(1, ts, kMarker);
  h.Add(65535, ts, 0);
  EXPECT_EQ(h.frames().size(), 1u);
  h.Add(65534, ts, 0);
  h.AddFrame(2, 2, ts + kFrameTicks, false);
  ASSERT_EQ(h.frames().size(), 3u);
  EXPECT_EQ(h.frames()[1].first_seq, 65533);
  EXPECT_EQ(h.frames()[1].last_seq, 1);
  EXPECT_EQ(h.frames()[1].data, Bytes({65533, 65534, 65535, 0, 1}));
  EXPECT_EQ(h.frames()[2].first_seq, 2);
  EXPECT_FALSE(h.keyframe_needed());
}

TEST(VideoJitterBuffer, EmitsFramesAcrossTimestampWrap) {
  Harness h;
  const uint32_t ts0 = 0xFFFFFFFFu - 1000;
  h.AddFrame(10, 2, ts0, true);
  // No frame_start flags: the frame starts are known from the previous frame's marker.
  h.Add(13, ts0 + kFrameTicks, kMarker);
  h.Add(12, ts0 + kFrameTicks, 0);
  h.Add(14, ts0 + 2 * kFrameTicks, kMarker);
  ASSERT_EQ(h.frames().size(), 3u);
  EXPECT_EQ(h.frames()[1].rtp_timestamp, ts0 + kFrameTicks);
  EXPECT_LT(h.frames()[1].rtp_timestamp, ts0);  // wrapped
  EXPECT_EQ(h.frames()[1].data, Bytes({12, 13}));
  EXPECT_EQ(h.frames()[2].first_seq, 14);
}

TEST(VideoJitterBuffer, CompletesFramesWithoutFrameStartFlagsFromThePreviousMarker) {
  Harness h;
  h.Add(100, 1000, kStart | kKey);
  h.Add(101, 1000, kKey);
  // The next frame arrives before the keyframe's last packet and carries no start flag.
  h.Add(104, 1000 + kFrameTicks, 0);
  h.Add(105, 1000 + kFrameTicks, kMarker);
  h.Add(103, 1000 + kFrameTicks, 0);
  EXPECT_TRUE(h.frames().empty());
  h.Add(102, 1000, kMarker | kKey);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{100, 103}));
  EXPECT_EQ(h.frames()[1].data, Bytes({103, 104, 105}));
}

TEST(VideoJitterBuffer, KnowsAFrameStartFromATimestampChange) {
  Harness h;
  h.AddFrame(10, 1, 1000, true);
  // Packet 11 ends its frame without a marker (a sender bug). Keyframe 12 has no start flag:
  // its start is known because 11, present, has another timestamp.
  h.Add(12, 1000 + 2 * kFrameTicks, kMarker | kKey);
  EXPECT_EQ(h.frames().size(), 1u);
  h.Add(11, 1000 + kFrameTicks, kStart);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{10, 12}));
  EXPECT_EQ(h.stats().packets_given_up, 1u);  // 11 never completes
}

TEST(VideoJitterBuffer, RecoversALossBeforeTheTimeout) {
  Harness h;
  h.Add(100, 1000, kStart | kKey);
  h.Add(102, 1000, kMarker | kKey);
  h.AddFrame(103, 2, 1000 + kFrameTicks, false);
  h.clock().AdvanceMs(200);
  h.Timer();
  EXPECT_TRUE(h.frames().empty());
  h.Add(101, 1000, kKey);  // the retransmission
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{100, 103}));
  EXPECT_FALSE(h.keyframe_needed());
  EXPECT_EQ(h.stats().losses_given_up, 0u);
}

TEST(VideoJitterBuffer, GivesUpALossAfterTheTimeoutAndDropsDeltasUntilAKeyframe) {
  Harness h;
  h.AddFrame(100, 1, 1000, true);
  h.Add(101, 1000 + kFrameTicks, kStart);  // 102, its last packet, is lost
  h.AddFrame(103, 1, 1000 + 2 * kFrameTicks, false);
  h.AddFrame(104, 1, 1000 + 3 * kFrameTicks, false);
  h.clock().AdvanceMs(299);
  h.Timer();
  EXPECT_FALSE(h.keyframe_needed());
  h.clock().AdvanceMs(1);
  h.Timer();
  EXPECT_TRUE(h.keyframe_needed());
  EXPECT_EQ(h.frames().size(), 1u);
  EXPECT_EQ(h.stats().losses_given_up, 1u);
  EXPECT_EQ(h.stats().packets_given_up, 1u);
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 2u);

  h.Add(102, 1000 + kFrameTicks, kMarker);  // too late now
  EXPECT_EQ(h.stats().packets_too_late, 1u);
  h.AddFrame(105, 1, 1000 + 4 * kFrameTicks, false);
  EXPECT_TRUE(h.keyframe_needed());
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 3u);

  h.AddFrame(106, 2, 1000 + 5 * kFrameTicks, true);
  h.AddFrame(108, 1, 1000 + 6 * kFrameTicks, false);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{100, 106, 108}));
  EXPECT_FALSE(h.keyframe_needed());
  EXPECT_EQ(h.drops(DropReason::kUndecodable), 4u);  // 101, 103, 104, 105
  EXPECT_EQ(h.drops(DropReason::kTooLate), 1u);
  EXPECT_EQ(h.stats().keyframe_requests, 1u);
}

TEST(VideoJitterBuffer, GivesUpAWholeLostFrameAfterTheTimeout) {
  Harness h;
  h.AddFrame(100, 1, 1000, true);
  // Frame 101..102 never arrives at all.
  h.AddFrame(103, 1, 1000 + 2 * kFrameTicks, false);
  h.clock().AdvanceMs(300);
  h.Timer();
  EXPECT_TRUE(h.keyframe_needed());
  EXPECT_EQ(h.stats().losses_given_up, 1u);
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 1u);
  EXPECT_EQ(h.frames().size(), 1u);
}

TEST(VideoJitterBuffer, GivesUpEachLossOnlyOnceItIsStale) {
  Harness h;
  h.AddFrame(100, 1, 1000, true);
  h.Add(101, 1000 + kFrameTicks, kStart);  // 102 lost
  h.clock().AdvanceMs(250);
  h.Add(103, 1000 + 2 * kFrameTicks, kStart);  // 104 lost
  h.clock().AdvanceMs(50);
  h.Timer();
  EXPECT_EQ(h.stats().packets_given_up, 1u);
  EXPECT_EQ(h.held(), 1u);
  h.clock().AdvanceMs(249);
  h.Timer();
  EXPECT_EQ(h.held(), 1u);
  h.clock().AdvanceMs(1);
  h.Timer();
  EXPECT_EQ(h.stats().packets_given_up, 2u);
  EXPECT_EQ(h.held(), 0u);
  EXPECT_EQ(h.stats().losses_given_up, 2u);
  EXPECT_EQ(h.stats().keyframe_requests, 1u);
}

TEST(VideoJitterBuffer, AKeyframeOvertakesAnIncompleteEarlierFrame) {
  Harness h;
  h.AddFrame(100, 1, 1000, true);
  h.Add(101, 1000 + kFrameTicks, kStart);  // 102 missing
  h.AddFrame(103, 2, 1000 + 2 * kFrameTicks, true);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{100, 103}));
  EXPECT_FALSE(h.keyframe_needed());
  EXPECT_EQ(h.stats().packets_given_up, 1u);
  EXPECT_EQ(h.stats().losses_given_up, 1u);
  h.Add(102, 1000 + kFrameTicks, kMarker);
  EXPECT_EQ(h.stats().packets_too_late, 1u);
}

TEST(VideoJitterBuffer, DropsAFirstFrameThatIsNotAKeyframe) {
  Harness h;
  h.AddFrame(50, 1, 1000, false);
  EXPECT_TRUE(h.keyframe_needed());
  h.AddFrame(51, 2, 1000 + kFrameTicks, false);
  EXPECT_TRUE(h.frames().empty());
  h.AddFrame(53, 2, 1000 + 2 * kFrameTicks, true);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{53}));
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 2u);
  EXPECT_EQ(h.drops(DropReason::kUndecodable), 3u);
  EXPECT_FALSE(h.keyframe_needed());
  EXPECT_EQ(h.stats().keyframe_requests, 1u);
}

TEST(VideoJitterBuffer, DropsAFirstDeltaFrameAfterMaxWaitWithoutAKeyframe) {
  Harness h;
  h.AddFrame(50, 1, 1000, false);
  h.clock().AdvanceMs(300);
  h.Timer();
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 1u);
  EXPECT_EQ(h.held(), 0u);
}

TEST(VideoJitterBuffer, ReleasesAKeyframeThatArrivesAfterTheFollowingDeltaAtStreamStart) {
  Harness h;
  h.AddFrame(4, 1, 1000 + kFrameTicks, false);
  h.AddFrame(1, 3, 1000, true);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{1, 4}));
  EXPECT_FALSE(h.keyframe_needed());
}

TEST(VideoJitterBuffer, DropsTheOldestDataWhenFullAndNeedsAKeyframe) {
  Harness h(MaxPackets(4));
  h.AddFrame(10, 1, 1000, true);
  h.Add(11, 1000 + kFrameTicks, kStart);
  h.Add(12, 1000 + kFrameTicks, 0);  // 13, the marker packet, is lost
  h.AddFrame(14, 2, 1000 + 2 * kFrameTicks, false);
  EXPECT_FALSE(h.keyframe_needed());
  h.AddFrame(16, 1, 1000 + 3 * kFrameTicks, false);  // a fifth packet held
  EXPECT_TRUE(h.keyframe_needed());
  EXPECT_EQ(h.stats().packets_buffer_full, 2u);
  EXPECT_EQ(h.drops(DropReason::kBufferFull), 2u);
  EXPECT_EQ(h.stats().losses_given_up, 1u);

  h.AddFrame(17, 1, 1000 + 4 * kFrameTicks, true);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{10, 17}));
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 2u);  // 14..15 and 16
  EXPECT_FALSE(h.keyframe_needed());
}

TEST(VideoJitterBuffer, NeverHoldsMoreThanMaxPackets) {
  Harness h(MaxPackets(8));
  // A frame that never ends.
  for (int i = 0; i < 100; ++i) {
    h.Add(static_cast<uint16_t>(i), 1000, (i == 0 ? kStart : 0u) | kKey);
    ASSERT_LE(h.held(), 8u);
  }
  EXPECT_EQ(h.stats().packets_buffer_full + h.held(), 100u);
  EXPECT_GT(h.stats().packets_buffer_full, 0u);
  EXPECT_TRUE(h.keyframe_needed());
}

TEST(VideoJitterBuffer, PaddingFillsASequenceGap) {
  Harness h;
  h.AddFrame(100, 1, 1000, true);
  h.Add(103, 1000 + kFrameTicks, kMarker);  // no start flag
  EXPECT_EQ(h.frames().size(), 1u);
  h.AddPadding(102);
  EXPECT_EQ(h.frames().size(), 1u);
  h.AddPadding(101);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{100, 103}));
  EXPECT_FALSE(h.keyframe_needed());
  EXPECT_EQ(h.held(), 0u);
}

TEST(VideoJitterBuffer, H264KeyframeWithoutParameterSetsAtStreamStartIsNotARestartPoint) {
  Harness h({}, Codec::kH264);
  h.AddFrame(10, 2, 1000, true, /*parameter_sets=*/false);
  EXPECT_TRUE(h.frames().empty());
  EXPECT_TRUE(h.keyframe_needed());
  h.AddFrame(12, 2, 1000 + kFrameTicks, true, /*parameter_sets=*/true);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{12}));
  EXPECT_EQ(h.frames()[0].codec, Codec::kH264);
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 1u);
  EXPECT_FALSE(h.keyframe_needed());

  // Once the decoder has parameter sets, a later IDR without them restarts after a loss.
  h.AddFrame(15, 1, 1000 + 3 * kFrameTicks, false);  // 14 lost
  h.AddFrame(16, 2, 1000 + 4 * kFrameTicks, true, /*parameter_sets=*/false);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{12, 16}));
  EXPECT_FALSE(h.keyframe_needed());
}

TEST(VideoJitterBuffer, H264KeyframeWithSpsAndPpsInSeparatePacketsIsARestartPoint) {
  // Single NAL unit packets (baresip, many SIP phones): SPS, PPS, then the IDR slice, one
  // packet each, with one timestamp.
  Harness h({}, Codec::kH264);
  h.Add(10, 1000, kStart | kSps);
  h.Add(11, 1000, kStart | kPps);
  h.Add(12, 1000, kKey | kMarker);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{10}));
  EXPECT_TRUE(h.frames()[0].keyframe);
  EXPECT_EQ(h.frames()[0].data, Bytes({10, 11, 12}));
  EXPECT_EQ(h.stats().frames_dropped_undecodable, 0u);
  EXPECT_FALSE(h.keyframe_needed());
}

TEST(VideoJitterBuffer, H264KeyframeWithOnlyAnSpsIsNotARestartPoint) {
  Harness h({}, Codec::kH264);
  h.Add(10, 1000, kStart | kSps);
  h.Add(11, 1000, kKey | kMarker);
  EXPECT_TRUE(h.frames().empty());
  EXPECT_TRUE(h.keyframe_needed());
}

// The SPS and PPS of an SDP's sprop-parameter-sets (here stand-ins: the buffer only copies them).
VideoJitterBuffer::Config WithSdpParameterSets() {
  VideoJitterBuffer::Config config;
  config.h264_parameter_sets = {0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce};
  return config;
}

std::vector<uint8_t> AfterSdpParameterSets(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = WithSdpParameterSets().h264_parameter_sets;
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

TEST(VideoJitterBuffer, H264KeyframeWithoutParameterSetsGetsTheSdpOnes) {
  Harness h(WithSdpParameterSets(), Codec::kH264);
  h.AddFrame(10, 2, 1000, true, /*parameter_sets=*/false);
  ASSERT_EQ(h.first_seqs(), (std::vector<uint16_t>{10}));
  EXPECT_EQ(h.frames()[0].data, AfterSdpParameterSets(Bytes({10, 11})));
  EXPECT_FALSE(h.keyframe_needed());
  // A delta frame is left as it came; so is the next IDR without its own.
  h.AddFrame(12, 1, 1000 + kFrameTicks, false);
  h.AddFrame(13, 1, 1000 + 2 * kFrameTicks, true, /*parameter_sets=*/false);
  ASSERT_EQ(h.frames().size(), 3u);
  EXPECT_EQ(h.frames()[1].data, Bytes({12}));
  EXPECT_EQ(h.frames()[2].data, AfterSdpParameterSets(Bytes({13})));
  EXPECT_EQ(h.stats().keyframes_given_parameter_sets, 2u);
}

TEST(VideoJitterBuffer, H264InBandParameterSetsWinOverTheSdpOnes) {
  Harness h(WithSdpParameterSets(), Codec::kH264);
  h.AddFrame(10, 2, 1000, true, /*parameter_sets=*/true);
  ASSERT_EQ(h.frames().size(), 1u);
  EXPECT_EQ(h.frames()[0].data, Bytes({10, 11}));
  // The decoder has the sender's own now: later IDRs without them are not given the SDP's.
  h.AddFrame(12, 1, 1000 + kFrameTicks, true, /*parameter_sets=*/false);
  ASSERT_EQ(h.frames().size(), 2u);
  EXPECT_EQ(h.frames()[1].data, Bytes({12}));
  EXPECT_EQ(h.stats().keyframes_given_parameter_sets, 0u);
}

TEST(VideoJitterBuffer, SdpParameterSetsAreForH264Only) {
  Harness h(WithSdpParameterSets(), Codec::kVp8);
  h.AddFrame(10, 1, 1000, true);
  ASSERT_EQ(h.frames().size(), 1u);
  EXPECT_EQ(h.frames()[0].data, Bytes({10}));
}

TEST(VideoJitterBuffer, Vp8KeyframeIsAlwaysARestartPoint) {
  Harness h({}, Codec::kVp8);
  h.AddFrame(10, 2, 1000, true, /*parameter_sets=*/false);
  EXPECT_EQ(h.first_seqs(), (std::vector<uint16_t>{10}));
}

// A VP9 picture of two spatial layers (one packet each, E on both): one frame, the layer frames
// joined into a superframe so that the decoder decodes both.
TEST(VideoJitterBuffer, Vp9LayerFramesOfAPictureBecomeOneSuperframe) {
  Harness h({}, Codec::kVp9);
  h.Add(10, 1000, kStart | kKey | kLayerEnd);
  h.Add(11, 1000, kLayerEnd | kMarker);
  ASSERT_EQ(h.frames().size(), 1u);
  std::vector<uint8_t> expected = Bytes({10, 11});
  expected.insert(expected.end(), {0xc1, 0x02, 0x02, 0xc1});  // index: 2 frames of 2 bytes
  EXPECT_EQ(h.frames()[0].data, expected);
  EXPECT_TRUE(h.frames()[0].keyframe);
  // One layer frame in two packets: the data as it came.
  h.Add(12, 1000 + kFrameTicks, kStart);
  h.Add(13, 1000 + kFrameTicks, kLayerEnd | kMarker);
  ASSERT_EQ(h.frames().size(), 2u);
  EXPECT_EQ(h.frames()[1].data, Bytes({12, 13}));
}

}  // namespace
}  // namespace tessera::rtp

namespace tessera::rtp {
namespace {

TEST(VideoJitterBuffer, FrameStartPacketThatTurnsOutToContinueAFrameIsNotEmittedTwice) {
  Harness h({}, Codec::kH264);
  h.Add(1, 1000, kStart | kKey);
  h.Add(2, 1000, kMarker | kKey | kParams);
  ASSERT_EQ(h.frames().size(), 1u);
  // An IDR-like packet that may begin a frame arrives before the packet that really begins it.
  h.Add(4, 1000 + kFrameTicks, kStart | kMarker);
  EXPECT_EQ(h.frames().size(), 1u);
  h.Add(3, 1000 + kFrameTicks, kStart);
  ASSERT_EQ(h.frames().size(), 2u);
  EXPECT_EQ(h.frames()[1].data, Bytes({3, 4}));
  h.Add(5, 1000 + 2 * kFrameTicks, kStart | kMarker);
  ASSERT_EQ(h.frames().size(), 3u);
  EXPECT_EQ(h.frames()[2].data, Bytes({5}));
}

}  // namespace
}  // namespace tessera::rtp
