// RFC 4571 framing on an arbitrary byte stream. Input: two bytes of max_frame_size (0: 65535),
// then chunks: one byte of length (0..255), then that many stream bytes (fewer at the end).
//
// Checks: the reader fed in chunks yields the same frames, and fails at the same point, as a plain
// reading of the whole stream; no frame is empty or longer than max_frame_size; every frame
// framed again reads back as itself.
#include <tessera/webrtc/tcp_framing.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "fuzz_input.h"

namespace {

using tessera::webrtc::FrameForTcp;
using tessera::webrtc::TcpFrameReader;

void Check(bool condition) {
  if (!condition) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tessera::fuzz::Input in({data, size});
  TcpFrameReader::Limits limits;
  const uint16_t max_frame = in.U16();
  limits.max_frame_size = max_frame == 0 ? 65535 : max_frame;
  limits.max_buffered = size;  // the whole input: only max_frame_size can fail the stream
  TcpFrameReader reader(limits);

  std::vector<uint8_t> stream;
  std::vector<std::vector<uint8_t>> frames;
  while (!in.empty()) {
    const size_t length = in.Byte();
    std::vector<uint8_t> chunk;
    for (size_t i = 0; i < length && !in.empty(); ++i) chunk.push_back(in.Byte());
    stream.insert(stream.end(), chunk.begin(), chunk.end());
    if (!reader.Append(chunk)) {
      Check(reader.failed());
      break;
    }
    while (auto frame = reader.Next()) {
      Check(!frame->empty() && frame->size() <= limits.max_frame_size);
      frames.emplace_back(frame->begin(), frame->end());
    }
  }

  // The whole stream at once, the plain way.
  std::vector<std::vector<uint8_t>> expected;
  bool failed = false;
  size_t pos = 0;
  while (stream.size() - pos >= 2) {
    const size_t length = size_t{stream[pos]} << 8 | stream[pos + 1];
    if (length > limits.max_frame_size) {
      failed = true;
      break;
    }
    if (stream.size() - pos - 2 < length) break;
    if (length > 0) {
      expected.emplace_back(stream.begin() + pos + 2, stream.begin() + pos + 2 + length);
    }
    pos += 2 + length;
  }
  Check(frames == expected);
  Check(reader.failed() == failed);

  for (const auto& frame : frames) {
    TcpFrameReader again;
    Check(again.Append(FrameForTcp(frame)));
    auto back = again.Next();
    Check(back && back->size() == frame.size() &&
          std::equal(back->begin(), back->end(), frame.begin()));
  }
  return 0;
}
