// RFC 3550 A.1 source validation: a stray jump or SSRC never moves the window; two packets in
// sequence confirm a sender's restart.
#include <gtest/gtest.h>
#include <tessera/rtp/sequence_probation.h>

#include <vector>

namespace tessera::rtp {
namespace {

using Kind = SequenceProbation::Kind;

RtpPacket Packet(uint32_t ssrc, uint16_t seq) {
  RtpHeader h;
  h.payload_type = 96;
  h.ssrc = ssrc;
  h.sequence_number = seq;
  h.timestamp = seq * 3000u;
  const std::vector<uint8_t> payload = {0x41, static_cast<uint8_t>(seq)};
  return RtpPacket::Build(h, {}, payload);
}

constexpr uint32_t kSsrc = 0xAAAA;

TEST(SequenceProbation, TheFirstPacketStartsTheStreamAndInOrderPacketsFollow) {
  SequenceProbation p;
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 65530)).kind, Kind::kNewStream);
  for (uint16_t seq = 65531; seq != 10; ++seq) {
    EXPECT_EQ(p.OnPacket(Packet(kSsrc, seq)).kind, Kind::kAccept) << seq;  // across the wrap
  }
  // Gaps short of the dropout limit, reordering within the misorder limit and duplicates all
  // belong to the stream.
  EXPECT_EQ(p.max_seq(), 9);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 9 + 2999)).kind, Kind::kAccept);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 9 + 2999 - 99)).kind, Kind::kAccept);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 9 + 2999)).kind, Kind::kAccept);
  EXPECT_EQ(p.max_seq(), 9 + 2999);
  // 100 behind and 3000 ahead are jumps.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 9 + 2999 - 100)).kind, Kind::kProbation);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 9 + 2999 + 3000)).kind, Kind::kProbation);
  ASSERT_TRUE(p.ssrc());
  EXPECT_EQ(*p.ssrc(), kSsrc);
}

TEST(SequenceProbation, OneStrayJumpDoesNotMoveTheWindow) {
  SequenceProbation p;
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 100)).kind, Kind::kNewStream);
  const auto stray = p.OnPacket(Packet(kSsrc, 20100));
  EXPECT_EQ(stray.kind, Kind::kProbation);
  EXPECT_EQ(stray.reason, DropReason::kSequenceJump);
  EXPECT_EQ(p.max_seq(), 100);
  // The real sender goes on where it was.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 101)).kind, Kind::kAccept);
  // The stray's successor now confirms nothing: the next packet after it was another.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 20101)).kind, Kind::kProbation);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 102)).kind, Kind::kAccept);
  // A jump backwards beyond the misorder limit is a jump too.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 1)).kind, Kind::kProbation);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 103)).kind, Kind::kAccept);
  EXPECT_EQ(p.max_seq(), 103);
  EXPECT_EQ(p.jumps(), 0u);
}

TEST(SequenceProbation, ABurstInterleavedWithTheRealStreamNeverConfirms) {
  SequenceProbation p;
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 100)).kind, Kind::kNewStream);
  // 72 spoofed packets 20000 ahead, consecutive among themselves, each followed by a real one.
  uint16_t real = 101;
  for (uint16_t spoof = 20100; spoof < 20172; ++spoof) {
    EXPECT_EQ(p.OnPacket(Packet(kSsrc, spoof)).kind, Kind::kProbation);
    EXPECT_EQ(p.OnPacket(Packet(kSsrc, real++)).kind, Kind::kAccept);
  }
  EXPECT_EQ(p.max_seq(), real - 1);
  EXPECT_EQ(p.jumps(), 0u);
}

TEST(SequenceProbation, TwoConsecutivePacketsConfirmAJump) {
  SequenceProbation p;
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 100)).kind, Kind::kNewStream);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 40000)).kind, Kind::kProbation);
  auto confirmed = p.OnPacket(Packet(kSsrc, 40001));
  ASSERT_EQ(confirmed.kind, Kind::kConfirmed);
  ASSERT_TRUE(confirmed.held);
  EXPECT_EQ(confirmed.held->sequence_number(), 40000);  // handed back: nothing is lost
  EXPECT_EQ(p.max_seq(), 40001);
  EXPECT_EQ(p.jumps(), 1u);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 40002)).kind, Kind::kAccept);
  // The old numbering is now the jump.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 101)).kind, Kind::kProbation);
}

TEST(SequenceProbation, ANewSsrcIsTakenAfterTwoPacketsInSequence) {
  SequenceProbation p;
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 100)).kind, Kind::kNewStream);
  const auto foreign = p.OnPacket(Packet(0xBBBB, 7));
  EXPECT_EQ(foreign.kind, Kind::kProbation);
  EXPECT_EQ(foreign.reason, DropReason::kUnknownSsrc);
  EXPECT_EQ(*p.ssrc(), kSsrc);
  // A lone packet of another SSRC is let go by the stream's next packet.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 101)).kind, Kind::kAccept);
  EXPECT_EQ(p.OnPacket(Packet(0xBBBB, 8)).kind, Kind::kProbation);
  // The sender restarted with a new SSRC (and numbering): its second packet confirms it.
  auto confirmed = p.OnPacket(Packet(0xBBBB, 9));
  ASSERT_EQ(confirmed.kind, Kind::kConfirmed);
  ASSERT_TRUE(confirmed.held);
  EXPECT_EQ(confirmed.held->ssrc(), 0xBBBBu);
  EXPECT_EQ(confirmed.held->sequence_number(), 8);
  EXPECT_EQ(*p.ssrc(), 0xBBBBu);
  EXPECT_EQ(p.ssrc_changes(), 1u);
  EXPECT_EQ(p.OnPacket(Packet(0xBBBB, 10)).kind, Kind::kAccept);
  // The old SSRC is foreign now.
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 102)).kind, Kind::kProbation);
}

TEST(SequenceProbation, PacketsOfRandomSsrcsNeverConfirm) {
  SequenceProbation p;
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 100)).kind, Kind::kNewStream);
  for (uint32_t i = 1; i <= 500; ++i) {
    EXPECT_EQ(p.OnPacket(Packet(kSsrc + i * 7919, static_cast<uint16_t>(i))).kind,
              Kind::kProbation);
  }
  EXPECT_EQ(*p.ssrc(), kSsrc);
  EXPECT_EQ(p.OnPacket(Packet(kSsrc, 101)).kind, Kind::kAccept);
}

}  // namespace
}  // namespace tessera::rtp
