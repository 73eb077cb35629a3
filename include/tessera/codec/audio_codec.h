// Audio decoders and encoders between RTP payloads and the mixer's PCM: mono float samples in
// [-1, 1] at 48 kHz, in 20 ms frames.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace tessera::codec {

// The mixer's sample rate (Hz) and frame length (samples of one 20 ms frame at kMixRate).
inline constexpr int kMixRate = 48000;
inline constexpr int kMixFrameSamples = 960;
// The longest frame a decoder returns or conceals in one call: 120 ms at kMixRate (Opus's
// longest packet).
inline constexpr int kMaxFrameSamples = 5760;

// Decodes one RTP stream's payloads to 48 kHz mono float PCM, and conceals lost frames.
// Runs on: the room's strand (one executor at a time; not thread-safe).
class AudioDecoder {
 public:
  virtual ~AudioDecoder() = default;

  // Decodes one RTP payload. Returns the payload's duration of samples at kMixRate (960 for a
  // 20 ms packet, 480 for 10 ms, ...), or nullopt when the payload is malformed or empty; the
  // caller counts that and conceals. A stereo stream is downmixed to mono.
  // G.711/G.722 add a constant resampling latency of a few samples: the first frame begins with
  // that much silence, and every frame after is delayed by the same amount.
  virtual std::optional<std::vector<float>> Decode(std::span<const uint8_t> payload) = 0;

  // Conceals one missing frame of `samples` samples at kMixRate (clamped to
  // [0, kMaxFrameSamples]); returns exactly that many. Opus: libopus PLC, or the in-band FEC
  // (LBRR) carried by `next_payload`, the packet after the missing one, when given and valid.
  // G.711/G.722: the last pitch period repeated, fading to silence over three 20 ms frames of
  // consecutive loss; the next decoded frame cross-fades from it, so neither edge clicks.
  // Before any frame was decoded, returns silence.
  // Opus conceals in whole 2.5 ms units: a length that is not a multiple of 120 samples is
  // rounded up inside libopus and the excess dropped, so callers should conceal whole frames.
  virtual std::vector<float> Conceal(int samples,
                                     std::optional<std::span<const uint8_t>> next_payload) = 0;
};

// How a G.722 peer puts its 16-bit PCM into the G.722 coder, which the ITU defines on 14-bit
// samples; implementations split in two, 6 dB apart (docs/architecture.md, "G.722 level").
//   k16Bit: 16-bit PCM goes in as it is, and the coder's QMF halves it to the 15-bit band
//     signal (spandsp and its forks: Asterisk, FreeSWITCH, baresip; libavcodec, which Tessera
//     uses). The default.
//   k14Bit: 16-bit PCM is shifted right by 2 first, to 14-bit, and an ITU-scaled coder takes
//     it unhalved (pjsip's PJMEDIA_G722_DEFAULT_PCM_SHIFT 2; linphone's mediastreamer2). The
//     same PCM makes a stream half as loud: Tessera halves what it encodes for such a peer and
//     doubles (saturating at full scale, never wrapping) what it decodes from it.
enum class G722Pcm : uint8_t { k16Bit, k14Bit };

// 14 or 16, as the config writes it.
int G722PcmBits(G722Pcm pcm);
// G722Pcm from 14 or 16; nullopt for anything else.
std::optional<G722Pcm> G722PcmFromBits(uint64_t bits);

struct AudioEncoderConfig {
  int bitrate_bps = 32000;         // Opus only; G.711 and G.722 are 64 kbit/s.
  bool fec = true;                 // Opus in-band FEC (LBRR).
  bool dtx = false;                // Opus discontinuous transmission.
  int channels = 1;                // Opus may be 2: the mono mix is sent on both channels.
  int expected_loss_percent = 10;  // Opus: tunes how much FEC is spent.
  // Opus encoder complexity, 0-10 (libopus's default is 10). Its CPU cost is what one encoder per
  // participant spends; see benches/audio_codec_bench.cc.
  int complexity = 5;
  G722Pcm g722_pcm = G722Pcm::k16Bit;  // G.722 only: the receiver's PCM convention
};

// Encodes the mixer's 20 ms frames to RTP payloads.
// Runs on: the room's strand (one executor at a time; not thread-safe).
class AudioEncoder {
 public:
  virtual ~AudioEncoder() = default;

  // Takes exactly kMixFrameSamples samples (20 ms, mono, 48 kHz, [-1, 1]; other lengths return
  // an empty payload) and returns one RTP payload. Returns an empty payload when there is
  // nothing to send: an Opus DTX frame during silence (the RTP timestamp still advances).
  // G.711/G.722 resample to 8/16 kHz with a constant latency of a few samples: the first
  // payload begins with that much silence.
  virtual std::vector<uint8_t> Encode(std::span<const float> pcm48k) = 0;

  // RTP timestamp units per Encode call: 960 for Opus (48 kHz clock), 160 for G.711 and G.722
  // (8 kHz clock, RFC 3551).
  virtual uint32_t RtpTimestampIncrement() const = 0;
};

// channels: 1 or 2 for Opus (always decoded to mono), 1 for G.711/G.722. g722_pcm: G.722 only,
// the sender's PCM convention (ignored for the other codecs).
// InvalidArgument for a video codec or an unsupported channel count.
StatusOr<std::unique_ptr<AudioDecoder>> CreateAudioDecoder(rtp::Codec codec, int channels = 1,
                                                           G722Pcm g722_pcm = G722Pcm::k16Bit);
StatusOr<std::unique_ptr<AudioEncoder>> CreateAudioEncoder(rtp::Codec codec,
                                                           const AudioEncoderConfig& config);

}  // namespace tessera::codec
