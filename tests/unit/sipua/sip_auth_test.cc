// Who may call in, and how sipstats counts it: challenges and refusals apart.
#include "sipua/sip_auth.h"

#include <gtest/gtest.h>
#include <tessera/base/clock.h>

#include <chrono>
#include <optional>
#include <string>

namespace tessera::sipua {
namespace {

using Kind = AuthDecision::Kind;

constexpr const char* kRealm = "tessera";
constexpr const char* kCaller = "192.0.2.7";  // in no trunk network

class SipAuthTest : public testing::Test {
 protected:
  SipAuthTest() {
    config_.realm = kRealm;
    SipTrunkConfig office;
    office.name = "office";
    office.networks = {"10.0.0.0/8"};
    config_.trunks.push_back(office);
    SipUserConfig alice;
    alice.name = "alice";
    alice.password = "secret";
    config_.users.push_back(alice);
    config_.digest_algorithms = {"MD5", "SHA-256"};
    ha1_["alice"] = {sip::ComputeHa1(sip::DigestAlgorithm::kMd5, "alice", kRealm, "secret"),
                     sip::ComputeHa1(sip::DigestAlgorithm::kSha256, "alice", kRealm, "secret")};
  }

  // The Authorization value a phone sends for `user` and `password` after `challenge`.
  std::string Answer(const sip::DigestChallenge& challenge, const std::string& user,
                     const std::string& password) {
    auto c = sip::AnswerDigestChallenge(challenge, user, password, "INVITE", "sip:main@192.0.2.1",
                                        "0a4f113b", 1);
    EXPECT_TRUE(c);
    return c ? sip::SerializeDigestCredentials(*c) : std::string();
  }

  // Decides and counts, as the SIP service does.
  AuthDecision Invite(const std::optional<std::string>& authorization,
                      const std::string& source = kCaller) {
    AuthDecision d =
        DecideInviteAuth(config_, source, authorization ? &*authorization : nullptr, digest_, ha1_);
    CountAuth(d, stats_);
    return d;
  }

  FakeClock clock_;
  sip::DigestServer digest_{"0123456789abcdef0123456789abcdef", kRealm, clock_,
                            std::chrono::seconds(300)};
  SipConfig config_;
  Ha1Table ha1_;
  SipStats stats_;
};

TEST_F(SipAuthTest, AChallengeThenTheRightPasswordIsOneChallengeAndNoRefusal) {
  const AuthDecision first = Invite(std::nullopt);
  EXPECT_EQ(first.kind, Kind::kChallenged);
  EXPECT_FALSE(first.stale);
  for (auto algorithm : {sip::DigestAlgorithm::kMd5, sip::DigestAlgorithm::kSha256}) {
    EXPECT_EQ(Invite(Answer(digest_.Challenge(algorithm), "alice", "secret")).kind,
              Kind::kAccepted);
  }
  EXPECT_EQ(stats_.auth_challenges, 1u);
  EXPECT_EQ(stats_.rejected_auth, 0u);
}

TEST_F(SipAuthTest, AWrongPasswordIsRefusedAndCountedAsARefusal) {
  EXPECT_EQ(Invite(std::nullopt).kind, Kind::kChallenged);
  const AuthDecision d =
      Invite(Answer(digest_.Challenge(sip::DigestAlgorithm::kMd5), "alice", "not-secret"));
  EXPECT_EQ(d.kind, Kind::kRefused);
  EXPECT_NE(d.why.find("wrong password"), std::string::npos) << d.why;
  EXPECT_NE(d.why.find("alice"), std::string::npos) << d.why;
  EXPECT_EQ(stats_.auth_challenges, 1u);
  EXPECT_EQ(stats_.rejected_auth, 1u);
}

TEST_F(SipAuthTest, UnknownUsersOtherRealmsAndGarbageAreRefusals) {
  const AuthDecision unknown =
      Invite(Answer(digest_.Challenge(sip::DigestAlgorithm::kMd5), "mallory", "secret"));
  EXPECT_EQ(unknown.kind, Kind::kRefused);
  EXPECT_EQ(unknown.why, "unknown user mallory");

  sip::DigestChallenge elsewhere = digest_.Challenge(sip::DigestAlgorithm::kMd5);
  elsewhere.realm = "elsewhere";
  const AuthDecision realm = Invite(Answer(elsewhere, "alice", "secret"));
  EXPECT_EQ(realm.kind, Kind::kRefused);
  EXPECT_NE(realm.why.find("another realm"), std::string::npos) << realm.why;

  const AuthDecision garbage = Invite(std::string("Basic YWxpY2U6c2VjcmV0"));
  EXPECT_EQ(garbage.kind, Kind::kRefused);
  EXPECT_EQ(garbage.why.rfind("bad credentials: ", 0), 0u) << garbage.why;

  EXPECT_EQ(stats_.auth_challenges, 0u);
  EXPECT_EQ(stats_.rejected_auth, 3u);
}

TEST_F(SipAuthTest, AnAlgorithmNotOfferedIsARefusal) {
  config_.digest_algorithms = {"SHA-256"};
  const AuthDecision d =
      Invite(Answer(digest_.Challenge(sip::DigestAlgorithm::kMd5), "alice", "secret"));
  EXPECT_EQ(d.kind, Kind::kRefused);
  EXPECT_EQ(d.why, "MD5 credentials for alice are not accepted");
  EXPECT_EQ(stats_.rejected_auth, 1u);
}

TEST_F(SipAuthTest, AStaleNonceIsChallengedAgainNotRefused) {
  const std::string old =
      Answer(digest_.Challenge(sip::DigestAlgorithm::kSha256), "alice", "secret");
  clock_.AdvanceMs(301'000);
  const AuthDecision d = Invite(old);
  EXPECT_EQ(d.kind, Kind::kChallenged);
  EXPECT_TRUE(d.stale);
  EXPECT_EQ(
      Invite(Answer(digest_.Challenge(sip::DigestAlgorithm::kSha256), "alice", "secret")).kind,
      Kind::kAccepted);
  EXPECT_EQ(stats_.auth_challenges, 1u);
  EXPECT_EQ(stats_.rejected_auth, 0u);
}

TEST_F(SipAuthTest, TrunksNeedNoCredentialsAndNoUsersMeansNobodyElse) {
  EXPECT_EQ(Invite(std::nullopt, "10.1.2.3").kind, Kind::kAccepted);
  config_.users.clear();
  const AuthDecision d = Invite(std::nullopt);
  EXPECT_EQ(d.kind, Kind::kRefused);
  EXPECT_EQ(d.why, "not in a trunk network and no users configured");
  EXPECT_EQ(stats_.auth_challenges, 0u);
  EXPECT_EQ(stats_.rejected_auth, 1u);
}

}  // namespace
}  // namespace tessera::sipua
