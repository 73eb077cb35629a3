// Arbitrary bytes as the content of a recording file (<id>.tsrec), read through ChunkFileReader
// with a fixed data key. Besides not crashing: the reader stops at the first problem and keeps
// reporting it, never returns more plaintext than the input held, and never yields a chunk after
// the end. (Chunks only authenticate under the right key, so past the header most inputs stop
// at chunk 0; the seeds are real files written under this key to reach further.)
#include <tessera/recorder/chunk_file.h>
#include <tessera/recorder/key_ring.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tessera::recorder::ChunkFileReader;
  using tessera::recorder::ChunkRead;
  static const tessera::recorder::SecretKey kKey = [] {
    std::array<uint8_t, tessera::recorder::kKeyBytes> bytes{};
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
    return tessera::recorder::SecretKey(bytes);
  }();
  auto reader = ChunkFileReader::OpenMemory(std::span<const uint8_t>(data, size));
  if (!reader.ok()) return 0;
  size_t plaintext = 0;
  uint64_t expected_index = 0;
  for (;;) {
    ChunkRead r = (*reader)->Next(kKey);
    if (r.kind == ChunkRead::Kind::kEnd) {
      if ((*reader)->Next(kKey).kind != ChunkRead::Kind::kEnd) abort();
      break;
    }
    if (r.kind == ChunkRead::Kind::kProblem) {
      if (!r.problem || r.problem->index != expected_index) abort();
      const ChunkRead again = (*reader)->Next(kKey);
      if (again.kind != ChunkRead::Kind::kProblem || again.problem->kind != r.problem->kind) {
        abort();
      }
      break;
    }
    if (r.index != expected_index++) abort();
    plaintext += r.plaintext.size();
    if (plaintext > size) abort();
  }
  return 0;
}
