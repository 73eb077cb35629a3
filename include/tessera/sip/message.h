// A SIP message (RFC 3261 7): start line, ordered header fields with canonical names and raw
// values, body bytes, and the typed values of the headers every transaction needs (Via, From,
// To, Call-ID, CSeq, Max-Forwards, Content-Length, Content-Type, Contact), which are parsed
// when the field is added, so a message that exists has valid core headers. Other headers are
// parsed on demand with the functions of headers.h.
//
// Parsing (ParseSipMessage, FrameStreamMessage) works over string views with the hard limits
// of ParseLimits, never throws and never recurses on input. Runs on: any one thread; a message
// is a value.
#pragma once

#include <tessera/sip/headers.h>
#include <tessera/sip/limits.h>
#include <tessera/sip/uri.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::sip {

enum class HeaderId : uint8_t {
  kOther,
  kVia,
  kFrom,
  kTo,
  kCallId,
  kCSeq,
  kMaxForwards,
  kContentLength,
  kContentType,
  kContentEncoding,
  kContact,
  kRoute,
  kRecordRoute,
  kExpires,
  kMinExpires,
  kSupported,
  kRequire,
  kProxyRequire,
  kUnsupported,
  kAllow,
  kAccept,
  kSessionExpires,
  kMinSE,
  kWwwAuthenticate,
  kAuthorization,
  kProxyAuthenticate,
  kProxyAuthorization,
  kSubject,
  kEvent,
  kAllowEvents,
  kReferTo,
  kReferredBy,
  kUserAgent,
  kServer,
  kTimestamp,
  kRetryAfter,
  kWarning,
};

// Maps a header name (full or compact form, any case) to its id; kOther if unknown.
HeaderId LookupHeader(std::string_view name);
// The canonical full name of a known header ("Call-ID"); empty for kOther.
std::string_view CanonicalHeaderName(HeaderId id);

struct HeaderField {
  HeaderId id = HeaderId::kOther;
  std::string name;   // canonical for known headers, as received otherwise
  std::string value;  // trimmed, folding joined with single spaces
};

class SipMessage {
 public:
  static SipMessage Request(std::string method, SipUri request_uri);
  static SipMessage Response(int status_code, std::string reason);

  bool is_request() const { return is_request_; }
  // Request line. version() is as received ("SIP/2.0" for built messages).
  const std::string& method() const { return method_; }
  const SipUri& request_uri() const { return request_uri_; }
  const std::string& version() const { return version_; }
  // Status line.
  int status_code() const { return status_code_; }
  const std::string& reason() const { return reason_; }

  const std::vector<HeaderField>& headers() const { return headers_; }
  // The first field with this id / name (case-insensitive, compact forms too); nullptr if none.
  const HeaderField* Find(HeaderId id) const;
  const HeaderField* Find(std::string_view name) const;
  size_t Count(HeaderId id) const;

  // Adds a field at the end. Core headers are parsed here: false (and `error` set) if the value
  // does not parse, if a single-valued core header is repeated, or a limit is exceeded; the
  // message is then unchanged.
  bool AddHeader(std::string_view name, std::string_view value, std::string* error = nullptr,
                 const ParseLimits& limits = DefaultParseLimits());
  // Removes every field with this id (typed values are cleared with them).
  void RemoveHeaders(HeaderId id);

  const std::string& body() const { return body_; }
  void set_body(std::string body) { body_ = std::move(body); }

  // Typed core headers.
  const std::vector<Via>& vias() const { return vias_; }
  const std::optional<NameAddr>& from() const { return from_; }
  const std::optional<NameAddr>& to() const { return to_; }
  const std::string& call_id() const { return call_id_; }
  const std::optional<CSeq>& cseq() const { return cseq_; }
  const std::optional<uint8_t>& max_forwards() const { return max_forwards_; }
  const std::optional<size_t>& content_length() const { return content_length_; }
  const std::optional<ContentType>& content_type() const { return content_type_; }
  const ContactList& contacts() const { return contacts_; }

  // Headers parsed on demand; nullopt if absent or malformed (error says which when given).
  std::optional<std::vector<NameAddr>> Routes(HeaderId id = HeaderId::kRoute,
                                              const ParseLimits& limits = DefaultParseLimits(),
                                              std::string* error = nullptr) const;
  // Every token of every field with this id (Supported, Require, Allow...); nullopt if malformed.
  std::optional<std::vector<std::string>> Tokens(
      HeaderId id, const ParseLimits& limits = DefaultParseLimits()) const;
  std::optional<uint32_t> Expires() const;
  std::optional<SessionExpires> GetSessionExpires() const;
  std::optional<uint32_t> MinSE() const;

 private:
  friend struct MessageParserAccess;

  bool is_request_ = true;
  std::string method_;
  SipUri request_uri_;
  std::string version_ = "SIP/2.0";
  int status_code_ = 0;
  std::string reason_;
  std::vector<HeaderField> headers_;
  std::string body_;

  std::vector<Via> vias_;
  std::optional<NameAddr> from_;
  std::optional<NameAddr> to_;
  std::string call_id_;
  std::optional<CSeq> cseq_;
  std::optional<uint8_t> max_forwards_;
  std::optional<size_t> content_length_;
  std::optional<ContentType> content_type_;
  ContactList contacts_;
};

// Why a message was refused. For a request whose start line and Via parsed, `answerable` is
// true and `partial` holds the start line and the raw Via, From, To, Call-ID and CSeq fields
// that were readable, enough for MakeResponse to build the `status` answer (400 mostly). For
// anything else (responses, garbage) the caller drops it and counts the reason.
struct ParseError {
  std::string reason;  // short and human: "bad CSeq: number out of range"
  int status = 400;
  bool answerable = false;
  SipMessage partial;
};

struct ParseResult {
  std::optional<SipMessage> message;
  ParseError error;  // meaningful when !message
  bool ok() const { return message.has_value(); }
};

// Parses one complete message: a UDP datagram, or the bytes FrameStreamMessage delimited.
// Content-Length is optional; without it the body is the rest. A Content-Length larger than the
// rest is an error; bytes beyond it are ignored (RFC 3261 18.3).
ParseResult ParseSipMessage(std::string_view bytes,
                            const ParseLimits& limits = DefaultParseLimits());
inline ParseResult ParseDatagram(std::span<const uint8_t> datagram,
                                 const ParseLimits& limits = DefaultParseLimits()) {
  return ParseSipMessage(
      std::string_view(reinterpret_cast<const char*>(datagram.data()), datagram.size()), limits);
}

// Stream (TCP/TLS) framing. kKeepalive: `bytes` leading CR/LF to drop (RFC 5626 pings among
// them); kMessage: the next message is the first `bytes` bytes; kNeedMore: read more (at least
// `bytes` in total when the header block is complete); kError: the stream cannot be framed
// (no or bad Content-Length, limits), close the connection after a 400 if one can be built.
struct FrameResult {
  enum class Kind { kNeedMore, kKeepalive, kMessage, kError };
  Kind kind = Kind::kNeedMore;
  size_t bytes = 0;
  std::string error;
};
FrameResult FrameStreamMessage(std::string_view buffer,
                               const ParseLimits& limits = DefaultParseLimits());

// Writes a message: start line, every field as "Name: value", a Content-Length equal to the
// body's size (replacing any), a blank line and the body.
std::string SerializeMessage(const SipMessage& message);

// A response to `request` per RFC 3261 8.2.6: Via fields (all, in order), From, To, Call-ID and
// CSeq copied; `to_tag` added to To when given, the To has no tag and code > 100; the Timestamp
// copied into a 100. No body; Content-Length 0 is written by SerializeMessage.
SipMessage MakeResponse(const SipMessage& request, int code, std::string_view reason,
                        std::string_view to_tag = {});

}  // namespace tessera::sip
