// Media codecs Tessera carries over RTP, and their RTP clock rates.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::rtp {

enum class Codec : uint8_t { kH264, kVp8, kVp9, kAv1, kOpus, kPcmu, kPcma, kG722 };

enum class MediaKind : uint8_t { kAudio, kVideo };

// "H264", "VP8", "VP9", "AV1", "opus", "PCMU", "PCMA", "G722" (case-insensitive), as in SDP
// rtpmap.
std::optional<Codec> CodecFromName(std::string_view name);
const char* CodecName(Codec codec);
MediaKind KindOf(Codec codec);
// RTP clock rate: 90000 for video, 48000 for Opus, 8000 for G.711 and (by RFC 3551's historical
// error) also for G.722, whose audio is sampled at 16 kHz.
uint32_t RtpClockRate(Codec codec);

}  // namespace tessera::rtp
