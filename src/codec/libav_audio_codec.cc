#include "codec/libav_audio_codec.h"

extern "C" {
#include <libavutil/channel_layout.h>
}

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "codec/resampler.h"
#include "codec/waveform_concealer.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

struct CodecInfo {
  AVCodecID id;
  int sample_rate;       // of the codec's audio, not of its RTP clock
  int samples_per_byte;  // 1 for G.711, 2 for G.722 at 64 kbit/s
};

std::optional<CodecInfo> InfoOf(rtp::Codec codec) {
  switch (codec) {
    case rtp::Codec::kPcmu:
      return CodecInfo{AV_CODEC_ID_PCM_MULAW, 8000, 1};
    case rtp::Codec::kPcma:
      return CodecInfo{AV_CODEC_ID_PCM_ALAW, 8000, 1};
    case rtp::Codec::kG722:
      return CodecInfo{AV_CODEC_ID_ADPCM_G722, 16000, 2};
    default:
      return std::nullopt;
  }
}

// The longest payload decoded: 120 ms, like Opus.
constexpr size_t kMaxPayloadSamples48k = kMaxFrameSamples;

StatusOr<deps::AvCodecContextPtr> OpenContext(const AVCodec* codec, const CodecInfo& info) {
  if (!codec) return InternalError(std::string("libavcodec lacks ") + avcodec_get_name(info.id));
  deps::AvCodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return ResourceExhaustedError("avcodec_alloc_context3");
  ctx->sample_rate = info.sample_rate;
  ctx->sample_fmt = AV_SAMPLE_FMT_S16;
  ctx->ch_layout = AV_CHANNEL_LAYOUT_MONO;
  if (info.id == AV_CODEC_ID_ADPCM_G722) {
    ctx->bits_per_coded_sample = 8;           // 64 kbit/s, the only mode RTP uses
    ctx->frame_size = info.sample_rate / 50;  // 20 ms
  }
  const int err = avcodec_open2(ctx.get(), codec, nullptr);
  if (err < 0) return InternalError("avcodec_open2: " + deps::AvErrorText(err));
  return ctx;
}

class LibavAudioDecoder : public AudioDecoder {
 public:
  LibavAudioDecoder(CodecInfo info, deps::AvCodecContextPtr ctx, std::unique_ptr<Resampler> up,
                    bool doubles)
      : info_(info),
        ctx_(std::move(ctx)),
        up_(std::move(up)),
        doubles_(doubles),
        packet_(av_packet_alloc()),
        frame_(av_frame_alloc()) {}

  bool ok() const { return packet_ && frame_; }

  std::optional<std::vector<float>> Decode(std::span<const uint8_t> payload) override {
    const size_t ratio = static_cast<size_t>(kMixRate / info_.sample_rate);
    const size_t per_byte = static_cast<size_t>(info_.samples_per_byte);
    if (payload.empty() || payload.size() * per_byte * ratio > kMaxPayloadSamples48k) {
      return std::nullopt;
    }
    if (av_new_packet(packet_.get(), static_cast<int>(payload.size())) < 0) return std::nullopt;
    std::copy(payload.begin(), payload.end(), packet_->data);
    const int sent = avcodec_send_packet(ctx_.get(), packet_.get());
    av_packet_unref(packet_.get());
    if (sent < 0) return std::nullopt;
    pcm_.clear();
    while (avcodec_receive_frame(ctx_.get(), frame_.get()) >= 0) {
      const auto* s = reinterpret_cast<const int16_t*>(frame_->data[0]);
      pcm_.insert(pcm_.end(), s, s + frame_->nb_samples);
      av_frame_unref(frame_.get());
    }
    // Every byte of these codecs is whole samples: anything else means the decoder misbehaved.
    if (pcm_.size() != payload.size() * per_byte) return std::nullopt;
    if (doubles_) {
      // A 14-bit G.722 sender: twice libavcodec's output, saturated rather than wrapped.
      for (int16_t& s : pcm_) s = static_cast<int16_t>(std::clamp(2 * int{s}, -32768, 32767));
    }
    std::vector<float> out = up_->Upsample(pcm_);
    concealer_.OnDecoded(out);
    return out;
  }

  std::vector<float> Conceal(int samples, std::optional<std::span<const uint8_t>>) override {
    return concealer_.Conceal(static_cast<size_t>(std::clamp(samples, 0, kMaxFrameSamples)));
  }

 private:
  CodecInfo info_;
  deps::AvCodecContextPtr ctx_;
  std::unique_ptr<Resampler> up_;
  bool doubles_;  // G722Pcm::k14Bit: decoded PCM x2
  deps::AvPacketPtr packet_;
  deps::AvFramePtr frame_;
  std::vector<int16_t> pcm_;
  WaveformConcealer concealer_;
};

class LibavAudioEncoder : public AudioEncoder {
 public:
  LibavAudioEncoder(CodecInfo info, deps::AvCodecContextPtr ctx, std::unique_ptr<Resampler> down,
                    bool halves)
      : info_(info),
        ctx_(std::move(ctx)),
        down_(std::move(down)),
        halves_(halves),
        packet_(av_packet_alloc()),
        frame_(av_frame_alloc()) {}

  bool ok() const { return packet_ && frame_; }

  std::vector<uint8_t> Encode(std::span<const float> pcm48k) override {
    if (pcm48k.size() != static_cast<size_t>(kMixFrameSamples)) return {};
    std::span<const float> in = pcm48k;
    if (halves_) {
      // A 14-bit G.722 receiver: half the mix into libavcodec, which it hears at full level.
      scaled_.assign(pcm48k.begin(), pcm48k.end());
      for (float& v : scaled_) v *= 0.5f;
      in = scaled_;
    }
    const std::vector<int16_t> pcm = down_->Downsample(in);
    frame_->nb_samples = static_cast<int>(pcm.size());
    frame_->format = AV_SAMPLE_FMT_S16;
    frame_->sample_rate = info_.sample_rate;
    frame_->ch_layout = AV_CHANNEL_LAYOUT_MONO;
    if (av_frame_get_buffer(frame_.get(), 0) < 0) return {};
    std::copy(pcm.begin(), pcm.end(), reinterpret_cast<int16_t*>(frame_->data[0]));
    const int sent = avcodec_send_frame(ctx_.get(), frame_.get());
    av_frame_unref(frame_.get());
    if (sent < 0) return {};
    std::vector<uint8_t> out;
    while (avcodec_receive_packet(ctx_.get(), packet_.get()) >= 0) {
      out.insert(out.end(), packet_->data, packet_->data + packet_->size);
      av_packet_unref(packet_.get());
    }
    return out;
  }

  // 20 ms of the 8 kHz RTP clock, for G.722 too (RFC 3551 4.5.2).
  uint32_t RtpTimestampIncrement() const override { return 160; }

 private:
  CodecInfo info_;
  deps::AvCodecContextPtr ctx_;
  std::unique_ptr<Resampler> down_;
  bool halves_;                // G722Pcm::k14Bit: the mix x0.5 before encoding
  std::vector<float> scaled_;  // the halved mix
  deps::AvPacketPtr packet_;
  deps::AvFramePtr frame_;
};

}  // namespace

StatusOr<std::unique_ptr<AudioDecoder>> CreateLibavAudioDecoder(rtp::Codec codec,
                                                                G722Pcm g722_pcm) {
  const auto info = InfoOf(codec);
  if (!info)
    return InvalidArgumentError(std::string("no libav audio decoder for ") + rtp::CodecName(codec));
  auto ctx = OpenContext(avcodec_find_decoder(info->id), *info);
  if (!ctx.ok()) return ctx.status();
  auto up = Resampler::CreateUpsampler(info->sample_rate);
  if (!up.ok()) return up.status();
  const bool doubles = codec == rtp::Codec::kG722 && g722_pcm == G722Pcm::k14Bit;
  auto dec = std::make_unique<LibavAudioDecoder>(*info, std::move(*ctx), std::move(*up), doubles);
  if (!dec->ok()) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
  return std::unique_ptr<AudioDecoder>(std::move(dec));
}

StatusOr<std::unique_ptr<AudioEncoder>> CreateLibavAudioEncoder(rtp::Codec codec,
                                                                G722Pcm g722_pcm) {
  const auto info = InfoOf(codec);
  if (!info)
    return InvalidArgumentError(std::string("no libav audio encoder for ") + rtp::CodecName(codec));
  auto ctx = OpenContext(avcodec_find_encoder(info->id), *info);
  if (!ctx.ok()) return ctx.status();
  auto down = Resampler::CreateDownsampler(info->sample_rate);
  if (!down.ok()) return down.status();
  const bool halves = codec == rtp::Codec::kG722 && g722_pcm == G722Pcm::k14Bit;
  auto enc = std::make_unique<LibavAudioEncoder>(*info, std::move(*ctx), std::move(*down), halves);
  if (!enc->ok()) return ResourceExhaustedError("av_packet_alloc/av_frame_alloc");
  return std::unique_ptr<AudioEncoder>(std::move(enc));
}

}  // namespace tessera::codec
