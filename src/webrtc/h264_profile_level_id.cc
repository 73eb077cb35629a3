#include <tessera/sip/sdp_text.h>
#include <tessera/webrtc/h264_profile_level_id.h>

namespace tessera::webrtc {
namespace {

constexpr uint8_t kConstraintSet0 = 0x80;
constexpr uint8_t kConstraintSet1 = 0x40;
constexpr uint8_t kConstraintSet3 = 0x10;
constexpr uint8_t kConstraintSet4And5 = 0x0c;

void AppendHex(uint8_t v, std::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += kDigits[v >> 4];
  out += kDigits[v & 0xf];
}

// The profiles in which level 1b is level_idc 11 with constraint_set3.
bool Level1bByConstraintSet3(uint8_t profile_idc) {
  return profile_idc == 0x42 || profile_idc == 0x4d || profile_idc == 0x58;
}

// Orders levels: 1b sits between 1 (10) and 1.1 (11).
int LevelRank(uint8_t level_idc) {
  return level_idc == kH264Level1b ? 21 : 2 * static_cast<int>(level_idc);
}

}  // namespace

H264Profile ClassifyH264Profile(uint8_t profile_idc, uint8_t profile_iop) {
  switch (profile_idc) {
    case 0x42:
      return (profile_iop & kConstraintSet1) ? H264Profile::kConstrainedBaseline
                                             : H264Profile::kBaseline;
    case 0x4d:
      // A Main stream that also obeys Baseline's constraints is constrained baseline.
      return (profile_iop & kConstraintSet0) ? H264Profile::kConstrainedBaseline
                                             : H264Profile::kMain;
    case 0x58:
      if ((profile_iop & (kConstraintSet0 | kConstraintSet1)) ==
          (kConstraintSet0 | kConstraintSet1)) {
        return H264Profile::kConstrainedBaseline;
      }
      return (profile_iop & kConstraintSet0) ? H264Profile::kBaseline : H264Profile::kExtended;
    case 0x64:
      return (profile_iop & kConstraintSet4And5) == kConstraintSet4And5
                 ? H264Profile::kConstrainedHigh
                 : H264Profile::kHigh;
    default:
      return H264Profile::kOther;
  }
}

std::optional<H264ProfileLevelId> ParseH264ProfileLevelId(std::string_view text) {
  if (text.size() != 6) return std::nullopt;
  auto idc = sip::sdp_text::ParseHexByte(text.substr(0, 2));
  auto iop = sip::sdp_text::ParseHexByte(text.substr(2, 2));
  auto level = sip::sdp_text::ParseHexByte(text.substr(4, 2));
  if (!idc || !iop || !level) return std::nullopt;
  H264ProfileLevelId id;
  id.profile_idc = *idc;
  id.profile_iop = *iop;
  id.level_idc = *level;
  if (*level == 11 && (*iop & kConstraintSet3) && Level1bByConstraintSet3(*idc)) {
    id.level_idc = kH264Level1b;
  }
  id.profile = ClassifyH264Profile(*idc, *iop);
  return id;
}

std::string H264ProfileLevelIdText(const H264ProfileLevelId& id) {
  uint8_t iop = id.profile_iop;
  uint8_t level = id.level_idc;
  if (level == kH264Level1b && Level1bByConstraintSet3(id.profile_idc)) {
    iop = static_cast<uint8_t>(iop | kConstraintSet3);
    level = 11;
  } else if (level == 11 && Level1bByConstraintSet3(id.profile_idc)) {
    // Level 1.1 in these profiles must not carry constraint_set3, or it reads as 1b.
    iop = static_cast<uint8_t>(iop & ~kConstraintSet3);
  }
  std::string out;
  out.reserve(6);
  AppendHex(id.profile_idc, out);
  AppendHex(iop, out);
  AppendHex(level, out);
  return out;
}

bool H264LevelAtLeast(uint8_t level_idc, uint8_t needed) {
  return LevelRank(level_idc) >= LevelRank(needed);
}

std::string_view H264ProfileName(H264Profile profile) {
  switch (profile) {
    case H264Profile::kConstrainedBaseline:
      return "constrained baseline";
    case H264Profile::kBaseline:
      return "baseline";
    case H264Profile::kMain:
      return "main";
    case H264Profile::kExtended:
      return "extended";
    case H264Profile::kHigh:
      return "high";
    case H264Profile::kConstrainedHigh:
      return "constrained high";
    case H264Profile::kOther:
      return "other";
  }
  return "other";
}

std::string H264LevelName(uint8_t level_idc) {
  if (level_idc == kH264Level1b) return "1b";
  std::string out = std::to_string(level_idc / 10);
  if (level_idc % 10) {
    out += '.';
    out += static_cast<char>('0' + level_idc % 10);
  }
  return out;
}

}  // namespace tessera::webrtc
