#include <tessera/base/byte_io.h>
#include <tessera/rtp/telephone_event.h>

#include <algorithm>

namespace tessera::rtp {

namespace {
constexpr size_t kEventBlockBytes = 4;
}  // namespace

std::optional<TelephoneEvent> ParseTelephoneEvent(std::span<const uint8_t> payload) {
  if (payload.size() < kEventBlockBytes) return std::nullopt;
  //  0                   1                   2                   3
  // |     event     |E|R| volume    |          duration             |
  TelephoneEvent event;
  event.event = payload[0];
  event.end = (payload[1] & 0x80) != 0;
  event.volume = payload[1] & 0x3f;
  event.duration = ReadBe16(&payload[2]);
  return event;
}

char DtmfEventChar(uint8_t event) {
  if (event <= 9) return static_cast<char>('0' + event);
  if (event == 10) return '*';
  if (event == 11) return '#';
  if (event <= 15) return static_cast<char>('A' + (event - 12));
  return 0;
}

std::optional<char> DtmfDetector::OnPacket(uint32_t rtp_timestamp,
                                           std::span<const uint8_t> payload) {
  const std::optional<TelephoneEvent> event = ParseTelephoneEvent(payload);
  if (!event) {
    ++malformed_;
    return std::nullopt;
  }
  const char digit = DtmfEventChar(event->event);
  if (digit == 0) {
    ++non_dtmf_;
    return std::nullopt;
  }
  if (Seen(rtp_timestamp)) return std::nullopt;
  recent_[next_slot_] = rtp_timestamp;
  next_slot_ = (next_slot_ + 1) % kRememberedEvents;
  recent_count_ = std::min(recent_count_ + 1, kRememberedEvents);
  return digit;
}

bool DtmfDetector::Seen(uint32_t rtp_timestamp) const {
  const auto filled = std::span(recent_).first(recent_count_);
  return std::find(filled.begin(), filled.end(), rtp_timestamp) != filled.end();
}

}  // namespace tessera::rtp
