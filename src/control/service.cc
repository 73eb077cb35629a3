// The control plane's operations over the RoomDirectory, for the console and the HTTP API.
#include <spdlog/spdlog.h>
#include <tessera/control/service.h>
#include <tessera/session/cascade.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "control/room_json.h"

namespace tessera::control {
namespace {

using session::RoomMember;

// The validation errors of a request, one per line (the API's 422 "errors").
Status Invalid(const std::vector<std::string>& errors) {
  std::string m;
  for (const std::string& e : errors) m += (m.empty() ? "" : "\n") + e;
  return InvalidArgumentError(std::move(m));
}

Status NotAnObject() { return InvalidArgumentError("the body must be a JSON object"); }

std::string Join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string KnownKeys(const std::set<std::string>& keys) {
  return "unknown key (known: " + Join(keys) + ")";
}

// A hook that decodes a JSON body; the app's validators may throw on what they convert (yaml-cpp,
// nlohmann): the exception stops here, as a refusal of the body.
template <typename T>
StatusOr<T> Decode(const std::function<StatusOr<T>(const nlohmann::json&)>& decode,
                   const nlohmann::json& body) {
  try {
    return decode(body);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("the body could not be read: ") + e.what());
  }
}

const RoomMember* FindByName(const std::vector<RoomMember>& members, const std::string& name) {
  for (const RoomMember& m : members) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const RoomMember* FindById(const std::vector<RoomMember>& members, uint32_t id) {
  for (const RoomMember& m : members) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

std::string NoParticipant(const std::string& room, const std::string& who) {
  return "room '" + room + "' has no participant '" + who + "'";
}

// What a PATCH of a room asks for, once every key is checked.
struct RoomUpdate {
  std::optional<std::string> layout;
  std::vector<std::string> unpin;
  std::vector<std::string> pin;
  std::optional<std::string> speaker;
};

// A list of participant names; false (and an error) when it is not one.
bool NameList(const nlohmann::json& v, const std::string& key, std::vector<std::string>& out,
              std::vector<std::string>& errors) {
  if (!v.is_array()) {
    errors.push_back(key + ": must be a list of participant names");
    return false;
  }
  for (const nlohmann::json& n : v) {
    if (!n.is_string()) {
      errors.push_back(key + ": must be a list of participant names");
      out.clear();
      return false;
    }
    out.push_back(n.get<std::string>());
  }
  return true;
}

}  // namespace

ControlService::ControlService(session::RoomDirectory& rooms, ControlHooks hooks)
    : rooms_(rooms), hooks_(std::move(hooks)) {}

nlohmann::json ControlService::BuildRoom(const session::RoomConfig& config) {
  std::vector<RoomMember> members;
  if (auto m = rooms_.Participants(config.name); m.ok()) members = std::move(*m);
  LiveRoomStats stats;
  if (auto s = rooms_.RoomStats(config.name); s.ok()) stats = SplitRoomStats(*s);
  return RoomJson(config, members, stats);
}

bool ControlService::HasRoom(const std::string& room) { return rooms_.FindRoom(room).has_value(); }

StatusOr<nlohmann::json> ControlService::ListRooms() {
  const std::vector<session::RoomConfig> rooms = rooms_.ListRooms();
  // The live layouts (an operator may have changed them), read once for every room; without
  // them (the rooms not running yet) the configured ones.
  std::map<std::string, std::string> layouts;
  if (!rooms.empty()) {
    if (auto stats = rooms_.RoomStats(""); stats.ok()) {
      for (const std::string& text : *stats) {
        std::optional<nlohmann::json> j = ParseJsonText(text);
        if (!j || !j->is_object() || j->value("media", "") != "video") continue;
        const auto room = j->find("room");
        const auto layout = j->find("layout");
        if (room != j->end() && room->is_string() && layout != j->end() && layout->is_string()) {
          layouts[room->get<std::string>()] = layout->get<std::string>();
        }
      }
    }
  }
  nlohmann::json list = nlohmann::json::array();
  for (const session::RoomConfig& r : rooms) {
    auto members = rooms_.Participants(r.name);
    const size_t count = members.ok() ? members->size() : 0;
    const auto live = layouts.find(r.name);
    list.push_back(RoomSummaryJson(r, count, live == layouts.end() ? "" : live->second));
  }
  return nlohmann::json{{"rooms", std::move(list)}};
}

StatusOr<nlohmann::json> ControlService::GetRoom(const std::string& room) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  if (!config) return NotFoundError("no room '" + room + "'");
  return BuildRoom(*config);
}

StatusOr<nlohmann::json> ControlService::CreateRoom(const nlohmann::json& body) {
  if (!hooks_.decode_room) return UnavailableError("creating rooms is not enabled on this node");
  if (!body.is_object()) return NotAnObject();
  StatusOr<session::RoomConfig> config = Decode(hooks_.decode_room, body);
  if (!config.ok()) return config.status();
  const std::string name = config->name;
  // The API names a room in one path segment; a percent-encoded '/' there would read as a
  // separator to every proxy and log on the way.
  if (name.find('/') != std::string::npos) {
    return InvalidArgumentError("rooms.name: must not contain '/', got '" + name + "'");
  }
  TESSERA_RETURN_IF_ERROR(rooms_.CreateRoom(std::move(config).value()));
  return GetRoom(name);
}

StatusOr<nlohmann::json> ControlService::CreateShare(const nlohmann::json& spec,
                                                     const std::string& primary) {
  if (!hooks_.decode_room) return UnavailableError("creating rooms is not enabled on this node");
  if (!spec.is_object()) return NotAnObject();
  // The primary's own participants stay there.
  nlohmann::json body = spec;
  body.erase("participants");
  body.erase("dial_out");  // the primary's calls
  body["participants"] = nlohmann::json::array();
  StatusOr<session::RoomConfig> config = Decode(hooks_.decode_room, body);
  if (!config.ok()) return config.status();
  const session::RoomConfig share = session::ShareRoom(*config, primary);
  const std::string name = share.name;
  TESSERA_RETURN_IF_ERROR(rooms_.CreateRoom(share));
  session::JoinOptions options;
  options.transport = "cascade";
  auto up = rooms_.JoinRoom(name, session::UplinkParticipant(share), options);
  if (!up.ok()) {
    (void)rooms_.DeleteRoom(name);
    return Status(up.status().code(),
                  "the share of room '" + name + "' has no uplink: " + up.status().message());
  }
  session::RemoteUpdate hold;
  hold.address = "0.0.0.0";
  (void)rooms_.UpdateRemote(name, up->id, hold);
  spdlog::info("room {}: a share of it runs here for its primary, node {} (uplink ports {}/{})",
               name, primary, up->audio_port, up->video_port);
  return GetRoom(name);
}

uint32_t ControlService::CascadePerNode(const std::string& room) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  if (!config || config->share) return 0;
  return config->cascade.per_node;
}

bool ControlService::IsShare(const std::string& room) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  return config && config->share.has_value();
}

std::string ControlService::SharePrimary(const std::string& room) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  return config && config->share ? config->share->primary : std::string();
}

size_t ControlService::OwnParticipants(const std::string& room) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return 0;
  return static_cast<size_t>(std::count_if(members->begin(), members->end(),
                                           [](const auto& m) { return m.transport != "cascade"; }));
}

StatusOr<nlohmann::json> ControlService::UpdateRoom(const std::string& room,
                                                    const nlohmann::json& body) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  if (!config) return NotFoundError("no room '" + room + "'");
  if (!body.is_object()) return NotAnObject();

  // Check everything first: keys and types, then what they name.
  static const std::set<std::string> kKeys = {"layout", "pin", "speaker", "unpin"};
  std::vector<std::string> errors;
  RoomUpdate u;
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    const nlohmann::json& v = item.value();
    if (key == "layout" || key == "speaker") {
      if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
        errors.push_back(key + ": must be a non-empty string");
      } else {
        (key == "layout" ? u.layout : u.speaker) = v.get<std::string>();
      }
    } else if (key == "pin" || key == "unpin") {
      NameList(v, key, key == "pin" ? u.pin : u.unpin, errors);
    } else {
      errors.push_back(key + ": " + KnownKeys(kKeys));
    }
  }
  const bool touches_video = u.layout || u.speaker || !u.pin.empty() || !u.unpin.empty();
  if (touches_video && !config->video) {
    errors.push_back("room '" + room + "' has no video: layout, speaker and pins need it");
    return Invalid(errors);
  }
  if (u.layout) {
    std::set<std::string> known = {"grid", "speaker", "presentation", "pip"};
    for (const auto& l : config->video->layouts) known.insert(l.name);
    if (!known.contains(*u.layout)) {
      errors.push_back("layout: no layout '" + *u.layout + "' (known: " + Join(known) + ")");
    }
  }
  if (u.speaker || !u.pin.empty() || !u.unpin.empty()) {
    auto members = rooms_.Participants(room);
    if (!members.ok()) return members.status();
    auto check = [&](const std::string& key, const std::string& name) {
      // Existence only: whether it has a tile is the video room's to say (an audio-only
      // participant has one, a receive-only viewer none).
      if (!FindByName(*members, name)) errors.push_back(key + ": " + NoParticipant(room, name));
    };
    if (u.speaker) check("speaker", *u.speaker);
    for (const std::string& n : u.pin) check("pin", n);
    for (const std::string& n : u.unpin) {
      check("unpin", n);
      if (std::find(u.pin.begin(), u.pin.end(), n) != u.pin.end()) {
        errors.push_back("unpin: '" + n + "' is also in pin");
      }
    }
  }
  if (!errors.empty()) return Invalid(errors);

  // Apply. This cannot be atomic: the directory changes the layout, each pin and the speaker one
  // call at a time, and it may still refuse one that passed the checks above (a receive-only
  // viewer has video but no tile; the room may have ended meanwhile). Such an error is reported
  // with what was applied before it, which stays applied.
  std::vector<std::string> applied;
  auto step = [&](Status s, std::string what) -> Status {
    if (s.ok()) {
      applied.push_back(std::move(what));
      return s;
    }
    if (applied.empty()) return s;
    std::string done;
    for (const std::string& a : applied) done += (done.empty() ? "" : ", ") + a;
    return Status(s.code(), s.message() + " (already applied: " + done + ")");
  };
  if (u.layout) {
    TESSERA_RETURN_IF_ERROR(step(rooms_.SetLayout(room, *u.layout), "layout " + *u.layout));
  }
  for (const std::string& n : u.unpin) {
    TESSERA_RETURN_IF_ERROR(step(rooms_.SetPinned(room, n, false), "unpin " + n));
  }
  for (const std::string& n : u.pin) {
    TESSERA_RETURN_IF_ERROR(step(rooms_.SetPinned(room, n, true), "pin " + n));
  }
  if (u.speaker) {
    TESSERA_RETURN_IF_ERROR(step(rooms_.SetSpeaker(room, *u.speaker), "speaker " + *u.speaker));
  }
  return BuildRoom(*config);
}

Status ControlService::DeleteRoom(const std::string& room) { return rooms_.DeleteRoom(room); }

StatusOr<std::vector<std::string>> ControlService::WithoutConsent(const std::string& room) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return members.status();
  std::vector<std::string> lacking;
  for (const session::RoomMember& m : *members) {
    if (m.sends && m.consent != session::Consent::kGranted) {
      lacking.push_back(m.name + " (" + session::ConsentName(m.consent) + ")");
    }
  }
  return lacking;
}

StatusOr<std::vector<std::string>> ControlService::BlockingRecording(const std::string& room) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  if (!config) return NotFoundError("no room '" + room + "'");
  if (config->recording.consent == session::ConsentPolicy::kExclude) {
    return std::vector<std::string>{};
  }
  return WithoutConsent(room);
}

StatusOr<std::string> ControlService::RecordedProfile(const std::string& room,
                                                      const std::string& requested) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  if (!config) return NotFoundError("no room '" + room + "'");
  if (!config->video) {
    if (requested.empty()) return std::string();
    return InvalidArgumentError("profile: room '" + room + "' has no video, hence no profile '" +
                                requested + "'");
  }
  if (requested.empty()) return config->video->profiles.front().name;
  std::set<std::string> known;
  for (const auto& p : config->video->profiles) {
    if (p.name == requested) return requested;
    known.insert(p.name);
  }
  return InvalidArgumentError("profile: room '" + room + "' has no profile '" + requested +
                              "' (its profiles: " + Join(known) + ")");
}

StatusOr<uint32_t> ControlService::RecordingRetentionDays(const std::string& room) {
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  if (!config) return NotFoundError("no room '" + room + "'");
  return config->recording.retention_days;
}

StatusOr<nlohmann::json> ControlService::RoomStats(const std::string& room) {
  auto stats = rooms_.RoomStats(room);
  if (!stats.ok()) return stats.status();
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& text : *stats) {
    std::optional<nlohmann::json> j = ParseJsonText(text);
    if (!j) return InternalError("the live stats of room '" + room + "' are not JSON");
    out.push_back(std::move(*j));
  }
  return out;
}

bool ControlService::draining() { return rooms_.draining(); }

StatusOr<nlohmann::json> ControlService::ListParticipants(const std::string& room) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return members.status();
  const std::optional<session::RoomConfig> config = rooms_.FindRoom(room);
  const bool exclude = config && config->recording.consent == session::ConsentPolicy::kExclude;
  nlohmann::json list = nlohmann::json::array();
  for (const RoomMember& m : *members) {
    nlohmann::json j = ParticipantJson(m);
    // Left out of the room's recordings (the "exclude" consent policy): the recorder does not
    // list them among those who appear in it.
    if (exclude && m.sends && m.consent != session::Consent::kGranted) j["recorded"] = false;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"participants", std::move(list)}};
}

StatusOr<nlohmann::json> ControlService::GetParticipant(const std::string& room, uint32_t id) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return members.status();
  const RoomMember* m = FindById(*members, id);
  if (!m) return NotFoundError(NoParticipant(room, std::to_string(id)));
  return ParticipantJson(*m);
}

StatusOr<nlohmann::json> ControlService::AddParticipant(const std::string& room,
                                                        const nlohmann::json& body) {
  if (!rooms_.FindRoom(room)) return NotFoundError("no room '" + room + "'");
  if (!hooks_.decode_participant) {
    return UnavailableError("adding participants is not enabled on this node");
  }
  if (!body.is_object()) return NotAnObject();
  StatusOr<session::RoomParticipantConfig> pc = Decode(hooks_.decode_participant, body);
  if (!pc.ok()) return pc.status();
  if (pc->name.starts_with("cascade-")) {
    return InvalidArgumentError("name: '" + pc->name +
                                "': names starting with cascade- are the links between the "
                                "nodes of a cascaded room");
  }
  // What the join gave, should the participant leave before the roster is read.
  session::RoomMember joined_member;
  joined_member.name = pc->name;
  joined_member.from_config = false;
  joined_member.joined_at = std::chrono::system_clock::now();
  joined_member.muted = pc->muted;
  joined_member.deaf = pc->deaf;
  joined_member.consent = pc->consent;
  auto joined = rooms_.JoinRoom(room, std::move(pc).value());
  if (!joined.ok()) return joined.status();
  if (auto p = GetParticipant(room, joined->id); p.ok()) return p;
  joined_member.id = joined->id;
  joined_member.audio_port = joined->audio_port;
  joined_member.video_port = joined->video_port;
  return ParticipantJson(joined_member);
}

StatusOr<nlohmann::json> ControlService::UpdateParticipant(const std::string& room, uint32_t id,
                                                           const nlohmann::json& body) {
  auto before = GetParticipant(room, id);
  if (!before.ok()) return before.status();
  if (!body.is_object()) return NotAnObject();
  static const std::set<std::string> kKeys = {"consent", "deaf", "muted", "pinned", "role"};
  std::vector<std::string> errors;
  session::MemberUpdate update;
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    const nlohmann::json& v = item.value();
    if (key == "muted" || key == "deaf" || key == "pinned") {
      if (!v.is_boolean()) {
        errors.push_back(key + ": must be true or false");
        continue;
      }
      std::optional<bool>& field = key == "muted"  ? update.muted
                                   : key == "deaf" ? update.deaf
                                                   : update.pinned;
      field = v.get<bool>();
    } else if (key == "role") {
      if (!v.is_string()) {
        errors.push_back("role: must be a string (\"\" clears it)");
        continue;
      }
      update.role = v.get<std::string>();
    } else if (key == "consent") {
      const std::optional<session::Consent> consent =
          v.is_string() ? session::ConsentFromName(v.get<std::string>()) : std::nullopt;
      if (!consent) {
        errors.push_back("consent: must be \"unknown\", \"granted\" or \"declined\"");
        continue;
      }
      update.consent = *consent;
    } else {
      errors.push_back(key + ": " + KnownKeys(kKeys));
    }
  }
  if (!errors.empty()) return Invalid(errors);
  TESSERA_RETURN_IF_ERROR(rooms_.UpdateMember(room, id, update));
  return GetParticipant(room, id);
}

namespace {

// A cascade link leaves with its share (or its room), never on its own: a share without its
// uplink, or a primary without its link, would silently cut a whole node's participants off.
Status NotALink(const std::string& room, const RoomMember& m) {
  if (m.transport != "cascade") return Status::Ok();
  return FailedPreconditionError("participant " + m.name + " of room " + room +
                                 " is a link between the nodes of the cascaded room: it leaves "
                                 "with its share");
}

}  // namespace

Status ControlService::RemoveParticipant(const std::string& room, uint32_t id) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return members.status();
  const RoomMember* m = FindById(*members, id);
  if (!m) return NotFoundError(NoParticipant(room, std::to_string(id)));
  TESSERA_RETURN_IF_ERROR(NotALink(room, *m));
  return rooms_.LeaveRoom(room, id);
}

Status ControlService::KickByName(const std::string& room, const std::string& name) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return members.status();
  const RoomMember* m = FindByName(*members, name);
  if (!m) return NotFoundError(NoParticipant(room, name));
  TESSERA_RETURN_IF_ERROR(NotALink(room, *m));
  return rooms_.LeaveRoom(room, m->id);
}

StatusOr<nlohmann::json> ControlService::ListCalls() {
  if (!hooks_.sip) return UnavailableError("SIP is not enabled");
  auto calls = hooks_.sip->ListCalls();
  if (!calls.ok()) return calls.status();
  if (!calls->is_array()) return InternalError("the SIP user agent's calls are not a list");
  return nlohmann::json{{"calls", std::move(calls).value()}};
}

StatusOr<nlohmann::json> ControlService::Dial(const nlohmann::json& body) {
  if (!hooks_.sip) return UnavailableError("SIP is not enabled");
  if (!body.is_object()) return NotAnObject();
  static const std::set<std::string> kKeys = {"name", "room", "uri"};
  std::vector<std::string> errors;
  std::map<std::string, std::string> fields;
  for (const auto& item : body.items()) {
    if (!kKeys.contains(item.key())) {
      errors.push_back(item.key() + ": " + KnownKeys(kKeys));
    } else if (!item.value().is_string()) {
      errors.push_back(item.key() + ": must be a string");
    } else {
      fields[item.key()] = item.value().get<std::string>();
    }
  }
  if (fields["room"].empty()) errors.push_back("room: is required");
  if (fields["uri"].empty()) errors.push_back("uri: is required (sip:user@host)");
  if (!errors.empty()) return Invalid(errors);
  auto call_id = hooks_.sip->Dial(fields["room"], fields["uri"], fields["name"]);
  if (!call_id.ok()) return call_id.status();
  return nlohmann::json{{"call_id", std::move(call_id).value()}};
}

Status ControlService::Hangup(const std::string& call_id) {
  if (!hooks_.sip) return UnavailableError("SIP is not enabled");
  return hooks_.sip->Hangup(call_id);
}

StatusOr<nlohmann::json> ControlService::SipStats() {
  if (!hooks_.sip) return UnavailableError("SIP is not enabled");
  return hooks_.sip->Stats();
}

}  // namespace tessera::control
