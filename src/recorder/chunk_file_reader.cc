// The reader of chunk_file.h, and verify and decrypt on top of it.
#include <fcntl.h>
#include <openssl/evp.h>
#include <tessera/base/byte_io.h>
#include <tessera/recorder/chunk_file.h>
#include <tessera/srtp/openssl_error.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "recorder/chunk_file_format.h"
#include "recorder/key_store_io.h"

namespace tessera::recorder {

// Reads up to the requested bytes; fewer only at the end.
class ChunkFileReader::Source {
 public:
  virtual ~Source() = default;
  virtual StatusOr<size_t> Read(std::span<uint8_t> out) = 0;
};

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

class FileSource : public ChunkFileReader::Source {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  StatusOr<size_t> Read(std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::read(fd_, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("cannot read", path_, errno);
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  int fd_;
  std::string path_;
};

class MemorySource : public ChunkFileReader::Source {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  StatusOr<size_t> Read(std::span<uint8_t> out) override {
    const size_t n = std::min(out.size(), bytes_.size() - pos_);
    if (n > 0) std::memcpy(out.data(), bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

std::string Where(uint64_t index, uint64_t offset) {
  return "chunk " + std::to_string(index) + " at byte offset " + std::to_string(offset);
}

}  // namespace

bool IsUncleanEnd(const ChunkProblem& problem) {
  return problem.kind == ChunkProblem::Kind::kTruncated ||
         problem.kind == ChunkProblem::Kind::kNoFinal;
}

const char* ChunkProblemName(ChunkProblem::Kind kind) {
  switch (kind) {
    case ChunkProblem::Kind::kChanged:
      return "changed";
    case ChunkProblem::Kind::kOutOfOrder:
      return "removed or reordered";
    case ChunkProblem::Kind::kTruncated:
      return "truncated";
    case ChunkProblem::Kind::kNoFinal:
      return "no final chunk";
    case ChunkProblem::Kind::kMalformed:
      return "malformed";
    case ChunkProblem::Kind::kReadError:
      return "read error";
  }
  return "unknown";
}

ChunkFileReader::ChunkFileReader(std::unique_ptr<Source> source, RecordingHeader header,
                                 std::array<uint8_t, 32> header_hash, uint64_t offset)
    : source_(std::move(source)),
      header_(std::move(header)),
      header_hash_(header_hash),
      offset_(offset) {}

ChunkFileReader::~ChunkFileReader() = default;

StatusOr<std::unique_ptr<ChunkFileReader>> ChunkFileReader::OpenFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  auto reader = Open(std::make_unique<FileSource>(fd, path));
  if (!reader.ok()) return Status(reader.status().code(), path + ": " + reader.status().message());
  return reader;
}

StatusOr<std::unique_ptr<ChunkFileReader>> ChunkFileReader::OpenMemory(
    std::span<const uint8_t> bytes) {
  return Open(std::make_unique<MemorySource>(bytes));
}

StatusOr<std::unique_ptr<ChunkFileReader>> ChunkFileReader::Open(std::unique_ptr<Source> source) {
  std::vector<uint8_t> head(format::kMagic.size() + format::kHeaderLengthBytes);
  auto n = source->Read(head);
  if (!n.ok()) return n.status();
  if (*n < head.size() || !std::equal(format::kMagic.begin(), format::kMagic.end(), head.begin())) {
    return InvalidArgumentError("not a Tessera recording file (no TESSERAREC1 magic)");
  }
  const uint32_t json_length = ReadBe32(head.data() + format::kMagic.size());
  if (json_length == 0 || json_length > format::kMaxHeaderJson) {
    return InvalidArgumentError("recording header length " + std::to_string(json_length) +
                                " is not 1 to 65536 bytes");
  }
  head.resize(head.size() + json_length);
  auto m = source->Read(std::span(head).subspan(head.size() - json_length));
  if (!m.ok()) return m.status();
  if (*m < json_length) return InvalidArgumentError("the recording header is cut short");
  auto header = format::ParseHeaderJson(std::span(head).subspan(head.size() - json_length));
  if (!header.ok()) return header.status();
  return std::unique_ptr<ChunkFileReader>(new ChunkFileReader(std::move(source), std::move(*header),
                                                              format::Sha256(head), head.size()));
}

ChunkRead ChunkFileReader::Problem(ChunkProblem::Kind kind, std::string why) {
  problem_ =
      ChunkProblem{kind, next_index_, offset_, Where(next_index_, offset_) + ": " + std::move(why)};
  ChunkRead r;
  r.kind = ChunkRead::Kind::kProblem;
  r.index = next_index_;
  r.offset = offset_;
  r.problem = problem_;
  return r;
}

ChunkRead ChunkFileReader::Next(const SecretKey& data_key) {
  using Kind = ChunkProblem::Kind;
  if (problem_) {
    ChunkRead r;
    r.kind = ChunkRead::Kind::kProblem;
    r.index = problem_->index;
    r.offset = problem_->offset;
    r.problem = problem_;
    return r;
  }
  uint8_t head[format::kChunkHeaderBytes];
  auto n = source_->Read(head);
  if (!n.ok()) return Problem(Kind::kReadError, n.status().message());
  if (ended_) {
    if (*n == 0) return ChunkRead{};  // kEnd, again
    return Problem(Kind::kMalformed, "bytes after the final chunk (appended, or chunks reordered)");
  }
  if (*n == 0) {
    return Problem(Kind::kNoFinal,
                   "no final chunk: the file ends after " + std::to_string(next_index_) +
                       " complete chunks (the recorder stopped uncleanly, or the tail was cut); "
                       "those chunks are intact");
  }
  if (*n < sizeof(head)) {
    return Problem(Kind::kTruncated, "the file ends inside the chunk header (" +
                                         std::to_string(*n) +
                                         " of 13 bytes): a crash mid-write "
                                         "or a cut; the chunks before it are intact");
  }
  const uint32_t length = ReadBe32(head);
  const uint64_t index = format::ReadBe64(head + 4);
  const uint8_t flags = head[12];
  // Checked before anything is allocated or read: a hostile length costs nothing.
  if (length > kMaxChunkPlaintext) {
    return Problem(Kind::kMalformed, "chunk length " + std::to_string(length) +
                                         " is over the 4 MiB limit (changed, or not a chunk)");
  }
  if ((flags & ~format::kFlagFinal) != 0) {
    return Problem(Kind::kMalformed, "unknown flags " + std::to_string(flags) + " (changed)");
  }
  if (index != next_index_) {
    return Problem(Kind::kOutOfOrder, "holds index " + std::to_string(index) + " where " +
                                          std::to_string(next_index_) +
                                          " was expected: chunks were removed, repeated or "
                                          "reordered");
  }
  std::vector<uint8_t> body(length + format::kTagBytes);
  auto m = source_->Read(body);
  if (!m.ok()) return Problem(Kind::kReadError, m.status().message());
  if (*m < body.size()) {
    return Problem(Kind::kTruncated, "the file ends inside the chunk (" + std::to_string(*m) +
                                         " of " + std::to_string(body.size()) +
                                         " bytes): a crash mid-write or a cut; the chunks before "
                                         "it are intact");
  }

  ChunkRead r;
  r.kind = ChunkRead::Kind::kChunk;
  r.index = index;
  r.offset = offset_;
  r.final = (flags & format::kFlagFinal) != 0;
  r.plaintext.resize(length);
  const auto nonce = format::Nonce(header_.nonce_prefix, index);
  const auto aad = format::Aad(header_hash_, index, flags);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, data_key.bytes().data(),
                         nonce.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
      (length == 0 || EVP_DecryptUpdate(ctx.get(), r.plaintext.data(), &len, body.data(),
                                        static_cast<int>(length)) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, format::kTagBytes,
                          body.data() + length) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), r.plaintext.data() + length, &final_len) == 1;
  if (!ok) {
    srtp::TakeOpenSslError();
    return Problem(Kind::kChanged,
                   next_index_ == 0
                       ? "authentication failed: the chunk or the file's header was changed"
                       : "authentication failed: the chunk was changed (or its final flag)");
  }
  offset_ += format::kChunkHeaderBytes + body.size();
  ++next_index_;
  if (r.final) ended_ = true;
  return r;
}

VerifyReport VerifyChunks(ChunkFileReader& reader, const SecretKey& data_key) {
  VerifyReport report;
  report.header = reader.header();
  for (;;) {
    ChunkRead r = reader.Next(data_key);
    if (r.kind == ChunkRead::Kind::kEnd) {
      report.complete = true;
      return report;
    }
    if (r.kind == ChunkRead::Kind::kProblem) {
      report.problem = std::move(r.problem);
      return report;
    }
    ++report.chunks;
    report.plaintext_bytes += r.plaintext.size();
  }
}

namespace {

struct Opened {
  std::unique_ptr<ChunkFileReader> reader;
  SecretKey key;
};

StatusOr<Opened> OpenWithKey(const std::string& path, const KeyStore& store,
                             const KeyWrapper& wrapper) {
  auto reader = ChunkFileReader::OpenFile(path);
  if (!reader.ok()) return reader.status();
  auto key = store.DataKey((*reader)->header().recording_id, wrapper);
  if (!key.ok()) return Status(key.status().code(), path + ": " + key.status().message());
  return Opened{std::move(*reader), *key};
}

}  // namespace

StatusOr<VerifyReport> VerifyRecording(const std::string& path, const KeyStore& store,
                                       const KeyWrapper& wrapper) {
  auto opened = OpenWithKey(path, store, wrapper);
  if (!opened.ok()) return opened.status();
  return VerifyChunks(*opened->reader, opened->key);
}

StatusOr<VerifyReport> DecryptRecording(const std::string& path, const KeyStore& store,
                                        const KeyWrapper& wrapper, const std::string& out_path) {
  auto opened = OpenWithKey(path, store, wrapper);
  if (!opened.ok()) return opened.status();
  const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(StatusCode::kAlreadyExists,
                    out_path + " exists already; decrypt never overwrites: choose another name");
    }
    return ErrnoError("cannot create", out_path, errno);
  }
  VerifyReport report;
  report.header = opened->reader->header();
  Status s;
  for (;;) {
    ChunkRead r = opened->reader->Next(opened->key);
    if (r.kind == ChunkRead::Kind::kEnd) {
      report.complete = true;
      break;
    }
    if (r.kind == ChunkRead::Kind::kProblem) {
      report.problem = std::move(r.problem);
      break;
    }
    size_t done = 0;
    while (s.ok() && done < r.plaintext.size()) {
      const ssize_t n = ::write(fd, r.plaintext.data() + done, r.plaintext.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) s = ErrnoError("cannot write", out_path, errno);
      if (n > 0) done += static_cast<size_t>(n);
    }
    if (!s.ok()) break;
    ++report.chunks;
    report.plaintext_bytes += r.plaintext.size();
  }
  if (s.ok() && ::fsync(fd) != 0) s = ErrnoError("cannot sync", out_path, errno);
  ::close(fd);
  if (!s.ok() || (report.problem && !IsUncleanEnd(*report.problem))) {
    ::unlink(out_path.c_str());
    if (!s.ok()) return s;
  }
  return report;
}

}  // namespace tessera::recorder
