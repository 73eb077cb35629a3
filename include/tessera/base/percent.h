// RFC 3986 percent-decoding, shared by the SIP URI parser and the HTTP API's path segments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera {

// "%41b" -> "Ab"; nullopt on a broken escape ("%4", "%zz"). Runs on: any thread (pure).
std::optional<std::string> PercentDecode(std::string_view s);

}  // namespace tessera
