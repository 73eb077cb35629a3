// CPU time and memory of a process from Linux's /proc: /proc/PID/stat (utime, stime, threads)
// and /proc/PID/status (VmRSS, VmHWM, Cpus_allowed_list). Parsers take the file's text, so tests
// feed them fixed samples; parsers return nullopt for text they cannot read.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::loadgen {

struct ProcStat {
  char state = '?';
  uint64_t utime_ticks = 0;  // clock ticks (sysconf(_SC_CLK_TCK))
  uint64_t stime_ticks = 0;
  int64_t threads = 0;
};
// The comm field may hold spaces and parentheses: fields are counted after its last ')'.
std::optional<ProcStat> ParseProcStat(std::string_view text);

struct ProcStatus {
  uint64_t rss_kb = 0;   // VmRSS
  uint64_t hwm_kb = 0;   // VmHWM: the peak RSS
  int cpus_allowed = 0;  // CPUs in Cpus_allowed_list; 0 when absent
};
std::optional<ProcStatus> ParseProcStatus(std::string_view text);

// CPUs in a list such as "0-3,8,10-11"; nullopt when malformed.
std::optional<int> CountCpuList(std::string_view list);

struct ProcessSample {
  int64_t at_us = 0;  // Clock::NowUs() when read
  double cpu_s = 0;   // utime + stime, in seconds
  uint64_t rss_kb = 0;
  uint64_t hwm_kb = 0;
  int64_t threads = 0;
  int cpus_allowed = 0;
};
// Reads /proc/PID/stat and /proc/PID/status; nullopt when the process is gone or unreadable.
std::optional<ProcessSample> SampleProcess(int pid, int64_t now_us);

// Cores busy on average between two samples of one process (CPU seconds per second).
double CoresBetween(const ProcessSample& earlier, const ProcessSample& later);

}  // namespace tessera::loadgen
