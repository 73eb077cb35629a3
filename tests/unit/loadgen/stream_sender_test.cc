#include "loadgen/stream_sender.h"

#include <gtest/gtest.h>
#include <tessera/codec/libav_log.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/video_receive_stream.h>

#include "loadgen/frame_code.h"

namespace tessera::loadgen {
namespace {

const VideoClip& SmallClip(rtp::Codec codec) {
  codec::RouteLibavLogsToSpdlog();
  static const VideoClip h264 = [] {
    VideoClipConfig c;
    c.width = 320;
    c.height = 180;
    c.frames = 8;
    c.keyframe_interval = 4;
    c.bitrate_bps = 400'000;
    return *EncodeVideoClip(c);
  }();
  static const VideoClip vp8 = [] {
    VideoClipConfig c;
    c.codec = rtp::Codec::kVp8;
    c.width = 320;
    c.height = 180;
    c.frames = 8;
    c.keyframe_interval = 4;
    return *EncodeVideoClip(c);
  }();
  return codec == rtp::Codec::kVp8 ? vp8 : h264;
}

TEST(VideoClip, HasKeyframesAtItsIntervalAndRejectsBadConfigs) {
  const VideoClip& clip = SmallClip(rtp::Codec::kH264);
  ASSERT_EQ(clip.frames.size(), 8u);
  for (size_t i = 0; i < clip.frames.size(); ++i) {
    EXPECT_EQ(clip.frames[i].keyframe, i % 4 == 0) << i;
  }
  VideoClipConfig bad;
  bad.frames = static_cast<int>(kFrameCodeValues) + 1;
  EXPECT_FALSE(EncodeVideoClip(bad).ok());
  bad = {};
  bad.width = 63;
  EXPECT_FALSE(EncodeVideoClip(bad).ok());
}

TEST(AudioClip, OneSecondOfOpusPayloads) {
  auto clip = EncodeAudioClip({});
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(clip->payloads.size(), 50u);
  EXPECT_EQ(clip->timestamp_increment, 960u);
  for (const auto& p : clip->payloads) EXPECT_FALSE(p.empty());
}

TEST(VideoStreamSender, LoopsTheClipWithContinuousSequenceTimestampAndCounter) {
  FakeClock clock;
  VideoSenderConfig c;
  c.ssrc = 0x1234;
  c.first_clip_frame = 6;
  VideoStreamSender sender(SmallClip(rtp::Codec::kH264), c, clock);
  std::optional<uint16_t> last_seq;
  std::optional<uint32_t> first_ts;
  for (uint64_t n = 0; n < 20; ++n) {
    const auto f = sender.NextFrame(n);
    EXPECT_EQ(f.clip_index, (6 + n) % 8);
    EXPECT_EQ(f.keyframe, f.clip_index % 4 == 0);
    ASSERT_FALSE(f.packets.empty());
    for (size_t i = 0; i < f.packets.size(); ++i) {
      const auto& p = f.packets[i];
      if (last_seq) {
        EXPECT_EQ(p.sequence_number(), static_cast<uint16_t>(*last_seq + 1));
      }
      last_seq = p.sequence_number();
      if (!first_ts) first_ts = p.timestamp();
      EXPECT_EQ(p.timestamp(), static_cast<uint32_t>(*first_ts + n * 3000));
      EXPECT_EQ(p.marker(), i + 1 == f.packets.size());
      EXPECT_EQ(p.ssrc(), 0x1234u);
      EXPECT_EQ(p.payload_type(), 96);
      EXPECT_EQ(ReadCounterExtension(p, kDefaultCounterExtensionId), n);
    }
  }
  EXPECT_EQ(sender.stats().frames, 20u);
}

TEST(VideoStreamSender, ASkippedSlotLengthensTheFrameButKeepsTheClipInOrder) {
  FakeClock clock;
  VideoStreamSender sender(SmallClip(rtp::Codec::kH264), {}, clock);
  const auto a = sender.NextFrame(0);
  const auto b = sender.NextFrame(3);
  EXPECT_EQ(b.clip_index, a.clip_index + 1);
  EXPECT_EQ(b.packets.front().timestamp() - a.packets.front().timestamp(), 9000u);
  EXPECT_EQ(ReadCounterExtension(b.packets.front(), kDefaultCounterExtensionId), 3u);
}

TEST(VideoStreamSender, ResendsNackedPacketsAndCountsKeyframeRequests) {
  FakeClock clock;
  VideoSenderConfig c;
  c.ssrc = 77;
  VideoStreamSender sender(SmallClip(rtp::Codec::kH264), c, clock);
  const auto f = sender.NextFrame(0);
  ASSERT_GE(f.packets.size(), 2u);
  clock.AdvanceMs(10);
  std::vector<rtp::RtcpMessage> m;
  m.emplace_back(rtp::Nack{1, 77, {f.packets[1].sequence_number()}});
  m.emplace_back(rtp::Nack{1, 78, {f.packets[0].sequence_number()}});  // not ours
  m.emplace_back(rtp::Pli{1, 77});
  const auto resend = sender.OnRtcp(rtp::SerializeRtcpCompound(m), clock.NowUs());
  ASSERT_EQ(resend.size(), 1u);
  EXPECT_TRUE(std::ranges::equal(resend[0].data(), f.packets[1].data()));
  EXPECT_EQ(sender.stats().plis, 1u);
  EXPECT_EQ(sender.stats().nacked, 1u);
  EXPECT_EQ(sender.stats().retransmitted, 1u);
  const uint8_t garbage[3] = {1, 2, 3};
  EXPECT_TRUE(sender.OnRtcp(garbage, clock.NowUs()).empty());
}

// What Tessera does with the stream: jitter buffer, decode; the picture shows the clip index.
void ReceivesAndDecodesEveryFrame(rtp::Codec codec) {
  FakeClock clock;
  VideoSenderConfig c;
  c.ssrc = 5;
  c.first_clip_frame = 4;
  c.payload_type = codec == rtp::Codec::kVp8 ? 97 : 96;
  VideoStreamSender sender(SmallClip(codec), c, clock);
  rtp::VideoReceiveStreamConfig rc;
  rc.codec = codec;
  rc.payload_type = c.payload_type;
  rtp::VideoReceiveStream receive(rc, clock, nullptr);
  auto decoder = codec::CreateVideoDecoder(codec);
  ASSERT_TRUE(decoder.ok());
  int shown = 0;
  for (uint64_t n = 0; n < 16; ++n) {
    const auto f = sender.NextFrame(n);
    for (const auto& p : f.packets) {
      auto out = receive.OnRtp(*rtp::RtpPacket::Parse(p.data()), clock.NowUs());
      for (const auto& frame : out.frames) {
        const auto d = (*decoder)->Decode(frame);
        ASSERT_TRUE(static_cast<bool>(d.picture)) << n;
        EXPECT_EQ(ReadFrameCode(*d.picture.host(), Unscaled(320, 180)), f.clip_index);
        ++shown;
      }
    }
    clock.AdvanceUs(33'333);
  }
  EXPECT_EQ(shown, 16);
}

TEST(VideoStreamSender, H264StreamDecodesToTheClipFramesAcrossTheLoop) {
  ReceivesAndDecodesEveryFrame(rtp::Codec::kH264);
}

TEST(VideoStreamSender, Vp8StreamDecodesToTheClipFramesAcrossTheLoop) {
  ReceivesAndDecodesEveryFrame(rtp::Codec::kVp8);
}

TEST(AudioStreamSender, LoopsPayloadsWithTheSlotTimestamp) {
  auto clip = EncodeAudioClip({});
  ASSERT_TRUE(clip.ok());
  FakeClock clock;
  AudioSenderConfig c;
  c.ssrc = 9;
  c.first_packet = 48;
  AudioStreamSender sender(*clip, c, clock);
  const auto a = sender.NextPacket(0);
  const auto b = sender.NextPacket(2);
  EXPECT_EQ(b.timestamp() - a.timestamp(), 1920u);
  EXPECT_EQ(b.sequence_number(), static_cast<uint16_t>(a.sequence_number() + 1));
  EXPECT_TRUE(std::ranges::equal(a.payload(), clip->payloads[48]));
  EXPECT_TRUE(std::ranges::equal(b.payload(), clip->payloads[0]));  // (2 + 48) % 50
  EXPECT_EQ(a.payload_type(), 111);
  EXPECT_TRUE(sender.BuildReport(clock.NowNtp(), clock.NowUs()).size() > 0);
}

}  // namespace
}  // namespace tessera::loadgen
