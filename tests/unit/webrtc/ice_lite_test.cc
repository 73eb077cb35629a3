// The ICE-lite agent: which checks it answers and how, what selects the media address, consent
// freshness with a fake clock, ICE restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/webrtc/ice_lite.h>
#include <tessera/webrtc/stun.h>
#include <tessera/webrtc/stun_writer.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "unit/webrtc/rfc5769_vectors.h"

namespace tessera::webrtc {
namespace {

constexpr int64_t kSecond = 1'000'000;
const IceCredentials kLocal{"LocUfrag", "local-password-0123456789"};
const IceCredentials kRemote{"RemUfrag", "remote-password-0123456789"};

net::Endpoint At(const char* address, uint16_t port) {
  return net::Endpoint(boost::asio::ip::make_address(address), port);
}

// A browser's check as Chrome sends it, to `local` from `remote`.
BindingRequestParams Check(const IceCredentials& local = kLocal,
                           const IceCredentials& remote = kRemote) {
  static uint8_t next_id = 0;
  BindingRequestParams p;
  p.transaction_id.fill(++next_id);
  p.username = local.ufrag + ":" + remote.ufrag;
  p.priority = 0x6e7f1eff;
  p.ice_controlling = 0x1122334455667788;
  p.integrity_key = local.password;
  return p;
}

BindingRequestParams Nomination() {
  BindingRequestParams p = Check();
  p.use_candidate = true;
  return p;
}

class IceLiteAgentTest : public ::testing::Test {
 protected:
  IceLiteAgentTest() : agent_(kLocal, IceLiteOptions{}, clock_.NowUs()) {
    agent_.SetRemoteCredentials(kRemote);
  }

  IceResult Handle(const BindingRequestParams& p, const net::Endpoint& from) {
    return agent_.HandleStun(BuildBindingRequest(p), from, clock_.NowUs());
  }

  // The error code of `result`'s response, checking it is a well-formed answer to `p`.
  int ErrorCode(const IceResult& result, bool with_integrity) {
    auto m = ParseStun(result.response);
    if (!m || !m->error_code || !VerifyFingerprint(*m, result.response)) return 0;
    EXPECT_EQ(VerifyMessageIntegrity(*m, result.response, kLocal.password), with_integrity);
    return m->error_code->code;
  }

  FakeClock clock_;
  IceLiteAgent agent_;
  const net::Endpoint browser_ = At("198.51.100.20", 54321);
};

TEST(GenerateIceCredentials, MakesUfragAndPasswordFromTheIceCharacters) {
  auto a = GenerateIceCredentials();
  auto b = GenerateIceCredentials();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->ufrag.size(), kIceUfragLength);
  EXPECT_EQ(a->password.size(), kIcePasswordLength);
  const auto ice_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  EXPECT_TRUE(std::all_of(a->ufrag.begin(), a->ufrag.end(), ice_char));
  EXPECT_TRUE(std::all_of(a->password.begin(), a->password.end(), ice_char));
  EXPECT_NE(a->password, b->password);
}

TEST_F(IceLiteAgentTest, AnswersAValidCheckWithTheAddressItCameFrom) {
  const BindingRequestParams p = Check();
  IceResult r = Handle(p, browser_);
  EXPECT_TRUE(r.valid());
  EXPECT_FALSE(r.nominated);
  EXPECT_FALSE(r.selected);  // a check without USE-CANDIDATE selects nothing
  auto m = ParseStun(r.response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class, StunClass::kSuccessResponse);
  EXPECT_EQ(m->transaction_id, p.transaction_id);
  EXPECT_EQ(m->xor_mapped_address, browser_);
  EXPECT_TRUE(VerifyMessageIntegrity(*m, r.response, kLocal.password));
  EXPECT_TRUE(VerifyFingerprint(*m, r.response));
  EXPECT_EQ(agent_.counters().received, 1u);
  EXPECT_EQ(agent_.counters().valid, 1u);
}

TEST_F(IceLiteAgentTest, UseCandidateSelectsTheAddress) {
  IceResult r = Handle(Nomination(), browser_);
  EXPECT_TRUE(r.valid());
  EXPECT_TRUE(r.nominated);
  EXPECT_TRUE(r.selection_changed);
  EXPECT_TRUE(r.consent_refreshed);
  EXPECT_EQ(r.selected, browser_);
  EXPECT_EQ(agent_.selected(), browser_);
  EXPECT_EQ(agent_.last_consent_us(), clock_.NowUs());
  EXPECT_FALSE(agent_.ConsentExpired(clock_.NowUs()));
}

TEST_F(IceLiteAgentTest, AWrongPasswordGets401AndSelectsNothing) {
  BindingRequestParams p = Nomination();
  p.integrity_key = "not-the-password";
  IceResult r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kBadIntegrity);
  EXPECT_EQ(ErrorCode(r, /*with_integrity=*/false), 401);
  EXPECT_FALSE(r.selected);
  EXPECT_FALSE(agent_.selected());
  EXPECT_EQ(agent_.counters().valid, 0u);
  EXPECT_EQ(agent_.counters().Dropped(IceDrop::kBadIntegrity), 1u);
}

TEST_F(IceLiteAgentTest, AWrongUsernameGets401) {
  BindingRequestParams p = Check();
  p.username = "SomeoneE:" + kRemote.ufrag;
  EXPECT_EQ(ErrorCode(Handle(p, browser_), false), 401);
  p.username = kLocal.ufrag + ":Stranger";
  IceResult r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kWrongUsername);
  EXPECT_EQ(ErrorCode(r, false), 401);
  p.username = kLocal.ufrag;  // no ':'
  EXPECT_EQ(Handle(p, browser_).drop, IceDrop::kWrongUsername);
  EXPECT_EQ(agent_.counters().Dropped(IceDrop::kWrongUsername), 3u);
}

TEST_F(IceLiteAgentTest, ACheckBeforeTheAnswerIsTakenWithAnyRemoteUfrag) {
  IceLiteAgent early(kLocal, IceLiteOptions{}, clock_.NowUs());
  BindingRequestParams p = Check();
  p.username = kLocal.ufrag + ":NotYetKnown";
  EXPECT_TRUE(early.HandleStun(BuildBindingRequest(p), browser_, clock_.NowUs()).valid());
}

TEST_F(IceLiteAgentTest, WithoutAValidFingerprintNothingIsAnswered) {
  BindingRequestParams p = Nomination();
  p.fingerprint = false;
  IceResult r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kNoFingerprint);
  EXPECT_TRUE(r.response.empty());

  std::vector<uint8_t> raw = BuildBindingRequest(Nomination());
  raw.back() ^= 0xFF;
  r = agent_.HandleStun(raw, browser_, clock_.NowUs());
  EXPECT_EQ(r.drop, IceDrop::kBadFingerprint);
  EXPECT_TRUE(r.response.empty());
  EXPECT_FALSE(agent_.selected());
}

TEST_F(IceLiteAgentTest, MissingCredentialsPriorityOrRoleGet400) {
  BindingRequestParams p = Check();
  p.integrity_key.clear();
  IceResult r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kNoCredentials);
  EXPECT_EQ(ErrorCode(r, false), 400);

  p = Check();
  p.priority.reset();
  r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kNoPriority);
  EXPECT_EQ(ErrorCode(r, /*with_integrity=*/true), 400);

  p = Check();
  p.ice_controlling.reset();
  r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kBadRole);
  EXPECT_EQ(ErrorCode(r, true), 400);
  EXPECT_EQ(agent_.counters().valid, 0u);
}

TEST_F(IceLiteAgentTest, APeerThatIsControlledTooGets487) {
  BindingRequestParams p = Nomination();
  p.ice_controlling.reset();
  p.ice_controlled = 42;
  IceResult r = Handle(p, browser_);
  EXPECT_EQ(r.drop, IceDrop::kRoleConflict);
  EXPECT_EQ(ErrorCode(r, true), 487);
  EXPECT_FALSE(agent_.selected());
}

TEST(IceLiteAgent, AnswersTheRfc5769SampleRequestWith487) {
  // The sample is a check from a controlled agent, to ufrag "evtj" from "h6vY".
  IceLiteAgent agent({"evtj", std::string(testing::kRfc5769Password)}, IceLiteOptions{}, 0);
  agent.SetRemoteCredentials({"h6vY", "unused"});
  IceResult r = agent.HandleStun(testing::kRfc5769Request, At("192.0.2.1", 32853), 0);
  EXPECT_EQ(r.drop, IceDrop::kRoleConflict);
  auto m = ParseStun(r.response);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->error_code);
  EXPECT_EQ(m->error_code->code, 487);
  EXPECT_TRUE(VerifyMessageIntegrity(*m, r.response, testing::kRfc5769Password));
}

TEST_F(IceLiteAgentTest, UnknownRequiredAttributesGet420ListingThem) {
  const BindingRequestParams p = Check();
  StunWriter w(kStunMethodBinding, StunClass::kRequest, p.transaction_id);
  w.AddString(kStunAttrUsername, p.username);
  w.AddU32(kStunAttrPriority, *p.priority);
  w.AddU64(kStunAttrIceControlling, *p.ice_controlling);
  w.AddU32(0x0003, 0);  // CHANGE-REQUEST
  w.AddMessageIntegrity(kLocal.password);
  w.AddFingerprint();
  IceResult r = agent_.HandleStun(w.Finish(), browser_, clock_.NowUs());
  EXPECT_EQ(r.drop, IceDrop::kUnknownAttribute);
  EXPECT_EQ(ErrorCode(r, true), 420);
  auto m = ParseStun(r.response);
  ASSERT_TRUE(m);
  EXPECT_THAT(m->unknown_attributes, ::testing::ElementsAre(0x0003));
}

TEST_F(IceLiteAgentTest, ResponsesIndicationsAndGarbageAreDroppedSilently) {
  const auto response = BuildBindingSuccess(Check().transaction_id, browser_, kLocal.password);
  IceResult r = agent_.HandleStun(response, browser_, clock_.NowUs());
  EXPECT_EQ(r.drop, IceDrop::kNotRequest);
  EXPECT_TRUE(r.response.empty());
  const uint8_t garbage[] = {0x00, 0x01, 0x00, 0x00, 0xde, 0xad};
  r = agent_.HandleStun(garbage, browser_, clock_.NowUs());
  EXPECT_EQ(r.drop, IceDrop::kMalformed);
  EXPECT_TRUE(r.response.empty());
  EXPECT_EQ(agent_.counters().received, 2u);
}

TEST_F(IceLiteAgentTest, OnlyAValidNominationFromElsewhereMovesTheSelection) {
  ASSERT_TRUE(Handle(Nomination(), browser_).selection_changed);
  const net::Endpoint rebound = At("198.51.100.20", 60000);  // the NAT gave it a new port
  // A check without USE-CANDIDATE is answered but moves nothing.
  IceResult r = Handle(Check(), rebound);
  EXPECT_TRUE(r.valid());
  EXPECT_FALSE(r.selection_changed);
  EXPECT_FALSE(r.consent_refreshed);
  EXPECT_EQ(r.selected, browser_);
  // A forged nomination moves nothing either.
  BindingRequestParams forged = Nomination();
  forged.integrity_key = "guess";
  EXPECT_EQ(Handle(forged, At("203.0.113.66", 4444)).selected, browser_);
  // A valid one does.
  r = Handle(Nomination(), rebound);
  EXPECT_TRUE(r.selection_changed);
  EXPECT_EQ(agent_.selected(), rebound);
  EXPECT_EQ(agent_.counters().selection_changes, 2u);
}

TEST_F(IceLiteAgentTest, ConsentExpiresAfter30SecondsOfSilence) {
  ASSERT_TRUE(Handle(Nomination(), browser_).valid());
  for (int i = 0; i < 6; ++i) {  // a check every 5 s keeps it
    clock_.AdvanceMs(5000);
    EXPECT_TRUE(Handle(Check(), browser_).consent_refreshed);
    EXPECT_FALSE(agent_.ConsentExpired(clock_.NowUs()));
  }
  const int64_t last = clock_.NowUs();
  // Checks from another address and failed ones do not renew it.
  clock_.AdvanceMs(10'000);
  EXPECT_FALSE(Handle(Check(), At("203.0.113.9", 1000)).consent_refreshed);
  BindingRequestParams forged = Check();
  forged.integrity_key = "guess";
  (void)Handle(forged, browser_);
  EXPECT_EQ(agent_.last_consent_us(), last);
  clock_.AdvanceUs(20 * kSecond - 1);
  EXPECT_FALSE(agent_.ConsentExpired(clock_.NowUs()));
  clock_.AdvanceUs(1);
  EXPECT_TRUE(agent_.ConsentExpired(clock_.NowUs()));
}

TEST_F(IceLiteAgentTest, AnAgentNobodyNominatesExpiresToo) {
  IceLiteOptions options;
  options.initial_timeout_us = 10 * kSecond;
  IceLiteAgent agent(kLocal, options, clock_.NowUs());
  clock_.AdvanceUs(10 * kSecond - 1);
  EXPECT_FALSE(agent.ConsentExpired(clock_.NowUs()));
  EXPECT_FALSE(agent.last_consent_us());
  clock_.AdvanceUs(1);
  EXPECT_TRUE(agent.ConsentExpired(clock_.NowUs()));
}

TEST_F(IceLiteAgentTest, IceRestartInvalidatesTheOldCredentials) {
  ASSERT_TRUE(Handle(Nomination(), browser_).valid());
  const IceCredentials new_remote{"NewRemot", "new-remote-password-01234"};
  ASSERT_TRUE(agent_.Restart(new_remote, clock_.NowUs()).ok());
  const IceCredentials fresh = agent_.local();
  EXPECT_NE(fresh.ufrag, kLocal.ufrag);
  EXPECT_NE(fresh.password, kLocal.password);
  EXPECT_EQ(agent_.remote().ufrag, new_remote.ufrag);

  // The old credentials: 401.
  IceResult r = Handle(Nomination(), browser_);
  EXPECT_EQ(r.drop, IceDrop::kWrongUsername);
  EXPECT_EQ(ErrorCode(r, false), 401);
  // The new ufrag with the old password: 401 too.
  BindingRequestParams p = Check(fresh, new_remote);
  p.integrity_key = kLocal.password;
  EXPECT_EQ(Handle(p, browser_).drop, IceDrop::kBadIntegrity);
  // Media still goes where it went, and the new credentials work.
  EXPECT_EQ(agent_.selected(), browser_);
  p = Check(fresh, new_remote);
  p.use_candidate = true;
  r = Handle(p, browser_);
  EXPECT_TRUE(r.valid());
  EXPECT_TRUE(r.consent_refreshed);
  auto m = ParseStun(r.response);
  ASSERT_TRUE(m);
  EXPECT_TRUE(VerifyMessageIntegrity(*m, r.response, fresh.password));
}

TEST(IceLiteAgent, UsernameLocalUfragIsThePartBeforeTheColon) {
  StunMessage m;
  EXPECT_FALSE(IceLiteAgent::UsernameLocalUfrag(m));
  m.username = "abcd:efgh";
  EXPECT_EQ(IceLiteAgent::UsernameLocalUfrag(m), "abcd");
  m.username = "abcd";
  EXPECT_FALSE(IceLiteAgent::UsernameLocalUfrag(m));
  m.username = ":efgh";
  EXPECT_FALSE(IceLiteAgent::UsernameLocalUfrag(m));
}

TEST(IceLiteAgent, DropReasonsHaveStableNames) {
  EXPECT_STREQ(IceDropName(IceDrop::kNone), "ok");
  EXPECT_STREQ(IceDropName(IceDrop::kBadIntegrity), "bad_integrity");
  EXPECT_STREQ(IceDropName(IceDrop::kRoleConflict), "role_conflict");
  for (size_t i = 0; i < kIceDropCount; ++i) {
    EXPECT_STRNE(IceDropName(static_cast<IceDrop>(i)), "unknown") << i;
  }
}

TEST_F(IceLiteAgentTest, TruncatedAndMutatedChecksNeverCrash) {
  const std::vector<uint8_t> valid = BuildBindingRequest(Nomination());
  for (size_t n = 0; n < valid.size(); ++n) {
    IceResult r = agent_.HandleStun({valid.data(), n}, browser_, clock_.NowUs());
    EXPECT_FALSE(r.valid()) << n;
  }
  std::mt19937 rng(8445);
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> data = valid;
    data[rng() % data.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    (void)agent_.HandleStun(data, At("203.0.113.1", 9), clock_.NowUs());
  }
  EXPECT_FALSE(agent_.selected());
}

}  // namespace
}  // namespace tessera::webrtc
