// The receiving end of one room composite: RTP in through the jitter buffer (NACK, PLI and
// receiver reports back to the server), frames decoded on a decode executor, and each
// participant's tile read back to the clip frame it shows.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/video_receive_stream.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "loadgen/stream_counter.h"
#include "loadgen/tile_reader.h"

namespace tessera::loadgen {

struct CompositeReceiverConfig {
  rtp::Codec codec = rtp::Codec::kH264;
  uint8_t payload_type = 96;
  int fps = 30;
  uint32_t local_ssrc = 1;
  // Frames waiting for the decoder; beyond it frames are dropped until the next keyframe.
  int max_decode_queue = 8;
};

// One decoded composite.
struct DecodedComposite {
  int64_t arrival_us = 0;  // when the composite's last packet arrived (Clock::NowUs())
  // Per input of the room's layout: the clip index its tile shows (nullopt: unreadable).
  std::vector<std::optional<uint32_t>> readings;
  bool keyframe_needed = false;  // the decoder failed; readings is empty
};

struct CompositeStats {
  ReceivedStats rtp;
  uint64_t frames_assembled = 0;
  uint64_t decode_dropped = 0;  // queue full, or waiting for a keyframe after a drop or an error
  uint64_t decoded = 0;
  uint64_t decode_errors = 0;
};

// Network side runs on: the load generator's network thread. Decoding runs on `decode` (one
// frame at a time: a strand or a single-threaded executor). `sink` is called on `decode` with
// each result and must post it to where it is used.
class CompositeReceiver {
 public:
  using Sink = std::function<void(DecodedComposite)>;

  static StatusOr<std::unique_ptr<CompositeReceiver>> Create(const CompositeReceiverConfig& config,
                                                             RoomLayout layout, Clock& clock,
                                                             boost::asio::any_io_executor decode,
                                                             Sink sink);
  ~CompositeReceiver();

  // Each returns an RTCP compound to send to the server now, or an empty vector.
  [[nodiscard]] std::vector<uint8_t> OnRtp(const rtp::RtpPacket& packet, int64_t arrival_us);
  [[nodiscard]] std::vector<uint8_t> OnRtcp(std::span<const uint8_t> compound, int64_t now_us);
  // Every 10-20 ms: NACK retries, stale frames, receiver reports.
  [[nodiscard]] std::vector<uint8_t> OnTimer(int64_t now_us);
  // The decoder failed: wait for a keyframe and ask for one.
  [[nodiscard]] std::vector<uint8_t> OnDecoderFailed(int64_t now_us);

  // Decoded counts are read with relaxed atomics: exact once the decode executor is idle.
  CompositeStats stats() const;

 private:
  struct DecodeSide;
  CompositeReceiver(const CompositeReceiverConfig& config, Clock& clock,
                    boost::asio::any_io_executor decode);
  std::vector<uint8_t> Deliver(rtp::VideoReceiveStream::Output out, int64_t now_us);

  CompositeReceiverConfig config_;
  boost::asio::any_io_executor decode_;
  rtp::VideoReceiveStream receive_;
  StreamCounter counter_;
  std::shared_ptr<DecodeSide> decode_side_;
  bool waiting_keyframe_ = false;
  uint64_t frames_assembled_ = 0;
  uint64_t decode_dropped_ = 0;
};

}  // namespace tessera::loadgen
