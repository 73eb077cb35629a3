// VideoReceiveStream driven by a real RtpSender and H.264 packetizer over a lossy, reordering,
// duplicating "network", with NACKs fed back to the sender: what a receiver gets end to end.
#include <gtest/gtest.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtp_sender.h>
#include <tessera/rtp/video_receive_stream.h>

#include <deque>
#include <map>

#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp {
namespace {

using testing::AnnexB;
using testing::MakeNal;

constexpr uint32_t kMediaSsrc = 0x1234;
constexpr uint32_t kLocalSsrc = 0x99;

std::vector<uint8_t> MakeFrame(int index) {
  if (index % 30 == 0) {
    return AnnexB({testing::kSps640x360, testing::kPps, MakeNal(0x65, 4000, index)});
  }
  return AnnexB({MakeNal(0x41, 1500 + 97 * (index % 13), index)});
}

// Sends frames through a scripted network and collects what the receiver emits.
class Loopback {
 public:
  explicit Loopback(bool nack) {
    VideoReceiveStreamConfig c;
    c.codec = Codec::kH264;
    c.payload_type = 96;
    c.local_ssrc = kLocalSsrc;
    c.nack_enabled = nack;
    receiver_ = std::make_unique<VideoReceiveStream>(c, clock_, &drops_);
    RtpSender::Config sc;
    sc.ssrc = kMediaSsrc;
    sc.payload_type = 96;
    sc.initial_sequence = 65500;  // the run crosses the 16-bit wrap
    sc.initial_timestamp = 0xFFFF0000u;
    sender_ = std::make_unique<RtpSender>(sc, clock_);
  }

  // drop(n) decides the fate of the n-th first transmission; retransmissions always arrive.
  template <typename DropFn>
  void Run(int frames, DropFn drop) {
    auto packetizer = CreatePacketizer(Codec::kH264);
    int n = 0;
    for (int i = 0; i < frames; ++i) {
      const auto frame = MakeFrame(i);
      sent_.push_back(frame);
      auto payloads = packetizer->Packetize(frame, i % 30 == 0);
      std::deque<RtpPacket> wire;
      for (size_t k = 0; k < payloads.size(); ++k) {
        RtpPacket p = sender_->Send(payloads[k], static_cast<uint32_t>(i * 3000),
                                    k + 1 == payloads.size(), 1);
        switch (drop(n++)) {
          case Fate::kDeliver:
            wire.push_back(std::move(p));
            break;
          case Fate::kDuplicate:
            wire.push_back(p);
            wire.push_back(std::move(p));
            break;
          case Fate::kSwapWithNext:
            held_ = std::move(p);
            continue;
          case Fate::kDrop:
            break;
        }
        if (held_) {
          wire.push_back(std::move(*held_));
          held_.reset();
        }
      }
      for (auto& p : wire) Deliver(receiver_->OnRtp(p, clock_.NowUs()));
      for (int t = 0; t < 3; ++t) {  // 33 ms between frames, the timer every 11 ms
        clock_.AdvanceUs(11'000);
        Deliver(receiver_->OnTimer(clock_.NowUs()));
      }
    }
    for (int t = 0; t < 50; ++t) {
      clock_.AdvanceUs(10'000);
      Deliver(receiver_->OnTimer(clock_.NowUs()));
    }
  }

  enum class Fate { kDeliver, kDrop, kDuplicate, kSwapWithNext };

  std::vector<EncodedFrame> received;
  std::vector<std::vector<uint8_t>> sent_;
  int plis = 0;
  int nacked = 0;
  FakeClock clock_;
  DropCounters drops_{GlobalMetrics(), "video_receive_stream_test"};
  std::unique_ptr<VideoReceiveStream> receiver_;

 private:
  void Deliver(VideoReceiveStream::Output out) {
    for (auto& f : out.frames) received.push_back(std::move(f));
    if (out.rtcp.empty()) return;
    auto messages = ParseRtcpCompound(out.rtcp);
    ASSERT_TRUE(messages) << "the receiver sent a malformed RTCP compound";
    ASSERT_TRUE(std::holds_alternative<ReceiverReport>((*messages)[0]));
    for (const auto& m : *messages) {
      if (const auto* nack = std::get_if<Nack>(&m)) {
        EXPECT_EQ(nack->media_ssrc, kMediaSsrc);
        nacked += static_cast<int>(nack->seqs.size());
        for (auto& p : sender_->OnNack(nack->seqs, clock_.NowUs())) {
          Deliver(receiver_->OnRtp(p, clock_.NowUs()));
        }
      }
      if (std::holds_alternative<Pli>(m)) ++plis;
    }
  }

  std::unique_ptr<RtpSender> sender_;
  std::optional<RtpPacket> held_;
};

TEST(VideoReceiveStream, DeliversEveryFrameIntactOverACleanLink) {
  Loopback l(true);
  l.Run(60, [](int) { return Loopback::Fate::kDeliver; });
  ASSERT_EQ(l.received.size(), 60u);
  for (size_t i = 0; i < 60; ++i) {
    EXPECT_EQ(l.received[i].data, l.sent_[i]) << "frame " << i;
    EXPECT_EQ(l.received[i].keyframe, i % 30 == 0);
  }
  EXPECT_EQ(l.received[0].width, 640);
  EXPECT_EQ(l.received[0].height, 360);
  EXPECT_EQ(l.nacked, 0);
  EXPECT_EQ(l.plis, 0);
}

TEST(VideoReceiveStream, StatsSayWhatTheStreamLost) {
  Loopback l(/*nack=*/false);
  l.Run(60,
        [](int n) { return n == 3 || n == 17 ? Loopback::Fate::kDrop : Loopback::Fate::kDeliver; });
  const VideoReceiveStats s = l.receiver_->stats();
  EXPECT_EQ(s.packets_lost, 2);
  EXPECT_GE(s.jitter_ms, 0.0);
}

TEST(VideoReceiveStream, NackRecoversLossReorderingAndDuplicatesAcrossWrap) {
  Loopback l(true);
  l.Run(90, [](int n) {
    if (n % 17 == 5) return Loopback::Fate::kDrop;
    if (n % 23 == 7) return Loopback::Fate::kSwapWithNext;
    if (n % 29 == 3) return Loopback::Fate::kDuplicate;
    return Loopback::Fate::kDeliver;
  });
  ASSERT_EQ(l.received.size(), 90u) << "a frame was lost although every packet was NACKed";
  for (size_t i = 0; i < l.received.size(); ++i) {
    EXPECT_EQ(l.received[i].data, l.sent_[i]) << "frame " << i;
  }
  EXPECT_GT(l.nacked, 0);
  EXPECT_EQ(l.plis, 0) << "NACK should have made keyframe requests unnecessary";
  EXPECT_GT(l.drops_.Get(DropReason::kDuplicate), 0u);
  EXPECT_EQ(l.receiver_->stats().frames, 90u);
}

TEST(VideoReceiveStream, WithoutNackLossCostsTheGopAndAsksForAKeyframe) {
  Loopback l(false);
  l.Run(60, [](int n) { return n == 20 ? Loopback::Fate::kDrop : Loopback::Fate::kDeliver; });
  EXPECT_GE(l.plis, 1);
  ASSERT_LT(l.received.size(), 60u);
  ASSERT_FALSE(l.received.empty());
  // What was emitted decodes: it starts at a keyframe and every later emitted frame is intact.
  EXPECT_TRUE(l.received[0].keyframe);
  size_t sent_index = 0;
  for (const auto& f : l.received) {
    while (sent_index < l.sent_.size() && l.sent_[sent_index] != f.data) ++sent_index;
    ASSERT_LT(sent_index, l.sent_.size()) << "an emitted frame matches nothing that was sent";
  }
  EXPECT_TRUE(l.received.back().data == l.sent_.back());
}

TEST(VideoReceiveStream, CountsWrongPayloadTypeAndMalformedPayloads) {
  FakeClock clock;
  DropCounters drops(GlobalMetrics(), "video_receive_stream_test_drops");
  VideoReceiveStream s(VideoReceiveStreamConfig{}, clock, &drops);
  RtpHeader h;
  h.payload_type = 97;
  h.ssrc = 5;
  auto out = s.OnRtp(RtpPacket::Build(h, {}, std::vector<uint8_t>{0x41, 0x88}), clock.NowUs());
  EXPECT_TRUE(out.frames.empty());
  EXPECT_EQ(drops.Get(DropReason::kUnknownPayloadType), 1u);
  EXPECT_EQ(out.dropped, DropReason::kUnknownPayloadType);
  h.payload_type = 96;
  out = s.OnRtp(RtpPacket::Build(h, {}, std::vector<uint8_t>{0x7E /* STAP-B */, 0}), clock.NowUs());
  EXPECT_EQ(drops.Get(DropReason::kMalformed), 1u);
  EXPECT_EQ(out.dropped, DropReason::kMalformed);
  out = s.OnRtp(RtpPacket::Build(h, {}, std::vector<uint8_t>{0x41, 0x88}), clock.NowUs());
  EXPECT_FALSE(out.dropped) << "a packet the stream holds is not a drop";
  EXPECT_FALSE(s.OnRtcp(std::vector<uint8_t>{1, 2, 3}, clock.NowUs()));
}

// A camera sending MakeFrame(i) through its own RTP sender.
class Camera {
 public:
  Camera(uint32_t ssrc, uint16_t first_seq, Clock& clock) {
    RtpSender::Config sc;
    sc.ssrc = ssrc;
    sc.payload_type = 96;
    sc.initial_sequence = first_seq;
    sc.initial_timestamp = 0;
    sender_ = std::make_unique<RtpSender>(sc, clock);
  }
  std::vector<RtpPacket> Frame(int index) {
    const std::vector<uint8_t> frame = MakeFrame(index);
    auto payloads = packetizer_->Packetize(frame, index % 30 == 0);
    std::vector<RtpPacket> out;
    for (size_t k = 0; k < payloads.size(); ++k) {
      out.push_back(sender_->Send(payloads[k], static_cast<uint32_t>(index * 3000),
                                  k + 1 == payloads.size(), 1));
    }
    return out;
  }

 private:
  std::unique_ptr<Packetizer> packetizer_ = CreatePacketizer(Codec::kH264);
  std::unique_ptr<RtpSender> sender_;
};

// A receiving stream on a fake clock that collects its frames.
struct Receiver {
  std::optional<DropReason> Feed(const RtpPacket& p) {
    auto out = stream.OnRtp(p, clock.NowUs());
    for (auto& f : out.frames) frames.push_back(std::move(f));
    return out.dropped;
  }
  void FeedFrame(Camera& camera, int index) {
    for (const RtpPacket& p : camera.Frame(index)) EXPECT_FALSE(Feed(p)) << "frame " << index;
    Tick();
  }
  void Tick() {
    clock.AdvanceMs(33);
    for (auto& f : stream.OnTimer(clock.NowUs()).frames) frames.push_back(std::move(f));
  }

  FakeClock clock;
  MetricsRegistry registry;
  DropCounters drops{registry, "receiver"};
  VideoReceiveStream stream{VideoReceiveStreamConfig{}, clock, &drops};
  std::vector<EncodedFrame> frames;
};

TEST(VideoReceiveStream, ASpoofedJumpInterleavedWithTheStreamNeverFreezesIt) {
  // Issue 16: the victim's SSRC 20000 ahead used to move the window, and the real packets then
  // counted as too_late until the real numbering caught up.
  Receiver r;
  Camera real(kMediaSsrc, 1000, r.clock);
  uint16_t spoof_seq = 21000;
  uint64_t spoofs = 0;
  for (int i = 0; i < 60; ++i) {
    for (const RtpPacket& p : real.Frame(i)) {
      EXPECT_FALSE(r.Feed(p)) << "frame " << i;
      RtpPacket spoof = p;
      spoof.SetSequenceNumber(spoof_seq++);
      EXPECT_EQ(r.Feed(spoof), DropReason::kSequenceJump);
      ++spoofs;
    }
    r.Tick();
  }
  EXPECT_EQ(r.frames.size(), 60u);
  EXPECT_EQ(r.drops.Get(DropReason::kSequenceJump), spoofs);
  EXPECT_EQ(r.drops.Get(DropReason::kTooLate), 0u);
  EXPECT_EQ(r.stream.stats().sequence_restarts, 0u);
}

TEST(VideoReceiveStream, ALonePacketOfAnotherSsrcDoesNotResetTheStream) {
  Receiver r;
  Camera real(kMediaSsrc, 1000, r.clock);
  r.FeedFrame(real, 0);
  r.FeedFrame(real, 1);
  // Between two frames, one packet of another SSRC: it used to restart the stream, which then
  // waited for a keyframe.
  const std::vector<RtpPacket> next = real.Frame(2);
  RtpPacket stray = next[0];
  stray.SetSsrc(0xDEAD);
  EXPECT_EQ(r.Feed(stray), DropReason::kUnknownSsrc);
  for (const RtpPacket& p : next) EXPECT_FALSE(r.Feed(p));
  r.Tick();
  for (int i = 3; i < 8; ++i) r.FeedFrame(real, i);
  EXPECT_EQ(r.frames.size(), 8u) << "the stream went on without a keyframe";
  EXPECT_EQ(r.stream.stats().ssrc_changes, 0u);
  ASSERT_TRUE(r.stream.remote_ssrc());
  EXPECT_EQ(*r.stream.remote_ssrc(), kMediaSsrc);
  EXPECT_EQ(r.drops.Get(DropReason::kUnknownSsrc), 1u);
  EXPECT_EQ(r.drops.Total(), 1u);
}

TEST(VideoReceiveStream, TwoPacketsInSequenceConfirmAJumpAndNothingIsLost) {
  Receiver r;
  Camera before(kMediaSsrc, 1000, r.clock);
  for (int i = 0; i < 3; ++i) r.FeedFrame(before, i);
  ASSERT_EQ(r.frames.size(), 3u);
  // The sender restarts with the same SSRC, numbering 20000 further on, and a keyframe.
  Camera after(kMediaSsrc, 21000, r.clock);
  const std::vector<RtpPacket> keyframe = after.Frame(0);
  ASSERT_GE(keyframe.size(), 2u);
  EXPECT_EQ(r.Feed(keyframe[0]), DropReason::kSequenceJump);
  for (size_t k = 1; k < keyframe.size(); ++k) EXPECT_FALSE(r.Feed(keyframe[k]));
  r.Tick();
  for (int i = 1; i < 3; ++i) r.FeedFrame(after, i);
  ASSERT_EQ(r.frames.size(), 6u);
  EXPECT_TRUE(r.frames[3].keyframe);
  EXPECT_EQ(r.frames[3].data, MakeFrame(0)) << "the packet kept on probation went in first";
  EXPECT_EQ(r.stream.stats().sequence_restarts, 1u);
  EXPECT_EQ(r.stream.stats().ssrc_changes, 0u);
  EXPECT_EQ(r.drops.Get(DropReason::kSequenceJump), 1u);
  EXPECT_EQ(r.drops.Get(DropReason::kTooLate), 0u);
}

TEST(VideoReceiveStream, ASenderThatRestartsWithANewSsrcIsReceivedAtOnce) {
  Receiver r;
  Camera before(kMediaSsrc, 1000, r.clock);
  for (int i = 0; i < 3; ++i) r.FeedFrame(before, i);
  Camera after(0x5678, 40000, r.clock);
  const std::vector<RtpPacket> keyframe = after.Frame(0);
  ASSERT_GE(keyframe.size(), 2u);
  EXPECT_EQ(r.Feed(keyframe[0]), DropReason::kUnknownSsrc);
  for (size_t k = 1; k < keyframe.size(); ++k) EXPECT_FALSE(r.Feed(keyframe[k]));
  r.Tick();
  for (int i = 1; i < 3; ++i) r.FeedFrame(after, i);
  ASSERT_EQ(r.frames.size(), 6u);
  EXPECT_EQ(r.frames[3].data, MakeFrame(0));
  EXPECT_EQ(r.stream.stats().ssrc_changes, 1u);
  ASSERT_TRUE(r.stream.remote_ssrc());
  EXPECT_EQ(*r.stream.remote_ssrc(), 0x5678u);
  // The old SSRC is the stranger now.
  RtpPacket late = before.Frame(3)[0];
  EXPECT_EQ(r.Feed(late), DropReason::kUnknownSsrc);
}

TEST(VideoReceiveStream, SendsPeriodicReceiverReportsWithCname) {
  FakeClock clock;
  VideoReceiveStream s(VideoReceiveStreamConfig{}, clock, nullptr);
  clock.AdvanceMs(1000);
  auto out = s.OnTimer(clock.NowUs());
  ASSERT_FALSE(out.rtcp.empty());
  auto m = ParseRtcpCompound(out.rtcp);
  ASSERT_TRUE(m);
  ASSERT_GE(m->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ReceiverReport>((*m)[0]));
  ASSERT_TRUE(std::holds_alternative<Sdes>((*m)[1]));
  EXPECT_EQ(std::get<Sdes>((*m)[1]).Cname(1), "tessera");
  EXPECT_TRUE(s.OnTimer(clock.NowUs()).rtcp.empty()) << "RR more often than the interval";
}

}  // namespace
}  // namespace tessera::rtp
