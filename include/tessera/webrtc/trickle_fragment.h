// Trickle ICE SDP fragments (RFC 8840, media type application/trickle-ice-sdpfrag): what a WHIP or
// WHEP client PATCHes onto its resource (RFC 9725 4.3): candidates it found late (trickle) or new
// ICE credentials (an ICE restart), and what Tessera answers to a restart.
#pragma once

#include <tessera/base/status.h>
#include <tessera/webrtc/ice_lite.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc {

inline constexpr size_t kMaxTrickleFragmentBytes = 16 * 1024;
inline constexpr size_t kMaxTrickleCandidates = 64;

struct TrickleFragment {
  // Both or neither (RFC 8840 requires them in every fragment; a fragment with new ones is an ICE
  // restart).
  std::optional<IceCredentials> ice;
  std::vector<std::string> mids;        // a=mid values, in order
  std::vector<std::string> candidates;  // a=candidate values (after "candidate:")
  bool end_of_candidates = false;
};

// Reads a fragment. Lines other than m=, a=ice-ufrag, a=ice-pwd, a=mid, a=candidate,
// a=end-of-candidates and a=ice-options / a=group are ignored; InvalidArgument for a fragment
// larger than kMaxTrickleFragmentBytes, with more than kMaxTrickleCandidates candidates, with a
// ufrag without a pwd (or the reverse), or with ICE credentials that are not RFC 8839 ice-chars
// of legal lengths.
StatusOr<TrickleFragment> ParseTrickleFragment(std::string_view text);

// What Tessera answers to an ICE restart: ice-lite, the new local credentials, then the BUNDLE's
// first media section of `answer_sdp` (its m= line and mid) with the answer's candidates and
// a=end-of-candidates. CRLF line ends.
std::string RestartAnswerFragment(std::string_view answer_sdp, const IceCredentials& local);

}  // namespace tessera::webrtc
