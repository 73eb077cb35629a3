// Bodies of SIP INFO requests that legacy endpoints use in-dialog: the RFC 5168 keyframe request
// (application/media_control+xml) and DTMF relay (application/dtmf-relay, application/dtmf).
// Every function reads only the view it is given, allocates nothing for untrusted input and
// rejects bodies over a fixed size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::sip {

// Bodies larger than these are rejected unread.
inline constexpr size_t kMaxMediaControlBodyBytes = 8 * 1024;
inline constexpr size_t kMaxDtmfBodyBytes = 1024;

// True when an application/media_control+xml body (RFC 5168) asks for a picture fast update:
// it holds the element path media_control > vc_primitive > to_encoder > picture_fast_update, with
// media_control as the root. Tolerates an XML declaration, comments, whitespace, attributes and
// either <picture_fast_update/> or <picture_fast_update></picture_fast_update>. Element names are
// matched exactly (no namespace prefixes). A tag or nesting error before the request, nesting
// deeper than 8, or a body over kMaxMediaControlBodyBytes gives false. What follows the request
// is not checked. Linear in the body's size; no recursion.
bool IsPictureFastUpdate(std::string_view xml);

// The RFC 5168 picture fast update body, with CRLF line ends, to send as
// application/media_control+xml.
std::string PictureFastUpdateBody();

// The digit of an application/dtmf-relay body ("Signal=5\r\nDuration=160\r\n"): keys are
// case-insensitive, lines may end in CRLF, LF or CR, spaces around '=' are allowed. The Signal is
// one of 0-9 * # A-D (a-d accepted), or 10 for '*' and 11 for '#' as some phones send. The first
// Signal line decides; nullopt when it is missing or invalid, or the body is over
// kMaxDtmfBodyBytes.
std::optional<char> ParseDtmfRelay(std::string_view body);

// The digit of an application/dtmf body: one of 0-9 * # A-D (a-d accepted), surrounded by optional
// whitespace. nullopt for anything else or a body over kMaxDtmfBodyBytes.
std::optional<char> ParseDtmfBody(std::string_view body);

}  // namespace tessera::sip
