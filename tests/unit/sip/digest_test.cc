#include <gtest/gtest.h>
#include <tessera/sip/digest.h>

namespace tessera::sip {
namespace {

// RFC 2617 3.5.
TEST(Digest, Rfc2617Md5Example) {
  auto c = ParseDigestCredentials(
      "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, "
      "nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", "
      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algorithm, DigestAlgorithm::kMd5);
  const std::string ha1 =
      ComputeHa1(DigestAlgorithm::kMd5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(ComputeDigestResponse(DigestAlgorithm::kMd5, ha1, "GET", *c),
            "6629fae49393a05397450978507c4ef1");
}

// RFC 7616 3.9.1, both algorithms.
TEST(Digest, Rfc7616Sha256AndMd5Example) {
  const DigestCredentials c{.username = "Mufasa",
                            .realm = "http-auth@example.org",
                            .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                            .uri = "/dir/index.html",
                            .response = {},
                            .opaque = {},
                            .qop = "auth",
                            .cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
                            .nc = "00000001"};
  for (auto [algorithm, expected] :
       {std::pair{DigestAlgorithm::kMd5, "8ca523f5e9506fed4657c9700eebdbec"},
        std::pair{DigestAlgorithm::kSha256,
                  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"}}) {
    const std::string ha1 = ComputeHa1(algorithm, c.username, c.realm, "Circle of Life");
    EXPECT_EQ(ComputeDigestResponse(algorithm, ha1, "GET", c), expected);
  }
}

TEST(Digest, ParsesChallengesAndRejectsBadOnes) {
  auto ch = ParseDigestChallenge(
      "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", qop=\"auth,auth-int\", "
      "nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=SHA-256");
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->realm, "atlanta.com");
  EXPECT_EQ(ch->algorithm, DigestAlgorithm::kSha256);
  EXPECT_EQ(ch->qop, (std::vector<std::string>{"auth", "auth-int"}));
  EXPECT_FALSE(ch->stale);
  std::string error;
  EXPECT_FALSE(ParseDigestChallenge("Basic realm=\"x\"", &error));
  EXPECT_EQ(error, "not a Digest scheme");
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"x\"", &error));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"x\", nonce=\"y\", algorithm=SHA-512-256"));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"x\", realm=\"y\", nonce=\"z\""));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=\"x, nonce=\"y\""));
  EXPECT_FALSE(ParseDigestChallenge("Digest realm=x y, nonce=z"));
  EXPECT_FALSE(
      ParseDigestCredentials("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
                             "response=\"x\", qop=auth"));  // qop without nc/cnonce
  EXPECT_FALSE(ParseDigestCredentials("NoOneKnowsThisScheme opaque-data=here"));  // RFC 4475 3.3.7
}

class DigestServerTest : public testing::Test {
 protected:
  FakeClock clock_;
  DigestServer server_{"server secret", "tessera.example.com", clock_, std::chrono::seconds(300)};

  DigestCredentials Answer(const DigestChallenge& ch, std::string_view password = "pw") {
    auto c = AnswerDigestChallenge(ch, "alice", password, "INVITE", "sip:conf@tessera.example.com",
                                   "0a4f113b", 1);
    EXPECT_TRUE(c);
    return *c;
  }
};

TEST_F(DigestServerTest, VerifiesAnswersAgainstStoredHa1WithBothAlgorithms) {
  for (DigestAlgorithm algorithm : {DigestAlgorithm::kMd5, DigestAlgorithm::kSha256}) {
    const DigestChallenge ch = server_.Challenge(algorithm);
    // The answer travels as text and back.
    auto c = ParseDigestCredentials(
        SerializeDigestCredentials(Answer(*ParseDigestChallenge(SerializeDigestChallenge(ch)))));
    ASSERT_TRUE(c);
    const std::string ha1 = ComputeHa1(algorithm, "alice", "tessera.example.com", "pw");
    EXPECT_EQ(server_.Verify(*c, "INVITE", ha1), DigestServer::Verdict::kOk);
    EXPECT_EQ(server_.Verify(*c, "BYE", ha1), DigestServer::Verdict::kBadResponse);
    const std::string wrong = ComputeHa1(algorithm, "alice", "tessera.example.com", "pv");
    EXPECT_EQ(server_.Verify(*c, "INVITE", wrong), DigestServer::Verdict::kBadResponse);
  }
}

TEST_F(DigestServerTest, OldNoncesAreStaleAndForgedOnesBad) {
  const DigestChallenge ch = server_.Challenge(DigestAlgorithm::kSha256);
  const DigestCredentials c = Answer(ch);
  const std::string ha1 = ComputeHa1(DigestAlgorithm::kSha256, "alice", ch.realm, "pw");
  clock_.AdvanceMs(299'000);
  EXPECT_EQ(server_.Verify(c, "INVITE", ha1), DigestServer::Verdict::kOk);
  clock_.AdvanceMs(2'000);
  EXPECT_EQ(server_.Verify(c, "INVITE", ha1), DigestServer::Verdict::kStale);
  EXPECT_TRUE(server_.Challenge(DigestAlgorithm::kSha256, true).stale);

  DigestCredentials forged = c;
  forged.nonce[0] = forged.nonce[0] == '0' ? '1' : '0';  // move the timestamp
  EXPECT_EQ(server_.Verify(forged, "INVITE", ha1), DigestServer::Verdict::kBadNonce);
  FakeClock other_clock;
  DigestServer other("other secret", ch.realm, other_clock);
  EXPECT_EQ(other.Verify(c, "INVITE", ha1), DigestServer::Verdict::kBadNonce);
  DigestCredentials realm = c;
  realm.realm.assign(8, 'x');
  EXPECT_EQ(server_.Verify(realm, "INVITE", ha1), DigestServer::Verdict::kBadRealm);
  DigestCredentials auth_int = c;
  auth_int.qop.append("-int");
  EXPECT_EQ(server_.Verify(auth_int, "INVITE", ha1), DigestServer::Verdict::kBadQop);
}

TEST_F(DigestServerTest, AcceptsLegacyAnswersWithoutQop) {
  DigestChallenge ch = server_.Challenge(DigestAlgorithm::kMd5);
  ch.qop.clear();
  const DigestCredentials c = Answer(ch);
  EXPECT_TRUE(c.qop.empty());
  EXPECT_TRUE(c.cnonce.empty());
  const std::string ha1 = ComputeHa1(DigestAlgorithm::kMd5, "alice", ch.realm, "pw");
  EXPECT_EQ(server_.Verify(c, "INVITE", ha1), DigestServer::Verdict::kOk);
}

TEST(DigestClient, RefusesChallengesOfferingOnlyAuthInt) {
  const DigestChallenge ch{.realm = "r",
                           .nonce = "n",
                           .opaque = {},
                           .domain = {},
                           .algorithm = DigestAlgorithm::kMd5,
                           .stale = false,
                           .qop = {"auth-int"}};
  EXPECT_FALSE(AnswerDigestChallenge(ch, "u", "p", "INVITE", "sip:x", "c", 1));
}

}  // namespace
}  // namespace tessera::sip
