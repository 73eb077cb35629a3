#include <tessera/sip/message.h>

#include <algorithm>
#include <array>

#include "sip/text.h"

namespace tessera::sip {
namespace {

struct HeaderName {
  HeaderId id;
  std::string_view name;
  char compact;  // 0 if none
};

constexpr std::array<HeaderName, 36> kHeaderNames = {{
    {HeaderId::kVia, "Via", 'v'},
    {HeaderId::kFrom, "From", 'f'},
    {HeaderId::kTo, "To", 't'},
    {HeaderId::kCallId, "Call-ID", 'i'},
    {HeaderId::kCSeq, "CSeq", 0},
    {HeaderId::kMaxForwards, "Max-Forwards", 0},
    {HeaderId::kContentLength, "Content-Length", 'l'},
    {HeaderId::kContentType, "Content-Type", 'c'},
    {HeaderId::kContentEncoding, "Content-Encoding", 'e'},
    {HeaderId::kContact, "Contact", 'm'},
    {HeaderId::kRoute, "Route", 0},
    {HeaderId::kRecordRoute, "Record-Route", 0},
    {HeaderId::kExpires, "Expires", 0},
    {HeaderId::kMinExpires, "Min-Expires", 0},
    {HeaderId::kSupported, "Supported", 'k'},
    {HeaderId::kRequire, "Require", 0},
    {HeaderId::kProxyRequire, "Proxy-Require", 0},
    {HeaderId::kUnsupported, "Unsupported", 0},
    {HeaderId::kAllow, "Allow", 0},
    {HeaderId::kAccept, "Accept", 0},
    {HeaderId::kSessionExpires, "Session-Expires", 'x'},
    {HeaderId::kMinSE, "Min-SE", 0},
    {HeaderId::kWwwAuthenticate, "WWW-Authenticate", 0},
    {HeaderId::kAuthorization, "Authorization", 0},
    {HeaderId::kProxyAuthenticate, "Proxy-Authenticate", 0},
    {HeaderId::kProxyAuthorization, "Proxy-Authorization", 0},
    {HeaderId::kSubject, "Subject", 's'},
    {HeaderId::kEvent, "Event", 'o'},
    {HeaderId::kAllowEvents, "Allow-Events", 'u'},
    {HeaderId::kReferTo, "Refer-To", 'r'},
    {HeaderId::kReferredBy, "Referred-By", 'b'},
    {HeaderId::kUserAgent, "User-Agent", 0},
    {HeaderId::kServer, "Server", 0},
    {HeaderId::kTimestamp, "Timestamp", 0},
    {HeaderId::kRetryAfter, "Retry-After", 0},
    {HeaderId::kWarning, "Warning", 0},
}};

bool Fail(std::string* error, std::string reason) {
  if (error != nullptr) *error = std::move(reason);
  return false;
}

}  // namespace

HeaderId LookupHeader(std::string_view name) {
  if (name.size() == 1) {
    const char c = text::ToLower(name[0]);
    for (const HeaderName& h : kHeaderNames) {
      if (h.compact == c) return h.id;
    }
    return HeaderId::kOther;
  }
  for (const HeaderName& h : kHeaderNames) {
    if (text::EqualsIgnoreCase(h.name, name)) return h.id;
  }
  return HeaderId::kOther;
}

std::string_view CanonicalHeaderName(HeaderId id) {
  for (const HeaderName& h : kHeaderNames) {
    if (h.id == id) return h.name;
  }
  return {};
}

SipMessage SipMessage::Request(std::string method, SipUri request_uri) {
  SipMessage m;
  m.is_request_ = true;
  m.method_ = std::move(method);
  m.request_uri_ = std::move(request_uri);
  return m;
}

SipMessage SipMessage::Response(int status_code, std::string reason) {
  SipMessage m;
  m.is_request_ = false;
  m.status_code_ = status_code;
  m.reason_ = std::move(reason);
  return m;
}

const HeaderField* SipMessage::Find(HeaderId id) const {
  for (const HeaderField& h : headers_) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

const HeaderField* SipMessage::Find(std::string_view name) const {
  const HeaderId id = LookupHeader(name);
  if (id != HeaderId::kOther) return Find(id);
  for (const HeaderField& h : headers_) {
    if (h.id == HeaderId::kOther && text::EqualsIgnoreCase(h.name, name)) return &h;
  }
  return nullptr;
}

size_t SipMessage::Count(HeaderId id) const {
  return static_cast<size_t>(
      std::count_if(headers_.begin(), headers_.end(), [id](const auto& h) { return h.id == id; }));
}

bool SipMessage::AddHeader(std::string_view name, std::string_view raw_value, std::string* error,
                           const ParseLimits& limits) {
  if (!text::IsToken(name)) return Fail(error, "bad header name");
  const HeaderId id = LookupHeader(name);
  const std::string_view value = text::TrimWs(raw_value);
  if (value.size() > limits.max_line_bytes) return Fail(error, "header too long");
  if (headers_.size() >= limits.max_headers) return Fail(error, "too many headers");
  const std::string_view canonical = CanonicalHeaderName(id);
  auto single = [&](bool present) {
    return present ? Fail(error, "multiple " + std::string(canonical) + " headers") : true;
  };
  switch (id) {
    case HeaderId::kVia: {
      auto vias = ParseViaList(value, limits);
      if (!vias.value) return Fail(error, vias.error);
      if (vias_.size() + vias.value->size() > limits.max_via) return Fail(error, "too many Via");
      for (Via& v : *vias.value) vias_.push_back(std::move(v));
      break;
    }
    case HeaderId::kFrom:
    case HeaderId::kTo: {
      std::optional<NameAddr>& slot = id == HeaderId::kFrom ? from_ : to_;
      if (!single(slot.has_value())) return false;
      auto parsed = ParseNameAddr(value, limits);
      if (!parsed.value) return Fail(error, "bad " + std::string(canonical) + ": " + parsed.error);
      slot = std::move(parsed.value);
      break;
    }
    case HeaderId::kCallId:
      if (!single(Find(id) != nullptr)) return false;
      if (!IsValidCallId(value)) return Fail(error, "bad Call-ID");
      call_id_ = std::string(value);
      break;
    case HeaderId::kCSeq: {
      if (!single(cseq_.has_value())) return false;
      auto parsed = ParseCSeq(value);
      if (!parsed.value) return Fail(error, parsed.error);
      cseq_ = std::move(parsed.value);
      break;
    }
    case HeaderId::kMaxForwards: {
      if (!single(max_forwards_.has_value())) return false;
      auto parsed = text::ParseUint(value, 255);
      if (!parsed) return Fail(error, "bad Max-Forwards");
      max_forwards_ = static_cast<uint8_t>(*parsed);
      break;
    }
    case HeaderId::kContentLength: {
      if (!single(content_length_.has_value())) return false;
      if (!text::ParseUint(value, UINT32_MAX)) return Fail(error, "bad Content-Length");
      auto parsed = text::ParseUint(value, limits.max_body_bytes);
      if (!parsed) return Fail(error, "Content-Length over the limit");
      content_length_ = static_cast<size_t>(*parsed);
      break;
    }
    case HeaderId::kContentType: {
      if (!single(content_type_.has_value())) return false;
      auto parsed = ParseContentType(value, limits);
      if (!parsed.value) return Fail(error, parsed.error);
      content_type_ = std::move(parsed.value);
      break;
    }
    case HeaderId::kContact: {
      auto parsed = ParseContact(value, limits);
      if (!parsed.value) return Fail(error, "bad Contact: " + parsed.error);
      if ((parsed.value->star || contacts_.star) && Find(id) != nullptr) {
        return Fail(error, "Contact '*' mixed with other contacts");
      }
      if (contacts_.entries.size() + parsed.value->entries.size() > limits.max_values_per_header) {
        return Fail(error, "too many Contact entries");
      }
      contacts_.star = parsed.value->star;
      for (NameAddr& c : parsed.value->entries) contacts_.entries.push_back(std::move(c));
      break;
    }
    default:
      break;
  }
  headers_.push_back(HeaderField{
      id, id == HeaderId::kOther ? std::string(name) : std::string(canonical), std::string(value)});
  return true;
}

void SipMessage::RemoveHeaders(HeaderId id) {
  std::erase_if(headers_, [id](const HeaderField& h) { return h.id == id; });
  switch (id) {
    case HeaderId::kVia:
      vias_.clear();
      break;
    case HeaderId::kFrom:
      from_.reset();
      break;
    case HeaderId::kTo:
      to_.reset();
      break;
    case HeaderId::kCallId:
      call_id_.clear();
      break;
    case HeaderId::kCSeq:
      cseq_.reset();
      break;
    case HeaderId::kMaxForwards:
      max_forwards_.reset();
      break;
    case HeaderId::kContentLength:
      content_length_.reset();
      break;
    case HeaderId::kContentType:
      content_type_.reset();
      break;
    case HeaderId::kContact:
      contacts_ = ContactList{};
      break;
    default:
      break;
  }
}

std::optional<std::vector<NameAddr>> SipMessage::Routes(HeaderId id, const ParseLimits& limits,
                                                        std::string* error) const {
  std::vector<NameAddr> out;
  for (const HeaderField& h : headers_) {
    if (h.id != id) continue;
    auto list = ParseNameAddrList(h.value, limits);
    if (!list.value) {
      Fail(error, list.error);
      return std::nullopt;
    }
    if (out.size() + list.value->size() > limits.max_route) {
      Fail(error, "too many routes");
      return std::nullopt;
    }
    for (NameAddr& r : *list.value) out.push_back(std::move(r));
  }
  return out;
}

std::optional<std::vector<std::string>> SipMessage::Tokens(HeaderId id,
                                                           const ParseLimits& limits) const {
  std::vector<std::string> out;
  for (const HeaderField& h : headers_) {
    if (h.id != id) continue;
    auto list = ParseTokenList(h.value, limits);
    if (!list.value) return std::nullopt;
    for (std::string& t : *list.value) out.push_back(std::move(t));
  }
  return out;
}

std::optional<uint32_t> SipMessage::Expires() const {
  const HeaderField* h = Find(HeaderId::kExpires);
  return h == nullptr ? std::nullopt : ParseDeltaSeconds(h->value);
}

std::optional<SessionExpires> SipMessage::GetSessionExpires() const {
  const HeaderField* h = Find(HeaderId::kSessionExpires);
  if (h == nullptr) return std::nullopt;
  return ParseSessionExpires(h->value, DefaultParseLimits()).value;
}

std::optional<uint32_t> SipMessage::MinSE() const {
  const HeaderField* h = Find(HeaderId::kMinSE);
  if (h == nullptr) return std::nullopt;
  std::string_view v = text::TrimWs(h->value);
  v = v.substr(0, v.find(';'));
  return ParseDeltaSeconds(v);
}

}  // namespace tessera::sip
