// H.264 profile-level-id (RFC 6184 section 8.1): three bytes in hex, profile_idc, profile-iop (the
// constraint_set0..5 flags of the SPS, high bit first) and level_idc. Browsers name their H.264
// formats by it ("42e01f": constrained baseline, level 3.1), so the WebRTC answer reads it to pick
// a format Tessera can decode (publish) or whose decoder takes what the room sends (view). Pure
// functions; control plane.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::webrtc {

// The profiles RFC 6184 Table 5 tells apart by profile_idc and profile-iop, as libwebrtc does.
enum class H264Profile : uint8_t {
  kConstrainedBaseline,  // 42 with constraint_set1; 4d with constraint_set0; 58 with both
  kBaseline,             // 42 otherwise; 58 with constraint_set0 only
  kMain,                 // 4d otherwise
  kExtended,             // 58 otherwise
  kHigh,                 // 64 otherwise
  kConstrainedHigh,      // 64 with constraint_set4 and constraint_set5 (profile-iop 0c)
  kOther,                // High 10, 4:2:2, 4:4:4 and anything else
};

// Level 1b has no level_idc of its own: 11 with constraint_set3 in the Baseline, Main and Extended
// profiles, 9 in the others. H264ProfileLevelId keeps it as 9 whatever the profile.
inline constexpr uint8_t kH264Level1b = 9;

struct H264ProfileLevelId {
  H264Profile profile = H264Profile::kConstrainedBaseline;
  uint8_t profile_idc = 0x42;
  uint8_t profile_iop = 0xe0;
  uint8_t level_idc = 31;  // Ten times the level (31: level 3.1), or kH264Level1b.
  bool operator==(const H264ProfileLevelId&) const = default;
};

// Parses six hex digits (either case): "42e01f". nullopt for anything else.
std::optional<H264ProfileLevelId> ParseH264ProfileLevelId(std::string_view text);

// Six lowercase hex digits. Level 1b is written as level_idc 11 with constraint_set3 in the
// Baseline, Main and Extended profiles (profile_idc 42, 4d, 58), as 9 in the others.
std::string H264ProfileLevelIdText(const H264ProfileLevelId& id);

// The profile of profile_idc + profile-iop.
H264Profile ClassifyH264Profile(uint8_t profile_idc, uint8_t profile_iop);

// Whether `level_idc` is `needed` or above, with 1b between 1 and 1.1.
bool H264LevelAtLeast(uint8_t level_idc, uint8_t needed);

// "constrained baseline", "baseline", "main", "extended", "high", "constrained high", "other".
std::string_view H264ProfileName(H264Profile profile);
// "3.1", "1b", "4".
std::string H264LevelName(uint8_t level_idc);

}  // namespace tessera::webrtc
