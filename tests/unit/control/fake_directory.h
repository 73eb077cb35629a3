// Fakes for the control plane's tests: a RoomDirectory that keeps rooms and members in memory and
// records every call, the app's decoders in miniature (same shape of errors: one per line), and a
// SipControl that keeps calls in a list.
#pragma once

#include <tessera/control/auth.h>
#include <tessera/control/service.h>
#include <tessera/control/sip_control.h>
#include <tessera/session/room_directory.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tessera::control::testing {

inline Status AlreadyExists(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}

class FakeDirectory : public session::RoomDirectory {
 public:
  struct Room {
    session::RoomConfig config;
    std::vector<session::RoomMember> members;
    uint32_t next_id = 1;
    std::string layout;  // live layout (video rooms)
    std::set<std::string> pinned;
    std::string speaker;
  };

  // Every call, as "Method room [argument]", in order.
  std::vector<std::string> log;
  // A method named here answers this error instead of doing anything.
  std::map<std::string, Status> fail;
  std::vector<std::shared_ptr<session::RoomObserver>> observers;
  bool running = true;

  // Adds a room as the config would (its participants as configured members).
  void AddRoom(session::RoomConfig config) {
    Room r;
    r.layout = config.video ? config.video->layout : "";
    const std::string name = config.name;
    for (const auto& pc : config.participants) AddMember(r, pc, /*from_config=*/true);
    r.config = std::move(config);
    order_.push_back(name);
    rooms_[name] = std::move(r);
  }
  Room* room(const std::string& name) {
    auto it = rooms_.find(name);
    return it == rooms_.end() ? nullptr : &it->second;
  }
  size_t room_count() const { return rooms_.size(); }
  size_t participants_reads = 0;  // Participants() calls: what a read of a room costs
  // How often `method` was called.
  size_t Calls(const std::string& method) const {
    return static_cast<size_t>(std::count_if(log.begin(), log.end(), [&](const std::string& l) {
      return l == method || l.rfind(method + " ", 0) == 0;
    }));
  }

  std::vector<session::RoomConfig> ListRooms() override {
    std::vector<session::RoomConfig> out;
    for (const auto& n : order_) out.push_back(rooms_.at(n).config);
    return out;
  }
  std::optional<session::RoomConfig> FindRoom(const std::string& name) override {
    if (Room* r = room(name)) return r->config;
    return std::nullopt;
  }
  Status CreateRoom(session::RoomConfig config) override {
    log.push_back("CreateRoom " + config.name);
    if (auto f = Failure("CreateRoom")) return *f;
    if (draining_) return UnavailableError("the node is draining");
    if (room(config.name)) return AlreadyExists("room '" + config.name + "' exists");
    for (const auto& [name, r] : rooms_) {
      for (const auto& n : config.sip.numbers) {
        for (const auto& taken : r.config.sip.numbers) {
          if (n == taken) return AlreadyExists("SIP number " + n + " is room '" + name + "'s");
        }
      }
    }
    AddRoom(std::move(config));
    return Status::Ok();
  }
  Status DeleteRoom(const std::string& name) override {
    log.push_back("DeleteRoom " + name);
    if (auto f = Failure("DeleteRoom")) return *f;
    if (!room(name)) return NotFoundError("no room '" + name + "'");
    rooms_.erase(name);
    order_.erase(std::find(order_.begin(), order_.end(), name));
    return Status::Ok();
  }
  void Drain() override { draining_ = true; }
  bool draining() override { return draining_; }
  void AddObserver(std::shared_ptr<session::RoomObserver> observer) override {
    observers.push_back(std::move(observer));
  }

  StatusOr<session::JoinedParticipant> JoinRoom(const std::string& name,
                                                session::RoomParticipantConfig pc,
                                                session::JoinOptions /*options*/) override {
    log.push_back("JoinRoom " + name + " " + pc.name);
    if (auto f = Failure("JoinRoom")) return *f;
    if (draining_) return UnavailableError("the node is draining");
    Room* r = room(name);
    if (!r) return NotFoundError("no room '" + name + "'");
    for (const auto& m : r->members) {
      if (m.name == pc.name) {
        return AlreadyExists("room '" + name + "' has a participant '" + pc.name + "'");
      }
    }
    if (r->members.size() >= r->config.max_participants) {
      return ResourceExhaustedError("room '" + name + "' is full");
    }
    const session::RoomMember& m = AddMember(*r, pc, /*from_config=*/false);
    session::JoinedParticipant j;
    j.id = m.id;
    j.audio_port = m.audio_port;
    j.audio_rtcp_port = m.audio_port;
    j.video_port = m.video_port;
    j.video_rtcp_port = m.video_port;
    return j;
  }
  Status LeaveRoom(const std::string& name, uint32_t id) override {
    log.push_back("LeaveRoom " + name + " " + std::to_string(id));
    if (auto f = Failure("LeaveRoom")) return *f;
    auto found = Member(name, id);
    if (!found.ok()) return found.status();
    std::erase_if(room(name)->members, [id](const auto& m) { return m.id == id; });
    return Status::Ok();
  }
  Status UpdateRemote(const std::string& name, uint32_t id,
                      const session::RemoteUpdate& /*remote*/) override {
    log.push_back("UpdateRemote " + name + " " + std::to_string(id));
    return Member(name, id).status();
  }
  Status Admit(const std::string& name, uint32_t id) override {
    log.push_back("Admit " + name + " " + std::to_string(id));
    auto m = Member(name, id);
    if (!m.ok()) return m.status();
    (*m)->admitted = true;
    return Status::Ok();
  }
  Status RequestKeyframe(const std::string& name, uint32_t id) override {
    log.push_back("RequestKeyframe " + name + " " + std::to_string(id));
    return Member(name, id).status();
  }
  Status UpdateMember(const std::string& name, uint32_t id,
                      const session::MemberUpdate& update) override {
    log.push_back("UpdateMember " + name + " " + std::to_string(id));
    if (auto f = Failure("UpdateMember")) return *f;
    auto m = Member(name, id);
    if (!m.ok()) return m.status();
    if (update.muted) (*m)->muted = *update.muted;
    if (update.deaf) (*m)->deaf = *update.deaf;
    if (update.consent) (*m)->consent = *update.consent;
    last_update = update;
    return Status::Ok();
  }
  StatusOr<std::vector<session::RoomMember>> Participants(const std::string& name) override {
    ++participants_reads;
    if (!running) return FailedPreconditionError("the server is not running");
    Room* r = room(name);
    if (!r) return NotFoundError("no room '" + name + "'");
    return r->members;
  }
  StatusOr<std::pair<uint16_t, uint16_t>> ProposePorts(bool video) override {
    return std::pair<uint16_t, uint16_t>(next_port_,
                                         video ? static_cast<uint16_t>(next_port_ + 2) : 0);
  }

  Status SetLayout(const std::string& name, const std::string& layout) override {
    log.push_back("SetLayout " + name + " " + layout);
    if (auto f = Failure("SetLayout")) return *f;
    Room* r = VideoRoom(name);
    if (!r) return NoVideo(name);
    r->layout = layout;
    return Status::Ok();
  }
  Status SetPinned(const std::string& name, const std::string& participant, bool pinned) override {
    log.push_back(std::string(pinned ? "Pin " : "Unpin ") + name + " " + participant);
    if (auto f = Failure(pinned ? "Pin" : "Unpin")) return *f;
    Room* r = VideoRoom(name);
    if (!r) return NoVideo(name);
    if (pinned) {
      r->pinned.insert(participant);
    } else {
      r->pinned.erase(participant);
    }
    return Status::Ok();
  }
  Status SetSpeaker(const std::string& name, const std::string& participant) override {
    log.push_back("SetSpeaker " + name + " " + participant);
    if (auto f = Failure("SetSpeaker")) return *f;
    Room* r = VideoRoom(name);
    if (!r) return NoVideo(name);
    r->speaker = participant;
    return Status::Ok();
  }
  StatusOr<std::vector<std::string>> RoomStats(const std::string& name) override {
    if (!running) return FailedPreconditionError("the server is not running");
    std::vector<std::string> out;
    bool found = false;
    for (const auto& n : order_) {
      if (!name.empty() && n != name) continue;
      found = true;
      const Room& r = rooms_.at(n);
      out.push_back(
          nlohmann::json{{"room", n}, {"participants", r.members.size()}, {"ticks", 7}}.dump());
      if (r.config.video) {
        out.push_back(
            nlohmann::json{{"room", n}, {"media", "video"}, {"layout", r.layout}, {"composes", 3}}
                .dump());
      }
    }
    if (!found) return NotFoundError("no room '" + name + "'");
    return out;
  }

  std::optional<session::MemberUpdate> last_update;

 private:
  std::optional<Status> Failure(const std::string& method) {
    auto it = fail.find(method);
    if (it == fail.end()) return std::nullopt;
    return it->second;
  }
  session::RoomMember& AddMember(Room& r, const session::RoomParticipantConfig& pc,
                                 bool from_config) {
    session::RoomMember m;
    m.id = r.next_id++;
    m.name = pc.name;
    m.from_config = from_config;
    m.joined_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    m.sends = (pc.has_audio && !pc.receive_only) || (pc.video && pc.video->send);
    m.consent = pc.consent;
    if (pc.has_audio) {
      m.audio_port = next_port_;
      next_port_ += 2;
      m.audio_stats_json = R"({"codec":"opus","packets":12,"loss":0.0})";
    }
    if (pc.video) {
      m.video_port = next_port_;
      next_port_ += 2;
      m.video_stats_json = R"({"codec":"H264","packets":40})";
    }
    r.members.push_back(std::move(m));
    return r.members.back();
  }
  StatusOr<session::RoomMember*> Member(const std::string& name, uint32_t id) {
    Room* r = room(name);
    if (!r) return NotFoundError("no room '" + name + "'");
    for (auto& m : r->members) {
      if (m.id == id) return &m;
    }
    return NotFoundError("room '" + name + "' has no participant " + std::to_string(id));
  }
  Room* VideoRoom(const std::string& name) {
    Room* r = room(name);
    return r && r->config.video ? r : nullptr;
  }
  Status NoVideo(const std::string& name) {
    if (!room(name)) return NotFoundError("no room '" + name + "'");
    return FailedPreconditionError("room '" + name + "' has no video");
  }

  std::map<std::string, Room> rooms_;
  std::vector<std::string> order_;
  bool draining_ = false;
  uint16_t next_port_ = 20000;
};

// The app's decoders in miniature: known keys, types, required name; every error on its own line.
inline StatusOr<session::RoomParticipantConfig> DecodeParticipant(
    const nlohmann::json& j, const std::string& path, std::vector<std::string>& errors) {
  session::RoomParticipantConfig pc;
  static const std::set<std::string> kKeys = {"name", "audio", "video", "remote_rtp_port"};
  for (const auto& item : j.items()) {
    if (!kKeys.contains(item.key())) errors.push_back(path + "." + item.key() + ": unknown key");
  }
  const auto name = j.find("name");
  if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
    errors.push_back(path + ".name: is required");
  } else {
    pc.name = name->get<std::string>();
  }
  if (j.contains("audio") && j["audio"] == false) pc.has_audio = false;
  if (j.contains("video")) pc.video.emplace();
  return pc;
}

inline ControlHooks FakeHooks(SipControl* sip = nullptr) {
  ControlHooks hooks;
  hooks.decode_room = [](const nlohmann::json& j) -> StatusOr<session::RoomConfig> {
    std::vector<std::string> errors;
    session::RoomConfig rc;
    static const std::set<std::string> kKeys = {
        "name", "region", "sip", "max_speakers", "max_participants", "participants", "video"};
    for (const auto& item : j.items()) {
      if (!kKeys.contains(item.key())) errors.push_back("rooms." + item.key() + ": unknown key");
    }
    const auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get<std::string>().empty()) {
      errors.push_back("rooms.name: is required");
    } else {
      rc.name = name->get<std::string>();
    }
    if (const auto k = j.find("max_speakers"); k != j.end()) {
      if (!k->is_number_integer() || k->get<int>() < 1) {
        errors.push_back("rooms.max_speakers: must be an integer of at least 1");
      } else {
        rc.max_speakers = k->get<int>();
      }
    }
    if (const auto s = j.find("sip"); s != j.end() && s->is_object()) {
      if (s->contains("numbers")) rc.sip.numbers = (*s)["numbers"].get<std::vector<std::string>>();
      if (s->contains("pin")) rc.sip.pin = (*s)["pin"].get<std::string>();
    }
    if (const auto v = j.find("video"); v != j.end()) {
      rc.video.emplace();
      rc.video->profiles.push_back({});
      rc.video->profiles.back().name = "hd";
      if (v->contains("layout")) rc.video->layout = (*v)["layout"].get<std::string>();
    }
    if (const auto ps = j.find("participants"); ps != j.end()) {
      for (size_t i = 0; i < ps->size(); ++i) {
        auto pc =
            DecodeParticipant((*ps)[i], "rooms.participants[" + std::to_string(i) + "]", errors);
        if (pc.ok()) rc.participants.push_back(*pc);
      }
    }
    if (!errors.empty()) {
      std::string m;
      for (const auto& e : errors) m += (m.empty() ? "" : "\n") + e;
      return InvalidArgumentError(m);
    }
    return rc;
  };
  hooks.decode_participant =
      [](const nlohmann::json& j) -> StatusOr<session::RoomParticipantConfig> {
    std::vector<std::string> errors;
    auto pc = DecodeParticipant(j, "participant", errors);
    if (!errors.empty()) {
      std::string m;
      for (const auto& e : errors) m += (m.empty() ? "" : "\n") + e;
      return InvalidArgumentError(m);
    }
    return pc;
  };
  hooks.sip = sip;
  return hooks;
}

// SIP calls in a list, as sipua's Control answers them.
class FakeSip : public SipControl {
 public:
  nlohmann::json calls = nlohmann::json::array();
  std::vector<std::string> hung_up;
  int dialled = 0;

  StatusOr<nlohmann::json> ListCalls() override { return calls; }
  StatusOr<std::string> Dial(const std::string& room, const std::string& uri,
                             const std::string& name) override {
    if (uri.rfind("sip:", 0) != 0) return InvalidArgumentError("not a SIP URI: " + uri);
    const std::string id = "call" + std::to_string(++dialled) + "@tessera";
    calls.push_back({{"call_id", id},
                     {"room", room},
                     {"participant", name.empty() ? uri.substr(4, uri.find('@') - 4) : name},
                     {"participant_id", 0},
                     {"state", "ringing"},
                     {"direction", "out"},
                     {"remote", "10.0.0.9:5060"},
                     {"transport", "UDP"}});
    return id;
  }
  Status Hangup(const std::string& call_id) override {
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i]["call_id"] == call_id) {
        calls.erase(i);
        hung_up.push_back(call_id);
        return Status::Ok();
      }
    }
    return NotFoundError("no call " + call_id);
  }
  StatusOr<nlohmann::json> Stats() override {
    return nlohmann::json{{"calls_in", 0}, {"calls_out", dialled}, {"active_calls", calls.size()}};
  }
};

// Tokens are "<role>" or "<role>:<room>"; the subject is the token itself, none with a final "!".
// For the API tests.
class RoleAuthenticator : public Authenticator {
 public:
  StatusOr<Principal> Authenticate(const std::string& authorization, int64_t) override {
    std::string token = authorization.substr(std::string("Bearer ").size());
    Principal p;
    p.subject = token;
    if (!token.empty() && token.back() == '!') {  // "<role>!": a token without a subject
      token.pop_back();
      p.subject.clear();
    }
    const size_t colon = token.find(':');
    if (colon != std::string::npos) p.room = token.substr(colon + 1);
    const std::optional<Role> r = RoleFromName(token.substr(0, colon));
    if (!r) return UnauthenticatedError("bad signature");
    p.role = *r;
    return p;
  }
};

}  // namespace tessera::control::testing
