// What the load generator plays: which streams go to which server ports, which ports it receives
// on, and how each room's composite is laid out. A plan comes from a parsed Tessera config:
// either one the load generator wrote for M rooms x N participants (GenerateConfigYaml) or an
// operator's own, so both paths share the same code.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <string>
#include <vector>

#include "app/config.h"
#include "loadgen/tile_reader.h"

namespace tessera::loadgen {

struct GenerateOptions {
  int rooms = 1;
  int participants = 4;  // senders per room; each room also gets one receive-only viewer
  // Participant i of a room sends codecs[i % size] (H264 and/or VP8).
  std::vector<rtp::Codec> input_codecs = {rtp::Codec::kH264};
  bool audio = true;  // each participant also sends Opus and receives the room's mix
  // Participants receive the composite too (the server's real fan-out); the viewer always does.
  bool participants_receive_video = true;
  app::VideoProfile output = {"out", rtp::Codec::kH264, 1280, 720, 30, 1'500'000, 10};
  std::string layout = "grid";
  bool crop = true;
  int border_px = 2;
  bool name_labels = true;
  uint32_t compose_threads = 1;
  uint32_t shards = 0;  // server.shards; 0: one per core
  std::string log_level = "warn";
};

// Server ports and load generator ports, in the order GenerateConfigYaml takes them.
size_t PortsNeeded(const GenerateOptions& options);

// A Tessera config for options.rooms rooms: rooms "lg-r<r>", participants "r<r>p<i>" (audio in
// on one port, video in on another, the mix and the composite back on two load generator ports)
// and a viewer "r<r>view" receiving the composite. `ports` holds PortsNeeded() distinct ports.
std::string GenerateConfigYaml(const GenerateOptions& options, const std::vector<uint16_t>& ports);

// Ports that can be bound on `address` now: `count` distinct ones in [min, max], each probed by
// binding and closing it (another process may still take one before the server does).
StatusOr<std::vector<uint16_t>> FindFreePorts(const std::string& address, uint16_t min,
                                              uint16_t max, size_t count);

struct PlannedParticipant {
  std::string name;
  int tile = -1;  // index into the room's RoomLayout::inputs; -1: no tile (a viewer)
  // Its camera: the load generator sends the clip of video_codec to server_video_port.
  bool sends_video = false;
  rtp::Codec video_codec = rtp::Codec::kH264;
  uint8_t video_payload_type = 96;
  uint16_t server_video_port = 0;  // 0 for a receiver on an allocated port: it sends no RTCP
  // Where the load generator receives its composite (and the server's RTCP about its camera);
  // 0: it receives none, and its camera is sent from an ephemeral port.
  uint16_t receive_video_port = 0;
  rtp::Codec composite_codec = rtp::Codec::kH264;
  uint8_t composite_payload_type = 96;
  int composite_fps = 30;
  bool decode = false;  // the room's composite is decoded and its tiles read from this one
  // The plan's room whose measurement this participant's decoded composite is (-1: its own). A
  // cascaded room's share node forwards the primary's composite: its viewer measures a mirror.
  int decode_room = -1;
  // Where its streams go; empty: LoadPlan::server_address (each node of a cluster has its own).
  std::string server_address;
  // Its microphone.
  bool has_audio = false;
  rtp::Codec audio_codec = rtp::Codec::kOpus;
  uint8_t audio_payload_type = 111;
  uint16_t server_audio_port = 0;
  uint16_t receive_audio_port = 0;  // the room's mix
};

struct PlannedRoom {
  std::string name;
  RoomLayout layout;  // input sizes: the clip's, for the participants the load generator plays
  std::vector<PlannedParticipant> participants;
  // A mirror shows the same tiles as room `mirror_of` (an earlier room of the plan): the same
  // composite as received elsewhere. Its latency counts the senders of that room.
  int mirror_of = -1;
  // Optional, one per tile: a group name (where the participant joined); latency is also
  // summarized per group.
  std::vector<std::string> tile_groups;
};

struct LoadPlan {
  std::string server_address = "127.0.0.1";
  std::vector<PlannedRoom> rooms;
};

// Every room with video in `config`. The load generator plays every participant: each needs a
// fixed local_port (audio) and video.local_port (when it sends video), since it cannot learn
// allocated ones; a receive-only participant on an allocated port gets its composite but sends
// the server no RTCP. In each room the composite of the first receive-only viewer (else of the
// first participant that receives one) is decoded. clip_width x clip_height: the pictures it sends.
StatusOr<LoadPlan> PlanFromConfig(const app::Config& config, int clip_width, int clip_height);

}  // namespace tessera::loadgen
