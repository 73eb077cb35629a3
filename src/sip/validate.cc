#include <tessera/sip/validate.h>

#include "sip/message_parser.h"
#include "sip/text.h"

namespace tessera::sip {
namespace {

Rejection Reject(int code, std::string reason) { return Rejection{code, std::move(reason), {}}; }

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  for (const std::string& s : list) {
    if (text::EqualsIgnoreCase(s, item)) return true;
  }
  return false;
}

// Whether an Accept field value admits one of `types` (media ranges with * wildcards).
bool AcceptAdmits(std::string_view accept, const std::vector<std::string>& types) {
  bool admits = false;
  text::SplitList(accept, 64, [&](std::string_view item) {
    const std::string range = text::Lower(text::TrimWs(item.substr(0, item.find(';'))));
    for (const std::string& type : types) {
      const std::string lower = text::Lower(type);
      const std::string major = lower.substr(0, lower.find('/'));
      if (range == "*/*" || range == lower || range == major + "/*") admits = true;
    }
    return true;
  });
  return admits;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

std::optional<Rejection> CheckRequest(const SipMessage& request, const UasPolicy& policy) {
  if (!request.is_request()) return std::nullopt;
  if (request.version() != "SIP/2.0") return Reject(505, "Version Not Supported");
  if (request.vias().empty()) return Reject(400, "Missing Via");
  if (!request.from()) return Reject(400, "Missing From");
  if (!request.to()) return Reject(400, "Missing To");
  if (request.call_id().empty()) return Reject(400, "Missing Call-ID");
  if (!request.cseq()) return Reject(400, "Missing CSeq");
  if (request.cseq()->method != request.method()) {
    return Reject(400, "CSeq method does not match the request");
  }
  const SipUri& uri = request.request_uri();
  if (uri.scheme == UriScheme::kOther) return Reject(416, "Unsupported URI Scheme");
  if (!uri.headers.empty()) return Reject(400, "Headers in Request-URI");
  if (request.method() == "REGISTER" && !request.to()->uri.is_sip()) {
    return Reject(400, "To of a REGISTER is not a SIP URI");
  }
  if (request.max_forwards().value_or(70) == 0 && request.method() != "OPTIONS") {
    return Reject(483, "Too Many Hops");
  }
  if (!request.Routes(HeaderId::kRoute)) return Reject(400, "Bad Route");
  if (!request.Tokens(HeaderId::kSupported)) return Reject(400, "Bad Supported");
  auto require = request.Tokens(HeaderId::kRequire);
  if (!require) return Reject(400, "Bad Require");
  if (request.method() != "ACK" && request.method() != "CANCEL") {
    std::vector<std::string> unsupported;
    for (const std::string& tag : *require) {
      if (!Contains(policy.supported_option_tags, tag) && !Contains(unsupported, tag)) {
        unsupported.push_back(tag);
      }
    }
    if (!unsupported.empty()) {
      Rejection r = Reject(420, "Bad Extension");
      r.extra_headers.push_back(
          HeaderField{HeaderId::kUnsupported, "Unsupported", Join(unsupported)});
      return r;
    }
  }
  if (!request.body().empty()) {
    const auto& type = request.content_type();
    if (!type || !Contains(policy.accepted_content_types, type->MediaType())) {
      Rejection r = Reject(415, "Unsupported Media Type");
      r.extra_headers.push_back(
          HeaderField{HeaderId::kAccept, "Accept", Join(policy.accepted_content_types)});
      return r;
    }
  }
  if (request.method() == "INVITE") {
    const HeaderField* accept = request.Find(HeaderId::kAccept);
    if (accept != nullptr && !AcceptAdmits(accept->value, policy.accepted_content_types)) {
      return Reject(406, "Not Acceptable");
    }
  }
  return std::nullopt;
}

SipMessage MakeRejection(const SipMessage& request, const Rejection& rejection,
                         std::string_view to_tag) {
  SipMessage response = MakeResponse(request, rejection.code, rejection.reason, to_tag);
  for (const HeaderField& h : rejection.extra_headers) {
    if (!response.AddHeader(h.name, h.value)) {
      MessageParserAccess::AddRaw(response, h.id, h.name, h.value);
    }
  }
  return response;
}

}  // namespace tessera::sip
