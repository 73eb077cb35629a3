#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/transport_feedback.h>

#include <algorithm>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {
namespace {

// Base sequence, packet status count, reference time and feedback packet count.
constexpr size_t kFixedFciSize = 8;
constexpr int64_t kTickUs = 250;
constexpr int64_t kReferenceTimeUnitUs = 64'000;
constexpr int32_t kMinReferenceTime = -(1 << 23);
constexpr int32_t kMaxReferenceTime = (1 << 23) - 1;
constexpr size_t kMaxStatusCount = 0xFFFF;

// Packet status chunks.
constexpr uint16_t kVectorChunkBit = 0x8000;
constexpr uint16_t kTwoBitVectorBit = 0x4000;
constexpr uint16_t kMaxRunLength = 0x1FFF;
constexpr size_t kOneBitCapacity = 14;
constexpr size_t kTwoBitCapacity = 7;
// Shorter runs fit a 2-bit vector chunk as well.
constexpr size_t kMinRunLength = 7;

// Packet status symbols. A received packet's symbol is also the size of its delta in bytes.
constexpr uint8_t kNotReceived = 0;
constexpr uint8_t kSmallDelta = 1;  // 0..255 ticks, 1 byte
constexpr uint8_t kLargeDelta = 2;  // signed 16-bit ticks, 2 bytes
constexpr uint8_t kReserved = 3;

// A delta rounds to a representable tick count (-32768..32767) when it is in [min, max).
constexpr int64_t kMinDeltaUs = -32768 * kTickUs - kTickUs / 2;
constexpr int64_t kMaxDeltaUs = 32768 * kTickUs - kTickUs / 2;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Calls on_symbol for each symbol of a packet status chunk, at most limit of them (the rest of the
// chunk is ignored); returns how many that was, or nullopt for a reserved symbol.
template <typename OnSymbol>
std::optional<size_t> DecodeChunk(uint16_t chunk, size_t limit, OnSymbol&& on_symbol) {
  if ((chunk & kVectorChunkBit) == 0) {
    const uint8_t symbol = (chunk >> 13) & 3;
    if (symbol == kReserved) return std::nullopt;
    const size_t n = std::min<size_t>(chunk & kMaxRunLength, limit);
    for (size_t i = 0; i < n; ++i) on_symbol(symbol);
    return n;
  }
  const bool two_bit = chunk & kTwoBitVectorBit;
  const size_t n = std::min(two_bit ? kTwoBitCapacity : kOneBitCapacity, limit);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t symbol = two_bit ? (chunk >> (12 - 2 * i)) & 3 : (chunk >> (13 - i)) & 1;
    if (symbol == kReserved) return std::nullopt;
    on_symbol(symbol);
  }
  return n;
}

// Walks the received packets in order, rounding each one's delta from the previous serialized
// time (reference_time * 64 ms for the first) to the nearest tick, and calls on_delta(index,
// ticks). false, possibly after some calls, when the feedback cannot be serialized.
template <typename OnDelta>
bool ComputeDeltas(const TransportFeedback& fb, OnDelta&& on_delta) {
  const auto& arrivals = fb.arrivals_us;
  if (arrivals.empty() || arrivals.size() > kMaxStatusCount) return false;
  if (fb.reference_time < kMinReferenceTime || fb.reference_time > kMaxReferenceTime) return false;
  // At most 2^23 * 64 ms + 65535 * 2^15 ticks from 0: no overflow below.
  int64_t time = int64_t{fb.reference_time} * kReferenceTimeUnitUs;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    if (!arrivals[i]) continue;
    const int64_t arrival = *arrivals[i];
    // Compared before subtracting: arrival may be anywhere in int64's range.
    if (arrival < time + kMinDeltaUs || arrival >= time + kMaxDeltaUs) return false;
    const int64_t ticks = FloorDiv(arrival - time + kTickUs / 2, kTickUs);
    time += ticks * kTickUs;
    on_delta(i, static_cast<int16_t>(ticks));
  }
  return true;
}

// The number of symbols equal to symbols[i] from i on, at most a run-length chunk's capacity.
size_t RunAt(const std::vector<uint8_t>& symbols, size_t i) {
  const size_t end = std::min(symbols.size(), i + kMaxRunLength);
  size_t j = i + 1;
  while (j < end && symbols[j] == symbols[i]) ++j;
  return j - i;
}

void WriteChunks(const std::vector<uint8_t>& symbols, ByteWriter& w) {
  size_t i = 0;
  while (i < symbols.size()) {
    const size_t remaining = symbols.size() - i;
    const size_t run = RunAt(symbols, i);
    const size_t one_bit = std::min(kOneBitCapacity, remaining);
    const bool fits_one_bit = std::all_of(symbols.begin() + i, symbols.begin() + i + one_bit,
                                          [](uint8_t s) { return s <= kSmallDelta; });
    // A run chunk is the better choice when it covers at least what a vector chunk could.
    if (run >= kOneBitCapacity || (!fits_one_bit && run >= kMinRunLength)) {
      w.U16(static_cast<uint16_t>((symbols[i] << 13) | run));
      i += run;
    } else if (fits_one_bit) {
      uint16_t chunk = kVectorChunkBit;
      for (size_t k = 0; k < one_bit; ++k) {
        chunk |= static_cast<uint16_t>(symbols[i + k] << (13 - k));
      }
      w.U16(chunk);
      i += one_bit;
    } else {
      const size_t two_bit = std::min(kTwoBitCapacity, remaining);
      uint16_t chunk = kVectorChunkBit | kTwoBitVectorBit;
      for (size_t k = 0; k < two_bit; ++k) {
        chunk |= static_cast<uint16_t>(symbols[i + k] << (12 - 2 * k));
      }
      w.U16(chunk);
      i += two_bit;
    }
  }
}

}  // namespace

std::optional<TransportFeedback> TransportFeedback::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kRtpFeedback, kTransportFeedbackFmt);
  if (!fb || fb->fci.size() < kFixedFciSize) return std::nullopt;
  ByteReader r(fb->fci);
  TransportFeedback feedback;
  feedback.sender_ssrc = fb->sender_ssrc;
  feedback.media_ssrc = fb->media_ssrc;
  feedback.base_sequence = r.U16();
  const size_t status_count = r.U16();
  const uint32_t reference_time = r.U24();
  feedback.reference_time = reference_time & 0x800000
                                ? static_cast<int32_t>(reference_time) - 0x1000000
                                : static_cast<int32_t>(reference_time);
  feedback.feedback_count = r.U8();
  if (status_count == 0) return std::nullopt;

  // First pass: the chunks must cover the status count, and the deltas they announce must be
  // there, before anything is allocated. Every chunk read consumes 2 bytes, so a short packet
  // stops this loop early whatever the count says.
  const size_t chunks_offset = r.position();
  size_t covered = 0;
  size_t delta_bytes = 0;
  while (covered < status_count) {
    const uint16_t chunk = r.U16();
    if (!r.ok()) return std::nullopt;
    auto n = DecodeChunk(chunk, status_count - covered, [&](uint8_t s) { delta_bytes += s; });
    if (!n) return std::nullopt;
    covered += *n;
  }
  const size_t chunks_size = r.position() - chunks_offset;
  auto deltas = r.Bytes(delta_bytes);
  if (!r.ok()) return std::nullopt;
  const auto padding = r.Bytes(r.remaining());
  if (std::any_of(padding.begin(), padding.end(), [](uint8_t b) { return b != 0; })) {
    return std::nullopt;
  }

  // Second pass: the symbols again, now with their deltas (both known to be well formed).
  ByteReader chunks(fb->fci.subspan(chunks_offset, chunks_size));
  ByteReader delta_reader(deltas);
  int64_t time = int64_t{feedback.reference_time} * kReferenceTimeUnitUs;
  auto& arrivals = feedback.arrivals_us;
  arrivals.reserve(status_count);
  auto on_symbol = [&](uint8_t s) {
    if (s == kNotReceived) {
      arrivals.emplace_back();
      return;
    }
    const int64_t ticks =
        s == kSmallDelta ? delta_reader.U8() : static_cast<int16_t>(delta_reader.U16());
    time += ticks * kTickUs;
    arrivals.emplace_back(time);
  };
  while (chunks.remaining() > 0) {
    DecodeChunk(chunks.U16(), status_count - arrivals.size(), on_symbol);
  }
  return feedback;
}

bool TransportFeedback::CanSerialize() const {
  return ComputeDeltas(*this, [](size_t, int16_t) {});
}

void TransportFeedback::Serialize(std::vector<uint8_t>& out) const {
  std::vector<uint8_t> symbols;
  std::vector<int16_t> ticks;
  const bool ok = ComputeDeltas(*this, [&](size_t i, int16_t t) {
    symbols.resize(i, kNotReceived);
    symbols.push_back(t >= 0 && t <= 255 ? kSmallDelta : kLargeDelta);
    ticks.push_back(t);
  });
  if (!ok) return;
  symbols.resize(arrivals_us.size(), kNotReceived);

  // At most 65535 two-byte deltas and 9363 chunks: far below the length limit.
  const size_t start = BeginFeedback(out, RtcpPacketType::kRtpFeedback, kTransportFeedbackFmt,
                                     sender_ssrc, media_ssrc);
  ByteWriter w(out);
  w.U16(base_sequence);
  w.U16(static_cast<uint16_t>(symbols.size()));
  w.U24(static_cast<uint32_t>(reference_time) & 0xFFFFFF);
  w.U8(feedback_count);
  WriteChunks(symbols, w);
  for (int16_t t : ticks) {
    if (t >= 0 && t <= 255) {
      w.U8(static_cast<uint8_t>(t));
    } else {
      w.U16(static_cast<uint16_t>(t));
    }
  }
  // Zero padding, not RTCP padding (the draft's figure; the P bit belongs on a compound's last
  // packet only).
  while ((out.size() - start) % 4 != 0) w.U8(0);
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
