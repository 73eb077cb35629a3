#include <tessera/sip/message.h>

#include "sip/message_parser.h"

namespace tessera::sip {

std::string SerializeMessage(const SipMessage& message) {
  std::string out;
  out.reserve(256 + message.body().size());
  if (message.is_request()) {
    out += message.method();
    out.push_back(' ');
    out += SerializeUri(message.request_uri());
    out.push_back(' ');
    out += message.version();
  } else {
    out += message.version();
    out.push_back(' ');
    out += std::to_string(message.status_code());
    out.push_back(' ');
    out += message.reason();
  }
  out += "\r\n";
  for (const HeaderField& h : message.headers()) {
    if (h.id == HeaderId::kContentLength) continue;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(message.body().size());
  out += "\r\n\r\n";
  out += message.body();
  return out;
}

SipMessage MakeResponse(const SipMessage& request, int code, std::string_view reason,
                        std::string_view to_tag) {
  SipMessage response = SipMessage::Response(code, std::string(reason));
  for (const HeaderField& h : request.headers()) {
    switch (h.id) {
      case HeaderId::kTo: {
        if (!to_tag.empty() && code > 100 && request.to() && request.to()->tag.empty()) {
          // Fails only for a To already at the parameter limit; it then goes back untagged.
          if (response.AddHeader(h.name, h.value + ";tag=" + std::string(to_tag))) break;
        }
        // Fields of a partial (unparsed) request are copied as they are.
        if (!response.AddHeader(h.name, h.value)) {
          MessageParserAccess::AddRaw(response, h.id, h.name, h.value);
        }
        break;
      }
      case HeaderId::kVia:
      case HeaderId::kFrom:
      case HeaderId::kCallId:
      case HeaderId::kCSeq:
        if (!response.AddHeader(h.name, h.value)) {
          MessageParserAccess::AddRaw(response, h.id, h.name, h.value);
        }
        break;
      case HeaderId::kTimestamp:
        if (code == 100) response.AddHeader(h.name, h.value);
        break;
      default:
        break;
    }
  }
  return response;
}

}  // namespace tessera::sip
