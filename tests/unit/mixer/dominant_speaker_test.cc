#include <gtest/gtest.h>
#include <tessera/mixer/dominant_speaker.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace tessera::mixer {
namespace {

constexpr uint32_t kA = 1;
constexpr uint32_t kB = 2;
constexpr uint32_t kC = 3;
constexpr uint8_t kSpeech = 30;
constexpr uint8_t kCough = 5;  // much louder than speech
constexpr uint8_t kSilence = 127;

// Feeds 20 ms ticks to a detector and records every change.
class Floor {
 public:
  explicit Floor(DominantSpeakerConfig config = {}) : detector_(config) {}

  // Runs `ms` of ticks with fixed levels for A, B and C.
  void Run(int64_t ms, uint8_t a, uint8_t b, uint8_t c = kSilence) {
    for (int64_t t = 0; t < ms; t += 20) {
      const std::vector<std::pair<uint32_t, uint8_t>> levels = {{kA, a}, {kB, b}, {kC, c}};
      if (std::optional<uint32_t> change = detector_.Update(levels, now_us_)) {
        changes_.emplace_back(now_us_, *change);
      }
      now_us_ += 20'000;
    }
  }

  std::optional<uint32_t> current() const { return detector_.current(); }
  const std::vector<std::pair<int64_t, uint32_t>>& changes() const { return changes_; }
  int64_t now_us() const { return now_us_; }

 private:
  DominantSpeakerDetector detector_;
  int64_t now_us_ = 5'000'000;
  std::vector<std::pair<int64_t, uint32_t>> changes_;
};

TEST(DominantSpeakerDetector, ElectsASteadySpeakerOnceTheWindowIsFull) {
  Floor floor;
  floor.Run(900, kSpeech, kSilence);
  EXPECT_EQ(floor.current(), std::nullopt);
  floor.Run(200, kSpeech, kSilence);
  EXPECT_EQ(floor.current(), kA);
  ASSERT_EQ(floor.changes().size(), 1u);
  EXPECT_EQ(floor.changes()[0].second, kA);
}

TEST(DominantSpeakerDetector, NobodyIsElectedInSilence) {
  Floor floor;
  floor.Run(3000, kSilence, kSilence);
  EXPECT_EQ(floor.current(), std::nullopt);
  EXPECT_TRUE(floor.changes().empty());
}

TEST(DominantSpeakerDetector, CoughDoesNotStealTheFloor) {
  Floor floor;
  floor.Run(3000, kSpeech, kSilence);
  ASSERT_EQ(floor.current(), kA);
  // B coughs for 150 ms while A talks, then again while A pauses.
  floor.Run(160, kSpeech, kCough);
  floor.Run(1000, kSpeech, kSilence);
  floor.Run(160, kSilence, kCough);
  floor.Run(1000, kSilence, kSilence);
  EXPECT_EQ(floor.current(), kA);
  EXPECT_EQ(floor.changes().size(), 1u);
}

TEST(DominantSpeakerDetector, SustainedSpeechTakesTheFloorWithinTwoSeconds) {
  Floor floor;
  floor.Run(3000, kSpeech, kSilence);
  ASSERT_EQ(floor.current(), kA);
  const int64_t b_starts_us = floor.now_us();
  floor.Run(2000, kSilence, kSpeech);
  EXPECT_EQ(floor.current(), kB);
  ASSERT_EQ(floor.changes().size(), 2u);
  EXPECT_EQ(floor.changes()[1].second, kB);
  EXPECT_LE(floor.changes()[1].first - b_starts_us, 2'000'000);
}

TEST(DominantSpeakerDetector, CrossTalkDoesNotMoveTheFloorWithoutAClearLead) {
  Floor floor;
  floor.Run(3000, kSpeech, kSilence);
  // B talks over A at the same level: no clear lead, so A keeps the floor.
  floor.Run(3000, kSpeech, kSpeech);
  EXPECT_EQ(floor.current(), kA);
  // B much louder than A (by more than the level margin) while both talk: B takes it.
  floor.Run(2000, kSpeech + 20, kSpeech - 10);
  EXPECT_EQ(floor.current(), kB);
}

TEST(DominantSpeakerDetector, HoldsTheFloorForMinHoldAfterAChange) {
  Floor floor(DominantSpeakerConfig{.min_hold_ms = 1500});
  floor.Run(3000, kSpeech, kSilence);
  floor.Run(2000, kSilence, kSpeech);
  ASSERT_EQ(floor.current(), kB);
  const int64_t b_elected_us = floor.changes().back().first;
  // C starts at once and B stops: C may not take over within 1.5 s of B's election.
  floor.Run(3000, kSilence, kSilence, kSpeech);
  EXPECT_EQ(floor.current(), kC);
  ASSERT_EQ(floor.changes().size(), 3u);
  EXPECT_GE(floor.changes()[2].first - b_elected_us, 1'500'000);
}

}  // namespace
}  // namespace tessera::mixer
