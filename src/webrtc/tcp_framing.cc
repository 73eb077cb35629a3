#include <tessera/base/byte_io.h>
#include <tessera/webrtc/tcp_framing.h>

#include <algorithm>
#include <cstddef>

namespace tessera::webrtc {

std::vector<uint8_t> FrameForTcp(std::span<const uint8_t> packet) {
  if (packet.size() > kMaxTcpFrameSize) return {};
  std::vector<uint8_t> frame;
  frame.reserve(2 + packet.size());
  ByteWriter w(frame);
  w.U16(static_cast<uint16_t>(packet.size()));
  w.Bytes(packet);
  return frame;
}

TcpFrameReader::TcpFrameReader() : TcpFrameReader(Limits{}) {}

TcpFrameReader::TcpFrameReader(const Limits& limits) : limits_(limits) {}

bool TcpFrameReader::Append(std::span<const uint8_t> bytes) {
  if (failed_) return false;
  // What was handed out is no longer needed: keep only the unread bytes.
  if (read_pos_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_pos_));
    read_pos_ = 0;
  }
  if (bytes.size() > limits_.max_buffered - std::min(buffer_.size(), limits_.max_buffered)) {
    failed_ = true;
    buffer_.clear();
    return false;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return true;
}

std::optional<std::span<const uint8_t>> TcpFrameReader::Next() {
  while (!failed_) {
    const size_t available = buffer_.size() - read_pos_;
    if (available < 2) return std::nullopt;
    const size_t length = ReadBe16(&buffer_[read_pos_]);
    if (length > limits_.max_frame_size) {
      failed_ = true;
      buffer_.clear();
      read_pos_ = 0;
      return std::nullopt;
    }
    if (available - 2 < length) return std::nullopt;
    const size_t start = read_pos_ + 2;
    read_pos_ = start + length;
    if (length == 0) {
      ++empty_frames_;
      continue;
    }
    ++frames_;
    return std::span<const uint8_t>(buffer_.data() + start, length);
  }
  return std::nullopt;
}

}  // namespace tessera::webrtc
