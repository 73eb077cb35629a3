// The recording notice a caller hears while Tessera waits for their consent (a key press; see
// docs/security.md, "Consent"): two short 1400 Hz beeps every two seconds, added over the room's
// mix so the meeting stays audible. 1400 Hz is the recorder warning tone of telephony practice
// (the US FCC's beep tone) and lies clear of speech's strongest band.
#pragma once

#include <cstdint>
#include <span>

namespace tessera::mixer {

struct NoticeToneConfig {
  double frequency_hz = 1400;
  double level_dbfs = -18;  // peak of each beep
  int beep_ms = 200;
  int gap_ms = 200;      // between the two beeps of a pattern
  int period_ms = 2000;  // from one pattern's start to the next
  int ramp_ms = 5;       // raised-cosine fade in and out of each beep: no clicks
};

// Runs on: its owner's thread (the room's strand). Not thread-safe.
class NoticeTone {
 public:
  explicit NoticeTone(NoticeToneConfig config = {});

  // Adds the next pcm.size() samples of the pattern (mono, kMixSampleRateHz) to pcm, clamped to
  // [-1, 1]. The pattern starts with a beep at the first call.
  void AddTo(std::span<float> pcm);

  // True when sample `n` of the pattern (from its start) lies inside a beep: for tests.
  bool Sounding(int64_t n) const;

 private:
  float Envelope(int64_t n) const;  // 0 outside the beeps

  NoticeToneConfig config_;
  double amplitude_;
  int64_t beep_samples_;
  int64_t gap_samples_;
  int64_t period_samples_;
  int64_t ramp_samples_;
  int64_t position_ = 0;  // samples of the pattern played
};

}  // namespace tessera::mixer
