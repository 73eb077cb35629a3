// Where the recorder's muxer puts the container's bytes. The media side (libavformat through a
// custom AVIOContext) writes into a ByteSink; the storage side decides what reaches the disk
// (EncryptedChunkWriter in chunk_file.h: nothing in plaintext).
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <span>

namespace tessera::recorder {

// Runs on: the one thread that owns the recording's muxer; not thread-safe.
class ByteSink {
 public:
  virtual ~ByteSink() = default;

  // Appends `bytes` (copied before returning). May write whole chunks but promises nothing
  // about durability: that is Flush's job. After an error the sink is unusable.
  virtual Status Write(std::span<const uint8_t> bytes) = 0;

  // Makes every byte written so far durable (on the disk once this returns OK). The muxer calls
  // it after each cluster or fragment, about once a second: a crash loses at most what came
  // after the last Flush.
  virtual Status Flush() = 0;

  // Writes what is left, marks the end of the recording and makes it durable. Nothing may be
  // written after it; a second Close is an error.
  virtual Status Close() = 0;
};

}  // namespace tessera::recorder
