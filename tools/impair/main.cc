// tessera-impair: a seeded UDP impairment relay for tests. Each --map LISTEN_PORT:TARGET_PORT
// forwards datagrams arriving on LISTEN_PORT to TARGET_PORT through the up impairment model
// (--impair), and replies from the target back to the last sender through the down model (--down;
// none by default). Both take the same SPEC: faults (drop, duplicate, reorder) and a constrained
// link (a rate-limited bottleneck with a drop-tail queue, delay, jitter).
//
//   tessera-impair --impair drop=0.02,reorder=0.05,duplicate=0.02,seed=7 --map 6000:5004
//   tessera-impair --down rate=500k,queue_ms=200,delay_ms=40,jitter_ms=10 --map 6000:5004
//
// Every mapping has a model per direction: mapping i seeds its up model with seed+i and its down
// model with seed+i+2^32, so equal specs still give independent streams. Delayed datagrams are
// sent by a timer at their departure times.
//
// Commands on stdin, one per line, each answered with one line on stdout, "ok" or
// "error: REASON":
//   up SPEC     replaces the up direction's whole spec on every mapping (omitted keys take their
//               defaults: "up" alone lifts every impairment)
//   down SPEC   the same for the down direction, e.g. "down rate=0" lifts the rate limit
// A new spec applies to datagrams that arrive from then on: queued ones keep their departure
// times, and the random streams go on (a seed in a command is ignored). The end of stdin ends the
// commands, not the relay; a stdin that cannot be polled (a file, /dev/null) is not read.
//
// Prints "ready" once every port is bound, and its statistics as one JSON line per mapping and
// direction (up first) when it ends (SIGINT/SIGTERM), after sending every datagram still held
// back or queued.
#include <fcntl.h>
#include <sys/epoll.h>
#include <tessera/net/impairment.h>
#include <tessera/net/udp_socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using tessera::net::Endpoint;
using tessera::net::ImpairmentConfig;
using tessera::net::ImpairmentModel;
using tessera::net::UdpSocket;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kDownSeedOffset = uint64_t{1} << 32;
constexpr size_t kMaxCommandBytes = 4096;

// One direction of one mapping: its model, and the timer that sends what the model delays.
struct Direction {
  Direction(boost::asio::io_context& io, const char* name) : name(name), timer(io) {}
  const char* name;
  std::unique_ptr<ImpairmentModel> model;
  boost::asio::steady_timer timer;
  std::optional<int64_t> armed_us;  // the departure the pending wait is for
  std::function<void(std::span<const uint8_t>)> send;
};

struct Mapping {
  explicit Mapping(boost::asio::io_context& io) : up(io, "up"), down(io, "down") {}
  std::unique_ptr<UdpSocket> listen;
  std::unique_ptr<UdpSocket> upstream;
  Endpoint target;
  Endpoint client;
  bool have_client = false;
  Direction up;    // client -> target
  Direction down;  // target -> client
};

// Runs on: the io_context's thread (main's).
class Relay {
 public:
  explicit Relay(boost::asio::io_context& io) : io_(io), origin_(Clock::now()), commands_(io) {}

  bool AddMapping(const std::string& host, uint16_t listen_port, uint16_t target_port,
                  ImpairmentConfig up, ImpairmentConfig down) {
    const size_t i = mappings_.size();
    auto m = std::make_unique<Mapping>(io_);
    auto listen = UdpSocket::Open(io_, host, listen_port);
    auto upstream = UdpSocket::Open(io_, host, 0);
    if (!listen.ok() || !upstream.ok()) {
      std::fprintf(stderr, "tessera-impair: %s\n",
                   (!listen.ok() ? listen.status() : upstream.status()).message().c_str());
      return false;
    }
    m->listen = std::move(*listen);
    m->upstream = std::move(*upstream);
    m->target = Endpoint(boost::asio::ip::make_address(host), target_port);
    up.seed += i;  // independent but reproducible streams per mapping and direction
    down.seed += i + kDownSeedOffset;
    m->up.model = std::make_unique<ImpairmentModel>(up);
    m->down.model = std::make_unique<ImpairmentModel>(down);
    Mapping* mp = m.get();
    mp->up.send = [mp](std::span<const uint8_t> d) { mp->upstream->SendTo(d, mp->target); };
    mp->down.send = [mp](std::span<const uint8_t> d) { mp->listen->SendTo(d, mp->client); };
    mp->listen->Start([this, mp](std::span<const uint8_t> d, const Endpoint& from) {
      mp->client = from;
      mp->have_client = true;
      Receive(mp->up, d);
    });
    mp->upstream->Start([this, mp](std::span<const uint8_t> d, const Endpoint&) {
      if (mp->have_client) Receive(mp->down, d);
    });
    std::printf("listening %s:%u -> %u\n", host.c_str(), mp->listen->local_port(), target_port);
    mappings_.push_back(std::move(m));
    return true;
  }

  // Reads commands from fd (a dup of stdin that epoll accepts), which the relay then owns.
  void StartCommands(int fd) {
    boost::system::error_code ec;
    commands_.assign(fd, ec);
    if (ec) {
      ::close(fd);
      return;
    }
    ReadCommands();
  }

  // Takes in what the sockets already hold, sends everything still held back or queued, and
  // stops the io_context.
  void Shutdown() {
    for (auto& m : mappings_) {
      m->listen->Drain();
      m->upstream->Drain();
    }
    for (auto& m : mappings_) {
      for (Direction* d : {&m->up, &m->down}) {
        for (auto& out : d->model->Flush()) d->send(out);
        d->timer.cancel();
      }
    }
    boost::system::error_code ignored;
    commands_.close(ignored);
    io_.stop();
  }

  void PrintStats() const {
    for (size_t i = 0; i < mappings_.size(); ++i) {
      for (const Direction* d : {&mappings_[i]->up, &mappings_[i]->down}) {
        const auto& s = d->model->stats();
        std::printf(
            "{\"map\":%zu,\"dir\":\"%s\",\"in\":%llu,\"out\":%llu,\"dropped\":%llu,"
            "\"duplicated\":%llu,\"reordered\":%llu,\"rate_dropped\":%llu,\"delayed\":%llu}\n",
            i, d->name, static_cast<unsigned long long>(s.in),
            static_cast<unsigned long long>(s.out), static_cast<unsigned long long>(s.dropped),
            static_cast<unsigned long long>(s.duplicated),
            static_cast<unsigned long long>(s.reordered),
            static_cast<unsigned long long>(s.rate_dropped),
            static_cast<unsigned long long>(s.delayed));
      }
    }
    std::fflush(stdout);
  }

 private:
  int64_t NowUs() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - origin_).count();
  }

  void Receive(Direction& d, std::span<const uint8_t> data) {
    d.model->Push({data.begin(), data.end()}, NowUs());
    Release(d);
  }

  // Sends what is due (on a link without delay: the datagram that just arrived) and waits for
  // the next departure.
  void Release(Direction& d) {
    for (auto& out : d.model->Pop(NowUs())) d.send(out);
    Arm(d);
  }

  void Arm(Direction& d) {
    const auto next = d.model->NextDepartureUs();
    if (!next || (d.armed_us && *d.armed_us <= *next)) return;
    d.armed_us = *next;
    d.timer.expires_at(origin_ + std::chrono::microseconds(*next));  // aborts a later wait
    d.timer.async_wait([this, &d](const boost::system::error_code& ec) {
      if (ec == boost::asio::error::operation_aborted) return;  // replaced by an earlier departure
      d.armed_us.reset();
      Release(d);
    });
  }

  void ReadCommands() {
    commands_.async_read_some(
        boost::asio::buffer(read_buffer_), [this](const boost::system::error_code& ec, size_t n) {
          if (ec) {
            // End of input (or an error): a last line without its newline still counts, and
            // the relay goes on without commands.
            if (ec != boost::asio::error::operation_aborted && !pending_.empty()) {
              HandleCommand(pending_);
            }
            pending_.clear();
            boost::system::error_code ignored;
            commands_.close(ignored);
            return;
          }
          pending_.append(read_buffer_.data(), n);
          for (size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
            HandleCommand(std::string_view(pending_).substr(0, nl));
            pending_.erase(0, nl + 1);
          }
          if (pending_.size() > kMaxCommandBytes) {
            Answer("error: command longer than " + std::to_string(kMaxCommandBytes) + " bytes");
            pending_.clear();
          }
          ReadCommands();
        });
  }

  // "up SPEC" or "down SPEC": replaces that direction's spec on every mapping.
  void HandleCommand(std::string_view line) {
    auto trim = [](std::string_view s) {
      const char* ws = " \t\r\n";
      size_t b = s.find_first_not_of(ws);
      if (b == std::string_view::npos) return std::string_view();
      return s.substr(b, s.find_last_not_of(ws) - b + 1);
    };
    line = trim(line);
    if (line.empty()) return;
    size_t space = line.find_first_of(" \t");
    std::string_view verb = line.substr(0, space);
    std::string_view spec = space == std::string_view::npos ? "" : trim(line.substr(space));
    if (verb != "up" && verb != "down") {
      Answer("error: unknown command '" + std::string(verb) + "' (want up SPEC or down SPEC)");
      return;
    }
    auto config = tessera::net::ParseImpairmentSpec(spec);
    if (!config.ok()) {
      Answer("error: " + config.status().message());
      return;
    }
    for (auto& m : mappings_) (verb == "up" ? m->up : m->down).model->SetConfig(*config);
    Answer("ok");
  }

  static void Answer(const std::string& text) {
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }

  boost::asio::io_context& io_;
  const Clock::time_point origin_;  // time 0 of the models' clocks
  std::vector<std::unique_ptr<Mapping>> mappings_;
  boost::asio::posix::stream_descriptor commands_;
  std::array<char, 1024> read_buffer_{};
  std::string pending_;  // a command line still without its newline
};

// A dup of stdin for commands, or -1 when stdin is closed or cannot be polled (epoll refuses
// regular files and /dev/null). Called before any socket is opened, so that a closed stdin's
// descriptor number, reused by a socket, is not mistaken for stdin.
int CommandInput() {
  int fd = ::fcntl(0, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return -1;
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  const bool pollable = ep >= 0 && ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
  if (ep >= 0) ::close(ep);
  if (!pollable) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int Usage() {
  std::fprintf(
      stderr,
      "usage: tessera-impair [--host 127.0.0.1] [--impair SPEC] [--down SPEC] --map LISTEN:TARGET "
      "[--map ...]\n"
      "  --impair SPEC  impairs client -> target (up); --down SPEC target -> client (down)\n"
      "  SPEC: comma-separated, every key optional:\n"
      "    drop=P,duplicate=P,reorder=P (P in [0, 1]),depth=N (1..64),seed=N,\n"
      "    rate=BPS (bits/s, suffix k, M or G; 0 = unlimited),queue_ms=MS (default 200),\n"
      "    delay_ms=MS,jitter_ms=MS\n"
      "  stdin, one command a line, answered 'ok' or 'error: REASON' on stdout:\n"
      "    up SPEC | down SPEC   replace that direction's whole spec on every mapping\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string up_spec, down_spec;
  std::vector<std::pair<uint16_t, uint16_t>> maps;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--host") {
      host = v;
    } else if (a == "--impair") {
      up_spec = v;
    } else if (a == "--down") {
      down_spec = v;
    } else if (a == "--map") {
      unsigned l = 0, t = 0;
      if (std::sscanf(v.c_str(), "%u:%u", &l, &t) != 2 || l > 65535 || t == 0 || t > 65535) {
        return Usage();
      }
      maps.emplace_back(static_cast<uint16_t>(l), static_cast<uint16_t>(t));
    } else {
      return Usage();
    }
  }
  if (maps.empty()) return Usage();
  auto up = tessera::net::ParseImpairmentSpec(up_spec);
  auto down = tessera::net::ParseImpairmentSpec(down_spec);
  if (!up.ok() || !down.ok()) {
    std::fprintf(stderr, "tessera-impair: %s%s\n", up.ok() ? "--down: " : "",
                 (up.ok() ? down.status() : up.status()).message().c_str());
    return 2;
  }

  const int command_fd = CommandInput();
  // Reading sets O_NONBLOCK on stdin's open file, which a terminal shares with the shell: put
  // its flags back at the end.
  const int stdin_flags = command_fd >= 0 ? ::fcntl(0, F_GETFL) : -1;
  boost::asio::io_context io;
  Relay relay(io);
  for (const auto& [listen, target] : maps) {
    if (!relay.AddMapping(host, listen, target, *up, *down)) return 1;
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { relay.Shutdown(); });
  std::printf("ready\n");
  std::fflush(stdout);
  if (command_fd >= 0) relay.StartCommands(command_fd);
  io.run();
  if (stdin_flags >= 0) ::fcntl(0, F_SETFL, stdin_flags);

  relay.PrintStats();
  return 0;
}
