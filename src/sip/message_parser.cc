// ParseSipMessage and FrameStreamMessage: a single forward pass over the bytes, line by line,
// with every limit checked before anything is copied.
#include "sip/message_parser.h"

#include <utility>
#include <vector>

#include "sip/text.h"

namespace tessera::sip {
namespace {

// Splits the next line (LF or CRLF terminated) off `s`. nullopt when no line end remains;
// `bad_cr` is set when a CR appears anywhere but before the LF.
std::optional<std::string_view> NextLine(std::string_view& s, bool& bad_cr) {
  const size_t nl = s.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view line = s.substr(0, nl);
  s.remove_prefix(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find('\r') != std::string_view::npos) bad_cr = true;
  return line;
}

size_t LeadingLineEnds(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && (s[n] == '\r' || s[n] == '\n')) ++n;
  return n;
}

bool IsSipVersion(std::string_view v) {
  if (v.size() < 7 || !text::EqualsIgnoreCase(v.substr(0, 4), "SIP/")) return false;
  v.remove_prefix(4);
  const size_t dot = v.find('.');
  if (dot == std::string_view::npos) return false;
  return text::ParseUint(v.substr(0, dot), 999) && text::ParseUint(v.substr(dot + 1), 999);
}

std::string NormalVersion(std::string_view v) { return "SIP/" + std::string(v.substr(4)); }

struct RawField {
  std::string_view name;
  std::string value;
};

class Parser {
 public:
  Parser(std::string_view bytes, const ParseLimits& limits) : bytes_(bytes), limits_(limits) {}

  ParseResult Run() {
    if (bytes_.size() > limits_.max_message_bytes) return Fail("message too long");
    std::string_view rest = bytes_.substr(LeadingLineEnds(bytes_));
    const size_t header_start = rest.size();
    bool bad_cr = false;
    auto start_line = NextLine(rest, bad_cr);
    if (!start_line) return Fail("no start line");
    if (start_line->size() > limits_.max_line_bytes) return Fail("start line too long");
    // A request whose start line is bad still has its headers read, for the 400.
    if (!ParseStartLine(*start_line) && !is_request_) return Fail(start_error_);
    // Header fields up to the blank line, folded lines joined with one space.
    std::vector<RawField> fields;
    bool ended = false;
    std::string error;
    while (auto line = NextLine(rest, bad_cr)) {
      if (header_start - rest.size() > limits_.max_header_bytes) {
        error = "header block too long";
        break;
      }
      if (line->empty()) {
        ended = true;
        break;
      }
      if (text::IsWsp(line->front())) {
        if (fields.empty()) {
          error = "continuation line before any header";
          break;
        }
        std::string& value = fields.back().value;
        const std::string_view more = text::TrimWs(*line);
        if (value.size() + 1 + more.size() > limits_.max_line_bytes) {
          error = "header too long";
          break;
        }
        if (!value.empty() && !more.empty()) value.push_back(' ');
        value += more;
        continue;
      }
      const size_t colon = line->find(':');
      if (colon == std::string_view::npos) {
        error = "header line without a colon";
        break;
      }
      const std::string_view name = text::TrimWs(line->substr(0, colon));
      if (!text::IsToken(name)) {
        error = "bad header name";
        break;
      }
      if (fields.size() >= limits_.max_headers) {
        error = "too many headers";
        break;
      }
      const std::string_view value = text::TrimWs(line->substr(colon + 1));
      if (value.size() > limits_.max_line_bytes) {
        error = "header too long";
        break;
      }
      fields.push_back(RawField{name, std::string(value)});
    }
    if (!start_error_.empty()) error = start_error_;
    if (error.empty() && bad_cr) error = "CR without LF";
    if (error.empty() && !ended) {
      error = header_start - rest.size() > limits_.max_header_bytes ? "header block too long"
                                                                    : "no blank line after headers";
    }
    // Typed core headers; the first failure is the message's error.
    for (const RawField& f : fields) {
      std::string field_error;
      if (message_.AddHeader(f.name, f.value, &field_error, limits_)) continue;
      if (error.empty()) error = field_error;
      const HeaderId id = LookupHeader(f.name);
      if (id == HeaderId::kVia || id == HeaderId::kFrom || id == HeaderId::kTo ||
          id == HeaderId::kCallId || id == HeaderId::kCSeq) {
        MessageParserAccess::AddRaw(message_, id, f.name, f.value);
      }
    }
    if (!error.empty()) return Fail(error);
    // Body (RFC 3261 18.3): the Content-Length bytes, or the rest of a datagram without one.
    if (message_.content_length()) {
      if (*message_.content_length() > rest.size()) {
        return Fail("Content-Length larger than the message");
      }
      rest = rest.substr(0, *message_.content_length());
    } else if (rest.size() > limits_.max_body_bytes) {
      return Fail("body too long");
    }
    message_.set_body(std::string(rest));
    ParseResult result;
    result.message = std::move(message_);
    return result;
  }

 private:
  bool ParseStartLine(std::string_view line) {
    if (line.size() >= 4 && text::EqualsIgnoreCase(line.substr(0, 4), "SIP/")) {
      return ParseStatusLine(line);
    }
    const size_t sp1 = line.find(' ');
    const std::string_view method = line.substr(0, sp1);
    if (!text::IsToken(method) || sp1 == std::string_view::npos) {
      start_error_ = "bad request line";
      return false;
    }
    // From here on it is a request: a failure gets a 400 if the headers allow one.
    is_request_ = true;
    MessageParserAccess::SetRequestLine(message_, std::string(method), SipUri{}, "SIP/2.0");
    const std::string_view rest = line.substr(sp1 + 1);
    const size_t sp2 = rest.find(' ');
    if (sp2 == std::string_view::npos) {
      start_error_ = "bad request line: missing SIP version";
      return false;
    }
    const std::string_view uri_text = rest.substr(0, sp2);
    const std::string_view version = rest.substr(sp2 + 1);
    if (!IsSipVersion(version)) {
      start_error_ = "bad request line: SIP version";
      return false;
    }
    auto uri = ParseUri(uri_text, limits_);
    if (!uri.uri) {
      start_error_ = "bad Request-URI: " + uri.error;
      return false;
    }
    MessageParserAccess::SetRequestLine(message_, std::string(method), std::move(*uri.uri),
                                        NormalVersion(version));
    return true;
  }

  bool ParseStatusLine(std::string_view line) {
    const size_t sp1 = line.find(' ');
    const std::string_view version = line.substr(0, sp1);
    if (sp1 == std::string_view::npos || !IsSipVersion(version)) {
      start_error_ = "bad status line";
      return false;
    }
    std::string_view rest = line.substr(sp1 + 1);
    const std::string_view code_text = rest.substr(0, rest.find(' '));
    auto code = code_text.size() == 3 ? text::ParseUint(code_text, 699) : std::nullopt;
    if (!code || *code < 100) {
      start_error_ = "bad status code";
      return false;
    }
    rest.remove_prefix(code_text.size());
    if (!rest.empty()) rest.remove_prefix(1);
    for (char c : rest) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7F) {
        start_error_ = "bad reason phrase";
        return false;
      }
    }
    MessageParserAccess::SetStatusLine(message_, NormalVersion(version), static_cast<int>(*code),
                                       std::string(rest));
    return true;
  }

  ParseResult Fail(std::string reason) {
    ParseResult result;
    result.error.reason = std::move(reason);
    result.error.status = 400;
    result.error.answerable =
        is_request_ && !message_.headers().empty() && message_.Find(HeaderId::kVia) != nullptr;
    if (result.error.answerable) {
      // Only what a 400 needs: the start line and the core fields.
      std::erase_if(MessageParserAccess::headers(message_), [](const HeaderField& h) {
        return h.id != HeaderId::kVia && h.id != HeaderId::kFrom && h.id != HeaderId::kTo &&
               h.id != HeaderId::kCallId && h.id != HeaderId::kCSeq;
      });
      result.error.partial = std::move(message_);
    }
    return result;
  }

  std::string_view bytes_;
  const ParseLimits& limits_;
  SipMessage message_;
  bool is_request_ = false;
  std::string start_error_;
};

}  // namespace

ParseResult ParseSipMessage(std::string_view bytes, const ParseLimits& limits) {
  return Parser(bytes, limits).Run();
}

FrameResult FrameStreamMessage(std::string_view buffer, const ParseLimits& limits) {
  using Kind = FrameResult::Kind;
  const size_t leading = LeadingLineEnds(buffer);
  if (leading > 0) return FrameResult{Kind::kKeepalive, leading, {}};
  if (buffer.empty()) return FrameResult{Kind::kNeedMore, 0, {}};
  std::string_view rest = buffer;
  bool bad_cr = false;
  bool first = true;
  bool in_content_length = false;
  std::optional<std::string> content_length;
  while (true) {
    const size_t consumed = buffer.size() - rest.size();
    if (consumed > limits.max_header_bytes) {
      return FrameResult{Kind::kError, 0, "header block too long"};
    }
    auto line = NextLine(rest, bad_cr);
    if (!line) {
      if (buffer.size() > limits.max_header_bytes) {
        return FrameResult{Kind::kError, 0, "header block too long"};
      }
      return FrameResult{Kind::kNeedMore, 0, {}};
    }
    if (line->empty()) break;
    if (first) {
      first = false;
      continue;
    }
    if (text::IsWsp(line->front())) {
      if (in_content_length) *content_length += std::string(text::TrimWs(*line));
      continue;
    }
    const size_t colon = line->find(':');
    in_content_length =
        colon != std::string_view::npos &&
        LookupHeader(text::TrimWs(line->substr(0, colon))) == HeaderId::kContentLength;
    if (in_content_length) {
      if (content_length) return FrameResult{Kind::kError, 0, "multiple Content-Length headers"};
      content_length = std::string(text::TrimWs(line->substr(colon + 1)));
    }
  }
  if (!content_length) return FrameResult{Kind::kError, 0, "missing Content-Length on a stream"};
  auto length = text::ParseUint(text::TrimWs(*content_length), limits.max_body_bytes);
  if (!length) return FrameResult{Kind::kError, 0, "bad Content-Length"};
  const size_t total = buffer.size() - rest.size() + *length;
  if (total > limits.max_message_bytes) return FrameResult{Kind::kError, 0, "message too long"};
  if (buffer.size() < total) return FrameResult{Kind::kNeedMore, total, {}};
  return FrameResult{Kind::kMessage, total, {}};
}

}  // namespace tessera::sip
