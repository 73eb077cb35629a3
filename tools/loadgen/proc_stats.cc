#include "loadgen/proc_stats.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace tessera::loadgen {
namespace {

template <typename T>
std::optional<T> ToNumber(std::string_view s) {
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // Fields 3.. of proc(5): state is [0], utime [11], stime [12], num_threads [17].
  std::string_view fields[18];
  size_t n = 0;
  while (n < 18) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    const size_t end = rest.find_first_of(" \n");
    fields[n++] = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (n < 18 || fields[0].size() != 1) return std::nullopt;
  const auto utime = ToNumber<uint64_t>(fields[11]);
  const auto stime = ToNumber<uint64_t>(fields[12]);
  const auto threads = ToNumber<int64_t>(fields[17]);
  if (!utime || !stime || !threads) return std::nullopt;
  return ProcStat{fields[0][0], *utime, *stime, *threads};
}

std::optional<int> CountCpuList(std::string_view list) {
  list = Trim(list);
  if (list.empty()) return std::nullopt;
  int count = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t dash = item.find('-');
    const auto first = ToNumber<int>(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : ToNumber<int>(item.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    count += *last - *first + 1;
  }
  return count;
}

std::optional<ProcStatus> ParseProcStatus(std::string_view text) {
  ProcStatus s;
  bool rss = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (key == "VmRSS" || key == "VmHWM") {
      if (value.ends_with(" kB")) value.remove_suffix(3);
      const auto kb = ToNumber<uint64_t>(Trim(value));
      if (!kb) return std::nullopt;
      (key == "VmRSS" ? s.rss_kb : s.hwm_kb) = *kb;
      rss |= key == "VmRSS";
    } else if (key == "Cpus_allowed_list") {
      s.cpus_allowed = CountCpuList(value).value_or(0);
    }
  }
  if (!rss) return std::nullopt;  // a kernel thread or a zombie
  return s;
}

std::optional<ProcessSample> SampleProcess(int pid, int64_t now_us) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/";
  const auto stat_text = ReadFile(dir + "stat");
  const auto status_text = ReadFile(dir + "status");
  if (!stat_text || !status_text) return std::nullopt;
  const auto stat = ParseProcStat(*stat_text);
  const auto status = ParseProcStatus(*status_text);
  if (!stat || !status) return std::nullopt;
  static const long ticks = sysconf(_SC_CLK_TCK);
  ProcessSample s;
  s.at_us = now_us;
  s.cpu_s = static_cast<double>(stat->utime_ticks + stat->stime_ticks) /
            static_cast<double>(ticks > 0 ? ticks : 100);
  s.rss_kb = status->rss_kb;
  s.hwm_kb = status->hwm_kb;
  s.threads = stat->threads;
  s.cpus_allowed = status->cpus_allowed;
  return s;
}

double CoresBetween(const ProcessSample& earlier, const ProcessSample& later) {
  const int64_t us = later.at_us - earlier.at_us;
  if (us <= 0) return 0;
  return (later.cpu_s - earlier.cpu_s) / (static_cast<double>(us) / 1e6);
}

}  // namespace tessera::loadgen
