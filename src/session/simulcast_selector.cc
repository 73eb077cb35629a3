#include "session/simulcast_selector.h"

#include <tessera/rtp/h264_bitstream.h>

#include <algorithm>

namespace tessera::session {
namespace {

std::optional<KeyframeStart> H264Start(std::span<const uint8_t> p) {
  if (p.empty()) return std::nullopt;
  const uint8_t type = p[0] & 0x1F;
  auto sps = [](std::span<const uint8_t> nal) {
    KeyframeStart k;
    if (auto info = rtp::h264::ParseSps(nal)) {
      k.width = info->width;
      k.height = info->height;
    }
    return k;
  };
  if (type == 7) return sps(p);
  if (type == 5) return KeyframeStart{};
  if (type == 24) {  // STAP-A: the first aggregated unit
    if (p.size() < 4) return std::nullopt;
    const size_t size = static_cast<size_t>(p[1]) << 8 | p[2];
    if (size == 0 || 3 + size > p.size()) return std::nullopt;
    const auto nal = p.subspan(3, size);
    const uint8_t inner = nal[0] & 0x1F;
    if (inner == 7) return sps(nal);
    if (inner == 5) return KeyframeStart{};
    return std::nullopt;
  }
  if (type == 28) {  // FU-A: its start, of an IDR
    if (p.size() < 2 || (p[1] & 0x80) == 0) return std::nullopt;
    if ((p[1] & 0x1F) == 5 || (p[1] & 0x1F) == 7) return KeyframeStart{};
  }
  return std::nullopt;
}

std::optional<KeyframeStart> Vp8Start(std::span<const uint8_t> p) {
  // RFC 7741 4.2: the payload descriptor; a key frame starts partition 0 (S, PID 0).
  if (p.empty() || (p[0] & 0x10) == 0 || (p[0] & 0x07) != 0) return std::nullopt;
  size_t at = 1;
  if (p[0] & 0x80) {
    if (p.size() < 2) return std::nullopt;
    const uint8_t x = p[1];
    at = 2;
    if (x & 0x80) {
      if (at >= p.size()) return std::nullopt;
      at += (p[at] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) ++at;
    if (x & 0x30) ++at;
  }
  if (at >= p.size() || (p[at] & 0x01) != 0) return std::nullopt;  // P: an inter frame
  KeyframeStart k;
  // RFC 6386 9.1: 3 bytes of frame tag, the start code 9d 01 2a, 14-bit width and height.
  if (at + 10 <= p.size() && p[at + 3] == 0x9d && p[at + 4] == 0x01 && p[at + 5] == 0x2a) {
    k.width = (p[at + 6] | p[at + 7] << 8) & 0x3FFF;
    k.height = (p[at + 8] | p[at + 9] << 8) & 0x3FFF;
  }
  return k;
}

}  // namespace

std::optional<KeyframeStart> StartsKeyframe(rtp::Codec codec, std::span<const uint8_t> payload) {
  switch (codec) {
    case rtp::Codec::kH264:
      return H264Start(payload);
    case rtp::Codec::kVp8:
      return Vp8Start(payload);
    default:
      return std::nullopt;
  }
}

SimulcastSelector::SimulcastSelector(rtp::Codec codec, std::vector<std::string> rids,
                                     uint8_t rid_extension_id, uint8_t repaired_rid_extension_id)
    : codec_(codec),
      rids_(std::move(rids)),
      rid_extension_id_(rid_extension_id),
      repaired_rid_extension_id_(repaired_rid_extension_id),
      sizes_(rids_.size(), {0, 0}) {}

std::pair<int, int> SimulcastSelector::layer_size(size_t layer) const {
  return layer < sizes_.size() ? sizes_[layer] : std::pair<int, int>{0, 0};
}

std::optional<uint32_t> SimulcastSelector::SsrcOf(size_t layer) const {
  std::optional<uint32_t> out;
  for (const auto& [ssrc, l] : layer_of_ssrc_) {
    if (l == layer) out = ssrc;
  }
  return out;
}

std::optional<size_t> SimulcastSelector::LayerOf(const rtp::RtpPacket& packet, bool rtx) {
  auto& map = rtx ? layer_of_rtx_ssrc_ : layer_of_ssrc_;
  const uint8_t id = rtx ? repaired_rid_extension_id_ : rid_extension_id_;
  if (id != 0) {
    if (auto ext = packet.extension(id)) {
      const std::string rid(ext->begin(), ext->end());
      const auto it = std::find(rids_.begin(), rids_.end(), rid);
      if (it == rids_.end()) return std::nullopt;
      const auto layer = static_cast<size_t>(it - rids_.begin());
      if (map.size() < kMaxSsrcs || map.count(packet.ssrc())) {
        // A layer's stream replaced (a new SSRC for the rid): the old one is forgotten.
        for (auto m = map.begin(); m != map.end();) {
          m = (m->second == layer && m->first != packet.ssrc()) ? map.erase(m) : std::next(m);
        }
        map[packet.ssrc()] = layer;
      }
      return layer;
    }
  }
  const auto it = map.find(packet.ssrc());
  if (it == map.end()) return std::nullopt;
  return it->second;
}

void SimulcastSelector::SetTile(int width, int height) {
  tile_width_ = std::max(0, width);
  tile_height_ = std::max(0, height);
  Retarget();
}

void SimulcastSelector::Retarget() {
  if (rids_.empty()) return;
  const size_t n = rids_.size();
  size_t want = selected_.value_or(n - 1);  // no tile (not shown): as it is
  if (tile_width_ > 0 && tile_height_ > 0) {
    // Each layer's size: its own keyframe's, else a known layer's scaled by 2 per step.
    std::optional<size_t> known;
    for (size_t i = 0; i < n; ++i) {
      if (sizes_[i].first > 0) known = i;
    }
    if (known) {
      // The smallest layer that covers the tile; the largest when none does.
      double best_area = -1, largest_area = -1;
      size_t largest = n - 1;
      for (size_t i = 0; i < n; ++i) {
        double w = sizes_[i].first, h = sizes_[i].second;
        if (w <= 0) {
          const double scale = i > *known ? static_cast<double>(1u << (i - *known))
                                          : 1.0 / static_cast<double>(1u << (*known - i));
          w = sizes_[*known].first * scale;
          h = sizes_[*known].second * scale;
        }
        if (w * h > largest_area) {
          largest_area = w * h;
          largest = i;
        }
        if (w >= 0.9 * tile_width_ && h >= 0.9 * tile_height_ &&
            (best_area < 0 || w * h < best_area)) {
          best_area = w * h;
          want = i;
        }
      }
      if (best_area < 0) want = largest;
    }
  }
  if (selected_ && *selected_ == want) {
    target_.reset();
  } else if (!target_ || *target_ != want) {
    target_ = want;
    last_pli_us_ = 0;  // ask at once
  }
}

SimulcastSelector::Decision SimulcastSelector::OnPacket(const rtp::RtpPacket& packet, bool rtx,
                                                        int64_t now_us) {
  Decision d;
  const std::optional<size_t> layer = LayerOf(packet, rtx);
  if (!layer) {
    ++stats_.unknown;
    return d;
  }
  if (!rtx) {
    if (auto k = StartsKeyframe(codec_, packet.payload())) {
      if (k->width > 0 && k->height > 0 &&
          sizes_[*layer] != std::pair<int, int>{k->width, k->height}) {
        sizes_[*layer] = {k->width, k->height};
        Retarget();
      }
      if (target_ && *target_ == *layer) {
        if (selected_) ++stats_.switches;
        selected_ = target_;
        target_.reset();
      } else if (!selected_) {
        // Nothing decoded yet: the first layer to start a picture is taken at once (the one
        // wanted may not come: a browser drops layers its bandwidth cannot carry).
        selected_ = layer;
      }
    }
  }
  if (target_ && now_us - last_pli_us_ >= kPliIntervalUs) {
    if (auto ssrc = SsrcOf(*target_)) {
      d.keyframe_from = *ssrc;
      last_pli_us_ = now_us;
    }
  }
  if (!selected_ || *layer != *selected_) {
    ++stats_.skipped;
    d.verdict = Verdict::kSkip;
    return d;
  }
  d.verdict = Verdict::kDecode;
  if (rtx) {
    const auto media = SsrcOf(*selected_);
    if (!media) {
      d.verdict = Verdict::kSkip;
      return d;
    }
    d.media_ssrc = *media;
  }
  return d;
}

}  // namespace tessera::session
