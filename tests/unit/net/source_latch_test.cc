// The media source latch: what a plain RTP leg takes, from where, and when it moves.
#include <gtest/gtest.h>
#include <tessera/net/source_latch.h>

namespace tessera::net {
namespace {

using Verdict = SourceLatch::Verdict;

Endpoint At(const char* address, uint16_t port) {
  return Endpoint(boost::asio::ip::make_address(address), port);
}

constexpr uint32_t kSsrc = 0x1111;
constexpr int64_t kMs = 1000;

TEST(SourceLatch, LatchesTheFirstSourceHeardAndDropsEveryOther) {
  SourceLatch latch;
  const Endpoint peer = At("127.0.0.1", 40000);
  EXPECT_EQ(latch.OnRtp(peer, kSsrc, 1, 0), Verdict::kFirst);
  EXPECT_EQ(latch.OnRtp(peer, kSsrc, 2, 20 * kMs), Verdict::kLatched);
  // The victim's SSRC, 20000 ahead, from another address: the spoof of issue 16.
  EXPECT_EQ(latch.OnRtp(At("127.0.0.2", 40000), kSsrc, 20002, 30 * kMs), Verdict::kRejected);
  // Same address, another port: another source too.
  EXPECT_EQ(latch.OnRtp(At("127.0.0.1", 40002), kSsrc, 3, 35 * kMs), Verdict::kRejected);
  EXPECT_EQ(latch.OnRtp(peer, kSsrc, 3, 40 * kMs), Verdict::kLatched);
  ASSERT_TRUE(latch.latched());
  EXPECT_EQ(*latch.latched(), peer);
  EXPECT_EQ(latch.moves(), 0u);
}

TEST(SourceLatch, TheSignalledSourceIsTakenAndTakesTheLatchBack) {
  SourceLatch latch;
  const Endpoint signalled = At("10.0.0.5", 5004);
  latch.SetSignalled(signalled);
  // Someone else was heard first...
  EXPECT_EQ(latch.OnRtp(At("10.0.0.9", 7000), kSsrc, 1, 0), Verdict::kFirst);
  // ...but the source signalling names is taken at once and holds the latch from then on.
  EXPECT_EQ(latch.OnRtp(signalled, kSsrc, 100, 10 * kMs), Verdict::kSignalled);
  EXPECT_EQ(latch.OnRtp(At("10.0.0.9", 7000), kSsrc, 2, 20 * kMs), Verdict::kRejected);
  EXPECT_EQ(latch.OnRtp(signalled, kSsrc, 101, 30 * kMs), Verdict::kLatched);
  EXPECT_EQ(latch.moves(), 1u);
}

TEST(SourceLatch, ACallerBehindNatIsLatchedWhereItsPacketsComeFrom) {
  SourceLatch latch;
  // The SDP names the caller's private address; its packets come from the NAT's public one.
  latch.SetSignalled(At("192.168.1.10", 5004));
  const Endpoint nat = At("203.0.113.5", 61000);
  EXPECT_EQ(latch.OnRtp(nat, kSsrc, 1, 0), Verdict::kFirst);
  for (uint16_t seq = 2; seq < 50; ++seq) {
    EXPECT_EQ(latch.OnRtp(nat, kSsrc, seq, seq * 20 * kMs), Verdict::kLatched);
  }
  EXPECT_EQ(latch.OnRtp(At("198.51.100.7", 61000), kSsrc, 50, 1000 * kMs), Verdict::kRejected);
  // Its RTCP comes from the NAT's address (another port): taken, like RTCP from the SDP's address.
  EXPECT_TRUE(latch.AcceptsRtcpFrom(nat.address()));
  EXPECT_TRUE(latch.AcceptsRtcpFrom(boost::asio::ip::make_address("192.168.1.10")));
  EXPECT_FALSE(latch.AcceptsRtcpFrom(boost::asio::ip::make_address("198.51.100.7")));
}

TEST(SourceLatch, NewSignalledPortsStartTheLatchOver) {
  SourceLatch latch;
  latch.SetSignalled(At("10.0.0.5", 5004));
  const Endpoint old_source = At("203.0.113.5", 61000);
  EXPECT_EQ(latch.OnRtp(old_source, kSsrc, 1, 0), Verdict::kFirst);
  // The same signalling again (a session refresh) changes nothing.
  latch.SetSignalled(At("10.0.0.5", 5004));
  EXPECT_EQ(latch.OnRtp(At("203.0.113.5", 62000), kSsrc, 2, 10 * kMs), Verdict::kRejected);
  // A re-INVITE with new ports: the next source heard latches, at once.
  latch.SetSignalled(At("10.0.0.5", 6004));
  EXPECT_FALSE(latch.latched());
  const Endpoint new_source = At("203.0.113.5", 62000);
  EXPECT_EQ(latch.OnRtp(new_source, kSsrc, 3, 20 * kMs), Verdict::kFirst);
  EXPECT_EQ(latch.OnRtp(old_source, kSsrc, 4, 30 * kMs), Verdict::kRejected);
}

TEST(SourceLatch, HoldStartsTheLatchOverToo) {
  SourceLatch latch;
  latch.SetSignalled(At("10.0.0.5", 5004));
  EXPECT_EQ(latch.OnRtp(At("10.0.0.5", 5004), kSsrc, 1, 0), Verdict::kSignalled);
  latch.SetSignalled(At("0.0.0.0", 5004));
  EXPECT_FALSE(latch.latched());
  // Music on hold from wherever the peer sends it.
  EXPECT_EQ(latch.OnRtp(At("10.0.0.6", 9000), kSsrc, 2, 10 * kMs), Verdict::kFirst);
}

TEST(SourceLatch, MovesOnlyAfterTheOldSourceWentSilentAndTheNewOneSentInSequence) {
  SourceLatch latch;
  const Endpoint old_source = At("203.0.113.5", 61000);
  const Endpoint new_source = At("203.0.113.5", 61010);  // a NAT rebinding
  EXPECT_EQ(latch.OnRtp(old_source, kSsrc, 1, 0), Verdict::kFirst);
  int64_t now = 0;
  uint16_t seq = 2;
  // While the old source sends, the new one never gets in, however long it keeps at it.
  for (int i = 0; i < 200; ++i) {
    now += 10 * kMs;
    EXPECT_EQ(latch.OnRtp(old_source, kSsrc, seq, now), Verdict::kLatched);
    EXPECT_EQ(latch.OnRtp(new_source, kSsrc, static_cast<uint16_t>(seq + 1), now),
              Verdict::kRejected);
    seq = static_cast<uint16_t>(seq + 2);
  }
  // The old source falls silent: the new one still waits out the silence...
  const int64_t last_old = now;
  while (now + 20 * kMs - last_old < 1'500 * kMs) {
    now += 20 * kMs;
    EXPECT_EQ(latch.OnRtp(new_source, kSsrc, seq++, now), Verdict::kRejected) << now - last_old;
  }
  // ...and moves the latch with its next in-sequence packet once it has.
  now += 20 * kMs;
  EXPECT_EQ(latch.OnRtp(new_source, kSsrc, seq++, now), Verdict::kMoved);
  EXPECT_EQ(*latch.latched(), new_source);
  EXPECT_EQ(latch.OnRtp(old_source, kSsrc, 1, now + 10 * kMs), Verdict::kRejected);
  EXPECT_EQ(latch.moves(), 1u);
}

TEST(SourceLatch, AMoveNeedsConsecutivePacketsOfOneSsrc) {
  SourceLatch latch;
  EXPECT_EQ(latch.OnRtp(At("127.0.0.1", 40000), kSsrc, 1, 0), Verdict::kFirst);
  const Endpoint other = At("127.0.0.2", 40000);
  int64_t now = 5'000 * kMs;  // the latched source has long been silent
  // Sequence numbers that do not follow on (random garbage, a spoof) never add up.
  const uint16_t scattered[] = {10, 500, 11, 9000, 12, 13, 40, 41, 42, 43};
  for (uint16_t s : scattered) {
    EXPECT_EQ(latch.OnRtp(other, kSsrc, s, now), Verdict::kRejected);
    now += 10 * kMs;
  }
  // Nor do in-sequence numbers under changing SSRCs.
  for (uint16_t s = 100; s < 110; ++s) {
    EXPECT_EQ(latch.OnRtp(other, kSsrc + s, s, now), Verdict::kRejected);
    now += 10 * kMs;
  }
  // Five in sequence, one SSRC: moved on the fifth.
  for (uint16_t s = 200; s < 204; ++s) {
    EXPECT_EQ(latch.OnRtp(other, kSsrc, s, now), Verdict::kRejected);
    now += 10 * kMs;
  }
  EXPECT_EQ(latch.OnRtp(other, kSsrc, 204, now), Verdict::kMoved);
}

TEST(SourceLatch, ASecondSourceCannotResetTheCandidateWhileItSends) {
  SourceLatch latch;
  EXPECT_EQ(latch.OnRtp(At("127.0.0.1", 40000), kSsrc, 1, 0), Verdict::kFirst);
  const Endpoint rebound = At("127.0.0.1", 40010);
  const Endpoint attacker = At("127.0.0.3", 40000);
  int64_t now = 2'000 * kMs;
  uint16_t seq = 2;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(latch.OnRtp(rebound, kSsrc, seq++, now), Verdict::kRejected);
    EXPECT_EQ(latch.OnRtp(attacker, kSsrc, 30000, now), Verdict::kRejected);
    now += 10 * kMs;
  }
  EXPECT_EQ(latch.OnRtp(rebound, kSsrc, seq++, now), Verdict::kMoved);
  EXPECT_EQ(*latch.latched(), rebound);
}

TEST(SourceLatch, AnAuthenticatedPacketMovesTheLatchAtOnce) {
  SourceLatch latch;
  const Endpoint first = At("127.0.0.1", 40000);
  EXPECT_EQ(latch.OnAuthenticated(first, 0), Verdict::kFirst);
  EXPECT_EQ(latch.OnAuthenticated(first, 10 * kMs), Verdict::kLatched);
  const Endpoint rebound = At("127.0.0.1", 40010);
  EXPECT_EQ(latch.OnAuthenticated(rebound, 20 * kMs), Verdict::kMoved);
  EXPECT_EQ(*latch.latched(), rebound);
  EXPECT_EQ(latch.moves(), 1u);
}

TEST(SourceLatch, RtcpIsTakenFromAnywhereOnlyWhileNoSourceIsKnown) {
  SourceLatch latch;
  const auto a = boost::asio::ip::make_address("127.0.0.1");
  const auto b = boost::asio::ip::make_address("127.0.0.2");
  EXPECT_TRUE(latch.AcceptsRtcpFrom(a));
  EXPECT_TRUE(latch.AcceptsRtcpFrom(b));
  // A signalled address (even without a port) is the only one until media latches.
  latch.SetSignalled(Endpoint(a, 0));
  EXPECT_TRUE(latch.AcceptsRtcpFrom(a));
  EXPECT_FALSE(latch.AcceptsRtcpFrom(b));
  EXPECT_EQ(latch.OnRtp(Endpoint(b, 4000), kSsrc, 1, 0), Verdict::kFirst);
  EXPECT_TRUE(latch.AcceptsRtcpFrom(b));
  EXPECT_TRUE(latch.AcceptsRtcpFrom(a));
  EXPECT_FALSE(latch.AcceptsRtcpFrom(boost::asio::ip::make_address("127.0.0.3")));
  // RTCP never latches: it does not make its source a media source.
  SourceLatch fresh;
  EXPECT_TRUE(fresh.AcceptsRtcpFrom(b));
  EXPECT_FALSE(fresh.latched());
}

}  // namespace
}  // namespace tessera::net
