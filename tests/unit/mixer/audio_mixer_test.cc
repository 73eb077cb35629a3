#include <gtest/gtest.h>
#include <tessera/mixer/audio_mixer.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "unit/mixer/test_signals.h"

namespace tessera::mixer {
namespace {

using testing::Sine;
using testing::ToneDb;

constexpr int64_t kTickUs = 20'000;

// One participant's audio for a tick: a sine (amplitude 0 = digital silence).
struct Source {
  uint32_t id;
  double freq_hz;
  float amplitude;
  bool muted = false;
  bool deaf = false;
  std::vector<uint32_t> not_heard = {};
};

// Drives an AudioMixer tick by tick with phase-continuous sines.
class Room {
 public:
  explicit Room(AudioMixerConfig config) : mixer_(config) {}

  MixOutput Tick(const std::vector<Source>& sources) {
    pcm_.clear();
    for (const Source& s : sources) pcm_.push_back(Sine(s.freq_hz, s.amplitude, sample_));
    std::vector<MixerInput> inputs;
    for (size_t i = 0; i < sources.size(); ++i) {
      inputs.push_back(MixerInput{.id = sources[i].id,
                                  .pcm = pcm_[i],
                                  .audio_level = std::nullopt,
                                  .muted = sources[i].muted,
                                  .deaf = sources[i].deaf,
                                  .not_heard = sources[i].not_heard});
    }
    MixOutput out = mixer_.Mix(inputs, now_us_);
    now_us_ += kTickUs;
    sample_ += static_cast<int64_t>(kMixFrameSamples);
    return out;
  }

  const std::vector<float>& pcm(size_t i) const { return pcm_[i]; }

 private:
  AudioMixer mixer_;
  std::vector<std::vector<float>> pcm_;
  int64_t now_us_ = 1'000'000;
  int64_t sample_ = 0;
};

const std::vector<float>& HeardBy(const MixOutput& out, size_t input) {
  return out.mixes.at(static_cast<size_t>(out.listener_mix.at(input)));
}

TEST(AudioMixer, EachListenerHearsTheOthersButNotItself) {
  Room room(AudioMixerConfig{.max_speakers = 4});
  const std::vector<Source> sources = {
      {1, 300, 0.2f}, {2, 500, 0.2f}, {3, 700, 0.2f}, {4, 900, 0.2f}};
  MixOutput out;
  for (int t = 0; t < 5; ++t) out = room.Tick(sources);
  ASSERT_EQ(out.selected.size(), 4u);
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::vector<float>& mix = HeardBy(out, i);
    ASSERT_EQ(mix.size(), kMixFrameSamples);
    const double own_db = ToneDb(mix, sources[i].freq_hz);
    for (size_t j = 0; j < sources.size(); ++j) {
      if (j == i) continue;
      const double other_db = ToneDb(mix, sources[j].freq_hz);
      EXPECT_NEAR(other_db, ToneDb(room.pcm(j), sources[j].freq_hz), 0.1) << i << " hears " << j;
      EXPECT_LE(own_db, other_db - 30) << "listener " << i << " hears itself";
    }
  }
}

TEST(AudioMixer, SelectsTheKLoudestVoicedInputsLoudestFirst) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  const std::vector<Source> sources = {
      {10, 300, 0.1f}, {11, 500, 0.4f}, {12, 700, 0.05f}, {13, 900, 0.3f}, {14, 1100, 0.2f}};
  const MixOutput out = room.Tick(sources);
  EXPECT_EQ(out.selected, (std::vector<uint32_t>{11, 13, 14}));
  ASSERT_EQ(out.mixes.size(), 4u);
  EXPECT_EQ(out.listener_mix, (std::vector<int>{0, 1, 0, 2, 3}));
  // The two that are not selected hear exactly the three selected.
  const std::vector<float>& everyone = out.mixes[0];
  EXPECT_GT(ToneDb(everyone, 500), -20);
  EXPECT_GT(ToneDb(everyone, 900), -20);
  EXPECT_GT(ToneDb(everyone, 1100), -20);
  EXPECT_LT(ToneDb(everyone, 300), -100);
  EXPECT_LT(ToneDb(everyone, 700), -100);
}

void ExpectKPlusOneDistinctMixes(size_t participants) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  std::vector<Source> sources;
  for (size_t i = 0; i < participants; ++i) {
    sources.push_back({static_cast<uint32_t>(100 + i), 200.0 + 50.0 * static_cast<double>(i),
                       0.02f + 0.01f * static_cast<float>(i % 7)});
  }
  MixOutput out;
  for (int t = 0; t < 3; ++t) out = room.Tick(sources);
  EXPECT_EQ(out.mixes.size(), 4u);
  const std::set<int> distinct(out.listener_mix.begin(), out.listener_mix.end());
  EXPECT_EQ(distinct, (std::set<int>{0, 1, 2, 3}));
  for (const auto& mix : out.mixes) EXPECT_EQ(mix.size(), kMixFrameSamples);
}

TEST(AudioMixer, ProducesKPlusOneDistinctMixesForFourParticipants) {
  ExpectKPlusOneDistinctMixes(4);
}

TEST(AudioMixer, ProducesKPlusOneDistinctMixesForThirtyParticipants) {
  ExpectKPlusOneDistinctMixes(30);
}

TEST(AudioMixer, MutedInputIsNeverHeard) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  const std::vector<Source> sources = {
      {1, 300, 0.1f}, {2, 500, 0.1f, /*muted=*/true}, {3, 700, 0.05f}, {4, 900, 0.0f}};
  for (int t = 0; t < 10; ++t) {
    const MixOutput out = room.Tick(sources);
    EXPECT_EQ(std::count(out.selected.begin(), out.selected.end(), 2u), 0);
    for (const auto& mix : out.mixes) {
      if (!mix.empty()) {
        EXPECT_LT(ToneDb(mix, 500), -100);
      }
    }
    EXPECT_EQ(out.listener_mix[1], 0);  // a muted participant still listens
  }
}

TEST(AudioMixer, DeafListenerGetsNothingButIsStillHeard) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  const std::vector<Source> sources = {
      {1, 300, 0.2f, false, /*deaf=*/true}, {2, 500, 0.1f}, {3, 700, 0.0f, false, true}};
  const MixOutput out = room.Tick(sources);
  EXPECT_EQ(out.listener_mix, (std::vector<int>{-1, 2, -1}));
  EXPECT_EQ(out.selected, (std::vector<uint32_t>{1, 2}));
  EXPECT_TRUE(out.mixes[1].empty());  // speaker 1's own mix: nobody listens
  EXPECT_TRUE(out.mixes[0].empty());  // the only non-deaf listener is selected
  EXPECT_GT(ToneDb(out.mixes[2], 300), -20);
}

TEST(AudioMixer, NotHeardSpeakerNeverReachesThatListenerWhileOthersHearIt) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  // 4 listens without 2 (a recorder and a participant left out of the recording); 5 listens to
  // everyone; 1 and 3 speak too.
  const std::vector<Source> sources = {{1, 300, 0.2f},
                                       {2, 500, 0.2f},
                                       {3, 700, 0.2f},
                                       {4, 900, 0.0f, /*muted=*/true, false, {2}},
                                       {5, 1100, 0.0f}};
  for (int t = 0; t < 20; ++t) {
    const MixOutput out = room.Tick(sources);
    ASSERT_EQ(out.selected.size(), 3u);
    ASSERT_EQ(out.mix_listener, std::vector<uint32_t>{4});
    ASSERT_EQ(out.mixes.size(), out.selected.size() + 2);
    const std::vector<float>& recorded = HeardBy(out, 3);
    ASSERT_EQ(recorded.size(), kMixFrameSamples);
    EXPECT_LT(ToneDb(recorded, 500), -100) << "tick " << t;  // never a sample of 2
    EXPECT_NEAR(ToneDb(recorded, 300), ToneDb(room.pcm(0), 300), 0.1);
    EXPECT_NEAR(ToneDb(recorded, 700), ToneDb(room.pcm(2), 700), 0.1);
    // Everyone else hears 2 as before.
    const std::vector<float>& live = HeardBy(out, 4);
    EXPECT_NEAR(ToneDb(live, 500), ToneDb(room.pcm(1), 500), 0.1);
    EXPECT_GT(ToneDb(HeardBy(out, 0), 500), -20);
    EXPECT_GT(ToneDb(HeardBy(out, 2), 500), -20);
  }
}

TEST(AudioMixer, NotHeardCostsNoMixWhileNoneOfItsIdsIsSelected) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  // 2 is left out but silent: the listener hears the shared mix, and no extra mix is made.
  const std::vector<Source> sources = {
      {1, 300, 0.2f}, {2, 500, 0.0f}, {4, 900, 0.0f, /*muted=*/true, false, {2}}};
  for (int t = 0; t < 5; ++t) {
    const MixOutput out = room.Tick(sources);
    EXPECT_TRUE(out.mix_listener.empty());
    EXPECT_EQ(out.mixes.size(), out.selected.size() + 1);
    EXPECT_EQ(out.listener_mix[2], 0);
  }
}

TEST(AudioMixer, SelectedSpeakerWithNotHeardGetsItsOwnMixWithoutItselfEither) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  const std::vector<Source> sources = {
      {1, 300, 0.2f, false, false, {2}}, {2, 500, 0.2f}, {3, 700, 0.2f}};
  const MixOutput out = room.Tick(sources);
  ASSERT_EQ(out.mix_listener, std::vector<uint32_t>{1});
  const std::vector<float>& own = HeardBy(out, 0);
  EXPECT_LT(ToneDb(own, 300), -100);  // not itself
  EXPECT_LT(ToneDb(own, 500), -100);  // not 2
  EXPECT_GT(ToneDb(own, 700), -20);
  // Its mix-minus is not made: nobody hears it.
  const auto k = static_cast<size_t>(std::find(out.selected.begin(), out.selected.end(), 1u) -
                                     out.selected.begin());
  EXPECT_TRUE(out.mixes[1 + k].empty());
}

TEST(AudioMixer, LimiterBoundsTenFullScaleInPhaseInputsWithoutSignFlips) {
  Room room(AudioMixerConfig{.max_speakers = 10});
  std::vector<Source> sources;
  for (uint32_t id = 1; id <= 10; ++id) sources.push_back({id, 300, 1.0f});
  sources.push_back({99, 300, 0.0f});  // listens to everyone
  for (int t = 0; t < 50; ++t) {
    const MixOutput out = room.Tick(sources);
    ASSERT_EQ(out.mixes.size(), 11u);
    const std::vector<float>& in = room.pcm(0);
    for (const auto& mix : out.mixes) {
      ASSERT_EQ(mix.size(), kMixFrameSamples);
      float peak = 0;
      for (size_t i = 0; i < mix.size(); ++i) {
        ASSERT_LE(std::fabs(mix[i]), 0.98f) << "tick " << t << " sample " << i;
        if (std::fabs(in[i]) > 1e-3f) {
          ASSERT_EQ(std::signbit(mix[i]), std::signbit(in[i])) << "tick " << t << " sample " << i;
        }
        peak = std::max(peak, std::fabs(mix[i]));
      }
      // Limited, not muted: once the gain settles the peaks sit near the ceiling.
      if (t >= 10) {
        EXPECT_GT(peak, 0.9f);
      }
    }
  }
}

TEST(AudioMixer, MixBelowTheCeilingIsTheExactSum) {
  Room room(AudioMixerConfig{.max_speakers = 3});
  const std::vector<Source> sources = {{1, 300, 0.3f}, {2, 500, 0.3f}, {3, 0, 0.0f}};
  const MixOutput out = room.Tick(sources);
  const std::vector<float>& mix = HeardBy(out, 2);
  for (size_t i = 0; i < kMixFrameSamples; ++i) {
    ASSERT_EQ(mix[i], room.pcm(0)[i] + room.pcm(1)[i]);
  }
}

TEST(AudioMixer, VadHangoverKeepsSpeakerSelectedThroughShortPause) {
  Room room(AudioMixerConfig{.max_speakers = 3, .vad_hangover_ms = 300});
  const std::vector<Source> talking = {{1, 300, 0.2f}, {2, 500, 0.0f}};
  const std::vector<Source> pausing = {{1, 300, 0.0f}, {2, 500, 0.0f}};
  for (int t = 0; t < 10; ++t) EXPECT_EQ(room.Tick(talking).selected, std::vector<uint32_t>{1});
  for (int t = 0; t < 10; ++t) {  // 200 ms pause
    const MixOutput out = room.Tick(pausing);
    EXPECT_EQ(out.selected, std::vector<uint32_t>{1}) << "pause tick " << t;
    EXPECT_EQ(out.listener_mix, (std::vector<int>{1, 0}));
  }
  for (int t = 0; t < 5; ++t) EXPECT_EQ(room.Tick(talking).selected, std::vector<uint32_t>{1});
  // A pause longer than the hangover releases the slot.
  MixOutput out;
  for (int t = 0; t < 20; ++t) out = room.Tick(pausing);
  EXPECT_TRUE(out.selected.empty());
}

TEST(AudioMixer, NobodySelectedMeansSilenceForEveryone) {
  Room room(AudioMixerConfig{});
  const MixOutput out = room.Tick({{1, 300, 0.0f}, {2, 500, 0.001f}, {3, 0, 0.0f, false, true}});
  EXPECT_TRUE(out.selected.empty());
  ASSERT_EQ(out.mixes.size(), 1u);
  EXPECT_EQ(out.mixes[0], std::vector<float>(kMixFrameSamples, 0.0f));
  EXPECT_EQ(out.listener_mix, (std::vector<int>{0, 0, -1}));
}

TEST(AudioMixer, ComputesTheAudioLevelOnlyWhenAbsent) {
  AudioMixer mixer(AudioMixerConfig{});
  const std::vector<float> loud = Sine(300, 1.0f);
  const std::vector<float> quiet = Sine(500, 0.001f);  // about -63 dBov
  const std::vector<MixerInput> inputs = {
      {.id = 1, .pcm = loud},
      {.id = 2, .pcm = quiet},
      {.id = 3, .pcm = loud, .audio_level = 40},
      {.id = 4, .pcm = loud, .audio_level = 127},  // the sender says silence: trusted
      {.id = 5, .pcm = {}},
  };
  const MixOutput out = mixer.Mix(inputs, 0);
  EXPECT_EQ(out.levels, (std::vector<uint8_t>{3, 63, 40, 127, 127}));
  EXPECT_EQ(out.selected, (std::vector<uint32_t>{1, 3}));
}

TEST(AudioMixer, DropsStateOfParticipantsWhoLeave) {
  Room room(AudioMixerConfig{.max_speakers = 1});
  EXPECT_EQ(room.Tick({{1, 300, 0.2f}, {2, 500, 0.0f}}).selected, std::vector<uint32_t>{1});
  // 1 leaves and comes back silent: no hangover from its earlier life.
  EXPECT_TRUE(room.Tick({{2, 500, 0.0f}}).selected.empty());
  EXPECT_TRUE(room.Tick({{1, 300, 0.0f}, {2, 500, 0.0f}}).selected.empty());
}

}  // namespace
}  // namespace tessera::mixer
