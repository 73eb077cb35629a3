#include <tessera/control/console.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

namespace tessera::control {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One line whatever the error: validation errors come one per line.
std::string Error(const Status& s) {
  std::string m = s.message();
  for (size_t at = m.find('\n'); at != std::string::npos; at = m.find('\n', at)) {
    m.replace(at, 1, "; ");
  }
  return "error: " + m;
}

std::string Answer(const Status& s, const std::string& line) {
  return s.ok() ? "ok " + line : Error(s);
}

}  // namespace

Console::Console(session::RoomDirectory& rooms, ControlHooks hooks)
    : owned_(std::make_unique<ControlService>(rooms, std::move(hooks))), service_(*owned_) {}

Console::Console(ControlService& service) : service_(service) {}

std::string Console::Participants(const std::string& room) {
  auto answer = service_.ListParticipants(room);
  if (!answer.ok()) return Error(answer.status());
  // The console's roster lines are shorter than the API's Participant: no live stats.
  static const char* const kKept[] = {"id",       "name",       "joined",     "joined_at",
                                      "admitted", "audio_port", "video_port", "consent"};
  nlohmann::json list = nlohmann::json::array();
  for (const nlohmann::json& p : (*answer)["participants"]) {
    nlohmann::json j = nlohmann::json::object();
    for (const char* key : kKept) {
      if (p.contains(key)) j[key] = p[key];
    }
    list.push_back(std::move(j));
  }
  return "ok participants " + room + " " + Dump(list);
}

std::string Console::Sip(const std::vector<std::string>& w) {
  const std::string& verb = w[0];
  if (verb == "calls") {
    if (w.size() != 1) return "error: calls takes no argument";
    auto calls = service_.ListCalls();
    if (!calls.ok()) return Error(calls.status());
    return "ok calls " + Dump((*calls)["calls"]);
  }
  if (verb == "sipstats") {
    auto stats = service_.SipStats();
    if (!stats.ok()) return Error(stats.status());
    return "ok sipstats " + Dump(*stats);
  }
  if (verb == "hangup") {
    if (w.size() != 2) return "error: hangup takes a Call-ID";
    const Status s = service_.Hangup(w[1]);
    return s.ok() ? "ok hangup " + w[1] : Error(s);
  }
  // dial
  if (w.size() < 3 || w.size() > 4) return "error: dial takes a room, a SIP URI and a name";
  nlohmann::json body = {{"room", w[1]}, {"uri", w[2]}};
  if (w.size() == 4) body["name"] = w[3];
  auto call = service_.Dial(body);
  if (!call.ok()) return Error(call.status());
  return "ok dial " + w[1] + " " + (*call)["call_id"].get<std::string>();
}

std::string Console::Handle(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return "error: empty command";
  const std::string& verb = words[0];
  if (verb == "stats") {
    if (words.size() > 2) return "error: stats takes at most a room";
    auto stats = service_.RoomStats(words.size() == 2 ? words[1] : "");
    if (!stats.ok()) return Error(stats.status());
    return "ok stats " + Dump(*stats);
  }
  if (verb == "participants") {
    if (words.size() != 2) return "error: participants takes a room";
    return Participants(words[1]);
  }
  if (verb == "kick") {
    if (words.size() != 3) return "error: kick takes a room and a participant";
    return Answer(service_.KickByName(words[1], words[2]), line);
  }
  if (verb == "calls" || verb == "dial" || verb == "hangup" || verb == "sipstats") {
    return Sip(words);
  }
  const bool known = verb == "layout" || verb == "pin" || verb == "unpin" || verb == "speaker";
  if (!known) {
    return "error: unknown command '" + verb +
           "' (known: layout ROOM NAME, pin ROOM PARTICIPANT, unpin ROOM PARTICIPANT, "
           "speaker ROOM PARTICIPANT, stats [ROOM], participants ROOM, kick ROOM PARTICIPANT, "
           "calls, dial ROOM URI [NAME], hangup CALL-ID, sipstats)";
  }
  if (words.size() != 3) return "error: " + verb + " takes a room and one argument";
  // The picture commands are the API's PATCH of the room, with one key.
  nlohmann::json body = nlohmann::json::object();
  if (verb == "layout" || verb == "speaker") {
    body[verb] = words[2];
  } else {
    body[verb] = nlohmann::json::array({words[2]});
  }
  auto room = service_.UpdateRoom(words[1], body);
  return Answer(room.ok() ? Status::Ok() : room.status(), line);
}

}  // namespace tessera::control
