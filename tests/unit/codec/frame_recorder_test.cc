#include <gtest/gtest.h>
#include <tessera/codec/frame_recorder.h>

#include <cstdio>
#include <filesystem>

#include "deps/ffmpeg.h"
#include "unit/rtp/av1_test_data.h"
#include "unit/rtp/h264_test_data.h"

namespace tessera::codec {
namespace {

using rtp::testing::AnnexB;
using rtp::testing::MakeNal;

rtp::EncodedFrame Frame(uint32_t ts, bool key) {
  rtp::EncodedFrame f;
  f.codec = rtp::Codec::kH264;
  f.rtp_timestamp = ts;
  f.keyframe = key;
  f.width = 640;
  f.height = 360;
  f.data = key ? AnnexB({rtp::testing::kSps640x360, rtp::testing::kPps, MakeNal(0x65, 900, ts)})
               : AnnexB({MakeNal(0x41, 300, ts)});
  return f;
}

struct ReadBack {
  int packets = 0;
  int keyframes = 0;
  int extradata_size = 0;
  std::vector<int64_t> pts_90k;
  int64_t stream_duration_90k = 0;
};

ReadBack Read(const std::string& path) {
  ReadBack r;
  AVFormatContext* ctx = nullptr;
  if (avformat_open_input(&ctx, path.c_str(), nullptr, nullptr) < 0) return r;
  r.extradata_size = ctx->streams[0]->codecpar->extradata_size;
  const AVRational tb = ctx->streams[0]->time_base;
  deps::AvPacketPtr pkt(av_packet_alloc());
  while (av_read_frame(ctx, pkt.get()) >= 0) {
    ++r.packets;
    if (pkt->flags & AV_PKT_FLAG_KEY) ++r.keyframes;
    r.pts_90k.push_back(av_rescale_q(pkt->pts, tb, AVRational{1, 90000}));
    av_packet_unref(pkt.get());
  }
  r.stream_duration_90k = av_rescale_q(ctx->streams[0]->duration, tb, AVRational{1, 90000});
  avformat_close_input(&ctx);
  return r;
}

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("tessera-recorder-") + std::to_string(getpid()) + "-" + name))
      .string();
}

TEST(FrameRecorder, WritesFramesFromTheFirstKeyframeWithExactTimestamps) {
  const std::string path = TempPath("a.mp4");
  auto rec = FrameRecorder::Create(path, rtp::Codec::kH264);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  const uint32_t base = 0xFFFFF000u;  // the RTP timestamp wraps during the recording
  ASSERT_TRUE((*rec)->Write(Frame(base - 3000, false)).ok());  // before any keyframe: skipped
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*rec)->Write(Frame(base + 3000u * i, i == 0 || i == 6)).ok());
  }
  ASSERT_TRUE((*rec)->Write(Frame(base + 3000u * 9, false)).ok());  // no progress: skipped
  ASSERT_TRUE((*rec)->Close().ok());
  EXPECT_EQ((*rec)->frames_written(), 10u);
  EXPECT_EQ((*rec)->frames_skipped(), 2u);

  ReadBack r = Read(path);
  EXPECT_EQ(r.packets, 10);
  EXPECT_EQ(r.keyframes, 2);
  EXPECT_GT(r.extradata_size, 0) << "SPS/PPS must become the track's extradata";
  ASSERT_EQ(r.pts_90k.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(r.pts_90k[i] - r.pts_90k[0], 3000 * i) << "frame " << i;
  }
  // Ten frames of 1/30 s: the last frame's duration is written too.
  EXPECT_EQ(r.stream_duration_90k, 30000);
  std::filesystem::remove(path);
}

TEST(FrameRecorder, RejectsUnsupportedContainersAndCodecs) {
  EXPECT_FALSE(FrameRecorder::Create(TempPath("x.avi"), rtp::Codec::kH264).ok());
  EXPECT_FALSE(FrameRecorder::Create(TempPath("x.unknownext"), rtp::Codec::kH264).ok());
  EXPECT_FALSE(FrameRecorder::Create(TempPath("x.webm"), rtp::Codec::kH264).ok());
  EXPECT_FALSE(FrameRecorder::Create(TempPath("x.mp4"), rtp::Codec::kOpus).ok());
  auto r = FrameRecorder::Create("/nonexistent-dir/x.mp4", rtp::Codec::kH264);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent-dir/x.mp4"), std::string::npos);
}

// AV1 from a camera: temporal units as rtp::AssembleFrame makes them (no temporal delimiter),
// the keyframe's sequence header as the codec private data (av1C).
TEST(FrameRecorder, RecordsAv1ToMatroskaAndWebm) {
  auto tu = [](const std::vector<uint8_t>& with_delimiter, uint32_t ts, bool key) {
    rtp::EncodedFrame f;
    f.codec = rtp::Codec::kAv1;
    f.rtp_timestamp = ts;
    f.keyframe = key;
    f.width = 64;
    f.height = 48;
    f.data.assign(with_delimiter.begin() + 2, with_delimiter.end());
    return f;
  };
  for (const char* name : {"av1.mkv", "av1.webm"}) {
    const std::string path = TempPath(name);
    auto rec = FrameRecorder::Create(path, rtp::Codec::kAv1);
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    ASSERT_TRUE((*rec)->Write(tu(rtp::testing::kAv1Keyframe64x48, 1000, true)).ok());
    ASSERT_TRUE((*rec)->Write(tu(rtp::testing::kAv1Interframe64x48, 4000, false)).ok());
    ASSERT_TRUE((*rec)->Close().ok());
    ReadBack r = Read(path);
    EXPECT_EQ(r.packets, 2) << name;
    EXPECT_EQ(r.keyframes, 1) << name;
    EXPECT_GT(r.extradata_size, 0) << name << ": the sequence header must become av1C";
    std::filesystem::remove(path);
  }
  EXPECT_FALSE(FrameRecorder::Create(TempPath("av1.mp4"), rtp::Codec::kAv1).ok());
  const std::string vp9 = TempPath("vp9.webm");
  EXPECT_TRUE(FrameRecorder::Create(vp9, rtp::Codec::kVp9).ok());
  std::filesystem::remove(vp9);
}

TEST(FrameRecorder, ClosingWithoutAKeyframeLeavesNoFramesAndIsNotAnError) {
  const std::string path = TempPath("b.mkv");
  auto rec = FrameRecorder::Create(path, rtp::Codec::kH264);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE((*rec)->Write(Frame(100, false)).ok());
  EXPECT_TRUE((*rec)->Close().ok());
  EXPECT_EQ((*rec)->frames_written(), 0u);
  EXPECT_EQ((*rec)->frames_skipped(), 1u);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tessera::codec
