// The hardware H.264 encoders' settings, checked without a GPU: the option list itself, and
// that this libavcodec's h264_nvenc and h264_qsv take every option with the intended value.
#include "codec/hw_encoder_options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>

#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/opt.h>
}

namespace tessera::codec {
namespace {

const VideoEncoderConfig kConfig{
    .width = 1280, .height = 720, .fps = 30, .bitrate_bps = 1'500'000, .keyframe_interval_s = 10};

std::optional<std::string> ValueOf(const std::vector<CodecOption>& options,
                                   const std::string& key) {
  const auto it = std::find_if(options.begin(), options.end(),
                               [&](const CodecOption& o) { return o.key == key; });
  if (it == options.end()) return std::nullopt;
  return it->value;
}

class HwH264Options : public ::testing::TestWithParam<HwBackend> {};

// The CPU encoder's rate control (video_encoder.cc): CBR, maxrate = target, a half-second VBV,
// an IDR every keyframe_interval_s, no B-frames.
TEST_P(HwH264Options, RateControlMatchesTheCpuEncoder) {
  const auto o = HwH264EncoderOptions(GetParam(), kConfig);
  EXPECT_EQ(ValueOf(o, "b"), "1500000");
  EXPECT_EQ(ValueOf(o, "maxrate"), "1500000");
  EXPECT_EQ(ValueOf(o, "bufsize"), "750000");
  EXPECT_EQ(ValueOf(o, "g"), "300");
  EXPECT_EQ(ValueOf(o, "bf"), "0");
  EXPECT_EQ(ValueOf(o, "profile"), "baseline");

  VideoEncoderConfig low = kConfig;
  low.bitrate_bps = 300'000;
  low.fps = 15;
  low.keyframe_interval_s = 4;
  const auto l = HwH264EncoderOptions(GetParam(), low);
  EXPECT_EQ(ValueOf(l, "b"), "300000");
  EXPECT_EQ(ValueOf(l, "bufsize"), "150000");
  EXPECT_EQ(ValueOf(l, "g"), "60");
}

TEST_P(HwH264Options, KeysAreUnique) {
  auto o = HwH264EncoderOptions(GetParam(), kConfig);
  std::sort(o.begin(), o.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  EXPECT_EQ(std::adjacent_find(o.begin(), o.end(),
                               [](const auto& a, const auto& b) { return a.key == b.key; }),
            o.end());
}

// Applies the options to a context of the real encoder (no device needed: nothing is opened)
// and checks that none is left over, i.e. each name exists and each value parses.
TEST_P(HwH264Options, ThisLibavcodecTakesEveryOption) {
  const char* name = HwH264EncoderName(GetParam());
  const AVCodec* enc = avcodec_find_encoder_by_name(name);
  if (!enc) GTEST_SKIP() << "libavcodec lacks " << name;
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(enc));
  ASSERT_TRUE(ctx);
  AVDictionary* dict = ToAvDictionary(HwH264EncoderOptions(GetParam(), kConfig)).release();
  const int err = av_opt_set_dict2(ctx.get(), &dict, AV_OPT_SEARCH_CHILDREN);
  const AvDictionaryPtr left(dict);
  ASSERT_GE(err, 0) << deps::AvErrorText(err);
  const AVDictionaryEntry* e = av_dict_get(left.get(), "", nullptr, AV_DICT_IGNORE_SUFFIX);
  EXPECT_EQ(e, nullptr) << name << " does not know " << (e ? e->key : "");
  EXPECT_EQ(ctx->bit_rate, 1'500'000);
  EXPECT_EQ(ctx->rc_max_rate, 1'500'000);
  EXPECT_EQ(ctx->rc_buffer_size, 750'000);
  EXPECT_EQ(ctx->gop_size, 300);
  EXPECT_EQ(ctx->max_b_frames, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, HwH264Options,
                         ::testing::Values(HwBackend::kCuda, HwBackend::kQsv),
                         [](const auto& info) { return std::string(HwBackendName(info.param)); });

int64_t PrivateInt(AVCodecContext* ctx, const char* name) {
  int64_t v = -12345;
  EXPECT_GE(av_opt_get_int(ctx->priv_data, name, 0, &v), 0) << name;
  return v;
}

deps::AvCodecContextPtr ConfiguredContext(HwBackend backend) {
  const AVCodec* enc = avcodec_find_encoder_by_name(HwH264EncoderName(backend));
  if (!enc) return nullptr;
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(enc));
  AVDictionary* dict = ToAvDictionary(HwH264EncoderOptions(backend, kConfig)).release();
  EXPECT_GE(av_opt_set_dict2(ctx.get(), &dict, AV_OPT_SEARCH_CHILDREN), 0);
  av_dict_free(&dict);
  return ctx;
}

// NVENC: constrained baseline, CBR, low-latency tuning, a packet per frame from the same call,
// and forced keyframes as IDRs. (SPS/PPS before every IDR is NVENC's repeatSPSPPS, which FFmpeg
// sets whenever AV_CODEC_FLAG_GLOBAL_HEADER is off, as it is here.)
TEST(HwH264EncoderSettings, NvencIsLowLatencyCbrConstrainedBaseline) {
  auto ctx = ConfiguredContext(HwBackend::kCuda);
  if (!ctx) GTEST_SKIP() << "libavcodec lacks h264_nvenc";
  EXPECT_EQ(PrivateInt(ctx.get(), "rc"), 2);       // cbr
  EXPECT_EQ(PrivateInt(ctx.get(), "profile"), 0);  // baseline
  EXPECT_EQ(PrivateInt(ctx.get(), "coder"), 2);    // cavlc
  EXPECT_EQ(PrivateInt(ctx.get(), "tune"), 2);     // ll
  EXPECT_EQ(PrivateInt(ctx.get(), "preset"), 14);  // p3
  EXPECT_EQ(PrivateInt(ctx.get(), "delay"), 0);
  EXPECT_EQ(PrivateInt(ctx.get(), "zerolatency"), 1);
  EXPECT_EQ(PrivateInt(ctx.get(), "rc-lookahead"), 0);
  EXPECT_EQ(PrivateInt(ctx.get(), "forced-idr"), 1);
  EXPECT_FALSE(ctx->flags & AV_CODEC_FLAG_GLOBAL_HEADER);
}

TEST(HwH264EncoderSettings, QsvIsLowLatencyConstrainedBaseline) {
  auto ctx = ConfiguredContext(HwBackend::kQsv);
  if (!ctx) GTEST_SKIP() << "libavcodec lacks h264_qsv";
  EXPECT_EQ(PrivateInt(ctx.get(), "profile"), 66);  // baseline
  EXPECT_EQ(PrivateInt(ctx.get(), "cavlc"), 1);
  EXPECT_EQ(PrivateInt(ctx.get(), "async_depth"), 1);
  EXPECT_EQ(PrivateInt(ctx.get(), "look_ahead"), 0);
  EXPECT_EQ(PrivateInt(ctx.get(), "forced_idr"), 1);
  EXPECT_EQ(PrivateInt(ctx.get(), "idr_interval"), 0);
  // qsvenc picks CBR when maxrate equals the target.
  EXPECT_EQ(ctx->rc_max_rate, ctx->bit_rate);
}

TEST(HwH264EncoderSettings, CpuBackendHasNoHardwareEncoder) {
  EXPECT_TRUE(HwH264EncoderOptions(HwBackend::kCpu, kConfig).empty());
  EXPECT_STREQ(HwH264EncoderName(HwBackend::kCpu), "");
}

TEST(HwEncoderOpenError, NoEncodeDeviceSaysTheGpuHasNoNvenc) {
  for (int err : {AVERROR(ENOENT), AVERROR(ENOSYS)}) {
    const Status s = HwEncoderOpenError(HwBackend::kCuda, err);
    EXPECT_EQ(s.code(), StatusCode::kUnavailable);
    EXPECT_EQ(s.message().rfind("no NVENC on this GPU (h264_nvenc: ", 0), 0u) << s.message();
    EXPECT_NE(s.message().find(deps::AvErrorText(err)), std::string::npos) << s.message();
  }
}

TEST(HwEncoderOpenError, OtherFailuresAreUnavailableWithFfmpegsText) {
  const Status nvenc = HwEncoderOpenError(HwBackend::kCuda, AVERROR(EINVAL));
  EXPECT_EQ(nvenc.code(), StatusCode::kUnavailable);
  EXPECT_EQ(nvenc.message(), "h264_nvenc: " + deps::AvErrorText(AVERROR(EINVAL)));
  const Status qsv = HwEncoderOpenError(HwBackend::kQsv, AVERROR(ENOSYS));
  EXPECT_EQ(qsv.code(), StatusCode::kUnavailable);
  EXPECT_EQ(qsv.message(), "h264_qsv: " + deps::AvErrorText(AVERROR(ENOSYS)));
}

}  // namespace
}  // namespace tessera::codec
