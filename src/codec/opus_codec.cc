#include "codec/opus_codec.h"

#include <algorithm>
#include <string>

#include "codec/opus_ptr.h"

namespace tessera::codec {
namespace {

// Opus PLC and FEC decode in whole 2.5 ms units.
constexpr int kPlcGranule = kMixRate / 400;
// RFC 6716 3.2.1: a packet is at most 1275 bytes per frame, 48 frames; well below this.
constexpr size_t kMaxPacketBytes = 1275 * 48;
// opus_encode's output bound; 4000 bytes is libopus's recommended buffer.
constexpr int kMaxEncodedBytes = 4000;

class LibopusDecoder : public AudioDecoder {
 public:
  explicit LibopusDecoder(OpusDecoderPtr dec) : dec_(std::move(dec)) {}

  std::optional<std::vector<float>> Decode(std::span<const uint8_t> payload) override {
    if (payload.empty() || payload.size() > kMaxPacketBytes) return std::nullopt;
    const auto len = static_cast<opus_int32>(payload.size());
    const int n = opus_packet_get_nb_samples(payload.data(), len, kMixRate);
    if (n <= 0 || n > kMaxFrameSamples) return std::nullopt;
    std::vector<float> out(static_cast<size_t>(n));
    const int got = opus_decode_float(dec_.get(), payload.data(), len, out.data(), n, 0);
    if (got < 0) return std::nullopt;
    out.resize(static_cast<size_t>(got));
    return out;
  }

  std::vector<float> Conceal(int samples,
                             std::optional<std::span<const uint8_t>> next_payload) override {
    samples = std::clamp(samples, 0, kMaxFrameSamples);
    if (samples == 0) return {};
    // libopus needs a whole number of 2.5 ms; conceal the next multiple and return the head.
    const int frame = (samples + kPlcGranule - 1) / kPlcGranule * kPlcGranule;
    std::vector<float> out(static_cast<size_t>(frame));
    int got = -1;
    if (next_payload && !next_payload->empty() && next_payload->size() <= kMaxPacketBytes) {
      const auto len = static_cast<opus_int32>(next_payload->size());
      // A packet opus would reject is not handed to the FEC decoder.
      if (opus_packet_get_nb_samples(next_payload->data(), len, kMixRate) > 0) {
        got = opus_decode_float(dec_.get(), next_payload->data(), len, out.data(), frame, 1);
      }
    }
    if (got < 0) got = opus_decode_float(dec_.get(), nullptr, 0, out.data(), frame, 0);
    if (got < 0) got = 0;
    out.resize(static_cast<size_t>(samples), 0.0f);  // zero-fills only if libopus failed
    if (got < samples) std::fill(out.begin() + got, out.end(), 0.0f);
    return out;
  }

 private:
  OpusDecoderPtr dec_;
};

class LibopusEncoder : public AudioEncoder {
 public:
  LibopusEncoder(OpusEncoderPtr enc, int channels) : enc_(std::move(enc)), channels_(channels) {}

  std::vector<uint8_t> Encode(std::span<const float> pcm48k) override {
    if (pcm48k.size() != static_cast<size_t>(kMixFrameSamples)) return {};
    const float* in = pcm48k.data();
    if (channels_ == 2) {
      for (int i = 0; i < kMixFrameSamples; ++i) {
        stereo_[2 * i] = stereo_[2 * i + 1] = pcm48k[static_cast<size_t>(i)];
      }
      in = stereo_.data();
    }
    std::vector<uint8_t> out(kMaxEncodedBytes);
    const opus_int32 n =
        opus_encode_float(enc_.get(), in, kMixFrameSamples, out.data(), kMaxEncodedBytes);
    // Under DTX a packet of 2 bytes or fewer need not be sent (opus_encode's contract).
    if (n <= 0 || (dtx_ && n <= 2)) return {};
    out.resize(static_cast<size_t>(n));
    return out;
  }

  uint32_t RtpTimestampIncrement() const override { return kMixFrameSamples; }

  void set_dtx(bool dtx) { dtx_ = dtx; }

 private:
  OpusEncoderPtr enc_;
  int channels_;
  bool dtx_ = false;
  std::vector<float> stereo_ = std::vector<float>(2 * kMixFrameSamples);
};

}  // namespace

StatusOr<std::unique_ptr<AudioDecoder>> CreateOpusDecoder(int channels) {
  if (channels != 1 && channels != 2) {
    return InvalidArgumentError("opus: " + std::to_string(channels) + " channels");
  }
  // Always a mono decoder: libopus downmixes stereo packets to it.
  int err = OPUS_OK;
  OpusDecoderPtr dec(opus_decoder_create(kMixRate, 1, &err));
  if (!dec || err != OPUS_OK) {
    return InternalError(std::string("opus_decoder_create: ") + opus_strerror(err));
  }
  return std::unique_ptr<AudioDecoder>(new LibopusDecoder(std::move(dec)));
}

StatusOr<std::unique_ptr<AudioEncoder>> CreateOpusEncoder(const AudioEncoderConfig& config) {
  if (config.channels != 1 && config.channels != 2) {
    return InvalidArgumentError("opus: " + std::to_string(config.channels) + " channels");
  }
  if (config.bitrate_bps < 6000 || config.bitrate_bps > 510000) {
    return InvalidArgumentError("opus: bitrate " + std::to_string(config.bitrate_bps));
  }
  if (config.expected_loss_percent < 0 || config.expected_loss_percent > 100) {
    return InvalidArgumentError("opus: loss " + std::to_string(config.expected_loss_percent));
  }
  if (config.complexity < 0 || config.complexity > 10) {
    return InvalidArgumentError("opus: complexity " + std::to_string(config.complexity));
  }
  int err = OPUS_OK;
  OpusEncoderPtr enc(opus_encoder_create(kMixRate, config.channels, OPUS_APPLICATION_VOIP, &err));
  if (!enc || err != OPUS_OK) {
    return InternalError(std::string("opus_encoder_create: ") + opus_strerror(err));
  }
  const int rc[] = {
      opus_encoder_ctl(enc.get(), OPUS_SET_BITRATE(config.bitrate_bps)),
      opus_encoder_ctl(enc.get(), OPUS_SET_INBAND_FEC(config.fec ? 1 : 0)),
      opus_encoder_ctl(enc.get(), OPUS_SET_PACKET_LOSS_PERC(config.expected_loss_percent)),
      opus_encoder_ctl(enc.get(), OPUS_SET_DTX(config.dtx ? 1 : 0)),
      opus_encoder_ctl(enc.get(), OPUS_SET_COMPLEXITY(config.complexity)),
      // The mix is speech: keep SILK (which carries the FEC) rather than CELT on tonal input.
      opus_encoder_ctl(enc.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)),
  };
  for (int r : rc) {
    if (r != OPUS_OK) return InternalError(std::string("opus_encoder_ctl: ") + opus_strerror(r));
  }
  auto out = std::make_unique<LibopusEncoder>(std::move(enc), config.channels);
  out->set_dtx(config.dtx);
  return std::unique_ptr<AudioEncoder>(std::move(out));
}

}  // namespace tessera::codec
