#include <gtest/gtest.h>
#include <tessera/mixer/notice_tone.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "unit/mixer/test_signals.h"

namespace tessera::mixer {
namespace {

using testing::Sine;
using testing::ToneDb;

// 20 ms frames of the tone alone (added over silence), for `seconds`.
std::vector<std::vector<float>> Frames(NoticeTone& tone, int seconds) {
  std::vector<std::vector<float>> out;
  for (int i = 0; i < seconds * 50; ++i) {
    std::vector<float> f(kMixFrameSamples, 0.0f);
    tone.AddTo(f);
    out.push_back(std::move(f));
  }
  return out;
}

TEST(NoticeTone, TwoBeepsEveryTwoSecondsAt1400Hz) {
  NoticeTone tone;
  const auto frames = Frames(tone, 4);
  // 20 ms frames: beeps in frames 0-9 and 20-29 of each 100-frame period, silence elsewhere.
  for (size_t i = 0; i < frames.size(); ++i) {
    const size_t t = i % 100;
    const bool beep = t < 10 || (t >= 20 && t < 30);
    const double db = ToneDb(frames[i], 1400);
    if (beep) {
      EXPECT_GT(db, -24) << "frame " << i;  // -18 dBFS peak less the ramps
      EXPECT_LT(ToneDb(frames[i], 1000), db - 20) << "frame " << i << ": not a pure 1400 Hz";
    } else {
      EXPECT_EQ(*std::max_element(frames[i].begin(), frames[i].end()), 0.0f) << "frame " << i;
    }
  }
}

TEST(NoticeTone, StartsAndEndsEachBeepWithoutAClick) {
  NoticeTone tone;
  const auto frames = Frames(tone, 1);
  // The first samples of a beep and the last ones rise and fall: no full-scale step.
  EXPECT_LT(std::fabs(frames[0][0]), 0.01f);
  EXPECT_LT(std::fabs(frames[9][kMixFrameSamples - 1]), 0.01f);
  float peak = 0;
  for (float s : frames[5]) peak = std::max(peak, std::fabs(s));
  EXPECT_NEAR(peak, std::pow(10.0f, -18.0f / 20), 0.01f);
}

TEST(NoticeTone, KeepsTheMixUnderItAndClamps) {
  NoticeTone tone;
  std::vector<float> speech = Sine(400, 0.3f);
  const double before = ToneDb(speech, 400);
  tone.AddTo(speech);
  EXPECT_NEAR(ToneDb(speech, 400), before, 0.5);  // the meeting stays audible
  EXPECT_GT(ToneDb(speech, 1400), -24);
  std::vector<float> loud(kMixFrameSamples, 0.99f);
  NoticeTone again;
  again.AddTo(loud);
  for (float s : loud) ASSERT_LE(s, 1.0f);
}

TEST(NoticeTone, ReportsWhereItSounds) {
  NoticeTone tone;
  EXPECT_TRUE(tone.Sounding(0));
  EXPECT_FALSE(tone.Sounding(48 * 300));  // the gap between the beeps
  EXPECT_TRUE(tone.Sounding(48 * 500));   // the second beep
  EXPECT_FALSE(tone.Sounding(48 * 1000));
  EXPECT_TRUE(tone.Sounding(48 * 2000));  // the next pattern
}

}  // namespace
}  // namespace tessera::mixer
