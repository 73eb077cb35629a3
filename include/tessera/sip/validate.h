// The checks a UA server makes on a parsed request before it acts on it (RFC 3261 8.2, with
// the RFC 4475 expectations), returning the rejection to send.
#pragma once

#include <tessera/sip/message.h>

#include <optional>
#include <string>
#include <vector>

namespace tessera::sip {

struct Rejection {
  int code = 400;
  std::string reason;
  std::vector<HeaderField> extra_headers;  // Unsupported for 420, Accept for 415
};

struct UasPolicy {
  std::vector<std::string> supported_option_tags;  // e.g. "timer", "replaces"
  // Body types the UAS understands (415 otherwise) and answers with (406 when an INVITE's
  // Accept excludes all of them).
  std::vector<std::string> accepted_content_types = {"application/sdp"};
};

// nullopt if the request may be processed. In order:
//   505  version other than SIP/2.0;
//   400  a missing Via, From, To, Call-ID or CSeq; CSeq method other than the request's;
//        headers in the Request-URI (RFC 4475 3.1.2.11); a REGISTER whose To is not a SIP or
//        SIPS URI (3.3.4); Route / Require / Supported fields that do not parse;
//   416  a Request-URI scheme other than sip, sips or tel;
//   483  Max-Forwards 0 on anything but OPTIONS. A missing Max-Forwards counts as 70: RFC 3261
//        8.2 has a UAS check none, and RFC 2543 peers omit it (RFC 4475 3.4.1); OPTIONS with 0 is
//        answered by the UA itself (RFC 3261 11, RFC 4475 3.3.11);
//   420  a Require option tag not in policy (with Unsupported listing them), except for ACK and
//        CANCEL (8.2.2.3); Proxy-Require is for proxies and ignored;
//   415  a non-empty body whose Content-Type is not accepted (with Accept);
//   406  an INVITE whose Accept lists none of the accepted types (RFC 4475 3.3.15).
// A response is never checked (nullopt). Callers must not answer an ACK; they drop it.
std::optional<Rejection> CheckRequest(const SipMessage& request, const UasPolicy& policy);

// The response for a rejection: MakeResponse plus the extra headers.
SipMessage MakeRejection(const SipMessage& request, const Rejection& rejection,
                         std::string_view to_tag = {});

}  // namespace tessera::sip
