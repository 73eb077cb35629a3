// H.264 parameter sets given out of band: the sprop-parameter-sets of an H.264 fmtp (RFC 6184
// section 8.1), from a SIP or WebRTC peer's SDP or from a configured participant's
// video.sprop_parameter_sets. Senders that put their SPS and PPS only there (some room systems,
// phones and gateways; rtph264pay config-interval=0 when its input has them only in its caps)
// send IDRs that no decoder can start at alone: the jitter buffer puts these before such IDRs
// (VideoJitterBuffer::Config). Control plane: parsed once, when a participant joins or a config
// is checked.
#pragma once

#include <tessera/base/status.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::rtp::h264 {

// Bounds of what a value may hold: real ones carry one or two SPS and PPS of tens of bytes.
inline constexpr size_t kMaxSpropNalUnits = 32;
inline constexpr size_t kMaxSpropNalBytes = 1024;

struct SpropParameterSets {
  // The SPS and PPS NAL units in the order given, each behind a 4-byte start code (Annex B).
  std::vector<uint8_t> annex_b;
  // Why NAL units of the value were left out ("NAL unit 3 (type 6) is not an SPS or a PPS");
  // empty when none were.
  std::vector<std::string> ignored;
};

// Parses a sprop-parameter-sets value: base64 NAL units separated by commas, blanks around each
// allowed. InvalidArgument saying why ("NAL unit 2 is not base64"; callers name the value) for an
// empty value, more than kMaxSpropNalUnits units, a unit that is empty, not base64, longer than
// kMaxSpropNalBytes or shorter than 2 bytes, has its forbidden_zero_bit set, holds a start code
// or ends with a zero byte (so the Annex B cannot split into other units than those given) or is
// an SPS that does not parse (ParseSps), and for a value without an SPS or without a PPS. Units of
// other types are left out, and said so in `ignored`. Runs on: any thread (pure).
StatusOr<SpropParameterSets> ParseSpropParameterSets(std::string_view value);

// Puts `parameter_sets` (Annex B) at the front of an Annex B access unit: first, or right after
// an access unit delimiter that leads it (the delimiter must stay first, H.264 7.4.1.2.3).
// Runs on: any thread (pure).
void PrependParameterSets(std::vector<uint8_t>& access_unit,
                          std::span<const uint8_t> parameter_sets);

}  // namespace tessera::rtp::h264
