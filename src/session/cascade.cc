#include <tessera/session/cascade.h>

#include <algorithm>

namespace tessera::session {

std::string LinkName(const std::string& node) { return "cascade-" + node; }

RoomConfig ShareRoom(const RoomConfig& room, const std::string& primary) {
  RoomConfig share = room;
  share.participants.clear();
  share.sip = RoomSipConfig{};
  share.recording = RoomRecordingConfig{};
  share.share = RoomShareConfig{primary};
  if (share.video) {
    RoomVideoConfig& v = *share.video;
    const VideoProfile& first = v.profiles.front();
    VideoProfile sub = first;
    sub.name = "cascade";
    const auto taken = [&v](const std::string& name) {
      return std::any_of(v.profiles.begin(), v.profiles.end(),
                         [&name](const VideoProfile& p) { return p.name == name; });
    };
    for (int n = 2; taken(sub.name); ++n) sub.name = "cascade-" + std::to_string(n);
    sub.bitrate_bps = std::min(first.bitrate_bps * 3, 8'000'000);
    sub.single_nal = false;
    v.profiles.insert(v.profiles.begin(), sub);
    v.layout = "grid";
    v.layouts.clear();
    v.fit = mixer::FitPolicy::kCrop;
    v.border_px = 0;
    v.highlight_speaker = false;
    v.name_labels = false;
    v.record.clear();
    v.record_profile.clear();
  }
  return share;
}

RoomParticipantConfig UplinkParticipant(const RoomConfig& share) {
  RoomParticipantConfig pc;
  pc.name = kUplinkName;
  pc.cascade = CascadeRole::kUplink;
  // Nothing listens on the discard port; the join is put on hold at once, until the primary's
  // link is known.
  pc.remote_address = "127.0.0.1";
  pc.remote_rtp_port = 9;
  pc.audio_codec = rtp::Codec::kOpus;
  pc.audio_payload_type = 111;
  pc.consent = Consent::kUnknown;
  if (share.video) {
    RoomParticipantVideoConfig v;
    v.codec = share.video->profiles.front().codec;
    v.payload_type = DefaultVideoPayloadType(v.codec);
    v.remote_rtp_port = 9;
    v.profile = share.video->profiles.front().name;
    v.adapt = false;
    pc.video = v;
  }
  return pc;
}

RoomParticipantConfig LinkParticipant(const RoomConfig& room, const std::string& node,
                                      const std::string& address, uint16_t audio_port,
                                      uint16_t video_port) {
  RoomParticipantConfig pc;
  pc.name = LinkName(node);
  pc.cascade = CascadeRole::kLink;
  pc.remote_address = address;
  pc.remote_rtp_port = audio_port;
  pc.audio_codec = rtp::Codec::kOpus;
  pc.audio_payload_type = 111;
  if (room.video && video_port) {
    RoomParticipantVideoConfig v;
    v.codec = room.video->profiles.front().codec;
    v.payload_type = DefaultVideoPayloadType(v.codec);
    v.remote_rtp_port = video_port;
    v.profile = room.video->profiles.front().name;
    v.adapt = false;
    pc.video = v;
  }
  return pc;
}

nlohmann::json CascadeLayoutJson(const CascadeLayout& l) {
  nlohmann::json cells = nlohmann::json::array();
  for (const CascadeCell& c : l.cells) {
    cells.push_back({{"name", c.name},
                     {"x", c.rect.x},
                     {"y", c.rect.y},
                     {"width", c.rect.width},
                     {"height", c.rect.height}});
  }
  return {{"width", l.width}, {"height", l.height}, {"cells", std::move(cells)}};
}

CascadeLayout CascadeLayoutFromJson(const nlohmann::json& j) {
  CascadeLayout l;
  if (!j.is_object()) return l;
  const auto num = [](const nlohmann::json& o, const char* k) -> int64_t {
    const auto it = o.find(k);
    if (it == o.end() || !it->is_number_integer()) return -1;
    // Unsigned values above int64's range come back negative: refused like any negative.
    return it->get<int64_t>();
  };
  const int64_t w = num(j, "width");
  const int64_t h = num(j, "height");
  if (w <= 0 || h <= 0 || w > 7680 || h > 4320) return l;
  const auto cells = j.find("cells");
  if (cells == j.end() || !cells->is_array()) return l;
  l.width = static_cast<int>(w);
  l.height = static_cast<int>(h);
  for (const nlohmann::json& c : *cells) {
    if (l.cells.size() >= kMaxCascadeCells) break;
    if (!c.is_object()) continue;
    const auto name = c.find("name");
    if (name == c.end() || !name->is_string()) continue;
    const std::string& n = name->get_ref<const std::string&>();
    if (n.empty() || n.size() > 64) continue;
    const int64_t x = num(c, "x"), y = num(c, "y"), cw = num(c, "width"), ch = num(c, "height");
    if (x < 0 || y < 0 || cw <= 0 || ch <= 0 || x > w || y > h || cw > w - x || ch > h - y) {
      continue;
    }
    l.cells.push_back({n, mixer::Rect{static_cast<int>(x), static_cast<int>(y),
                                      static_cast<int>(cw), static_cast<int>(ch)}});
  }
  return l;
}

}  // namespace tessera::session
