#include <gtest/gtest.h>
#include <tessera/sip/validate.h>

#include <string>

namespace tessera::sip {
namespace {

std::string Request(std::string_view method, std::string_view extra, std::string_view body = "",
                    std::string_view cseq_method = {}) {
  return std::string(method) +
         " sip:conf@tessera.example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8\r\n"
         "To: <sip:conf@tessera.example.com>\r\n"
         "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710\r\n"
         "CSeq: 1 " +
         std::string(cseq_method.empty() ? method : cseq_method) + "\r\n" + std::string(extra) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::optional<Rejection> Check(const std::string& text, const UasPolicy& policy = {}) {
  ParseResult r = ParseSipMessage(text);
  EXPECT_TRUE(r.ok()) << r.error.reason;
  return r.ok() ? CheckRequest(*r.message, policy) : Rejection{0, "unparsed", {}};
}

int Code(const std::string& text, const UasPolicy& policy = {}) {
  auto rejection = Check(text, policy);
  return rejection ? rejection->code : 0;
}

TEST(CheckRequest, AcceptsAWellFormedInvite) {
  EXPECT_EQ(
      Code(Request("INVITE", "Max-Forwards: 70\r\nContent-Type: application/sdp\r\n", "v=0\r\n")),
      0);
}

TEST(CheckRequest, MissingMaxForwardsCountsAsSeventy) { EXPECT_EQ(Code(Request("INVITE", "")), 0); }

TEST(CheckRequest, RejectsZeroMaxForwardsExceptForOptions) {
  EXPECT_EQ(Code(Request("INVITE", "Max-Forwards: 0\r\n")), 483);
  EXPECT_EQ(Code(Request("OPTIONS", "Max-Forwards: 0\r\n")), 0);
}

TEST(CheckRequest, RejectsMissingMandatoryHeaders) {
  for (std::string_view header : {"Via", "To", "From", "Call-ID", "CSeq"}) {
    std::string text = Request("INVITE", "");
    const size_t at = text.find(std::string(header) + ":");
    text.erase(at, text.find("\r\n", at) + 2 - at);
    ParseResult r = ParseSipMessage(text);
    ASSERT_TRUE(r.ok());
    auto rejection = CheckRequest(*r.message, {});
    ASSERT_TRUE(rejection) << header;
    EXPECT_EQ(rejection->code, 400);
    EXPECT_EQ(rejection->reason, "Missing " + std::string(header));
  }
}

TEST(CheckRequest, RejectsCSeqMethodMismatch) {
  EXPECT_EQ(Code(Request("BYE", "", "", "INVITE")), 400);
}

TEST(CheckRequest, AnswersUnknownRequireWith420ListingUnsupported) {
  UasPolicy policy;
  policy.supported_option_tags = {"timer"};
  auto rejection = Check(Request("INVITE", "Require: timer, 100rel, foo\r\n"), policy);
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->code, 420);
  ASSERT_EQ(rejection->extra_headers.size(), 1u);
  EXPECT_EQ(rejection->extra_headers[0].name, "Unsupported");
  EXPECT_EQ(rejection->extra_headers[0].value, "100rel, foo");
  EXPECT_EQ(Code(Request("INVITE", "Require: timer\r\n"), policy), 0);
  EXPECT_EQ(Code(Request("CANCEL", "Require: foo\r\n"), policy), 0);
  EXPECT_EQ(Code(Request("INVITE", "Proxy-Require: foo\r\n"), policy), 0);
}

TEST(CheckRequest, AnswersUnknownBodyTypeWith415AndAccept) {
  auto rejection = Check(Request("INVITE", "Content-Type: text/plain\r\n", "hi"));
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->code, 415);
  EXPECT_EQ(rejection->extra_headers[0].value, "application/sdp");
  EXPECT_EQ(Code(Request("INVITE", "", "no type")), 415);
  EXPECT_EQ(Code(Request("INVITE", "Accept: application/*\r\n")), 0);
  EXPECT_EQ(Code(Request("INVITE", "Accept: text/html\r\n")), 406);
}

TEST(CheckRequest, ChecksVersionAndSchemeFirst) {
  std::string v3 = Request("INVITE", "");
  v3.replace(v3.find("SIP/2.0"), 7, "SIP/3.0");
  EXPECT_EQ(Code(v3), 505);
  std::string mailto = Request("INVITE", "");
  mailto.replace(mailto.find("sip:conf@"), 9, "mailto:conf@");
  EXPECT_EQ(Code(mailto), 416);
  std::string tel = Request("INVITE", "");
  tel.replace(tel.find("sip:conf@tessera.example.com"), 28, "tel:+15551234");
  EXPECT_EQ(Code(tel), 0);
}

TEST(CheckRequest, RejectsMalformedRequireAndRoute) {
  EXPECT_EQ(Code(Request("INVITE", "Require: a b\r\n")), 400);
  EXPECT_EQ(Code(Request("INVITE", "Route: <sip:a\r\n")), 400);
}

TEST(MakeRejection, AddsTheExtraHeaders) {
  ParseResult r = ParseSipMessage(Request("INVITE", "Require: foo\r\n"));
  ASSERT_TRUE(r.ok());
  auto rejection = CheckRequest(*r.message, {});
  ASSERT_TRUE(rejection);
  SipMessage response = MakeRejection(*r.message, *rejection, "tag1");
  EXPECT_EQ(response.status_code(), 420);
  EXPECT_EQ(response.reason(), "Bad Extension");
  EXPECT_EQ(response.to()->tag, "tag1");
  ASSERT_NE(response.Find(HeaderId::kUnsupported), nullptr);
  EXPECT_EQ(response.Find(HeaderId::kUnsupported)->value, "foo");
}

}  // namespace
}  // namespace tessera::sip
