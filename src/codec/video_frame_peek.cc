#include "codec/video_frame_peek.h"

#include <tessera/rtp/av1_bitstream.h>
#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/vp9_bitstream.h>

#include <algorithm>
#include <cstring>

#include "deps/ffmpeg.h"

namespace tessera::codec {

// Without a coded slice the decoder quietly outputs nothing, and the caller would wait for a
// picture that never comes.
PeekResult PeekH264(std::span<const uint8_t> data) {
  PeekResult r;
  for (auto nal : rtp::h264::SplitAnnexB(data)) {
    const uint8_t type = rtp::h264::NalTypeOf(nal[0]);
    if (rtp::h264::IsSlice(type)) r.has_picture = true;
    if (rtp::h264::Is(type, rtp::h264::NalType::kSps)) {
      if (auto sps = rtp::h264::ParseSps(nal)) {
        r.width = std::max<int>(r.width, sps->width);
        r.height = std::max<int>(r.height, sps->height);
      }
    }
  }
  return r;
}

// A keyframe's 10-byte header ends with the 14-bit width and height.
PeekResult PeekVp8(std::span<const uint8_t> data) {
  PeekResult r{.has_picture = !data.empty()};
  if (data.size() >= 10 && (data[0] & 1) == 0 && data[3] == 0x9d && data[4] == 0x01 &&
      data[5] == 0x2a) {
    r.width = (data[6] | data[7] << 8) & 0x3fff;
    r.height = (data[8] | data[9] << 8) & 0x3fff;
  }
  return r;
}

// Every frame of a superframe codes its size when it is a keyframe or intra-only, and may when it
// is an inter frame (VP9 can change size without a keyframe); sizes taken from a reference were
// coded, and checked, in an earlier frame.
PeekResult PeekVp9(std::span<const uint8_t> data) {
  PeekResult r{.has_picture = !data.empty()};
  for (auto frame : rtp::vp9::SplitSuperframe(data)) {
    if (auto header = rtp::vp9::ParseUncompressedHeader(frame)) {
      r.width = std::max<int>(r.width, static_cast<int>(header->width));
      r.height = std::max<int>(r.height, static_cast<int>(header->height));
    }
  }
  return r;
}

// Every frame of a coded video sequence is at most its sequence header's maximum frame size (a
// frame header may code a smaller size, never a larger one); a temporal unit without a sequence
// header uses the one the decoder already has, which was checked when it came.
PeekResult PeekAv1(std::span<const uint8_t> data) {
  PeekResult r;
  for (const rtp::av1::Obu& obu : rtp::av1::SplitObus(data)) {
    switch (obu.header.type) {
      case rtp::av1::ObuType::kFrame:
      case rtp::av1::ObuType::kFrameHeader:
        r.has_picture = true;
        break;
      case rtp::av1::ObuType::kSequenceHeader:
        if (auto sequence = rtp::av1::ParseSequenceHeader(obu.payload)) {
          r.width = std::max<int>(r.width, static_cast<int>(sequence->max_width));
          r.height = std::max<int>(r.height, static_cast<int>(sequence->max_height));
        }
        break;
      default:
        break;
    }
  }
  return r;
}

PeekResult PeekVideoFrame(rtp::Codec codec, std::span<const uint8_t> data) {
  switch (codec) {
    case rtp::Codec::kH264:
      return PeekH264(data);
    case rtp::Codec::kVp9:
      return PeekVp9(data);
    case rtp::Codec::kAv1:
      return PeekAv1(data);
    default:
      return PeekVp8(data);
  }
}

SubmitResult SubmitEncodedFrame(AVCodecContext* ctx, AVPacket* packet, rtp::Codec codec,
                                const rtp::EncodedFrame& frame, int max_width, int max_height) {
  if (frame.data.empty() || frame.data.size() > kMaxEncodedFrameBytes) {
    return SubmitResult::kRejected;
  }
  const PeekResult peek = PeekVideoFrame(codec, frame.data);
  if (!peek.has_picture) return SubmitResult::kRejected;
  if (peek.width > max_width || peek.height > max_height) return SubmitResult::kTooLarge;
  if (av_new_packet(packet, static_cast<int>(frame.data.size())) < 0) {
    return SubmitResult::kRejected;
  }
  std::memcpy(packet->data, frame.data.data(), frame.data.size());
  packet->pts = frame.rtp_timestamp;
  if (frame.keyframe) packet->flags |= AV_PKT_FLAG_KEY;
  const int sent = avcodec_send_packet(ctx, packet);
  av_packet_unref(packet);
  return sent < 0 ? SubmitResult::kRejected : SubmitResult::kSent;
}

}  // namespace tessera::codec
