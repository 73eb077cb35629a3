// Hard limits of the SIP and SDP parsers. Anything beyond them is rejected (400 with a reason on
// a connection-oriented or answerable request; dropped and counted otherwise), so a peer cannot
// make Tessera allocate or scan without bound.
#pragma once

#include <cstddef>

namespace tessera::sip {

struct ParseLimits {
  size_t max_message_bytes = 64 * 1024;  // start line + headers + body
  size_t max_header_bytes = 16 * 1024;   // start line + headers, up to the blank line
  size_t max_headers = 128;              // header fields (a comma-separated list counts once)
  size_t max_line_bytes = 4096;          // one header field, folded lines joined
  size_t max_values_per_header = 32;     // comma-separated values of one field (Via, Route, ...)
  size_t max_via = 70;    // RFC 4475 3.1.1.7 must be accepted with 34; 70 = default Max-Forwards
  size_t max_route = 16;  // Route and Record-Route entries each
  size_t max_body_bytes = 32 * 1024;
  size_t max_uri_bytes = 1024;
  size_t max_params = 32;  // URI or header parameters
  size_t max_sdp_lines = 512;
  size_t max_sdp_media = 8;     // m= sections of one SDP
  size_t max_sdp_formats = 32;  // payload types of one m= line
};

// The limits Tessera runs with.
const ParseLimits& DefaultParseLimits();

}  // namespace tessera::sip
