// RFC 4475 torture messages (tests/unit/sip/torture/*.sip, written by make_torture.py from the
// RFC text): the valid ones parse with the right values, the invalid ones get the code the RFC
// names through ParseSipMessage or CheckRequest, and responses that are invalid are dropped.
#include <gtest/gtest.h>
#include <tessera/sip/message.h>
#include <tessera/sip/validate.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tessera::sip {
namespace {

std::string Load(const std::string& name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "torture" / (name + ".sip");
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

SipMessage ParseValid(const std::string& name) {
  ParseResult r = ParseSipMessage(Load(name));
  EXPECT_TRUE(r.ok()) << name << ": " << r.error.reason;
  return r.ok() ? std::move(*r.message) : SipMessage();
}

// The code a UAS answers with: the parse error's or CheckRequest's; 0 when it accepts.
int UasCode(const std::string& name, bool* answerable = nullptr) {
  ParseResult r = ParseSipMessage(Load(name));
  if (!r.ok()) {
    if (answerable != nullptr) *answerable = r.error.answerable;
    return r.error.status;
  }
  if (answerable != nullptr) *answerable = true;
  auto rejection = CheckRequest(*r.message, UasPolicy{});
  return rejection ? rejection->code : 0;
}

// 3.1.1.1
TEST(Rfc4475Valid, ShortTortuousInvite) {
  SipMessage m = ParseValid("wsinv");
  EXPECT_EQ(m.method(), "INVITE");
  EXPECT_EQ(m.request_uri().user, "vivekg");
  EXPECT_EQ(m.request_uri().host, "chair-dnrc.example.com");
  ASSERT_NE(FindParam(m.request_uri().params, "unknownparam"), nullptr);
  ASSERT_TRUE(m.to());
  EXPECT_EQ(m.to()->tag, "1918181833n");
  EXPECT_EQ(m.to()->uri.user, "vivekg");
  ASSERT_TRUE(m.from());
  EXPECT_EQ(m.from()->display_name, "J Rosenberg \\\"");
  EXPECT_EQ(m.from()->tag, "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68);
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  ASSERT_TRUE(m.cseq());
  EXPECT_EQ(m.cseq()->number, 9u);
  EXPECT_EQ(m.cseq()->method, "INVITE");
  ASSERT_EQ(m.vias().size(), 3u);
  EXPECT_EQ(m.vias()[0].protocol, "SIP/2.0");
  EXPECT_EQ(m.vias()[0].transport, "UDP");
  EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m.vias()[0].branch, "390skdjuw");
  EXPECT_EQ(m.vias()[1].transport, "TCP");
  EXPECT_EQ(m.vias()[1].host, "spindle.example.com");
  EXPECT_EQ(m.vias()[1].branch, "z9hG4bK9ikj8");
  EXPECT_EQ(m.vias()[2].host, "192.168.255.111");
  EXPECT_EQ(m.vias()[2].branch, "z9hG4bK30239");
  ASSERT_NE(m.Find(HeaderId::kSubject), nullptr);
  EXPECT_EQ(m.Find(HeaderId::kSubject)->value, "");
  ASSERT_NE(m.Find("NewFangledHeader"), nullptr);
  EXPECT_EQ(m.Find("newfangledheader")->value, "newfangled value continued newfangled value");
  EXPECT_EQ(m.Find("UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");
  auto routes = m.Routes();
  ASSERT_TRUE(routes);
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_NE(FindParam((*routes)[0].uri.params, "lr"), nullptr);
  ASSERT_EQ(m.contacts().entries.size(), 1u);
  const NameAddr& contact = m.contacts().entries[0];
  EXPECT_EQ(contact.display_name, "Quoted string \"\"");
  EXPECT_EQ(ContactQ(contact), 330);
  ASSERT_NE(FindParam(contact.params, "newparam"), nullptr);
  EXPECT_EQ(FindParam(contact.params, "newparam")->value, "newvalue");
  EXPECT_NE(FindParam(contact.params, "secondparam"), nullptr);
  EXPECT_EQ(m.content_type()->MediaType(), "application/sdp");
  EXPECT_EQ(m.body().size(), 150u);
  EXPECT_EQ(UasCode("wsinv"), 0);
}

// 3.1.1.2
TEST(Rfc4475Valid, WideRangeOfValidCharacters) {
  SipMessage m = ParseValid("intmeth");
  EXPECT_EQ(m.method(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.request_uri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_TRUE(m.request_uri().had_password);
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.vias()[0].branch, "z9hG4bK-.!%66*_+`'~");
  EXPECT_EQ(m.to()->display_name, std::string("BEL:\x07 NUL:\0 DEL:\x7F", 17));
  EXPECT_EQ(m.to()->uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.from()->display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from()->tag, "_token~1'+`*%!-.");
  const Param* from_param = FindParam(m.from()->params, "fromParam''~+*_!.-%");
  ASSERT_NE(from_param, nullptr);
  EXPECT_EQ(from_param->value, "работающий");
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m.cseq()->number, 139122385u);
  EXPECT_EQ(m.cseq()->method, m.method());
  EXPECT_EQ(m.max_forwards(), 255);
  ASSERT_NE(m.Find("extensionHeader-!.%*+_`'~"), nullptr);
  EXPECT_EQ(m.Find("extensionHeader-!.%*+_`'~")->value, "\xEF\xBB\xBF大停電");
  EXPECT_EQ(UasCode("intmeth"), 0);
}

// 3.1.1.3
TEST(Rfc4475Valid, ValidUseOfPercentEscaping) {
  SipMessage m = ParseValid("esc01");
  EXPECT_EQ(m.request_uri().user, "sips:user@example.com");
  EXPECT_EQ(m.request_uri().host, "example.net");
  EXPECT_EQ(m.to()->uri.user, "user");
  EXPECT_EQ(m.from()->uri.user, "I have spaces");
  EXPECT_EQ(m.call_id(), "esc01.239409asdfakjkn23onasd0-3234");
  ASSERT_EQ(m.contacts().entries.size(), 1u);
  const SipUri& uri = m.contacts().entries[0].uri;
  EXPECT_EQ(uri.user, "caller");
  EXPECT_NE(FindParam(uri.params, "lr"), nullptr);
  ASSERT_NE(FindParam(uri.params, "name"), nullptr);
  EXPECT_EQ(FindParam(uri.params, "name")->value, "value%41");
  EXPECT_EQ(m.content_type()->MediaType(), "application/sdp");
  // The escaped To equals its unescaped spelling (RFC 3261 19.1.4).
  auto plain = ParseUri("sip:user@example.com", DefaultParseLimits());
  EXPECT_TRUE(UriEquals(m.to()->uri, *plain.uri));
  EXPECT_EQ(UasCode("esc01"), 0);
}

// 3.1.1.4
TEST(Rfc4475Valid, EscapedNullsInUris) {
  SipMessage m = ParseValid("escnull");
  EXPECT_EQ(m.to()->uri.user, std::string("null-\0-null", 11));
  ASSERT_EQ(m.contacts().entries.size(), 2u);
  EXPECT_EQ(m.contacts().entries[0].uri.user, std::string(1, '\0'));
  EXPECT_EQ(m.contacts().entries[1].uri.user, std::string(2, '\0'));
  EXPECT_EQ(UasCode("escnull"), 0);
}

// 3.1.1.5
TEST(Rfc4475Valid, PercentThatIsNotAnEscape) {
  SipMessage m = ParseValid("esc02");
  EXPECT_EQ(m.method(), "RE%47IST%45R");  // not REGISTER: methods are not unescaped
  EXPECT_EQ(m.to()->display_name, "%Z%45");
  EXPECT_EQ(m.vias()[0].branch, "z9hG4bK209%fzsnel234");
  EXPECT_EQ(m.contacts().entries.size(), 2u);  // C%6Fntact is another header
  ASSERT_NE(m.Find("C%6Fntact"), nullptr);
  EXPECT_EQ(m.Find("C%6Fntact")->id, HeaderId::kOther);
  EXPECT_EQ(UasCode("esc02"), 0);
}

// 3.1.1.6 to 3.1.1.10
TEST(Rfc4475Valid, NoLwsBetweenDisplayNameAndAngle) {
  SipMessage m = ParseValid("lwsdisp");
  EXPECT_EQ(m.from()->display_name, "caller");
  EXPECT_EQ(m.from()->uri.user, "caller");
  EXPECT_EQ(UasCode("lwsdisp"), 0);
}

TEST(Rfc4475Valid, LongValuesInHeaderFields) {
  SipMessage m = ParseValid("longreq");
  EXPECT_EQ(m.vias().size(), 34u);
  EXPECT_EQ(m.to()->uri.port, 6000);
  EXPECT_EQ(m.from()->tag.size(), 155u);
  EXPECT_EQ(m.body().size(), 150u);
}

TEST(Rfc4475Valid, ExtraTrailingOctetsInDatagramAreIgnored) {
  SipMessage m = ParseValid("dblreq");
  EXPECT_EQ(m.method(), "REGISTER");
  EXPECT_EQ(m.call_id(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
  EXPECT_TRUE(m.body().empty());
  EXPECT_EQ(UasCode("dblreq"), 0);
}

TEST(Rfc4475Valid, SemicolonSeparatedParametersInUserPart) {
  SipMessage m = ParseValid("semiuri");
  EXPECT_EQ(m.request_uri().user, "user;par=u@example.net");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_TRUE(m.request_uri().params.empty());
  EXPECT_EQ(m.Find(HeaderId::kAccept)->value,
            "application/sdp, application/pkcs7-mime, multipart/mixed, multipart/signed, "
            "message/sip, message/sipfrag");
  EXPECT_EQ(UasCode("semiuri"), 0);
}

TEST(Rfc4475Valid, VariedAndUnknownTransports) {
  SipMessage m = ParseValid("transports");
  ASSERT_EQ(m.vias().size(), 5u);
  EXPECT_EQ(m.vias()[1].transport, "SCTP");
  EXPECT_EQ(m.vias()[3].transport, "UNKNOWN");
  EXPECT_EQ(m.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
  EXPECT_EQ(UasCode("transports"), 0);
}

// 3.1.1.11 to 3.1.1.13
TEST(Rfc4475Valid, MultipartBodyWithBinaryBytes) {
  SipMessage m = ParseValid("mpart01");
  EXPECT_EQ(m.content_type()->MediaType(), "multipart/mixed");
  EXPECT_EQ(FindParam(m.content_type()->params, "boundary")->value, "7a9cbec02ceef655");
  EXPECT_EQ(m.body().size(), *m.content_length());
  EXPECT_NE(m.body().find(std::string(1, '\0')), std::string::npos);
  EXPECT_TRUE(m.vias()[0].rport);
}

TEST(Rfc4475Valid, UnusualReasonPhrase) {
  SipMessage m = ParseValid("unreason");
  EXPECT_FALSE(m.is_request());
  EXPECT_EQ(m.status_code(), 200);
  EXPECT_EQ(m.reason(), "= 2**3 * 5**2 но сто девяносто девять - простое");
}

TEST(Rfc4475Valid, EmptyReasonPhrase) {
  SipMessage m = ParseValid("noreason");
  EXPECT_EQ(m.status_code(), 100);
  EXPECT_EQ(m.reason(), "");
}

// 3.1.2: invalid messages.
struct Invalid {
  const char* name;
  int code;  // 0: dropped (a response or unanswerable)
};

class Rfc4475Invalid : public testing::TestWithParam<Invalid> {};

TEST_P(Rfc4475Invalid, GetsTheCodeTheRfcNames) {
  bool answerable = false;
  const int code = UasCode(GetParam().name, &answerable);
  if (GetParam().code == 0) {
    EXPECT_FALSE(answerable) << GetParam().name;
  } else {
    EXPECT_TRUE(answerable) << GetParam().name;
    EXPECT_EQ(code, GetParam().code) << GetParam().name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Section3_1_2, Rfc4475Invalid,
    testing::Values(Invalid{"badinv01", 400}, Invalid{"clerr", 400}, Invalid{"ncl", 400},
                    Invalid{"scalar02", 400}, Invalid{"scalarlg", 0}, Invalid{"quotbal", 400},
                    Invalid{"ltgtruri", 400}, Invalid{"lwsruri", 400}, Invalid{"lwsstart", 400},
                    Invalid{"trws", 400}, Invalid{"escruri", 400}, Invalid{"regbadct", 400},
                    Invalid{"badaspec", 400}, Invalid{"baddn", 400}, Invalid{"badvers", 505},
                    Invalid{"mismatch01", 400}, Invalid{"mismatch02", 400}, Invalid{"bigcode", 0}),
    [](const auto& info) { return std::string(info.param.name); });

// 3.2 and 3.3: transaction and application layer.
INSTANTIATE_TEST_SUITE_P(Section3_3, Rfc4475Invalid,
                         testing::Values(Invalid{"insuf", 400}, Invalid{"unkscm", 416},
                                         Invalid{"novelsc", 416}, Invalid{"unksm2", 400},
                                         Invalid{"bext01", 420}, Invalid{"invut", 415},
                                         Invalid{"multi01", 400}, Invalid{"mcl01", 400},
                                         Invalid{"sdp01", 406}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Rfc4475Accepted, BadDateIsIgnoredBecauseDateIsNotUsed) {  // 3.1.2.12
  EXPECT_EQ(UasCode("baddate"), 0);
}

TEST(Rfc4475Accepted, TransactionAndApplicationLayerMessages) {
  for (const char* name :
       {"badbranch", "regaut01", "zeromf", "cparam01", "cparam02", "regescrt", "inv2543"}) {
    EXPECT_EQ(UasCode(name), 0) << name;
  }
}

TEST(Rfc4475Accepted, BroadcastViaResponseParses) {  // 3.3.10: the transport layer drops it
  SipMessage m = ParseValid("bcast");
  EXPECT_EQ(m.vias()[1].host, "255.255.255.255");
}

TEST(Rfc4475Accepted, ContactParameterVersusUriParameter) {  // 3.3.12, 3.3.13
  SipMessage header_param = ParseValid("cparam01");
  EXPECT_NE(FindParam(header_param.contacts().entries[0].params, "unknownparam"), nullptr);
  EXPECT_TRUE(header_param.contacts().entries[0].uri.params.empty());
  SipMessage uri_param = ParseValid("cparam02");
  EXPECT_TRUE(uri_param.contacts().entries[0].params.empty());
  EXPECT_NE(FindParam(uri_param.contacts().entries[0].uri.params, "unknownparam"), nullptr);
}

TEST(Rfc4475Invalid, OverlargeExpiryValuesFallBackToDefaults) {  // 3.1.2.4, second half
  // Only the expiry values stay overlarge: CSeq and Max-Forwards become valid.
  std::string text;
  for (std::string_view line :
       {"REGISTER sip:example.com SIP/2.0",
        "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3",
        "To: <sip:user@example.com>", "From: <sip:user@example.com>;tag=2", "CSeq: 1 REGISTER",
        "Call-ID: scalar02.23o0pd9vanlq3w", "Max-Forwards: 30", "Expires: 10000000000000000000000",
        "Contact: <sip:user@host129.example.com>;expires=280297596632815", "Content-Length: 0",
        ""}) {
    text.append(line).append("\r\n");
  }
  ParseResult r = ParseSipMessage(text);
  ASSERT_TRUE(r.ok()) << r.error.reason;
  EXPECT_FALSE(r.message->Expires());
  EXPECT_FALSE(ContactExpires(r.message->contacts().entries[0]));
}

TEST(Rfc4475Accepted, EscapedHeaderInContactIsKept) {  // 3.3.14
  SipMessage m = ParseValid("regescrt");
  const SipUri& uri = m.contacts().entries[0].uri;
  ASSERT_EQ(uri.headers.size(), 1u);
  EXPECT_EQ(uri.headers[0].first, "Route");
  EXPECT_EQ(uri.headers[0].second, "<sip:sip.example.com>");
}

TEST(Rfc4475Accepted, Rfc2543InviteWithoutMaxForwardsOrBranch) {  // 3.4.1
  SipMessage m = ParseValid("inv2543");
  EXPECT_FALSE(m.max_forwards());
  EXPECT_TRUE(m.vias()[0].branch.empty());
  EXPECT_EQ(m.body().size(), 105u);  // no Content-Length on UDP: the rest of the datagram
}

TEST(Rfc4475Invalid, ParseErrorsKeepEnoughFor400) {
  ParseResult r = ParseSipMessage(Load("scalar02"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.reason, "bad CSeq: number out of range");
  ASSERT_TRUE(r.error.answerable);
  SipMessage answer = MakeResponse(r.error.partial, 400, r.error.reason);
  EXPECT_EQ(answer.vias().size(), 1u);
  EXPECT_EQ(answer.call_id(), "scalar02.23o0pd9vanlq3wnrlnewofjas9ui32");
  ASSERT_NE(answer.Find(HeaderId::kCSeq), nullptr);
  EXPECT_EQ(answer.Find(HeaderId::kCSeq)->value, "36893488147419103232 REGISTER");
}

}  // namespace
}  // namespace tessera::sip
