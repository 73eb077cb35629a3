// A complete encoded video frame assembled from RTP packets, in decode order.
#pragma once

#include <cstdint>
#include <vector>

#include <tessera/rtp/codec.h>

namespace tessera::rtp {

struct EncodedFrame {
  std::vector<uint8_t> data;  // H.264: Annex B; VP8: the frame
  Codec codec = Codec::kH264;
  uint32_t rtp_timestamp = 0;  // 90 kHz
  bool keyframe = false;
  uint16_t first_seq = 0;
  uint16_t last_seq = 0;
  int64_t receive_time_us = 0;  // arrival of the packet that completed the frame
  uint16_t width = 0;
  uint16_t height = 0;
};

}  // namespace tessera::rtp
