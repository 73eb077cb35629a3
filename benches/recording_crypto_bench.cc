// What encryption at rest costs a recording: one second of a 720p recording's container bytes
// (1.5 Mbit/s video + 64 kbit/s audio, about 195 KB) written through EncryptedChunkWriter
// (AES-256-GCM chunks, one Flush a second as the muxer does after each cluster) against the same
// bytes written plainly to a file with the same fdatasync a second (the baseline: what the
// recorder would cost without encryption). The file is under $TMPDIR (a tmpfs makes it the CPU
// alone). Reported per recorded second; per recorded hour multiply by 3600.
// Run: ./build/benches/recording_crypto_bench
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <tessera/recorder/chunk_file.h>
#include <tessera/recorder/key_ring.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace tessera::recorder {
namespace {

constexpr size_t kBytesPerSecond = (1'500'000 + 64'000) / 8;
constexpr size_t kWrite = 1316;  // about one muxed packet at a time, as libavformat writes

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TMPDIR");
  return (std::filesystem::path(dir ? dir : "/tmp") /
          (std::string("tessera_bench_") + name + "_" + std::to_string(::getpid())))
      .string();
}

std::vector<uint8_t> Payload() {
  std::vector<uint8_t> bytes(kBytesPerSecond);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 131 + 7);
  return bytes;
}

void BM_EncryptedSecondOf720p(benchmark::State& state) {
  std::array<uint8_t, kKeyBytes> raw{};
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i);
  const SecretKey key(raw);
  const std::vector<uint8_t> second = Payload();
  const std::string path = TempPath("encrypted");
  std::filesystem::remove(path);
  RecordingHeader header;
  header.recording_id = "bench";
  header.room = "bench";
  auto writer = EncryptedChunkWriter::Create(path, header, key);
  if (!writer.ok()) {
    state.SkipWithError(writer.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    for (size_t at = 0; at < second.size(); at += kWrite) {
      const size_t n = std::min(kWrite, second.size() - at);
      if (!(*writer)->Write(std::span(second.data() + at, n)).ok()) state.SkipWithError("write");
    }
    if (!(*writer)->Flush().ok()) state.SkipWithError("flush");
  }
  (void)(*writer)->Close();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * second.size()));
  state.counters["recorded_s"] = static_cast<double>(state.iterations());
  std::filesystem::remove(path);
}
// One recorded hour each: the file grows as a recording's does (and no more).
BENCHMARK(BM_EncryptedSecondOf720p)->Unit(benchmark::kMicrosecond)->Iterations(3600);

void BM_PlainSecondOf720p(benchmark::State& state) {
  const std::vector<uint8_t> second = Payload();
  const std::string path = TempPath("plain");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    state.SkipWithError("cannot create the file");
    return;
  }
  // Buffered like the writer's chunk: one write a second, then fdatasync.
  std::vector<uint8_t> buffer;
  buffer.reserve(second.size());
  for (auto _ : state) {
    for (size_t at = 0; at < second.size(); at += kWrite) {
      const size_t n = std::min(kWrite, second.size() - at);
      buffer.insert(buffer.end(), second.begin() + at, second.begin() + at + n);
    }
    if (::write(fd, buffer.data(), buffer.size()) != static_cast<ssize_t>(buffer.size())) {
      state.SkipWithError("write");
    }
    ::fdatasync(fd);
    buffer.clear();
  }
  ::close(fd);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * second.size()));
  std::filesystem::remove(path);
}
BENCHMARK(BM_PlainSecondOf720p)->Unit(benchmark::kMicrosecond)->Iterations(3600);

}  // namespace
}  // namespace tessera::recorder
