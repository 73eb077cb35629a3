#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "app/config_audit.h"
#include "app/config_checker.h"
#include "app/config_cluster.h"
#include "app/config_control.h"
#include "app/config_hardware.h"
#include "app/config_rooms.h"
#include "app/config_sip.h"
#include "app/config_webrtc.h"
#include "app/default_config.h"  // generated from configs/default.yaml

namespace tessera::app {
namespace {

void ParseServer(Checker& c, const YAML::Node& n, ServerConfig& s) {
  const std::string p = "server";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map");
    return;
  }
  c.OnlyKeys(n, p,
             {"log_level", "log_format", "shards", "bind_address", "rtp_ports", "mtu",
              "recording_dir", "jitter_max_wait_ms", "keyframe_min_interval_ms"});
  c.String(n, p, "log_level", s.log_level);
  static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  if (!kLevels.count(s.log_level)) {
    c.Error(n["log_level"], p + ".log_level",
            "unknown level '" + s.log_level + "' (want trace, debug, info, warn, error)");
  }
  c.String(n, p, "log_format", s.log_format);
  if (s.log_format != "text" && s.log_format != "json") {
    c.Error(n["log_format"], p + ".log_format", "must be text or json, got '" + s.log_format + "'");
  }
  c.Unsigned(n, p, "shards", s.shards, 0, 256);
  c.String(n, p, "bind_address", s.bind_address);
  if (const YAML::Node r = n["rtp_ports"]; r.IsDefined()) {
    unsigned lo = 0, hi = 0;
    char tail = 0;
    const std::string text = r.IsScalar() ? r.Scalar() : "";
    if (std::sscanf(text.c_str(), "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 || hi > 65535 ||
        lo + 1 >= hi) {
      c.Error(r, p + ".rtp_ports",
              "must be a range MIN-MAX within 1024-65535 holding at least 2 ports, got '" +
                  Checker::Text(r) + "'");
    } else {
      s.rtp_port_min = static_cast<uint16_t>(lo);
      s.rtp_port_max = static_cast<uint16_t>(hi);
    }
  }
  c.Unsigned(n, p, "mtu", s.mtu, 576, 9000);
  c.String(n, p, "recording_dir", s.recording_dir);
  c.Unsigned(n, p, "jitter_max_wait_ms", s.jitter_max_wait_ms, 10, 5000);
  c.Unsigned(n, p, "keyframe_min_interval_ms", s.keyframe_min_interval_ms, 50, 60000);
}

void ParseStream(Checker& c, const YAML::Node& n, const std::string& p, StreamConfig& s) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map with codec and payload_type");
    return;
  }
  c.OnlyKeys(n, p, {"codec", "payload_type"});
  std::string codec;
  c.String(n, p, "codec", codec);
  auto parsed = rtp::CodecFromName(codec);
  if (!parsed || rtp::KindOf(*parsed) != rtp::MediaKind::kVideo) {
    c.Error(n["codec"], p + ".codec", "must be H264, VP8, VP9 or AV1, got '" + codec + "'");
  } else {
    s.codec = *parsed;
  }
  if (!n["payload_type"].IsDefined()) {
    c.Error(n, p + ".payload_type", "is required (a dynamic payload type 96..127)");
  }
  c.Unsigned(n, p, "payload_type", s.payload_type, 96, 127);
}

void ParseParticipant(Checker& c, const YAML::Node& n, const std::string& p,
                      ParticipantConfig& pc) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map");
    return;
  }
  c.OnlyKeys(n, p,
             {"name", "local_port", "rtcp_mux", "remote_address", "remote_rtcp_port", "video",
              "srtp", "record", "nack", "keyframe_request"});
  c.String(n, p, "name", pc.name);
  if (pc.name.empty()) c.Error(n, p + ".name", "is required");
  c.Unsigned(n, p, "local_port", pc.local_port, 1024, 65534);
  c.Bool(n, p, "rtcp_mux", pc.rtcp_mux);
  c.String(n, p, "remote_address", pc.remote_address);
  c.Unsigned(n, p, "remote_rtcp_port", pc.remote_rtcp_port, 1, 65535);
  if (const YAML::Node v = n["video"]; v.IsDefined()) {
    pc.video.emplace();
    ParseStream(c, v, p + ".video", *pc.video);
  } else {
    c.Error(n, p + ".video", "is required (codec and payload_type of the incoming video)");
  }
  if (const YAML::Node s = n["srtp"]; s.IsDefined()) {
    pc.srtp.emplace();
    ParseSrtp(c, s, p + ".srtp", *pc.srtp);
  }
  c.String(n, p, "record", pc.record);
  c.Bool(n, p, "nack", pc.nack);
  std::string kf = "pli";
  c.String(n, p, "keyframe_request", kf);
  if (kf == "pli") {
    pc.keyframe_request = KeyframeRequestMode::kPli;
  } else if (kf == "fir") {
    pc.keyframe_request = KeyframeRequestMode::kFir;
  } else if (kf == "none") {
    pc.keyframe_request = KeyframeRequestMode::kNone;
  } else {
    c.Error(n["keyframe_request"], p + ".keyframe_request",
            "must be pli, fir or none, got '" + kf + "'");
  }
}

}  // namespace

void ParseSrtp(Checker& c, const YAML::Node& s, const std::string& p, SrtpConfig& out) {
  if (!s.IsMap()) {
    c.Error(s, p, "must be a map with suite and key");
    return;
  }
  c.OnlyKeys(s, p, {"suite", "key", "send_key"});
  c.String(s, p, "suite", out.suite);
  c.String(s, p, "key", out.key);
  // What Tessera protects its own packets with, when not `key` (one key per direction).
  c.String(s, p, "send_key", out.send_key);
  if (out.key.empty()) c.Error(s, p + ".key", "is required (inline:<base64>)");
}

std::string_view DefaultConfigYaml() { return kDefaultConfigYaml; }

StatusOr<Config> ParseConfig(std::string_view yaml, std::string_view source) {
  Config config;
  config.source = std::string(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                                ": not valid YAML: " + e.msg);
  }
  Checker c(source);
  if (root.IsNull()) return config;  // an empty file means all defaults
  if (!root.IsMap()) {
    c.Error(root, "<top>", "must be a map with server and participants");
    return c.ToStatus();
  }
  try {
    c.OnlyKeys(root, "",
               {"server", "hardware", "participants", "rooms", "sip", "control", "webrtc", "audit",
                "cluster"});
    if (root["audit"].IsDefined()) ParseAudit(c, root["audit"], config.audit);
    if (root["control"].IsDefined()) ParseControl(c, root["control"], config.control);
    if (root["webrtc"].IsDefined()) {
      ParseWebRtc(c, root["webrtc"], config.webrtc);
      const uint16_t port = config.webrtc.udp_port;
      if (config.webrtc.enabled && port >= config.server.rtp_port_min &&
          port <= config.server.rtp_port_max) {
        c.Error(root["webrtc"]["udp_port"], "webrtc.udp_port",
                std::to_string(port) + " is inside server.rtp_ports (" +
                    std::to_string(config.server.rtp_port_min) + "-" +
                    std::to_string(config.server.rtp_port_max) +
                    "), where participants' ports are allocated");
      }
    }
    if (root["rooms"].IsDefined()) ParseRooms(c, root["rooms"], config.rooms);
    if (root["server"].IsDefined()) ParseServer(c, root["server"], config.server);
    if (root["hardware"].IsDefined()) ParseHardware(c, root["hardware"], config.hardware);
    if (root["sip"].IsDefined()) ParseSip(c, root["sip"], config.sip);
    if (root["cluster"].IsDefined()) {
      ParseCluster(c, root["cluster"], config.cluster);
      CompleteCluster(c, root["cluster"], config.control, config.sip, config.cluster);
      // A cascaded room's links between nodes go to this address.
      cluster::ClusterConfig& cc = config.cluster;
      if (cc.media_address.empty()) cc.media_address = config.server.bind_address;
      if (cc.media_address == "0.0.0.0" || cc.media_address == "::" || cc.media_address.empty()) {
        c.Error(root["cluster"], "cluster.media_address",
                "is required when server.bind_address is a wildcard ('" +
                    config.server.bind_address +
                    "'): the address of this node other nodes send a cascaded room's media to");
      }
    }
    for (size_t i = 0; i < config.rooms.size(); ++i) {
      CheckRoomHardware(c, root["rooms"][i], "rooms[" + std::to_string(i) + "]", config.rooms[i],
                        config.hardware);
    }
    // Fixed ports must not clash: each one (and port + 1 without rtcp-mux) is claimed once.
    std::set<uint16_t> ports;
    const auto claim = [&](const YAML::Node& node, const std::string& path, uint16_t port,
                           bool rtcp_mux) {
      if (!port) return;
      const bool clash =
          ports.count(port) || (!rtcp_mux && ports.count(static_cast<uint16_t>(port + 1)));
      if (clash) {
        c.Error(node, path, "port " + std::to_string(port) + " is used by another participant");
      }
      ports.insert(port);
      if (!rtcp_mux) ports.insert(static_cast<uint16_t>(port + 1));
    };
    if (const YAML::Node ps = root["participants"]; ps.IsDefined()) {
      if (!ps.IsSequence()) {
        c.Error(ps, "participants", "must be a list");
      } else {
        std::set<std::string> names;
        for (size_t i = 0; i < ps.size(); ++i) {
          const std::string p = "participants[" + std::to_string(i) + "]";
          ParticipantConfig pc;
          ParseParticipant(c, ps[i], p, pc);
          if (!pc.name.empty() && !names.insert(pc.name).second) {
            c.Error(ps[i]["name"], p + ".name", "duplicate participant name '" + pc.name + "'");
          }
          claim(ps[i]["local_port"], p + ".local_port", pc.local_port, pc.rtcp_mux);
          config.participants.push_back(std::move(pc));
        }
      }
    }
    for (size_t i = 0; i < config.rooms.size(); ++i) {
      const auto& room = config.rooms[i];
      for (size_t k = 0; k < room.participants.size(); ++k) {
        const auto& rp = room.participants[k];
        const YAML::Node node = root["rooms"][i]["participants"][k];
        const std::string p =
            "rooms[" + std::to_string(i) + "].participants[" + std::to_string(k) + "]";
        if (rp.has_audio) claim(node["local_port"], p + ".local_port", rp.local_port, rp.rtcp_mux);
        if (rp.video) {
          claim(node["video"]["local_port"], p + ".video.local_port", rp.video->local_port,
                rp.video->rtcp_mux);
        }
      }
    }
  } catch (const YAML::Exception& e) {
    c.Error(YAML::Node(), "<document>", e.what());
  }
  if (!c.ok()) return c.ToStatus();
  return config;
}

StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

StatusOr<Config> LoadDefaultConfig() {
  return ParseConfig(DefaultConfigYaml(), "<embedded default>");
}

}  // namespace tessera::app
