#include <tessera/session/video_input.h>

#include <algorithm>

namespace tessera::session {
namespace {

constexpr int64_t kMicro = 1'000'000;

}  // namespace

StatusOr<std::unique_ptr<VideoInput>> VideoInput::Create(const VideoInputConfig& config,
                                                         Clock& clock) {
  if (config.id == 0) return InvalidArgumentError("video input id must be non-zero");
  if (config.max_fps <= 0) return InvalidArgumentError("video input max_fps must be positive");
  auto decoder = codec::CreateVideoDecoder(config.codec, config.decoder);
  if (!decoder.ok()) return decoder.status();
  return std::unique_ptr<VideoInput>(new VideoInput(config, clock, std::move(*decoder)));
}

VideoInput::VideoInput(const VideoInputConfig& config, Clock& clock,
                       std::unique_ptr<codec::VideoDecoder> decoder)
    : config_(config),
      clock_(clock),
      decoder_(std::move(decoder)),
      mailbox_(std::make_shared<mixer::FrameMailbox>()),
      tokens_micro_(static_cast<int64_t>(config.max_fps) * kMicro),
      tokens_at_us_(clock.NowUs()) {}

VideoInput::~VideoInput() = default;

VideoInput::Result VideoInput::Fail() {
  stats_.failed = true;
  waiting_keyframe_ = true;
  ++stats_.keyframe_requests;
  return Result{.keyframe_needed = true};
}

VideoInput::Result VideoInput::Decode(const rtp::EncodedFrame& frame) {
  if (reset_requested_.exchange(false, std::memory_order_relaxed)) (void)Reset();
  ++stats_.frames;
  const int64_t now_us = clock_.NowUs();
  if (frame.codec != config_.codec) {
    ++stats_.codec_mismatch;
    return Fail();
  }
  if (frame.data.size() > config_.max_frame_bytes) {
    ++stats_.oversized_frames;
    return Fail();
  }
  // Decode work cap: a token bucket refilled at max_fps, holding at most one second's worth.
  const int64_t cap = static_cast<int64_t>(config_.max_fps) * kMicro;
  tokens_micro_ =
      std::min(cap, tokens_micro_ + std::max<int64_t>(0, now_us - tokens_at_us_) * config_.max_fps);
  tokens_at_us_ = now_us;
  if (tokens_micro_ < kMicro) {
    ++stats_.rate_limited;
    // A skipped frame breaks the reference chain of what follows: wait for a keyframe.
    if (!waiting_keyframe_) return Fail();
    return Result{};
  }
  tokens_micro_ -= kMicro;
  if (waiting_keyframe_ && !frame.keyframe) {
    ++stats_.waiting_keyframe;
    // Ask again now and then; the shard's keyframe requester throttles the actual requests.
    return Result{.keyframe_needed = true};
  }
  const codec::VideoDecoderStats before = decoder_->stats();
  codec::DecodeResult r = decoder_->Decode(frame);
  const codec::VideoDecoderStats& after = decoder_->stats();
  stats_.too_large += after.too_large - before.too_large;
  if (r.error) {
    ++stats_.errors;
    return Fail();
  }
  if (frame.keyframe) {
    waiting_keyframe_ = false;
    stats_.failed = false;
  }
  if (r.picture) {
    stats_.width = r.picture->width;
    stats_.height = r.picture->height;
    ++stats_.decoded;
    mailbox_->Put(std::make_shared<const mixer::I420Frame>(std::move(*r.picture)),
                  frame.receive_time_us, now_us);
  }
  return Result{};
}

VideoInput::Result VideoInput::Reset() {
  auto decoder = codec::CreateVideoDecoder(config_.codec, config_.decoder);
  if (decoder.ok()) decoder_ = std::move(*decoder);
  ++stats_.resets;
  waiting_keyframe_ = true;
  ++stats_.keyframe_requests;
  return Result{.keyframe_needed = true};
}

}  // namespace tessera::session
