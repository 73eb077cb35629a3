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

}  // namespace tessera::session
