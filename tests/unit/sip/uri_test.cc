#include <gtest/gtest.h>
#include <tessera/sip/uri.h>

namespace tessera::sip {
namespace {

SipUri Parse(std::string_view text) {
  UriParseResult r = ParseUri(text, DefaultParseLimits());
  EXPECT_TRUE(r.uri) << text << ": " << r.error;
  return r.uri ? *r.uri : SipUri{};
}

bool Equal(std::string_view a, std::string_view b) { return UriEquals(Parse(a), Parse(b)); }

TEST(SipUri, ParsesUserHostPortParamsAndHeaders) {
  SipUri u =
      Parse("sips:alice@Atlanta.COM:5061;transport=tcp;lr?subject=project%20x&priority=urgent");
  EXPECT_EQ(u.scheme, UriScheme::kSips);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.port, 5061);
  ASSERT_EQ(u.params.size(), 2u);
  EXPECT_EQ(FindParam(u.params, "TRANSPORT")->value, "tcp");
  EXPECT_FALSE(FindParam(u.params, "lr")->has_value);
  ASSERT_EQ(u.headers.size(), 2u);
  EXPECT_EQ(u.headers[0].second, "project x");
}

TEST(SipUri, ParsesIpv4AndIpv6Hosts) {
  EXPECT_EQ(Parse("sip:192.0.2.4").host, "192.0.2.4");
  SipUri v6 = Parse("sip:bob@[2001:DB8::10]:5070");
  EXPECT_EQ(v6.host, "[2001:db8::10]");
  EXPECT_EQ(v6.port, 5070);
  EXPECT_FALSE(ParseUri("sip:[2001:db8::10", DefaultParseLimits()).uri);
  EXPECT_FALSE(ParseUri("sip:[zz]", DefaultParseLimits()).uri);
}

TEST(SipUri, DropsPasswordButRemembersIt) {
  SipUri u = Parse("sip:alice:secretword@atlanta.com;transport=tcp");
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.had_password);
  EXPECT_EQ(SerializeUri(u).find("secretword"), std::string::npos);
}

TEST(SipUri, TelAndOtherSchemes) {
  SipUri tel = Parse("tel:+1-201-555-0123;phone-context=example.com");
  EXPECT_EQ(tel.scheme, UriScheme::kTel);
  EXPECT_EQ(tel.user, "+1-201-555-0123");
  EXPECT_EQ(FindParam(tel.params, "phone-context")->value, "example.com");
  SipUri other = Parse("soap.beep://192.0.2.103:3002");
  EXPECT_EQ(other.scheme, UriScheme::kOther);
  EXPECT_EQ(other.scheme_name, "soap.beep");
  EXPECT_EQ(other.opaque, "//192.0.2.103:3002");
}

TEST(SipUri, RejectsMalformed) {
  for (std::string_view bad : {"",
                               "sip:",
                               "sip:@host",
                               "sip:user@",
                               "sip:host:99999",
                               "sip:host:",
                               "sip:us%zzer@host",
                               "sip:host;",
                               "sip:host;=v",
                               "sip:host;a=",
                               "sip:host?x",
                               "sip:ho st",
                               "<sip:host>",
                               "1sip:host",
                               "tel:",
                               "tel:12g;x",
                               "http:",
                               "x:a b",
                               "sip:h;lr;LR",
                               "tel:1;a=1;a=2"}) {
    EXPECT_FALSE(ParseUri(bad, DefaultParseLimits()).uri) << bad;
  }
}

TEST(SipUri, EnforcesLimits) {
  ParseLimits limits;
  limits.max_uri_bytes = 20;
  EXPECT_EQ(ParseUri("sip:averyveryverylonguser@example.com", limits).error, "URI too long");
  limits = ParseLimits{};
  limits.max_params = 2;
  EXPECT_EQ(ParseUri("sip:h;a;b;c", limits).error, "too many URI parameters");
  EXPECT_EQ(ParseUri("sip:h?a=1&b=2&c=3", limits).error, "too many URI headers");
}

TEST(SipUri, SerializesWhatItParses) {
  for (std::string_view text :
       {"sip:alice@atlanta.com", "sips:bob@[2001:db8::1]:5061;transport=tls",
        "sip:%00@host5.example.com", "sip:I%20have%20spaces@example.net;n%61me=v%61lue%25%34%31",
        "sip:user;par=u%40example.net@example.com", "tel:+1-201-555-0123;x=y",
        "sip:user@example.com?Route=%3Csip:example.com%3E", "isbn:2983792873"}) {
    SipUri u = Parse(text);
    SipUri again = Parse(SerializeUri(u));
    EXPECT_TRUE(UriEquals(u, again)) << text << " -> " << SerializeUri(u);
    EXPECT_EQ(u.user, again.user);
    EXPECT_EQ(u.params, again.params);
  }
  EXPECT_EQ(SerializeUri(Parse("sip:%61lice@h")), "sip:alice@h");
  EXPECT_EQ(SerializeUri(Parse("sip:I%20x@h")), "sip:I%20x@h");
}

// The equivalent and non-equivalent pairs of RFC 3261 19.1.4.
TEST(SipUri, ComparesAsRfc3261Says) {
  EXPECT_TRUE(
      Equal("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  EXPECT_TRUE(Equal("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(Equal("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(Equal("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                    "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  EXPECT_TRUE(Equal("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                    "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));

  EXPECT_FALSE(Equal("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  EXPECT_FALSE(Equal("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  EXPECT_FALSE(Equal("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  EXPECT_FALSE(Equal("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  EXPECT_FALSE(Equal("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  EXPECT_FALSE(Equal("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
  EXPECT_FALSE(Equal("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  EXPECT_FALSE(Equal("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
}

}  // namespace
}  // namespace tessera::sip
