// A WHIP/WHEP PATCH body (RFC 8840 trickle ICE fragment): parsed as a client's, and used as the
// answer a restart is answered from. Checks: what parses has credentials of legal ice-chars and at
// most kMaxTrickleCandidates candidates; the restart answer, where it parses back, carries exactly
// the credentials it was given (nothing in the input can inject others).
#include <tessera/webrtc/trickle_fragment.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace tessera::webrtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = ParseTrickleFragment(text);
  if (f.ok()) {
    if (f->candidates.size() > kMaxTrickleCandidates) std::abort();
    if (f->ice && (f->ice->ufrag.size() < 4 || f->ice->password.size() < 22)) std::abort();
  }
  const IceCredentials ours{"fuzzLoc1", "fuzz-local-password-0123"};
  const std::string answer = RestartAnswerFragment(text, ours);
  auto back = ParseTrickleFragment(answer);
  if (back.ok() &&
      (!back->ice || back->ice->ufrag != ours.ufrag || back->ice->password != ours.password)) {
    std::abort();
  }
  return 0;
}
