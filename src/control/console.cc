#include <tessera/control/console.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace tessera::control {
namespace {

std::string Iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Answer(const Status& s, const std::string& line) {
  return s.ok() ? "ok " + line : "error: " + s.message();
}

}  // namespace

std::string Console::Participants(const std::string& room) {
  auto members = rooms_.Participants(room);
  if (!members.ok()) return "error: " + members.status().message();
  nlohmann::json list = nlohmann::json::array();
  for (const session::RoomMember& m : *members) {
    nlohmann::json j = {{"id", m.id},
                        {"name", m.name},
                        {"joined", m.from_config ? "config" : "runtime"},
                        {"joined_at", Iso8601(m.joined_at)},
                        {"admitted", m.admitted}};
    if (m.audio_port) j["audio_port"] = m.audio_port;
    if (m.video_port) j["video_port"] = m.video_port;
    list.push_back(std::move(j));
  }
  return "ok participants " + room + " " +
         list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Console::Handle(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return "error: empty command";
  const std::string& verb = words[0];
  if (verb == "stats") {
    if (words.size() > 2) return "error: stats takes at most a room";
    auto stats = rooms_.RoomStats(words.size() == 2 ? words[1] : "");
    if (!stats.ok()) return "error: " + stats.status().message();
    std::string out;
    for (const std::string& s : *stats) out += (out.empty() ? "" : ",") + s;
    return "ok stats [" + out + "]";
  }
  if (verb == "participants") {
    if (words.size() != 2) return "error: participants takes a room";
    return Participants(words[1]);
  }
  if (verb == "kick") {
    if (words.size() != 3) return "error: kick takes a room and a participant";
    auto members = rooms_.Participants(words[1]);
    if (!members.ok()) return "error: " + members.status().message();
    for (const session::RoomMember& m : *members) {
      if (m.name == words[2]) return Answer(rooms_.LeaveRoom(words[1], m.id), line);
    }
    return "error: room '" + words[1] + "' has no participant '" + words[2] + "'";
  }
  const bool known = verb == "layout" || verb == "pin" || verb == "unpin" || verb == "speaker";
  if (!known) {
    return "error: unknown command '" + verb +
           "' (known: layout ROOM NAME, pin ROOM PARTICIPANT, unpin ROOM PARTICIPANT, "
           "speaker ROOM PARTICIPANT, stats [ROOM], participants ROOM, kick ROOM PARTICIPANT)";
  }
  if (words.size() != 3) return "error: " + verb + " takes a room and one argument";
  const std::string& room = words[1];
  const std::string& arg = words[2];
  if (verb == "layout") return Answer(rooms_.SetLayout(room, arg), line);
  if (verb == "speaker") return Answer(rooms_.SetSpeaker(room, arg), line);
  return Answer(rooms_.SetPinned(room, arg, verb == "pin"), line);
}

}  // namespace tessera::control
