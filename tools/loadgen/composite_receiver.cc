#include "loadgen/composite_receiver.h"

#include <boost/asio/post.hpp>

namespace tessera::loadgen {

// What the decode executor owns. Shared with the posted work, so a receiver destroyed while
// decodes are queued leaves them valid.
struct CompositeReceiver::DecodeSide {
  std::unique_ptr<codec::VideoDecoder> decoder;
  TileReader reader;
  Sink sink;
  std::atomic<int> in_flight{0};
  std::atomic<uint64_t> decoded{0};
  std::atomic<uint64_t> errors{0};

  DecodeSide(std::unique_ptr<codec::VideoDecoder> d, RoomLayout layout, Sink s)
      : decoder(std::move(d)), reader(std::move(layout)), sink(std::move(s)) {}
};

CompositeReceiver::CompositeReceiver(const CompositeReceiverConfig& config, Clock& clock,
                                     boost::asio::any_io_executor decode)
    : config_(config),
      decode_(std::move(decode)),
      receive_(
          [&] {
            rtp::VideoReceiveStreamConfig c;
            c.codec = config.codec;
            c.payload_type = config.payload_type;
            c.local_ssrc = config.local_ssrc;
            c.cname = "tessera-loadgen";
            return c;
          }(),
          clock, nullptr),
      counter_(static_cast<uint32_t>(90000 / (config.fps > 0 ? config.fps : 30))) {}

CompositeReceiver::~CompositeReceiver() = default;

StatusOr<std::unique_ptr<CompositeReceiver>> CompositeReceiver::Create(
    const CompositeReceiverConfig& config, RoomLayout layout, Clock& clock,
    boost::asio::any_io_executor decode, Sink sink) {
  auto decoder = codec::CreateVideoDecoder(config.codec, {3840, 2160});
  if (!decoder.ok()) return decoder.status();
  std::unique_ptr<CompositeReceiver> r(new CompositeReceiver(config, clock, std::move(decode)));
  r->decode_side_ =
      std::make_shared<DecodeSide>(std::move(*decoder), std::move(layout), std::move(sink));
  return r;
}

std::vector<uint8_t> CompositeReceiver::OnRtp(const rtp::RtpPacket& packet, int64_t arrival_us) {
  if (packet.payload_type() != config_.payload_type) return {};
  counter_.OnPacket(packet);
  return Deliver(receive_.OnRtp(packet, arrival_us), arrival_us);
}

std::vector<uint8_t> CompositeReceiver::OnRtcp(std::span<const uint8_t> compound, int64_t now_us) {
  (void)receive_.OnRtcp(compound, now_us);
  return {};
}

std::vector<uint8_t> CompositeReceiver::OnTimer(int64_t now_us) {
  return Deliver(receive_.OnTimer(now_us), now_us);
}

std::vector<uint8_t> CompositeReceiver::OnDecoderFailed(int64_t now_us) {
  waiting_keyframe_ = true;
  return receive_.RequestKeyframe(now_us).rtcp;
}

std::vector<uint8_t> CompositeReceiver::Deliver(rtp::VideoReceiveStream::Output out,
                                                int64_t now_us) {
  std::vector<uint8_t> rtcp = std::move(out.rtcp);
  for (auto& frame : out.frames) {
    ++frames_assembled_;
    if (waiting_keyframe_ && !frame.keyframe) {
      ++decode_dropped_;
      continue;
    }
    DecodeSide& side = *decode_side_;
    if (side.in_flight.load(std::memory_order_relaxed) >= config_.max_decode_queue) {
      // The decoder is behind: what follows depends on the lost frame, so wait for a keyframe.
      ++decode_dropped_;
      if (!waiting_keyframe_) {
        auto kf = OnDecoderFailed(now_us);
        if (rtcp.empty()) rtcp = std::move(kf);
      }
      continue;
    }
    waiting_keyframe_ = false;
    side.in_flight.fetch_add(1, std::memory_order_relaxed);
    boost::asio::post(decode_, [side = decode_side_, f = std::move(frame)] {
      DecodedComposite d;
      d.arrival_us = f.receive_time_us;
      const codec::DecodeResult r = side->decoder->Decode(f);
      side->in_flight.fetch_sub(1, std::memory_order_relaxed);
      if (r.error) side->errors.fetch_add(1, std::memory_order_relaxed);
      if (r.keyframe_needed) {
        d.keyframe_needed = true;
        side->sink(std::move(d));
        return;
      }
      if (!r.picture) return;
      side->decoded.fetch_add(1, std::memory_order_relaxed);
      d.readings = side->reader.Read(*r.picture.host());
      side->sink(std::move(d));
    });
  }
  return rtcp;
}

CompositeStats CompositeReceiver::stats() const {
  CompositeStats s;
  s.rtp = counter_.stats();
  s.frames_assembled = frames_assembled_;
  s.decode_dropped = decode_dropped_;
  s.decoded = decode_side_->decoded.load(std::memory_order_relaxed);
  s.decode_errors = decode_side_->errors.load(std::memory_order_relaxed);
  return s;
}

}  // namespace tessera::loadgen
