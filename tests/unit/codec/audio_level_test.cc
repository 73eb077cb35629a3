#include <gtest/gtest.h>
#include <tessera/codec/audio_level.h>

#include <cmath>
#include <limits>
#include <vector>

#include "unit/codec/audio_test_util.h"

namespace tessera::codec {
namespace {

using testing::AmplitudeOf;
using testing::SineFrame;

TEST(AudioLevel, FullScaleSineIsThreeDbov) {
  const auto sine = SineFrame(1000, 1.0f, 0);
  EXPECT_NEAR(RmsDbfs(sine), -3.01, 0.05);
  EXPECT_EQ(AudioLevelDbov(sine), 3);
}

TEST(AudioLevel, FullScaleSquareIsZeroDbov) {
  std::vector<float> square(960);
  for (size_t i = 0; i < square.size(); ++i) square[i] = (i / 24) % 2 ? 1.0f : -1.0f;
  EXPECT_NEAR(RmsDbfs(square), 0.0, 1e-9);
  EXPECT_EQ(AudioLevelDbov(square), 0);
}

TEST(AudioLevel, SilenceIs127) {
  const std::vector<float> silence(960, 0.0f);
  EXPECT_EQ(AudioLevelDbov(silence), 127);
  EXPECT_TRUE(std::isinf(RmsDbfs(silence)));
  EXPECT_EQ(AudioLevelDbov({}), 127);
}

TEST(AudioLevel, QuietSignalClampsTo127) {
  const auto sine = SineFrame(440, AmplitudeOf(-140), 0);
  EXPECT_EQ(AudioLevelDbov(sine), 127);
}

TEST(AudioLevel, RoundsMinusDbov) {
  // Peak -20 dBFS sine: RMS -23.01 dBFS -> level 23.
  const auto sine = SineFrame(440, AmplitudeOf(-20), 0);
  EXPECT_EQ(AudioLevelDbov(sine), 23);
}

}  // namespace
}  // namespace tessera::codec

namespace tessera::codec {
namespace {

TEST(AudioLevel, NonFiniteSamplesNeverCrashOrWrap) {
  std::vector<float> nan(960, std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(AudioLevelDbov(nan), 127);
  std::vector<float> inf(960, std::numeric_limits<float>::infinity());
  EXPECT_EQ(AudioLevelDbov(inf), 0);
  EXPECT_EQ(AudioLevelDbov(std::vector<float>(7, 1.0f)), 0);  // fewer samples than a lane
}

}  // namespace
}  // namespace tessera::codec
