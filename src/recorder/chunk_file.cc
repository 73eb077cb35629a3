// The recording file's format helpers and its writer; the reader is in chunk_file_reader.cc.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <tessera/base/base64.h>
#include <tessera/base/byte_io.h>
#include <tessera/recorder/chunk_file.h>
#include <tessera/srtp/openssl_error.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "recorder/chunk_file_format.h"
#include "recorder/key_store_io.h"

namespace tessera::recorder {
namespace format {

std::vector<uint8_t> SerializeHeader(const RecordingHeader& h) {
  const nlohmann::json j = {
      {"recording_id", h.recording_id},
      {"room", h.room},
      {"profile", h.profile},
      {"region", h.region},
      {"container", h.container},
      {"started", FormatRfc3339(h.started_s)},
      {"kek_id", h.kek_id},
      {"nonce_prefix", EncodeBase64(h.nonce_prefix)},
      {"chunk_size", h.chunk_size},
  };
  const std::string json = j.dump();
  std::vector<uint8_t> out(kMagic.begin(), kMagic.end());
  ByteWriter w(out);
  w.U32(static_cast<uint32_t>(json.size()));
  w.Bytes(std::span(reinterpret_cast<const uint8_t*>(json.data()), json.size()));
  return out;
}

StatusOr<RecordingHeader> ParseHeaderJson(std::span<const uint8_t> bytes) {
  const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr,
                                                 /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgumentError("the header is not a JSON object");
  RecordingHeader h;
  auto text = [&j](const char* name, std::string& out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return InvalidArgumentError(std::string("the header's \"") + name +
                                  "\" is missing or not a string");
    }
    out = it->get<std::string>();
    return Status::Ok();
  };
  std::string started, prefix;
  for (auto [name, field] : {std::pair<const char*, std::string*>{"recording_id", &h.recording_id},
                             {"room", &h.room},
                             {"profile", &h.profile},
                             {"region", &h.region},
                             {"container", &h.container},
                             {"started", &started},
                             {"kek_id", &h.kek_id},
                             {"nonce_prefix", &prefix}}) {
    TESSERA_RETURN_IF_ERROR(text(name, *field));
  }
  if (!ValidRecordingId(h.recording_id)) {
    return InvalidArgumentError("the header's recording_id is not a valid recording id");
  }
  auto started_s = ParseRfc3339(started);
  if (!started_s) return InvalidArgumentError("the header's \"started\" is not an RFC 3339 time");
  h.started_s = *started_s;
  auto raw_prefix = DecodeBase64(prefix, 16);
  if (!raw_prefix || raw_prefix->size() != h.nonce_prefix.size()) {
    return InvalidArgumentError("the header's \"nonce_prefix\" is not the base64 of 4 bytes");
  }
  std::copy(raw_prefix->begin(), raw_prefix->end(), h.nonce_prefix.begin());
  auto size = j.find("chunk_size");
  if (size == j.end() || !size->is_number_unsigned() || size->get<uint64_t>() == 0 ||
      size->get<uint64_t>() > kMaxChunkPlaintext) {
    return InvalidArgumentError("the header's \"chunk_size\" is not 1 to 4194304");
  }
  h.chunk_size = size->get<uint32_t>();
  return h;
}

Sha256Digest Sha256(std::span<const uint8_t> bytes) {
  Sha256Digest d{};
  SHA256(bytes.data(), bytes.size(), d.data());
  return d;
}

std::array<uint8_t, kNonceBytes> Nonce(const std::array<uint8_t, 4>& prefix, uint64_t index) {
  std::array<uint8_t, kNonceBytes> n{};
  std::copy(prefix.begin(), prefix.end(), n.begin());
  WriteBe64(n.data() + prefix.size(), index);
  return n;
}

std::array<uint8_t, kAadBytes> Aad(const Sha256Digest& header_hash, uint64_t index, uint8_t flags) {
  std::array<uint8_t, kAadBytes> a{};
  std::copy(header_hash.begin(), header_hash.end(), a.begin());
  WriteBe64(a.data() + header_hash.size(), index);
  a[header_hash.size() + 8] = flags;
  return a;
}

}  // namespace format

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

Status WriteAll(int fd, std::span<const uint8_t> bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

class EncryptedChunkWriter::Impl {
 public:
  ~Impl() { OPENSSL_cleanse(plaintext.data(), plaintext.capacity()); }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx;  // holds the key schedule (freed wiped)
  format::Sha256Digest header_hash{};
  std::vector<uint8_t> plaintext;  // reserved to chunk_size once: never reallocated, so no copies
  std::vector<uint8_t> record;     // chunk header, ciphertext, tag: what goes to the disk
};

StatusOr<std::unique_ptr<EncryptedChunkWriter>> EncryptedChunkWriter::Create(
    const std::string& path, RecordingHeader header, const SecretKey& data_key) {
  header.chunk_size = std::clamp<uint32_t>(header.chunk_size, 1, kMaxChunkPlaintext);
  if (RAND_bytes(header.nonce_prefix.data(), static_cast<int>(header.nonce_prefix.size())) != 1) {
    return InternalError("no random bytes for a nonce prefix: " + srtp::TakeOpenSslError());
  }
  auto impl = std::make_unique<Impl>();
  impl->ctx.reset(EVP_CIPHER_CTX_new());
  if (!impl->ctx || EVP_EncryptInit_ex(impl->ctx.get(), EVP_aes_256_gcm(), nullptr,
                                       data_key.bytes().data(), nullptr) != 1) {
    return InternalError("AES-256-GCM setup failed: " + srtp::TakeOpenSslError());
  }
  impl->plaintext.reserve(header.chunk_size);
  impl->record.reserve(format::kChunkHeaderBytes + header.chunk_size + format::kTagBytes);
  const std::vector<uint8_t> header_bytes = format::SerializeHeader(header);
  // The reader refuses a longer header: a file it could never open is not written at all.
  if (header_bytes.size() - format::kMagic.size() - format::kHeaderLengthBytes >
      format::kMaxHeaderJson) {
    return InvalidArgumentError(
        "the recording's header would be over 64 KiB (a room, profile or "
        "region name that long?)");
  }
  impl->header_hash = format::Sha256(header_bytes);

  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(StatusCode::kAlreadyExists,
                    path + " exists already; a recording file is never overwritten");
    }
    return ErrnoError("cannot create", path, errno);
  }
  Status s = WriteAll(fd, header_bytes, path);
  if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoError("cannot sync", path, errno);
  if (s.ok()) s = SyncParentDirectory(path);
  if (!s.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  return std::unique_ptr<EncryptedChunkWriter>(
      new EncryptedChunkWriter(path, std::move(header), fd, std::move(impl)));
}

EncryptedChunkWriter::EncryptedChunkWriter(std::string path, RecordingHeader header, int fd,
                                           std::unique_ptr<Impl> impl)
    : path_(std::move(path)), header_(std::move(header)), fd_(fd), impl_(std::move(impl)) {}

EncryptedChunkWriter::~EncryptedChunkWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status EncryptedChunkWriter::Fail(Status s) {
  failed_ = s;
  return s;
}

Status EncryptedChunkWriter::Write(std::span<const uint8_t> bytes) {
  if (!failed_.ok()) return failed_;
  if (closed_) return FailedPreconditionError(path_ + ": written to after Close");
  const size_t chunk = header_.chunk_size;
  while (!bytes.empty()) {
    const size_t take = std::min(bytes.size(), chunk - impl_->plaintext.size());
    impl_->plaintext.insert(impl_->plaintext.end(), bytes.begin(), bytes.begin() + take);
    bytes = bytes.subspan(take);
    if (impl_->plaintext.size() == chunk) TESSERA_RETURN_IF_ERROR(Seal(/*final=*/false));
  }
  return Status::Ok();
}

Status EncryptedChunkWriter::Flush() {
  if (!failed_.ok()) return failed_;
  if (closed_) return FailedPreconditionError(path_ + ": flushed after Close");
  if (!impl_->plaintext.empty()) TESSERA_RETURN_IF_ERROR(Seal(/*final=*/false));
  if (::fdatasync(fd_) != 0) return Fail(ErrnoError("cannot sync", path_, errno));
  return Status::Ok();
}

Status EncryptedChunkWriter::Close() {
  if (!failed_.ok()) return failed_;
  if (closed_) return FailedPreconditionError(path_ + ": closed twice");
  TESSERA_RETURN_IF_ERROR(Seal(/*final=*/true));
  closed_ = true;
  if (::fdatasync(fd_) != 0) return Fail(ErrnoError("cannot sync", path_, errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Fail(ErrnoError("cannot close", path_, errno));
  return Status::Ok();
}

Status EncryptedChunkWriter::Seal(bool final) {
  const uint8_t flags = final ? format::kFlagFinal : 0;
  const uint64_t index = next_index_;
  std::vector<uint8_t>& plain = impl_->plaintext;
  std::vector<uint8_t>& rec = impl_->record;
  rec.assign(format::kChunkHeaderBytes + plain.size() + format::kTagBytes, 0);
  WriteBe32(rec.data(), static_cast<uint32_t>(plain.size()));
  format::WriteBe64(rec.data() + 4, index);
  rec[12] = flags;
  const auto nonce = format::Nonce(header_.nonce_prefix, index);
  const auto aad = format::Aad(impl_->header_hash, index, flags);
  uint8_t* ciphertext = rec.data() + format::kChunkHeaderBytes;
  EVP_CIPHER_CTX* ctx = impl_->ctx.get();
  int len = 0;
  int final_len = 0;
  const bool ok =
      EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
      (plain.empty() || EVP_EncryptUpdate(ctx, ciphertext, &len, plain.data(),
                                          static_cast<int>(plain.size())) == 1) &&
      EVP_EncryptFinal_ex(ctx, ciphertext + plain.size(), &final_len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, format::kTagBytes,
                          ciphertext + plain.size()) == 1;
  const size_t sealed = plain.size();
  OPENSSL_cleanse(plain.data(), plain.size());
  plain.clear();
  if (!ok) return Fail(InternalError("AES-256-GCM failed: " + srtp::TakeOpenSslError()));
  // One write per chunk: a crash tears at most this chunk, which the reader then reports as the
  // truncated tail after the complete ones.
  Status s = WriteAll(fd_, rec, path_);
  if (!s.ok()) return Fail(s);
  ++next_index_;
  plaintext_bytes_ += sealed;
  return Status::Ok();
}

}  // namespace tessera::recorder
