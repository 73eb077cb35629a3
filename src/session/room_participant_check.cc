#include "session/room_participant_check.h"

#include <boost/asio/ip/address.hpp>

namespace tessera::session {
namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == '@' || c == '+';
}

// Local ports: 0 (allocated) or what the config accepts.
bool LocalPortOk(uint16_t port) { return port == 0 || (port >= 1024 && port <= 65534); }

Status CheckAudio(const RoomParticipantConfig& pc, const std::string& who) {
  if (rtp::KindOf(pc.audio_codec) != rtp::MediaKind::kAudio) {
    return InvalidArgumentError(who + "audio.codec: must be opus, PCMU, PCMA or G722, got " +
                                rtp::CodecName(pc.audio_codec));
  }
  if (pc.audio_payload_type > 127) {
    return InvalidArgumentError(who + "audio.payload_type: must be in 0..127");
  }
  if (pc.audio_channels != 1 && pc.audio_channels != 2) {
    return InvalidArgumentError(who + "audio.channels: must be 1 or 2");
  }
  if (pc.audio_channels == 2 && pc.audio_codec != rtp::Codec::kOpus) {
    return InvalidArgumentError(who + "audio.channels: only Opus carries stereo");
  }
  if (pc.audio_level_extension_id > 14) {
    return InvalidArgumentError(who + "audio.audio_level_extension_id: must be in 0..14");
  }
  if (!pc.remote_rtp_port) {
    return InvalidArgumentError(who +
                                "remote_rtp_port: is required (where the room's mix is sent)");
  }
  if (!LocalPortOk(pc.local_port)) {
    return InvalidArgumentError(who + "local_port: must be 0 (allocated) or in 1024..65534");
  }
  return Status::Ok();
}

Status CheckVideo(const RoomConfig& room, const RoomParticipantVideoConfig& v,
                  const std::string& who) {
  if (!room.video) {
    return InvalidArgumentError(who + "video: room " + room.name + " has no video");
  }
  if (v.send && rtp::KindOf(v.codec) != rtp::MediaKind::kVideo) {
    return InvalidArgumentError(who + "video.codec: must be H264, VP8, VP9 or AV1, got " +
                                rtp::CodecName(v.codec));
  }
  if (v.payload_type < 96 || v.payload_type > 127) {
    return InvalidArgumentError(who + "video.payload_type: must be in 96..127");
  }
  if (v.receive_payload_type && (v.receive_payload_type < 96 || v.receive_payload_type > 127)) {
    return InvalidArgumentError(who + "video.receive_payload_type: must be 0 or in 96..127");
  }
  if (!LocalPortOk(v.local_port)) {
    return InvalidArgumentError(who + "video.local_port: must be 0 (allocated) or in 1024..65534");
  }
  if (!v.send && !v.remote_rtp_port) {
    return InvalidArgumentError(
        who + "video: neither sends (send: false) nor receives (no remote_rtp_port) video");
  }
  if (!v.sdp_file.empty() && !v.remote_rtp_port) {
    return InvalidArgumentError(who + "video.sdp_file: needs remote_rtp_port");
  }
  if (!v.profile.empty()) {
    bool found = false;
    for (const auto& p : room.video->profiles) found |= p.name == v.profile;
    if (!found) {
      return InvalidArgumentError(who + "video.profile: no profile '" + v.profile + "' in room " +
                                  room.name);
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckParticipantName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgumentError("participant name: must be 1 to 64 characters");
  }
  for (char c : name) {
    if (!NameChar(c)) {
      return InvalidArgumentError("participant name '" + name +
                                  "': only letters, digits and . - _ @ + are allowed");
    }
  }
  return Status::Ok();
}

Status CheckRoomParticipant(const RoomConfig& room, const RoomParticipantConfig& pc) {
  TESSERA_RETURN_IF_ERROR(CheckParticipantName(pc.name));
  const std::string who = "participant " + pc.name + ": ";
  boost::system::error_code ec;
  boost::asio::ip::make_address(pc.remote_address, ec);
  if (ec) {
    return InvalidArgumentError(who + "remote_address: must be an IPv4 or IPv6 address, got '" +
                                pc.remote_address + "'");
  }
  if (!pc.has_audio && !pc.video) {
    return InvalidArgumentError(who + "has neither audio nor video");
  }
  if (pc.has_audio) TESSERA_RETURN_IF_ERROR(CheckAudio(pc, who));
  if (pc.video) TESSERA_RETURN_IF_ERROR(CheckVideo(room, *pc.video, who));
  return Status::Ok();
}

}  // namespace tessera::session
