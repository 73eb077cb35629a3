// tessera: the MCU server.
//
//   tessera                        run the embedded default configuration
//   tessera --config FILE          run FILE
//   tessera --check-config FILE    validate FILE and exit
//   tessera --print-default-config print the embedded default configuration
//   tessera --control-stdin        also take operator commands on stdin (see docs/operations.md)
//   tessera --log-format json      one JSON object per log line, for log shippers
//   tessera --probe-hw [--json]    print what hardware video acceleration this machine offers
#include <signal.h>
#include <tessera/base/heap.h>
#include <tessera/base/logging.h>
#include <tessera/cluster/cluster_node.h>
#include <tessera/codec/hw_probe.h>
#include <tessera/codec/libav_log.h>
#include <tessera/control/console.h>
#include <tessera/control/service.h>
#include <tessera/control/sip_control.h>
#include <tessera/control/webrtc_control.h>
#include <tessera/sipua/sip_service.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "app/audit_trail.h"
#include "app/cluster_glue.h"
#include "app/config.h"
#include "app/control_plane.h"
#include "app/server.h"

namespace {

constexpr const char* kUsage =
    "usage: tessera [--config FILE] [--check-config FILE] [--print-default-config] "
    "[--log-level LEVEL] [--log-format text|json] [--control-stdin] [--probe-hw [--json]] "
    "[--version]\n"
    "  --log-level LEVEL       trace, debug, info, warn, error, critical or off; overrides\n"
    "                          server.log_level\n"
    "  --log-format text|json  how log lines on stderr look: text (default), or json: one\n"
    "                          object a line (time, level, thread, logger, message) for log\n"
    "                          shippers; overrides server.log_format\n"
    "  --probe-hw   print the GPUs, NVDEC/NVENC codecs and QSV implementation this machine\n"
    "               offers for video, and why each missing one is missing; exits 0 (also when\n"
    "               only the CPU is usable). With --config, uses its hardware block's devices.\n"
    "  --json       with --probe-hw: one JSON object instead of text\n";

int Fail(const tessera::Status& s) {
  std::fprintf(stderr, "tessera: %s\n", s.message().c_str());
  return 1;
}

// Every 10 s without a signal: freed heap the allocator holds (after a burst of calls or an
// INVITE flood) goes back to the system when there is enough of it to matter. Here, on the main
// thread, because the trim locks each malloc arena in turn and no media runs on this thread.
void TrimHeap() {
  static tessera::HeapTrimmer trimmer;  // the main thread's only
  const std::optional<tessera::HeapTrimResult> r = trimmer.MaybeTrim();
  if (!r) return;
  const auto mb = [](uint64_t b) { return static_cast<double>(b) / (1 << 20); };
  const double returned =
      r->resident_before > r->resident_after ? mb(r->resident_before - r->resident_after) : 0.0;
  spdlog::log(
      returned >= 1.0 ? spdlog::level::info : spdlog::level::debug,
      "heap: gave {:.1f} MB back to the system (resident {:.1f} -> {:.1f} MB; {:.1f} MB in use, "
      "{:.1f} MB were free)",
      returned, mb(r->resident_before), mb(r->resident_after), mb(r->before.in_use_bytes),
      mb(r->before.free_bytes));
}

// Waits for SIGINT or SIGTERM; SIGHUP in between reloads what the control plane can reload.
// What the node tells the cluster it decodes and encodes with.
std::string ClusterBackendName(const tessera::app::HardwareConfig& hw) {
  if (hw.required) return tessera::codec::HwBackendName(*hw.required);
  std::string out;
  for (const auto b : hw.backends)
    out += (out.empty() ? "" : ",") + std::string(tessera::codec::HwBackendName(b));
  return out;
}

int WaitForStop(const sigset_t& signals, tessera::app::ControlPlane* api,
                tessera::app::AuditTrail* audit) {
  for (;;) {
    timespec wait{10, 0};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig < 0) {
      TrimHeap();  // EAGAIN: the 10 s passed (EINTR: a stop signal follows)
      continue;
    }
    if (sig != SIGHUP) return sig;
    if (api) {
      const std::string outcome = api->Reload();
      spdlog::info("SIGHUP: {}", outcome);
      if (audit) audit->ConfigReloaded(outcome);
    } else {
      spdlog::info("SIGHUP: nothing to reload (no control block)");
    }
  }
}

// The participants of every room: a drain lets their rooms run on for them.
size_t LiveParticipants(tessera::session::RoomDirectory& rooms) {
  size_t n = 0;
  for (const auto& room : rooms.ListRooms()) {
    auto members = rooms.Participants(room.name);
    if (members.ok()) n += members->size();
  }
  return n;
}

// Until the grace period ends or the last participant left; a second SIGTERM or a SIGINT
// ends it at once. Returns the signal that ends the process.
int Drain(const sigset_t& signals, tessera::session::RoomDirectory& rooms, uint32_t grace_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_s);
  spdlog::info(
      "draining: readyz answers 503, no new rooms or joins; up to {} s for {} live "
      "participants",
      grace_s, LiveParticipants(rooms));
  for (;;) {
    const size_t live = LiveParticipants(rooms);
    if (live == 0) {
      spdlog::info("draining: no live participants left");
      return SIGTERM;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      spdlog::info("draining: grace period over, ending {} participants", live);
      return SIGTERM;
    }
    // Checked once a second: the roster has no event to wait on across every front end.
    timespec wait{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) return sig;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::string log_level;
  std::string log_format;
  bool check_only = false;
  bool control_stdin = false;
  bool probe_hw = false;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "--check-config") && i + 1 < argc) {
      config_path = argv[++i];
      check_only = a == "--check-config";
    } else if (a == "--log-level" && i + 1 < argc) {
      log_level = argv[++i];
    } else if (a == "--log-format" && i + 1 < argc) {
      log_format = argv[++i];
    } else if (a == "--control-stdin") {
      control_stdin = true;
    } else if (a == "--probe-hw") {
      probe_hw = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--print-default-config") {
      std::fputs(std::string(tessera::app::DefaultConfigYaml()).c_str(), stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("tessera 0.1.0\n");
      return 0;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "tessera: unknown argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }

  auto config = config_path.empty() ? tessera::app::LoadDefaultConfig()
                                    : tessera::app::LoadConfigFile(config_path);
  if (!config.ok()) return Fail(config.status());
  if (json && !probe_hw) {
    std::fprintf(stderr, "tessera: --json goes with --probe-hw\n%s", kUsage);
    return 2;
  }
  if (probe_hw) {
    tessera::codec::HwProbeOptions options;
    options.device.cuda_device = static_cast<int>(config->hardware.cuda_device);
    options.device.qsv_device = config->hardware.qsv_device;
    const auto report = tessera::codec::ProbeHardware(options);
    const std::string out = json ? tessera::codec::FormatHwProbeJson(report) + "\n"
                                 : tessera::codec::FormatHwProbeText(report);
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  if (check_only) {
    size_t room_participants = 0;
    for (const auto& r : config->rooms) room_participants += r.participants.size();
    std::printf("%s: OK (%zu recording participants, %zu rooms with %zu participants)\n",
                config->source.c_str(), config->participants.size(), config->rooms.size(),
                room_participants);
    return 0;
  }
  if (!log_level.empty()) config->server.log_level = log_level;
  if (!log_format.empty()) config->server.log_format = log_format;
  const auto format = tessera::ParseLogFormat(config->server.log_format);
  if (!format.ok()) return Fail(format.status());
  if (auto s = tessera::InitLogging(config->server.log_level, *format); !s.ok()) return Fail(s);
  tessera::codec::RouteLibavLogsToSpdlog();

  // Block the signals before any thread starts, so only the wait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer that reset its connection must cost an error, never the process: hiredis writes with
  // write(), not send(MSG_NOSIGNAL) (Asio's sockets already never raise it).
  std::signal(SIGPIPE, SIG_IGN);

  const tessera::app::Config config_copy = *config;
  // Opened first and declared before the server and the API, so it outlives both: the rooms'
  // observer and the API's hook write to it until they are gone.
  auto audit = tessera::app::AuditTrail::Open(config_copy.audit);
  if (!audit.ok()) return Fail(audit.status());
  const std::unique_ptr<tessera::app::AuditTrail> audit_trail = std::move(*audit);
  tessera::app::Server server(std::move(*config));
  if (auto s = server.Start(); !s.ok()) return Fail(s);
  if (audit_trail) server.rooms().AddObserver(audit_trail->observer());
  // The SIP user agent (the `sip` block), on its own thread; it joins callers to the rooms.
  std::unique_ptr<tessera::sipua::SipService> sip;
  std::atomic<tessera::cluster::ClusterNode*> sip_locator{nullptr};
  if (config_copy.sip.enabled) {
    sip = std::make_unique<tessera::sipua::SipService>(
        config_copy.sip, config_copy.server.bind_address, server.rooms());
    if (config_copy.cluster.enabled) {
      // A caller of a room another node runs gets a 302 there, once the cluster runs.
      sip->SetRoomLocator([&sip_locator](const std::string& user) -> std::optional<std::string> {
        tessera::cluster::ClusterNode* c = sip_locator.load();
        return c ? c->LocateSip(user) : std::nullopt;
      });
    }
    if (auto s = sip->Start(); !s.ok()) {
      server.Stop();
      return Fail(s);
    }
  }
  // One service for both front ends: the stdin console and the HTTP API.
  const std::unique_ptr<tessera::control::SipControl> sip_control =
      sip ? tessera::app::MakeSipControl(sip.get()) : nullptr;
  const std::unique_ptr<tessera::control::ControlService> service =
      tessera::app::MakeControlService(server.rooms(), config_copy, sip_control.get());
  const std::unique_ptr<tessera::control::WebRtcControl> webrtc_control =
      tessera::app::MakeWebRtcControl(server.webrtc());
  std::unique_ptr<tessera::app::ControlPlane> api;
  // The cluster (the `cluster` block): started once the API runs, stopped before it.
  std::unique_ptr<tessera::cluster::ClusterNode> cluster;
  std::unique_ptr<tessera::control::RoomPlacement> placement;
  if (config_copy.control.enabled) {
    api = std::make_unique<tessera::app::ControlPlane>(
        config_copy.control, *service, server.rooms(), sip_control.get(), webrtc_control.get());
    if (audit_trail) {
      api->SetAuditHook(audit_trail->ApiHook());
      api->SetRecordingEventHook(audit_trail->RecorderEventHook());
    }
    if (config_copy.cluster.enabled) {
      tessera::cluster::ClusterConfig cc = config_copy.cluster;
      cc.backend = ClusterBackendName(config_copy.hardware);
      auto to_audit =
          audit_trail ? audit_trail->ClusterHook() : std::function<void(const nlohmann::json&)>();
      cluster = std::make_unique<tessera::cluster::ClusterNode>(
          std::move(cc),
          tessera::app::MakeClusterHooks(server.rooms(), *service, config_copy.server.bind_address,
                                         [api = api.get(), to_audit](const nlohmann::json& event) {
                                           api->EmitEvent(event);
                                           if (to_audit) to_audit(event);
                                         }));
      placement = tessera::app::MakeRoomPlacement(*cluster);
      api->SetPlacement(placement.get());
    }
    if (auto s = api->Start(); !s.ok()) {
      if (sip) sip->Stop();
      server.Stop();
      return Fail(s);
    }
    if (cluster) {
      cluster->SetApiPort(api->port());
      if (auto s = cluster->Start(); !s.ok()) {
        api->Stop();
        if (sip) sip->Stop();
        server.Stop();
        return Fail(s);
      }
      sip_locator = cluster.get();
    }
  }
  std::printf("tessera: ready\n");
  std::fflush(stdout);

  // Operator commands, one per line; each is answered with one line ("ok ..." or "error: ...").
  // The reader thread blocks in getline and is detached, so what it shares with main lives until
  // the process exits (static), and it touches the service only while `stopping` is false.
  static std::mutex control_mu;
  static bool stopping = false;
  tessera::control::Console console(*service);
  if (control_stdin) {
    std::thread([&console] {
      std::string line;
      while (std::getline(std::cin, line)) {
        std::lock_guard lock(control_mu);
        if (stopping) return;
        const std::string reply = console.Handle(line);
        std::printf("%s\n", reply.c_str());
        std::fflush(stdout);
      }
    }).detach();
  }

  int sig = WaitForStop(signals, api.get(), audit_trail.get());
  if (sig == SIGTERM && api) {
    // Draining: readyz 503, no new rooms or joins; calls in progress go on up to the grace
    // period (a second SIGTERM or a SIGINT ends it at once).
    api->Drain();
    server.rooms().Drain();
    sig = Drain(signals, server.rooms(), config_copy.control.drain_grace_s);
  }
  spdlog::info("tessera stopping on signal {}", sig);
  {
    std::lock_guard lock(control_mu);
    stopping = true;
  }
  // The cluster first: its leases go (other nodes take the rooms that are API rooms) before the
  // rooms end here, and no heartbeat sees them end (which would forget them).
  if (cluster) cluster->Stop();
  if (api) api->Stop();
  if (sip) sip->Stop();
  server.Stop();
  if (audit_trail) audit_trail->Close();  // after the rooms ended: their events are in it
  for (const auto& line : server.SummaryLines()) std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  return 0;
}
