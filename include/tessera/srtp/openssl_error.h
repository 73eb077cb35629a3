// OpenSSL's error queue as text. The srtp module owns the OpenSSL dependency below the front
// ends (SDES keys use its base64); the control plane (JWT, TLS) and webrtc (DTLS) use this too.
#pragma once

#include <string>

namespace tessera::srtp {

// The oldest queued OpenSSL error as text ("unknown OpenSSL error" when none), and an empty
// queue: errors left behind would show up in the next, unrelated, OpenSSL call on this thread.
std::string TakeOpenSslError();

}  // namespace tessera::srtp
