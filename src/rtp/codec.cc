#include <tessera/rtp/codec.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace tessera::rtp {

std::optional<Codec> CodecFromName(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::toupper(c); });
  if (n == "H264") return Codec::kH264;
  if (n == "VP8") return Codec::kVp8;
  if (n == "VP9") return Codec::kVp9;
  if (n == "AV1") return Codec::kAv1;
  if (n == "OPUS") return Codec::kOpus;
  if (n == "PCMU") return Codec::kPcmu;
  if (n == "PCMA") return Codec::kPcma;
  if (n == "G722") return Codec::kG722;
  return std::nullopt;
}

const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kH264:
      return "H264";
    case Codec::kVp8:
      return "VP8";
    case Codec::kVp9:
      return "VP9";
    case Codec::kAv1:
      return "AV1";
    case Codec::kOpus:
      return "opus";
    case Codec::kPcmu:
      return "PCMU";
    case Codec::kPcma:
      return "PCMA";
    case Codec::kG722:
      return "G722";
  }
  return "unknown";
}

MediaKind KindOf(Codec codec) {
  switch (codec) {
    case Codec::kH264:
    case Codec::kVp8:
    case Codec::kVp9:
    case Codec::kAv1:
      return MediaKind::kVideo;
    case Codec::kOpus:
    case Codec::kPcmu:
    case Codec::kPcma:
    case Codec::kG722:
      return MediaKind::kAudio;
  }
  return MediaKind::kAudio;
}

uint32_t RtpClockRate(Codec codec) {
  switch (codec) {
    case Codec::kH264:
    case Codec::kVp8:
    case Codec::kVp9:
    case Codec::kAv1:
      return 90000;
    case Codec::kOpus:
      return 48000;
    case Codec::kPcmu:
    case Codec::kPcma:
    case Codec::kG722:
      return 8000;
  }
  return 90000;
}

}  // namespace tessera::rtp
