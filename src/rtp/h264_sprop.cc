#include <tessera/base/base64.h>
#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/h264_sprop.h>

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>

namespace tessera::rtp::h264 {
namespace {

// Base64 characters that can encode kMaxSpropNalBytes, with padding: longer text is refused
// before it is decoded.
constexpr size_t kMaxSpropBase64Length = (kMaxSpropNalBytes + 2) / 3 * 4;

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Emulation prevention (H.264 7.4.1) keeps 00 00 00, 00 00 01 and 00 00 02 out of a NAL unit,
// and its last byte is never 00: the Annex B made of such units splits back into them alone.
bool IsWellFormedNal(std::span<const uint8_t> nal) {
  if (nal.back() == 0) return false;
  for (size_t i = 2; i < nal.size(); ++i) {
    if (nal[i - 2] == 0 && nal[i - 1] == 0 && nal[i] <= 2) return false;
  }
  return true;
}

}  // namespace

StatusOr<SpropParameterSets> ParseSpropParameterSets(std::string_view value) {
  std::string_view rest = TrimBlanks(value);
  if (rest.empty()) return InvalidArgumentError("is empty");
  SpropParameterSets out;
  bool has_sps = false;
  bool has_pps = false;
  for (size_t index = 1;; ++index) {
    if (index > kMaxSpropNalUnits) {
      return InvalidArgumentError("has more than " + std::to_string(kMaxSpropNalUnits) +
                                  " NAL units");
    }
    const size_t comma = rest.find(',');
    const std::string_view text = TrimBlanks(rest.substr(0, comma));
    const std::string unit = "NAL unit " + std::to_string(index);
    if (text.empty()) return InvalidArgumentError(unit + " is empty");
    if (text.size() > kMaxSpropBase64Length) {
      return InvalidArgumentError(unit + " is longer than " + std::to_string(kMaxSpropNalBytes) +
                                  " bytes");
    }
    const std::optional<std::vector<uint8_t>> nal = DecodeBase64(text, kMaxSpropBase64Length);
    if (!nal) return InvalidArgumentError(unit + " is not base64");
    if (nal->size() > kMaxSpropNalBytes) {
      return InvalidArgumentError(unit + " is longer than " + std::to_string(kMaxSpropNalBytes) +
                                  " bytes");
    }
    if (nal->size() < 2) return InvalidArgumentError(unit + " is too short for a parameter set");
    if ((*nal)[0] & 0x80) return InvalidArgumentError(unit + " has its forbidden_zero_bit set");
    if (!IsWellFormedNal(*nal)) {
      return InvalidArgumentError(unit + " holds a start code or ends with a zero byte");
    }
    const uint8_t type = NalTypeOf((*nal)[0]);
    if (Is(type, NalType::kSps) || Is(type, NalType::kPps)) {
      if (Is(type, NalType::kSps)) {
        if (!ParseSps(*nal)) return InvalidArgumentError(unit + " is an SPS that does not parse");
        has_sps = true;
      } else {
        has_pps = true;
      }
      out.annex_b.insert(out.annex_b.end(), std::begin(kStartCode), std::end(kStartCode));
      out.annex_b.insert(out.annex_b.end(), nal->begin(), nal->end());
    } else {
      out.ignored.push_back(unit + " (type " + std::to_string(type) + ") is not an SPS or a PPS");
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!has_sps) return InvalidArgumentError("has no SPS (NAL unit type 7)");
  if (!has_pps) return InvalidArgumentError("has no PPS (NAL unit type 8)");
  return out;
}

void PrependParameterSets(std::vector<uint8_t>& access_unit,
                          std::span<const uint8_t> parameter_sets) {
  size_t at = 0;
  if (access_unit.size() > sizeof(kStartCode) &&
      Is(NalTypeOf(access_unit[sizeof(kStartCode)]), NalType::kAud)) {
    const std::vector<std::span<const uint8_t>> nals = SplitAnnexB(access_unit);
    // Right after the delimiter's last byte: the next start code follows whole.
    if (!nals.empty() && nals.front().data() == access_unit.data() + sizeof(kStartCode)) {
      at = static_cast<size_t>(nals.front().data() + nals.front().size() - access_unit.data());
    }
  }
  access_unit.insert(access_unit.begin() + static_cast<std::ptrdiff_t>(at), parameter_sets.begin(),
                     parameter_sets.end());
}

}  // namespace tessera::rtp::h264
