#include <spdlog/spdlog.h>
#include <tessera/session/cascade.h>
#include <tessera/session/video_room.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "session/video_room_parts.h"

namespace tessera::session {
namespace {

constexpr int64_t kUsPerSecond = 1'000'000;
constexpr int64_t kVideoClockRate = 90'000;
// The weight of each tick's hold in input_hold_us(): about half a second of ticks at 30 fps, so
// the average wait for the tick is followed while each picture's is smoothed.
constexpr double kHoldGain = 1.0 / 16;
// A picture that arrived longer than this before its first slot (one that waited in the mailbox
// for a participant to join the layout) or after it is left out.
constexpr int64_t kMaxHoldSampleUs = 500'000;

// Slot `index` of a grid at `fps`: its time after slot 0 in 1/units_per_second units, rounded
// down. Computed from the index, never summed, so no rounding accumulates.
int64_t GridTime(int64_t index, int fps, int64_t units_per_second) {
  return index * units_per_second / fps;
}

// The last slot of a grid at `fps` whose time is at or before offset_us (>= 0).
int64_t LastSlotBy(int64_t offset_us, int fps) {
  int64_t index = offset_us * fps / kUsPerSecond;
  // Once at most: GridTime rounds down, so the next slot may sit on offset_us itself.
  while (GridTime(index + 1, fps, kUsPerSecond) <= offset_us) ++index;
  return index;
}

}  // namespace

StatusOr<std::unique_ptr<VideoRoom>> VideoRoom::Create(VideoRoomConfig config, Clock& clock) {
  std::unique_ptr<VideoRoom> room(new VideoRoom(std::move(config), clock));
  TESSERA_RETURN_IF_ERROR(room->Init());
  return room;
}

VideoRoom::VideoRoom(VideoRoomConfig config, Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

VideoRoom::~VideoRoom() = default;

Status VideoRoom::Init() {
  if (config_.profiles.empty()) {
    return InvalidArgumentError("video room " + config_.name + " needs at least one profile");
  }
  for (size_t i = 0; i < config_.profiles.size(); ++i) {
    const VideoProfile& p = config_.profiles[i];
    if (rtp::KindOf(p.codec) != rtp::MediaKind::kVideo) {
      return InvalidArgumentError("profile " + p.name + ": not a video codec");
    }
    if (p.width <= 0 || p.height <= 0 || p.width % 2 || p.height % 2 || p.fps <= 0 || p.fps > 60) {
      return InvalidArgumentError("profile " + p.name +
                                  ": width and height must be even and positive, fps 1..60");
    }
    for (size_t k = 0; k < i; ++k) {
      if (config_.profiles[k].name == p.name) {
        return InvalidArgumentError("duplicate profile name " + p.name);
      }
    }
    rtp::PacketizerConfig pc = config_.packetizer;
    if (p.single_nal && p.codec == rtp::Codec::kH264) pc.h264_packetization_mode = 0;
    auto state = std::make_unique<ProfileState>();
    state->encode_seconds =
        &state->series.Get(kEncodeDurationFamily, {{"room", config_.name}, {"profile", p.name}});
    state->encoder_config = p.EncoderConfig(static_cast<int>(pc.mtu - rtp::kRtpOverhead));
    TESSERA_RETURN_IF_ERROR(codec::CheckVideoEncoderConfig(state->encoder_config));
    state->packetizer = rtp::CreatePacketizer(p.codec, pc);
    Canvas* canvas = nullptr;
    for (auto& c : canvases_) {
      if (c->width == p.width && c->height == p.height) canvas = c.get();
    }
    if (!canvas) {
      canvases_.push_back(std::make_unique<Canvas>());
      canvas = canvases_.back().get();
      canvas->width = p.width;
      canvas->height = p.height;
    }
    state->canvas = canvas;
    profiles_.push_back(std::move(state));
  }
  stats_.profiles.resize(profiles_.size());
  TESSERA_RETURN_IF_ERROR(InitBackend());
  layout_ = config_.layout;
  layout_name_ = LayoutKindName(layout_.kind);
  auto text = mixer::TextRenderer::Create(config_.font_path);
  if (text.ok()) {
    text_ = std::move(*text);
  } else {
    spdlog::warn("video room {}: names are not drawn on tiles: {}", config_.name,
                 text.status().ToString());
  }
  return Status::Ok();
}

int VideoRoom::tick_fps() const {
  int fps = 1;
  for (const auto& p : config_.profiles) fps = std::max(fps, p.fps);
  return fps;
}

int64_t VideoRoom::tick_interval_us() const { return kUsPerSecond / tick_fps(); }

int64_t VideoRoom::SlotOffsetUs(int64_t slot) const {
  return GridTime(slot, tick_fps(), kUsPerSecond);
}

int64_t VideoRoom::input_hold_us() const {
  if (!hold_us_) return tick_interval_us() / 2;
  return static_cast<int64_t>(*hold_us_ + (*hold_us_ < 0 ? -0.5 : 0.5));
}

void VideoRoom::UpdateHold(double mean_us) {
  hold_us_ = hold_us_ ? *hold_us_ + (mean_us - *hold_us_) * kHoldGain : mean_us;
}

Status VideoRoom::AddParticipant(const VideoParticipantInfo& info,
                                 std::shared_ptr<mixer::FrameMailbox> mailbox) {
  if (info.id == 0) return InvalidArgumentError("participant id must be non-zero");
  if (participants_.count(info.id)) {
    return Status(StatusCode::kAlreadyExists, "participant " + std::to_string(info.id) +
                                                  " is already in video room " + config_.name);
  }
  auto p = std::make_unique<Participant>();
  p->info = info;
  p->mailbox = mailbox ? std::move(mailbox) : std::make_shared<mixer::FrameMailbox>();
  participants_[info.id] = std::move(p);
  join_order_.push_back(info.id);
  return Status::Ok();
}

void VideoRoom::RemoveParticipant(uint32_t id) {
  if (auto it = participants_.find(id); it != participants_.end()) {
    for (uint32_t cell : it->second->cells) {
      participants_.erase(cell);
      if (active_speaker_ == cell) active_speaker_.reset();
    }
  }
  participants_.erase(id);
  std::erase(join_order_, id);
  if (active_speaker_ == id) active_speaker_.reset();
}

Status VideoRoom::SetCells(uint32_t link, const CascadeLayout& layout) {
  auto it = participants_.find(link);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(link));
  Participant& l = *it->second;
  l.link = true;
  for (uint32_t cell : l.cells) participants_.erase(cell);
  l.cells.clear();
  const size_t n = std::min(layout.cells.size(), kMaxCascadeCells);
  for (size_t i = 0; i < n; ++i) {
    const CascadeCell& c = layout.cells[i];
    if (c.rect.Empty() || layout.width <= 0 || layout.height <= 0) continue;
    // Ids no front end hands out: the top bit, the link's id and the cell's index.
    const uint32_t id = 0x80000000u | ((link & 0x7FFFFFu) << 8) | static_cast<uint32_t>(i);
    auto p = std::make_unique<Participant>();
    p->info.id = id;
    p->info.name = c.name;
    p->mailbox = l.mailbox;
    p->crop = c.rect;
    p->crop_width = layout.width;
    p->crop_height = layout.height;
    p->link_id = link;
    participants_[id] = std::move(p);
    l.cells.push_back(id);
  }
  // The cells' places may change with the same sizes: every canvas lays out again, the
  // recording's variants too.
  for (auto& canvas : canvases_) canvas->key.reset();
  for (auto& profile : profiles_) {
    if (profile->recorded) profile->recorded->canvas->key.reset();
  }
  return Status::Ok();
}

CascadeLayout VideoRoom::CanvasCells() const {
  CascadeLayout out;
  if (canvases_.empty() || !canvases_[0]->composed_once) return out;
  const Canvas& c = *canvases_[0];
  out.width = c.width;
  out.height = c.height;
  for (const mixer::Tile& t : c.tiles) {
    auto it = participants_.find(t.participant_id);
    if (t.participant_id == 0 || it == participants_.end()) continue;
    out.cells.push_back(CascadeCell{it->second->info.name, t.region});
  }
  return out;
}

std::optional<size_t> VideoRoom::ProfileIndex(const std::string& name) const {
  for (size_t i = 0; i < config_.profiles.size(); ++i) {
    if (config_.profiles[i].name == name) return i;
  }
  return std::nullopt;
}

Status VideoRoom::AddRecorder(const std::string& profile) {
  return AddRecipient(kRecorderKey, profile, /*adapt=*/false);
}

Status VideoRoom::AddRecipient(uint32_t id, const std::string& profile, bool adapt) {
  const auto index = ProfileIndex(profile);
  if (!index) {
    return NotFoundError("video room " + config_.name + " has no profile '" + profile + "'");
  }
  if (recipients_.count(id)) {
    return Status(StatusCode::kAlreadyExists,
                  "recipient " + std::to_string(id) + " is already in video room " + config_.name);
  }
  auto r = std::make_unique<Recipient>();
  r->id = id;
  r->configured = *index;
  r->profile = *index;
  r->adapt = adapt;
  // The ladder: profiles of the same codec no larger than the configured one, smallest first,
  // ordered by bitrate and then by picture size, so "up" never passes the configured profile.
  const auto rank = [this](size_t i) {
    const VideoProfile& p = config_.profiles[i];
    return std::make_pair(p.bitrate_bps, static_cast<int64_t>(p.width) * p.height);
  };
  const VideoProfile& max = config_.profiles[*index];
  for (size_t i = 0; i < config_.profiles.size(); ++i) {
    if (config_.profiles[i].codec == max.codec && rank(i) <= rank(*index)) r->ladder.push_back(i);
  }
  std::stable_sort(r->ladder.begin(), r->ladder.end(),
                   [&rank](size_t a, size_t b) { return rank(a) < rank(b); });
  // It receives nothing until its profile's next keyframe (asked for below).
  r->pending = *index;
  recipients_[id] = std::move(r);
  ++stats_.profiles[*index].recipients;
  RequestProfileKeyframe(*index, /*urgent=*/true);
  return Status::Ok();
}

void VideoRoom::RemoveRecipient(uint32_t id) {
  auto it = recipients_.find(id);
  if (it == recipients_.end()) return;
  --stats_.profiles[it->second->pending.value_or(it->second->profile)].recipients;
  recipients_.erase(it);
}

std::optional<size_t> VideoRoom::recipient_profile(uint32_t id) const {
  auto it = recipients_.find(id);
  if (it == recipients_.end()) return std::nullopt;
  return it->second->pending.value_or(it->second->profile);
}

void VideoRoom::RequestKeyframe(uint32_t recipient, bool urgent) {
  auto it = recipients_.find(recipient);
  if (it == recipients_.end()) return;
  Recipient& r = *it->second;
  if (!urgent && !r.asked_keyframe) {
    r.asked_keyframe = true;
    urgent = true;
  }
  if (r.recorded && r.on_variant && profiles_[r.profile]->recorded) {
    ++stats_.keyframe_requests;
    profiles_[r.profile]->recorded->keyframe_pending = true;  // coalesced like the profile's
    profiles_[r.profile]->recorded->keyframe_urgent |= urgent;
    return;
  }
  RequestProfileKeyframe(it->second->pending.value_or(it->second->profile), urgent);
}

void VideoRoom::RequestProfileKeyframe(size_t profile, bool urgent) {
  ++stats_.keyframe_requests;
  ProfileState& p = *profiles_[profile];
  // A recipient that joins or moves gets nothing until the keyframe, so its request is not held
  // back by the coalescing interval; PLI/FIR storms are.
  p.keyframe_urgent |= urgent;
  if (p.keyframe_pending) {
    ++stats_.keyframes_coalesced;
    return;
  }
  p.keyframe_pending = true;
}

Status VideoRoom::SetLayout(const std::string& name) {
  auto spec = LayoutByName(name, config_.layout, config_.custom_layouts);
  if (!spec) {
    std::string known = "grid, speaker, presentation, pip";
    for (const auto& c : config_.custom_layouts) known += ", " + c.name;
    return NotFoundError("video room " + config_.name + " has no layout '" + name +
                         "' (known: " + known + ")");
  }
  layout_ = *spec;
  layout_name_ = name;
  return Status::Ok();
}

void VideoRoom::SetActiveSpeaker(std::optional<uint32_t> id) {
  if (id && !participants_.count(*id)) return;
  // A cascade link speaks for a whole share: no one tile is its.
  if (id && participants_.at(*id)->link) id.reset();
  active_speaker_ = id;
}

Status VideoRoom::SetPinned(uint32_t id, bool pinned) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(id));
  it->second->pinned = pinned;
  return Status::Ok();
}

Status VideoRoom::SetRole(uint32_t id, const std::string& role) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(id));
  it->second->info.role = role;
  return Status::Ok();
}

const mixer::I420Frame* VideoRoom::last_canvas(size_t profile) const {
  if (profile >= profiles_.size() || !profiles_[profile]->canvas->composed_once) return nullptr;
  return profiles_[profile]->canvas->surface->host();  // null while on the device only
}

VideoTick VideoRoom::Tick(int64_t now_us) {
  if (!origin_us_) return Tick(now_us, 0);
  // The nearest slot: a clock stepped by tick_interval_us() (whole microseconds) runs a little
  // short of the exact grid.
  const int64_t offset_us = now_us - *origin_us_ + tick_interval_us() / 2;
  return Tick(now_us, LastSlotBy(std::max<int64_t>(offset_us, 0), tick_fps()));
}

VideoTick VideoRoom::Tick(int64_t now_us, int64_t slot) {
  VideoTick tick;
  tick.moves = std::move(pending_moves_);
  pending_moves_.clear();
  slot = std::max(slot, last_slot_ + 1);
  last_slot_ = slot;
  if (!origin_us_) origin_us_ = now_us - SlotOffsetUs(slot);
  ++stats_.ticks;

  // Which profiles are due: each has its own grid at its frame rate from the room's slot 0. The
  // latest frame slot of a profile's grid within half a tick of this slot's time is due unless
  // served already, so a frame between two ticks goes with the nearer one, and the frames of
  // skipped slots are passed over rather than sent late. The stamp is the frame slot's time on
  // the 90 kHz clock, not the moment the tick runs: a late tick does not shorten the interval
  // to the frame before it, and receivers and the recording see whole frame intervals.
  const int64_t due_by_us = SlotOffsetUs(slot) + tick_interval_us() / 2;
  struct Due {
    size_t profile = 0;
    int64_t frame = 0;
    bool shared = false;   // its stream, for its recipients
    bool variant = false;  // its recorded variant, for recorded recipients
  };
  std::vector<Due> due;
  for (size_t i = 0; i < profiles_.size(); ++i) {
    ProfileState& p = *profiles_[i];
    const int64_t frame = LastSlotBy(due_by_us, config_.profiles[i].fps);
    if (frame < p.next_frame) continue;
    p.next_frame = frame + 1;
    // Nobody watches (or is about to): no work.
    const bool watched = RecordedNeed(i, /*variant=*/false) ||
                         std::any_of(recipients_.begin(), recipients_.end(), [i](const auto& kv) {
                           const Recipient& r = *kv.second;
                           return !r.recorded && ((r.started && r.profile == i) || r.pending == i);
                         });
    const bool variant = RecordedNeed(i, /*variant=*/true) && EnsureVariant(i);
    if (!variant) p.recorded.reset();  // nobody left out, or nobody records: its work stops
    if (!watched && !variant) continue;
    due.push_back({i, frame, watched, variant});
  }
  if (due.empty()) return tick;

  if (stats_.gpu) CheckGpu();
  Snapshot(now_us, *origin_us_ + SlotOffsetUs(slot));
  for (auto& c : canvases_) c->composed_this_tick = false;
  uint64_t encodes = 0;
  std::vector<std::shared_ptr<const EncodedVideo>> frames;
  for (const Due& d : due) {
    const size_t i = d.profile;
    ProfileState& p = *profiles_[i];
    // A fall-back to the CPU (CheckGpu) drops the variants: made again on the host.
    if (d.variant && EnsureVariant(i)) {
      ProfileState& v = *p.recorded;
      Compose(*v.canvas);
      ++stats_.recorded_composes;
      auto frame = EncodeStream(i, v, stats_.recorded, *v.canvas, d.frame, now_us);
      ++encodes;
      if (frame && frame->keyframe) StartRecordedOn(i, /*variant=*/true);
      if (frame) frames.push_back(std::move(frame));
    }
    if (!d.shared) continue;
    if (!p.canvas->composed_this_tick) Compose(*p.canvas);
    auto frame = EncodeProfile(i, *p.canvas, d.frame, now_us);
    ++encodes;
    if (!frame) continue;
    if (frame->keyframe) {
      // Recipients waiting for this profile's keyframe start (or switch to it) here.
      for (auto& [id, r] : recipients_) {
        if (r->pending == i) {
          r->profile = i;
          r->pending.reset();
          r->started = true;
        }
      }
      StartRecordedOn(i, /*variant=*/false);
    }
    frames.push_back(std::move(frame));
  }
  for (auto& frame : frames) {
    VideoOutput out;
    for (const auto& [id, r] : recipients_) {
      // A joining recipient gets nothing before its keyframe; a moving one keeps its old
      // profile until then; a recorded one gets the stream it is on.
      if (!r->started || r->profile != frame->profile) continue;
      if (r->recorded ? !RecordedTakes(*r, *frame) : frame->recorded) continue;
      if (id == kRecorderKey) {
        out.record = true;
      } else {
        out.recipients.push_back(id);
      }
    }
    if (out.recipients.empty() && !out.record) continue;
    out.frame = std::move(frame);
    tick.outputs.push_back(std::move(out));
  }
  stats_.max_tick_encodes = std::max(stats_.max_tick_encodes, encodes);
  return tick;
}

void VideoRoom::Snapshot(int64_t now_us, int64_t slot_time_us) {
  int64_t hold_sum = 0;
  int64_t new_pictures = 0;
  for (auto& [id, p] : participants_) {
    p->current = p->mailbox->Latest();
    // A picture older than the timeout (the sender stopped, or its stream is broken and no
    // keyframe came) gives way to the placeholder.
    if (p->current.has_picture() &&
        now_us - p->current.put_time_us > config_.placeholder_after_us) {
      p->current.ClearPicture();
    }
    // A room on the CPU (never on the GPU, or after a device failure) cannot read device
    // pictures: it shows a placeholder until the input's CPU decoder delivers.
    if (!stats_.gpu && p->current.picture.backend() != codec::HwBackend::kCpu) {
      p->current.ClearPicture();
    }
    // A picture new since the last tick waited from its arrival (decode included) to this slot:
    // the video path's hold, which composite frames are stamped back by (input_hold_us()).
    if (p->current.has_picture() && p->current.sequence != p->held_sequence) {
      p->held_sequence = p->current.sequence;
      const int64_t hold_us = slot_time_us - p->current.receive_time_us;
      if (hold_us >= -kMaxHoldSampleUs && hold_us <= kMaxHoldSampleUs) {
        hold_sum += hold_us;
        ++new_pictures;
      }
    }
  }
  // The mean of this tick's new pictures: one step of the smoothing however many send.
  if (new_pictures > 0) {
    UpdateHold(static_cast<double>(hold_sum) / static_cast<double>(new_pictures));
  }
}

std::map<uint32_t, std::pair<int, int>> VideoRoom::TileSizes() const {
  std::map<uint32_t, std::pair<int, int>> out;
  for (const auto& canvas : canvases_) {
    for (const mixer::Tile& t : canvas->tiles) {
      if (t.participant_id == 0) continue;
      auto& size = out[t.participant_id];
      if (int64_t{t.dest.width} * t.dest.height > int64_t{size.first} * size.second) {
        size = {t.dest.width, t.dest.height};
      }
    }
  }
  return out;
}

void VideoRoom::Compose(Canvas& canvas) {
  std::vector<mixer::LayoutInput> inputs;
  inputs.reserve(join_order_.size());
  const auto add_input = [this, &inputs](uint32_t id) {
    const Participant& p = *participants_.at(id);
    mixer::LayoutInput in;
    in.id = id;
    if (p.current.has_picture()) {
      if (const std::optional<mixer::Rect> crop = ScaledCrop(p)) {
        in.width = crop->width;
        in.height = crop->height;
      } else if (!p.crop) {
        in.width = p.current.width();
        in.height = p.current.height();
      }
    }
    in.role = p.info.role;
    in.pinned = p.pinned;
    inputs.push_back(std::move(in));
  };
  for (uint32_t id : join_order_) {
    const Participant& p = *participants_.at(id);
    if (!p.link) {
      add_input(id);
      continue;
    }
    for (uint32_t cell : p.cells) add_input(cell);
  }
  LayoutKey key{layout_name_, inputs, active_speaker_};
  if (!canvas.key || !(*canvas.key == key)) {
    canvas.tiles =
        mixer::ComputeLayout(layout_, canvas.width, canvas.height, inputs, active_speaker_);
    // A cell's source rectangle is within its crop of the link's picture.
    for (mixer::Tile& t : canvas.tiles) {
      auto it = participants_.find(t.participant_id);
      if (t.participant_id == 0 || it == participants_.end() || t.src.Empty()) continue;
      if (const std::optional<mixer::Rect> crop = ScaledCrop(*it->second)) {
        t.src.x += crop->x;
        t.src.y += crop->y;
      }
    }
    canvas.key = std::move(key);
    ++stats_.layout_changes;
  }
  std::vector<const codec::Picture*> pictures(canvas.tiles.size(), nullptr);
  const auto left_out = [this, &canvas](uint32_t id) { return canvas.recorded && Excluded(id); };
  canvas.tile_has_picture.assign(canvas.tiles.size(), false);
  canvas.new_receive_us.clear();
  for (size_t t = 0; t < canvas.tiles.size(); ++t) {
    const uint32_t id = canvas.tiles[t].participant_id;
    if (id == 0) continue;
    auto it = participants_.find(id);
    if (it == participants_.end() || !it->second->current.has_picture() || left_out(id)) continue;
    const mixer::MailboxFrame& f = it->second->current;
    pictures[t] = &f.picture;
    canvas.tile_has_picture[t] = true;
    uint64_t& shown = canvas.shown_sequence[id];
    if (f.sequence != shown) {
      shown = f.sequence;
      canvas.new_receive_us.push_back(f.receive_time_us);
    }
  }
  VideoCanvas::DrawNames names;
  if (text_) names = [this, &canvas](mixer::I420Frame& frame) { DrawNames(canvas, frame); };
  const Status composed =
      canvas.surface->Compose(canvas.tiles, pictures, config_.compose, std::move(names));
  if (composed.ok()) {
    gpu_failures_in_a_row_ = 0;
  } else {
    GpuFailed(composed.message());
  }
  SyncCanvasCounters();
  canvas.composed_this_tick = true;
  canvas.composed_once = true;
  ++stats_.composes;
}

std::optional<mixer::Rect> VideoRoom::ScaledCrop(const Participant& p) {
  if (!p.crop || !p.current.has_picture() || p.crop_width <= 0 || p.crop_height <= 0) {
    return std::nullopt;
  }
  const int64_t w = p.current.width();
  const int64_t h = p.current.height();
  const auto sx = [&](int64_t v) { return static_cast<int>(v * w / p.crop_width); };
  const auto sy = [&](int64_t v) { return static_cast<int>(v * h / p.crop_height); };
  mixer::Rect r;
  r.x = std::clamp(sx(p.crop->x), 0, static_cast<int>(w));
  r.y = std::clamp(sy(p.crop->y), 0, static_cast<int>(h));
  r.width = std::min(sx(p.crop->x + p.crop->width), static_cast<int>(w)) - r.x;
  r.height = std::min(sy(p.crop->y + p.crop->height), static_cast<int>(h)) - r.y;
  // Whole chroma samples: the compositors address 4:2:0 planes at half the source's origin.
  r.x &= ~1;
  r.y &= ~1;
  r.width &= ~1;
  r.height &= ~1;
  if (r.Empty()) return std::nullopt;
  return r;
}

void VideoRoom::DrawNames(const Canvas& canvas, mixer::I420Frame& frame) {
  const std::vector<bool>& has_picture = canvas.tile_has_picture;
  for (size_t t = 0; t < canvas.tiles.size(); ++t) {
    const mixer::Tile& tile = canvas.tiles[t];
    if (tile.participant_id == 0 || tile.dest.Empty()) continue;
    if (DrawExcludedCard(canvas, tile, frame)) continue;
    auto it = participants_.find(tile.participant_id);
    if (it == participants_.end() || it->second->info.name.empty()) continue;
    mixer::TextStyle style;
    if (t >= has_picture.size() || !has_picture[t]) {
      // The placeholder: the name large in the middle of the tile.
      style.pixel_height = std::clamp(tile.dest.height / 8, 10, 64);
      (void)text_->DrawCentered(it->second->info.name, tile.dest, style, frame);
    } else if (config_.name_labels) {
      style.pixel_height = std::clamp(tile.dest.height / 14, 10, 32);
      (void)text_->DrawLabel(it->second->info.name, tile.dest, style, frame);
    }
  }
}

std::shared_ptr<const EncodedVideo> VideoRoom::EncodeProfile(size_t index, Canvas& canvas,
                                                             int64_t frame, int64_t now_us) {
  return EncodeStream(index, *profiles_[index], stats_.profiles[index], canvas, frame, now_us);
}

std::shared_ptr<const EncodedVideo> VideoRoom::EncodeStream(size_t index, ProfileState& p,
                                                            VideoProfileStats& ps, Canvas& canvas,
                                                            int64_t frame, int64_t now_us) {
  const int fps = config_.profiles[index].fps;
  // Modulo 2^32, as RTP timestamps wrap.
  const auto rtp_timestamp = static_cast<uint32_t>(GridTime(frame, fps, kVideoClockRate));
  const bool force =
      p.keyframe_pending && (p.keyframe_urgent || !p.last_keyframe_us ||
                             now_us - *p.last_keyframe_us >= config_.keyframe_coalesce_us);
  ++ps.encodes;
  std::optional<codec::EncodedPicture> picture;
  StatusOr<codec::Picture> input = canvas.surface->For(p.encoder->backend(), rtp_timestamp);
  SyncCanvasCounters();
  if (!input.ok()) {
    GpuFailed(input.status().message());
  } else if (*input) {
    const auto encode_start = std::chrono::steady_clock::now();
    picture = p.encoder->Encode(*input, force);
    if (p.encode_seconds) p.encode_seconds->Observe(SecondsSince(encode_start));
    // In a room on the device, a failed encode counts towards the device's failures.
    if (!picture && stats_.gpu) GpuFailed("the encoder could not encode the canvas");
  }
  if (!picture || picture->data.empty()) {
    ++ps.encode_failures;
    return nullptr;
  }
  auto out = std::make_shared<EncodedVideo>();
  out->profile = index;
  out->codec = config_.profiles[index].codec;
  out->rtp_timestamp = rtp_timestamp;
  const int64_t slot_time_us = *origin_us_ + GridTime(frame, fps, kUsPerSecond);
  out->slot_time_us = slot_time_us;
  out->input_time_us = slot_time_us - input_hold_us();
  out->keyframe = picture->keyframe;
  out->recorded = canvas.recorded;
  out->payloads = p.packetizer->Packetize(picture->data, picture->keyframe);
  out->new_input_receive_us = canvas.new_receive_us;
  if (out->payloads.empty()) {
    ++ps.encode_failures;
    return nullptr;
  }
  ps.bytes += picture->data.size();
  out->bitstream = std::move(picture->data);
  if (picture->keyframe) {
    ++ps.keyframes;
    p.last_keyframe_us = now_us;
    p.keyframe_pending = false;
    p.keyframe_urgent = false;
  }
  return out;
}

}  // namespace tessera::session
