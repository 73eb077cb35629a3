#include <gtest/gtest.h>
#include <tessera/recorder/av_muxer.h>

#include <cstdlib>

#include "unit/recorder/recorder_test_util.h"

namespace tessera::recorder {
namespace {

using testing::Demux;
using testing::H264Frame;
using testing::MemoryBytes;
using testing::MemorySink;
using testing::OpusPacket;

constexpr int64_t kBase = 1'767'225'600'000'000;  // wall-clock microseconds of the first picture

struct Fixture {
  std::shared_ptr<MemoryBytes> bytes = std::make_shared<MemoryBytes>();
  MemorySink sink{bytes};
  std::unique_ptr<AvMuxer> muxer;
  explicit Fixture(AvMuxerConfig config = {}) {
    auto m = AvMuxer::Create(config, sink);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (m.ok()) muxer = std::move(*m);
  }
};

TEST(OpusPacketDuration, ReadsTheTocAndFrameCount) {
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{0xF8}), 20'000);        // CELT 20 ms
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{0x08}), 20'000);        // SILK 20 ms
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{0xF9}), 40'000);        // two frames
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{0xFB, 0x03}), 60'000);  // code 3, 3 frames
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{0xFB}), std::nullopt);  // count missing
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{0xFB, 0x07}), std::nullopt);  // 140 ms
  EXPECT_EQ(OpusPacketDurationUs(std::vector<uint8_t>{}), std::nullopt);
}

TEST(AvMuxer, MuxesH264AndOpusOnOneTimelineFromTheFirstKeyframe) {
  Fixture f;
  // Before any keyframe: dropped.
  ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(false, 99), false, kBase - 33'333, 640, 360).ok());
  // Audio starts 200 ms after the first picture; interleave as they would arrive.
  for (int i = 0; i < 60; ++i) {
    const int64_t t = kBase + i * 33'333;
    ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(i % 30 == 0, i), i % 30 == 0, t, 640, 360).ok());
    for (int64_t a = kBase + 200'000 + ((t - kBase - 200'000 + 19'999) / 20'000) * 20'000;
         a >= kBase + 200'000 && a < t + 33'333; a += 20'000) {
      ASSERT_TRUE(f.muxer->WriteAudio(OpusPacket(static_cast<uint8_t>(a / 20'000)), a).ok());
    }
  }
  ASSERT_TRUE(f.muxer->Close().ok());
  EXPECT_TRUE(f.bytes->closed);
  EXPECT_EQ(f.muxer->stats().video_frames, 60u);
  EXPECT_EQ(f.muxer->stats().dropped_before_start, 1u);
  EXPECT_GE(f.bytes->flushes, 2) << "the header and each ~1 s cluster are sealed";
  EXPECT_EQ(f.muxer->stats().bytes_written, f.bytes->bytes.size());

  const testing::Demuxed d = Demux(f.bytes->bytes);
  ASSERT_TRUE(d.opened);
  const auto* video = d.Find(AVMEDIA_TYPE_VIDEO);
  const auto* audio = d.Find(AVMEDIA_TYPE_AUDIO);
  ASSERT_NE(video, nullptr);
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(video->codec, AV_CODEC_ID_H264);
  EXPECT_EQ(audio->codec, AV_CODEC_ID_OPUS);
  EXPECT_GT(video->extradata_size, 0) << "SPS/PPS become the track's private data";
  EXPECT_EQ(video->pts_us.size(), 60u);
  EXPECT_EQ(audio->pts_us.size(), f.muxer->stats().audio_frames);
  ASSERT_FALSE(audio->pts_us.empty());
  EXPECT_TRUE(video->keyframes.front());
  // Less the Opus encoder's 6.5 ms lookahead, which the track's codec delay takes back out.
  EXPECT_NEAR(audio->pts_us.front() - video->pts_us.front(), 200'000 - 6'500, 1'000);
  EXPECT_NEAR(video->pts_us.back() - video->pts_us.front(), 59 * 33'333, 1'000);
}

TEST(AvMuxer, KeepsAudioThatArrivedBeforeTheKeyframeButBelongsAfterIt) {
  Fixture f;
  // Audio overtakes video (which waits in its jitter buffer): audio of t = 0..100 ms arrives
  // first; the picture of t = 0 later.
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        f.muxer->WriteAudio(OpusPacket(static_cast<uint8_t>(i)), kBase - 20'000 + i * 20'000).ok());
  }
  ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(true, 1), true, kBase, 640, 360).ok());
  ASSERT_TRUE(f.muxer->Close().ok());
  EXPECT_EQ(f.muxer->stats().dropped_before_start, 1u);  // t = -20 ms
  EXPECT_EQ(f.muxer->stats().audio_frames, 5u);
}

TEST(AvMuxer, AGapJumpsTheTimelineAndIsRecorded) {
  Fixture f;
  auto write_second = [&](int64_t start, int first_key_index) {
    for (int i = 0; i < 30; ++i) {
      const int64_t t = start + i * 33'333;
      const bool key = i == first_key_index;
      ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(key, i), key, t, 640, 360).ok());
      ASSERT_TRUE(f.muxer->WriteAudio(OpusPacket(static_cast<uint8_t>(i)), t + 5'000).ok());
    }
  };
  write_second(kBase, 0);
  f.muxer->NoteGapReason("rejoin");
  // 4 s later; the first frames after the gap are not keyframes: skipped until one.
  write_second(kBase + 5'000'000, 3);
  ASSERT_TRUE(f.muxer->Close().ok());
  ASSERT_EQ(f.muxer->gaps().size(), 1u);
  EXPECT_EQ(f.muxer->gaps()[0].reason, "rejoin");
  EXPECT_NEAR(f.muxer->gaps()[0].to_us - f.muxer->gaps()[0].from_us, 4'000'000, 40'000);
  EXPECT_EQ(f.muxer->stats().dropped_waiting_keyframe, 3u);

  const testing::Demuxed d = Demux(f.bytes->bytes);
  ASSERT_TRUE(d.opened);
  const auto* video = d.Find(AVMEDIA_TYPE_VIDEO);
  const auto* gaps = d.Find(AVMEDIA_TYPE_SUBTITLE);
  ASSERT_NE(video, nullptr);
  ASSERT_NE(gaps, nullptr) << "the gap track";
  ASSERT_EQ(video->pts_us.size(), 57u);
  // The timeline jumps (true wall-clock distance), never stretches.
  EXPECT_NEAR(video->pts_us[30] - video->pts_us[0], 5'000'000 + 3 * 33'333, 1'000);
  EXPECT_TRUE(video->keyframes[30]);
  ASSERT_EQ(gaps->texts.size(), 1u);
  EXPECT_NE(gaps->texts[0].find("rejoin"), std::string::npos) << gaps->texts[0];
}

TEST(AvMuxer, VideoFramesThatGoBackInTimeAreDropped) {
  Fixture f;
  ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(true, 1), true, kBase, 640, 360).ok());
  ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(false, 2), false, kBase + 33'333, 640, 360).ok());
  ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(false, 3), false, kBase + 33'333, 640, 360).ok());
  ASSERT_TRUE(f.muxer->WriteVideo(H264Frame(false, 4), false, kBase + 10'000, 640, 360).ok());
  ASSERT_TRUE(f.muxer->Close().ok());
  EXPECT_EQ(f.muxer->stats().video_frames, 2u);
  EXPECT_EQ(f.muxer->stats().dropped_not_monotonic, 2u);
}

TEST(AvMuxer, FragmentedMp4AndVp8AreSupported) {
  AvMuxerConfig c;
  c.container = "mp4";
  Fixture mp4(c);
  ASSERT_TRUE(mp4.muxer->WriteVideo(H264Frame(true, 1), true, kBase, 640, 360).ok());
  ASSERT_TRUE(mp4.muxer->WriteAudio(OpusPacket(1), kBase).ok());
  ASSERT_TRUE(mp4.muxer->WriteVideo(H264Frame(false, 2), false, kBase + 33'333, 640, 360).ok());
  ASSERT_TRUE(mp4.muxer->Close().ok());
  const testing::Demuxed d = Demux(mp4.bytes->bytes);
  ASSERT_TRUE(d.opened);
  EXPECT_NE(d.Find(AVMEDIA_TYPE_VIDEO), nullptr);
  EXPECT_NE(d.Find(AVMEDIA_TYPE_AUDIO), nullptr);

  c = {};
  c.video_codec = rtp::Codec::kVp9;
  std::shared_ptr<MemoryBytes> bytes = std::make_shared<MemoryBytes>();
  MemorySink sink(bytes);
  EXPECT_FALSE(AvMuxer::Create(c, sink).ok()) << "VP9 is not recorded yet";
  c.container = "avi";
  c.video_codec = rtp::Codec::kVp8;
  EXPECT_FALSE(AvMuxer::Create(c, sink).ok());
}

}  // namespace
}  // namespace tessera::recorder
