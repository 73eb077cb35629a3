#include <spdlog/spdlog.h>
#include <tessera/base/base64.h>
#include <tessera/base/percent.h>
#include <tessera/control/http_client.h>
#include <tessera/recorder/mcu_client.h>
#include <tessera/srtp/sdes.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

namespace tessera::recorder {

namespace asio = boost::asio;

namespace {
constexpr size_t kMaxAnswerBytes = 1 << 20;
}  // namespace

StatusOr<SrtpKeys> GenerateSrtpKeys(srtp::SrtpSuite suite) {
  SrtpKeys keys;
  keys.suite = suite;
  auto key = srtp::GenerateSrtpKey(suite);
  if (!key.ok()) return key.status();
  auto send_key = srtp::GenerateSrtpKey(suite);
  if (!send_key.ok()) return send_key.status();
  keys.key = std::move(*key);
  keys.send_key = std::move(*send_key);
  keys.key_inline = "inline:" + EncodeBase64(keys.key);
  keys.send_key_inline = "inline:" + EncodeBase64(keys.send_key);
  return keys;
}

nlohmann::json JoinBody(const McuClientConfig& c) {
  nlohmann::json body = {
      {"name", c.participant_name},
      // It sends nothing: no tile in the layout, no voice in the mix.
      {"receive_only", true},
      // The recording's participant: under the room's "exclude" consent policy it hears and sees
      // the room without those who have not granted consent.
      {"recorder", true},
      {"remote_address", c.media_address},
      {"remote_rtp_port", c.audio_port},
      {"rtcp_mux", true},
      {"audio",
       {{"codec", "opus"}, {"payload_type", c.audio_payload_type}, {"channels", c.audio_channels}}},
      {"srtp",
       {{"suite", std::string(srtp::SrtpSuiteName(c.keys.suite))},
        {"key", c.keys.key_inline},
        {"send_key", c.keys.send_key_inline}}},
  };
  if (c.video_codec && c.video_port) {
    nlohmann::json v = {{"send", false},
                        {"remote_rtp_port", c.video_port},
                        {"rtcp_mux", true},
                        {"receive_payload_type", c.video_payload_type},
                        // A recording keeps its profile whatever its feedback says.
                        {"adapt", false}};
    if (!c.profile.empty()) v["profile"] = c.profile;
    body["video"] = std::move(v);
  }
  return body;
}

namespace {

// The id of the participant named `name` in a participants list the MCU answered; nothing for
// any other answer (whatever its JSON holds: a bad answer never throws on the media thread).
std::optional<uint32_t> FindByName(const std::string& body, int status, const std::string& name) {
  if (status != 200) return std::nullopt;
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  const auto list = json.find("participants");
  if (list == json.end() || !list->is_array()) return std::nullopt;
  std::optional<uint32_t> found;
  for (const auto& p : *list) {
    if (!p.is_object()) continue;
    const auto n = p.find("name");
    const auto id = p.find("id");
    if (n != p.end() && n->is_string() && n->get_ref<const std::string&>() == name &&
        id != p.end() && id->is_number_unsigned() && id->get<uint64_t>() <= UINT32_MAX) {
      found = static_cast<uint32_t>(id->get<uint64_t>());
    }
  }
  return found;
}

}  // namespace

std::optional<RoomParticipants> ParseRoomParticipants(std::string_view body,
                                                      std::optional<uint32_t> self_id,
                                                      const std::string& self_name) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  const auto list = json.find("participants");
  if (list == json.end() || !list->is_array()) return std::nullopt;
  RoomParticipants out;
  for (const auto& p : *list) {
    if (!p.is_object()) continue;
    const auto name_it = p.find("name");
    const std::string name =
        name_it != p.end() && name_it->is_string() ? name_it->get<std::string>() : "";
    const auto id_it = p.find("id");
    // Its id and its name: a restarted MCU gives ids out again from 1, so the old id alone may
    // be someone else's now.
    const bool is_self =
        name == self_name && (!self_id || (id_it != p.end() && id_it->is_number_unsigned() &&
                                           id_it->get<uint64_t>() == *self_id));
    if (is_self) {
      out.self_present = true;
      continue;
    }
    if (name.empty() || name == self_name || name.starts_with("recorder-")) continue;
    if (const auto admitted = p.find("admitted");
        admitted != p.end() && admitted->is_boolean() && !admitted->get<bool>()) {
      continue;  // waiting for its PIN: muted, deaf, no picture
    }
    if (const auto recorded = p.find("recorded");
        recorded != p.end() && recorded->is_boolean() && !recorded->get<bool>()) {
      continue;  // left out of the recording (the room's "exclude" consent policy)
    }
    if (const auto sends = p.find("sends"); sends != p.end() && sends->is_boolean()) {
      if (!sends->get<bool>()) continue;
    } else if (name.ends_with(".viewer")) {
      continue;  // a WebRTC viewer (WHEP): receives only
    } else if (!p.contains("audio_port") && !p.contains("video_port")) {
      continue;  // no leg at all: nothing of it is in the mix
    }
    out.senders.push_back(name);
  }
  std::sort(out.senders.begin(), out.senders.end());
  out.senders.erase(std::unique(out.senders.begin(), out.senders.end()), out.senders.end());
  return out;
}

struct McuClient::Answer {
  int status = 0;        // HTTP status; 0: no answer (error says why)
  std::string error;     // connection, TLS or timeout
  bool refused = false;  // the connection was refused (the MCU is down or restarting)
  std::string body;
};

struct McuClient::Impl {
  control::HttpUrl where;
  std::string base_path;  // the URL's path without a trailing '/'
  std::unique_ptr<control::HttpClientTls> tls;
  std::weak_ptr<control::HttpExchange> in_flight;
};

StatusOr<std::shared_ptr<McuClient>> McuClient::Create(asio::io_context& io, McuClientConfig config,
                                                       GapHandler on_gap,
                                                       ParticipantsHandler on_participants) {
  auto impl = std::make_unique<Impl>();
  auto url = control::ParseHttpUrl(config.url, "mcu.url");
  if (!url.ok()) return url.status();
  impl->where = std::move(*url);
  impl->base_path = impl->where.target;
  while (!impl->base_path.empty() && impl->base_path.back() == '/') impl->base_path.pop_back();
  if (impl->where.tls) {
    auto tls = control::HttpClientTls::Create(config.ca_file);
    if (!tls.ok()) return InternalError("mcu.url: " + tls.status().message());
    impl->tls = std::move(tls.value());
  }
  return std::shared_ptr<McuClient>(new McuClient(io, std::move(config), std::move(on_gap),
                                                  std::move(on_participants), std::move(impl)));
}

McuClient::McuClient(asio::io_context& io, McuClientConfig config, GapHandler on_gap,
                     ParticipantsHandler on_participants, std::unique_ptr<Impl> impl)
    : io_(io),
      config_(std::move(config)),
      on_gap_(std::move(on_gap)),
      on_participants_(std::move(on_participants)),
      impl_(std::move(impl)),
      retry_timer_(io),
      check_timer_(io) {}

McuClient::~McuClient() {
  if (auto call = impl_->in_flight.lock()) call->Cancel();
}

std::string McuClient::ParticipantsPath() const {
  return impl_->base_path + "/v1/rooms/" + PercentEncodeSegment(config_.room) + "/participants";
}

void McuClient::Request(std::string method, std::string target, std::string body,
                        std::function<void(const Answer&)> done) {
  control::HttpClientRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = {{"Authorization", "Bearer " + config_.token},
                     {"User-Agent", "tessera-recorder"}};
  if (!body.empty()) request.content_type = "application/json";
  request.body = std::move(body);
  request.timeout = std::chrono::milliseconds(config_.request_timeout_ms);
  request.max_body_bytes = kMaxAnswerBytes;
  impl_->in_flight = control::HttpExchange::Start(
      io_, impl_->where, impl_->tls.get(), std::move(request),
      [done = std::move(done)](StatusOr<control::HttpClientReply> reply) {
        Answer a;
        if (reply.ok()) {
          a.status = static_cast<int>(reply->status);
          a.body = std::move(reply->body);
        } else {
          a.error = reply.status().message();
          a.refused = a.error.find("refused") != std::string::npos;
        }
        done(a);
      });
}

void McuClient::Start() {
  running_ = true;
  Join();
}

void McuClient::Join() {
  if (!running_) return;
  joining_ = true;
  Request("POST", ParticipantsPath(), JoinBody(config_).dump(),
          [weak = weak_from_this()](const Answer& a) {
            if (auto self = weak.lock()) self->OnJoinAnswer(a);
          });
}

void McuClient::OnJoinAnswer(const Answer& a) {
  if (!running_) return;  // stopped meanwhile: Stop's own look at the room removes a late join
  if (a.status == 201) {
    auto json = nlohmann::json::parse(a.body, nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains("id") && json["id"].is_number_unsigned() &&
        json["id"].get<uint64_t>() <= UINT32_MAX) {
      participant_id_ = static_cast<uint32_t>(json["id"].get<uint64_t>());
      joining_ = false;
      consecutive_failures_ = 0;
      ++joins_;
      spdlog::info("recorder: joined room {} as {} (participant {})", config_.room,
                   config_.participant_name, *participant_id_);
      ArmCheck();
      return;
    }
    return ScheduleJoin("the MCU answered 201 without a participant id");
  }
  if (a.status == 409) {
    // A participant of our name is left over (our earlier join, the MCU did not see us leave):
    // find it and delete it, then join again.
    Request("GET", ParticipantsPath(), "", [weak = weak_from_this()](const Answer& list) {
      auto self = weak.lock();
      if (!self || !self->running_) return;
      const std::optional<uint32_t> stale =
          FindByName(list.body, list.status, self->config_.participant_name);
      if (!stale) return self->ScheduleJoin("409: the name is taken and not found in the list");
      self->Request("DELETE", self->ParticipantsPath() + "/" + std::to_string(*stale), "",
                    [weak](const Answer&) {
                      if (auto s = weak.lock()) s->ScheduleJoin("409: removed a stale participant");
                    });
    });
    return;
  }
  ScheduleJoin(a.status
                   ? "the MCU answered " + std::to_string(a.status) + ": " + a.body.substr(0, 200)
                   : a.error);
}

void McuClient::ScheduleJoin(std::string why) {
  if (!running_) return;
  joining_ = true;
  ++failed_tries_;
  // 1, 2, 4 .. max_backoff_ms: the MCU restarting is not hammered, and is found within 30 s.
  const int shift = std::min(consecutive_failures_, 20);
  const int64_t delay_ms = std::min<int64_t>(int64_t{1000} << shift, config_.max_backoff_ms);
  ++consecutive_failures_;
  spdlog::warn("recorder: cannot join room {} at {} (try {}): {}; trying again in {} s",
               config_.room, config_.url, consecutive_failures_, why, delay_ms / 1000.0);
  retry_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->Join();
  });
}

void McuClient::Rejoin(std::string reason) {
  if (!running_ || joining_) return;
  spdlog::warn("recorder: re-joining room {}: {}", config_.room, reason);
  if (on_gap_) on_gap_(reason);
  check_timer_.cancel();
  joining_ = true;
  participant_id_.reset();
  // The old participant may still exist (a network partition): two legs would send to our ports.
  // It is found by its name, never by its old id alone: a restarted MCU gives ids out again, and
  // the old one may be someone else's now.
  Request("GET", ParticipantsPath(), "", [weak = weak_from_this()](const Answer& list) {
    auto self = weak.lock();
    if (!self || !self->running_) return;
    const std::optional<uint32_t> stale =
        FindByName(list.body, list.status, self->config_.participant_name);
    if (!stale) return self->Join();
    self->Request("DELETE", self->ParticipantsPath() + "/" + std::to_string(*stale), "",
                  [weak](const Answer&) {
                    if (auto s = weak.lock()) s->Join();
                  });
  });
}

void McuClient::OnSilence(bool silent) {
  if (!silent) {
    consecutive_failures_ = 0;
    return;
  }
  if (joining_) return;  // a join is under way: the silence is its gap already
  if (consecutive_failures_ > 0) {
    // A re-join that brought no media: back off as for a failed join.
    joining_ = true;
    participant_id_.reset();
    return ScheduleJoin("joined, but no media came");
  }
  ++consecutive_failures_;
  Rejoin("no media for 3 s");
}

void McuClient::ArmCheck() {
  check_timer_.expires_after(std::chrono::milliseconds(config_.check_interval_ms));
  check_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->Check();
  });
}

void McuClient::Check() {
  if (!running_ || joining_ || !participant_id_) return;
  // The whole list in one request: whether the recorder is still in the room, and who appears in
  // the recording.
  Request("GET", ParticipantsPath(), "", [weak = weak_from_this()](const Answer& a) {
    auto self = weak.lock();
    if (!self || !self->running_ || self->joining_) return;
    if (a.status == 404) return self->Rejoin("the room is gone");
    if (a.refused) return self->Rejoin("the MCU refuses connections (restarting?)");
    if (a.status == 200) {
      auto list =
          ParseRoomParticipants(a.body, self->participant_id_, self->config_.participant_name);
      if (!list) {
        spdlog::warn(
            "recorder: checking room {}: the participant list is not JSON of the form "
            "{{\"participants\":[...]}}",
            self->config_.room);
      } else {
        if (self->on_participants_ && !list->senders.empty()) {
          self->on_participants_(std::move(list->senders));
        }
        if (!list->self_present) return self->Rejoin("the participant is gone from the room");
      }
    } else {
      spdlog::warn("recorder: checking room {}: {}", self->config_.room,
                   a.status ? "answered " + std::to_string(a.status) : a.error);
    }
    self->ArmCheck();
  });
}

void McuClient::Stop(std::function<void()> done) {
  running_ = false;
  retry_timer_.cancel();
  check_timer_.cancel();
  if (auto call = impl_->in_flight.lock()) call->Cancel();
  participant_id_.reset();
  // One last look at the room: who appeared since the last check goes into the catalogue, and the
  // recorder's participant is found by its name, also when a join was on its way (the MCU may
  // have taken it): it must not stay in the room with its media sent to a closed port.
  Request(
      "GET", ParticipantsPath(), "",
      [self = shared_from_this(), done = std::move(done)](const Answer& list) {
        if (list.status == 200 && self->on_participants_) {
          if (auto seen =
                  ParseRoomParticipants(list.body, std::nullopt, self->config_.participant_name);
              seen && !seen->senders.empty()) {
            self->on_participants_(std::move(seen->senders));
          }
        }
        const std::optional<uint32_t> own =
            FindByName(list.body, list.status, self->config_.participant_name);
        if (!own) return done();
        self->Request("DELETE", self->ParticipantsPath() + "/" + std::to_string(*own), "",
                      [room = self->config_.room, done](const Answer& a) {
                        if (a.status != 204 && a.status != 404) {
                          spdlog::warn("recorder: leaving room {}: {}", room,
                                       a.status ? "answered " + std::to_string(a.status) : a.error);
                        }
                        done();
                      });
      });
}

}  // namespace tessera::recorder
