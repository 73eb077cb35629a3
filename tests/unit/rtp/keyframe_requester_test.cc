#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/keyframe_requester.h>

namespace tessera::rtp {
namespace {

using Kind = KeyframeRequest::Kind;

KeyframeRequester::Config MakeConfig(bool pli, bool fir, int pli_attempts_before_fir) {
  KeyframeRequester::Config config;
  config.pli_supported = pli;
  config.fir_supported = fir;
  config.pli_attempts_before_fir = pli_attempts_before_fir;
  return config;
}

TEST(KeyframeRequester, SendsPliFirst) {
  FakeClock clock;
  KeyframeRequester kr(KeyframeRequester::Config{});
  auto r = kr.Request(clock.NowUs());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, Kind::kPli);
  EXPECT_EQ(kr.stats().plis_sent, 1u);
}

TEST(KeyframeRequester, ThrottlesRequestsWithinMinInterval) {
  FakeClock clock;
  KeyframeRequester kr(MakeConfig(true, true, 2));  // min_interval_us 500 ms by default
  ASSERT_TRUE(kr.Request(clock.NowUs()).has_value());
  clock.AdvanceMs(499);
  EXPECT_FALSE(kr.Request(clock.NowUs()).has_value());
  EXPECT_FALSE(kr.Request(clock.NowUs()).has_value());
  clock.AdvanceMs(1);
  EXPECT_TRUE(kr.Request(clock.NowUs()).has_value());
  EXPECT_EQ(kr.stats().throttled, 2u);
  EXPECT_EQ(kr.stats().plis_sent, 2u);
}

TEST(KeyframeRequester, EscalatesToFirAfterUnansweredPlis) {
  FakeClock clock;
  KeyframeRequester kr(MakeConfig(true, true, 2));
  std::vector<Kind> kinds;
  std::vector<uint8_t> fir_seqs;
  for (int i = 0; i < 5; ++i) {
    auto r = kr.Request(clock.NowUs());
    ASSERT_TRUE(r.has_value());
    kinds.push_back(r->kind);
    if (r->kind == Kind::kFir) fir_seqs.push_back(r->fir_seq);
    clock.AdvanceMs(500);
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::kPli, Kind::kPli, Kind::kFir, Kind::kFir, Kind::kFir}));
  EXPECT_EQ(fir_seqs, (std::vector<uint8_t>{0, 1, 2}));
  EXPECT_EQ(kr.stats().firs_sent, 3u);
}

TEST(KeyframeRequester, KeyframeResetsTheEscalation) {
  FakeClock clock;
  KeyframeRequester kr(MakeConfig(true, true, 1));
  EXPECT_EQ(kr.Request(clock.NowUs())->kind, Kind::kPli);
  clock.AdvanceMs(500);
  EXPECT_EQ(kr.Request(clock.NowUs())->kind, Kind::kFir);
  kr.OnKeyframeReceived();
  clock.AdvanceMs(500);
  EXPECT_EQ(kr.Request(clock.NowUs())->kind, Kind::kPli);
  clock.AdvanceMs(500);
  auto fir = kr.Request(clock.NowUs());
  EXPECT_EQ(fir->kind, Kind::kFir);
  EXPECT_EQ(fir->fir_seq, 1);  // a new FIR, not a repeat of the first
}

TEST(KeyframeRequester, UsesFirWhenPliIsNotSupported) {
  KeyframeRequester kr(MakeConfig(false, true, 2));
  auto r = kr.Request(0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, Kind::kFir);
  EXPECT_EQ(r->fir_seq, 0);
}

TEST(KeyframeRequester, NeverEscalatesWhenFirIsNotSupported) {
  KeyframeRequester kr(MakeConfig(true, false, 1));
  for (int64_t t = 0; t < 5'000'000; t += 500'000) EXPECT_EQ(kr.Request(t)->kind, Kind::kPli);
  EXPECT_EQ(kr.stats().firs_sent, 0u);
}

TEST(KeyframeRequester, RequestsNothingWhenNeitherIsSupported) {
  KeyframeRequester kr(MakeConfig(false, false, 2));
  EXPECT_FALSE(kr.Request(0).has_value());
  EXPECT_EQ(kr.stats().unsupported, 1u);
  EXPECT_EQ(kr.stats().throttled, 0u);
}

}  // namespace
}  // namespace tessera::rtp
