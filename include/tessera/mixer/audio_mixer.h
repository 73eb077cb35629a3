// Audio mixing core of a room: picks the K loudest voice-active speakers and builds the K + 1
// distinct mixes every participant hears (everyone selected, and everyone selected but one
// speaker for each selected speaker). Works on mono float PCM at 48 kHz in 20 ms frames; knows
// nothing of codecs or RTP, so the room decodes before and encodes each distinct mix once per
// codec after.
#pragma once

#include <tessera/base/thread_checker.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace tessera::mixer {

inline constexpr int kMixSampleRateHz = 48000;
inline constexpr size_t kMixFrameSamples = 960;  // 20 ms at 48 kHz

struct MixerInput {
  uint32_t id = 0;
  // kMixFrameSamples mono samples in [-1, 1]; empty = no audio this tick. A span of any other
  // length is treated as empty. Borrowed for the duration of Mix().
  std::span<const float> pcm = {};
  // RFC 6464 level (-dBov, 0 = loudest, 127 = silence) from the sender's header extension;
  // computed from pcm when absent. Values above 127 count as 127.
  std::optional<uint8_t> audio_level = std::nullopt;
  bool muted = false;  // never heard by anyone
  bool deaf = false;   // hears nothing (listener_mix = -1)
  // Ids this listener must not hear besides itself (a recording's listener: the participants
  // left out of it). Borrowed for the duration of Mix(). While none of them is selected the
  // listener hears the shared mix; otherwise it gets a mix of its own (MixOutput::mix_listener).
  std::span<const uint32_t> not_heard = {};
};

struct AudioMixerConfig {
  // K: most speakers mixed at once.
  int max_speakers = 3;
  // A level numerically <= this (louder than -50 dBov) is voice.
  float vad_threshold_dbov = 50;
  // A speaker stays voice-active this long after its last voiced frame (pauses between words).
  int64_t vad_hangover_ms = 300;
  // A selected speaker keeps its slot against a newcomer that is louder by less than this
  // (smoothed levels), so two similar voices do not swap slots every tick.
  float selection_hysteresis_db = 3;
};

struct MixOutput {
  // mixes[0]: every selected speaker (what listeners who are not selected hear).
  // mixes[1 + k]: every selected speaker except selected[k].
  // mixes[1 + K + j]: the mix of listener mix_listener[j] alone: every selected speaker except
  // itself and its not_heard ones (only for a listener whose not_heard holds a selected id).
  // mixes.size() == selected.size() + 1 + mix_listener.size() always. A mix nobody listens to (a
  // deaf selected speaker, or mixes[0] when every listener is selected) is left empty; the
  // others hold kMixFrameSamples samples within [-0.98, 0.98]. With nobody selected mixes[0] is
  // silence.
  std::vector<std::vector<float>> mixes;
  // The listeners (ids) of the mixes after the K + 1, in order.
  std::vector<uint32_t> mix_listener;
  // Per input, in input order: index into mixes, or -1 for deaf listeners.
  std::vector<int> listener_mix;
  // Ids of the selected speakers, loudest (smoothed level) first.
  std::vector<uint32_t> selected;
  // Per input, in input order: the RFC 6464 level used (given or computed).
  std::vector<uint8_t> levels;
};

// Runs on: the room strand (asserted in debug builds). Not thread-safe.
//
// Keeps per-participant state (voice activity, smoothed level, limiter of its own mix) keyed by
// id; state of ids absent from a Mix() call is dropped. Each mix has its own limiter whose gain
// carries across ticks: mixes[0] has one slot, and each speaker's mix-minus follows the speaker
// (not the position k, which changes with loudness order).
class AudioMixer {
 public:
  explicit AudioMixer(AudioMixerConfig config);

  // One 20 ms tick. `inputs` holds every participant once (duplicate ids: the first wins, the
  // others only listen to mixes[0]); `now_us` is monotonic time in microseconds.
  [[nodiscard]] MixOutput Mix(std::span<const MixerInput> inputs, int64_t now_us);

 private:
  struct Participant {
    int64_t last_voiced_us = 0;
    bool ever_voiced = false;
    float smoothed_level = 127;    // -dBov, fast attack / slow decay
    bool selected = false;         // in the previous tick's selection
    float own_mix_gain = 1;        // limiter gain of this speaker's mix-minus
    float private_mix_gain = 1;    // limiter gain of its own mix (not_heard), while it has one
    bool had_private_mix = false;  // in the previous tick
    uint64_t seen_tick = 0;
  };

  // The listeners whose not_heard holds a selected speaker get their own mixes (after the K + 1).
  void AddPrivateMixes(std::span<const MixerInput> inputs, MixOutput& out, float everyone_gain);

  const AudioMixerConfig config_;
  std::unordered_map<uint32_t, Participant> participants_;
  float everyone_mix_gain_ = 1;  // limiter gain of mixes[0]
  uint64_t tick_ = 0;
  // Scratch reused across ticks: input indices of the candidates, then of the selection.
  std::vector<size_t> candidates_;
  std::vector<Participant*> state_of_input_;
  std::vector<size_t> private_listeners_;  // input index of each MixOutput::mix_listener
  ThreadChecker room_strand_;
};

}  // namespace tessera::mixer
