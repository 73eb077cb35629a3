// What a room, its participants and the media settings they share are: plain data, filled by
// the YAML config (app/) and, next, by the HTTP API's JSON. Nothing here is set at run time by a
// front end: what a front end attaches when it joins a participant is session::JoinOptions
// (room_directory.h).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/audio_codec.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/layout.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera::session {

struct StreamConfig {
  rtp::Codec codec = rtp::Codec::kH264;
  uint8_t payload_type = 96;
};

struct SrtpConfig {
  std::string suite = "AES_CM_128_HMAC_SHA1_80";
  std::string key;  // "inline:<base64>" as in SDES (RFC 4568)
  // What Tessera protects its own packets with; empty: `key` (one key per participant in
  // config files). SIP legs have one key per direction (SDES).
  std::string send_key;
};

enum class KeyframeRequestMode { kPli, kFir, kNone };

// Whether a participant agreed to be recorded (docs/security.md, "Consent"). A recording through
// the recorder tier starts, and goes on, only while everyone seen or heard has granted it.
enum class Consent : uint8_t { kUnknown, kGranted, kDeclined };
const char* ConsentName(Consent consent);  // "unknown", "granted", "declined"
std::optional<Consent> ConsentFromName(const std::string& name);

// What a room's recording does about a participant seen or heard who has not granted consent
// (docs/security.md, "Consent"). kRequire: the recording does not start, and a running one stops.
// kExclude: the recording goes on without that participant: the recorder hears a mix without
// them and sees their tile as a "not recorded" card, while everyone live still sees and hears
// them.
enum class ConsentPolicy : uint8_t { kRequire, kExclude };
const char* ConsentPolicyName(ConsentPolicy policy);  // "require", "exclude"
std::optional<ConsentPolicy> ConsentPolicyFromName(const std::string& name);

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
  std::string log_format = "text";  // text, or json: one object a line for log shippers
  uint32_t shards = 0;
  std::string bind_address = "127.0.0.1";
  uint16_t rtp_port_min = 20000;
  uint16_t rtp_port_max = 20999;
  uint32_t mtu = 1200;
  std::string recording_dir = ".";
  uint32_t jitter_max_wait_ms = 300;
  uint32_t keyframe_min_interval_ms = 500;
};

// The video of a room participant, on its own port (like a separate m= line without BUNDLE).
struct RoomParticipantVideoConfig {
  uint16_t local_port = 0;  // where it sends its video; 0: allocate from server.rtp_ports
  bool rtcp_mux = true;
  // Its camera: the codec and payload type it sends. send: false for a receive-only viewer.
  bool send = true;
  rtp::Codec codec = rtp::Codec::kH264;
  uint8_t payload_type = 96;
  // H.264: its SPS and PPS as an SDP's sprop-parameter-sets gives them (RFC 6184 8.1: base64 NAL
  // units, comma-separated), for a camera that does not send them in band; empty: none. SIP and
  // WebRTC legs take them from the peer's SDP. Checked with rtp::h264::ParseSpropParameterSets.
  std::string sprop_parameter_sets;
  // Above 0: REMB to the sender with a loss-based estimate capped here (rtp::RembEstimator): a
  // WebRTC publisher that negotiated goog-remb.
  uint32_t remb_max_kbps = 0;
  // RTX (RFC 4588) payload types, 0: none. rtx_payload_type: the sender's retransmissions of
  // its camera come on it (unwrapped before anything else sees them); send_rtx_payload_type:
  // Tessera's retransmissions of the composite go on it (JoinOptions::video_rtx_ssrc).
  uint8_t rtx_payload_type = 0;
  uint8_t send_rtx_payload_type = 0;
  // The sender's RTX SSRC and the media SSRC it repairs (its SDP's a=ssrc-group:FID); 0: not
  // signalled, the first RTX SSRC heard is pinned.
  uint32_t rtx_ssrc = 0;
  uint32_t rtx_media_ssrc = 0;
  // Simulcast (RFC 8853): the rids of the sender's layers, lowest first, each half the size of
  // the next (browsers' default scaling), and the header extensions that name a packet's layer
  // (RFC 8852 rtp-stream-id, repaired-rtp-stream-id on RTX). Empty: one stream. Only the layer
  // that fills the participant's largest tile is decoded; the others are skipped.
  std::vector<std::string> simulcast_rids;
  uint8_t rid_extension_id = 0;
  uint8_t repaired_rid_extension_id = 0;
  // Where the composite goes; 0: it receives no video.
  uint16_t remote_rtp_port = 0;
  uint16_t remote_rtcp_port = 0;     // 0: remote_rtp_port with rtcp-mux, else remote_rtp_port + 1
  std::string profile;               // the room profile it receives; empty: the first
  bool adapt = true;                 // may move to smaller profiles of its codec by its feedback
  uint8_t receive_payload_type = 0;  // of the composite; 0: DefaultVideoPayloadType
  std::string role;                  // for layouts: e.g. "presenter"
  // Writes an SDP file describing the composite it receives, for players (ffplay, VLC).
  std::string sdp_file;
};

// The two ends of a cascade link (docs/architecture.md, "Cascading").
//   kLink: on the primary, a share node: its audio is the share's local mix, its video the
//     share's sub-canvas, shown as one tile per share member (VideoRoom::SetCells), never as a
//     tile of its own; it receives the composite and the mix of everyone not on that share.
//   kUplink: on a share node, the primary: its audio (the primary's mix for this share) is mixed
//     for the share's participants, its video (the primary's composite) is forwarded to them;
//     it receives the share's sub-canvas and its local mix.
enum class CascadeRole : uint8_t { kNone, kLink, kUplink };

// A participant of a mixing room: it sends its audio to Tessera and receives the room's mix
// (everyone but itself) at remote_address:remote_rtp_port, and/or sends its video and receives
// the room's composite (video).
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
  // G.722 only: how the participant scales PCM into its G.722 coder (codec::G722Pcm).
  codec::G722Pcm audio_g722_pcm = codec::G722Pcm::k16Bit;
  std::optional<SrtpConfig> srtp;
  bool muted = false;
  bool deaf = false;
  bool has_audio = true;  // false when the participant has no `audio` section
  // Sends nothing, only receives the mix and the composite (a WHEP viewer): no tile.
  bool receive_only = false;
  std::optional<RoomParticipantVideoConfig> video;
  // As the app that admitted it, its SIP trunk or its join page said; the API may change it.
  Consent consent = Consent::kUnknown;
  // The recorder tier's participant (it joins with "recorder": true; receive_only only): under the
  // room's "exclude" consent policy it hears and sees the recording's variant of the room, without
  // the participants who have not granted consent.
  bool recorder = false;
  // The name of a participant this one never hears, as it never hears itself: the same person's
  // other session (a WHEP viewer and the WHIP publisher of one token, linked by its subject).
  // Whichever joins first, the other is left out of this one's mix from the moment both are in.
  std::string own_voice;
  // A cascaded room's link between two nodes (docs/architecture.md, "Cascading"); kNone for
  // every participant a front end joins.
  CascadeRole cascade = CascadeRole::kNone;
};

// One output profile of a room's composite: one type from the config (or the API's JSON) to the
// encoder, whose settings it gives once (EncoderConfig).
struct VideoProfile {
  std::string name;
  rtp::Codec codec = rtp::Codec::kH264;
  int width = 1280;              // even
  int height = 720;              // even
  int fps = 30;                  // at most the room's tick rate
  int bitrate_bps = 1'500'000;   // YAML: bitrate_kbps
  int keyframe_interval_s = 10;  // periodic keyframe
  // H.264: every NAL unit fits one RTP packet, sent as single NAL unit packets (RFC 6184
  // packetization-mode 0, which SIP endpoints and legacy room systems may require); encoded by
  // x264 with slice-max-size, never by a hardware encoder.
  bool single_nal = false;

  // The encoder's settings. max_nal_bytes: the NAL unit size cap of a single_nal profile (the
  // packetizer's MTU less the RTP header), ignored otherwise.
  codec::VideoEncoderConfig EncoderConfig(int max_nal_bytes) const {
    codec::VideoEncoderConfig ec;
    ec.width = width;
    ec.height = height;
    ec.fps = fps;
    ec.bitrate_bps = bitrate_bps;
    ec.keyframe_interval_s = keyframe_interval_s;
    if (single_nal && codec == rtp::Codec::kH264) ec.max_nal_bytes = max_nal_bytes;
    return ec;
  }
};

struct RoomVideoConfig {
  std::vector<VideoProfile> profiles;  // at least one
  std::string layout = "grid";         // built-in (grid, speaker, presentation, pip) or custom
  std::vector<mixer::CustomLayout> layouts;  // custom layouts
  mixer::FitPolicy fit = mixer::FitPolicy::kLetterbox;
  int border_px = 0;
  bool highlight_speaker = true;
  uint32_t background_rgb = 0x000000;
  bool name_labels = true;
  uint32_t placeholder_after_ms = 2000;
  uint32_t keyframe_coalesce_ms = 500;
  uint32_t max_input_width = 1920;
  uint32_t max_input_height = 1080;
  uint32_t max_input_fps = 60;
  std::string font;              // TrueType font for names; empty: DejaVu Sans
  uint32_t compose_threads = 1;  // threads composing one canvas of at least 1280x720
  // Record the composite of one profile (H.264 to .mp4/.mkv, VP8 and VP9 to .webm/.mkv).
  std::string record;
  std::string record_profile;  // empty: the first profile
  // This room's backend order, overriding hardware.backends; unset: the global order.
  std::optional<std::vector<codec::HwBackend>> hardware;
};

// How SIP callers reach a room (rooms[].sip).
struct RoomSipConfig {
  // Dialled numbers (Request-URI user parts) that reach this room besides its name.
  std::vector<std::string> numbers;
  // Digits a caller enters (RFC 4733 telephone-event, or SIP INFO) before it is heard or seen;
  // empty: none. A caller is muted, deaf and out of the picture until it is entered.
  std::string pin;
};

// How a room is recorded through the recorder tier (rooms[].recording).
struct RoomRecordingConfig {
  ConsentPolicy consent = ConsentPolicy::kRequire;
  // How long the recorder keeps this room's recordings (1..36500 days); 0: the recorder's own
  // retention_days. A start through the API may name another (docs/security.md, "Recordings
  // at rest").
  uint32_t retention_days = 0;
};

// A cascade share's sub-canvas as the primary shows it: one cell (in the sub-canvas's pixels,
// width x height) per share member, in the share's grid order (docs/architecture.md,
// "Cascading").
struct CascadeCell {
  std::string name;
  mixer::Rect rect;
  bool operator==(const CascadeCell& o) const {
    return name == o.name && rect.x == o.rect.x && rect.y == o.rect.y &&
           rect.width == o.rect.width && rect.height == o.rect.height;
  }
};
struct CascadeLayout {
  int width = 0;
  int height = 0;
  std::vector<CascadeCell> cells;
  bool operator==(const CascadeLayout& o) const {
    return width == o.width && height == o.height && cells == o.cells;
  }
};

// A room running on this node as another node's share of a cascaded room: its participants'
// tiles go, composed into one sub-canvas, to the primary over the share's uplink; they receive
// the primary's composite (forwarded, not encoded again) and the primary's mix of the rest.
struct RoomShareConfig {
  std::string primary;  // the node id of the room's primary
};

// One room spread over several nodes (docs/architecture.md, "Cascading").
struct RoomCascadeConfig {
  // The most participants of the room one node takes: the room's primary node takes this many,
  // then each further share node as many. 0: the room is not cascaded.
  uint32_t per_node = 0;
};

struct RoomConfig {
  std::string name;
  // In a cluster: the nodes of this region run it (cluster.region); "default" otherwise.
  std::string region = "default";
  RoomSipConfig sip;
  RoomRecordingConfig recording;
  int max_speakers = 3;  // K: the loudest K are mixed
  // The most participants (configured and joined at run time) the room holds at once.
  uint32_t max_participants = 50;
  // Bounds of each speaker's adaptive audio jitter buffer (the delay it holds to ride out
  // jitter): up to 200 ms for mobile links.
  uint32_t audio_jitter_min_ms = 40;
  uint32_t audio_jitter_max_ms = 120;
  std::vector<RoomParticipantConfig> participants;
  std::optional<RoomVideoConfig> video;
  RoomCascadeConfig cascade;
  // Set: this room is another node's share of a cascaded room (never from a config file).
  std::optional<RoomShareConfig> share;
};

// A participant's name as every front end takes it: 1 to 64 letters, digits and . - _ @ +.
// InvalidArgument saying why otherwise.
Status CheckParticipantName(const std::string& name);

// Where a participant's RTCP goes: the configured port, else the RTP port with rtcp-mux, else
// the RTP port + 1.
inline uint16_t RtcpPortFor(uint16_t rtp_port, uint16_t rtcp_port, bool rtcp_mux) {
  if (rtcp_port) return rtcp_port;
  return rtcp_mux ? rtp_port : static_cast<uint16_t>(rtp_port + 1);
}

// The payload type a video codec has where the config names none: 96 for H.264, 97 for VP8, 98
// for VP9, 99 for AV1 (cameras only).
inline uint8_t DefaultVideoPayloadType(rtp::Codec codec) {
  switch (codec) {
    case rtp::Codec::kVp8:
      return 97;
    case rtp::Codec::kVp9:
      return 98;
    case rtp::Codec::kAv1:
      return 99;
    default:
      return 96;
  }
}

// The payload type of the composite a participant receives in `codec`: its configured
// receive_payload_type, else DefaultVideoPayloadType.
inline uint8_t CompositePayloadType(const RoomParticipantVideoConfig& v, rtp::Codec codec) {
  if (v.receive_payload_type) return v.receive_payload_type;
  return DefaultVideoPayloadType(codec);
}

}  // namespace tessera::session
