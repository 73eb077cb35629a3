// Packet-loss concealment for codecs without their own (G.711, G.722), after ITU-T G.711
// Appendix I: repeat the last pitch period of the decoded signal, fade it out, and cross-fade back
// into the next decoded frame. Works on 48 kHz mono float.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace tessera::codec {

// Runs on: the decoder's executor (not thread-safe).
class WaveformConcealer {
 public:
  // A decoded frame. After a loss its head is cross-faded from the concealment, in place.
  void OnDecoded(std::span<float> frame);
  // `samples` of concealment continuing the signal. The gain falls linearly from 1 at the start
  // of a loss to 0 after kFadeSamples of consecutive concealment; silence before any history.
  std::vector<float> Conceal(size_t samples);

  static constexpr size_t kFadeSamples = 3 * 960;  // three 20 ms frames at 48 kHz

 private:
  // The pitch period (in samples) of the history's tail, by normalised autocorrelation.
  size_t FindPeriod() const;
  // The next sample of the periodic extension (without gain).
  float NextSynthetic();

  std::vector<float> history_;  // the most recent output, oldest first
  size_t period_ = 0;           // 0 when not concealing
  size_t phase_ = 0;            // position within the repeated period
  size_t concealed_ = 0;        // samples concealed in the current loss
};

}  // namespace tessera::codec
