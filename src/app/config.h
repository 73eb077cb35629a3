// Tessera's YAML configuration: schema, defaults, and validation that names the file, the line,
// the key and the reason for every error.
#pragma once

#include <tessera/base/status.h>
#include <tessera/cluster/config.h>
#include <tessera/codec/device_frame.h>
#include <tessera/control/config.h>
#include <tessera/mixer/layout.h>
#include <tessera/rtp/codec.h>
#include <tessera/session/config.h>
#include <tessera/sipua/config.h>
#include <tessera/webrtc/webrtc_service.h>

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::app {

// The session and SIP user agent types the YAML fills, under the names the parser uses.
using session::CompositePayloadType;
using session::DefaultVideoPayloadType;
using session::KeyframeRequestMode;
using session::ParticipantConfig;
using session::RoomConfig;
using session::RoomParticipantConfig;
using session::RoomParticipantVideoConfig;
using session::RoomSipConfig;
using session::RoomVideoConfig;
using session::RtcpPortFor;
using session::ServerConfig;
using session::SrtpConfig;
using session::StreamConfig;
using session::VideoProfile;
using sipua::SipConfig;
using sipua::SipConsentPromptConfig;
using sipua::SipListenConfig;
using sipua::SipOutboundConfig;
using sipua::SipTcpConfig;
using sipua::SipTrunkConfig;
using sipua::SipUserConfig;

// Hardware acceleration of rooms' video (the top-level `hardware` block).
struct HardwareConfig {
  // Tried first to last for each room with video; the first whose device opens is used. "auto"
  // (the default) is cuda, qsv, cpu. The CPU is the implicit last resort unless `required`.
  std::vector<codec::HwBackend> backends = {codec::HwBackend::kCuda, codec::HwBackend::kQsv,
                                            codec::HwBackend::kCpu};
  // Every room runs on this backend, or Tessera does not start (no fallback).
  std::optional<codec::HwBackend> required;
  uint32_t cuda_device = 0;  // CUDA ordinal
  std::string qsv_device;    // DRM render node; empty: the first Intel one
};

// The audit trail (the `audit` block; docs/operations.md). Without the block there is none.
struct AuditConfig {
  bool enabled = false;  // the block is there
  std::string path;      // the log file
  std::string key_file;  // Ed25519 private key (PEM) or HMAC key file: signs checkpoints
  std::string key_id;    // the checkpoints' key_id; empty: the key's fingerprint
  uint32_t checkpoint_every = 100;
  uint32_t checkpoint_interval_s = 60;
  std::string syslog;  // "host:port": each line also to a SIEM over RFC 5424 UDP; empty: none
  // Participants' names in ordinary log lines as "h:<12 hex>" (HMAC-SHA256 under the salt in
  // name_salt_file); the audit log keeps them in clear.
  bool hash_names = false;
  std::string name_salt_file;
};

struct Config {
  std::string source;  // file name, or "<embedded default>"
  ServerConfig server;
  HardwareConfig hardware;
  std::vector<ParticipantConfig> participants;
  std::vector<RoomConfig> rooms;
  SipConfig sip;
  control::ControlConfig control;  // the HTTP API (the `control` block)
  webrtc::WebRtcConfig webrtc;     // browsers over WHIP/WHEP (the `webrtc` block)
  AuditConfig audit;               // the audit trail (the `audit` block)
  cluster::ClusterConfig cluster;  // nodes sharing one Redis (the `cluster` block)
};

// The embedded default (configs/default.yaml compiled in).
std::string_view DefaultConfigYaml();

// Parses and validates YAML text. `source` names it in errors. All problems found are reported
// together, one per line, as "source:line: key.path: reason".
StatusOr<Config> ParseConfig(std::string_view yaml, std::string_view source);
StatusOr<Config> LoadConfigFile(const std::string& path);
StatusOr<Config> LoadDefaultConfig();

// A room (one entry of `rooms`) or a room participant (one entry of a room's `participants`)
// as the HTTP API receives them in JSON: the same checks and messages as the YAML's, with the
// key paths relative to the body ("video.layout: ..."), every error on its own line.
StatusOr<RoomConfig> RoomConfigFromJson(const nlohmann::json& body, const HardwareConfig& hardware);
StatusOr<RoomParticipantConfig> RoomParticipantFromJson(const nlohmann::json& body);

}  // namespace tessera::app
