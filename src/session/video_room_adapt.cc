// VideoRoom: moving recipients between profiles by their feedback, and layout names.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "session/video_room_parts.h"

namespace tessera::session {

const char* LayoutKindName(mixer::LayoutKind kind) {
  switch (kind) {
    case mixer::LayoutKind::kAutoGrid:
      return "grid";
    case mixer::LayoutKind::kSpeakerFocus:
      return "speaker";
    case mixer::LayoutKind::kPresentation:
      return "presentation";
    case mixer::LayoutKind::kPictureInPicture:
      return "pip";
    case mixer::LayoutKind::kCustom:
      return "custom";
  }
  return "grid";
}

std::optional<mixer::LayoutSpec> LayoutByName(const std::string& name,
                                              const mixer::LayoutSpec& base,
                                              const std::vector<mixer::CustomLayout>& custom) {
  mixer::LayoutSpec spec = base;
  spec.custom = nullptr;
  for (auto kind : {mixer::LayoutKind::kAutoGrid, mixer::LayoutKind::kSpeakerFocus,
                    mixer::LayoutKind::kPresentation, mixer::LayoutKind::kPictureInPicture}) {
    if (name == LayoutKindName(kind)) {
      spec.kind = kind;
      return spec;
    }
  }
  for (const auto& c : custom) {
    if (c.name == name) {
      spec.kind = mixer::LayoutKind::kCustom;
      spec.custom = &c;
      return spec;
    }
  }
  return std::nullopt;
}

void VideoRoom::OnReceiverFeedback(uint32_t recipient, std::optional<int64_t> estimate_bps,
                                   std::optional<double> loss_fraction, int64_t now_us) {
  auto it = recipients_.find(recipient);
  if (it == recipients_.end()) return;
  Recipient& r = *it->second;
  if (estimate_bps) r.estimate_bps = std::max<int64_t>(0, *estimate_bps);
  if (loss_fraction) r.loss = std::clamp(*loss_fraction, 0.0, 1.0);
  if (!r.adapt || r.ladder.size() < 2) return;
  const ProfileAdaptation& a = config_.adaptation;
  const size_t current = r.pending.value_or(r.profile);  // where it is or is moving to
  const auto step = std::find(r.ladder.begin(), r.ladder.end(), current);
  if (step == r.ladder.end()) return;
  const auto bitrate = [this](size_t p) {
    return static_cast<double>(config_.profiles[p].bitrate_bps);
  };

  const bool starved =
      r.estimate_bps && static_cast<double>(*r.estimate_bps) < a.down_ratio * bitrate(r.profile);
  const bool lossy = r.loss && *r.loss > a.loss_down;
  if ((starved || lossy) && step != r.ladder.begin()) {
    r.good_since_us.reset();
    if (!r.bad_since_us) r.bad_since_us = now_us;
    if (now_us - *r.bad_since_us < a.down_hold_us) return;
    // The largest smaller profile the estimate carries; loss alone steps down one.
    auto target = std::prev(step);
    if (starved) {
      while (target != r.ladder.begin() &&
             static_cast<double>(*r.estimate_bps) < a.down_ratio * bitrate(*target)) {
        --target;
      }
    }
    MoveRecipient(r, *target,
                  starved ? "estimate " + std::to_string(*r.estimate_bps / 1000) + " kbit/s"
                          : "loss " + std::to_string(static_cast<int>(*r.loss * 100)) + "%",
                  now_us);
    return;
  }
  r.bad_since_us.reset();
  const auto up = std::next(step);
  // Up needs room: an estimate above the larger profile's bitrate, or, from a receiver that
  // sends only receiver reports (no REMB/TMMBR), low loss held for as long.
  const bool low_loss = !r.loss || *r.loss < a.loss_up;
  const bool roomy =
      up != r.ladder.end() && low_loss &&
      (r.estimate_bps ? static_cast<double>(*r.estimate_bps) >= a.up_ratio * bitrate(*up)
                      : r.loss.has_value());
  if (!roomy) {
    r.good_since_us.reset();
    return;
  }
  if (!r.good_since_us) r.good_since_us = now_us;
  if (now_us - *r.good_since_us < a.up_hold_us) return;
  if (r.last_move_us && now_us - *r.last_move_us < a.min_dwell_us) return;
  MoveRecipient(r, *up,
                r.estimate_bps ? "estimate " + std::to_string(*r.estimate_bps / 1000) + " kbit/s"
                               : std::string("loss below ") +
                                     std::to_string(static_cast<int>(a.loss_up * 100)) + "%",
                now_us);
}

void VideoRoom::MoveRecipient(Recipient& r, size_t to, std::string reason, int64_t now_us) {
  const size_t from = r.pending.value_or(r.profile);
  if (to == from) return;
  spdlog::info("video room {}: recipient {} moves from profile {} to {} ({})", config_.name, r.id,
               config_.profiles[from].name, config_.profiles[to].name, reason);
  pending_moves_.push_back(ProfileMove{r.id, from, to, std::move(reason)});
  --stats_.profiles[from].recipients;
  ++stats_.profiles[to].recipients;
  // It switches at the new profile's next keyframe (asked for now, not held back by the
  // coalescing interval); until then it keeps receiving the old one.
  r.pending = to;
  r.last_move_us = now_us;
  r.bad_since_us.reset();
  r.good_since_us.reset();
  ++stats_.profile_moves;
  RequestProfileKeyframe(to, /*urgent=*/true);
}

}  // namespace tessera::session
