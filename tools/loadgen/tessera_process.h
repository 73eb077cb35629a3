// A Tessera server started by the load generator: spawned on a config, ready when it prints
// "tessera: ready", stopped with SIGTERM, and its summary lines (one JSON line per room and
// participant, printed at stop) read back for the figures only the server knows: ticks, skipped
// ticks, its own latency measure.
#pragma once

#include <tessera/base/status.h>

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tessera::loadgen {

// The CPUs the calling thread may run on, as a list ("0-3,6"); empty when it cannot be read.
std::string CurrentCpuList();
// Restricts the calling thread, and the threads it starts afterwards, to a CPU list ("2-7,9").
Status PinCallingThread(std::string_view cpus);

// The number after "key": in a JSON line, searching from `from`; nullopt when absent.
std::optional<double> JsonNumber(std::string_view json, std::string_view key, size_t from = 0);

struct ServerRoomSummary {
  // From the room's video line.
  double video_ticks = 0;
  double video_skipped_ticks = 0;
  double video_late_ticks = 0;
  double tick_cost_p50_ms = 0;
  double tick_cost_p99_ms = 0;
  std::optional<double> latency_p50_ms;  // Tessera's MCU-added latency
  std::optional<double> latency_p99_ms;
  // From the room's audio line.
  double audio_ticks = 0;
  double audio_skipped_ticks = 0;
};

// Room summaries by room name, from the server's stdout lines.
std::map<std::string, ServerRoomSummary> ParseServerSummaries(
    const std::vector<std::string>& lines);

struct TesseraOptions {
  std::string binary;
  std::string config_path;
  std::string log_path;  // the server's stderr
  // CPUs the server may run on ("0-1"); empty: the load generator's own.
  std::string cpus;
  int ready_timeout_s = 30;
};

// Runs on: the thread that created it (the stdout reader is its own thread).
class TesseraProcess {
 public:
  // Returns once the server said it is ready; an error when it could not be started, exited or
  // stayed silent for ready_timeout_s (it is killed then).
  static StatusOr<std::unique_ptr<TesseraProcess>> Start(const TesseraOptions& options);
  ~TesseraProcess();  // kills a server still running

  int pid() const { return pid_; }
  // SIGTERM; after timeout_s SIGKILL. Returns the server's stdout lines after "ready" and its
  // exit status (the shell's convention: 128 + signal when killed).
  struct Exit {
    int status = 0;
    std::vector<std::string> lines;
  };
  Exit Stop(int timeout_s = 60);

 private:
  TesseraProcess() = default;
  void ReadLines(int fd);

  int pid_ = -1;
  std::thread reader_;
  std::promise<bool> ready_;
  std::promise<void> closed_;
  std::vector<std::string> lines_;  // written by the reader; read after it is joined
  bool stopped_ = false;
};

}  // namespace tessera::loadgen
