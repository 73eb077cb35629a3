#include "loadgen/load_plan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <set>
#include <sstream>

namespace tessera::loadgen {
namespace {

// Per room: per participant audio in, video in, mix back, composite back; then the viewer's
// video port and composite port.
constexpr size_t kPortsPerParticipant = 4;
constexpr size_t kPortsPerViewer = 2;

std::optional<mixer::LayoutKind> BuiltInLayout(const std::string& name) {
  if (name == "grid") return mixer::LayoutKind::kAutoGrid;
  if (name == "speaker") return mixer::LayoutKind::kSpeakerFocus;
  if (name == "presentation") return mixer::LayoutKind::kPresentation;
  if (name == "pip") return mixer::LayoutKind::kPictureInPicture;
  return std::nullopt;
}

}  // namespace

size_t PortsNeeded(const GenerateOptions& o) {
  return static_cast<size_t>(o.rooms) *
         (static_cast<size_t>(o.participants) * kPortsPerParticipant + kPortsPerViewer);
}

std::string GenerateConfigYaml(const GenerateOptions& o, const std::vector<uint16_t>& ports) {
  size_t next = 0;
  auto port = [&] { return next < ports.size() ? ports[next++] : uint16_t{0}; };
  const auto& out = o.output;
  std::ostringstream y;
  y << "# Written by tessera-loadgen: " << o.rooms << " rooms x " << o.participants
    << " participants and a viewer.\n"
    << "server:\n  log_level: " << o.log_level << "\n  shards: " << o.shards << "\nrooms:\n";
  for (int r = 0; r < o.rooms; ++r) {
    y << "  - name: lg-r" << r << "\n    video:\n      layout: " << o.layout
      << "\n      fit: " << (o.crop ? "crop" : "letterbox") << "\n      border_px: " << o.border_px
      << "\n      name_labels: " << (o.name_labels ? "true" : "false")
      << "\n      compose_threads: " << o.compose_threads
      << "\n      profiles:\n        - {name: " << out.name
      << ", codec: " << rtp::CodecName(out.codec) << ", width: " << out.width
      << ", height: " << out.height << ", fps: " << out.fps
      << ", bitrate_kbps: " << out.bitrate_bps / 1000
      << ", keyframe_interval_s: " << out.keyframe_interval_s << "}\n    participants:\n";
    for (int i = 0; i < o.participants; ++i) {
      const uint16_t audio_in = port(), video_in = port(), mix = port(), composite = port();
      const rtp::Codec codec = o.input_codecs.empty()
                                   ? rtp::Codec::kH264
                                   : o.input_codecs[static_cast<size_t>(i) % o.input_codecs.size()];
      y << "      - {name: r" << r << "p" << i;
      if (o.audio) {
        y << ", local_port: " << audio_in << ", remote_rtp_port: " << mix
          << ", audio: {codec: opus, payload_type: 111}";
      }
      y << ", video: {codec: " << rtp::CodecName(codec)
        << ", payload_type: " << (codec == rtp::Codec::kVp8 ? 97 : 96)
        << ", local_port: " << video_in;
      if (o.participants_receive_video) y << ", remote_rtp_port: " << composite;
      y << "}}\n";
    }
    const uint16_t viewer_in = port(), viewer_out = port();
    y << "      - {name: r" << r << "view, video: {send: false, local_port: " << viewer_in
      << ", remote_rtp_port: " << viewer_out << "}}\n";
  }
  return y.str();
}

StatusOr<std::vector<uint16_t>> FindFreePorts(const std::string& address, uint16_t min,
                                              uint16_t max, size_t count) {
  in_addr addr{};
  if (inet_pton(AF_INET, address.c_str(), &addr) != 1) {
    return InvalidArgumentError("not an IPv4 address: " + address);
  }
  if (max < min) return InvalidArgumentError("empty port range");
  std::vector<uint16_t> found;
  const uint32_t span = uint32_t{max} - min + 1;
  // Start somewhere random, so runs side by side rarely race for the same ports.
  std::mt19937 rng(std::random_device{}());
  const uint32_t start = rng() % span;
  for (uint32_t k = 0; k < span && found.size() < count; ++k) {
    const auto p = static_cast<uint16_t>(min + (start + k) % span);
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return InternalError("socket() failed");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = addr;
    sa.sin_port = htons(p);
    const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) == 0;
    close(fd);
    if (free) found.push_back(p);
  }
  if (found.size() < count) {
    return ResourceExhaustedError("only " + std::to_string(found.size()) + " of " +
                                  std::to_string(count) + " free UDP ports in " +
                                  std::to_string(min) + "-" + std::to_string(max));
  }
  return found;
}

StatusOr<LoadPlan> PlanFromConfig(const app::Config& config, int clip_width, int clip_height) {
  LoadPlan plan;
  plan.server_address = config.server.bind_address;
  std::vector<std::string> errors;
  for (const auto& rc : config.rooms) {
    if (!rc.video) continue;
    PlannedRoom room;
    room.name = rc.name;
    const app::RoomVideoConfig& v = *rc.video;
    if (auto kind = BuiltInLayout(v.layout)) {
      room.layout.spec.kind = *kind;
    } else {
      room.layout.spec.kind = mixer::LayoutKind::kCustom;
      for (const auto& l : v.layouts) {
        if (l.name == v.layout) room.layout.custom = l;
      }
    }
    room.layout.spec.fit = v.fit;
    room.layout.spec.border_px = v.border_px;
    uint32_t id = 0;
    for (const auto& pc : rc.participants) {
      ++id;  // as the server numbers a room's participants
      PlannedParticipant p;
      p.name = pc.name;
      const bool sends = pc.video && pc.video->send;
      if (pc.has_audio || sends) {
        p.tile = static_cast<int>(room.layout.inputs.size());
        room.layout.inputs.push_back({id, sends ? clip_width : 0, sends ? clip_height : 0,
                                      pc.video ? pc.video->role : std::string()});
      }
      if (pc.has_audio) {
        p.has_audio = true;
        p.audio_codec = pc.audio_codec;
        p.audio_payload_type = pc.audio_payload_type;
        p.server_audio_port = pc.local_port;
        p.receive_audio_port = pc.remote_rtp_port;
        if (!pc.local_port) errors.push_back("participant " + pc.name + ": local_port must be set");
      }
      if (pc.video) {
        const app::RoomParticipantVideoConfig& pv = *pc.video;
        p.sends_video = pv.send;
        p.video_codec = pv.codec;
        p.video_payload_type = pv.payload_type;
        p.server_video_port = pv.local_port;
        p.receive_video_port = pv.remote_rtp_port;
        if (pv.send && !pv.local_port) {
          errors.push_back("participant " + pc.name + ": video.local_port must be set");
        }
        const app::VideoProfile* profile = &v.profiles.front();
        for (const auto& vp : v.profiles) {
          if (vp.name == pv.profile) profile = &vp;
        }
        p.composite_codec = profile->codec;
        p.composite_fps = profile->fps;
        p.composite_payload_type = pv.receive_payload_type              ? pv.receive_payload_type
                                   : profile->codec == rtp::Codec::kVp8 ? 97
                                                                        : 96;
      }
      room.participants.push_back(std::move(p));
    }
    // Decode one composite per room: a receive-only viewer's, else the first receiver's.
    PlannedParticipant* decoded = nullptr;
    for (auto& p : room.participants) {
      if (!decoded && p.receive_video_port && !p.sends_video && !p.has_audio) decoded = &p;
    }
    for (auto& p : room.participants) {
      if (!decoded && p.receive_video_port) decoded = &p;
    }
    if (decoded) decoded->decode = true;
    plan.rooms.push_back(std::move(room));
  }
  if (!errors.empty()) {
    std::string all = config.source + ": the load generator cannot play this config:";
    for (const auto& e : errors) all += "\n  " + e;
    return InvalidArgumentError(all);
  }
  if (plan.rooms.empty()) return InvalidArgumentError(config.source + ": no room with video");
  return plan;
}

}  // namespace tessera::loadgen
