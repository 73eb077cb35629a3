// The recorder process's recordings: its API (POST/DELETE/GET /v1/recordings) starts and stops
// one RecordingSession and McuClient per recording, each writing through a ByteSink that the
// sink factory makes (the encrypted chunk file in the process; memory in tests).
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/status.h>
#include <tessera/control/http.h>
#include <tessera/recorder/byte_sink.h>
#include <tessera/recorder/recorder_config.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tessera::recorder {

struct RecordingInfo {
  std::string id;  // 32 hex digits, random
  std::string room;
  std::string profile;
  std::string region;
  std::string storage_dir;  // the region's directory
  std::string container;    // "matroska" or "mp4"
  int64_t started_unix_ms = 0;
};

// Makes the sink of a new recording. Runs on: the media thread.
using SinkFactory = std::function<StatusOr<std::unique_ptr<ByteSink>>(const RecordingInfo&)>;

// Runs on: its media thread (every recording, session and MCU client); Handle on the HTTP
// server's thread, which posts to the media thread and waits (at most a few seconds).
class RecorderService : public control::HttpHandler {
 public:
  // mcu_token and api_token: the secrets (already read from their files).
  RecorderService(RecorderConfig config, std::string api_token, std::string mcu_token,
                  SinkFactory sinks, Clock& clock);
  ~RecorderService() override;
  RecorderService(const RecorderService&) = delete;
  RecorderService& operator=(const RecorderService&) = delete;

  // Starts the media thread.
  void Start();
  // Ends every recording (files closed, the MCU told), then the media thread. Idempotent.
  void Shutdown();

  control::HttpResponse Handle(const control::HttpRequest& request) override;

  // What the API calls (from any thread but the media thread).
  // `id`: the MCU's id for it (its API's /recordings/{id}); empty: a random one.
  StatusOr<RecordingInfo> StartRecording(const std::string& room, const std::string& profile,
                                         const std::string& region, const std::string& id = "");
  Status StopRecording(const std::string& id);
  std::vector<std::string> ListJson();

 private:
  struct Recording;
  // Runs `work` on the media thread and waits for it.
  template <class T>
  T OnMedia(std::function<T()> work);
  StatusOr<RecordingInfo> StartOnMedia(RecordingInfo info);
  Status StopOnMedia(const std::string& id);

  const RecorderConfig config_;
  const std::string api_token_;
  const std::string mcu_token_;
  SinkFactory sinks_;
  Clock& clock_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::map<std::string, std::unique_ptr<Recording>> recordings_;  // on the media thread
  bool accepting_ = true;                                         // on the media thread
};

}  // namespace tessera::recorder
