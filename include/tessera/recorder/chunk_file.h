// The encrypted recording file, `<id>.tsrec`, and its reader.
//
//   "TESSERAREC1\n" | u32 header length | header JSON
//   chunk*: u32 ciphertext length | u64 index | u8 flags (1 = final) | ciphertext | 16-byte tag
//
// All integers big-endian. Each chunk is AES-256-GCM under the recording's data key (key_store.h)
// with nonce = 4-byte prefix (random per recording, in the header) || index, and additional data
// = SHA-256(magic, length and header JSON) || index || flags: the header, each chunk's place and
// the end marker are all authenticated, so a changed byte, a removed, repeated or reordered chunk
// and a cut tail are each detected and named. Chunk plaintext is at most 4 MiB; the reader
// refuses longer chunks before reading them.
//
// A kill -9 leaves the chunks sealed by the last Flush intact (and maybe a torn one after them):
// every complete chunk still decrypts, and the reader says the final chunk is missing.
#pragma once

#include <tessera/base/status.h>
#include <tessera/recorder/byte_sink.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::recorder {

inline constexpr size_t kMaxChunkPlaintext = 4 << 20;
inline constexpr size_t kDefaultChunkPlaintext = 1 << 20;

// The authenticated header. Not secret (room, times): what is secret is in the chunks.
struct RecordingHeader {
  std::string recording_id;
  std::string room;
  std::string profile;
  std::string region;
  std::string container = "matroska";  // what the plaintext is: "matroska" or "mp4"
  int64_t started_s = 0;               // Unix seconds
  std::string kek_id;                  // informational; the key store's entry is what counts
  std::array<uint8_t, 4> nonce_prefix{};
  uint32_t chunk_size = kDefaultChunkPlaintext;  // the writer's largest chunk plaintext
};

// Encrypts the muxer's bytes into chunks on their way to the disk; the plaintext exists only in
// this object's buffer (wiped after each chunk and on destruction).
// Runs on: the recording's muxer thread (ByteSink's contract).
class EncryptedChunkWriter : public ByteSink {
 public:
  // Creates `path` (kAlreadyExists if it exists: a recording is never overwritten), mode 0600,
  // writes the header with a fresh random nonce prefix (header.nonce_prefix is ignored) and
  // fsyncs the file and its directory. header.chunk_size is clamped to 1 .. kMaxChunkPlaintext.
  static StatusOr<std::unique_ptr<EncryptedChunkWriter>> Create(const std::string& path,
                                                                RecordingHeader header,
                                                                const SecretKey& data_key);
  // Without Close the file ends like a crashed recording's: no final chunk, and bytes written
  // after the last Flush are lost (never written in the clear).
  ~EncryptedChunkWriter() override;

  Status Write(std::span<const uint8_t> bytes) override;  // seals each full chunk_size
  Status Flush() override;  // seals what is buffered (if anything), then fdatasync
  Status Close() override;  // seals the rest as the final chunk (maybe empty), fdatasync, close

  const RecordingHeader& header() const { return header_; }
  uint64_t chunks_written() const { return next_index_; }
  uint64_t plaintext_bytes() const { return plaintext_bytes_; }

 private:
  class Impl;
  EncryptedChunkWriter(std::string path, RecordingHeader header, int fd,
                       std::unique_ptr<Impl> impl);
  Status Seal(bool final);
  Status Fail(Status s);

  std::string path_;
  RecordingHeader header_;
  int fd_ = -1;
  std::unique_ptr<Impl> impl_;  // the cipher context and the plaintext buffer
  uint64_t next_index_ = 0;
  uint64_t plaintext_bytes_ = 0;
  bool closed_ = false;
  Status failed_;  // sticky: after an error nothing more is written
};

// Why reading stopped before a clean end.
struct ChunkProblem {
  enum class Kind {
    kChanged,     // the tag does not match: the chunk, the header or its place was changed
    kOutOfOrder,  // the index is not the next one: chunks were removed, repeated or reordered
    kTruncated,   // the file ends inside a chunk (a crash mid-write, or a cut)
    kNoFinal,     // the file ends between chunks without the final one: an unclean stop, or a cut
    kMalformed,   // a length over 4 MiB, unknown flags, bytes after the final chunk
    kReadError,   // the disk said no
  };
  Kind kind = Kind::kChanged;
  uint64_t index = 0;   // the position of the bad chunk: the chunk count before it
  uint64_t offset = 0;  // the byte offset where it starts in the file
  std::string message;  // names the chunk, the offset and why
};

// True for a file that ends early but whose chunks are all good (kill -9, power cut).
bool IsUncleanEnd(const ChunkProblem& problem);
const char* ChunkProblemName(ChunkProblem::Kind kind);

struct ChunkRead {
  enum class Kind { kChunk, kEnd, kProblem };
  Kind kind = Kind::kEnd;
  uint64_t index = 0;
  uint64_t offset = 0;
  bool final = false;
  std::vector<uint8_t> plaintext;       // kChunk only
  std::optional<ChunkProblem> problem;  // kProblem only
};

// Reads a recording file chunk by chunk, holding one chunk in memory.
// Runs on: one thread at a time.
class ChunkFileReader {
 public:
  class Source;  // where the bytes come from: a file or memory
  ~ChunkFileReader();

  // Reads and checks the header (kInvalidArgument: not a recording file, with why).
  static StatusOr<std::unique_ptr<ChunkFileReader>> OpenFile(const std::string& path);
  // The same over bytes in memory (tests, the fuzzer); `bytes` must outlive the reader.
  static StatusOr<std::unique_ptr<ChunkFileReader>> OpenMemory(std::span<const uint8_t> bytes);

  const RecordingHeader& header() const { return header_; }

  // The next chunk, decrypted with `data_key`; kEnd after the final chunk at the end of the file;
  // kProblem at the first bad chunk, and the same problem on every later call.
  [[nodiscard]] ChunkRead Next(const SecretKey& data_key);

 private:
  ChunkFileReader(std::unique_ptr<Source> source, RecordingHeader header,
                  std::array<uint8_t, 32> header_hash, uint64_t offset);
  ChunkRead Problem(ChunkProblem::Kind kind, std::string why);
  static StatusOr<std::unique_ptr<ChunkFileReader>> Open(std::unique_ptr<Source> source);

  std::unique_ptr<Source> source_;
  RecordingHeader header_;
  std::array<uint8_t, 32> header_hash_;
  uint64_t offset_ = 0;  // of the next chunk
  uint64_t next_index_ = 0;
  bool ended_ = false;
  std::optional<ChunkProblem> problem_;
};

struct VerifyReport {
  RecordingHeader header;
  uint64_t chunks = 0;           // good chunks, in order
  uint64_t plaintext_bytes = 0;  // in them
  bool complete = false;         // ended with the final chunk and nothing after it
  std::optional<ChunkProblem> problem;
};

// Reads every chunk with `data_key` up to the end or the first problem.
VerifyReport VerifyChunks(ChunkFileReader& reader, const SecretKey& data_key);

// Opens `path`, fetches the data key of the recording its header names from `store` through
// `wrapper`, and checks every chunk. A non-OK status: not a recording file, or no usable key
// (destroyed, KEK missing or wrong); chunk problems are in the report.
StatusOr<VerifyReport> VerifyRecording(const std::string& path, const KeyStore& store,
                                       const KeyWrapper& wrapper);

// Like VerifyRecording, writing the plaintext container to `out_path` (created 0600; kAlreadyExists
// if it exists: never overwritten). The chunks before an unclean end (IsUncleanEnd) are kept in
// the output; on any other problem the output is removed, since a changed recording's plaintext
// is not evidence of anything.
StatusOr<VerifyReport> DecryptRecording(const std::string& path, const KeyStore& store,
                                        const KeyWrapper& wrapper, const std::string& out_path);

}  // namespace tessera::recorder
