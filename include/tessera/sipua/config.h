// The SIP user agent's settings (the top-level `sip` block of the YAML config; absent: no SIP).
// See docs/operations.md, "SIP".
#pragma once

#include <tessera/codec/audio_codec.h>
#include <tessera/session/config.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::sipua {

struct SipListenConfig {
  std::string transport = "udp";  // udp, tcp or tls
  std::string address = "127.0.0.1";
  uint16_t port = 5060;     // 0: any free port (tests)
  std::string certificate;  // tls: PEM certificate chain
  std::string key;          // tls: PEM private key
};

// Callers from these networks need no digest authentication (PBXs, SBCs, room systems).
// Their G.722 calls use the trunk's PCM convention (codec::G722Pcm; docs/architecture.md,
// "G.722 level").
struct SipTrunkConfig {
  std::string name;
  std::vector<std::string> networks;  // CIDR ("10.0.0.0/8", "2001:db8::/32") or an address
  codec::G722Pcm g722_pcm = codec::G722Pcm::k16Bit;
  // What the trunk asserts of its callers' consent to being recorded (its PBX announced the
  // recording and took their agreement); unknown: it asserts nothing.
  session::Consent consent = session::Consent::kUnknown;
};

// A digest user (RFC 8760: MD5 and SHA-256). Either the password or its HA1 values.
struct SipUserConfig {
  std::string name;
  std::string password;
  std::string ha1_md5;     // hex MD5(name:realm:password)
  std::string ha1_sha256;  // hex SHA-256(name:realm:password)
};

// Where dial-out INVITEs go, and the credentials for its challenges.
struct SipOutboundConfig {
  std::string proxy;  // "sip:10.0.0.1:5060;transport=udp"; empty: straight to the URI's host
  std::string username;
  std::string password;
  std::string from_user = "tessera";  // user part of From on dial-out
};

// What one peer may hold of the TCP and TLS listeners (each listener counts its own), against
// connections that are opened and never finish a message (docs/security.md, "SIP connections").
struct SipTcpConfig {
  uint32_t message_timeout_s = 10;  // a message, from its first byte (the first: from connect)
  uint32_t idle_timeout_s = 300;    // no message either way; a connection with a call stays
  uint32_t max_connections = 1024;  // per listener, at once
  uint32_t max_connections_per_source = 32;  // per source address (an IPv6 /64), per listener
};

// Callers whose trunk asserts no consent are asked for it: a notice tone over the room's sound
// until they press the grant or decline key (RFC 4733 or SIP INFO), or the time is up (their
// consent stays unknown). The keys go on working for the whole call: a caller may withdraw.
// docs/security.md, "Consent".
struct SipConsentPromptConfig {
  bool enabled = false;  // true when the block is present
  char grant = '1';
  char decline = '2';
  uint32_t timeout_s = 30;  // the notice stops after this without an answer
};

struct SipConfig {
  bool enabled = false;  // true when the block is present
  std::vector<SipListenConfig> listen;
  std::string media_address;  // c= of our SDP; empty: server.bind_address
  std::string realm = "tessera";
  std::string nonce_secret;  // digest nonces' HMAC key; empty: random per start
  std::vector<SipTrunkConfig> trunks;
  // G.722 PCM convention of calls whose peer is in no trunk's networks (digest users, dial-out
  // straight to a phone).
  codec::G722Pcm g722_pcm = codec::G722Pcm::k16Bit;
  std::vector<SipUserConfig> users;
  // Digest challenges offered, in preference order (one WWW-Authenticate each; RFC 8760).
  // Leave out MD5 where every caller does SHA-256; some old phones and tools only do MD5 and
  // read only the first challenge.
  std::vector<std::string> digest_algorithms = {"SHA-256", "MD5"};
  std::string srtp = "optional";      // off, optional, required (SDES a=crypto)
  uint32_t session_expires_s = 1800;  // RFC 4028 session interval we ask for
  uint32_t min_se_s = 90;
  uint32_t max_calls = 200;      // active calls at once; beyond: 486 Busy Here
  uint32_t answer_after_ms = 0;  // ring (180) this long before answering; 0: answer at once
  uint32_t pin_attempts = 3;     // wrong PINs before the call is ended
  uint32_t pin_timeout_s = 30;   // time to enter the PIN
  SipConsentPromptConfig consent_prompt;
  uint32_t new_calls_per_source_per_s = 20;  // INVITEs per source address (a burst of twice)
  // SIP transactions held at once; beyond it new requests get 503 with Retry-After. What bounds
  // the memory an INVITE flood can hold: each transaction lives up to 64*T1 (32 s) after its
  // final response, about 5 KB (docs/performance.md, "Memory under an INVITE flood").
  uint32_t max_transactions = 10000;
  SipTcpConfig tcp;
  SipOutboundConfig outbound;
};

}  // namespace tessera::sipua
