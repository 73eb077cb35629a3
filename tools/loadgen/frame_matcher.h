// Matches what the tiles of a room's composite show to the input frames the load generator sent:
// gives the latency of every input frame shown (send time of its last packet -> arrival of the
// composite that first shows it) and counts input frames never shown.
//
// A picture shows only its clip frame index, which repeats every clip loop; the frame is the
// latest one of that participant with that index sent before the composite arrived. A ring of the
// last loop of sends per participant answers that. Latency above one loop cannot be told apart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::loadgen {

struct MatchStats {
  uint64_t shown = 0;       // input frames seen in their tile for the first time
  uint64_t missed = 0;      // sent between two shown frames and never shown
  uint64_t repeated = 0;    // the tile still shows the frame it showed before
  uint64_t unreadable = 0;  // the tile's code could not be read
  uint64_t unmatched = 0;   // a readable index with no send of it before the composite
  uint64_t backwards = 0;   // an older frame than one already shown
};

// Runs on: the load generator's network thread (not thread-safe).
class FrameMatcher {
 public:
  // participants: tiles of the room, in input order; clip_frames: the clip's loop length.
  FrameMatcher(size_t participants, uint32_t clip_frames);

  // Participant p sent its next frame, showing clip frame clip_index; its last packet left at
  // send_us (Clock::NowUs()).
  void OnSent(size_t participant, uint32_t clip_index, int64_t send_us);

  struct Result {
    std::vector<int64_t> latencies_us;  // one per newly shown frame
    std::vector<size_t> participants;   // whose frame each latency is, in the same order
    MatchStats stats;                   // this composite's part
  };
  // A composite whose last packet arrived at arrival_us, with each participant's reading (index
  // into the clip; nullopt: unreadable). Extra readings are ignored.
  [[nodiscard]] Result OnComposite(int64_t arrival_us,
                                   std::span<const std::optional<uint32_t>> readings);

  // Frames of participant p sent after the last one shown (at the end of a run: never shown).
  uint64_t UnshownTail(size_t participant) const;
  // Frames participant p has sent.
  uint64_t sent(size_t participant) const { return participants_[participant].sent; }

 private:
  struct Send {
    uint64_t ordinal = 0;  // 1-based: the n-th frame the participant sent
    int64_t send_us = 0;
  };
  struct Participant {
    std::vector<Send> ring;  // by clip index; ordinal 0 = never sent
    uint64_t sent = 0;
    uint64_t last_shown = 0;  // ordinal; 0 = none yet
  };

  std::vector<Participant> participants_;
};

}  // namespace tessera::loadgen
