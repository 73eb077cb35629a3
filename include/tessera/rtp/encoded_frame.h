// One complete, encoded video frame as assembled by the jitter buffer from RTP packets.
#pragma once

#include <tessera/rtp/codec.h>

#include <cstdint>
#include <vector>

namespace tessera::rtp {

struct EncodedFrame {
  // The codec bitstream: the concatenation of the depacketized payloads in sequence order (for
  // H.264, Annex B with start codes).
  std::vector<uint8_t> data;
  Codec codec = Codec::kH264;
  // RTP timestamp of every packet of the frame (90 kHz for video).
  uint32_t rtp_timestamp = 0;
  bool keyframe = false;
  // RTP sequence numbers of the first and last packet (last carries the marker bit).
  uint16_t first_seq = 0;
  uint16_t last_seq = 0;
  // Arrival time of the packet that completed the frame, in Clock::NowUs() microseconds.
  int64_t receive_time_us = 0;
  // Picture size when a packet of the frame carried it; 0 if unknown.
  uint16_t width = 0;
  uint16_t height = 0;
};

}  // namespace tessera::rtp
