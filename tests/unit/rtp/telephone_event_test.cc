#include <gtest/gtest.h>
#include <tessera/rtp/telephone_event.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::rtp {
namespace {

std::vector<uint8_t> EventPayload(uint8_t event, bool end, uint8_t volume, uint16_t duration) {
  return {event, static_cast<uint8_t>((end ? 0x80 : 0) | (volume & 0x3f)),
          static_cast<uint8_t>(duration >> 8), static_cast<uint8_t>(duration)};
}

// The packets a phone sends for one digit: 5 updates every 20 ms at 8 kHz, then 3 end packets.
std::vector<std::vector<uint8_t>> DigitPackets(uint8_t event) {
  std::vector<std::vector<uint8_t>> packets;
  for (uint16_t i = 1; i <= 5; ++i) packets.push_back(EventPayload(event, false, 10, i * 160));
  for (int i = 0; i < 3; ++i) packets.push_back(EventPayload(event, true, 10, 960));
  return packets;
}

TEST(TelephoneEvent, ParsesFieldsOfTheFirstBlock) {
  const std::vector<uint8_t> payload = {11, 0x80 | 0x40 | 0x25, 0x03, 0x20, 5, 0, 0, 0};
  const std::optional<TelephoneEvent> event = ParseTelephoneEvent(payload);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, 11);
  EXPECT_TRUE(event->end);
  EXPECT_EQ(event->volume, 0x25);  // the R bit is not part of the volume
  EXPECT_EQ(event->duration, 800);
}

TEST(TelephoneEvent, ParsesAnEventThatHasNotEnded) {
  const std::optional<TelephoneEvent> event = ParseTelephoneEvent(EventPayload(255, false, 63, 0));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, 255);
  EXPECT_FALSE(event->end);
  EXPECT_EQ(event->volume, 63);
  EXPECT_EQ(event->duration, 0);
}

TEST(TelephoneEvent, RejectsPayloadShorterThanOneBlock) {
  const std::vector<uint8_t> payload = {1, 0x80, 0x03};
  EXPECT_FALSE(ParseTelephoneEvent(payload).has_value());
  EXPECT_FALSE(ParseTelephoneEvent({}).has_value());
}

TEST(TelephoneEvent, MapsEventCodesToDtmfCharacters) {
  std::string chars;
  for (int event = 0; event <= 15; ++event) chars += DtmfEventChar(static_cast<uint8_t>(event));
  EXPECT_EQ(chars, "0123456789*#ABCD");
  EXPECT_EQ(DtmfEventChar(16), 0);
  EXPECT_EQ(DtmfEventChar(255), 0);
}

TEST(DtmfDetector, ReportsOneDigitFromAllPacketsOfAnEvent) {
  DtmfDetector detector;
  std::vector<char> digits;
  for (const auto& packet : DigitPackets(5)) {
    if (const auto digit = detector.OnPacket(1000, packet)) digits.push_back(*digit);
  }
  EXPECT_EQ(digits, std::vector<char>{'5'});
  EXPECT_EQ(detector.malformed(), 0u);
}

TEST(DtmfDetector, ReportsTheSameDigitTwiceForTwoTimestamps) {
  DtmfDetector detector;
  std::vector<char> digits;
  for (uint32_t timestamp : {1000u, 3000u}) {
    for (const auto& packet : DigitPackets(1)) {
      if (const auto digit = detector.OnPacket(timestamp, packet)) digits.push_back(*digit);
    }
  }
  EXPECT_EQ(digits, (std::vector<char>{'1', '1'}));
}

TEST(DtmfDetector, ReportsOnceWhenPacketsAreReorderedAndDuplicated) {
  DtmfDetector detector;
  const auto star = DigitPackets(10);
  const auto hash = DigitPackets(11);
  // The end packet of '*' first, then '#' starting before the rest of '*' arrives late.
  std::vector<char> digits;
  auto feed = [&](uint32_t timestamp, const std::vector<uint8_t>& packet) {
    if (const auto digit = detector.OnPacket(timestamp, packet)) digits.push_back(*digit);
  };
  feed(8000, star[5]);
  feed(8000, star[0]);
  feed(9600, hash[1]);
  feed(8000, star[2]);
  feed(9600, hash[0]);
  feed(8000, star[0]);
  feed(9600, hash[7]);
  feed(8000, star[6]);
  EXPECT_EQ(digits, (std::vector<char>{'*', '#'}));
}

TEST(DtmfDetector, RemembersTheLastEightEventsForLateDuplicates) {
  DtmfDetector detector;
  const auto end_of_nine = EventPayload(9, true, 10, 960);
  for (uint32_t i = 0; i < DtmfDetector::kRememberedEvents; ++i) {
    EXPECT_EQ(detector.OnPacket(100 + i * 1000, end_of_nine), '9');
  }
  // Every remembered event is still a duplicate.
  for (uint32_t i = 0; i < DtmfDetector::kRememberedEvents; ++i) {
    EXPECT_EQ(detector.OnPacket(100 + i * 1000, end_of_nine), std::nullopt);
  }
  // A ninth event pushes out the oldest, whose timestamp then counts as new.
  EXPECT_EQ(detector.OnPacket(50'000, end_of_nine), '9');
  EXPECT_EQ(detector.OnPacket(1100, end_of_nine), std::nullopt);
  EXPECT_EQ(detector.OnPacket(100, end_of_nine), '9');
}

TEST(DtmfDetector, CountsShortPayloadsAsMalformed) {
  DtmfDetector detector;
  const std::vector<uint8_t> short_payload = {5, 0x80, 0x03};
  EXPECT_EQ(detector.OnPacket(1000, short_payload), std::nullopt);
  EXPECT_EQ(detector.OnPacket(1000, {}), std::nullopt);
  EXPECT_EQ(detector.malformed(), 2u);
  // A malformed packet does not claim its timestamp.
  EXPECT_EQ(detector.OnPacket(1000, EventPayload(5, false, 10, 160)), '5');
}

TEST(DtmfDetector, IgnoresEventsThatAreNotDtmf) {
  DtmfDetector detector;
  EXPECT_EQ(detector.OnPacket(1000, EventPayload(16, false, 10, 160)), std::nullopt);
  EXPECT_EQ(detector.OnPacket(2000, EventPayload(32, true, 10, 160)), std::nullopt);
  EXPECT_EQ(detector.non_dtmf(), 2u);
  EXPECT_EQ(detector.malformed(), 0u);
  EXPECT_EQ(detector.OnPacket(2000, EventPayload(12, true, 10, 160)), 'A');
}

}  // namespace
}  // namespace tessera::rtp
