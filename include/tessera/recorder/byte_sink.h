// Where a recording's container bytes go: the encrypted chunk file (chunk_file.h) or, in tests, memory.
#pragma once
#include <tessera/base/status.h>
#include <cstdint>
#include <span>
namespace tessera::recorder {
// Runs on: the recording's thread.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Takes container bytes; buffers them.
  virtual Status Write(std::span<const uint8_t> bytes) = 0;
  // Seals what is buffered so that a crash after it loses none of it (the muxer calls it after each
  // cluster or fragment).
  virtual Status Flush() = 0;
  // The end of the recording: flushes and marks the end. Idempotent.
  virtual Status Close() = 0;
};
}  // namespace tessera::recorder
