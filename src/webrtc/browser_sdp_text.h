// The SDP text helpers (sip's, shared) under the name the browser answer's files use.
#pragma once

#include <tessera/sip/sdp_text.h>

namespace tessera::webrtc {
namespace sdp_text = sip::sdp_text;
}  // namespace tessera::webrtc
