#include "codec/resampler.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

#include <algorithm>
#include <string>

#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

constexpr int kHighRate = 48000;
// A stage never holds more than this much converted audio waiting (samples); beyond it the
// oldest is dropped, which only happens if swr's output rate drifted from the nominal one.
constexpr size_t kMaxPending = 4 * 5760;

StatusOr<SwrContextPtr> MakeSwr(int in_rate, AVSampleFormat in_fmt, int out_rate,
                                AVSampleFormat out_fmt) {
  if (in_rate <= 0 || out_rate <= 0 || std::max(in_rate, out_rate) % std::min(in_rate, out_rate)) {
    return InvalidArgumentError("resampler: unsupported rates " + std::to_string(in_rate) + " -> " +
                                std::to_string(out_rate));
  }
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw = nullptr;
  int err = swr_alloc_set_opts2(&raw, &mono, out_fmt, out_rate, &mono, in_fmt, in_rate, 0, nullptr);
  SwrContextPtr swr(raw);
  if (err < 0) return InternalError("swr_alloc_set_opts2: " + deps::AvErrorText(err));
  err = swr_init(swr.get());
  if (err < 0) return InternalError("swr_init: " + deps::AvErrorText(err));
  return swr;
}

}  // namespace

StatusOr<std::unique_ptr<Resampler>> Resampler::CreateUpsampler(int in_rate) {
  auto swr = MakeSwr(in_rate, AV_SAMPLE_FMT_S16, kHighRate, AV_SAMPLE_FMT_FLT);
  if (!swr.ok()) return swr.status();
  return std::unique_ptr<Resampler>(new Resampler(std::move(*swr), in_rate, kHighRate));
}

StatusOr<std::unique_ptr<Resampler>> Resampler::CreateDownsampler(int out_rate) {
  auto swr = MakeSwr(kHighRate, AV_SAMPLE_FMT_FLT, out_rate, AV_SAMPLE_FMT_S16);
  if (!swr.ok()) return swr.status();
  return std::unique_ptr<Resampler>(new Resampler(std::move(*swr), kHighRate, out_rate));
}

template <typename Out>
std::vector<Out> Resampler::Convert(const uint8_t* in, int count, std::vector<Out>& pending) {
  const auto want = static_cast<size_t>(static_cast<int64_t>(count) * out_rate_ / in_rate_);
  const int capacity = swr_get_out_samples(swr_.get(), count) + 16;
  const size_t old = pending.size();
  pending.resize(old + static_cast<size_t>(std::max(capacity, 0)));
  uint8_t* out = reinterpret_cast<uint8_t*>(pending.data() + old);
  const int got = swr_convert(swr_.get(), &out, capacity, &in, count);
  pending.resize(old + static_cast<size_t>(std::max(got, 0)));
  if (!primed_ && !pending.empty()) {
    // The first output is short by the filter's delay: pay it once, as leading silence.
    primed_ = true;
    if (pending.size() < want) {
      latency_ = static_cast<int>(want - pending.size());
      pending.insert(pending.begin(), want - pending.size(), Out{});
    }
  }
  if (pending.size() > kMaxPending) pending.erase(pending.begin(), pending.end() - kMaxPending);
  std::vector<Out> result(want, Out{});  // silence if swr fell short (never in steady state)
  const size_t take = std::min(want, pending.size());
  std::copy_n(pending.begin(), take, result.begin() + static_cast<std::ptrdiff_t>(want - take));
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(take));
  return result;
}

std::vector<float> Resampler::Upsample(std::span<const int16_t> in) {
  if (in.empty()) return {};
  return Convert(reinterpret_cast<const uint8_t*>(in.data()), static_cast<int>(in.size()),
                 pending_f32_);
}

std::vector<int16_t> Resampler::Downsample(std::span<const float> in) {
  if (in.empty()) return {};
  return Convert(reinterpret_cast<const uint8_t*>(in.data()), static_cast<int>(in.size()),
                 pending_s16_);
}

}  // namespace tessera::codec
