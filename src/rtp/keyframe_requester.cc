#include <tessera/rtp/keyframe_requester.h>

namespace tessera::rtp {

std::optional<KeyframeRequest> KeyframeRequester::Request(int64_t now_us) {
  if (!config_.pli_supported && !config_.fir_supported) {
    ++stats_.unsupported;
    return std::nullopt;
  }
  if (last_request_us_ && now_us - *last_request_us_ < config_.min_interval_us) {
    ++stats_.throttled;
    return std::nullopt;
  }
  last_request_us_ = now_us;
  KeyframeRequest request;
  if (config_.pli_supported &&
      (!config_.fir_supported || unanswered_plis_ < config_.pli_attempts_before_fir)) {
    if (unanswered_plis_ < config_.pli_attempts_before_fir) ++unanswered_plis_;
    ++stats_.plis_sent;
    request.kind = KeyframeRequest::Kind::kPli;
    return request;
  }
  ++stats_.firs_sent;
  request.kind = KeyframeRequest::Kind::kFir;
  request.fir_seq = next_fir_seq_++;
  return request;
}

}  // namespace tessera::rtp
