#include "app/config_sip.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "app/config.h"

namespace tessera::app {
namespace {

using testing::ElementsAre;

constexpr const char* kMd5 = "0123456789ABCDEF0123456789abcdef";
constexpr const char* kSha256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST(SipConfig, AbsentBlockLeavesSipDisabled) {
  auto c = ParseConfig("", "s.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->sip.enabled);
  EXPECT_TRUE(c->sip.listen.empty());
  auto d = LoadDefaultConfig();
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->sip.enabled);
}

TEST(SipConfig, AnEmptyBlockEnablesSipWithDefaults) {
  for (const char* yaml : {"sip: {}", "sip:"}) {
    auto c = ParseConfig(yaml, "s.yaml");
    ASSERT_TRUE(c.ok()) << yaml << ": " << c.status().ToString();
    const SipConfig& s = c->sip;
    EXPECT_TRUE(s.enabled);
    ASSERT_EQ(s.listen.size(), 1u);
    EXPECT_EQ(s.listen[0].transport, "udp");
    EXPECT_EQ(s.listen[0].address, "127.0.0.1");
    EXPECT_EQ(s.listen[0].port, 5060);
    EXPECT_EQ(s.realm, "tessera");
    EXPECT_EQ(s.srtp, "optional");
    EXPECT_EQ(s.session_expires_s, 1800u);
    EXPECT_EQ(s.min_se_s, 90u);
    EXPECT_EQ(s.max_calls, 200u);
    EXPECT_EQ(s.pin_attempts, 3u);
    EXPECT_EQ(s.outbound.from_user, "tessera");
    EXPECT_EQ(s.tcp.message_timeout_s, 10u);
    EXPECT_EQ(s.tcp.idle_timeout_s, 300u);
    EXPECT_EQ(s.tcp.max_connections, 1024u);
    EXPECT_EQ(s.tcp.max_connections_per_source, 32u);
    EXPECT_TRUE(s.trunks.empty());
    EXPECT_TRUE(s.users.empty());
    EXPECT_EQ(s.g722_pcm, codec::G722Pcm::k16Bit);
  }
}

TEST(SipConfig, G722PcmBitsPerTrunkWithTheBlockAsDefault) {
  auto c = ParseConfig(R"(
sip:
  g722_pcm_bits: 14
  trunks:
    - {name: asterisk, networks: [10.0.0.0/8], g722_pcm_bits: 16}
    - {name: linphones, networks: [192.0.2.0/24]}
)",
                       "s.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sip.g722_pcm, codec::G722Pcm::k14Bit);
  ASSERT_EQ(c->sip.trunks.size(), 2u);
  EXPECT_EQ(c->sip.trunks[0].g722_pcm, codec::G722Pcm::k16Bit);
  EXPECT_EQ(c->sip.trunks[1].g722_pcm, codec::G722Pcm::k14Bit);  // the block's

  auto d = ParseConfig("sip: {trunks: [{name: pjsip, networks: [10.0.0.0/8], g722_pcm_bits: 14}]}",
                       "s.yaml");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->sip.g722_pcm, codec::G722Pcm::k16Bit);
  EXPECT_EQ(d->sip.trunks[0].g722_pcm, codec::G722Pcm::k14Bit);
}

TEST(SipConfig, ATrunkMayAssertItsCallersConsent) {
  auto c = ParseConfig(R"(
sip:
  trunks:
    - {name: pbx, networks: [10.0.0.0/8], consent: granted}
    - {name: sbc, networks: [192.0.2.0/24]}
)",
                       "s.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sip.trunks[0].consent, session::Consent::kGranted);
  EXPECT_EQ(c->sip.trunks[1].consent, session::Consent::kUnknown);
  auto bad =
      ParseConfig("sip: {trunks: [{name: pbx, networks: [10.0.0.0/8], consent: ok}]}", "s.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("sip.trunks[0].consent: must be unknown, granted or declined"),
      std::string::npos)
      << bad.status().message();
}

TEST(SipConfig, TheConsentPromptIsOnWhenItsBlockIsPresent) {
  auto off = ParseConfig("sip: {}", "s.yaml");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->sip.consent_prompt.enabled);
  auto defaults = ParseConfig("sip: {consent_prompt: }", "s.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->sip.consent_prompt.enabled);
  EXPECT_EQ(defaults->sip.consent_prompt.grant, '1');
  EXPECT_EQ(defaults->sip.consent_prompt.decline, '2');
  EXPECT_EQ(defaults->sip.consent_prompt.timeout_s, 30u);
  auto set =
      ParseConfig(R"(sip: {consent_prompt: {grant: "*", decline: "#", timeout_s: 60}})", "s.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->sip.consent_prompt.grant, '*');
  EXPECT_EQ(set->sip.consent_prompt.decline, '#');
  EXPECT_EQ(set->sip.consent_prompt.timeout_s, 60u);
  for (const auto& [yaml, error] : std::vector<std::pair<std::string, std::string>>{
           {R"(sip: {consent_prompt: {grant: "12"}})",
            "sip.consent_prompt.grant: must be one DTMF key"},
           {R"(sip: {consent_prompt: {decline: "x"}})",
            "sip.consent_prompt.decline: must be one DTMF key"},
           {R"(sip: {consent_prompt: {grant: "2"}})", "grant and decline must be different"},
           {R"(sip: {consent_prompt: {timeout_s: 1}})", "sip.consent_prompt.timeout_s"},
           {R"(sip: {consent_prompt: {tone: 1}})", "sip.consent_prompt"},
           {R"(sip: {consent_prompt: [1]})", "sip.consent_prompt: must be a map"}}) {
    auto bad = ParseConfig(yaml, "s.yaml");
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_NE(bad.status().message().find(error), std::string::npos)
        << yaml << ": " << bad.status().message();
  }
}

TEST(SipConfig, ParsesEveryKey) {
  auto c = ParseConfig(std::string(R"(
sip:
  listen:
    - {transport: udp, address: 0.0.0.0, port: 5060}
    - {transport: tcp, address: 0.0.0.0, port: 5060}
    - {transport: tls, address: "::", port: 5061, certificate: c.pem, key: k.pem}
  media_address: 192.0.2.10
  realm: conf.example.com
  nonce_secret: 0123456789abcdef0123
  trunks:
    - {name: pbx, networks: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]}
  users:
    - {name: alice, password: wonderland}
    - {name: bob, ha1_md5: )") +
                           kMd5 + R"(}
    - {name: carol, ha1_sha256: )" +
                           kSha256 + R"(, ha1_md5: )" + kMd5 + R"(}
  srtp: required
  session_expires_s: 600
  min_se_s: 120
  max_calls: 50
  answer_after_ms: 1500
  pin_attempts: 5
  pin_timeout_s: 20
  new_calls_per_source_per_s: 4
  max_transactions: 2000
  outbound: {proxy: "sips:proxy.example.com;transport=tls", username: u, password: p, from_user: conf}
  tcp: {message_timeout_s: 2, idle_timeout_s: 120, max_connections: 500, max_connections_per_source: 8}
rooms:
  - name: main
    sip: {numbers: [4000, "+4930123", "*77#"], pin: "0123"}
    participants: []
)",
                       "s.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const SipConfig& s = c->sip;
  EXPECT_TRUE(s.enabled);
  ASSERT_EQ(s.listen.size(), 3u);
  EXPECT_EQ(s.listen[1].transport, "tcp");
  EXPECT_EQ(s.listen[2].transport, "tls");
  EXPECT_EQ(s.listen[2].address, "::");
  EXPECT_EQ(s.listen[2].port, 5061);
  EXPECT_EQ(s.listen[2].certificate, "c.pem");
  EXPECT_EQ(s.listen[2].key, "k.pem");
  EXPECT_EQ(s.media_address, "192.0.2.10");
  EXPECT_EQ(s.realm, "conf.example.com");
  EXPECT_EQ(s.nonce_secret, "0123456789abcdef0123");
  ASSERT_EQ(s.trunks.size(), 1u);
  EXPECT_EQ(s.trunks[0].name, "pbx");
  EXPECT_EQ(s.trunks[0].networks,
            (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"}));
  ASSERT_EQ(s.users.size(), 3u);
  EXPECT_EQ(s.users[0].password, "wonderland");
  EXPECT_EQ(s.users[1].ha1_md5, "0123456789abcdef0123456789abcdef");  // lower-cased
  EXPECT_EQ(s.users[1].password, "");
  EXPECT_EQ(s.users[2].ha1_sha256, kSha256);
  EXPECT_EQ(s.srtp, "required");
  EXPECT_EQ(s.session_expires_s, 600u);
  EXPECT_EQ(s.min_se_s, 120u);
  EXPECT_EQ(s.max_calls, 50u);
  EXPECT_EQ(s.answer_after_ms, 1500u);
  EXPECT_EQ(s.pin_attempts, 5u);
  EXPECT_EQ(s.pin_timeout_s, 20u);
  EXPECT_EQ(s.new_calls_per_source_per_s, 4u);
  EXPECT_EQ(s.max_transactions, 2000u);
  EXPECT_EQ(s.outbound.proxy, "sips:proxy.example.com;transport=tls");
  EXPECT_EQ(s.outbound.username, "u");
  EXPECT_EQ(s.outbound.password, "p");
  EXPECT_EQ(s.outbound.from_user, "conf");
  EXPECT_EQ(s.tcp.message_timeout_s, 2u);
  EXPECT_EQ(s.tcp.idle_timeout_s, 120u);
  EXPECT_EQ(s.tcp.max_connections, 500u);
  EXPECT_EQ(s.tcp.max_connections_per_source, 8u);
  EXPECT_EQ(c->rooms[0].sip.numbers, (std::vector<std::string>{"4000", "+4930123", "*77#"}));
  EXPECT_EQ(c->rooms[0].sip.pin, "0123");  // leading zero kept
}

// configs/sip-example.yaml, the example docs/operations.md points to, stays valid.
TEST(SipConfig, TheExampleConfigIsValid) {
  const auto path =
      std::filesystem::path(__FILE__).parent_path() / "../../../configs/sip-example.yaml";
  auto c = LoadConfigFile(path.string());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->sip.enabled);
  ASSERT_EQ(c->sip.trunks.size(), 1u);
  EXPECT_EQ(c->sip.trunks[0].networks, std::vector<std::string>{"127.0.0.0/8"});
  EXPECT_TRUE(net::AddressInNetworks("127.0.0.1", c->sip.trunks[0].networks));
  ASSERT_EQ(c->sip.users.size(), 1u);
  EXPECT_EQ(c->sip.users[0].name, "alice");
  EXPECT_EQ(c->sip.tcp.message_timeout_s, 10u);
  EXPECT_EQ(c->sip.tcp.max_connections_per_source, 32u);
  ASSERT_EQ(c->rooms.size(), 1u);
  EXPECT_EQ(c->rooms[0].name, "main");
  EXPECT_EQ(c->rooms[0].sip.numbers, std::vector<std::string>{"4000"});
  EXPECT_EQ(c->rooms[0].sip.pin, "1234");
  // Common phones get video: H.264 in packetization-mode 0 (Linphone, baresip, room phones) needs
  // a single_nal profile, and Linphone, Zoiper and MicroSIP also take VP8.
  ASSERT_TRUE(c->rooms[0].video);
  int single_nal = 0;
  int vp8 = 0;
  for (const auto& p : c->rooms[0].video->profiles) {
    single_nal += p.codec == rtp::Codec::kH264 && p.single_nal;
    vp8 += p.codec == rtp::Codec::kVp8;
  }
  EXPECT_GE(single_nal, 1);
  EXPECT_GE(vp8, 1);
}

TEST(SipConfig, DigestAlgorithmsDefaultToSha256ThenMd5AndKeepTheirOrder) {
  auto d = ParseConfig("sip: {}", "s.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->sip.digest_algorithms, (std::vector<std::string>{"SHA-256", "MD5"}));
  auto md5_first = ParseConfig("sip: {digest_algorithms: [MD5, SHA-256]}", "s.yaml");
  ASSERT_TRUE(md5_first.ok()) << md5_first.status().message();
  EXPECT_EQ(md5_first->sip.digest_algorithms, (std::vector<std::string>{"MD5", "SHA-256"}));
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class SipConfigErrors : public testing::TestWithParam<BadCase> {};

TEST_P(SipConfigErrors, NameTheFileLineKeyAndReason) {
  auto c = ParseConfig(GetParam().yaml, "s.yaml");
  ASSERT_FALSE(c.ok()) << GetParam().yaml;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Block, SipConfigErrors,
    testing::Values(
        BadCase{"sip: [udp]", "s.yaml:1: sip: must be a map (listen, realm, trunks, users, ...)"},
        BadCase{"sip: {relam: x}",
                "s.yaml:1: sip.relam: unknown key (known: answer_after_ms, consent_prompt, "
                "digest_algorithms, "
                "g722_pcm_bits, listen, "
                "max_calls, max_transactions, "
                "media_address, min_se_s, new_calls_per_source_per_s, nonce_secret, outbound, "
                "pin_attempts, pin_timeout_s, realm, session_expires_s, srtp, tcp, trunks, users)"},
        BadCase{"sip: {digest_algorithms: [MD5, SHA-1]}",
                "s.yaml:1: sip.digest_algorithms[1]: must be SHA-256 or MD5, got 'SHA-1'"},
        BadCase{"sip: {digest_algorithms: [MD5, MD5]}",
                "s.yaml:1: sip.digest_algorithms[1]: 'MD5' is listed twice"},
        BadCase{"sip: {digest_algorithms: []}",
                "s.yaml:1: sip.digest_algorithms: must be a list of SHA-256 and/or MD5"},
        BadCase{"sip: {media_address: pbx.example.com}",
                "s.yaml:1: sip.media_address: must be an IPv4 or IPv6 address to put in SDP (not "
                "0.0.0.0 or ::), got 'pbx.example.com'"},
        BadCase{"sip: {media_address: 0.0.0.0}",
                "s.yaml:1: sip.media_address: must be an IPv4 or IPv6 address to put in SDP (not "
                "0.0.0.0 or ::), got '0.0.0.0'"},
        BadCase{"sip: {realm: \"\"}",
                "s.yaml:1: sip.realm: must be a non-empty token (letters, digits and "
                "-.!%*_+`'~), got ''"},
        BadCase{"sip: {realm: a b}",
                "s.yaml:1: sip.realm: must be a non-empty token (letters, digits and "
                "-.!%*_+`'~), got 'a b'"},
        BadCase{"sip: {nonce_secret: short}",
                "s.yaml:1: sip.nonce_secret: must be at least 16 characters (or left out for a "
                "random one per start)"},
        BadCase{"sip: {srtp: maybe}",
                "s.yaml:1: sip.srtp: must be off, optional or required, got 'maybe'"},
        BadCase{"sip: {session_expires_s: 89}",
                "s.yaml:1: sip.session_expires_s: must be in 90..86400, got 89"},
        BadCase{"sip: {min_se_s: 60}", "s.yaml:1: sip.min_se_s: must be in 90..86400, got 60"},
        BadCase{"sip:\n  min_se_s: 600\n  session_expires_s: 300",
                "s.yaml:3: sip.session_expires_s: must be at least min_se_s (600), got 300"},
        BadCase{"sip: {min_se_s: 3600}",
                "s.yaml:1: sip.session_expires_s: must be at least min_se_s (3600), got 1800"},
        BadCase{"sip: {max_calls: 0}", "s.yaml:1: sip.max_calls: must be in 1..10000, got 0"},
        BadCase{"sip: {answer_after_ms: 60001}",
                "s.yaml:1: sip.answer_after_ms: must be in 0..60000, got 60001"},
        BadCase{"sip: {pin_attempts: 11}", "s.yaml:1: sip.pin_attempts: must be in 1..10, got 11"},
        BadCase{"sip: {pin_timeout_s: 4}", "s.yaml:1: sip.pin_timeout_s: must be in 5..600, got 4"},
        BadCase{"sip: {max_transactions: 10}",
                "s.yaml:1: sip.max_transactions: must be in 100..1000000, got 10"},
        BadCase{"sip: {new_calls_per_source_per_s: 0}",
                "s.yaml:1: sip.new_calls_per_source_per_s: must be in 1..10000, got 0"}));

INSTANTIATE_TEST_SUITE_P(
    Tcp, SipConfigErrors,
    testing::Values(
        BadCase{"sip: {tcp: [10]}",
                "s.yaml:1: sip.tcp: must be a map (message_timeout_s, idle_timeout_s, "
                "max_connections, max_connections_per_source)"},
        BadCase{"sip: {tcp: {header_timeout_s: 5}}",
                "s.yaml:1: sip.tcp.header_timeout_s: unknown key (known: idle_timeout_s, "
                "max_connections, max_connections_per_source, message_timeout_s)"},
        BadCase{"sip: {tcp: {message_timeout_s: 0}}",
                "s.yaml:1: sip.tcp.message_timeout_s: must be in 1..300, got 0"},
        BadCase{"sip: {tcp: {idle_timeout_s: 86401}}",
                "s.yaml:1: sip.tcp.idle_timeout_s: must be in 1..86400, got 86401"},
        BadCase{"sip: {tcp: {max_connections: 0}}",
                "s.yaml:1: sip.tcp.max_connections: must be in 1..100000, got 0"},
        BadCase{"sip: {tcp: {max_connections_per_source: 0}}",
                "s.yaml:1: sip.tcp.max_connections_per_source: must be in 1..100000, got 0"},
        BadCase{"sip:\n  tcp:\n    max_connections: 16\n    max_connections_per_source: 32",
                "s.yaml:4: sip.tcp.max_connections_per_source: must be at most max_connections "
                "(16), got 32"},
        BadCase{"sip: {tcp: {max_connections: 8}}",
                "s.yaml:1: sip.tcp.max_connections_per_source: must be at most max_connections "
                "(8), got 32"}));

INSTANTIATE_TEST_SUITE_P(
    Listen, SipConfigErrors,
    testing::Values(
        BadCase{"sip: {listen: []}",
                "s.yaml:1: sip.listen: must be a list of at least one listener"},
        BadCase{"sip: {listen: [{transport: sctp}]}",
                "s.yaml:1: sip.listen[0].transport: must be udp, tcp or tls, got 'sctp'"},
        BadCase{"sip: {listen: [{address: localhost}]}",
                "s.yaml:1: sip.listen[0].address: must be an IPv4 or IPv6 address, got "
                "'localhost'"},
        BadCase{"sip: {listen: [{port: 70000}]}",
                "s.yaml:1: sip.listen[0].port: must be in 0..65535, got 70000"},
        BadCase{"sip: {listen: [{transport: tls, key: k.pem}]}",
                "s.yaml:1: sip.listen[0].certificate: is required for tls (a PEM file)"},
        BadCase{"sip: {listen: [{transport: udp, certificate: c.pem}]}",
                "s.yaml:1: sip.listen[0].certificate: is for tls listeners only"},
        BadCase{"sip: {listen: [{adress: 0.0.0.0}]}",
                "s.yaml:1: sip.listen[0].adress: unknown key (known: address, certificate, key, "
                "port, transport)"},
        BadCase{"sip:\n  listen:\n    - {port: 5070}\n    - {port: 5070}",
                "s.yaml:4: sip.listen[1]: udp 127.0.0.1 port 5070 is already a udp listener"},
        BadCase{"sip:\n  listen:\n    - {transport: tcp}\n    - {transport: tls, certificate: "
                "c, key: k, port: 5060}",
                "s.yaml:4: sip.listen[1]: tls 127.0.0.1 port 5060 is already a tcp listener"}));

INSTANTIATE_TEST_SUITE_P(
    TrunksUsersOutbound, SipConfigErrors,
    testing::Values(
        BadCase{"sip: {trunks: {name: pbx}}", "s.yaml:1: sip.trunks: must be a list"},
        BadCase{"sip: {trunks: [{name: pbx, networks: [10.0.0.0/8], g722_pcm_bits: 15}]}",
                "s.yaml:1: sip.trunks[0].g722_pcm_bits: must be 16 (Asterisk, FreeSWITCH, "
                "baresip: spandsp) or 14 (pjsip, linphone), got '15'"},
        BadCase{"sip: {g722_pcm_bits: 14bit}",
                "s.yaml:1: sip.g722_pcm_bits: must be 16 (Asterisk, FreeSWITCH, baresip: spandsp) "
                "or 14 (pjsip, linphone), got '14bit'"},
        BadCase{"sip: {trunks: [{name: pbx, networks: [10.0.0.0/8], g722: 14}]}",
                "s.yaml:1: sip.trunks[0].g722: unknown key (known: consent, g722_pcm_bits, name, "
                "networks)"},
        BadCase{"sip: {trunks: [{networks: [10.0.0.0/8]}]}",
                "s.yaml:1: sip.trunks[0].name: is required"},
        BadCase{"sip: {trunks: [{name: pbx}]}",
                "s.yaml:1: sip.trunks[0].networks: must be a list of at least one CIDR block or "
                "address"},
        BadCase{"sip:\n  trunks:\n    - {name: pbx, networks: [10.0.0.0/8]}\n    - {name: pbx, "
                "networks: [10.0.0.0/8]}",
                "s.yaml:4: sip.trunks[1].name: duplicate trunk name 'pbx'"},
        BadCase{"sip: {trunks: [{name: pbx, networks: [10.0.0.0/33]}]}",
                "s.yaml:1: sip.trunks[0].networks[0]: must be a CIDR block (10.0.0.0/8, "
                "2001:db8::/32; prefix up to 32 for IPv4, 128 for IPv6) or an address, got "
                "'10.0.0.0/33'"},
        BadCase{"sip: {trunks: [{name: pbx, networks: [\"2001:db8::/129\"]}]}",
                "s.yaml:1: sip.trunks[0].networks[0]: must be a CIDR block (10.0.0.0/8, "
                "2001:db8::/32; prefix up to 32 for IPv4, 128 for IPv6) or an address, got "
                "'2001:db8::/129'"},
        BadCase{"sip: {trunks: [{name: pbx, networks: [pbx.local]}]}",
                "s.yaml:1: sip.trunks[0].networks[0]: must be a CIDR block (10.0.0.0/8, "
                "2001:db8::/32; prefix up to 32 for IPv4, 128 for IPv6) or an address, got "
                "'pbx.local'"},
        BadCase{"sip: {users: [{password: x}]}", "s.yaml:1: sip.users[0].name: is required"},
        BadCase{"sip: {users: [{name: \"a b\", password: x}]}",
                "s.yaml:1: sip.users[0].name: must be printable, without spaces, quotes or "
                "backslashes, got 'a b'"},
        BadCase{"sip:\n  users:\n    - {name: a, password: x}\n    - {name: a, password: y}",
                "s.yaml:4: sip.users[1].name: duplicate user name 'a'"},
        BadCase{"sip: {users: [{name: a}]}",
                "s.yaml:1: sip.users[0]: needs password, or ha1_md5 and/or ha1_sha256"},
        BadCase{"sip: {users: [{name: a, password: x, ha1_md5: "
                "0123456789abcdef0123456789abcdef}]}",
                "s.yaml:1: sip.users[0]: give either password or ha1_md5/ha1_sha256, not both"},
        BadCase{"sip: {users: [{name: a, password: \"\"}]}",
                "s.yaml:1: sip.users[0].password: is empty"},
        BadCase{"sip: {users: [{name: a, ha1_md5: 0123456789abcdef}]}",
                "s.yaml:1: sip.users[0].ha1_md5: must be 32 hex digits (MD5 of "
                "name:realm:password), got '0123456789abcdef'"},
        BadCase{"sip: {users: [{name: a, ha1_sha256: 0123456789abcdef0123456789abcdeg}]}",
                "s.yaml:1: sip.users[0].ha1_sha256: must be 64 hex digits (SHA-256 of "
                "name:realm:password), got '0123456789abcdef0123456789abcdeg'"},
        BadCase{"sip: {users: [{name: a, pasword: x}]}",
                "s.yaml:1: sip.users[0].pasword: unknown key (known: ha1_md5, ha1_sha256, name, "
                "password)\ns.yaml:1: sip.users[0]: needs password, or ha1_md5 and/or "
                "ha1_sha256"},
        BadCase{"sip: {outbound: \"sip:proxy\"}",
                "s.yaml:1: sip.outbound: must be a map (proxy, username, password, from_user)"},
        BadCase{"sip: {outbound: {proxy: \"10.0.0.1:5060\"}}",
                "s.yaml:1: sip.outbound.proxy: must be a sip: or sips: URI "
                "(sip:10.0.0.1:5060;transport=udp), got '10.0.0.1:5060'"},
        BadCase{"sip: {outbound: {username: u}}",
                "s.yaml:1: sip.outbound: username and password go together"},
        BadCase{"sip: {outbound: {from_user: \"a b\"}}",
                "s.yaml:1: sip.outbound.from_user: must be a SIP user part (letters, digits and "
                "-_.!~*'()&=+$,;?/), got 'a b'"}));

constexpr const char* kTwoRooms = R"(rooms:
  - name: main
    sip: %s
    participants: []
  - name: "4000"
    sip: %s
    participants: []
)";

std::string TwoRooms(const std::string& first, const std::string& second) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), kTwoRooms, first.c_str(), second.c_str());
  return buf;
}

TEST(SipConfig, RoomNumbersAndPinMustBeDialable) {
  auto c = ParseConfig(TwoRooms("{numbers: [12a, \"\", [1]], pin: 12ab}", "{pin: \"\"}"), "s.yaml");
  ASSERT_FALSE(c.ok());
  const std::string why = "must be 1..32 of the characters 0-9 + * # (quote one holding #), got ";
  EXPECT_EQ(c.status().message(),
            "s.yaml:3: rooms[0].sip.numbers[0]: " + why + "'12a'\n" +  //
                "s.yaml:3: rooms[0].sip.numbers[1]: " + why + "''\n" +
                "s.yaml:3: rooms[0].sip.numbers[2]: " + why + "'<not a value>'\n" +
                "s.yaml:3: rooms[0].sip.pin: must be 1..16 digits, got '12ab'\n" +
                "s.yaml:6: rooms[1].sip.pin: must be 1..16 digits, got ''");
  auto long_number =
      ParseConfig(TwoRooms("{numbers: [" + std::string(33, '1') + "]}", "{}"), "s.yaml");
  ASSERT_FALSE(long_number.ok());
  EXPECT_THAT(long_number.status().message(), testing::HasSubstr("rooms[0].sip.numbers[0]: must"));
  auto long_pin = ParseConfig(TwoRooms("{pin: " + std::string(17, '1') + "}", "{}"), "s.yaml");
  ASSERT_FALSE(long_pin.ok());
  EXPECT_THAT(long_pin.status().message(), testing::HasSubstr("rooms[0].sip.pin: must be 1..16"));
  auto unknown = ParseConfig(TwoRooms("{number: [1]}", "{}"), "s.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "s.yaml:3: rooms[0].sip.number: unknown key (known: numbers, pin)");
}

TEST(SipConfig, ANumberReachesOneRoomAndIsNoOtherRoomsName) {
  auto c =
      ParseConfig(TwoRooms("{numbers: [4000, 5000, 5000]}", "{numbers: [5000, 4000]}"), "s.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "s.yaml:3: rooms[0].sip.numbers[2]: '5000' is listed twice\n"
            "s.yaml:3: rooms[0].sip.numbers[0]: '4000' is already the name of rooms[1]\n"
            "s.yaml:6: rooms[1].sip.numbers[0]: '5000' already reaches room 'main'\n"
            "s.yaml:6: rooms[1].sip.numbers[1]: '4000' already reaches room 'main'");
  // A room may list its own name as a number.
  auto own = ParseConfig(TwoRooms("{numbers: [6000]}", "{numbers: [4000]}"), "s.yaml");
  EXPECT_TRUE(own.ok()) << own.status().ToString();
}

}  // namespace
}  // namespace tessera::app
