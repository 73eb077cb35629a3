// The SIP service: lifecycle, listeners, request dispatch, authorisation and operator commands.
#include <spdlog/spdlog.h>
#include <tessera/sipua/sip_service.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "sipua/sip_auth.h"
#include "sipua/sip_call.h"

namespace tessera::sipua {
namespace {

constexpr const char* kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE";
constexpr const char* kUserAgent = "Tessera/0.1";

// `hex_digits` random hex digits, from the transaction layer's branch generator (OpenSSL's
// CSPRNG; 32 digits after the magic cookie per branch).
std::string RandomHex(size_t hex_digits) {
  std::string out;
  while (out.size() < hex_digits) {
    out += sip::TransactionLayer::NewBranch().substr(7);  // after "z9hG4bK"
  }
  out.resize(hex_digits);
  return out;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A transport's counters for `sipstats`.
nlohmann::json CountersJson(std::string_view transport, uint16_t port,
                            const sip::TransportCounters& c) {
  nlohmann::json dropped = nlohmann::json::object();
  for (const auto& [reason, count] : c.dropped) dropped[reason] = count;
  nlohmann::json j = {{"transport", std::string(transport)},
                      {"port", port},
                      {"bytes_received", c.bytes_received},
                      {"received", c.received},
                      {"rejected", c.rejected},
                      {"sent", c.sent},
                      {"send_failures", c.send_failures},
                      {"dropped", dropped}};
  return j;
}

}  // namespace

std::string SipNewTag() { return RandomHex(16); }

// Who may post to the SIP thread on a listener's behalf: closed when the service stops.
struct SipService::Gate {
  std::mutex mu;
  SipService* service = nullptr;
};

// A call's participant events, from the rooms' threads to the SIP thread.
class SipService::CallListener final : public session::ParticipantListener {
 public:
  CallListener(std::shared_ptr<Gate> gate, std::string key)
      : gate_(std::move(gate)), key_(std::move(key)) {}

  void OnDtmf(char digit) override {
    Post([digit](SipService& s, const std::string& key) { s.OnDigit(key, digit); });
  }
  void OnConsentChanged(session::Consent consent, const std::string& source) override {
    Post([consent, source](SipService& s, const std::string& key) {
      s.OnConsentSet(key, consent, source);
    });
  }
  void OnKeyframeNeeded() override {
    Post([](SipService& s, const std::string& key) { s.SendKeyframeInfo(key); });
  }
  void OnLeft(const std::string& room, uint32_t id) override {
    // Called with the directory's lock held: only post.
    Post([room, id](SipService& s, const std::string&) { s.OnParticipantLeft(room, id); });
  }

 private:
  template <typename F>
  void Post(F f) {
    std::lock_guard lock(gate_->mu);
    SipService* s = gate_->service;
    if (!s) return;
    // The SIP thread runs only while the service exists: the handler may use it.
    boost::asio::post(s->io_,
                      [s, key = key_, f = std::move(f), alive = std::weak_ptr<bool>(s->alive_)] {
                        if (!alive.expired()) f(*s, key);
                      });
  }

  std::shared_ptr<Gate> gate_;
  std::string key_;
};

SipService::SipService(SipConfig config, std::string media_address, session::RoomDirectory& rooms,
                       Clock& clock)
    : config_(std::move(config)),
      rooms_(rooms),
      clock_(clock),
      default_media_address_(std::move(media_address)),
      gate_(std::make_shared<Gate>()) {}

std::shared_ptr<session::ParticipantListener> SipService::CallListenerFor(const std::string& key) {
  return std::make_shared<CallListener>(gate_, key);
}

void SipService::OnParticipantLeft(const std::string& room, uint32_t id) {
  auto it = by_participant_.find({room, id});
  if (it == by_participant_.end()) return;
  const std::string key = it->second;
  auto c = calls_.find(key);
  if (c != calls_.end()) c->second->joined = false;  // already out of the room
  EndCall(key, "removed by the operator");
}

SipService::~SipService() { Stop(); }

template <typename F>
auto SipService::RunOnSip(F&& f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::forward<F>(f));
  auto result = task.get_future();
  boost::asio::post(io_, [&task] { task(); });
  return result.get();
}

Status SipService::Start() {
  const SipConfig& sc = config_;
  media_address_ = sc.media_address.empty() ? default_media_address_ : sc.media_address;
  timers_ = std::make_unique<sip::AsioTimerService>(io_);
  sip::UasPolicy policy;
  policy.supported_option_tags = {"timer"};
  policy.accepted_content_types = {"application/sdp", "application/media_control+xml",
                                   "application/dtmf-relay", "application/dtmf"};
  auto deliver = [this](sip::SipMessage m, const sip::Destination& from) {
    if (layer_) layer_->OnMessage(std::move(m), from);
  };
  for (const SipListenConfig& l : sc.listen) {
    const std::string t = Upper(l.transport);
    const std::string where = l.transport + " " + l.address + ":" + std::to_string(l.port);
    if (t == "UDP") {
      auto u = sip::UdpTransport::Open(io_, l.address, l.port, policy);
      if (!u.ok())
        return Status(u.status().code(), "sip.listen " + where + ": " + u.status().message());
      listeners_.push_back({t, l.address, (*u)->local_port()});
      (*u)->Start(deliver);
      router_.Add(t, u->get());
      udp_.push_back(std::move(*u));
    } else {
      sip::TcpOptions options;
      options.message_timeout = std::chrono::seconds(sc.tcp.message_timeout_s);
      options.idle_timeout = std::chrono::seconds(sc.tcp.idle_timeout_s);
      options.max_connections = sc.tcp.max_connections;
      options.max_connections_per_source = sc.tcp.max_connections_per_source;
      options.clock = &clock_;
      options.timers = timers_.get();
      auto c = t == "TLS" ? sip::TcpTransport::ListenTls(io_, l.address, l.port, l.certificate,
                                                         l.key, options, policy)
                          : sip::TcpTransport::Listen(io_, l.address, l.port, options, policy);
      if (!c.ok())
        return Status(c.status().code(), "sip.listen " + where + ": " + c.status().message());
      listeners_.push_back({t, l.address, (*c)->local_port()});
      // A call's requests go back over the connection it came on (a phone behind NAT can be
      // reached no other way): that connection stays open while the call lasts.
      (*c)->SetInUse(
          [this](const sip::Destination& connection) { return CarriesCall(connection); });
      (*c)->Start(deliver);
      router_.Add(t, c->get());
      tcp_.push_back(std::move(*c));
    }
    spdlog::info("sip: listening on {} {}:{}", t, l.address, listeners_.back().port);
  }
  for (auto& l : listeners_) {
    if (l.host == "0.0.0.0" || l.host == "::") l.host = media_address_;
  }
  sip::TransactionLayerConfig lc;
  const uint32_t rate = sc.new_calls_per_source_per_s;
  lc.new_requests = {static_cast<double>(rate), static_cast<double>(rate) * 2};
  lc.max_transactions = sc.max_transactions;
  layer_ = std::make_unique<sip::TransactionLayer>(clock_, *timers_, router_, *this, lc);
  const std::string secret = sc.nonce_secret.empty() ? RandomHex(64) : sc.nonce_secret;
  digest_ = std::make_unique<sip::DigestServer>(secret, sc.realm, clock_);
  for (const SipUserConfig& u : sc.users) {
    std::string md5 = u.ha1_md5, sha = u.ha1_sha256;
    if (!u.password.empty()) {
      md5 = sip::ComputeHa1(sip::DigestAlgorithm::kMd5, u.name, sc.realm, u.password);
      sha = sip::ComputeHa1(sip::DigestAlgorithm::kSha256, u.name, sc.realm, u.password);
    }
    ha1_[u.name] = {md5, sha};
  }
  {
    std::lock_guard lock(gate_->mu);
    gate_->service = this;
  }
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
  started_ = true;
  return Status::Ok();
}

void SipService::Stop() {
  if (!started_) return;
  started_ = false;
  {
    // Participants leaving from now on (the calls ended below, the server stopping) are ours.
    std::lock_guard lock(gate_->mu);
    gate_->service = nullptr;
  }
  RunOnSip([this] {
    stopping_ = true;
    std::vector<std::string> keys;
    for (const auto& [key, call] : calls_) keys.push_back(key);
    for (const auto& key : keys) EndCall(key, "the server is stopping", 503);
    return 0;
  });
  // Let the BYEs leave (one pass of the queue), then stop.
  RunOnSip([] { return 0; });
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  alive_.reset();
  layer_.reset();
  udp_.clear();
  tcp_.clear();
  timers_.reset();
}

uint16_t SipService::port(const std::string& transport) const {
  for (const auto& l : listeners_) {
    if (l.transport == Upper(transport)) return l.port;
  }
  return 0;
}

bool SipService::CarriesCall(const sip::Destination& connection) const {
  auto same = [&](const sip::Destination& d) {
    if (d.transport != connection.transport) return false;
    if (d.connection != 0) return d.connection == connection.connection;
    return d.host == connection.host && d.port == connection.port;
  };
  for (const auto& [key, call] : calls_) {
    if (same(call->peer) || same(DialogDestination(*call))) return true;
  }
  return false;
}

const SipService::Listener& SipService::ListenerFor(const std::string& transport) const {
  for (const auto& l : listeners_) {
    if (l.transport == transport) return l;
  }
  return listeners_.front();
}

std::string SipService::NewCallKey(const std::string& call_id, const std::string& tag) const {
  return call_id + "|" + tag;
}

SipService::Call* SipService::FindDialog(const sip::SipMessage& m) {
  if (!m.to() || !m.from()) return nullptr;
  // Requests from the peer carry our tag in To; responses to our requests carry it in From.
  const std::string& ours = m.is_request() ? m.to()->tag : m.from()->tag;
  auto it = calls_.find(NewCallKey(m.call_id(), ours));
  return it == calls_.end() ? nullptr : it->second.get();
}

void SipService::OnTransactionEvent(const sip::TuEvent& event) {
  using K = sip::TuEvent::Kind;
  switch (event.kind) {
    case K::kRequest:
      OnRequest(event);
      break;
    case K::kAck:
      OnAck(event);
      break;
    case K::kCancel:
      OnCancel(event);
      break;
    case K::kResponse:
    case K::kStrayResponse:
      OnResponse(event);
      break;
    case K::kTimeout:
    case K::kTransportError:
      OnTimeout(event);
      break;
  }
}

sip::SipMessage SipService::Response(const sip::SipMessage& request, int code,
                                     const std::string& reason, const std::string& to_tag) const {
  sip::SipMessage r = sip::MakeResponse(request, code, reason, to_tag);
  r.AddHeader("Server", kUserAgent);
  if (code == 405 || (request.method() == "OPTIONS" && code == 200) ||
      (request.method() == "INVITE" && code / 100 == 2)) {
    r.AddHeader("Allow", kAllow);
  }
  return r;
}

void SipService::Respond(const sip::TuEvent& event, int code, const std::string& reason,
                         const std::string& to_tag) {
  if (event.message) layer_->Respond(event.id, Response(*event.message, code, reason, to_tag));
}

void SipService::OnRequest(const sip::TuEvent& event) {
  const sip::SipMessage& req = *event.message;
  const std::string& method = req.method();
  const bool in_dialog = req.to() && !req.to()->tag.empty();
  if (stopping_ && method == "INVITE" && !in_dialog) {
    Respond(event, 503, "Service Unavailable");
    return;
  }
  if (method == "OPTIONS") {
    sip::SipMessage r = Response(req, 200, "OK", in_dialog ? "" : SipNewTag());
    r.AddHeader("Accept", "application/sdp");
    r.AddHeader("Supported", "timer");
    layer_->Respond(event.id, r);
    return;
  }
  if (!in_dialog) {
    if (method == "INVITE") {
      OnInvite(event);
    } else if (method == "BYE" || method == "INFO" || method == "UPDATE") {
      Respond(event, 481, "Call/Transaction Does Not Exist");
    } else {
      Respond(event, 405, "Method Not Allowed");
    }
    return;
  }
  Call* call = FindDialog(req);
  if (!call) {
    Respond(event, 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (req.cseq() && req.cseq()->number <= call->remote_cseq && call->remote_cseq != 0) {
    Respond(event, 500, "CSeq Out of Order");
    return;
  }
  if (req.cseq()) call->remote_cseq = req.cseq()->number;
  call->peer = event.source;
  if (method == "BYE") {
    OnBye(event, *call);
  } else if (method == "INVITE") {
    OnReInvite(event, *call);
  } else if (method == "UPDATE") {
    OnUpdate(event, *call);
  } else if (method == "INFO") {
    OnInfo(event, *call);
  } else {
    Respond(event, 405, "Method Not Allowed");
  }
}

bool SipService::Authorize(const sip::TuEvent& event) {
  const sip::SipMessage& req = *event.message;
  const sip::HeaderField* auth = req.Find(sip::HeaderId::kAuthorization);
  const AuthDecision d =
      DecideInviteAuth(config_, event.source.host, auth ? &auth->value : nullptr, *digest_, ha1_);
  CountAuth(d, stats_);
  switch (d.kind) {
    case AuthDecision::Kind::kAccepted:
      return true;
    case AuthDecision::Kind::kChallenged: {
      sip::SipMessage r = Response(req, 401, "Unauthorized", SipNewTag());
      for (const std::string& a : config_.digest_algorithms) {
        const auto algorithm =
            a == "MD5" ? sip::DigestAlgorithm::kMd5 : sip::DigestAlgorithm::kSha256;
        r.AddHeader("WWW-Authenticate",
                    sip::SerializeDigestChallenge(digest_->Challenge(algorithm, d.stale)));
      }
      layer_->Respond(event.id, r);
      return false;
    }
    case AuthDecision::Kind::kRefused:
      spdlog::warn("sip: INVITE from {} refused: {}", event.source.host, d.why);
      Respond(event, 403, "Forbidden");
      return false;
  }
  return false;
}

std::optional<RoomConfig> SipService::RoomFor(const sip::SipUri& uri) {
  if (uri.user.empty()) return std::nullopt;
  if (auto room = rooms_.FindRoom(uri.user)) return room;
  for (RoomConfig& r : rooms_.ListRooms()) {
    for (const std::string& n : r.sip.numbers) {
      if (n == uri.user) return std::move(r);
    }
  }
  return std::nullopt;
}

std::string SipService::UniqueName(const std::string& room, const std::string& base) {
  auto members = rooms_.Participants(room);
  auto taken = [&](const std::string& n) {
    if (members.ok()) {
      for (const auto& m : *members) {
        if (m.name == n) return true;
      }
    }
    for (const auto& [key, call] : calls_) {
      if (call->room == room && call->name == n) return true;
    }
    return false;
  };
  if (!taken(base)) return base;
  for (int i = 2;; ++i) {
    const std::string n = base + "-" + std::to_string(i);
    if (!taken(n)) return n;
  }
}

StatusOr<std::pair<uint16_t, uint16_t>> SipService::PickPorts(const RoomConfig& room) {
  // Proposed free and reserved by the join as fixed ports. Another join could take them in
  // between; that join then fails cleanly and the answer is made again on new ports.
  return rooms_.ProposePorts(room.video.has_value());
}

std::string SipService::CallsJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, c] : calls_) {
    list.push_back({{"call_id", c->call_id},
                    {"room", c->room},
                    {"participant", c->name},
                    {"participant_id", c->participant},
                    {"state", CallStateName(c->state, c->held)},
                    {"direction", c->outbound ? "out" : "in"},
                    {"remote", c->peer.host + ":" + std::to_string(c->peer.port)},
                    {"transport", c->transport},
                    {"consent_prompt", ConsentPromptName(c->consent_prompt)}});
    if (c->outbound) list.back()["uri"] = c->dialled;
  }
  return list.dump();
}

StatusOr<nlohmann::json> SipService::Calls() {
  if (!started_) return FailedPreconditionError("SIP is not running");
  return RunOnSip([this] { return nlohmann::json::parse(CallsJson()); });
}

StatusOr<nlohmann::json> SipService::Stats() {
  if (!started_) return FailedPreconditionError("SIP is not running");
  return RunOnSip([this] {
    nlohmann::json j = {{"calls_in", stats_.calls_in},
                        {"calls_out", stats_.calls_out},
                        {"auth_challenges", stats_.auth_challenges},
                        {"rejected_auth", stats_.rejected_auth},
                        {"rejected_room", stats_.rejected_room},
                        {"redirected", stats_.redirected},
                        {"rejected_busy", stats_.rejected_busy},
                        {"rejected_sdp", stats_.rejected_sdp},
                        {"pin_failures", stats_.pin_failures},
                        {"session_timeouts", stats_.session_timeouts},
                        {"keyframe_infos_in", stats_.keyframe_infos_in},
                        {"keyframe_infos_out", stats_.keyframe_infos_out},
                        {"consent_granted", stats_.consent_granted},
                        {"consent_declined", stats_.consent_declined},
                        {"consent_timeouts", stats_.consent_timeouts},
                        {"rate_limited", layer_->stats().dropped_rate_limit},
                        {"overload_503", layer_->stats().rejected_overload},
                        {"active_calls", calls_.size()}};
    nlohmann::json transports = nlohmann::json::array();
    for (const auto& u : udp_)
      transports.push_back(CountersJson("UDP", u->local_port(), u->counters()));
    for (const auto& c : tcp_) {
      nlohmann::json t = CountersJson(c->transport(), c->local_port(), c->counters());
      t["connections"] = c->connections();
      transports.push_back(std::move(t));
    }
    j["transports"] = std::move(transports);
    return j;
  });
}

Status SipService::Hangup(const std::string& call_id) {
  if (!started_) return FailedPreconditionError("SIP is not running");
  return RunOnSip([this, &call_id]() -> Status {
    for (const auto& [key, c] : calls_) {
      if (c->call_id == call_id) {
        EndCall(key, "hung up by the operator");
        return Status::Ok();
      }
    }
    return NotFoundError("no call " + call_id);
  });
}

StatusOr<std::string> SipService::DialOut(const std::string& room, const std::string& uri,
                                          const std::string& name) {
  if (!started_) return FailedPreconditionError("SIP is not running");
  return RunOnSip([&] { return Dial(room, uri, name); });
}

std::optional<std::string> SipService::Control(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  if (w.empty()) return std::nullopt;
  if (w[0] != "calls" && w[0] != "dial" && w[0] != "hangup" && w[0] != "sipstats") {
    return std::nullopt;
  }
  if (!started_) return "error: SIP is not running";
  if (w[0] == "calls") {
    if (w.size() != 1) return "error: calls takes no argument";
    auto calls = Calls();
    return calls.ok() ? "ok calls " + calls->dump() : "error: " + calls.status().message();
  }
  if (w[0] == "sipstats") {
    auto stats = Stats();
    return stats.ok() ? "ok sipstats " + stats->dump() : "error: " + stats.status().message();
  }
  if (w[0] == "hangup") {
    if (w.size() != 2) return "error: hangup takes a Call-ID";
    const Status s = Hangup(w[1]);
    return s.ok() ? "ok hangup " + w[1] : "error: " + s.message();
  }
  if (w.size() < 3 || w.size() > 4) return "error: dial takes a room, a SIP URI and a name";
  auto call_id = DialOut(w[1], w[2], w.size() == 4 ? w[3] : std::string());
  return call_id.ok() ? "ok dial " + w[1] + " " + *call_id : "error: " + call_id.status().message();
}

}  // namespace tessera::sipua
