// Rate-control rules shared by the CPU and hardware video encoders, so a composite stream has the
// same rate and burst profile whichever backend encodes it.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

namespace tessera::codec {

inline constexpr int kMinVideoBitrateBps = 10'000;

// The rate-control buffer: half a second of the target rate, so a keyframe may overshoot a few
// frames' worth without the encoder starving the frames after it.
constexpr int64_t VbvBits(int bitrate_bps) { return bitrate_bps / 2; }

// Maps the frame index an encoder is given as pts back to the picture's 90 kHz time when its
// packet comes out. Runs on: the encoder's thread.
class EncoderPtsQueue {
 public:
  // The index to give the encoder for a picture of time pts_90k.
  int64_t Push(int64_t pts_90k) {
    in_flight_.emplace_back(next_index_, pts_90k);
    if (in_flight_.size() > 64) in_flight_.pop_front();  // only if the encoder dropped frames
    return next_index_++;
  }
  // The time of the picture the packet of index `packet_pts` codes; `fallback` if unknown.
  int64_t Take(int64_t packet_pts, int64_t fallback) {
    int64_t pts_90k = fallback;
    while (!in_flight_.empty() && in_flight_.front().first <= packet_pts) {
      if (in_flight_.front().first == packet_pts) pts_90k = in_flight_.front().second;
      in_flight_.pop_front();
    }
    return pts_90k;
  }

 private:
  int64_t next_index_ = 0;
  std::deque<std::pair<int64_t, int64_t>> in_flight_;  // (frame index, pts_90k)
};

}  // namespace tessera::codec
