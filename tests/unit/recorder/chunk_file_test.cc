#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <tessera/base/byte_io.h>
#include <tessera/recorder/chunk_file.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace tessera::recorder {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Where each chunk starts and how long it is, found by walking the layout (not the reader).
struct Span {
  size_t offset;
  size_t size;
};
std::vector<Span> ChunkSpans(const std::vector<uint8_t>& file) {
  size_t pos = 12 + 4 + ReadBe32(file.data() + 12);
  std::vector<Span> spans;
  while (pos + 13 <= file.size()) {
    const size_t size = 13 + ReadBe32(file.data() + pos) + 16;
    spans.push_back({pos, size});
    pos += size;
  }
  return spans;
}

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return v;
}

class ChunkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "chunk_file_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/keys");
    store_ = std::make_unique<KeyStore>(dir_ + "/keys");
    auto kek = SecretKey::Random();
    ASSERT_TRUE(kek.ok());
    ASSERT_TRUE(ring_.AddKey("2026-12", *kek).ok());
    ASSERT_TRUE(ring_.SetActive("2026-12").ok());
    RecordingEntry entry;
    entry.id = "rec-1";
    entry.room = "board";
    entry.region = "eu";
    entry.started_s = 1'800'000'000;
    entry.expires_s = entry.started_s + 3600;
    auto key = store_->Create(entry, ring_);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = *key;
    path_ = dir_ + "/rec-1.tsrec";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<EncryptedChunkWriter> NewWriter(uint32_t chunk_size = 1000) {
    RecordingHeader header;
    header.recording_id = "rec-1";
    header.room = "board";
    header.region = "eu";
    header.started_s = 1'800'000'000;
    header.kek_id = "2026-12";
    header.chunk_size = chunk_size;
    auto w = EncryptedChunkWriter::Create(path_, header, key_);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }

  // `n` chunks of 100 bytes each, one per Flush; `close` adds the (empty) final chunk.
  std::vector<uint8_t> WriteChunks(int n, bool close) {
    auto w = NewWriter();
    std::vector<uint8_t> all;
    for (int i = 0; i < n; ++i) {
      const auto part = Pattern(100, static_cast<uint8_t>(i));
      EXPECT_TRUE(w->Write(part).ok());
      EXPECT_TRUE(w->Flush().ok());
      all.insert(all.end(), part.begin(), part.end());
    }
    if (close) {
      EXPECT_TRUE(w->Close().ok());
    }
    return all;
  }

  VerifyReport Verify() {
    auto r = VerifyRecording(path_, *store_, ring_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<KeyStore> store_;
  LocalKeyRing ring_;
  SecretKey key_;
};

TEST_F(ChunkFileTest, RoundTripsManyWritesAndFlushes) {
  auto w = NewWriter(/*chunk_size=*/1000);
  std::vector<uint8_t> expected;
  for (int i = 0; i < 200; ++i) {
    const auto part = Pattern(static_cast<size_t>(1 + (i * 37) % 2500), static_cast<uint8_t>(i));
    ASSERT_TRUE(w->Write(part).ok());
    expected.insert(expected.end(), part.begin(), part.end());
    if (i % 7 == 0) {
      ASSERT_TRUE(w->Flush().ok());
    }
  }
  ASSERT_TRUE(w->Close().ok());
  EXPECT_FALSE(w->Close().ok());
  EXPECT_FALSE(w->Write(Pattern(1, 0)).ok());

  const std::string out = dir_ + "/out.mkv";
  auto r = DecryptRecording(path_, *store_, ring_, out);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->complete);
  EXPECT_FALSE(r->problem);
  EXPECT_EQ(r->chunks, w->chunks_written());
  EXPECT_EQ(r->plaintext_bytes, expected.size());
  EXPECT_EQ(ReadFile(out), expected);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(r->header.room, "board");
}

TEST_F(ChunkFileTest, NoPlaintextReachesTheFile) {
  const std::string marker = "PLAINTEXT-MARKER-0123456789";
  auto w = NewWriter();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        w->Write(std::span(reinterpret_cast<const uint8_t*>(marker.data()), marker.size())).ok());
  }
  ASSERT_TRUE(w->Close().ok());
  const auto file = ReadFile(path_);
  EXPECT_EQ(std::search(file.begin(), file.end(), marker.begin(), marker.end()), file.end());
}

TEST_F(ChunkFileTest, NamesTheChunkWithAFlippedByte) {
  WriteChunks(5, /*close=*/true);
  auto file = ReadFile(path_);
  const auto spans = ChunkSpans(file);
  ASSERT_EQ(spans.size(), 6u);  // 5 and the final
  file[spans[3].offset + 13 + 50] ^= 0x01;
  WriteFile(path_, file);
  const VerifyReport r = Verify();
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kChanged);
  EXPECT_EQ(r.problem->index, 3u);
  EXPECT_EQ(r.problem->offset, spans[3].offset);
  EXPECT_THAT(r.problem->message,
              HasSubstr("chunk 3 at byte offset " + std::to_string(spans[3].offset)));
  EXPECT_EQ(r.chunks, 3u);
  EXPECT_FALSE(r.complete);
}

TEST_F(ChunkFileTest, ACutFinalFlagIsCaught) {
  WriteChunks(2, /*close=*/true);
  auto file = ReadFile(path_);
  const auto spans = ChunkSpans(file);
  file[spans[2].offset + 12] = 0;  // the final chunk claims not to be
  WriteFile(path_, file);
  const VerifyReport r = Verify();
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kChanged);
  EXPECT_EQ(r.problem->index, 2u);
}

TEST_F(ChunkFileTest, AChangedHeaderFailsTheFirstChunk) {
  WriteChunks(2, /*close=*/true);
  auto file = ReadFile(path_);
  const std::string room = "\"board\"";
  auto it = std::search(file.begin(), file.end(), room.begin(), room.end());
  ASSERT_NE(it, file.end());
  *(it + 1) = 'B';
  WriteFile(path_, file);
  const VerifyReport r = Verify();
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kChanged);
  EXPECT_EQ(r.problem->index, 0u);
}

TEST_F(ChunkFileTest, ARemovedChunkIsCaught) {
  WriteChunks(4, /*close=*/true);
  auto file = ReadFile(path_);
  const auto spans = ChunkSpans(file);
  file.erase(file.begin() + static_cast<long>(spans[1].offset),
             file.begin() + static_cast<long>(spans[1].offset + spans[1].size));
  WriteFile(path_, file);
  const VerifyReport r = Verify();
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kOutOfOrder);
  EXPECT_EQ(r.problem->index, 1u);
  EXPECT_EQ(r.problem->offset, spans[1].offset);
  EXPECT_THAT(r.problem->message, HasSubstr("index 2 where 1 was expected"));
}

TEST_F(ChunkFileTest, ReorderedChunksAreCaught) {
  WriteChunks(4, /*close=*/true);
  const auto file = ReadFile(path_);
  const auto spans = ChunkSpans(file);
  std::vector<uint8_t> swapped(file.begin(), file.begin() + static_cast<long>(spans[1].offset));
  for (int i : {2, 1, 3, 4}) {
    const auto b = file.begin() + static_cast<long>(spans[i].offset);
    swapped.insert(swapped.end(), b, b + static_cast<long>(spans[i].size));
  }
  WriteFile(path_, swapped);
  const VerifyReport r = Verify();
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kOutOfOrder);
  EXPECT_EQ(r.problem->index, 1u);
}

TEST_F(ChunkFileTest, WithoutCloseEveryFlushedChunkSurvivesAndNoFinalIsSaid) {
  const auto expected = WriteChunks(3, /*close=*/false);  // as after kill -9
  const VerifyReport r = Verify();
  EXPECT_EQ(r.chunks, 3u);
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kNoFinal);
  EXPECT_TRUE(IsUncleanEnd(*r.problem));
  EXPECT_THAT(r.problem->message, HasSubstr("no final chunk"));

  const std::string out = dir_ + "/out.mkv";
  auto d = DecryptRecording(path_, *store_, ring_, out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(ReadFile(out), expected);
}

TEST_F(ChunkFileTest, APartialLastChunkKeepsAllCompleteOnes) {
  const auto all = WriteChunks(3, /*close=*/false);
  auto file = ReadFile(path_);
  const auto spans = ChunkSpans(file);
  file.resize(spans[2].offset + 20);  // torn inside chunk 2
  WriteFile(path_, file);
  const VerifyReport r = Verify();
  EXPECT_EQ(r.chunks, 2u);
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kTruncated);
  EXPECT_EQ(r.problem->index, 2u);

  const std::string out = dir_ + "/out.mkv";
  auto d = DecryptRecording(path_, *store_, ring_, out);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(ReadFile(out), std::vector<uint8_t>(all.begin(), all.begin() + 200));
}

TEST_F(ChunkFileTest, DecryptRemovesItsOutputOnAChangedChunkAndNeverOverwrites) {
  WriteChunks(3, /*close=*/true);
  const std::string out = dir_ + "/out.mkv";
  WriteFile(out, {1, 2, 3});
  auto refused = DecryptRecording(path_, *store_, ring_, out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(out), (std::vector<uint8_t>{1, 2, 3}));

  auto file = ReadFile(path_);
  file[ChunkSpans(file)[1].offset + 14] ^= 0x80;
  WriteFile(path_, file);
  const std::string out2 = dir_ + "/out2.mkv";
  auto d = DecryptRecording(path_, *store_, ring_, out2);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->problem);
  EXPECT_FALSE(std::filesystem::exists(out2));
}

TEST_F(ChunkFileTest, BytesAfterTheFinalChunkAreCaught) {
  WriteChunks(1, /*close=*/true);
  auto file = ReadFile(path_);
  file.push_back(0);
  WriteFile(path_, file);
  const VerifyReport r = Verify();
  ASSERT_TRUE(r.problem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kMalformed);
  EXPECT_EQ(r.chunks, 2u);
}

TEST_F(ChunkFileTest, ALengthOverFourMebibytesIsRefusedUnread) {
  WriteChunks(1, /*close=*/true);
  auto file = ReadFile(path_);
  const auto spans = ChunkSpans(file);
  WriteBe32(file.data() + spans[0].offset, (4u << 20) + 1);
  auto reader = ChunkFileReader::OpenMemory(file);
  ASSERT_TRUE(reader.ok());
  const ChunkRead r = (*reader)->Next(key_);
  ASSERT_EQ(r.kind, ChunkRead::Kind::kProblem);
  EXPECT_EQ(r.problem->kind, ChunkProblem::Kind::kMalformed);
  EXPECT_THAT(r.problem->message, HasSubstr("4 MiB"));
  // Sticky: the reader does not resynchronise past a bad chunk.
  EXPECT_EQ((*reader)->Next(key_).kind, ChunkRead::Kind::kProblem);
}

TEST_F(ChunkFileTest, AWrongKekFailsWithAClearError) {
  WriteChunks(1, /*close=*/true);
  LocalKeyRing other;
  auto kek = SecretKey::Random();
  ASSERT_TRUE(kek.ok());
  ASSERT_TRUE(other.AddKey("2026-12", *kek).ok());  // same id, another key
  ASSERT_TRUE(other.SetActive("2026-12").ok());
  auto r = VerifyRecording(path_, *store_, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("does not open with key-encryption key"));

  LocalKeyRing missing;
  ASSERT_TRUE(missing.AddKey("2027-06", *kek).ok());
  ASSERT_TRUE(missing.SetActive("2027-06").ok());
  auto m = VerifyRecording(path_, *store_, missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr("no key-encryption key \"2026-12\""));
}

TEST_F(ChunkFileTest, ADestroyedKeyMeansNoDecryption) {
  WriteChunks(2, /*close=*/true);
  ASSERT_TRUE(store_->Destroy("rec-1").ok());
  auto r = DecryptRecording(path_, *store_, ring_, dir_ + "/out.mkv");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("key of recording \"rec-1\" was destroyed"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/out.mkv"));
}

TEST_F(ChunkFileTest, RefusesToOverwriteARecordingAndReadsNoForeignFile) {
  WriteChunks(1, /*close=*/true);
  RecordingHeader header;
  header.recording_id = "rec-1";
  auto again = EncryptedChunkWriter::Create(path_, header, key_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);

  const std::vector<uint8_t> junk = {'n', 'o', 't',  ' ', 'a', ' ', 'f', 'i', 'l',
                                     'e', '!', '\n', 0,   0,   0,   2,   '{', '}'};
  auto reader = ChunkFileReader::OpenMemory(junk);
  ASSERT_FALSE(reader.ok());
  EXPECT_THAT(reader.status().message(), HasSubstr("not a Tessera recording"));
}

}  // namespace
}  // namespace tessera::recorder
