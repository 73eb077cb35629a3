#include <spdlog/spdlog.h>
#include <tessera/codec/codec_factory.h>
#include <tessera/session/video_input.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "session/room_metrics.h"

namespace tessera::session {
namespace {

constexpr int64_t kMicro = 1'000'000;

}  // namespace

StatusOr<std::unique_ptr<VideoInput>> VideoInput::Create(const VideoInputConfig& config,
                                                         Clock& clock) {
  if (config.id == 0) return InvalidArgumentError("video input id must be non-zero");
  if (config.max_fps <= 0) return InvalidArgumentError("video input max_fps must be positive");
  std::unique_ptr<VideoInput> input(new VideoInput(config, clock));
  TESSERA_RETURN_IF_ERROR(input->MakeDecoder());
  return input;
}

VideoInput::VideoInput(const VideoInputConfig& config, Clock& clock)
    : config_(config),
      clock_(clock),
      mailbox_(std::make_shared<mixer::FrameMailbox>()),
      tokens_micro_(static_cast<int64_t>(config.max_fps) * kMicro),
      tokens_at_us_(clock.NowUs()) {}

VideoInput::~VideoInput() = default;

Status VideoInput::MakeDecoder() {
  // An input the device failed once stays on the CPU.
  const codec::HwDevice* device = stats_.hw_fallback.empty() ? config_.hw_device.get() : nullptr;
  auto made = codec::CreateVideoDecoderFor(device, config_.codec, config_.decoder);
  if (!made.ok()) {
    decoder_.reset();
    return made.status();
  }
  decoder_ = std::move(made->instance);
  stats_.hw_decoder = decoder_->backend() != codec::HwBackend::kCpu;
  if (!made->fallback.empty()) {
    stats_.hw_fallback = made->fallback;
    spdlog::warn("video input {} ({}): decoding on the CPU: {}", config_.name, config_.id,
                 stats_.hw_fallback);
  }
  hw_keyframe_errors_in_a_row_ = 0;
  return Status::Ok();
}

void VideoInput::MoveToCpu(std::string why) {
  stats_.hw_fallback = std::move(why);
  spdlog::warn("video input {} ({}): decoding on the CPU from the next keyframe: {}", config_.name,
               config_.id, stats_.hw_fallback);
  if (!MakeDecoder().ok()) decoder_.reset();
}

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
  if (decoder_ && stats_.hw_decoder && config_.hw_device->lost()) {
    // The device failed for good (codec::HwDevice::MarkLost): the CPU decodes from the next
    // keyframe, which Fail() asks for.
    MoveToCpu("device lost: " + config_.hw_device->lost_reason());
    return Fail();
  }
  if (!decoder_) return Fail();  // no decoder could be made after a fallback
  const codec::VideoDecoderStats before = decoder_->stats();
  NoteReceived(frame);
  const auto decode_start = std::chrono::steady_clock::now();
  codec::DecodeResult r = decoder_->Decode(frame);
  if (Histogram* h = decode_seconds_.load(std::memory_order_acquire)) {
    h->Observe(SecondsSince(decode_start));
  }
  stats_.too_large += decoder_->stats().too_large - before.too_large;
  stats_.bad_format += decoder_->stats().bad_format - before.bad_format;
  if (r.error) {
    ++stats_.errors;
    if (r.unsupported) {
      // The device cannot take this stream: the CPU decodes it from its next keyframe on.
      MoveToCpu("the device cannot decode this stream");
    } else if (stats_.hw_decoder && frame.keyframe &&
               ++hw_keyframe_errors_in_a_row_ >= kMaxHwKeyframeErrorsInARow) {
      // Keyframes the device keeps rejecting while their frames are whole: the device cannot
      // decode this stream after all (a driver limit, exhausted decode sessions).
      MoveToCpu("the device rejected " + std::to_string(hw_keyframe_errors_in_a_row_) +
                " keyframes in a row");
    }
    return Fail();
  }
  if (frame.keyframe) {
    waiting_keyframe_ = false;
    stats_.failed = false;
    hw_keyframe_errors_in_a_row_ = 0;
  }
  if (r.picture) {
    stats_.width = r.picture.width();
    stats_.height = r.picture.height();
    ++stats_.decoded;
    if (r.picture.backend() != codec::HwBackend::kCpu) ++stats_.hw_decoded;
    const int64_t received_us = ReceiveTimeOf(r.picture.pts_90k(), frame);
    mailbox_->Put(std::move(r.picture), received_us, now_us);
  }
  return Result{};
}

void VideoInput::NoteReceived(const rtp::EncodedFrame& frame) {
  received_[received_next_] = {true, frame.rtp_timestamp, frame.receive_time_us};
  received_next_ = (received_next_ + 1) % received_.size();
}

int64_t VideoInput::ReceiveTimeOf(int64_t pts_90k, const rtp::EncodedFrame& current) const {
  const auto timestamp = static_cast<uint32_t>(pts_90k);
  if (timestamp == current.rtp_timestamp) return current.receive_time_us;
  for (const Received& r : received_) {
    if (r.used && r.rtp_timestamp == timestamp) return r.receive_time_us;
  }
  return current.receive_time_us;
}

VideoInput::Result VideoInput::Reset() {
  received_ = {};
  received_next_ = 0;
  const Status made = MakeDecoder();
  if (!made.ok()) {
    spdlog::error("video input {} ({}): no decoder after a reset: {}", config_.name, config_.id,
                  made.ToString());
  }
  ++stats_.resets;
  waiting_keyframe_ = true;
  ++stats_.keyframe_requests;
  return Result{.keyframe_needed = true};
}

}  // namespace tessera::session
