#include <tessera/sip/transport.h>

namespace tessera::sip {

Inbound ProcessInbound(std::string_view bytes, const Destination& source, const UasPolicy& policy,
                       const ParseLimits& limits) {
  Inbound in;
  ParseResult parsed = ParseSipMessage(bytes, limits);
  if (!parsed.ok()) {
    if (!parsed.error.answerable || parsed.error.partial.vias().empty() ||
        parsed.error.partial.method() == "ACK") {
      in.drop_reason = parsed.error.answerable ? "unanswerable request" : "unparsable";
      return in;
    }
    in.reply = MakeResponse(parsed.error.partial, parsed.error.status, parsed.error.reason);
    in.reply_to = ResponseDestination(parsed.error.partial.vias().front(), source);
    return in;
  }
  SipMessage& message = *parsed.message;
  if (!message.is_request()) {
    in.message = std::move(message);
    return in;
  }
  if (message.vias().empty()) {
    in.drop_reason = "request without Via";
    return in;
  }
  StampTopVia(message, source);
  if (std::optional<Rejection> rejection = CheckRequest(message, policy)) {
    if (message.method() == "ACK") {
      in.drop_reason = "invalid ACK";
      return in;
    }
    in.reply = MakeRejection(message, *rejection);
    in.reply_to = ResponseDestination(message.vias().front(), source);
    return in;
  }
  in.message = std::move(message);
  return in;
}

}  // namespace tessera::sip
