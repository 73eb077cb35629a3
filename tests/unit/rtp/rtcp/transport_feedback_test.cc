#include <gtest/gtest.h>
#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/rtcp_common.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtcp/transport_feedback.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

namespace tessera::rtp {
namespace {

using Arrivals = std::vector<std::optional<int64_t>>;

// Hand-encoded from the draft's 3.1: 24 packets from sequence 65534 (so across the wrap), all
// three chunk kinds, small and large (negative) deltas, reference time -2 (-128 ms).
const std::vector<uint8_t> kFeedback = {
    0x8F, 205,  0x00, 0x09,  // FMT=15, PT=205, length 9
    0x01, 0x02, 0x03, 0x04,  // sender SSRC
    0x05, 0x06, 0x07, 0x08,  // media SSRC
    0xFF, 0xFE, 0x00, 0x18,  // base sequence 65534, status count 24
    0xFF, 0xFF, 0xFE, 0x2A,  // reference time -2, feedback count 42
    0x20, 0x03,              // run-length: small delta x3
    0xE1, 0x25,              // 2-bit vector: large, -, small, -, large, small, small
    0xAC, 0x01,              // 1-bit vector: 1 0 1 1 0 0 0 0 0 0 0 0 0 1
    0x04, 0x00, 0xFF,        // small deltas: 4, 0, 255 ticks
    0xFF, 0x38,              // large delta: -200 ticks
    0x10,                    // small delta: 16 ticks
    0x13, 0x88,              // large delta: 5000 ticks
    0x01, 0x02, 0x03, 0x04,  // small deltas
    0x05, 0x80,              //
};

const Arrivals kFeedbackArrivals = {
    -127'000,     -127'000,     -63'250,      -113'250,     std::nullopt, -109'250,
    std::nullopt, 1'140'750,    1'141'000,    1'141'500,    1'142'250,    std::nullopt,
    1'143'250,    1'144'500,    std::nullopt, std::nullopt, std::nullopt, std::nullopt,
    std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 1'176'500,
};

// A browser's feedback as a capture shows it (Wireshark's dissection in the comments): RTCP
// padding (P bit), run-length chunk, nine small deltas.
const std::vector<uint8_t> kCapturedFeedback = {
    0xAF, 0xCD, 0x00, 0x07,  // P, FMT=15, PT=205, length 7
    0x00, 0x00, 0x00, 0x01,  // sender SSRC 1
    0xDD, 0x58, 0x6E, 0xB6,  // media SSRC 0xdd586eb6
    0x00, 0x01, 0x00, 0x09,  // base sequence 1, status count 9
    0x5E, 0x91, 0x10, 0x00,  // reference time 6197520, feedback count 0
    0x20, 0x09,              // run-length: small delta x9
    0x1C, 0x0C, 0x2C, 0x38,  // 7, 3, 11, 14 ms
    0x00, 0x04, 0x00, 0x08,  // 0, 1, 0, 2 ms
    0x18, 0x01,              // 6 ms; one octet of RTCP padding
};

// A packet with the given FCI (after both SSRCs), padded with RTCP padding when unaligned, so
// the FCI ends exactly where given.
std::vector<uint8_t> WithFci(const std::vector<uint8_t>& fci) {
  std::vector<uint8_t> out;
  const size_t start = BeginRtcpPacket(out, kTransportFeedbackFmt, RtcpPacketType::kRtpFeedback);
  out.insert(out.end(), {0, 0, 0, 1, 0, 0, 0, 2});
  out.insert(out.end(), fci.begin(), fci.end());
  FinishRtcpPacket(out, start);
  return out;
}

std::vector<uint8_t> Fci(const std::vector<uint8_t>& packet) {
  return std::vector<uint8_t>(packet.begin() + 12, packet.end());
}

TransportFeedback Make(Arrivals arrivals, int32_t reference_time = 100, uint16_t base = 1000) {
  TransportFeedback fb;
  fb.sender_ssrc = 0x11111111;
  fb.media_ssrc = 0x22222222;
  fb.base_sequence = base;
  fb.reference_time = reference_time;
  fb.feedback_count = 9;
  fb.arrivals_us = std::move(arrivals);
  return fb;
}

std::vector<uint8_t> Serialized(const TransportFeedback& fb) {
  std::vector<uint8_t> out;
  fb.Serialize(out);
  return out;
}

// The first n packet status chunks of a serialized packet.
std::vector<uint16_t> Chunks(const std::vector<uint8_t>& packet, size_t n) {
  std::vector<uint16_t> chunks;
  for (size_t i = 0; i < n; ++i) chunks.push_back(ReadBe16(&packet[20 + 2 * i]));
  return chunks;
}

void ExpectRoundTrip(const TransportFeedback& fb) {
  ASSERT_TRUE(fb.CanSerialize());
  const auto bytes = Serialized(fb);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.size() % 4, 0u);
  EXPECT_EQ(bytes[0] & 0x20, 0) << "zero padding, not RTCP padding";
  auto parsed = TransportFeedback::Parse(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, fb);
}

// Received every `step` us from the reference time on.
Arrivals Regular(size_t n, int64_t start, int64_t step) {
  Arrivals a;
  for (size_t i = 0; i < n; ++i) a.push_back(start + static_cast<int64_t>(i) * step);
  return a;
}

TEST(TransportFeedback, ParsesKnownBytes) {
  auto fb = TransportFeedback::Parse(kFeedback);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->sender_ssrc, 0x01020304u);
  EXPECT_EQ(fb->media_ssrc, 0x05060708u);
  EXPECT_EQ(fb->base_sequence, 65534);
  EXPECT_EQ(fb->reference_time, -2);
  EXPECT_EQ(fb->feedback_count, 42);
  EXPECT_EQ(fb->arrivals_us, kFeedbackArrivals);
  // The encoder picks its own chunks, but the values survive.
  ExpectRoundTrip(*fb);
}

TEST(TransportFeedback, ParsesCapturedPacket) {
  auto fb = TransportFeedback::Parse(kCapturedFeedback);
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->sender_ssrc, 1u);
  EXPECT_EQ(fb->media_ssrc, 0xDD586EB6u);
  EXPECT_EQ(fb->base_sequence, 1);
  EXPECT_EQ(fb->reference_time, 6197520);
  EXPECT_EQ(fb->feedback_count, 0);
  const int64_t t0 = int64_t{6197520} * 64000;
  Arrivals want;
  int64_t t = t0;
  for (int ms : {7, 3, 11, 14, 0, 1, 0, 2, 6}) want.push_back(t += ms * 1000);
  EXPECT_EQ(fb->arrivals_us, want);
  ExpectRoundTrip(*fb);
}

TEST(TransportFeedback, SerializesToKnownBytes) {
  // 1 tick, lost, +300 ticks (large), -1 tick (large), 0 ticks.
  const auto fb = Make({64'250, std::nullopt, 139'250, 139'000, 139'000}, 1, 100);
  const std::vector<uint8_t> want = {
      0x8F, 205,  0x00, 0x06,  // FMT=15, PT=205, length 6
      0x11, 0x11, 0x11, 0x11,  //
      0x22, 0x22, 0x22, 0x22,  //
      0x00, 0x64, 0x00, 0x05,  // base sequence 100, status count 5
      0x00, 0x00, 0x01, 0x09,  // reference time 1, feedback count 9
      0xD2, 0x90,              // 2-bit vector: small, -, large, large, small
      0x01,                    // 1 tick
      0x01, 0x2C,              // 300 ticks
      0xFF, 0xFF,              // -1 tick
      0x00,                    // 0 ticks
  };
  EXPECT_EQ(Serialized(fb), want);
}

TEST(TransportFeedback, PadsWithZerosAndAcceptsEitherPadding) {
  const auto fb = Make({64'750}, 1, 100);
  const std::vector<uint8_t> want = {
      0x8F, 205,  0x00, 0x05, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22,
      0x22, 0x22, 0x00, 0x64, 0x00, 0x01, 0x00, 0x00, 0x01, 0x09,  //
      0xA0, 0x00,                                                  // 1-bit vector: small
      0x03, 0x00,                                                  // 3 ticks, zero padding
  };
  const auto bytes = Serialized(fb);
  EXPECT_EQ(bytes, want);
  // The same with RTCP padding instead.
  auto p_bit = bytes;
  p_bit[0] |= 0x20;
  p_bit.back() = 0x01;
  auto parsed = TransportFeedback::Parse(p_bit);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, fb);
  // A whole extra word of zeros is padding as well.
  auto zeros = bytes;
  zeros[3] = 0x06;
  zeros.insert(zeros.end(), {0, 0, 0, 0});
  parsed = TransportFeedback::Parse(zeros);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, fb);
  // Trailing bytes that are not zero are not.
  auto garbage = bytes;
  garbage.back() = 0x01;
  EXPECT_FALSE(TransportFeedback::Parse(garbage));
}

TEST(TransportFeedback, RoundTripsRunLengthChunks) {
  // 100 small deltas: one run.
  auto fb = Make(Regular(100, 6'400'000, 1000));
  auto bytes = Serialized(fb);
  EXPECT_EQ(Chunks(bytes, 1), (std::vector<uint16_t>{0x2064}));
  ExpectRoundTrip(fb);
  // Seven large deltas then a mix: a run, then a 2-bit vector.
  Arrivals a;
  int64_t t = 6'400'000;
  for (int i = 0; i < 7; ++i) a.push_back(t += 100'000);
  a.insert(a.end(), {t += 250, std::nullopt, t += 500'000});
  fb = Make(a);
  bytes = Serialized(fb);
  EXPECT_EQ(Chunks(bytes, 2), (std::vector<uint16_t>{0x4007, 0xD200}));
  ExpectRoundTrip(fb);
  // Runs longer than a chunk holds (8191) are split.
  a = {6'400'000};
  a.resize(20'000);
  a.push_back(6'500'000);
  fb = Make(a);
  bytes = Serialized(fb);
  // 1-bit vector (the first 14), runs of 8191, 8191 and 3604 lost, 2-bit vector (a large delta).
  EXPECT_EQ(Chunks(bytes, 5), (std::vector<uint16_t>{0xA000, 0x1FFF, 0x1FFF, 0x0E14, 0xE000}));
  ExpectRoundTrip(fb);
}

TEST(TransportFeedback, RoundTripsOneBitVectors) {
  // Every other packet lost: 1-bit vectors of 14.
  Arrivals a;
  for (int i = 0; i < 30; ++i) {
    a.push_back(i % 2 == 0 ? std::optional<int64_t>(6'400'000 + i * 5000) : std::nullopt);
  }
  const auto fb = Make(a);
  const auto bytes = Serialized(fb);
  EXPECT_EQ(Chunks(bytes, 3), (std::vector<uint16_t>{0xAAAA, 0xAAAA, 0xA000}));
  ExpectRoundTrip(fb);
}

TEST(TransportFeedback, RoundTripsTwoBitVectorsAndMixes) {
  // small, large (negative), lost, small, large, lost, small.
  const auto fb =
      Make({6'400'250, 6'400'000, std::nullopt, 6'401'000, 6'500'000, std::nullopt, 6'500'500});
  const auto bytes = Serialized(fb);
  EXPECT_EQ(Chunks(bytes, 1), (std::vector<uint16_t>{0xD861}));
  ExpectRoundTrip(fb);

  // A long mix of everything, with runs between.
  Arrivals a;
  int64_t t = 6'400'000;
  for (int i = 0; i < 2000; ++i) {
    const int kind = (i * 7 + i / 13) % 11;
    if (i > 0 && (kind == 0 || (i / 100) % 3 == 1)) {
      a.push_back(std::nullopt);
    } else if (kind == 1) {
      a.push_back(t -= 750);
    } else if (kind == 2) {
      a.push_back(t += 100'000);
    } else {
      a.push_back(t += 250 * kind);
    }
  }
  ExpectRoundTrip(Make(a));
}

TEST(TransportFeedback, RoundsDeltasWithoutDrift) {
  // 4.4 ticks apart: rounding each delta on its own would lose 100 us a packet.
  const auto fb = Make(Regular(5000, 6'400'000, 1100));
  auto parsed = TransportFeedback::Parse(Serialized(fb));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->arrivals_us.size(), fb.arrivals_us.size());
  for (size_t i = 0; i < fb.arrivals_us.size(); ++i) {
    EXPECT_LE(std::llabs(*parsed->arrivals_us[i] - *fb.arrivals_us[i]), 125) << i;
  }
  // Irregular times, negative steps and gaps included.
  Arrivals a;
  int64_t t = -64'000;
  for (int i = 0; i < 3000; ++i) {
    t += (i * 7919) % 3001 - 700;
    a.push_back(i % 17 == 5 ? std::nullopt : std::optional<int64_t>(t));
  }
  const auto irregular = Make(a, -1);
  parsed = TransportFeedback::Parse(Serialized(irregular));
  ASSERT_TRUE(parsed);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(parsed->arrivals_us[i].has_value(), a[i].has_value()) << i;
    if (a[i]) {
      EXPECT_LE(std::llabs(*parsed->arrivals_us[i] - *a[i]), 125) << i;
    }
  }
  // A half tick rounds up.
  parsed = TransportFeedback::Parse(Serialized(Make({6'400'125, 6'400'250}, 100)));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->arrivals_us, (Arrivals{6'400'250, 6'400'250}));
}

TEST(TransportFeedback, NegativeAndLargeDeltas) {
  const int64_t t0 = 6'400'000;
  // The extremes of a signed 16-bit tick count.
  auto fb = Make({t0 + 32767 * 250, t0 + 32767 * 250 - 32768 * 250, t0 - 1000});
  ExpectRoundTrip(fb);
  // Reference time 0, first delta negative.
  ExpectRoundTrip(Make({-250, 0, 255 * 250, 255 * 250 + 256 * 250}, 0));
  // Rounding reaches 32767 ticks but not 32768.
  EXPECT_TRUE(Make({t0 + 32767 * 250 + 124}).CanSerialize());
  EXPECT_FALSE(Make({t0 + 32767 * 250 + 125}).CanSerialize());
  EXPECT_TRUE(Make({t0 - 32768 * 250 - 125}).CanSerialize());
  EXPECT_FALSE(Make({t0 - 32768 * 250 - 126}).CanSerialize());
  // Between received packets, not from the reference: the lost one in between does not count.
  EXPECT_FALSE(Make({t0, std::nullopt, t0 + 32768 * 250}).CanSerialize());
  // Nothing is appended for what cannot be serialized.
  EXPECT_TRUE(Serialized(Make({t0, t0 + 10'000'000})).empty());
  // Far out of range either way, without overflow.
  EXPECT_FALSE(Make({INT64_MAX}).CanSerialize());
  EXPECT_FALSE(Make({t0, INT64_MIN}).CanSerialize());
}

TEST(TransportFeedback, NotReceivedGaps) {
  Arrivals a = {6'400'000};
  a.resize(50);  // 49 lost
  a.push_back(6'410'000);
  a.push_back(std::nullopt);
  a.push_back(6'420'000);
  a.resize(60);
  ExpectRoundTrip(Make(a));
  // A feedback may start with lost packets (it starts where the last one ended), even be all
  // losses; it may not be empty.
  ExpectRoundTrip(Make({std::nullopt, 6'400'000}));
  EXPECT_FALSE(Make({}).CanSerialize());
  auto parsed = TransportFeedback::Parse(WithFci({0, 1, 0, 2, 0, 0, 0, 0, 0x80, 0x00}));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->arrivals_us, (Arrivals{std::nullopt, std::nullopt}));
  ExpectRoundTrip(*parsed);
}

TEST(TransportFeedback, CanSerializeLimits) {
  Arrivals a(65535, 6'400'000);
  EXPECT_TRUE(Make(a).CanSerialize());
  ExpectRoundTrip(Make(a));
  a.push_back(6'400'000);
  EXPECT_FALSE(Make(a).CanSerialize());
  // The reference time has 24 bits.
  EXPECT_TRUE(Make({int64_t{(1 << 23) - 1} * 64000}, (1 << 23) - 1).CanSerialize());
  EXPECT_TRUE(Make({int64_t{-(1 << 23)} * 64000}, -(1 << 23)).CanSerialize());
  EXPECT_FALSE(Make({int64_t{1 << 23} * 64000}, 1 << 23).CanSerialize());
  EXPECT_FALSE(Make({int64_t{-(1 << 23) - 1} * 64000}, -(1 << 23) - 1).CanSerialize());
  ExpectRoundTrip(Make({int64_t{-(1 << 23)} * 64000 + 250}, -(1 << 23)));
}

TEST(TransportFeedback, SequenceWrap) {
  const auto fb = Make(Regular(20, 6'400'000, 2000), 100, 65530);
  const auto bytes = Serialized(fb);
  EXPECT_EQ(bytes[12], 0xFF);
  EXPECT_EQ(bytes[13], 0xFA);
  ExpectRoundTrip(fb);
}

TEST(TransportFeedback, RejectsEveryTruncation) {
  for (const auto* packet : {&kFeedback, &kCapturedFeedback}) {
    // Cut anywhere: the length field no longer matches.
    for (size_t n = 0; n < packet->size(); ++n) {
      EXPECT_FALSE(TransportFeedback::Parse(std::span(*packet).first(n))) << n;
    }
    // The FCI cut anywhere in a well-formed packet (RTCP padding to the word boundary).
    auto parsed = TransportFeedback::Parse(*packet);
    ASSERT_TRUE(parsed);
    const auto full = Fci(Serialized(*parsed));
    for (size_t n = 0; n < full.size(); ++n) {
      auto fci = std::vector<uint8_t>(full.begin(), full.begin() + n);
      // Zero padding past the deltas is fine; cutting into them is not.
      if (std::all_of(full.begin() + n, full.end(), [](uint8_t b) { return b == 0; })) continue;
      EXPECT_FALSE(TransportFeedback::Parse(WithFci(fci))) << n;
    }
  }
  // The original chunk layout, cut anywhere.
  const auto original = Fci(kFeedback);
  for (size_t n = 0; n < original.size(); ++n) {
    auto fci = std::vector<uint8_t>(original.begin(), original.begin() + n);
    EXPECT_FALSE(TransportFeedback::Parse(WithFci(fci))) << n;
  }
}

TEST(TransportFeedback, RejectsMalformedPackets) {
  // The known packet's FCI with one change.
  auto with = [](size_t offset, uint8_t value) {
    auto fci = Fci(kFeedback);
    fci[offset] = value;
    return WithFci(fci);
  };
  ASSERT_TRUE(TransportFeedback::Parse(with(0, 0xFF)));
  EXPECT_FALSE(TransportFeedback::Parse(with(3, 0x00)));   // status count 0
  EXPECT_FALSE(TransportFeedback::Parse(with(2, 0x01)));   // status count 280: chunks run out
  EXPECT_FALSE(TransportFeedback::Parse(with(3, 0x19)));   // 25: chunks run into the deltas
  EXPECT_FALSE(TransportFeedback::Parse(with(8, 0x60)));   // run-length chunk of symbol 11
  EXPECT_FALSE(TransportFeedback::Parse(with(11, 0x27)));  // 2-bit vector with symbol 11
  EXPECT_FALSE(TransportFeedback::Parse(with(9, 0x05)));   // run of 5: deltas run past the end
  // Wrong FMT or PT.
  auto fmt = kFeedback;
  fmt[0] = 0x81;
  EXPECT_FALSE(TransportFeedback::Parse(fmt));
  auto pt = kFeedback;
  pt[1] = 206;
  EXPECT_FALSE(TransportFeedback::Parse(pt));
  // Shorter than the fixed fields.
  EXPECT_FALSE(TransportFeedback::Parse(WithFci({0, 1, 0, 1, 0, 0, 0})));
  // A huge status count with a short packet fails at once.
  EXPECT_FALSE(TransportFeedback::Parse(WithFci({0, 1, 0xFF, 0xFF, 0, 0, 0, 0, 0x20, 0x0D, 1})));
}

TEST(TransportFeedback, AcceptsWhatTheDraftAllows) {
  // A chunk may cover more symbols than remain; the rest are ignored, reserved ones included.
  auto fb = TransportFeedback::Parse(WithFci({0, 1, 0, 1, 0, 0, 0, 0, 0xDF, 0xFF, 0x04}));
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->arrivals_us, (Arrivals{1000}));
  // The longest status count, from a few bytes: a small delta, then runs of lost packets.
  std::vector<uint8_t> fci = {0, 1, 0xFF, 0xFF, 0, 0, 0, 0, 0x20, 0x01};
  for (int i = 0; i < 8; ++i) fci.insert(fci.end(), {0x1F, 0xFF});
  fci.insert(fci.end(), {0x00, 0x06, 0x04});
  fb = TransportFeedback::Parse(WithFci(fci));
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->arrivals_us.size(), 65535u);
  EXPECT_EQ(fb->arrivals_us.front(), 1000);
  EXPECT_FALSE(fb->arrivals_us.back());
  ExpectRoundTrip(*fb);
  // Empty runs cover nothing but are not an error.
  fb = TransportFeedback::Parse(WithFci({0, 1, 0, 1, 0, 0, 0, 0, 0x00, 0x00, 0x20, 0x01, 0x04}));
  ASSERT_TRUE(fb);
  EXPECT_EQ(fb->arrivals_us, (Arrivals{1000}));
}

TEST(TransportFeedback, InACompound) {
  const auto fb = Make({6'400'000, std::nullopt, 6'401'000, 6'300'000});
  const std::vector<RtcpMessage> messages = {
      ReceiverReport{7, {}},
      fb,
      Remb{7, 0, 1'500'000, {1}},
      Make({}),  // cannot be serialized: left out
      Pli{7, 1},
  };
  const auto bytes = SerializeRtcpCompound(messages);
  auto parsed = ParseRtcpCompound(bytes);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_TRUE(std::holds_alternative<ReceiverReport>((*parsed)[0]));
  EXPECT_EQ(std::get<TransportFeedback>((*parsed)[1]), fb);
  EXPECT_TRUE(std::holds_alternative<Remb>((*parsed)[2]));
  EXPECT_TRUE(std::holds_alternative<Pli>((*parsed)[3]));
  EXPECT_EQ(SerializeRtcpCompound(*parsed), bytes);

  // The known packets decode inside a compound as well; a malformed one becomes RtcpUnknown.
  std::vector<uint8_t> compound = kFeedback;
  auto reserved = kFeedback;
  reserved[20] = 0x60;  // run-length chunk of symbol 11
  compound.insert(compound.end(), reserved.begin(), reserved.end());
  compound.insert(compound.end(), kCapturedFeedback.begin(), kCapturedFeedback.end());
  parsed = ParseRtcpCompound(compound);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ(std::get<TransportFeedback>((*parsed)[0]).arrivals_us, kFeedbackArrivals);
  const auto& unknown = std::get<RtcpUnknown>((*parsed)[1]);
  EXPECT_EQ(unknown.pt, 205);
  EXPECT_EQ(unknown.fmt, kTransportFeedbackFmt);
  EXPECT_EQ(std::get<TransportFeedback>((*parsed)[2]).reference_time, 6197520);
}

}  // namespace
}  // namespace tessera::rtp
