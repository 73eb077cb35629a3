// The recorder tier's client (recordings.h).
#include <openssl/rand.h>
#include <tessera/base/logging.h>
#include <tessera/control/recordings.h>

#include <array>
#include <chrono>
#include <set>
#include <utility>

#include "control/room_json.h"
#include "control/webhook_target.h"

namespace tessera::control {
namespace {

constexpr size_t kMaxEnded = 1000;
constexpr std::chrono::milliseconds kCallTimeout{10000};
constexpr std::chrono::seconds kReconcileInterval{10};
// An erasure deletes every recording of one person before the recorder answers.
constexpr std::chrono::milliseconds kErasureTimeout{120000};

std::string NewId(const char* prefix = "rec-") {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = prefix;
  for (const unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0x0f]);
  }
  return id;
}

std::string Now() { return Iso8601(std::chrono::system_clock::now()); }

// What the recorder said: its problem's detail, else the status.
std::string Why(const StatusOr<HttpClientReply>& reply) {
  if (!reply.ok()) return reply.status().message();
  std::string why = "the recorder answered " + std::to_string(reply->status);
  std::optional<nlohmann::json> body = ParseJsonText(reply->body);
  if (body && body->is_object()) {
    const auto detail = body->find("detail");
    if (detail != body->end() && detail->is_string()) why += ": " + detail->get<std::string>();
  }
  return why;
}

}  // namespace

StatusOr<std::unique_ptr<RecorderClient>> RecorderClient::Create(boost::asio::io_context& io,
                                                                 const RecorderConfig& config,
                                                                 EventSink on_event) {
  StatusOr<HttpUrl> base = ParseHttpUrl(config.url, "control.recorder.url");
  if (!base.ok()) return base.status();
  if (base->target != "/") {
    return InvalidArgumentError("control.recorder.url '" + config.url +
                                "' has a path: give the recorder's scheme, host and port only");
  }
  StatusOr<std::string> token = ReadSecret(config.token_file, "control.recorder.token_file");
  if (!token.ok()) return token.status();
  std::unique_ptr<HttpClientTls> tls;
  if (base->tls) {
    auto made = HttpClientTls::Create(config.ca_file);
    if (!made.ok()) return InternalError("control.recorder: " + made.status().message());
    tls = std::move(made.value());
  }
  return std::unique_ptr<RecorderClient>(new RecorderClient(
      io, std::move(base.value()), std::move(token.value()), std::move(tls), std::move(on_event)));
}

RecorderClient::RecorderClient(boost::asio::io_context& io, HttpUrl base, std::string token,
                               std::unique_ptr<HttpClientTls> tls, EventSink on_event)
    : io_(io),
      base_(std::move(base)),
      token_(std::move(token)),
      tls_(std::move(tls)),
      on_event_(std::move(on_event)),
      reconcile_timer_(io) {}

RecorderClient::~RecorderClient() = default;

nlohmann::json RecorderClient::ToJson(const Recording& r) {
  nlohmann::json j = {{"id", r.id},           {"room", r.room},
                      {"profile", r.profile}, {"region", r.region},
                      {"state", r.state},     {"requested_by", r.requested_by},
                      {"created", r.created}, {"updated", r.updated}};
  j["retention_days"] = r.retention_days ? nlohmann::json(r.retention_days) : nlohmann::json();
  j["expires"] = r.expires.empty() ? nlohmann::json() : nlohmann::json(r.expires);
  if (!r.reason.empty()) j["reason"] = r.reason;
  return j;
}

void RecorderClient::TakeRetention(Recording& r, const nlohmann::json& j) {
  if (!j.is_object()) return;
  const auto days = j.find("retention_days");
  if (days != j.end() && days->is_number_unsigned() && days->get<uint64_t>() >= 1 &&
      days->get<uint64_t>() <= 36500) {
    r.retention_days = days->get<uint32_t>();
  }
  const auto expires = j.find("expires");
  if (expires != j.end() && expires->is_string() &&
      expires->get_ref<const std::string&>().size() <= 64) {
    r.expires = expires->get<std::string>();
  }
}

void RecorderClient::SetState(Recording& r, const std::string& state, const std::string& reason,
                              const char* event) {
  if (state == "recording" && r.state != "recording") r.recording_round = reconcile_round_;
  r.state = state;
  r.reason = reason;
  r.updated = Now();
  static const std::map<std::string, std::string> kEvent = {{"starting", "recording.starting"},
                                                            {"recording", "recording.started"},
                                                            {"failed", "recording.failed"},
                                                            {"stopping", "recording.stopping"},
                                                            {"stopped", "recording.stopped"}};
  if (state == "failed" || (!reason.empty() && state != "stopped")) {
    spdlog::warn("control: recording {} of room {} failed: {}", r.id, r.room, reason);
  } else {
    spdlog::info("control: recording {} of room {}: {}", r.id, r.room, state);
  }
  if (on_event_) {
    on_event_(
        {{"type", event ? event : kEvent.at(state)}, {"room", r.room}, {"recording", ToJson(r)}});
  }
  if (state == "failed" || state == "stopped") Retire(r.id);
}

void RecorderClient::Retire(const std::string& id) {
  ended_.push_back(id);
  while (ended_.size() > kMaxEnded) {
    recordings_.erase(ended_.front());
    ended_.pop_front();
  }
}

void RecorderClient::Call(const std::string& id, const std::string& method,
                          const std::string& target, std::string body,
                          std::function<void(Recording&, StatusOr<HttpClientReply>)> then) {
  HttpClientRequest request;
  request.method = method;
  request.target = target;
  request.headers = {{"Authorization", "Bearer " + token_}};
  if (!body.empty()) request.content_type = "application/json";
  request.body = std::move(body);
  request.timeout = kCallTimeout;
  Recording& r = recordings_.at(id);
  r.in_flight =
      HttpExchange::Start(io_, base_, tls_.get(), std::move(request),
                          [this, id, then = std::move(then)](StatusOr<HttpClientReply> reply) {
                            const auto it = recordings_.find(id);
                            if (shut_down_ || it == recordings_.end()) return;
                            it->second.in_flight.reset();
                            then(it->second, std::move(reply));
                          });
}

StatusOr<nlohmann::json> RecorderClient::Start(const RecordingStart& request) {
  if (shut_down_) return UnavailableError("the node is stopping");
  for (const auto& [id, r] : recordings_) {
    if (r.room == request.room && (r.state == "starting" || r.state == "recording")) {
      return FailedPreconditionError("room '" + request.room + "' already records (" + id +
                                     "); stop that recording first");
    }
  }
  std::string id = NewId();
  if (id.empty()) return InternalError("no random bytes for a recording id");
  Recording r;
  r.id = id;
  r.room = request.room;
  r.profile = request.profile;
  r.region = request.region;
  r.requested_by = request.requested_by;
  r.retention_days = request.retention_days;
  r.created = Now();
  recordings_[id] = std::move(r);
  Recording& stored = recordings_.at(id);
  SetState(stored, "starting", "");
  nlohmann::json body = {
      {"id", id}, {"room", request.room}, {"profile", request.profile}, {"region", request.region}};
  if (request.retention_days) body["retention_days"] = request.retention_days;
  Call(id, "POST", "/v1/recordings", body.dump(),
       [this](Recording& rec, StatusOr<HttpClientReply> reply) {
         if (rec.state != "starting") return;  // stopped meanwhile
         if (reply.ok() && reply->status >= 200 && reply->status < 300) {
           if (auto body = ParseJsonText(reply->body); body && body->is_object()) {
             // A start that named no region went to the recorder's default: say which.
             const auto region = body->find("region");
             if (rec.region.empty() && region != body->end() && region->is_string()) {
               rec.region = *region;
             }
             // The retention the recorder applies (its default, or its cap), and the expiry.
             TakeRetention(rec, *body);
           }
           SetState(rec, "recording", "");
         } else {
           SetState(rec, "failed", Why(reply));
         }
       });
  return ToJson(stored);
}

StatusOr<nlohmann::json> RecorderClient::Stop(const std::string& room, const std::string& id) {
  return StopFor(room, id, "");
}

StatusOr<nlohmann::json> RecorderClient::StopFor(const std::string& room, const std::string& id,
                                                 const std::string& why) {
  if (shut_down_) return UnavailableError("the node is stopping");
  const auto it = recordings_.find(id);
  if (it == recordings_.end() || it->second.room != room) {
    return NotFoundError("room '" + room + "' has no recording '" + id + "'");
  }
  Recording& r = it->second;
  if (r.state == "stopping" || r.state == "stopped" || r.state == "failed") return ToJson(r);
  r.stop_wanted = true;  // until the recorder confirms, whatever happens to this request
  r.stop_why = why;
  // A start not yet answered: the stop replaces it (the recorder may have begun: it is asked to
  // stop all the same).
  if (r.in_flight) r.in_flight->Cancel();
  r.in_flight.reset();
  SetState(r, "stopping", why);
  Call(
      id, "DELETE", "/v1/recordings/" + id, "",
      [this](Recording& rec, StatusOr<HttpClientReply> reply) {
        // 404: the recorder has no such recording (it never started, or it restarted): stopped.
        if (reply.ok() && ((reply->status >= 200 && reply->status < 300) || reply->status == 404)) {
          SetState(rec, "stopped", rec.reason);
        } else {
          // It may well record on: the recording stays, and a DELETE tries again.
          SetState(rec, "recording",
                   "the stop did not reach the recorder (" + Why(reply) + "); DELETE again",
                   "recording.stop_failed");
        }
      });
  return ToJson(r);
}

StatusOr<nlohmann::json> RecorderClient::Get(const std::string& room, const std::string& id) {
  const auto it = recordings_.find(id);
  if (it == recordings_.end() || it->second.room != room) {
    return NotFoundError("room '" + room + "' has no recording '" + id + "'");
  }
  return ToJson(it->second);
}

nlohmann::json RecorderClient::List(const std::string& room) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, r] : recordings_) {
    if (r.room == room) list.push_back(ToJson(r));
  }
  return {{"recordings", std::move(list)}};
}

void RecorderClient::Resume() {
  if (shut_down_) return;
  // Again in a while: the recorder may stop a recording on its own (its API, a restart).
  reconcile_timer_.expires_after(kReconcileInterval);
  reconcile_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !shut_down_) Resume();
  });
  if (resume_) return;  // the last one is still on its way
  // Recordings that became "recording" after this request left are not judged by its answer.
  const uint64_t round = ++reconcile_round_;
  HttpClientRequest request;
  request.method = "GET";
  request.target = "/v1/recordings";
  request.headers = {{"Authorization", "Bearer " + token_}};
  request.timeout = kCallTimeout;
  resume_ = HttpExchange::Start(
      io_, base_, tls_.get(), std::move(request), [this, round](StatusOr<HttpClientReply> reply) {
        resume_.reset();
        if (shut_down_) return;
        std::optional<nlohmann::json> body =
            reply.ok() && reply->status == 200 ? ParseJsonText(reply->body) : std::nullopt;
        if (!body || !body->is_object() || !body->contains("recordings") ||
            !(*body)["recordings"].is_array()) {
          spdlog::warn("control: cannot ask the recorder what it records: {}", Why(reply));
          return;
        }
        size_t adopted = 0;
        std::set<std::string> listed;
        for (const nlohmann::json& j : (*body)["recordings"]) {
          if (j.is_object() && j.contains("id") && j["id"].is_string()) {
            listed.insert(j["id"].get<std::string>());
          }
        }
        // What the recorder no longer records (stopped on the recorder, or the recorder
        // restarted) is stopped here too: the room may record again.
        std::vector<std::string> gone;
        for (const auto& [id, r] : recordings_) {
          if (r.state == "recording" && !r.in_flight && !listed.count(id) &&
              r.recording_round < round) {
            gone.push_back(id);
          }
        }
        for (const std::string& id : gone) {
          SetState(recordings_.at(id), "stopped", "the recorder no longer records it");
        }
        // What the recorder records and this node does not want: a start that timed out here but
        // reached the recorder, a stop that overtook its start, a stop that did not get through.
        // Asked again every round until the recorder lets go: nothing records a room behind the
        // API's back, or past a withdrawn consent.
        for (const std::string& id : listed) {
          const auto it = recordings_.find(id);
          if (it == recordings_.end() || it->second.in_flight) continue;
          Recording& r = it->second;
          if (r.state == "failed" || r.state == "stopped") {
            spdlog::warn(
                "control: the recorder still records {} of room {} ({} here): asking it "
                "to stop",
                id, r.room, r.state);
            OrphanStop(id);
          } else if (r.state == "recording" && r.stop_wanted) {
            (void)StopFor(r.room, id, r.stop_why);
          }
        }
        for (const nlohmann::json& j : (*body)["recordings"]) {
          if (!j.is_object()) continue;
          const auto text = [&j](const char* key) {
            const auto it = j.find(key);
            return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
          };
          const std::string id = text("id");
          if (id.empty() || text("room").empty() || recordings_.count(id)) continue;
          Recording r;
          r.id = id;
          r.room = text("room");
          r.profile = text("profile");
          r.region = text("region");
          r.requested_by = "(before a restart of this node)";
          TakeRetention(r, j);
          const auto started = j.find("started_unix_ms");
          r.created = started != j.end() && started->is_number_integer()
                          ? Iso8601(std::chrono::system_clock::time_point(
                                std::chrono::milliseconds(started->get<int64_t>())))
                          : Now();
          recordings_[id] = std::move(r);
          SetState(recordings_.at(id), "recording", "");
          ++adopted;
        }
        if (adopted) spdlog::info("control: the recorder records {} room(s) already", adopted);
      });
}

void RecorderClient::OrphanStop(const std::string& id) {
  HttpClientRequest request;
  request.method = "DELETE";
  request.target = "/v1/recordings/" + id;
  request.headers = {{"Authorization", "Bearer " + token_}};
  request.timeout = kCallTimeout;
  orphan_stops_.push_back(HttpExchange::Start(
      io_, base_, tls_.get(), std::move(request), [id](StatusOr<HttpClientReply> reply) {
        if (!reply.ok() || (reply->status >= 300 && reply->status != 404)) {
          spdlog::warn(
              "control: the recorder's recording {} is not stopped yet: {}; asked again "
              "in 10 s",
              id, Why(reply));
        }
      }));
  std::erase_if(orphan_stops_, [](const std::weak_ptr<HttpExchange>& e) { return e.expired(); });
}

void RecorderClient::StopAll(const std::string& room, const std::string& why) {
  std::vector<std::string> ids;
  for (const auto& [id, r] : recordings_) {
    if (r.room == room && (r.state == "starting" || r.state == "recording")) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    spdlog::warn("control: stopping recording {} of room {}: {}", id, room, why);
    (void)StopFor(room, id, why);
  }
}

void RecorderClient::Shutdown() {
  shut_down_ = true;
  if (resume_) resume_->Cancel();
  resume_.reset();
  for (const auto& weak : orphan_stops_) {
    if (const auto e = weak.lock()) e->Cancel();
  }
  orphan_stops_.clear();
  reconcile_timer_.cancel();
  for (auto& [id, r] : recordings_) {
    if (r.in_flight) r.in_flight->Cancel();
    r.in_flight.reset();
  }
  for (auto& [id, e] : erasures_) {
    if (e.in_flight) e.in_flight->Cancel();
    e.in_flight.reset();
  }
}

StatusOr<nlohmann::json> RecordingControl::StartErasure(const ErasureRequest&) {
  return FailedPreconditionError("this node's recordings cannot be erased through it");
}

StatusOr<nlohmann::json> RecordingControl::GetErasure(const std::string& id) {
  return NotFoundError("no erasure '" + id + "'");
}

nlohmann::json RecorderClient::ToJson(const Erasure& e) {
  nlohmann::json j = {
      {"id", e.id},          {"identity", e.identity},         {"dry_run", e.dry_run},
      {"state", e.state},    {"requested_by", e.requested_by}, {"created", e.created},
      {"updated", e.updated}};
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (!e.result.is_null()) j["result"] = e.result;
  return j;
}

void RecorderClient::SetErasureState(Erasure& e, const std::string& state,
                                     const std::string& reason) {
  e.state = state;
  e.reason = reason;
  e.updated = Now();
  if (state == "failed") {
    spdlog::warn("control: erasure {}{} failed: {}", e.id, e.dry_run ? " (dry run)" : "", reason);
  } else {
    spdlog::info("control: erasure {}{}: {}", e.id, e.dry_run ? " (dry run)" : "", state);
  }
  const char* type = state == "pending"      ? "erasure.requested"
                     : state == "done"       ? "erasure.completed"
                     : state == "incomplete" ? "erasure.incomplete"
                                             : "erasure.failed";
  if (on_event_) on_event_({{"type", type}, {"erasure", ToJson(e)}});
  if (state == "pending") return;
  erasures_ended_.push_back(e.id);
  while (erasures_ended_.size() > kMaxEnded) {
    erasures_.erase(erasures_ended_.front());
    erasures_ended_.pop_front();
  }
}

StatusOr<nlohmann::json> RecorderClient::StartErasure(const ErasureRequest& request) {
  if (shut_down_) return UnavailableError("the node is stopping");
  if (request.identity.empty()) return InvalidArgumentError("identity: must not be empty");
  std::string id = NewId("era-");
  if (id.empty()) return InternalError("no random bytes for an erasure id");
  Erasure e;
  e.id = id;
  e.identity = request.identity;
  e.dry_run = request.dry_run;
  e.requested_by = request.requested_by;
  e.created = Now();
  erasures_[id] = std::move(e);
  Erasure& stored = erasures_.at(id);
  SetErasureState(stored, "pending", "");
  HttpClientRequest call;
  call.method = "POST";
  call.target = "/v1/erasures";
  call.headers = {{"Authorization", "Bearer " + token_}};
  call.content_type = "application/json";
  call.body = nlohmann::json{{"identity", request.identity}, {"dry_run", request.dry_run}}.dump();
  call.timeout = kErasureTimeout;
  stored.in_flight = HttpExchange::Start(
      io_, base_, tls_.get(), std::move(call), [this, id](StatusOr<HttpClientReply> reply) {
        const auto it = erasures_.find(id);
        if (shut_down_ || it == erasures_.end()) return;
        Erasure& er = it->second;
        er.in_flight.reset();
        std::optional<nlohmann::json> body =
            reply.ok() && reply->status == 200 ? ParseJsonText(reply->body) : std::nullopt;
        const auto list = [&body](const char* key) {
          const auto found = body->find(key);
          return found != body->end() && found->is_array() ? *found : nlohmann::json::array();
        };
        if (!body || !body->is_object() || !body->contains("recordings") ||
            !(*body)["recordings"].is_array()) {
          SetErasureState(er, "failed",
                          reply.ok() && reply->status == 200
                              ? "the recorder's answer is not an erasure's result"
                              : Why(reply));
          return;
        }
        er.result = {{"recordings", list("recordings")},
                     {"in_progress", list("in_progress")},
                     {"problems", list("problems")}};
        if (!er.result["in_progress"].empty()) {
          er.result["note"] =
              "recordings in in_progress are still being recorded and were not deleted: stop "
              "them, then ask again";
        }
        if (!er.result["problems"].empty()) {
          std::string why;
          for (const auto& p : er.result["problems"]) {
            why += (why.empty() ? "" : "; ") + (p.is_string() ? p.get<std::string>() : p.dump());
          }
          SetErasureState(er, "failed", "the recorder could not delete everything: " + why);
          return;
        }
        // Recordings of the person still being recorded stay: the erasure is not complete
        // (a dry run deletes nothing, so it only lists them).
        if (!er.dry_run && !er.result["in_progress"].empty()) {
          SetErasureState(er, "incomplete",
                          "recordings still being recorded were not deleted: stop them, then ask "
                          "again");
          return;
        }
        SetErasureState(er, "done", "");
      });
  return ToJson(stored);
}

StatusOr<nlohmann::json> RecorderClient::GetErasure(const std::string& id) {
  const auto it = erasures_.find(id);
  if (it == erasures_.end()) return NotFoundError("no erasure '" + id + "'");
  return ToJson(it->second);
}

}  // namespace tessera::control
