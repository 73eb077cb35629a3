// Rate-control rules shared by the CPU and hardware video encoders, so a composite stream has the
// same rate and burst profile whichever backend encodes it.
#pragma once

#include <cstdint>

namespace tessera::codec {

inline constexpr int kMinVideoBitrateBps = 10'000;

// The rate-control buffer: half a second of the target rate, so a keyframe may overshoot a few
// frames' worth without the encoder starving the frames after it.
constexpr int64_t VbvBits(int bitrate_bps) { return bitrate_bps / 2; }

}  // namespace tessera::codec
