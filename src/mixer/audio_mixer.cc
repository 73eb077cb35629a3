#include <tessera/codec/audio_level.h>
#include <tessera/mixer/audio_mixer.h>

#include <algorithm>
#include <cassert>

#include "mixer/limiter.h"

namespace tessera::mixer {
namespace {

// Smoothed level: follows a louder frame quickly and a quieter one slowly, so the ranking reflects
// the speech envelope rather than single syllables.
constexpr float kLevelAttack = 0.5f;
constexpr float kLevelDecay = 0.1f;

void AddInto(std::span<float> dst, std::span<const float> src) {
  for (size_t i = 0; i < kMixFrameSamples; ++i) dst[i] += src[i];
}

}  // namespace

AudioMixer::AudioMixer(AudioMixerConfig config) : config_(config) {}

MixOutput AudioMixer::Mix(std::span<const MixerInput> inputs, int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(room_strand_);
  ++tick_;
  const size_t n = inputs.size();
  const int64_t hangover_us = config_.vad_hangover_ms * 1000;
  MixOutput out;
  out.levels.resize(n);
  out.listener_mix.assign(n, 0);
  state_of_input_.assign(n, nullptr);
  candidates_.clear();

  // Levels, voice activity and the candidates for selection.
  for (size_t i = 0; i < n; ++i) {
    const MixerInput& in = inputs[i];
    const bool has_audio = in.pcm.size() == kMixFrameSamples;
    const uint8_t level = in.audio_level
                              ? std::min<uint8_t>(*in.audio_level, 127)
                              : (has_audio ? codec::AudioLevelDbov(in.pcm) : uint8_t{127});
    out.levels[i] = level;
    auto [it, inserted] = participants_.try_emplace(in.id);
    Participant& p = it->second;
    if (!inserted && p.seen_tick == tick_) continue;  // duplicate id: listener only
    if (inserted) p.smoothed_level = level;
    p.seen_tick = tick_;
    state_of_input_[i] = &p;
    const float l = level;
    p.smoothed_level +=
        (l < p.smoothed_level ? kLevelAttack : kLevelDecay) * (l - p.smoothed_level);
    if (has_audio && l <= config_.vad_threshold_dbov) {
      p.last_voiced_us = now_us;
      p.ever_voiced = true;
    }
    const bool voice_active = p.ever_voiced && now_us - p.last_voiced_us <= hangover_us;
    if (voice_active && has_audio && !in.muted) candidates_.push_back(i);
  }

  // The K loudest candidates; the previous selection gets the hysteresis bonus.
  auto rank = [&](size_t i) {
    const Participant& p = *state_of_input_[i];
    return p.smoothed_level - (p.selected ? config_.selection_hysteresis_db : 0.0f);
  };
  auto louder = [&](size_t a, size_t b) {
    const float ra = rank(a), rb = rank(b);
    return ra != rb ? ra < rb : inputs[a].id < inputs[b].id;
  };
  const size_t k_max = static_cast<size_t>(std::max(config_.max_speakers, 0));
  const size_t count = std::min(k_max, candidates_.size());
  std::partial_sort(candidates_.begin(), candidates_.begin() + count, candidates_.end(), louder);
  candidates_.resize(count);
  std::stable_sort(candidates_.begin(), candidates_.end(), [&](size_t a, size_t b) {
    return state_of_input_[a]->smoothed_level < state_of_input_[b]->smoothed_level;
  });

  // Who listens to what.
  const float everyone_gain_before = everyone_mix_gain_;
  for (auto& entry : participants_) {
    auto& p = entry.second;  // not a structured binding: clang 14 cannot capture those
    if (p.seen_tick != tick_) continue;
    const bool now_selected = std::any_of(candidates_.begin(), candidates_.end(),
                                          [&](size_t i) { return state_of_input_[i] == &p; });
    // A new speaker's own mix takes over from the mix it was hearing.
    if (now_selected && !p.selected) p.own_mix_gain = everyone_gain_before;
    p.selected = now_selected;
  }
  bool everyone_mix_heard = false;
  std::vector<bool> own_mix_heard(count, false);
  for (size_t k = 0; k < count; ++k) {
    const size_t i = candidates_[k];
    out.selected.push_back(inputs[i].id);
    out.listener_mix[i] = static_cast<int>(1 + k);
  }
  for (size_t i = 0; i < n; ++i) {
    if (inputs[i].deaf) out.listener_mix[i] = -1;
  }
  AddPrivateMixes(inputs, out, everyone_gain_before);
  for (size_t i = 0; i < n; ++i) {
    if (out.listener_mix[i] == 0) everyone_mix_heard = true;
  }
  for (size_t k = 0; k < count; ++k) {
    own_mix_heard[k] = out.listener_mix[candidates_[k]] == static_cast<int>(1 + k);
  }

  // Sum in float; each mix-minus is the sum of the others, not total minus own, so no residue of
  // the speaker's own voice is left by rounding.
  out.mixes.resize(count + 1 + out.mix_listener.size());
  if (everyone_mix_heard) {
    std::vector<float>& mix = out.mixes[0];
    mix.assign(kMixFrameSamples, 0.0f);
    for (size_t i : candidates_) AddInto(mix, inputs[i].pcm);
    Limiter limiter;
    limiter.set_gain(everyone_mix_gain_);
    limiter.Process(mix);
    everyone_mix_gain_ = limiter.gain();
  }
  for (size_t k = 0; k < count; ++k) {
    if (!own_mix_heard[k]) continue;
    std::vector<float>& mix = out.mixes[1 + k];
    mix.assign(kMixFrameSamples, 0.0f);
    for (size_t j = 0; j < count; ++j) {
      if (j != k) AddInto(mix, inputs[candidates_[j]].pcm);
    }
    Participant& p = *state_of_input_[candidates_[k]];
    Limiter limiter;
    limiter.set_gain(p.own_mix_gain);
    limiter.Process(mix);
    p.own_mix_gain = limiter.gain();
  }

  for (size_t j = 0; j < out.mix_listener.size(); ++j) {
    const size_t i = private_listeners_[j];
    std::vector<float>& mix = out.mixes[count + 1 + j];
    mix.assign(kMixFrameSamples, 0.0f);
    for (size_t c : candidates_) {
      const uint32_t id = inputs[c].id;
      const auto& skip = inputs[i].not_heard;
      if (id == inputs[i].id || std::find(skip.begin(), skip.end(), id) != skip.end()) continue;
      AddInto(mix, inputs[c].pcm);
    }
    Participant& p = *state_of_input_[i];
    Limiter limiter;
    limiter.set_gain(p.private_mix_gain);
    limiter.Process(mix);
    p.private_mix_gain = limiter.gain();
  }

  std::erase_if(participants_, [&](const auto& entry) { return entry.second.seen_tick != tick_; });
  return out;
}

void AudioMixer::AddPrivateMixes(std::span<const MixerInput> inputs, MixOutput& out,
                                 float everyone_gain) {
  // Nobody's not_heard costs anything while none of its ids is selected: the common path is one
  // emptiness check per listener.
  private_listeners_.clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const MixerInput& in = inputs[i];
    Participant* p = state_of_input_[i];
    if (!p) continue;  // a duplicate id: listens to mixes[0] only
    bool needs_own = false;
    if (!in.deaf && !in.not_heard.empty()) {
      for (uint32_t id : out.selected) {
        if (id != in.id &&
            std::find(in.not_heard.begin(), in.not_heard.end(), id) != in.not_heard.end()) {
          needs_own = true;
          break;
        }
      }
    }
    if (needs_own) {
      // A new own mix takes over from the mix the listener was hearing.
      if (!p->had_private_mix) {
        p->private_mix_gain = out.listener_mix[i] == 0 ? everyone_gain : p->own_mix_gain;
      }
      out.listener_mix[i] = static_cast<int>(out.selected.size() + 1 + out.mix_listener.size());
      out.mix_listener.push_back(in.id);
      private_listeners_.push_back(i);
    }
    p->had_private_mix = needs_own;
  }
}

}  // namespace tessera::mixer
