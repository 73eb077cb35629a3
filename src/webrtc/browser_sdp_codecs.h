// Codec choice of the browser SDP answer: which offered payload type carries each kind, its RTX
// format, and what the answer says about them (see browser_sdp.h for the rules).
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>
#include <tessera/sip/sdp.h>
#include <tessera/webrtc/browser_sdp.h>

#include <cstdint>
#include <optional>
#include <string>

namespace tessera::webrtc::browser_sdp {

struct CodecChoice {
  rtp::Codec codec = rtp::Codec::kOpus;
  uint8_t payload_type = 0;
  uint32_t clock_rate = 0;
  uint32_t channels = 1;
  std::string offer_fmtp;
  std::string answer_fmtp;
  uint8_t h264_packetization_mode = 0;
  std::optional<uint8_t> rtx_payload_type;
  std::optional<uint32_t> rtx_time_ms;
};

// The codec for an m= line of `kind` and, when `with_rtx`, its offered RTX format. Fails with
// FAILED_PRECONDITION: "video: offer has H264 (profile 640032 mode 1), AV1; this room sends VP8".
StatusOr<CodecChoice> ChooseCodec(const sip::MediaDescription& m, rtp::MediaKind kind,
                                  const AnswerParams& params, bool with_rtx);

// The answer's a=rtpmap and a=fmtp lines and formats for `choice`.
void AddCodec(const CodecChoice& choice, sip::MediaDescription& answer);

}  // namespace tessera::webrtc::browser_sdp
