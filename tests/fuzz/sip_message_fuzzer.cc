// ParseSipMessage and FrameStreamMessage on arbitrary bytes. Besides not crashing: a message
// that parses must survive SerializeMessage -> ParseSipMessage with the same start line and core
// headers, CheckRequest must not fail on it, and MakeResponse's answer must serialise and parse.
#include <tessera/sip/message.h>
#include <tessera/sip/validate.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using tessera::sip::ParseLimits;
using tessera::sip::ParseSipMessage;
using tessera::sip::SipMessage;

// Serialising expands compact names ("l" -> "Content-Length") and adds a Content-Length field,
// so the re-parse gets room for that growth; every other limit stays.
ParseLimits Roomy() {
  ParseLimits limits;
  limits.max_message_bytes *= 2;
  limits.max_header_bytes *= 2;
  limits.max_headers += 1;
  return limits;
}

void Check(bool condition) {
  if (!condition) abort();
}

void RoundTrip(const SipMessage& m) {
  auto again = ParseSipMessage(tessera::sip::SerializeMessage(m), Roomy());
  Check(again.ok());
  const SipMessage& n = *again.message;
  Check(n.is_request() == m.is_request() && n.method() == m.method() &&
        n.status_code() == m.status_code() && n.reason() == m.reason());
  Check(n.vias().size() == m.vias().size() && n.call_id() == m.call_id());
  Check(n.cseq().has_value() == m.cseq().has_value());
  if (m.cseq()) Check(n.cseq()->number == m.cseq()->number);
  Check(n.body() == m.body());
  Check(n.contacts().entries.size() == m.contacts().entries.size());
  if (m.is_request()) Check(tessera::sip::UriEquals(n.request_uri(), m.request_uri()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseSipMessage(bytes);
  if (parsed.ok()) {
    const SipMessage& m = *parsed.message;
    RoundTrip(m);
    if (m.is_request()) {
      tessera::sip::UasPolicy policy;
      policy.supported_option_tags = {"timer"};
      auto rejection = tessera::sip::CheckRequest(m, policy);
      SipMessage answer = rejection ? tessera::sip::MakeRejection(m, *rejection, "fz1")
                                    : tessera::sip::MakeResponse(m, 200, "OK", "fz1");
      RoundTrip(answer);
    }
    (void)m.Routes(tessera::sip::HeaderId::kRecordRoute);
    (void)m.GetSessionExpires();
    (void)m.Expires();
  } else if (parsed.error.answerable) {
    // The 400 for a partial request is built from raw fields; it must at least serialise.
    SipMessage answer = tessera::sip::MakeResponse(parsed.error.partial, 400, parsed.error.reason);
    (void)tessera::sip::SerializeMessage(answer);
  }
  // Stream framing: consume the input as a TCP stream would.
  std::string_view stream = bytes;
  for (int i = 0; i < 64 && !stream.empty(); ++i) {
    auto frame = tessera::sip::FrameStreamMessage(stream);
    using Kind = tessera::sip::FrameResult::Kind;
    if (frame.kind == Kind::kNeedMore || frame.kind == Kind::kError) break;
    Check(frame.bytes > 0 && frame.bytes <= stream.size());
    if (frame.kind == Kind::kMessage) {
      auto message = ParseSipMessage(stream.substr(0, frame.bytes));
      if (message.ok() && message.message->content_length()) {
        Check(message.message->body().size() == *message.message->content_length());
      }
    }
    stream.remove_prefix(frame.bytes);
  }
  return 0;
}
