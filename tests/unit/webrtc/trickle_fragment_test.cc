// Trickle ICE fragments as WHIP/WHEP clients PATCH them (RFC 8840, RFC 9725 4.3), what Tessera
// answers to an ICE restart, and the TURN credentials it hands browsers.
#include <gtest/gtest.h>
#include <tessera/webrtc/trickle_fragment.h>
#include <tessera/webrtc/turn_credentials.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace tessera::webrtc {
namespace {

// What Chromium PATCHes for an ICE restart (trickle off: its credentials and its candidates).
constexpr char kRestart[] =
    "a=ice-options:trickle ice2\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=mid:0\r\n"
    "a=ice-ufrag:Zk2S\r\n"
    "a=ice-pwd:dRtnHQ4UZk1oGbz+fz8Yg1Zl\r\n"
    "a=candidate:1 1 udp 2113937151 192.0.2.10 50000 typ host\r\n"
    "a=candidate:2 1 udp 1677729535 198.51.100.7 50000 typ srflx raddr 0.0.0.0 rport 0\r\n"
    "a=end-of-candidates\r\n";

TEST(TrickleFragment, ARestartGivesTheNewCredentialsMidsAndCandidates) {
  auto f = ParseTrickleFragment(kRestart);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f->ice.has_value());
  EXPECT_EQ(f->ice->ufrag, "Zk2S");
  EXPECT_EQ(f->ice->password, "dRtnHQ4UZk1oGbz+fz8Yg1Zl");
  EXPECT_EQ(f->mids, std::vector<std::string>{"0"});
  ASSERT_EQ(f->candidates.size(), 2u);
  EXPECT_EQ(f->candidates[1],
            "2 1 udp 1677729535 198.51.100.7 50000 typ srflx raddr 0.0.0.0 rport 0");
  EXPECT_TRUE(f->end_of_candidates);
}

TEST(TrickleFragment, CandidatesAloneAreTrickleAndLfLinesAreRead) {
  auto f = ParseTrickleFragment("a=mid:0\na=candidate:1 1 udp 1 192.0.2.1 9 typ host\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->ice.has_value());
  EXPECT_EQ(f->candidates.size(), 1u);
  EXPECT_FALSE(f->end_of_candidates);
}

TEST(TrickleFragment, BadFragmentsAreRefusedWithTheReason) {
  const struct {
    std::string text;
    const char* reason;
  } cases[] = {
      {"a=ice-ufrag:abcd\r\n", "together"},
      {"a=ice-pwd:0123456789012345678901\r\n", "together"},
      {"a=ice-ufrag:ab\r\na=ice-pwd:0123456789012345678901\r\n", "4 to 256"},
      {"a=ice-ufrag:ab;d\r\na=ice-pwd:0123456789012345678901\r\n", "ice-chars"},
      {"a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n", "22 to 256"},
      {"a=ice-ufrag:abcd\r\na=ice-ufrag:efgh\r\n", "two different"},
      {"a=mid:\r\n", "a=mid"},
      {"a=candidate:\r\n", "empty"},
      {std::string(kMaxTrickleFragmentBytes + 1, 'a'), "larger"},
  };
  for (const auto& c : cases) {
    auto f = ParseTrickleFragment(c.text);
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_NE(f.status().message().find(c.reason), std::string::npos) << f.status().message();
  }
  std::string many;
  for (size_t i = 0; i <= kMaxTrickleCandidates; ++i)
    many += "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n";
  EXPECT_FALSE(ParseTrickleFragment(many).ok());
}

TEST(TrickleFragment, TheRestartAnswerHasTheNewCredentialsAndTheFirstMediaSection) {
  const std::string answer =
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=ice-lite\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:old1\r\n"
      "a=candidate:1 1 udp 2130706431 203.0.113.5 8443 typ host\r\na=end-of-candidates\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n";
  const std::string f = RestartAnswerFragment(answer, {"new1", "abcdefghijklmnopqrstuvwx"});
  EXPECT_EQ(f,
            "a=ice-lite\r\na=ice-ufrag:new1\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
            "a=candidate:1 1 udp 2130706431 203.0.113.5 8443 typ host\r\na=end-of-candidates\r\n");
  // And it reads back as a restart.
  auto parsed = ParseTrickleFragment(f);
  ASSERT_TRUE(parsed.ok() && parsed->ice);
  EXPECT_EQ(parsed->ice->ufrag, "new1");
}

TEST(TurnCredentials, AreTheTurnRestApiSchemeCoturnChecks) {
  // base64(HMAC-SHA1("north-wing-secret", "1700043200:tessera1")), computed apart.
  const TurnCredential c = MakeTurnCredential("north-wing-secret", "tessera1", 1700000000, 43200);
  EXPECT_EQ(c.username, "1700043200:tessera1");
  EXPECT_EQ(c.password, "FNQjLDId9lQ6o74Zp9d3VVQdftY=");
}

TEST(TurnCredentials, TheSecretIsTheFilesFirstLineAndAnEmptyOneIsRefused) {
  const std::string path = ::testing::TempDir() + "/turn-secret";
  std::ofstream(path) << "north-wing-secret\r\nignored\n";
  auto s = ReadTurnSecret(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "north-wing-secret");
  std::ofstream(path) << "\n";
  EXPECT_FALSE(ReadTurnSecret(path).ok());
  EXPECT_NE(ReadTurnSecret(path + ".missing").status().message().find(".missing"),
            std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tessera::webrtc
