// Behaviour every audio codec shares: round trip of a sine, concealment, bad input, timestamps.
#include <gtest/gtest.h>
#include <tessera/codec/audio_codec.h>

#include <random>
#include <vector>

#include "unit/codec/audio_test_util.h"

namespace tessera::codec {
namespace {

using testing::AmplitudeOf;
using testing::Db;
using testing::Goertzel;
using testing::MaxAbs;
using testing::MaxStep;
using testing::Rms;
using testing::SineFrame;

constexpr int kFrames = 50;
// Frames skipped before measuring: encoder look-ahead and resampler latency settle in these.
constexpr int kWarmUpFrames = 3;
const float kAmplitude = AmplitudeOf(-12);
// The largest sample-to-sample step of the clean sine; a click is many times this.
const float kSineStep = static_cast<float>(2 * std::numbers::pi * 440 / kMixRate) * kAmplitude;

class AudioCodecRoundTrip : public ::testing::TestWithParam<rtp::Codec> {
 protected:
  void SetUp() override {
    auto enc = CreateAudioEncoder(GetParam(), AudioEncoderConfig{});
    ASSERT_TRUE(enc.ok()) << enc.status().ToString();
    encoder_ = std::move(*enc);
    auto dec = CreateAudioDecoder(GetParam());
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    decoder_ = std::move(*dec);
  }

  std::vector<std::vector<uint8_t>> EncodeSine(double hz) {
    std::vector<std::vector<uint8_t>> payloads;
    for (int i = 0; i < kFrames; ++i)
      payloads.push_back(encoder_->Encode(SineFrame(hz, kAmplitude, i)));
    return payloads;
  }

  std::unique_ptr<AudioEncoder> encoder_;
  std::unique_ptr<AudioDecoder> decoder_;
};

TEST_P(AudioCodecRoundTrip, SineKeepsItsFrequencyAndLevel) {
  const auto payloads = EncodeSine(440);
  std::vector<float> decoded;
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_FALSE(payloads[i].empty()) << "frame " << i;
    auto pcm = decoder_->Decode(payloads[i]);
    ASSERT_TRUE(pcm.has_value()) << "frame " << i;
    ASSERT_EQ(pcm->size(), static_cast<size_t>(kMixFrameSamples));
    if (i >= kWarmUpFrames) decoded.insert(decoded.end(), pcm->begin(), pcm->end());
  }
  const double p440 = Goertzel(decoded, 440);
  EXPECT_GT(p440, 100 * Goertzel(decoded, 300));
  EXPECT_GT(p440, 100 * Goertzel(decoded, 1000));
  const double original_rms = Rms(SineFrame(440, kAmplitude, 0));
  EXPECT_NEAR(Db(Rms(decoded) / original_rms), 0.0, 3.0);
  // A continuous sine stays continuous across frame (and resampler) boundaries.
  EXPECT_LT(MaxStep(decoded), 2 * kSineStep);
}

TEST_P(AudioCodecRoundTrip, ConcealsALostFrameWithoutSilenceOrClick) {
  const auto payloads = EncodeSine(440);
  std::vector<float> out;
  constexpr int kLost = 25;
  for (int i = 0; i < kFrames; ++i) {
    if (i == kLost) {
      const auto concealed = decoder_->Conceal(kMixFrameSamples, std::nullopt);
      ASSERT_EQ(concealed.size(), static_cast<size_t>(kMixFrameSamples));
      EXPECT_GT(Db(Rms(concealed) / Rms(SineFrame(440, kAmplitude, 0))), -10.0)
          << "a single loss must not go silent";
      EXPECT_LT(MaxAbs(concealed), 1.5f * kAmplitude);
      out.insert(out.end(), concealed.begin(), concealed.end());
      continue;
    }
    auto pcm = decoder_->Decode(payloads[i]);
    ASSERT_TRUE(pcm.has_value());
    if (i >= kWarmUpFrames) out.insert(out.end(), pcm->begin(), pcm->end());
  }
  // No click into the concealment nor out of it: no step larger than a few times the sine's own.
  EXPECT_LT(MaxStep(out), 2 * kSineStep);
  EXPECT_LT(MaxAbs(out), 1.5f * kAmplitude);
}

TEST_P(AudioCodecRoundTrip, ConcealmentFadesToSilenceOverConsecutiveLosses) {
  const auto payloads = EncodeSine(440);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(decoder_->Decode(payloads[i]).has_value());
  std::vector<double> rms;
  for (int i = 0; i < 6; ++i) rms.push_back(Rms(decoder_->Conceal(kMixFrameSamples, std::nullopt)));
  EXPECT_GT(rms[0], 0.1 * Rms(SineFrame(440, kAmplitude, 0)));
  EXPECT_LT(rms[5], 0.1 * rms[0]);
}

TEST_P(AudioCodecRoundTrip, ConcealsAnyLengthExactly) {
  const auto payloads = EncodeSine(440);
  ASSERT_TRUE(decoder_->Decode(payloads[0]).has_value());
  EXPECT_EQ(decoder_->Conceal(100, std::nullopt).size(), 100u);
  EXPECT_EQ(decoder_->Conceal(0, std::nullopt).size(), 0u);
  EXPECT_EQ(decoder_->Conceal(-5, std::nullopt).size(), 0u);
  EXPECT_EQ(decoder_->Conceal(1'000'000, std::nullopt).size(),
            static_cast<size_t>(kMaxFrameSamples));
}

TEST_P(AudioCodecRoundTrip, RejectsEmptyPayload) { EXPECT_FALSE(decoder_->Decode({}).has_value()); }

TEST_P(AudioCodecRoundTrip, SurvivesGarbage) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng() % 400);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    const auto pcm = decoder_->Decode(junk);
    if (pcm) {
      EXPECT_LE(pcm->size(), static_cast<size_t>(kMaxFrameSamples));
    }
    const auto concealed = decoder_->Conceal(kMixFrameSamples, junk);
    EXPECT_EQ(concealed.size(), static_cast<size_t>(kMixFrameSamples));
  }
}

TEST_P(AudioCodecRoundTrip, EncoderRejectsWrongFrameLength) {
  EXPECT_TRUE(encoder_->Encode(std::vector<float>(480)).empty());
}

INSTANTIATE_TEST_SUITE_P(AllAudioCodecs, AudioCodecRoundTrip,
                         ::testing::Values(rtp::Codec::kOpus, rtp::Codec::kPcmu, rtp::Codec::kPcma,
                                           rtp::Codec::kG722),
                         [](const auto& info) { return std::string(rtp::CodecName(info.param)); });

TEST(AudioCodecFactory, TimestampIncrementsFollowRfc3551) {
  const AudioEncoderConfig config;
  EXPECT_EQ((*CreateAudioEncoder(rtp::Codec::kOpus, config))->RtpTimestampIncrement(), 960u);
  EXPECT_EQ((*CreateAudioEncoder(rtp::Codec::kPcmu, config))->RtpTimestampIncrement(), 160u);
  EXPECT_EQ((*CreateAudioEncoder(rtp::Codec::kPcma, config))->RtpTimestampIncrement(), 160u);
  EXPECT_EQ((*CreateAudioEncoder(rtp::Codec::kG722, config))->RtpTimestampIncrement(), 160u);
}

TEST(AudioCodecFactory, G711AndG722PayloadsAre160BytesPer20Ms) {
  for (auto codec : {rtp::Codec::kPcmu, rtp::Codec::kPcma, rtp::Codec::kG722}) {
    auto enc = CreateAudioEncoder(codec, AudioEncoderConfig{});
    ASSERT_TRUE(enc.ok());
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ((*enc)->Encode(SineFrame(440, kAmplitude, i)).size(), 160u)
          << rtp::CodecName(codec);
    }
  }
}

TEST(AudioCodecFactory, G711DecodesAnyPacketTime) {
  auto dec = CreateAudioDecoder(rtp::Codec::kPcmu);
  ASSERT_TRUE(dec.ok());
  const std::vector<uint8_t> ten_ms(80, 0xFF);  // mu-law silence
  const auto pcm = (*dec)->Decode(ten_ms);
  ASSERT_TRUE(pcm.has_value());
  EXPECT_EQ(pcm->size(), 480u);
  // Longer than 120 ms is refused.
  EXPECT_FALSE((*dec)->Decode(std::vector<uint8_t>(961, 0xFF)).has_value());
}

TEST(AudioCodecFactory, RejectsVideoCodecsAndBadChannelCounts) {
  EXPECT_FALSE(CreateAudioDecoder(rtp::Codec::kH264).ok());
  EXPECT_FALSE(CreateAudioEncoder(rtp::Codec::kVp8, AudioEncoderConfig{}).ok());
  EXPECT_FALSE(CreateAudioDecoder(rtp::Codec::kPcmu, 2).ok());
  EXPECT_FALSE(CreateAudioDecoder(rtp::Codec::kOpus, 3).ok());
  AudioEncoderConfig stereo;
  stereo.channels = 2;
  EXPECT_FALSE(CreateAudioEncoder(rtp::Codec::kG722, stereo).ok());
  EXPECT_TRUE(CreateAudioEncoder(rtp::Codec::kOpus, stereo).ok());
  AudioEncoderConfig low;
  low.bitrate_bps = 100;
  EXPECT_FALSE(CreateAudioEncoder(rtp::Codec::kOpus, low).ok());
  AudioEncoderConfig complex;
  complex.complexity = 11;
  EXPECT_FALSE(CreateAudioEncoder(rtp::Codec::kOpus, complex).ok());
}

// G.722 level conventions (docs/architecture.md, "G.722 level"). Decoding with the other
// convention stands in for the peer: a 14-bit peer's decoder gives twice what libavcodec's gives
// for the same stream, so what Tessera's k14Bit encoder sends decodes 6 dB low through a k16Bit
// decoder, which is the level a 14-bit peer's own encoder would have put in the stream.
std::vector<float> G722RoundTrip(G722Pcm sender, G722Pcm receiver, float amplitude) {
  AudioEncoderConfig ec;
  ec.g722_pcm = sender;
  auto enc = CreateAudioEncoder(rtp::Codec::kG722, ec);
  auto dec = CreateAudioDecoder(rtp::Codec::kG722, 1, receiver);
  if (!enc.ok() || !dec.ok()) {
    ADD_FAILURE() << "cannot create the G.722 encoder or decoder";
    return {};
  }
  std::vector<float> decoded;
  for (int i = 0; i < kFrames; ++i) {
    auto pcm = (*dec)->Decode((*enc)->Encode(SineFrame(440, amplitude, i)));
    if (!pcm) {
      ADD_FAILURE() << "frame " << i << " did not decode";
      return {};
    }
    if (i >= kWarmUpFrames) decoded.insert(decoded.end(), pcm->begin(), pcm->end());
  }
  return decoded;
}

double G722GainDb(G722Pcm sender, G722Pcm receiver, float amplitude) {
  const auto decoded = G722RoundTrip(sender, receiver, amplitude);
  return Db(Rms(decoded) / Rms(SineFrame(440, amplitude, 0)));
}

constexpr double kSixDb = 6.0206;  // 20 log10(2)

TEST(G722Level, EachConventionRoundTripsAtItsLevel) {
  EXPECT_NEAR(G722GainDb(G722Pcm::k16Bit, G722Pcm::k16Bit, kAmplitude), 0.0, 1.0);
  EXPECT_NEAR(G722GainDb(G722Pcm::k14Bit, G722Pcm::k14Bit, kAmplitude), 0.0, 1.0);
}

TEST(G722Level, ConventionsAreAFactorOfTwoApart) {
  // The 14-bit sender's stream is half as loud as the 16-bit one's...
  EXPECT_NEAR(G722GainDb(G722Pcm::k14Bit, G722Pcm::k16Bit, kAmplitude), -kSixDb, 1.0);
  // ...and a 14-bit receiver of a 16-bit stream hears it twice as loud (issue 15: 5798 against
  // 2901 RMS).
  EXPECT_NEAR(G722GainDb(G722Pcm::k16Bit, G722Pcm::k14Bit, kAmplitude), kSixDb, 1.0);
}

TEST(G722Level, OtherCodecsIgnoreTheConvention) {
  for (auto codec : {rtp::Codec::kPcmu, rtp::Codec::kPcma}) {
    AudioEncoderConfig ec;
    ec.g722_pcm = G722Pcm::k14Bit;
    auto enc = CreateAudioEncoder(codec, ec);
    auto plain = CreateAudioEncoder(codec, AudioEncoderConfig{});
    ASSERT_TRUE(enc.ok() && plain.ok());
    const auto frame = SineFrame(440, kAmplitude, 0);
    EXPECT_EQ((*enc)->Encode(frame), (*plain)->Encode(frame)) << rtp::CodecName(codec);
  }
}

TEST(G722Level, LimiterCeilingNeverClipsInEitherConvention) {
  // 0.98: the most the mixer's limiter lets through.
  for (auto pcm : {G722Pcm::k16Bit, G722Pcm::k14Bit}) {
    const auto decoded = G722RoundTrip(pcm, pcm, 0.98f);
    EXPECT_NEAR(Db(Rms(decoded) / Rms(SineFrame(440, 0.98f, 0))), 0.0, 1.0) << G722PcmBits(pcm);
    EXPECT_LT(MaxAbs(decoded), 32767.0f / 32768.0f) << G722PcmBits(pcm);
  }
}

TEST(G722Level, DoublingSaturatesInsteadOfWrapping) {
  // A full-scale 16-bit stream into a 14-bit receiver: twice full scale is cut at full scale.
  const auto decoded = G722RoundTrip(G722Pcm::k16Bit, G722Pcm::k14Bit, 1.0f);
  ASSERT_FALSE(decoded.empty());
  // Saturated at 16 kHz; the upsampler to 48 kHz adds a few per cent between samples (the
  // mixer's limiter takes that out).
  EXPECT_LT(MaxAbs(decoded), 1.1f);
  EXPECT_GT(MaxAbs(decoded), 0.95f);
  // A wrapped sample would jump by nearly 2; a saturated sine moves no faster than twice its
  // own slope.
  const float step = static_cast<float>(2 * std::numbers::pi * 440 / kMixRate);
  EXPECT_LT(MaxStep(decoded), 4 * step);
}

TEST(G722Level, BitsRoundTrip) {
  EXPECT_EQ(G722PcmFromBits(14), G722Pcm::k14Bit);
  EXPECT_EQ(G722PcmFromBits(16), G722Pcm::k16Bit);
  EXPECT_FALSE(G722PcmFromBits(15).has_value());
  EXPECT_FALSE(G722PcmFromBits(0).has_value());
  EXPECT_EQ(G722PcmBits(G722Pcm::k14Bit), 14);
  EXPECT_EQ(G722PcmBits(G722Pcm::k16Bit), 16);
}

}  // namespace
}  // namespace tessera::codec
