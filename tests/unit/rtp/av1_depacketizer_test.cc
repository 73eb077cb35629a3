#include "rtp/av1_depacketizer.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

#include "rtp/av1_packetizer.h"
#include "unit/rtp/av1_test_data.h"

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::kAv1Interframe64x48;
using testing::kAv1Keyframe64x48;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A temporal unit without its temporal delimiter: what AssembleFrame gives back.
Bytes WithoutDelimiter(const Bytes& tu) { return Bytes(tu.begin() + 2, tu.end()); }

// The keyframe's OBUs as RTP elements: the header without obu_has_size_field, then the payload.
const Bytes kSequenceHeaderElement =
    Cat({{0x08}, Bytes(kAv1Keyframe64x48.begin() + 4, kAv1Keyframe64x48.begin() + 14)});
const Bytes kFrameElement =
    Cat({{0x30}, Bytes(kAv1Keyframe64x48.begin() + 16, kAv1Keyframe64x48.end())});

std::vector<DepacketizedPayload> ParseAll(const std::vector<Bytes>& payloads) {
  std::vector<DepacketizedPayload> out;
  Av1Depacketizer d;
  for (const Bytes& p : payloads) {
    auto parsed = d.Parse(p);
    EXPECT_TRUE(parsed);
    if (parsed) out.push_back(std::move(*parsed));
  }
  return out;
}

Bytes Assemble(const std::vector<DepacketizedPayload>& parts) {
  std::vector<const DepacketizedPayload*> pointers;
  for (const auto& p : parts) pointers.push_back(&p);
  return AssembleFrame(Codec::kAv1, pointers);
}

TEST(Av1AggregationHeader, Bits) {
  const Av1AggregationHeader h = ParseAv1AggregationHeader(0xf8);
  EXPECT_TRUE(h.continues_previous);
  EXPECT_TRUE(h.continues_next);
  EXPECT_EQ(h.element_count, 3);
  EXPECT_TRUE(h.new_coded_video_sequence);
  EXPECT_EQ(ParseAv1AggregationHeader(0x10).element_count, 1);
  EXPECT_FALSE(ParseAv1AggregationHeader(0x10).new_coded_video_sequence);
}

TEST(Av1Depacketizer, KeyframeWithSequenceHeaderInEveryElementForm) {
  // W = 0 (every element with a length), W = 2 (the last without), N set.
  const Bytes w0 = Cat({{0x08, static_cast<uint8_t>(kSequenceHeaderElement.size())},
                        kSequenceHeaderElement,
                        {static_cast<uint8_t>(kFrameElement.size())},
                        kFrameElement});
  const Bytes w2 = Cat({{0x28, static_cast<uint8_t>(kSequenceHeaderElement.size())},
                        kSequenceHeaderElement,
                        kFrameElement});
  for (const Bytes& payload : {w0, w2}) {
    auto out = Av1Depacketizer().Parse(payload);
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->frame_start);
    EXPECT_TRUE(out->keyframe);
    EXPECT_EQ(out->width, 64);
    EXPECT_EQ(out->height, 48);
    EXPECT_FALSE(out->obu_continues_previous);
    EXPECT_FALSE(out->obu_continues_next);
    EXPECT_EQ(out->data, Cat({{static_cast<uint8_t>(kSequenceHeaderElement.size())},
                              kSequenceHeaderElement,
                              {static_cast<uint8_t>(kFrameElement.size())},
                              kFrameElement}));
    const DepacketizedPayload* parts[] = {&*out};
    EXPECT_EQ(AssembleFrame(Codec::kAv1, parts), WithoutDelimiter(kAv1Keyframe64x48));
  }
}

TEST(Av1Depacketizer, KeyframeNeedsNAndASequenceHeader) {
  // A sequence header without N: its size is read, but the frame is no restart point.
  auto no_n = Av1Depacketizer().Parse(Cat({{0x10}, kSequenceHeaderElement}));
  ASSERT_TRUE(no_n);
  EXPECT_FALSE(no_n->keyframe);
  EXPECT_EQ(no_n->width, 64);
  // N on a packet with only a frame.
  auto no_header = Av1Depacketizer().Parse(Cat({{0x18}, kFrameElement}));
  ASSERT_TRUE(no_header);
  EXPECT_FALSE(no_header->keyframe);
  EXPECT_TRUE(no_header->frame_start);
}

TEST(Av1Depacketizer, FrameStartIsTheFirstElementOfATemporalUnit) {
  Av1Depacketizer d;
  // A tile group begins no temporal unit; neither does a spatial layer 1 frame; a continuation
  // begins nothing, even when its bytes look like a sequence header.
  EXPECT_FALSE(d.Parse(Bytes{0x10, 0x20, 0x01})->frame_start);
  EXPECT_FALSE(d.Parse(Bytes{0x10, 0x34, 0x08, 0x01})->frame_start);
  EXPECT_TRUE(d.Parse(Bytes{0x10, 0x34, 0x00, 0x01})->frame_start);
  auto continuation = d.Parse(Cat({{0x98}, kSequenceHeaderElement}));
  ASSERT_TRUE(continuation);
  EXPECT_FALSE(continuation->frame_start);
  EXPECT_FALSE(continuation->keyframe);
  EXPECT_EQ(continuation->width, 0);
  EXPECT_TRUE(continuation->obu_continues_previous);
}

TEST(Av1Depacketizer, MalformedPayloads) {
  Av1Depacketizer d;
  EXPECT_FALSE(d.Parse(Bytes{}));
  EXPECT_FALSE(d.Parse(Bytes{0x00}));                    // no element
  EXPECT_FALSE(d.Parse(Bytes{0x00, 0x05, 0x30}));        // a length past the end
  EXPECT_FALSE(d.Parse(Bytes{0x00, 0x00}));              // an empty element
  EXPECT_FALSE(d.Parse(Bytes{0x20, 0x02, 0x30, 0x01}));  // W = 2 with one element
  EXPECT_FALSE(d.Parse(Bytes{0x00, 0x80}));              // a length cut short
  EXPECT_TRUE(d.Parse(Bytes{0x10, 0x30}));               // W = 1: one byte is an element
}

TEST(Av1Packetizer, OnePacketWhenItFitsAndBackAgain) {
  const auto key = Av1Packetizer({}).Packetize(kAv1Keyframe64x48, true);
  ASSERT_EQ(key.size(), 1u);
  EXPECT_EQ(key[0], Cat({{0x08, static_cast<uint8_t>(kSequenceHeaderElement.size())},
                         kSequenceHeaderElement,
                         {static_cast<uint8_t>(kFrameElement.size())},
                         kFrameElement}));
  EXPECT_EQ(Assemble(ParseAll(key)), WithoutDelimiter(kAv1Keyframe64x48));

  const auto inter = Av1Packetizer({}).Packetize(kAv1Interframe64x48, false);
  ASSERT_EQ(inter.size(), 1u);
  EXPECT_EQ(inter[0][0], 0x00);
  const auto parts = ParseAll(inter);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_FALSE(parts[0].keyframe);
  EXPECT_TRUE(parts[0].frame_start);
  EXPECT_EQ(Assemble(parts), WithoutDelimiter(kAv1Interframe64x48));
}

TEST(Av1Packetizer, FragmentsAcrossPacketsAndRejoins) {
  PacketizerConfig config;
  config.mtu = kRtpOverhead + 9;
  const auto payloads = Av1Packetizer(config).Packetize(kAv1Keyframe64x48, true);
  ASSERT_GT(payloads.size(), 4u);
  for (const Bytes& p : payloads) EXPECT_LE(p.size(), 9u);
  const auto parts = ParseAll(payloads);
  ASSERT_EQ(parts.size(), payloads.size());
  EXPECT_TRUE(parts.front().keyframe);
  EXPECT_TRUE(parts.front().frame_start);
  EXPECT_FALSE(parts.front().obu_continues_previous);
  EXPECT_FALSE(parts.back().obu_continues_next);
  for (size_t i = 1; i < parts.size(); ++i) {
    EXPECT_FALSE(parts[i].keyframe) << i;  // N on the first packet only
    EXPECT_EQ(parts[i].obu_continues_previous, parts[i - 1].obu_continues_next) << i;
  }
  EXPECT_EQ(Assemble(parts), WithoutDelimiter(kAv1Keyframe64x48));

  // Without the first packet (the jitter buffer never releases such a frame, but a sender may
  // start a frame with a continuation): the sequence header's tail is left out, the frame kept.
  const std::vector<DepacketizedPayload> tail(parts.begin() + 1, parts.end());
  EXPECT_EQ(Assemble(tail), Bytes(kAv1Keyframe64x48.begin() + 14, kAv1Keyframe64x48.end()));
}

TEST(Av1Packetizer, NothingToSendGivesNoPayloads) {
  EXPECT_TRUE(Av1Packetizer({}).Packetize(Bytes{0x12, 0x00}, true).empty());  // a delimiter only
  EXPECT_TRUE(Av1Packetizer({}).Packetize(Bytes{0x32, 0x09, 0x01}, true).empty());  // cut short
  EXPECT_TRUE(Av1Packetizer({}).Packetize(Bytes{}, false).empty());
  PacketizerConfig tiny;
  tiny.mtu = kRtpOverhead + 7;
  EXPECT_TRUE(Av1Packetizer(tiny).Packetize(kAv1Keyframe64x48, true).empty());
}

TEST(Av1AssembleFrame, SizeFieldsDelimitersAndOrphans) {
  // Elements as senders may send them: with obu_has_size_field (kept, cut to its size), a
  // temporal delimiter and a tile list (left out), a size past the element (left out).
  DepacketizedPayload p;
  p.data = {0x06, 0x32, 0x03, 0xa1, 0xa2, 0xa3, 0xff,  // frame OBU with size 3 and a stray byte
            0x01, 0x10,                                // temporal delimiter
            0x02, 0x40, 0x55,                          // tile list
            0x03, 0x32, 0x09, 0x01};                   // size 9 in a 3-byte element
  const DepacketizedPayload* one[] = {&p};
  EXPECT_EQ(AssembleFrame(Codec::kAv1, one), (Bytes{0x32, 0x03, 0xa1, 0xa2, 0xa3}));

  // A continuation whose start is missing, then a whole OBU.
  DepacketizedPayload orphan;
  orphan.obu_continues_previous = true;
  orphan.data = {0x02, 0xb1, 0xb2, 0x02, 0x30, 0xc1};
  const DepacketizedPayload* two[] = {&orphan};
  EXPECT_EQ(AssembleFrame(Codec::kAv1, two), (Bytes{0x32, 0x01, 0xc1}));

  // A fragment whose end never comes: left out.
  DepacketizedPayload open;
  open.obu_continues_next = true;
  open.data = {0x02, 0x30, 0xd1};
  const DepacketizedPayload* three[] = {&open};
  EXPECT_TRUE(AssembleFrame(Codec::kAv1, three).empty());
}

}  // namespace
}  // namespace tessera::rtp
