#include "codec/resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "unit/codec/audio_test_util.h"

namespace tessera::codec {
namespace {

std::vector<int16_t> Sine16(int rate, double hz, int first, int count) {
  std::vector<int16_t> out(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    out[static_cast<size_t>(i)] = static_cast<int16_t>(
        std::lround(8000 * std::sin(2 * std::numbers::pi * hz * (first + i) / rate)));
  }
  return out;
}

TEST(Resampler, UpsampledSineStaysContinuousAcrossCalls) {
  auto up = Resampler::CreateUpsampler(8000);
  ASSERT_TRUE(up.ok());
  std::vector<float> out;
  for (int f = 0; f < 20; ++f) {
    const auto chunk = (*up)->Upsample(Sine16(8000, 440, f * 160, 160));
    ASSERT_EQ(chunk.size(), 960u);
    if (f > 0) out.insert(out.end(), chunk.begin(), chunk.end());
  }
  const float amplitude = 8000.0f / 32768.0f;
  const float step = static_cast<float>(2 * std::numbers::pi * 440 / 48000) * amplitude;
  EXPECT_LT(testing::MaxStep(out), 1.2f * step);
  EXPECT_NEAR(testing::Rms(out), amplitude / std::sqrt(2.0), 0.01);
}

TEST(Resampler, FirstOutputCarriesTheLatencyAsSilence) {
  auto up = Resampler::CreateUpsampler(16000);
  ASSERT_TRUE(up.ok());
  const std::vector<int16_t> dc(320, 16384);
  const auto first = (*up)->Upsample(dc);
  ASSERT_EQ(first.size(), 960u);
  const int latency = (*up)->latency();
  EXPECT_GT(latency, 0);
  EXPECT_LT(latency, 480);
  EXPECT_EQ(first[0], 0.0f);
  EXPECT_NEAR((*up)->Upsample(dc)[0], 0.5f, 0.01f);
  EXPECT_EQ((*up)->latency(), latency);
}

TEST(Resampler, DownsamplesToTheNominalLength) {
  auto down = Resampler::CreateDownsampler(8000);
  ASSERT_TRUE(down.ok());
  for (int f = 0; f < 10; ++f) {
    const auto out = (*down)->Downsample(testing::SineFrame(440, 0.5f, f));
    EXPECT_EQ(out.size(), 160u);
  }
}

TEST(Resampler, RejectsRatesThatDoNotDivide48k) {
  EXPECT_FALSE(Resampler::CreateUpsampler(44100).ok());
  EXPECT_FALSE(Resampler::CreateDownsampler(0).ok());
}

}  // namespace
}  // namespace tessera::codec
