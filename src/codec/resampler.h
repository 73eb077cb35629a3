// Mono sample-rate and sample-format conversion through libswresample, with a fixed ratio and a
// fixed latency, for the G.711/G.722 paths.
#pragma once

extern "C" {
#include <libswresample/swresample.h>
}

#include <tessera/base/status.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tessera::codec {

struct SwrContextDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
using SwrContextPtr = std::unique_ptr<SwrContext, SwrContextDeleter>;

// Converts a continuous mono stream between an s16 rate and 48 kHz float. The filter state is
// kept from call to call (no per-frame reset), so a continuous input stays continuous. Each call
// returns exactly in.size() * out_rate / in_rate samples: the filter's delay is paid once as
// silence at the head of the first output, and every output after lags its input by that same
// constant latency().
// Runs on: one executor at a time (not thread-safe).
class Resampler {
 public:
  // in_rate must divide 48000 (8000 or 16000).
  static StatusOr<std::unique_ptr<Resampler>> CreateUpsampler(int in_rate);     // s16 -> 48k f32
  static StatusOr<std::unique_ptr<Resampler>> CreateDownsampler(int out_rate);  // 48k f32 -> s16

  // in.size() must be a multiple of the decimation factor for the downsampler (960 / 6 ...).
  std::vector<float> Upsample(std::span<const int16_t> in);
  std::vector<int16_t> Downsample(std::span<const float> in);

  // Output samples between an input sample and its converted output (constant once the first
  // output was produced).
  int latency() const { return latency_; }

 private:
  Resampler(SwrContextPtr swr, int in_rate, int out_rate)
      : swr_(std::move(swr)), in_rate_(in_rate), out_rate_(out_rate) {}
  // Runs swr on `count` input samples and returns exactly the nominal number of outputs.
  template <typename Out>
  std::vector<Out> Convert(const uint8_t* in, int count, std::vector<Out>& pending);

  SwrContextPtr swr_;
  int in_rate_;
  int out_rate_;
  bool primed_ = false;
  int latency_ = 0;
  std::vector<float> pending_f32_;
  std::vector<int16_t> pending_s16_;
};

}  // namespace tessera::codec
