// One SIP call of the SipService: its dialog (RFC 3261 12), its negotiated media and its room
// participant. Private to the SIP service's files. Runs on: the SIP thread.
#pragma once

#include <tessera/sip/message.h>
#include <tessera/sip/sdp_negotiation.h>
#include <tessera/sip/transaction_layer.h>
#include <tessera/sipua/sip_service.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::sipua {

struct SipService::Call {
  enum class State { kRinging, kAnswered, kPin, kActive, kEnding };

  std::string key;  // Call-ID "|" local tag
  bool outbound = false;
  // A call Tessera dialled (POST /v1/sip/calls): the URI as given, for a redial by the node that
  // takes its room over (docs/architecture.md, "Cluster").
  std::string dialled;
  State state = State::kRinging;
  bool held = false;
  std::string room;
  std::string name;  // room participant name
  uint32_t participant = 0;
  bool joined = false;

  // Dialog.
  std::string call_id;
  sip::NameAddr local;   // our From (outbound) / To (inbound), with our tag
  sip::NameAddr remote;  // the peer's, with its tag once known
  sip::SipUri remote_target;
  std::vector<sip::NameAddr> route_set;
  uint32_t local_cseq = 1;
  uint32_t remote_cseq = 0;
  sip::Destination peer;  // where its signalling comes from (and its connection)
  std::string transport = "UDP";

  // The INVITE being answered (initial or re-INVITE) and its server transaction.
  std::optional<sip::SipMessage> invite;
  sip::TransactionId invite_tx = 0;
  bool awaiting_ack_answer = false;  // our 200 carried an offer (late offer / empty re-INVITE)

  // Media.
  sip::LocalMediaCapabilities caps;
  std::optional<sip::SessionDescription> our_offer;
  std::optional<sip::SessionDescription> remote_offer;  // the INVITE's offer, until answered
  bool port_conflict = false;                           // the last join failed on its ports
  std::optional<sip::NegotiatedSession> session;
  uint16_t audio_port = 0;
  uint16_t video_port = 0;
  bool info_keyframes = false;  // no PLI/FIR negotiated: ask for keyframes by INFO
  int64_t last_keyframe_info_us = -1'000'000'000;

  // PIN.
  std::string pin;
  std::string digits;
  uint32_t wrong_pins = 0;

  // Consent by key press (SipConsentPromptConfig).
  enum class ConsentPrompt { kNone, kAsking, kAnswered, kTimedOut };
  ConsentPrompt consent_prompt = ConsentPrompt::kNone;
  // The consent set during the call (its keys, the API): kept over a rejoin (new codecs).
  std::optional<session::Consent> consent_in_call;
  int64_t prompt_started_us = 0;  // when the notice started

  // Timers (ids of the AsioTimerService; 0: none).
  uint64_t ring_timer = 0;
  uint64_t pin_timer = 0;
  uint64_t consent_timer = 0;
  uint64_t session_timer = 0;
  uint32_t session_interval_s = 0;  // RFC 4028; 0: no session timer
  bool we_refresh = false;          // Tessera sends the refreshes (UPDATE at half the interval)

  // Dial-out.
  std::optional<sip::SipMessage> out_invite;
  sip::Destination out_destination;
  bool auth_tried = false;
  std::optional<sip::SipMessage> ack;  // our ACK for its 2xx, repeated for 2xx retransmissions

  int64_t created_us = 0;
};

// "none", "asking", "answered", "timed_out".
const char* ConsentPromptName(SipService::Call::ConsentPrompt prompt);

// A fresh random tag (From/To tags, Call-ID parts): 16 hex digits.
std::string SipNewTag();

// Shared by dial-in and mid-dialog handling (sip_call_in.cc defines them).
// The message carries an SDP body.
bool HasSdp(const sip::SipMessage& m);
// Supported or Require lists the option tag.
bool Supports(const sip::SipMessage& m, const std::string& tag);
// Why an offer got 488: every m= line's reason ("m= line 1: no supported codec; offered ...").
std::string NotAcceptableReason(const StatusOr<sip::NegotiatedSession>& answer);
// A Warning header value (RFC 3261 20.43; 304: media type not available) with `text`, cut short
// and without the characters a quoted-string cannot hold as they are.
std::string MediaWarning(std::string_view text);

inline const char* CallStateName(SipService::Call::State s, bool held) {
  using S = SipService::Call::State;
  switch (s) {
    case S::kRinging:
      return "ringing";
    case S::kAnswered:
      return "answered";
    case S::kPin:
      return "pin";
    case S::kActive:
      return held ? "held" : "active";
    case S::kEnding:
      return "ending";
  }
  return "?";
}

}  // namespace tessera::sipua
