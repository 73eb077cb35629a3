// Recordings through the API: /v1/rooms/{room}/recordings. The MCU writes no recording itself
// (but for the demo's in-process option): it asks its recorder tier (tessera-recorder, another
// process and in production another host) to record a room; the recorder joins the room as one
// more receive-only participant through this same API and writes encrypted files.
//
// The recorder's API, as this client calls it (bearer token from recording.token_file):
//   POST   {recorder_url}/v1/recordings       {"id","room","profile","region"[,"retention_days"]}
//                                                -> 201 {...,"retention_days","expires"}
//   DELETE {recorder_url}/v1/recordings/{id}                                     -> 200 or 204
//   POST   {recorder_url}/v1/erasures         {"identity","dry_run"}             -> 200
// A start is answered at once (state "starting"); the recorder's answer moves it to "recording"
// or "failed" (with the reason), a stop to "stopping" then "stopped". An erasure likewise
// ("pending", then "done" or "failed"). Each change is an event for the webhooks and the audit
// trail.
#pragma once

#include <tessera/base/status.h>
#include <tessera/control/config.h>
#include <tessera/control/http_client.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tessera::control {

struct RecordingStart {
  std::string room;
  std::string profile;
  std::string region;
  std::string requested_by;  // the token's subject
  // Days the recorder keeps it (1..36500); 0: the recorder's own retention_days.
  uint32_t retention_days = 0;
};

// A person's recordings erased on the recorder (POST /v1/erasures): every recording they appear
// in, whole; dry_run: only listed.
struct ErasureRequest {
  std::string identity;  // the participant's name, as the recorder's catalogue has it
  bool dry_run = false;
  std::string requested_by;  // the token's subject
};

// The JSON bodies of the API's recording routes, checked. InvalidArgument: one error a line.
// POST /v1/rooms/{room}/recordings: {"profile","region","retention_days"}, each optional.
struct RecordingStartBody {
  std::string profile;
  std::string region;
  uint32_t retention_days = 0;  // 0: not given
};
StatusOr<RecordingStartBody> ParseRecordingStartBody(const nlohmann::json& body);
// POST /v1/erasures: {"identity": non-empty string of at most 256 bytes, "dry_run": bool}
// (dry_run optional, false). requested_by is left empty.
StatusOr<ErasureRequest> ParseErasureBody(const nlohmann::json& body);

// Runs on: the API's thread (the control io_context), like the answers of the recorder.
// Errors: FailedPrecondition (no recorder configured; the room already records), NotFound (no
// such recording in the room), Unavailable (stopped).
class RecordingControl {
 public:
  virtual ~RecordingControl() = default;
  virtual StatusOr<nlohmann::json> Start(const RecordingStart& request) = 0;
  virtual StatusOr<nlohmann::json> Stop(const std::string& room, const std::string& id) = 0;
  virtual StatusOr<nlohmann::json> Get(const std::string& room, const std::string& id) = 0;
  virtual nlohmann::json List(const std::string& room) = 0;
  // Erasure: answered at once ({"id","state":"pending",...}); the recorder's answer makes it
  // "done" or "failed". FailedPrecondition where the implementation cannot erase.
  virtual StatusOr<nlohmann::json> StartErasure(const ErasureRequest& request);
  // NotFound: no such erasure (or one of the oldest forgotten: the last 1000 are kept).
  virtual StatusOr<nlohmann::json> GetErasure(const std::string& id);
};

// The recorder tier's client. Keeps the recordings it started (and the last 1000 ended ones).
class RecorderClient : public RecordingControl {
 public:
  // One event per state change: {"type":"recording.starting"|"recording.started"|
  // "recording.failed"|"recording.stopping"|"recording.stopped"|"recording.stop_failed","room",
  // "recording":{...}}; for an erasure {"type":"erasure.requested"|"erasure.completed"|
  // "erasure.failed","erasure":{...}} (the GET's object).
  using EventSink = std::function<void(const nlohmann::json& event)>;

  // InvalidArgument: a bad recorder_url or an unreadable token_file; Internal: no TLS context.
  static StatusOr<std::unique_ptr<RecorderClient>> Create(boost::asio::io_context& io,
                                                          const RecorderConfig& config,
                                                          EventSink on_event);
  ~RecorderClient() override;

  StatusOr<nlohmann::json> Start(const RecordingStart& request) override;
  StatusOr<nlohmann::json> Stop(const std::string& room, const std::string& id) override;
  StatusOr<nlohmann::json> Get(const std::string& room, const std::string& id) override;
  nlohmann::json List(const std::string& room) override;
  StatusOr<nlohmann::json> StartErasure(const ErasureRequest& request) override;
  StatusOr<nlohmann::json> GetErasure(const std::string& id) override;

  // Asks the recorder what it records now, and again every 10 s: takes in the recordings it does
  // not know (state "recording": a node that restarted knows, lists and can stop what it started
  // before) and stops those the recorder no longer records (stopped on the recorder, or the
  // recorder restarted). On io, once the server runs.
  void Resume();

  // Stops the room's running recordings (`why` becomes their reason): someone seen or heard
  // there has not granted consent. On io.
  void StopAll(const std::string& room, const std::string& why);

  // Cancels what is in flight (the recorder goes on recording what it started). On io.
  void Shutdown();

 private:
  struct Recording {
    std::string id;
    std::string room;
    std::string profile;
    std::string region;
    std::string requested_by;
    uint32_t retention_days = 0;  // asked for, then the recorder's (0: not known yet)
    std::string expires;          // the recorder's, RFC 3339; empty: not known yet
    std::string state;            // starting, recording, failed, stopping, stopped
    std::string reason;
    std::string created;
    std::string updated;
    std::shared_ptr<HttpExchange> in_flight;
    bool stop_wanted = false;      // a stop was asked: tried again until the recorder confirms
    uint64_t recording_round = 0;  // reconcile_round_ when it became "recording"
    std::string stop_why;
  };

  struct Erasure {
    std::string id;
    std::string identity;
    bool dry_run = false;
    std::string requested_by;
    std::string state;  // pending, done, failed
    std::string reason;
    std::string created;
    std::string updated;
    nlohmann::json result;  // the recorder's answer, once done
    std::shared_ptr<HttpExchange> in_flight;
  };

  RecorderClient(boost::asio::io_context& io, HttpUrl base, std::string token,
                 std::unique_ptr<HttpClientTls> tls, EventSink on_event);
  static nlohmann::json ToJson(const Recording& r);
  StatusOr<nlohmann::json> StopFor(const std::string& room, const std::string& id,
                                   const std::string& why);
  // `event`: the event's type when it is not the state's own ("recording.stop_failed").
  void SetState(Recording& r, const std::string& state, const std::string& reason,
                const char* event = nullptr);
  void Call(const std::string& id, const std::string& method, const std::string& target,
            std::string body, std::function<void(Recording&, StatusOr<HttpClientReply>)> then);
  void Retire(const std::string& id);
  // The recording's retention_days and expires from a recorder's JSON, where it has them.
  static void TakeRetention(Recording& r, const nlohmann::json& j);
  static nlohmann::json ToJson(const Erasure& e);
  void SetErasureState(Erasure& e, const std::string& state, const std::string& reason);
  // DELETE of a recording the recorder has and this node does not want (its answer only logged).
  void OrphanStop(const std::string& id);

  boost::asio::io_context& io_;
  const HttpUrl base_;
  const std::string token_;
  const std::unique_ptr<HttpClientTls> tls_;
  const EventSink on_event_;
  std::map<std::string, Recording> recordings_;
  std::deque<std::string> ended_;  // oldest first; at most 1000 kept
  bool shut_down_ = false;
  std::shared_ptr<HttpExchange> resume_;  // Resume's request, while in flight
  boost::asio::steady_timer reconcile_timer_;
  std::vector<std::weak_ptr<HttpExchange>> orphan_stops_;  // in flight, for Shutdown
  uint64_t reconcile_round_ = 0;                           // Resume's requests sent
  std::map<std::string, Erasure> erasures_;
  std::deque<std::string> erasures_ended_;  // oldest first; at most 1000 kept
};

}  // namespace tessera::control
