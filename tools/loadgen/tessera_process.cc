#include "loadgen/tessera_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "loadgen/proc_stats.h"

namespace tessera::loadgen {
namespace {

std::optional<cpu_set_t> ParseCpuSet(std::string_view list) {
  if (!CountCpuList(list)) return std::nullopt;
  cpu_set_t set;
  CPU_ZERO(&set);
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t dash = item.find('-');
    int first = 0, last = 0;
    std::from_chars(item.data(),
                    item.data() + (dash == std::string_view::npos ? item.size() : dash), first);
    last = first;
    if (dash != std::string_view::npos) {
      std::from_chars(item.data() + dash + 1, item.data() + item.size(), last);
    }
    for (int c = first; c <= last && c < CPU_SETSIZE; ++c) CPU_SET(c, &set);
  }
  return set;
}

}  // namespace

std::string CurrentCpuList() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return "";
  std::string list;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    int last = c;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!list.empty()) list += ',';
    list += std::to_string(c);
    if (last > c) {
      list += '-';
      list += std::to_string(last);
    }
    c = last;
  }
  return list;
}

Status PinCallingThread(std::string_view cpus) {
  const auto set = ParseCpuSet(cpus);
  if (!set) return InvalidArgumentError("bad CPU list: " + std::string(cpus));
  if (sched_setaffinity(0, sizeof(*set), &*set) != 0) {
    return InvalidArgumentError("cannot run on CPUs " + std::string(cpus) + ": " +
                                std::strerror(errno));
  }
  return Status::Ok();
}

std::optional<double> JsonNumber(std::string_view json, std::string_view key, size_t from) {
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict inside operator+ chains
  // of std::string.
  std::string quoted;
  quoted.reserve(key.size() + 3);
  quoted += '"';
  quoted += key;
  quoted += "\":";
  const size_t at = json.find(quoted, from);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string rest(json.substr(at + quoted.size(), 32));
  char* end = nullptr;
  const double v = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str()) return std::nullopt;
  return v;
}

std::map<std::string, ServerRoomSummary> ParseServerSummaries(
    const std::vector<std::string>& lines) {
  std::map<std::string, ServerRoomSummary> rooms;
  const auto number = [](const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
  };
  for (const std::string& line : lines) {
    if (!line.starts_with('{')) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    // A room's lines: one per medium, without a participant.
    if (!j.is_object() || !j.contains("room") || !j["room"].is_string() ||
        j.contains("participant")) {
      continue;
    }
    ServerRoomSummary& s = rooms[j["room"].get<std::string>()];
    const auto media = j.find("media");
    if (media == j.end()) {
      s.audio_ticks = number(j, "ticks");
      s.audio_skipped_ticks = number(j, "skipped_ticks");
    } else if (*media == "video") {
      s.video_ticks = number(j, "ticks");
      s.video_skipped_ticks = number(j, "skipped_ticks");
      s.video_late_ticks = number(j, "late_ticks");
      s.tick_cost_p50_ms = number(j, "tick_cost_p50_ms");
      s.tick_cost_p99_ms = number(j, "tick_cost_p99_ms");
      const auto latency = j.find("latency_ms");
      if (latency != j.end() && latency->is_object()) {
        if (latency->contains("p50")) s.latency_p50_ms = number(*latency, "p50");
        if (latency->contains("p99")) s.latency_p99_ms = number(*latency, "p99");
      }
    }
  }
  return rooms;
}

StatusOr<std::unique_ptr<TesseraProcess>> TesseraProcess::Start(const TesseraOptions& o) {
  std::optional<cpu_set_t> cpus;
  if (!o.cpus.empty()) {
    cpus = ParseCpuSet(o.cpus);
    if (!cpus) return InvalidArgumentError("bad CPU list: " + o.cpus);
  }
  if (access(o.binary.c_str(), X_OK) != 0) {
    return InvalidArgumentError("cannot run " + o.binary + ": " + strerror(errno));
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return InternalError("pipe2: " + std::string(strerror(errno)));
  const std::string log = o.log_path.empty() ? "/dev/null" : o.log_path;
  std::vector<std::string> args = {o.binary, "--config", o.config_path};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return InternalError("fork: " + std::string(strerror(errno)));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec. The server dies with the load
    // generator (PR_SET_PDEATHSIG), so a crashed or killed run leaves no server behind.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (cpus && sched_setaffinity(0, sizeof(*cpus), &*cpus) != 0) _exit(126);
    const int in = open("/dev/null", O_RDONLY);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err, 2) < 0) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::unique_ptr<TesseraProcess> p(new TesseraProcess());
  p->pid_ = pid;
  auto ready = p->ready_.get_future();
  p->reader_ = std::thread([raw = p.get(), fd = out[0]] { raw->ReadLines(fd); });
  if (ready.wait_for(std::chrono::seconds(o.ready_timeout_s)) != std::future_status::ready ||
      !ready.get()) {
    const Exit e = p->Stop(5);
    return UnavailableError(o.binary + " did not get ready (exit status " +
                            std::to_string(e.status) + "; its log: " + log + ")");
  }
  return p;
}

void TesseraProcess::ReadLines(int fd) {
  std::string pending;
  bool ready = false;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      if (!ready && line.find("tessera: ready") != std::string::npos) {
        ready = true;
        ready_.set_value(true);
      } else if (ready) {
        lines_.push_back(std::move(line));
      }
    }
  }
  if (!pending.empty() && ready) lines_.push_back(pending);
  close(fd);
  if (!ready) ready_.set_value(false);
  closed_.set_value();
}

TesseraProcess::Exit TesseraProcess::Stop(int timeout_s) {
  Exit e;
  if (stopped_ || pid_ < 0) return e;
  stopped_ = true;
  kill(pid_, SIGTERM);
  // stdout closes when the server exits; after the timeout it is killed.
  if (closed_.get_future().wait_for(std::chrono::seconds(timeout_s)) != std::future_status::ready) {
    kill(pid_, SIGKILL);
  }
  if (reader_.joinable()) reader_.join();
  int status = 0;
  waitpid(pid_, &status, 0);
  e.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  e.lines = std::move(lines_);
  return e;
}

TesseraProcess::~TesseraProcess() {
  if (!stopped_ && pid_ > 0) (void)Stop(5);
}

}  // namespace tessera::loadgen
