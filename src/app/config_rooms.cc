// Parsing of the `rooms` section.
#include "app/config_rooms.h"

#include <boost/asio/ip/address.hpp>
#include <set>

#include "app/config_room_video.h"
#include "app/config_sip.h"

namespace tessera::app {
namespace {

// Names reach logs, SDP files, metrics labels and SIP headers: no control characters.
void CheckName(Checker& c, const YAML::Node& n, const std::string& path, const std::string& name) {
  for (unsigned char ch : name) {
    if (ch < 0x20 || ch == 0x7f) {
      c.Error(n, path, "must not contain control characters (line breaks, tabs, ...)");
      return;
    }
  }
  if (name.size() > 128) c.Error(n, path, "must be at most 128 bytes long");
}

void ParseAudio(Checker& c, const YAML::Node& n, const std::string& p, RoomParticipantConfig& rp) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map with codec and payload_type");
    return;
  }
  c.OnlyKeys(n, p,
             {"codec", "payload_type", "channels", "audio_level_extension_id", "g722_pcm_bits"});
  std::string codec;
  c.String(n, p, "codec", codec);
  auto parsed = rtp::CodecFromName(codec);
  if (!parsed || rtp::KindOf(*parsed) != rtp::MediaKind::kAudio) {
    c.Error(n["codec"], p + ".codec", "must be opus, PCMU, PCMA or G722, got '" + codec + "'");
    return;
  }
  rp.audio_codec = *parsed;
  // Static payload types of RFC 3551 are the default for the G.7xx codecs.
  rp.audio_payload_type = *parsed == rtp::Codec::kPcmu   ? 0
                          : *parsed == rtp::Codec::kPcma ? 8
                          : *parsed == rtp::Codec::kG722 ? 9
                                                         : 111;
  c.Unsigned(n, p, "payload_type", rp.audio_payload_type, 0, 127);
  c.Unsigned(n, p, "channels", rp.audio_channels, 1, 2);
  if (rp.audio_channels == 2 && rp.audio_codec != rtp::Codec::kOpus) {
    c.Error(n["channels"], p + ".channels", "only Opus carries stereo");
  }
  c.Unsigned(n, p, "audio_level_extension_id", rp.audio_level_extension_id, 0, 14);
  ParseG722PcmBits(c, n, p, rp.audio_g722_pcm);
  if (n["g722_pcm_bits"].IsDefined() && rp.audio_codec != rtp::Codec::kG722) {
    c.Error(n["g722_pcm_bits"], p + ".g722_pcm_bits", "only G722 has a PCM convention");
  }
}

void ParseRoomParticipant(Checker& c, const YAML::Node& n, const std::string& p,
                          RoomParticipantConfig& rp) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map");
    return;
  }
  c.OnlyKeys(
      n, p,
      {"name", "local_port", "rtcp_mux", "remote_address", "remote_rtp_port", "remote_rtcp_port",
       "audio", "video", "srtp", "muted", "deaf", "consent", "receive_only", "recorder"});
  c.String(n, p, "name", rp.name);
  if (rp.name.empty()) c.Error(n, p + ".name", "is required");
  CheckName(c, n["name"], p + ".name", rp.name);
  c.Unsigned(n, p, "local_port", rp.local_port, 1024, 65534);
  c.Bool(n, p, "rtcp_mux", rp.rtcp_mux);
  c.String(n, p, "remote_address", rp.remote_address);
  {
    boost::system::error_code ec;
    boost::asio::ip::make_address(rp.remote_address, ec);
    if (ec) {
      c.Error(n["remote_address"], p + ".remote_address",
              "must be an IPv4 or IPv6 address, got '" + rp.remote_address + "'");
    }
  }
  c.Unsigned(n, p, "remote_rtp_port", rp.remote_rtp_port, 1, 65535);
  c.Unsigned(n, p, "remote_rtcp_port", rp.remote_rtcp_port, 1, 65535);
  const YAML::Node a = n["audio"];
  const YAML::Node v = n["video"];
  rp.has_audio = a.IsDefined();
  if (rp.has_audio) {
    ParseAudio(c, a, p + ".audio", rp);
    if (!n["remote_rtp_port"].IsDefined()) {
      c.Error(n, p + ".remote_rtp_port", "is required (where the room's mix is sent)");
    }
  } else if (!v.IsDefined()) {
    c.Error(n, p + ".audio", "is required (codec and payload_type), or video");
  } else {
    // The top-level ports are the audio ports.
    for (const char* key : {"local_port", "remote_rtp_port", "remote_rtcp_port"}) {
      if (n[key].IsDefined()) {
        c.Error(n[key], p + "." + key, "is an audio port, but there is no audio section");
      }
    }
  }
  if (v.IsDefined()) {
    rp.video.emplace();
    ParseParticipantVideo(c, v, p + ".video", *rp.video);
  }
  if (const YAML::Node s = n["srtp"]; s.IsDefined()) {
    rp.srtp.emplace();
    ParseSrtp(c, s, p + ".srtp", *rp.srtp);
  }
  c.Bool(n, p, "muted", rp.muted);
  c.Bool(n, p, "deaf", rp.deaf);
  // Sends nothing and is not seen or heard: it only receives the mix and the composite (a
  // recorder, a wall display).
  c.Bool(n, p, "receive_only", rp.receive_only);
  if (rp.receive_only && rp.video && rp.video->send) {
    c.Error(n["video"], p + ".video.send", "must be false for a receive_only participant");
  }
  if (const YAML::Node k = n["consent"]; k.IsDefined()) {
    std::string name;
    c.String(n, p, "consent", name);
    if (const auto consent = session::ConsentFromName(name)) {
      rp.consent = *consent;
    } else {
      c.Error(k, p + ".consent", "must be unknown, granted or declined, got '" + name + "'");
    }
  }
  // The recorder tier's participant: it sees and hears the recording's variant of the room.
  c.Bool(n, p, "recorder", rp.recorder);
  if (rp.recorder && !rp.receive_only) {
    c.Error(n["recorder"], p + ".recorder",
            "is only for a receive_only participant (the recorder sends nothing)");
  }
}

// rooms[].recording: {consent: require | exclude, retention_days: 1..36500}.
void ParseRoomRecording(Checker& c, const YAML::Node& n, const std::string& p,
                        session::RoomRecordingConfig& rec) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (consent: require or exclude; retention_days: 1..36500)");
    return;
  }
  c.OnlyKeys(n, p, {"consent", "retention_days"});
  // How long the recorder keeps the room's recordings; absent: the recorder's retention_days.
  c.Unsigned(n, p, "retention_days", rec.retention_days, 1, 36500);
  if (const YAML::Node k = n["consent"]; k.IsDefined()) {
    std::string name;
    c.String(n, p, "consent", name);
    if (const auto policy = session::ConsentPolicyFromName(name)) {
      rec.consent = *policy;
    } else {
      c.Error(k, p + ".consent",
              "must be require (no recording without everyone's consent) or exclude (the "
              "recording leaves out whoever has not granted it), got '" +
                  name + "'");
    }
  }
}

}  // namespace

void ParseRoom(Checker& c, const YAML::Node& r, const std::string& p, RoomConfig& room,
               std::set<std::string>& participant_names) {
  c.OnlyKeys(r, p,
             {"name", "region", "sip", "max_speakers", "max_participants", "audio_jitter_min_ms",
              "audio_jitter_max_ms", "participants", "video", "recording", "cascade"});
  c.String(r, p, "name", room.name);
  if (room.name.empty()) c.Error(r, Checker::Join(p, "name"), "is required");
  if (room.name.find('/') != std::string::npos) {
    c.Error(r["name"], Checker::Join(p, "name"), "must not contain '/'");
  }
  CheckName(c, r["name"], Checker::Join(p, "name"), room.name);
  c.String(r, p, "region", room.region);
  if (room.region.empty()) c.Error(r["region"], Checker::Join(p, "region"), "must not be empty");
  CheckName(c, r["region"], Checker::Join(p, "region"), room.region);
  if (const YAML::Node s = r["sip"]; s.IsDefined()) {
    ParseRoomSip(c, s, Checker::Join(p, "sip"), room.sip);
  }
  if (const YAML::Node rec = r["recording"]; rec.IsDefined()) {
    ParseRoomRecording(c, rec, Checker::Join(p, "recording"), room.recording);
  }
  if (const YAML::Node cas = r["cascade"]; cas.IsDefined()) {
    // docs/architecture.md, "Cascading": the room spreads over the cluster's nodes, per_node
    // participants on each (a share's cells are numbered in a byte).
    const std::string cp = Checker::Join(p, "cascade");
    c.OnlyKeys(cas, cp, {"per_node"});
    if (!cas["per_node"].IsDefined()) c.Error(cas, Checker::Join(cp, "per_node"), "is required");
    c.Unsigned(cas, cp, "per_node", room.cascade.per_node, 1, 200);
  }
  c.Unsigned(r, p, "max_speakers", room.max_speakers, 1, 16);
  c.Unsigned(r, p, "max_participants", room.max_participants, 1, 1000);
  // Mobile links (a browser on a jittery cell link) need more room than the 40-120 ms default.
  c.Unsigned(r, p, "audio_jitter_min_ms", room.audio_jitter_min_ms, 10, 200);
  c.Unsigned(r, p, "audio_jitter_max_ms", room.audio_jitter_max_ms, 20, 200);
  if (room.audio_jitter_min_ms > room.audio_jitter_max_ms) {
    c.Error(
        r["audio_jitter_min_ms"].IsDefined() ? r["audio_jitter_min_ms"] : r,
        Checker::Join(p, "audio_jitter_min_ms"),
        "must be at most audio_jitter_max_ms (" + std::to_string(room.audio_jitter_max_ms) + ")");
  }
  const YAML::Node ps = r["participants"];
  const std::string pp = Checker::Join(p, "participants");
  if (!ps.IsDefined() || !ps.IsSequence()) {
    c.Error(ps.IsDefined() ? ps : r, pp, "must be a list");
  } else {
    for (size_t k = 0; k < ps.size(); ++k) {
      const std::string path = pp + "[" + std::to_string(k) + "]";
      RoomParticipantConfig rp;
      ParseRoomParticipant(c, ps[k], path, rp);
      if (!rp.name.empty() && !participant_names.insert(rp.name).second) {
        c.Error(ps[k]["name"], path + ".name", "duplicate participant name '" + rp.name + "'");
      }
      room.participants.push_back(std::move(rp));
    }
    if (room.participants.size() > room.max_participants) {
      c.Error(ps, pp,
              "lists " + std::to_string(room.participants.size()) +
                  " participants, more than max_participants (" +
                  std::to_string(room.max_participants) + ")");
    }
  }
  if (const YAML::Node v = r["video"]; v.IsDefined()) {
    room.video.emplace();
    ParseRoomVideo(c, v, Checker::Join(p, "video"), *room.video);
    // The demo's in-process recording is of the live composite: it would hold everyone the
    // exclude policy leaves out of the recording.
    if (!room.video->record.empty() && room.recording.consent == session::ConsentPolicy::kExclude) {
      c.Error(v["record"], Checker::Join(p, "video.record"),
              "cannot be used with recording.consent: exclude (it records the live composite, "
              "with everyone in it; record through the recorder tier)");
    }
  }
  CheckRoomVideo(c, r, p, room);
}

void ParseRoomParticipantEntry(Checker& c, const YAML::Node& n, const std::string& p,
                               RoomParticipantConfig& rp) {
  ParseRoomParticipant(c, n, p, rp);
}

void ParseRooms(Checker& c, const YAML::Node& n, std::vector<RoomConfig>& rooms) {
  if (!n.IsSequence()) {
    c.Error(n, "rooms", "must be a list");
    return;
  }
  std::set<std::string> room_names;
  std::set<std::string> participant_names;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = "rooms[" + std::to_string(i) + "]";
    const YAML::Node r = n[i];
    if (!r.IsMap()) {
      c.Error(r, p, "must be a map");
      continue;
    }
    RoomConfig room;
    ParseRoom(c, r, p, room, participant_names);
    // A room of the file has no spec in the cluster's directory for a share to be made from.
    if (room.cascade.per_node) {
      c.Error(r["cascade"], p + ".cascade",
              "only rooms created through the API in a cluster can be cascaded (a share is "
              "made from the body that created the room)");
    }
    if (!room.name.empty() && !room_names.insert(room.name).second) {
      c.Error(r["name"], p + ".name", "duplicate room name '" + room.name + "'");
    }
    rooms.push_back(std::move(room));
  }
  // A room that is not a map is left out, and its index would no longer match the YAML list.
  if (rooms.size() == n.size()) CheckRoomSipNumbers(c, n, rooms);
}

}  // namespace tessera::app
