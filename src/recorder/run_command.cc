#include <spdlog/spdlog.h>
#include <tessera/audit/audit_log.h>
#include <tessera/control/http_server.h>
#include <tessera/recorder/run_command.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <string>

namespace tessera::recorder {
namespace {

constexpr char kUsage[] = "usage: tessera-recorder run --config FILE";

}  // namespace

int RunRecorder(int argc, char** argv) { return RunRecorder(argc, argv, DefaultSinkFactory); }

int RunRecorder(int argc, char** argv, const SinkFactoryMaker& make_sinks) {
  std::string path;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      path = arg.substr(9);
    } else {
      spdlog::error("unknown argument '{}'; {}", arg, kUsage);
      return 1;
    }
  }
  if (path.empty()) {
    spdlog::error("{}", kUsage);
    return 1;
  }
  auto config = LoadRecorderConfig(path);
  if (!config.ok()) {
    spdlog::error("{}", config.status().message());
    return 1;
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  auto api_token = ReadTokenFile(config->api_token_file, "api_token_file");
  auto mcu_token = ReadTokenFile(config->mcu_token_file, "mcu.token_file");
  if (!api_token.ok() || !mcu_token.ok()) {
    spdlog::error("{}",
                  !api_token.ok() ? api_token.status().message() : mcu_token.status().message());
    return 1;
  }
  auto sinks = make_sinks(*config);
  if (!sinks.ok()) {
    spdlog::error("recorder: {}", sinks.status().message());
    return 1;
  }
  // The recorder host's own audit trail: what it recorded and deleted, and who asked for erasures.
  std::unique_ptr<audit::AuditLog> audit_log;
  if (config->audit.path.empty()) {
    spdlog::warn(
        "recorder: no audit log (audit: path, key_file in {}): recordings started, "
        "stopped and deleted on this host are only in its logs",
        path);
  } else {
    audit::AuditLogOptions options;
    options.path = config->audit.path;
    options.key_file = config->audit.key_file;
    options.key_id = config->audit.key_id;
    auto opened = audit::AuditLog::Open(std::move(options));
    if (!opened.ok()) {
      spdlog::error("recorder: audit log: {}", opened.status().message());
      return 1;
    }
    audit_log = std::move(*opened);
  }
  RecorderService service(*config, std::move(*api_token), std::move(*mcu_token), std::move(*sinks),
                          SystemClock());
  if (audit_log) {
    audit::AuditLog* log = audit_log.get();
    service.SetAudit([log](audit::Event event) { log->Append(std::move(event)); });
  }
  service.Start();

  control::ControlConfig http;
  http.enabled = true;
  http.listen_address = config->listen_address;
  http.port = config->port;
  http.tls_cert_file = config->tls_cert_file;
  http.tls_key_file = config->tls_key_file;
  http.allow_plain_http = config->allow_plain_http;
  control::HttpServer server(http, service, nullptr);
  if (Status s = server.Start(); !s.ok()) {
    spdlog::error("recorder API: {}", s.message());
    service.Shutdown();
    if (audit_log) audit_log->Close();
    return 1;
  }
  spdlog::info("tessera-recorder: API on {}:{}, MCU {}", config->listen_address, server.port(),
               config->mcu_url);

  // SIGTERM (the orchestrator's stop) and SIGINT: every recording is closed and the MCU left.
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (!ec) spdlog::info("recorder: signal {}: closing every recording", signal);
  });
  signals_io.run();
  // New requests are refused first; then the recordings end.
  server.Stop();
  service.Shutdown();
  // After the service: its last recording.stopped events are in the log, then sealed.
  if (audit_log) audit_log->Close();
  spdlog::info("tessera-recorder stopped");
  return 0;
}

}  // namespace tessera::recorder
