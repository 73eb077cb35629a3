// Simulcast (RFC 8853) from one publisher: which of its layers to decode. A browser sends the
// same camera as several streams (rids, lowest first, each half the size of the next), each on
// its own SSRC and RTX SSRC, named by the rtp-stream-id and repaired-rtp-stream-id header
// extensions (RFC 8852). Decoding one layer, the smallest that fills the participant's largest
// tile, is what simulcast saves: the others are skipped on arrival. The first layer to start a
// picture is decoded at once; a change of tile (layout, joins) or of what the layers' keyframes
// say of their sizes picks another, and the switch happens at that layer's next keyframe (asked
// for with a PLI on its SSRC), so the picture never breaks. A layer the browser stops sending
// (its bandwidth) is simply not switched to.
// Runs on: the participant's network shard (not thread-safe).
#pragma once

#include <tessera/rtp/codec.h>
#include <tessera/rtp/rtp_packet.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::session {

// Whether an RTP payload of `codec` starts a keyframe (H.264 packetization mode 1: an IDR or SPS,
// alone, first in a STAP-A or the start of an FU-A; VP8: the first partition of a key frame), and
// the picture's size when the packet says (an SPS, a VP8 key frame header); 0x0 when not.
struct KeyframeStart {
  int width = 0;
  int height = 0;
};
std::optional<KeyframeStart> StartsKeyframe(rtp::Codec codec, std::span<const uint8_t> payload);

class SimulcastSelector {
 public:
  static constexpr size_t kMaxSsrcs = 16;             // per kind: more are not learnt
  static constexpr int64_t kPliIntervalUs = 300'000;  // while waiting for the target's keyframe

  SimulcastSelector(rtp::Codec codec, std::vector<std::string> rids, uint8_t rid_extension_id,
                    uint8_t repaired_rid_extension_id);

  enum class Verdict {
    kDecode,   // the selected layer's: on to the receive stream
    kSkip,     // another layer's: not needed now
    kUnknown,  // no layer named it (no rid seen for its SSRC): dropped
  };
  struct Decision {
    Verdict verdict = Verdict::kUnknown;
    // RTX: the media SSRC the retransmission repairs (the selected layer's).
    uint32_t media_ssrc = 0;
    // Ask this SSRC for a keyframe now (a PLI): the layer being switched to.
    std::optional<uint32_t> keyframe_from;
  };
  // One packet from the publisher (rtx: on its RTX payload type).
  Decision OnPacket(const rtp::RtpPacket& packet, bool rtx, int64_t now_us);

  // The participant's largest tile now, in pixels (0x0: not shown): the layer to decode is the
  // smallest whose picture covers it (90 %), known from the layers' keyframes (a layer not yet
  // seen counts as half the next); the largest when none does.
  void SetTile(int width, int height);

  const std::vector<std::string>& rids() const { return rids_; }
  std::optional<size_t> selected() const { return selected_; }
  std::optional<size_t> target() const { return target_; }
  struct Stats {
    uint64_t skipped = 0;   // packets of layers not decoded
    uint64_t switches = 0;  // layer changes (at a keyframe)
    uint64_t unknown = 0;   // packets of no known layer
  };
  const Stats& stats() const { return stats_; }
  // The layers' sizes as their keyframes gave them (0x0: not seen yet).
  std::pair<int, int> layer_size(size_t layer) const;

 private:
  std::optional<size_t> LayerOf(const rtp::RtpPacket& packet, bool rtx);
  void Retarget();
  std::optional<uint32_t> SsrcOf(size_t layer) const;

  rtp::Codec codec_;
  std::vector<std::string> rids_;
  uint8_t rid_extension_id_;
  uint8_t repaired_rid_extension_id_;
  std::map<uint32_t, size_t> layer_of_ssrc_;
  std::map<uint32_t, size_t> layer_of_rtx_ssrc_;
  std::vector<std::pair<int, int>> sizes_;
  std::optional<size_t> selected_;
  std::optional<size_t> target_;
  int tile_width_ = 0;
  int tile_height_ = 0;
  int64_t last_pli_us_ = 0;
  Stats stats_;
};

}  // namespace tessera::session
