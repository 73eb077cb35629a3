// The SRTP side of DTLS-SRTP (RFC 5764, RFC 7714 section 12): protection profiles in OpenSSL's
// spelling and as srtp::SrtpSuite, and the SRTP master keys exported from a finished handshake.
// Private to webrtc/; used by dtls_transport.cc.
#pragma once

#include <openssl/types.h>
#include <tessera/base/status.h>
#include <tessera/srtp/srtp_suite.h>
#include <tessera/webrtc/dtls_result.h>

#include <optional>
#include <span>
#include <string>

namespace tessera::webrtc {

// The use_srtp list for SSL_CTX_set_tlsext_use_srtp, e.g.
// "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80": in the given order, repeats dropped (OpenSSL
// refuses a list naming a profile twice). INVALID_ARGUMENT when `suites` is empty.
StatusOr<std::string> SrtpProfileList(std::span<const srtp::SrtpSuite> suites);

// The suite of an RFC 5764 / RFC 7714 profile number (SRTP_PROTECTION_PROFILE::id), or nullopt
// for a profile Tessera does not use.
std::optional<srtp::SrtpSuite> SuiteForSrtpProfile(unsigned long profile_id);

// Exports 2 * (key + salt) bytes with the label "EXTRACTOR-dtls_srtp" and no context, split as
// RFC 5764 4.2 lays them out: client key | server key | client salt | server salt. `local` gets
// the pair of the side we are (the server's when we are the DTLS server). The exported block is
// wiped. nullopt if OpenSSL refuses (the handshake is not finished); OpenSSL's error stays queued.
std::optional<SrtpKeys> ExportSrtpKeys(SSL* ssl, srtp::SrtpSuite suite, bool we_are_server);

}  // namespace tessera::webrtc
