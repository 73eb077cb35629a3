// VideoRoom: the recorded variant of a profile, for the recorder tier's participant under the
// room's "exclude" consent policy (docs/security.md, "Consent"). While someone is excluded, a
// recorded recipient gets a composite of its own in which the excluded participants' tiles are
// "not recorded" cards; everyone else keeps the shared composite. One extra compose and encode
// per frame, only then: with nobody excluded the recorded recipient is on the shared stream.
#include <spdlog/spdlog.h>
#include <tessera/codec/codec_factory.h>

#include <algorithm>

#include "session/video_room_parts.h"

namespace tessera::session {
namespace {

constexpr const char* kNotRecorded = "not recorded";

}  // namespace

Status VideoRoom::AddRecordedRecipient(uint32_t id, const std::string& profile) {
  TESSERA_RETURN_IF_ERROR(AddRecipient(id, profile, /*adapt=*/false));
  Recipient& r = *recipients_.at(id);
  // It starts at the first keyframe of the stream it wants (StartRecordedOn), not through
  // `pending`, which the shared stream's keyframe would settle.
  r.pending.reset();
  r.recorded = true;
  RequestSwitchKeyframes();
  return Status::Ok();
}

void VideoRoom::SetExcluded(std::vector<uint32_t> excluded) {
  std::sort(excluded.begin(), excluded.end());
  if (excluded == excluded_) return;
  excluded_ = std::move(excluded);
  // The variants' tiles change even where their layout does not.
  for (auto& p : profiles_) {
    if (p->recorded) p->recorded->canvas->key.reset();
  }
  RequestSwitchKeyframes();
}

// A recorded recipient takes only the stream it wants: the variant while someone is excluded,
// else the shared one. It gets nothing from the moment that changes to the wanted stream's
// keyframe (asked for at once), so no frame of an excluded participant reaches a recording.
bool VideoRoom::RecordedNeed(size_t profile, bool variant) const {
  if (variant == excluded_.empty()) return false;
  return std::any_of(recipients_.begin(), recipients_.end(), [profile](const auto& kv) {
    return kv.second->recorded && kv.second->profile == profile;
  });
}

bool VideoRoom::RecordedTakes(const Recipient& r, const EncodedVideo& frame) const {
  return r.started && r.on_variant == frame.recorded && frame.recorded != excluded_.empty();
}

void VideoRoom::RequestSwitchKeyframes() {
  const bool want_variant = !excluded_.empty();
  for (const auto& [id, r] : recipients_) {
    if (!r->recorded || (r->started && r->on_variant == want_variant)) continue;
    ProfileState& p = *profiles_[r->profile];
    if (!want_variant) {
      RequestProfileKeyframe(r->profile, /*urgent=*/true);
    } else if (p.recorded) {
      p.recorded->keyframe_pending = true;
      p.recorded->keyframe_urgent = true;
    }  // else: a variant is made with its first frame a keyframe
  }
}

void VideoRoom::StartRecordedOn(size_t profile, bool variant) {
  if (variant != !excluded_.empty()) return;  // not the stream they want
  for (auto& [id, r] : recipients_) {
    if (!r->recorded || r->profile != profile) continue;
    if (r->started && r->on_variant == variant) continue;
    r->started = true;
    r->on_variant = variant;
  }
}

VideoRoom::ProfileState* VideoRoom::EnsureVariant(size_t index) {
  ProfileState& p = *profiles_[index];
  if (p.recorded) return p.recorded.get();
  const VideoProfile& vp = config_.profiles[index];
  auto v = std::make_unique<ProfileState>();
  v->encoder_config = p.encoder_config;
  // On the CPU: a hardware encoder's sessions are few, and the variant is one stream a room.
  auto encoder = codec::CreateVideoEncoder(vp.codec, v->encoder_config);
  if (!encoder.ok()) {
    // The recording gets no picture meanwhile (never the shared one, which shows everyone).
    if (!p.variant_failed) {
      spdlog::error("video room {}: profile {}: no encoder for the recorded variant: {}",
                    config_.name, vp.name, encoder.status().ToString());
    }
    p.variant_failed = true;
    return nullptr;
  }
  v->encoder = std::move(*encoder);
  rtp::PacketizerConfig pc = config_.packetizer;
  if (vp.single_nal && vp.codec == rtp::Codec::kH264) pc.h264_packetization_mode = 0;
  v->packetizer = rtp::CreatePacketizer(vp.codec, pc);
  v->own_canvas = std::make_unique<Canvas>();
  Canvas& canvas = *v->own_canvas;
  canvas.width = vp.width;
  canvas.height = vp.height;
  canvas.recorded = true;
  // Where the room's pictures are: on its device while it composes there (then one download per
  // frame for the CPU encoder), else in host memory.
  if (stats_.gpu) {
    const codec::HwDevice* device = config_.hw_device.get();
    mixer::CompositorChoice c = mixer::CreateCompositor(device);
    auto pool = codec::DeviceFramePool::Create(device->backend(), device->av_device_ctx(),
                                               canvas.width, canvas.height);
    if (c.fallback.empty() && pool.ok()) {
      canvas.surface = MakeDeviceCanvas(canvas.width, canvas.height, std::move(c.compositor),
                                        nullptr, std::move(*pool), canvas_counters_);
    } else {
      if (!p.variant_failed) {
        spdlog::error(
            "video room {}: profile {}: the recorded variant cannot compose on the device: the "
            "recording gets no picture while someone is left out",
            config_.name, vp.name);
      }
      p.variant_failed = true;
      return nullptr;
    }
  } else {
    canvas.surface = MakeHostCanvas(canvas.width, canvas.height, canvas_counters_);
  }
  v->canvas = v->own_canvas.get();
  v->next_frame = p.next_frame;
  v->keyframe_pending = true;
  v->keyframe_urgent = true;
  spdlog::info("video room {}: profile {}: recording's variant on (participants left out: {})",
               config_.name, vp.name, excluded_.size());
  p.recorded = std::move(v);
  return p.recorded.get();
}

bool VideoRoom::DrawExcludedCard(const Canvas& canvas, const mixer::Tile& tile,
                                 mixer::I420Frame& frame) {
  if (!canvas.recorded || !Excluded(tile.participant_id)) return false;
  mixer::TextStyle style;
  style.pixel_height = std::clamp(tile.dest.height / 8, 10, 64);
  (void)text_->DrawCentered(kNotRecorded, tile.dest, style, frame);
  return true;
}

bool VideoRoom::Excluded(uint32_t id) const {
  if (std::binary_search(excluded_.begin(), excluded_.end(), id)) return true;
  const auto it = participants_.find(id);
  return it != participants_.end() && it->second->link_id &&
         std::binary_search(excluded_.begin(), excluded_.end(), it->second->link_id);
}

void VideoRoom::FallBackVariantsToCpu() {
  // Their encoders are the CPU's already; their canvases come to the host with the room's.
  for (auto& p : profiles_) p->recorded.reset();
}

const mixer::I420Frame* VideoRoom::last_recorded_canvas(size_t profile) const {
  if (profile >= profiles_.size() || !profiles_[profile]->recorded) return nullptr;
  const Canvas& canvas = *profiles_[profile]->recorded->canvas;
  if (!canvas.composed_once) return nullptr;
  return canvas.surface->host();
}

}  // namespace tessera::session
