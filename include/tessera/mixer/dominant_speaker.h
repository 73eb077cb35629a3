// Dominant (active) speaker detection for layouts that enlarge whoever holds the floor. Smoothed
// over a window so a cough or a short interjection does not move the floor, while sustained
// speech takes it within about a second.
#pragma once

#include <tessera/base/thread_checker.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

namespace tessera::mixer {

struct DominantSpeakerConfig {
  // Speech activity is measured over this much recent time.
  int64_t window_ms = 1000;
  // No change of dominant speaker within this long of the previous change.
  int64_t min_hold_ms = 1500;
  // A level (RFC 6464 -dBov) numerically <= this is a voiced tick.
  int vad_threshold_dbov = 50;
  // A challenger needs at least this fraction of voiced ticks in the window...
  double min_voiced_fraction = 0.5;
  // ...and either this many more voiced ticks (as a fraction of the window) than the current
  // speaker,
  double fraction_margin = 0.3;
  // or at least as many voiced ticks and a mean voiced level louder by this many dB.
  double level_margin_db = 12;
};

// Runs on: the room strand (asserted in debug builds). Not thread-safe.
//
// Each Update() is one tick (normally the 20 ms audio tick). A participant's activity is the
// fraction of the window's ticks in which it was voiced, and the mean level of those ticks; an id
// missing from a tick counts as silent then. With no current speaker, the most active one with at
// least min_voiced_fraction is elected. Nothing is decided before the history covers one window
// (so the first second of a room elects nobody). A speaker who leaves stays current until someone
// else qualifies.
class DominantSpeakerDetector {
 public:
  explicit DominantSpeakerDetector(DominantSpeakerConfig config);

  // id_levels: (participant id, RFC 6464 level 0..127) for this tick; now_us: monotonic
  // microseconds, non-decreasing. Returns the new dominant speaker when it changes, else nullopt.
  std::optional<uint32_t> Update(std::span<const std::pair<uint32_t, uint8_t>> id_levels,
                                 int64_t now_us);

  std::optional<uint32_t> current() const { return current_; }

 private:
  struct Activity {
    std::deque<std::pair<int64_t, uint8_t>> voiced;  // (tick time, level), oldest first
    int level_sum = 0;                               // of `voiced`
  };
  struct Score {
    double fraction = 0;      // voiced ticks / ticks in the window
    double mean_level = 127;  // of the voiced ticks (-dBov)
  };

  Score ScoreOf(const Activity& a) const;
  bool Beats(const Score& challenger, const Score& holder) const;

  const DominantSpeakerConfig config_;
  std::deque<int64_t> ticks_;  // times of the ticks in the window
  std::unordered_map<uint32_t, Activity> activity_;
  std::optional<uint32_t> current_;
  std::optional<int64_t> last_change_us_;
  std::optional<int64_t> first_tick_us_;
  ThreadChecker room_strand_;
};

}  // namespace tessera::mixer
