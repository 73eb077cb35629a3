#include "mixer/limiter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "unit/mixer/test_signals.h"

namespace tessera::mixer {
namespace {

using testing::Sine;

float Peak(const std::vector<float>& pcm) {
  float peak = 0;
  for (float s : pcm) peak = std::max(peak, std::fabs(s));
  return peak;
}

TEST(Limiter, PassesSignalsBelowTheCeilingUnchanged) {
  Limiter limiter;
  const std::vector<float> in = Sine(440, 0.9f);
  std::vector<float> out = in;
  limiter.Process(out);
  EXPECT_EQ(out, in);
  EXPECT_EQ(limiter.gain(), 1.0f);
}

TEST(Limiter, BoundsALoudSignalWithoutSignFlips) {
  Limiter limiter;
  for (int block = 0; block < 20; ++block) {
    const std::vector<float> in = Sine(440, 4.0f, block * 960);
    std::vector<float> out = in;
    limiter.Process(out);
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_LE(std::fabs(out[i]), 0.98f);
      if (in[i] != 0) {
        ASSERT_EQ(std::signbit(out[i]), std::signbit(in[i]));
      }
    }
    if (block > 0) {
      EXPECT_GT(Peak(out), 0.9f);
    }
  }
  EXPECT_NEAR(limiter.gain(), 0.98f / 4.0f, 0.03f);
}

TEST(Limiter, AttacksWithinAFewMillisecondsAndReleasesOverAboutOneHundred) {
  Limiter limiter;
  std::vector<float> step(960, 2.0f);
  limiter.Process(step);
  // Constant 2.0: needs gain 0.49; after 20 ms of 1 ms attack the gain is there.
  EXPECT_NEAR(limiter.gain(), 0.49f, 0.001f);
  std::vector<float> quiet(960, 0.1f);
  limiter.Process(quiet);
  // 20 ms into a 100 ms release: still well below unity, so the quiet part is attenuated...
  EXPECT_LT(limiter.gain(), 0.7f);
  EXPECT_LT(quiet.back(), 0.07f);
  // ...and 1.6 s later it is back to unity exactly.
  for (int i = 0; i < 80; ++i) {
    quiet.assign(960, 0.1f);
    limiter.Process(quiet);
  }
  EXPECT_EQ(limiter.gain(), 1.0f);
  EXPECT_EQ(quiet.back(), 0.1f);
}

TEST(Limiter, SilencesNonFiniteSamples) {
  Limiter limiter;
  std::vector<float> pcm(960, 0.5f);
  pcm[10] = std::numeric_limits<float>::quiet_NaN();
  pcm[20] = std::numeric_limits<float>::infinity();
  limiter.Process(pcm);
  EXPECT_EQ(pcm[10], 0.0f);
  EXPECT_EQ(pcm[20], 0.0f);
  EXPECT_EQ(pcm[30], 0.5f);
}

}  // namespace
}  // namespace tessera::mixer
