#include "mixer/audio_level.h"

#include <gtest/gtest.h>

#include <vector>

#include "unit/mixer/test_signals.h"

namespace tessera::mixer {
namespace {

TEST(ComputeAudioLevel, SilenceAndEmptyAre127) {
  EXPECT_EQ(ComputeAudioLevel(std::vector<float>(960, 0.0f)), 127);
  EXPECT_EQ(ComputeAudioLevel({}), 127);
  EXPECT_EQ(ComputeAudioLevel(std::vector<float>(960, 1e-8f)), 127);  // -160 dBov
}

TEST(ComputeAudioLevel, IsMinusDbovOfTheRms) {
  EXPECT_EQ(ComputeAudioLevel(std::vector<float>(960, 1.0f)), 0);
  EXPECT_EQ(ComputeAudioLevel(std::vector<float>(960, -0.1f)), 20);
  EXPECT_EQ(ComputeAudioLevel(testing::Sine(1000, 1.0f)), 3);
  EXPECT_EQ(ComputeAudioLevel(testing::Sine(1000, 0.01f)), 43);
}

TEST(ComputeAudioLevel, ClampsOverloadToZero) {
  EXPECT_EQ(ComputeAudioLevel(std::vector<float>(960, 3.0f)), 0);
}

}  // namespace
}  // namespace tessera::mixer
