// The framing of STUN, DTLS and SRTP over a TCP connection for ICE-TCP (RFC 6544 section 3,
// RFC 4571): each packet is preceded by its length as a 16-bit big-endian number.
//
// Zero-length frames are allowed by RFC 4571 and carry nothing; the reader skips them (and counts
// them) rather than hand out empty packets, so a peer that sends only zero lengths costs no more
// than reading them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::webrtc {

inline constexpr size_t kMaxTcpFrameSize = 65535;  // what the 16-bit length can say

// The frame for `packet`: its length, then the packet. Empty (a valid frame never is) when the
// packet is longer than kMaxTcpFrameSize.
std::vector<uint8_t> FrameForTcp(std::span<const uint8_t> packet);

// Cuts one connection's byte stream into packets.
//
// Usage: Append() what a read returned, then call Next() until it returns nullopt. Bounded: at
// most max_buffered bytes are held; an Append() that would hold more (the caller did not drain
// with Next(), or reads larger chunks than it said) fails. A frame longer than max_frame_size
// fails too. Once failed the reader stays failed and the owner closes the connection: a length
// stream cannot be resynchronised.
//
// Runs on: its connection's network shard. Not thread-safe.
class TcpFrameReader {
 public:
  struct Limits {
    // Longer frames fail the stream. An ICE-TCP packet is at most a DTLS flight record or an SRTP
    // packet, but RFC 4571 allows 65535, which is the default.
    size_t max_frame_size = kMaxTcpFrameSize;
    // Bytes held at most: a partial frame plus one read's worth of bytes.
    size_t max_buffered = 256 * 1024;
  };

  TcpFrameReader();
  explicit TcpFrameReader(const Limits& limits);

  // Takes the next bytes of the stream. False when the reader failed (now or before); the bytes
  // are then dropped. Invalidates the span the last Next() returned.
  [[nodiscard]] bool Append(std::span<const uint8_t> bytes);

  // The next complete packet, valid until the next Append(); nullopt when more bytes are needed
  // or the reader failed. Never empty.
  std::optional<std::span<const uint8_t>> Next();

  bool failed() const { return failed_; }
  // Bytes held that no Next() returned yet.
  size_t buffered() const { return buffer_.size() - read_pos_; }
  uint64_t frames() const { return frames_; }
  uint64_t empty_frames() const { return empty_frames_; }

 private:
  Limits limits_;
  std::vector<uint8_t> buffer_;
  size_t read_pos_ = 0;  // buffer_[0, read_pos_) was handed out or skipped
  bool failed_ = false;
  uint64_t frames_ = 0;
  uint64_t empty_frames_ = 0;
};

}  // namespace tessera::webrtc
