// Tessera's YAML configuration: schema, defaults, and validation that names the file, the line,
// the key and the reason for every error.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::app {

struct StreamConfig {
  rtp::Codec codec = rtp::Codec::kH264;
  uint8_t payload_type = 96;
};

struct SrtpConfig {
  std::string suite = "AES_CM_128_HMAC_SHA1_80";
  std::string key;  // "inline:<base64>" as in SDES (RFC 4568)
};

enum class KeyframeRequestMode { kPli, kFir, kNone };

struct ParticipantConfig {
  std::string name;
  uint16_t local_port = 0;  // 0: allocate from server.rtp_ports
  bool rtcp_mux = true;
  // Where feedback (RTCP) goes. Unset: learnt from where the participant's packets come from.
  std::string remote_address;
  uint16_t remote_rtcp_port = 0;
  std::optional<StreamConfig> video;
  std::optional<SrtpConfig> srtp;
  std::string record;  // recording path (.mp4, .mkv, .webm); empty: no recording
  bool nack = true;
  KeyframeRequestMode keyframe_request = KeyframeRequestMode::kPli;
};

struct ServerConfig {
  std::string log_level = "info";
  uint32_t shards = 0;
  std::string bind_address = "127.0.0.1";
  uint16_t rtp_port_min = 20000;
  uint16_t rtp_port_max = 20999;
  uint32_t mtu = 1200;
  std::string recording_dir = ".";
  uint32_t jitter_max_wait_ms = 300;
  uint32_t keyframe_min_interval_ms = 500;
};

// A participant of a mixing room: it sends its audio to Tessera and receives the room's mix
// (everyone but itself) at remote_address:remote_rtp_port.
struct RoomParticipantConfig {
  std::string name;
  uint16_t local_port = 0;  // 0: allocate from server.rtp_ports
  bool rtcp_mux = true;
  std::string remote_address = "127.0.0.1";
  uint16_t remote_rtp_port = 0;   // required: where the mix is sent
  uint16_t remote_rtcp_port = 0;  // 0: remote_rtp_port with rtcp-mux, else remote_rtp_port + 1
  rtp::Codec audio_codec = rtp::Codec::kOpus;
  uint8_t audio_payload_type = 111;
  int audio_channels = 1;                // Opus: 2 for stereo receivers
  uint8_t audio_level_extension_id = 0;  // RFC 6464 header extension id; 0: none
  std::optional<SrtpConfig> srtp;
  bool muted = false;
  bool deaf = false;
};

struct RoomConfig {
  std::string name;
  int max_speakers = 3;  // K: the loudest K are mixed
  std::vector<RoomParticipantConfig> participants;
};

struct Config {
  std::string source;  // file name, or "<embedded default>"
  ServerConfig server;
  std::vector<ParticipantConfig> participants;
  std::vector<RoomConfig> rooms;
};

// The embedded default (configs/default.yaml compiled in).
std::string_view DefaultConfigYaml();

// Parses and validates YAML text. `source` names it in errors. All problems found are reported
// together, one per line, as "source:line: key.path: reason".
StatusOr<Config> ParseConfig(std::string_view yaml, std::string_view source);
StatusOr<Config> LoadConfigFile(const std::string& path);
StatusOr<Config> LoadDefaultConfig();

}  // namespace tessera::app
