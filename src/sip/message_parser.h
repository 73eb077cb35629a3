// Internal access to SipMessage for the parser and writer: setting the start line and adding
// fields without parsing them (a ParseError's partial message keeps unparseable core fields raw
// so that the 400 can still carry them).
#pragma once

#include <tessera/sip/message.h>

#include <string>
#include <string_view>

namespace tessera::sip {

struct MessageParserAccess {
  static void SetRequestLine(SipMessage& m, std::string method, SipUri uri, std::string version) {
    m.is_request_ = true;
    m.method_ = std::move(method);
    m.request_uri_ = std::move(uri);
    m.version_ = std::move(version);
  }
  static void SetStatusLine(SipMessage& m, std::string version, int code, std::string reason) {
    m.is_request_ = false;
    m.version_ = std::move(version);
    m.status_code_ = code;
    m.reason_ = std::move(reason);
  }
  static void AddRaw(SipMessage& m, HeaderId id, std::string_view name, std::string_view value) {
    const std::string_view canonical = CanonicalHeaderName(id);
    m.headers_.push_back(
        HeaderField{id, std::string(canonical.empty() ? name : canonical), std::string(value)});
  }
  static std::vector<HeaderField>& headers(SipMessage& m) { return m.headers_; }
};

}  // namespace tessera::sip
