#include "control/room_json.h"

#include <tessera/base/time_format.h>
#include <tessera/rtp/codec.h>
#include <tessera/session/cascade.h>

#include <utility>

namespace tessera::control {

std::string Iso8601(std::chrono::system_clock::time_point t) {
  return FormatRfc3339(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

std::optional<nlohmann::json> ParseJsonText(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

LiveRoomStats SplitRoomStats(const std::vector<std::string>& texts) {
  LiveRoomStats out;
  for (const std::string& t : texts) {
    std::optional<nlohmann::json> j = ParseJsonText(t);
    if (!j || !j->is_object()) continue;
    const auto media = j->find("media");
    const bool video = media != j->end() && media->is_string() && *media == "video";
    (video ? out.video : out.audio) = std::move(*j);
  }
  return out;
}

nlohmann::json ParticipantJson(const session::RoomMember& m) {
  nlohmann::json j = {{"id", m.id},
                      {"name", m.name},
                      {"joined", m.from_config ? "config" : "runtime"},
                      {"joined_at", Iso8601(m.joined_at)},
                      {"admitted", m.admitted},
                      {"transport", m.transport},
                      {"muted", m.muted},
                      {"deaf", m.deaf},
                      {"consent", session::ConsentName(m.consent)},
                      {"sends", m.sends}};
  // A WebRTC participant's legs have no port of their own (they share the node's WebRTC port)
  // but live statistics all the same.
  if (m.audio_port) j["audio_port"] = m.audio_port;
  if (auto s = ParseJsonText(m.audio_stats_json); s && s->is_object()) j["audio"] = *s;
  if (m.video_port) j["video_port"] = m.video_port;
  if (auto s = ParseJsonText(m.video_stats_json); s && s->is_object()) j["video"] = *s;
  // The links of a cascaded room (docs/architecture.md, "Cascading"): on its primary, one per
  // share node, with the names its cells show; on a share, its uplink to the primary.
  if (m.transport == "cascade" && m.name == session::kUplinkName) {
    j["cascade"] = {{"role", "uplink"}};
  } else if (m.transport == "cascade") {
    j["cascade"] = {{"role", "link"},
                    {"node", m.name.starts_with("cascade-") ? m.name.substr(8) : m.name},
                    {"cells", m.cascade_cells}};
  }
  return j;
}

nlohmann::json RoomJson(const session::RoomConfig& room,
                        const std::vector<session::RoomMember>& members,
                        const LiveRoomStats& stats) {
  nlohmann::json video = nullptr;
  if (room.video) {
    std::string layout = room.video->layout;
    if (stats.video.is_object()) {
      const auto live = stats.video.find("layout");
      if (live != stats.video.end() && live->is_string()) layout = live->get<std::string>();
    }
    nlohmann::json profiles = nlohmann::json::array();
    for (const session::VideoProfile& p : room.video->profiles) {
      profiles.push_back({{"name", p.name},
                          {"codec", rtp::CodecName(p.codec)},
                          {"width", p.width},
                          {"height", p.height},
                          {"fps", p.fps},
                          {"bitrate_kbps", p.bitrate_bps / 1000}});
    }
    video = {{"layout", std::move(layout)}, {"profiles", std::move(profiles)}};
  }
  nlohmann::json participants = nlohmann::json::array();
  for (const session::RoomMember& m : members) participants.push_back(ParticipantJson(m));
  return {
      {"name", room.name},
      {"region", room.region},
      {"max_speakers", room.max_speakers},
      {"max_participants", room.max_participants},
      {"audio_jitter_min_ms", room.audio_jitter_min_ms},
      {"audio_jitter_max_ms", room.audio_jitter_max_ms},
      {"sip", {{"numbers", room.sip.numbers}, {"pin_set", !room.sip.pin.empty()}}},
      {"recording",
       {{"consent", session::ConsentPolicyName(room.recording.consent)},
        // null: the recorder's own retention_days.
        {"retention_days", room.recording.retention_days
                               ? nlohmann::json(room.recording.retention_days)
                               : nlohmann::json(nullptr)}}},
      {"video", std::move(video)},
      {"cascade", room.cascade.per_node ? nlohmann::json{{"per_node", room.cascade.per_node}}
                                        : nlohmann::json(nullptr)},
      {"share",
       room.share ? nlohmann::json{{"primary", room.share->primary}} : nlohmann::json(nullptr)},
      {"participants", std::move(participants)},
      {"stats",
       {{"audio", stats.audio}, {"video", room.video ? stats.video : nlohmann::json(nullptr)}}}};
}

nlohmann::json RoomSummaryJson(const session::RoomConfig& room, size_t participants,
                               const std::string& live_layout) {
  nlohmann::json layout = nullptr;
  if (room.video) layout = live_layout.empty() ? room.video->layout : live_layout;
  return {{"name", room.name},
          {"region", room.region},
          {"participants", participants},
          {"video", room.video.has_value()},
          {"layout", std::move(layout)},
          {"sip_numbers", room.sip.numbers}};
}

}  // namespace tessera::control
