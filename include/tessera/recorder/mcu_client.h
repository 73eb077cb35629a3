// The recorder's side of the MCU's participants API (docs/openapi.json): it joins a room as a
// receive-only participant whose audio mix and video composite come to the recorder's ports,
// checks that it is still there, re-joins when it is not, and leaves.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>
#include <tessera/srtp/srtp_suite.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::recorder {

// Fresh SDES keys for one recording (RAND_bytes, srtp::GenerateSrtpKey): `key` protects what the
// recorder sends (its RTCP feedback), `send_key` what the MCU sends it. The raw bytes are for
// the RecordingSession; the "inline:<base64>" forms travel only in the join request (TLS in
// production).
struct SrtpKeys {
  srtp::SrtpSuite suite = srtp::SrtpSuite::kAesCm128HmacSha1_80;
  std::vector<uint8_t> key;
  std::vector<uint8_t> send_key;
  std::string key_inline;
  std::string send_key_inline;
};
StatusOr<SrtpKeys> GenerateSrtpKeys(srtp::SrtpSuite suite);

struct McuClientConfig {
  std::string url;      // the MCU's API base: http(s)://host[:port]
  std::string ca_file;  // its certificate's CA; empty: the system's
  std::string token;    // bearer token (operator role or above)
  std::string room;
  std::string participant_name;  // "recorder-<recording id>"
  // Where the MCU sends the media: the recorder's media address as the MCU reaches it.
  std::string media_address = "127.0.0.1";
  uint16_t audio_port = 0;
  uint16_t video_port = 0;  // 0: no video
  uint8_t audio_payload_type = 111;
  int audio_channels = 1;
  std::optional<rtp::Codec> video_codec = rtp::Codec::kH264;
  uint8_t video_payload_type = 96;
  std::string profile;  // the room's video profile to record; empty: the room's first
  SrtpKeys keys;
  // While joined: one GET of the room's participant list (is the recorder still there, and who
  // is in the room) this often.
  int64_t check_interval_ms = 5000;
  int64_t request_timeout_ms = 5000;
  int64_t max_backoff_ms = 30'000;
};

// The POST /v1/rooms/{room}/participants body for `config` (public for tests and docs).
nlohmann::json JoinBody(const McuClientConfig& config);

// What one GET /v1/rooms/{room}/participants answer says.
struct RoomParticipants {
  bool self_present = false;  // a participant with the recorder's id (or, without one, its name)
  // The names of those whose media a recording holds: everyone admitted who sends audio or video.
  // Left out: the recorder itself, other recorders ("recorder-..."), receive-only viewers (a
  // "sends": false field when the MCU gives one; otherwise a name ending in ".viewer", the WebRTC
  // viewers' names) and participants still waiting for their PIN ("admitted": false). Sorted,
  // each once.
  std::vector<std::string> senders;
};
// nullopt when `body` is not {"participants":[...]}. Public for tests.
std::optional<RoomParticipants> ParseRoomParticipants(std::string_view body,
                                                      std::optional<uint32_t> self_id,
                                                      const std::string& self_name);

// Join: POST the participant (201: its id is kept). Check: GET the room's participant list every
// check_interval_ms (one request); the recorder missing from it, a 404 (the room is gone, or the
// MCU restarted) or a refused connection re-joins. Each good list gives on_participants the names
// of those who send media (ParseRoomParticipants), so the recording's catalogue says who appears
// in it. OnSilence(true) (no media for 3 s, from the RecordingSession) re-joins too. A
// re-join first tells the owner (on_gap: the recording marks the gap), DELETEs the old
// participant (best effort), then POSTs again; a failed join is retried after 1, 2, 4 .. 30 s
// (max_backoff_ms), each try logged, for as long as the client runs: it never gives up while
// the recording is active. A 409 (a participant of the same name is left over) deletes it first.
//
// Runs on: `io` (the recording's executor). Create on any thread; Start, OnSilence and Stop on io.
class McuClient : public std::enable_shared_from_this<McuClient> {
 public:
  using GapHandler = std::function<void(std::string reason)>;
  // The senders of each participant list read (RoomParticipants::senders). Runs on io.
  using ParticipantsHandler = std::function<void(std::vector<std::string> names)>;

  // InvalidArgument for a URL that is not http(s)://host[:port]; Internal when the TLS client
  // context cannot be made.
  static StatusOr<std::shared_ptr<McuClient>> Create(boost::asio::io_context& io,
                                                     McuClientConfig config, GapHandler on_gap,
                                                     ParticipantsHandler on_participants = nullptr);
  ~McuClient();

  void Start();
  // From the session's watchdog: true while there is no media, false when it is back.
  void OnSilence(bool silent);
  // Leaves the room (DELETE, best effort, within request_timeout_ms), then calls done on io.
  void Stop(std::function<void()> done);

  bool joined() const { return participant_id_.has_value(); }
  uint64_t joins() const { return joins_; }
  uint64_t failed_tries() const { return failed_tries_; }

 private:
  struct Impl;
  struct Answer;

  McuClient(boost::asio::io_context& io, McuClientConfig config, GapHandler on_gap,
            ParticipantsHandler on_participants, std::unique_ptr<Impl> impl);
  void Join();
  void OnJoinAnswer(const Answer& answer);
  void ScheduleJoin(std::string why);
  void Rejoin(std::string reason);
  void ArmCheck();
  void Check();
  void Request(std::string method, std::string target, std::string body,
               std::function<void(const Answer&)> done);
  std::string ParticipantsPath() const;

  boost::asio::io_context& io_;
  McuClientConfig config_;
  GapHandler on_gap_;
  ParticipantsHandler on_participants_;
  std::unique_ptr<Impl> impl_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer check_timer_;
  std::optional<uint32_t> participant_id_;
  bool running_ = false;
  bool joining_ = false;  // a POST is in flight or scheduled
  int consecutive_failures_ = 0;
  uint64_t joins_ = 0;
  uint64_t failed_tries_ = 0;
};

}  // namespace tessera::recorder
