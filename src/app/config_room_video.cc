// Parsing of the video parts of the `rooms` section.
#include "app/config_room_video.h"

#include <tessera/rtp/h264_sprop.h>

#include <set>

#include "app/config_hardware.h"
#include "app/config_layouts.h"

namespace tessera::app {
namespace {

// A camera's codec (`camera`: what a participant sends, AV1 included) or a profile's (what the room
// encodes: no AV1 encoder).
bool VideoCodec(Checker& c, const YAML::Node& n, const std::string& p, bool camera,
                rtp::Codec& out) {
  const YAML::Node v = n["codec"];
  if (!v.IsDefined() || v.IsNull()) return false;
  const std::string name = v.IsScalar() ? v.Scalar() : "";
  auto parsed = rtp::CodecFromName(name);
  if (!parsed || rtp::KindOf(*parsed) != rtp::MediaKind::kVideo) {
    std::string message(camera ? "must be H264, VP8, VP9 or AV1, got '"
                               : "must be H264, VP8 or VP9, got '");
    message.append(name).append("'");
    c.Error(v, p + ".codec", message);
    return false;
  }
  if (!camera && *parsed == rtp::Codec::kAv1) {
    c.Error(v, p + ".codec", "must be H264, VP8 or VP9: AV1 is decoded from cameras, not encoded");
    return false;
  }
  out = *parsed;
  return true;
}

void ParseProfile(Checker& c, const YAML::Node& n, const std::string& p, VideoProfile& vp) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map with name, codec, width, height, fps and bitrate_kbps");
    return;
  }
  c.OnlyKeys(n, p,
             {"name", "codec", "width", "height", "fps", "bitrate_kbps", "keyframe_interval_s",
              "single_nal"});
  c.String(n, p, "name", vp.name);
  if (vp.name.empty()) c.Error(n, p + ".name", "is required");
  VideoCodec(c, n, p, /*camera=*/false, vp.codec);
  c.Unsigned(n, p, "width", vp.width, 64, 3840);
  c.Unsigned(n, p, "height", vp.height, 64, 2160);
  if (vp.width % 2 || vp.height % 2) {
    c.Error(n, p, "width and height must be even (4:2:0 chroma)");
  }
  c.Unsigned(n, p, "fps", vp.fps, 1, 60);
  int kbps = vp.bitrate_bps / 1000;
  c.Unsigned(n, p, "bitrate_kbps", kbps, 30, 50000);
  vp.bitrate_bps = kbps * 1000;
  c.Unsigned(n, p, "keyframe_interval_s", vp.keyframe_interval_s, 1, 300);
  c.Bool(n, p, "single_nal", vp.single_nal);
  if (vp.single_nal && vp.codec != rtp::Codec::kH264) {
    c.Error(n["single_nal"], p + ".single_nal", "applies to H264 profiles only");
  }
}

// "#rrggbb" or "rrggbb".
void Colour(Checker& c, const YAML::Node& n, const std::string& p, const char* key, uint32_t& out) {
  std::string s;
  c.String(n, p, key, s);
  if (s.empty()) return;
  if (s[0] == '#') s.erase(0, 1);
  if (s.size() != 6 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    c.Error(n[key], p + "." + key, "must be a colour like \"#1a2b3c\"");
    return;
  }
  out = static_cast<uint32_t>(std::stoul(s, nullptr, 16));
}

}  // namespace

void ParseRoomVideo(Checker& c, const YAML::Node& n, const std::string& p, RoomVideoConfig& v) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (profiles, layout, ...)");
    return;
  }
  c.OnlyKeys(n, p,
             {"profiles", "layout", "layouts", "fit", "border_px", "highlight_speaker",
              "background", "name_labels", "placeholder_after_ms", "keyframe_coalesce_ms",
              "max_input_width", "max_input_height", "max_input_fps", "font", "record",
              "record_profile", "compose_threads", "hardware"});
  const YAML::Node profiles = n["profiles"];
  if (!profiles.IsDefined() || !profiles.IsSequence() || profiles.size() == 0) {
    c.Error(profiles.IsDefined() ? profiles : n, p + ".profiles",
            "must be a list of at least one output profile");
  } else {
    std::set<std::string> names;
    for (size_t i = 0; i < profiles.size(); ++i) {
      const std::string pp = p + ".profiles[" + std::to_string(i) + "]";
      VideoProfile vp;
      ParseProfile(c, profiles[i], pp, vp);
      if (!vp.name.empty() && !names.insert(vp.name).second) {
        c.Error(profiles[i]["name"], pp + ".name", "duplicate profile name '" + vp.name + "'");
      }
      v.profiles.push_back(std::move(vp));
    }
  }
  if (const YAML::Node l = n["layouts"]; l.IsDefined()) {
    ParseCustomLayouts(c, l, p + ".layouts", v.layouts);
  }
  c.String(n, p, "layout", v.layout);
  std::string fit;
  c.String(n, p, "fit", fit);
  if (fit == "crop") {
    v.fit = mixer::FitPolicy::kCrop;
  } else if (!fit.empty() && fit != "letterbox") {
    c.Error(n["fit"], p + ".fit", "must be crop or letterbox, got '" + fit + "'");
  }
  c.Unsigned(n, p, "border_px", v.border_px, 0, 32);
  c.Bool(n, p, "highlight_speaker", v.highlight_speaker);
  Colour(c, n, p, "background", v.background_rgb);
  c.Bool(n, p, "name_labels", v.name_labels);
  c.Unsigned(n, p, "placeholder_after_ms", v.placeholder_after_ms, 100, 60000);
  c.Unsigned(n, p, "keyframe_coalesce_ms", v.keyframe_coalesce_ms, 100, 10000);
  c.Unsigned(n, p, "max_input_width", v.max_input_width, 16, 7680);
  c.Unsigned(n, p, "max_input_height", v.max_input_height, 16, 4320);
  c.Unsigned(n, p, "max_input_fps", v.max_input_fps, 1, 240);
  c.String(n, p, "font", v.font);
  c.Unsigned(n, p, "compose_threads", v.compose_threads, 1, 16);
  c.String(n, p, "record", v.record);
  c.String(n, p, "record_profile", v.record_profile);
  if (const YAML::Node h = n["hardware"]; h.IsDefined() && !h.IsNull()) {
    v.hardware.emplace();
    ParseBackendOrder(c, h, p + ".hardware", *v.hardware);
  }
}

void ParseParticipantVideo(Checker& c, const YAML::Node& n, const std::string& p,
                           RoomParticipantVideoConfig& v) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (codec, local_port, remote_rtp_port, ...)");
    return;
  }
  c.OnlyKeys(n, p,
             {"send", "codec", "payload_type", "local_port", "rtcp_mux", "remote_rtp_port",
              "remote_rtcp_port", "profile", "adapt", "receive_payload_type", "role", "sdp_file",
              "sprop_parameter_sets"});
  c.Bool(n, p, "send", v.send);
  const bool has_codec = VideoCodec(c, n, p, /*camera=*/true, v.codec);
  if (v.send && !has_codec && !n["codec"].IsDefined()) {
    c.Error(n, p + ".codec", "is required when the participant sends video (or send: false)");
  }
  v.payload_type = DefaultVideoPayloadType(v.codec);
  c.Unsigned(n, p, "payload_type", v.payload_type, 96, 127);
  c.Unsigned(n, p, "local_port", v.local_port, 1024, 65534);
  c.Bool(n, p, "rtcp_mux", v.rtcp_mux);
  c.Unsigned(n, p, "remote_rtp_port", v.remote_rtp_port, 1, 65535);
  c.Unsigned(n, p, "remote_rtcp_port", v.remote_rtcp_port, 1, 65535);
  c.String(n, p, "profile", v.profile);
  c.Bool(n, p, "adapt", v.adapt);
  c.Unsigned(n, p, "receive_payload_type", v.receive_payload_type, 96, 127);
  c.String(n, p, "role", v.role);
  c.String(n, p, "sdp_file", v.sdp_file);
  c.String(n, p, "sprop_parameter_sets", v.sprop_parameter_sets);
  if (const YAML::Node s = n["sprop_parameter_sets"];
      s.IsDefined() && s.IsScalar() && !v.sprop_parameter_sets.empty()) {  // "": none
    const std::string sp = p + ".sprop_parameter_sets";
    if (v.codec != rtp::Codec::kH264) {
      c.Error(s, sp, "is for H264 cameras only");
    } else if (auto sets = rtp::h264::ParseSpropParameterSets(v.sprop_parameter_sets); !sets.ok()) {
      c.Error(s, sp, sets.status().message());
    } else if (!sets->ignored.empty()) {
      // A peer's SDP may carry other NAL units (left out with a warning); a config is fixed.
      c.Error(s, sp, sets->ignored.front() + ": only SPS and PPS belong here");
    }
  }
  if (!v.send && !v.remote_rtp_port) {
    c.Error(n, p, "neither sends (send: false) nor receives (no remote_rtp_port) video");
  }
  if (!v.sdp_file.empty() && !v.remote_rtp_port) {
    c.Error(n["sdp_file"], p + ".sdp_file", "needs remote_rtp_port (the composite's port)");
  }
}

void CheckRoomVideo(Checker& c, const YAML::Node& r, const std::string& p, const RoomConfig& room) {
  bool any_video = false;
  for (size_t k = 0; k < room.participants.size(); ++k) {
    const auto& pv = room.participants[k].video;
    if (!pv) continue;
    any_video = true;
    if (!room.video) continue;
    if (!pv->profile.empty()) {
      bool found = false;
      for (const auto& vp : room.video->profiles) found |= vp.name == pv->profile;
      if (!found) {
        c.Error(r["participants"][k]["video"]["profile"],
                p + ".participants[" + std::to_string(k) + "].video.profile",
                "no profile '" + pv->profile + "' in this room");
      }
    }
  }
  if (any_video && !room.video) {
    c.Error(r, p + ".video", "is required when participants have video (output profiles)");
  }
  if (!room.video) return;
  const RoomVideoConfig& v = *room.video;
  bool layout_known = v.layout == "grid" || v.layout == "speaker" || v.layout == "presentation" ||
                      v.layout == "pip";
  for (const auto& l : v.layouts) layout_known |= l.name == v.layout;
  if (!layout_known) {
    c.Error(r["video"]["layout"], p + ".video.layout",
            "unknown layout '" + v.layout +
                "' (built in: grid, speaker, presentation, pip; or one of video.layouts)");
  }
  const VideoProfile* recorded = v.profiles.empty() ? nullptr : &v.profiles.front();
  if (!v.record_profile.empty()) {
    recorded = nullptr;
    for (const auto& vp : v.profiles) {
      if (vp.name == v.record_profile) recorded = &vp;
    }
    if (!recorded) {
      c.Error(r["video"]["record_profile"], p + ".video.record_profile",
              "no profile '" + v.record_profile + "' in this room");
    }
    if (v.record.empty()) {
      c.Error(r["video"]["record_profile"], p + ".video.record_profile",
              "is set but video.record (the file) is not");
    }
  }
  if (!v.record.empty() && recorded) {
    // The container must carry the recorded profile's codec.
    const auto dot = v.record.rfind('.');
    const std::string ext = dot == std::string::npos ? "" : v.record.substr(dot);
    const bool webm = recorded->codec == rtp::Codec::kVp8 || recorded->codec == rtp::Codec::kVp9;
    const bool ok = ext == ".mkv" || (recorded->codec == rtp::Codec::kH264 && ext == ".mp4") ||
                    (webm && ext == ".webm");
    if (!ok) {
      c.Error(r["video"]["record"], p + ".video.record",
              std::string("a ") + rtp::CodecName(recorded->codec) + " recording needs " +
                  (webm ? ".webm or .mkv" : ".mp4 or .mkv") + ", got '" + v.record + "'");
    }
  }
}

}  // namespace tessera::app
