#include "session/room_host.h"

#include <spdlog/spdlog.h>
#include <tessera/base/personal_name.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <functional>
#include <future>

#include "session/sdp_file.h"

namespace tessera::session {

RoomHost::RoomHost(const RoomConfig& config, boost::asio::io_context& media, Clock& clock)
    : config_(config), audio_(config_, media, clock) {}

RoomHost::~RoomHost() = default;

Status RoomHost::InitVideo(boost::asio::io_context& video_media, codec::HwSelection hardware) {
  if (!config_.video) return Status::Ok();
  auto video = RoomVideo::Create(config_, video_media, std::move(hardware), audio_.clock());
  if (!video.ok()) return video.status();
  video_ = std::move(*video);
  RoomVideo* v = video_.get();
  audio_.SetSpeakerSink([v](uint32_t id) { v->PostSpeaker(id); });
  return Status::Ok();
}

void RoomHost::Start() {
  for (auto& leg : roster_.audio_legs()) {
    AudioLeg* l = leg.get();
    boost::asio::post(l->shard(), [l] { l->Start(); });
  }
  audio_.Start();
  if (!video_) return;
  for (auto& leg : roster_.video_legs()) {
    VideoLeg* l = leg.get();
    boost::asio::post(l->shard(), [l] { l->Start(); });
  }
  video_->Start();
}

void RoomHost::UpdateExclusion(const RoomMember* joining, bool wait) {
  if (config_.recording.consent != ConsentPolicy::kExclude) return;
  std::vector<uint32_t> excluded;
  std::string names;
  auto consider = [&](const RoomMember& m) {
    if (m.sends && m.consent != Consent::kGranted) {
      excluded.push_back(m.id);
      names += (names.empty() ? "" : ", ") + PersonalName(m.name);
    }
  };
  for (const RoomMember& m : roster_.members()) consider(m);
  if (joining) consider(*joining);
  std::sort(excluded.begin(), excluded.end());
  if (excluded == excluded_) return;
  excluded_ = excluded;
  spdlog::info("room {}: left out of its recording (no consent): {}", config_.name,
               names.empty() ? "nobody" : names);
  // Applied on the room's own threads; with `wait`, before the caller goes on (a consent
  // withdrawn, a member joining without it: the next tick already leaves them out).
  auto apply = [wait](boost::asio::io_context& io, std::function<void()> f) {
    if (!wait) {
      boost::asio::post(io, std::move(f));
      return;
    }
    std::promise<void> done;
    std::future<void> applied = done.get_future();
    boost::asio::post(io, [&f, &done] {
      f();
      done.set_value();
    });
    applied.wait();
  };
  RoomAudio* audio = &audio_;
  apply(audio_.context(), [audio, excluded] { audio->SetExcluded(excluded); });
  if (!video_) return;
  RoomVideo* video = video_.get();
  apply(video_->context(), [video, excluded] { video->SetExcluded(excluded); });
}

rtp::Codec RoomHost::ReceiveCodecFor(const RoomParticipantConfig& pc) const {
  const auto& profiles = config_.video->profiles;
  for (const auto& p : profiles) {
    if (pc.video && p.name == pc.video->profile) return p.codec;
  }
  return profiles.front().codec;
}

Status RoomHost::WriteSdpFor(const VideoLeg& leg) const {
  const RoomParticipantConfig& pc = leg.config();
  const auto& v = *pc.video;
  if (!leg.receives() || v.sdp_file.empty()) return Status::Ok();
  SdpStream s;
  s.session_name = "Tessera room " + config_.name + " for " + pc.name;
  s.address = pc.remote_address;
  s.port = v.remote_rtp_port;
  s.rtcp_mux = v.rtcp_mux;
  s.rtcp_port = v.remote_rtcp_port;
  s.codec = ReceiveCodecFor(pc);
  s.payload_type = CompositePayloadType(v, s.codec);
  Status st = WriteSdpFile(v.sdp_file, s);
  if (!st.ok()) return Status(st.code(), "participant " + pc.name + ": " + st.message());
  spdlog::info(
      "room {}: wrote {} describing {}'s composite (watch: ffplay -protocol_whitelist "
      "file,udp,rtp {})",
      config_.name, v.sdp_file, pc.name, v.sdp_file);
  return Status::Ok();
}

}  // namespace tessera::session
