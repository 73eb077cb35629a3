// ICE and DTLS in the browser SDP answer: what the offer says of the browser's side of the bundled
// transport, and how the answer says ours (ICE-lite host candidates, our fingerprint, a=setup).
#pragma once

#include <tessera/base/status.h>
#include <tessera/sip/sdp.h>
#include <tessera/webrtc/browser_sdp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::webrtc::browser_sdp {

// Checks AnswerParams: a mistake there is ours (INTERNAL), not the browser's.
Status CheckParams(const AnswerParams& params);

struct RemoteTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<DtlsFingerprint> fingerprints;
  DtlsRole role = DtlsRole::kServer;  // Ours.
};

// The browser's ICE credentials and a=setup from m= line `accepted[0]` (the one carrying the
// BUNDLE transport), else the session; its fingerprints from the session and every m= line of
// `accepted`. INVALID_ARGUMENT when one is missing or malformed.
StatusOr<RemoteTransport> ReadRemoteTransport(const sip::SessionDescription& offer,
                                              const std::vector<size_t>& accepted);

// c= of the answer: the first candidate's address, else 0.0.0.0.
sip::SdpConnection LocalConnection(const AnswerParams& params);
// The port of accepted m= lines: the first UDP candidate's, else 9.
uint16_t LocalPort(const AnswerParams& params);

// Puts a=mid, our ICE credentials, fingerprint and a=setup before the attributes of `answer`, our
// candidates and a=end-of-candidates after them.
void AddLocalTransport(const AnswerParams& params, DtlsRole role, const std::string& mid,
                       sip::MediaDescription& answer);

}  // namespace tessera::webrtc::browser_sdp
