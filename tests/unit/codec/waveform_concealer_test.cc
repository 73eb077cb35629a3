#include "codec/waveform_concealer.h"

#include <gtest/gtest.h>

#include <vector>

#include "unit/codec/audio_test_util.h"

namespace tessera::codec {
namespace {

using testing::MaxStep;
using testing::Rms;
using testing::SineFrame;

TEST(WaveformConcealer, SilenceBeforeAnyHistory) {
  WaveformConcealer plc;
  const auto out = plc.Conceal(960);
  ASSERT_EQ(out.size(), 960u);
  EXPECT_EQ(Rms(out), 0.0);
}

TEST(WaveformConcealer, ContinuesAPeriodicSignalSmoothly) {
  WaveformConcealer plc;
  std::vector<float> signal;
  for (int i = 0; i < 3; ++i) {
    auto frame = SineFrame(200, 0.5f, i);
    plc.OnDecoded(frame);
    signal.insert(signal.end(), frame.begin(), frame.end());
  }
  const auto concealed = plc.Conceal(960);
  // Close to the true continuation at the start, before the fade has bitten.
  const auto truth = SineFrame(200, 0.5f, 3);
  EXPECT_GT(testing::Correlation(std::span(concealed).first(240), std::span(truth).first(240)),
            0.99);
  signal.insert(signal.end(), concealed.begin(), concealed.end());
  EXPECT_LT(MaxStep(signal), 1.5f * MaxStep(SineFrame(200, 0.5f, 0)));
}

TEST(WaveformConcealer, CrossFadesBackIntoDecodedAudio) {
  WaveformConcealer plc;
  for (int i = 0; i < 3; ++i) {
    auto frame = SineFrame(300, 0.5f, i);
    plc.OnDecoded(frame);
  }
  auto concealed = plc.Conceal(960);
  // The next decoded frame is out of phase with the concealment: without the cross-fade its first
  // sample would jump.
  auto next = SineFrame(300, -0.5f, 4);
  plc.OnDecoded(next);
  std::vector<float> joined(concealed.end() - 10, concealed.end());
  joined.insert(joined.end(), next.begin(), next.begin() + 200);
  EXPECT_LT(MaxStep(joined), 0.05f);
}

TEST(WaveformConcealer, FadesOutOverThreeFrames) {
  WaveformConcealer plc;
  auto frame = SineFrame(250, 0.5f, 0);
  plc.OnDecoded(frame);
  const double first = Rms(plc.Conceal(960));
  const double second = Rms(plc.Conceal(960));
  const double third = Rms(plc.Conceal(960));
  const double fourth = Rms(plc.Conceal(960));
  EXPECT_GT(first, second);
  EXPECT_GT(second, third);
  EXPECT_GT(third, 0.0);
  EXPECT_EQ(fourth, 0.0);
}

}  // namespace
}  // namespace tessera::codec
