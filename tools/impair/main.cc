// tessera-impair: a seeded UDP impairment relay for tests. Each --map LISTEN_PORT:TARGET_PORT
// forwards datagrams arriving on LISTEN_PORT to TARGET_PORT through the impairment model, and
// forwards replies from the target back to the last sender unimpaired.
//
//   tessera-impair --impair drop=0.02,reorder=0.05,duplicate=0.02,seed=7 --map 6000:5004
//
// Prints "ready" once every port is bound, and its statistics as one JSON line when it ends
// (SIGINT/SIGTERM), after flushing any datagrams still held back.
#include <tessera/net/impairment.h>
#include <tessera/net/udp_socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using tessera::net::Endpoint;
using tessera::net::ImpairmentModel;
using tessera::net::UdpSocket;

struct Mapping {
  std::unique_ptr<UdpSocket> listen;
  std::unique_ptr<UdpSocket> upstream;
  Endpoint target;
  Endpoint client;
  bool have_client = false;
  std::unique_ptr<ImpairmentModel> model;
};

int Usage() {
  std::fprintf(stderr,
               "usage: tessera-impair [--host 127.0.0.1] [--impair SPEC] --map LISTEN:TARGET "
               "[--map ...]\n  SPEC: drop=P,duplicate=P,reorder=P,depth=N,seed=N\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::string spec;
  std::vector<std::pair<uint16_t, uint16_t>> maps;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string v = argv[++i];
    if (a == "--host") {
      host = v;
    } else if (a == "--impair") {
      spec = v;
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
  auto config = tessera::net::ParseImpairmentSpec(spec);
  if (!config.ok()) {
    std::fprintf(stderr, "tessera-impair: %s\n", config.status().message().c_str());
    return 2;
  }

  boost::asio::io_context io;
  std::vector<std::unique_ptr<Mapping>> mappings;
  for (size_t i = 0; i < maps.size(); ++i) {
    auto m = std::make_unique<Mapping>();
    auto listen = UdpSocket::Open(io, host, maps[i].first);
    auto upstream = UdpSocket::Open(io, host, 0);
    if (!listen.ok() || !upstream.ok()) {
      std::fprintf(stderr, "tessera-impair: %s\n",
                   (!listen.ok() ? listen.status() : upstream.status()).message().c_str());
      return 1;
    }
    m->listen = std::move(*listen);
    m->upstream = std::move(*upstream);
    m->target = Endpoint(boost::asio::ip::make_address(host), maps[i].second);
    auto c = *config;
    c.seed += i;  // independent but reproducible streams per mapping
    m->model = std::make_unique<ImpairmentModel>(c);
    Mapping* mp = m.get();
    mp->listen->Start([mp](std::span<const uint8_t> d, const Endpoint& from) {
      mp->client = from;
      mp->have_client = true;
      for (auto& out : mp->model->Process({d.begin(), d.end()})) {
        mp->upstream->SendTo(out, mp->target);
      }
    });
    mp->upstream->Start([mp](std::span<const uint8_t> d, const Endpoint&) {
      if (mp->have_client) mp->listen->SendTo(d, mp->client);
    });
    std::printf("listening %s:%u -> %u\n", host.c_str(), mp->listen->local_port(), maps[i].second);
    mappings.push_back(std::move(m));
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    for (auto& m : mappings) {
      m->listen->Drain();
      for (auto& out : m->model->Flush()) m->upstream->SendTo(out, m->target);
    }
    io.stop();
  });
  std::printf("ready\n");
  std::fflush(stdout);
  io.run();

  for (size_t i = 0; i < mappings.size(); ++i) {
    const auto& s = mappings[i]->model->stats();
    std::printf(
        "{\"map\":%zu,\"in\":%llu,\"out\":%llu,\"dropped\":%llu,\"duplicated\":%llu,"
        "\"reordered\":%llu}\n",
        i, static_cast<unsigned long long>(s.in), static_cast<unsigned long long>(s.out),
        static_cast<unsigned long long>(s.dropped), static_cast<unsigned long long>(s.duplicated),
        static_cast<unsigned long long>(s.reordered));
  }
  return 0;
}
