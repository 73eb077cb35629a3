// Opus specifics: in-band FEC, stereo downmix, DTX, malformed packets.
#include <gtest/gtest.h>
#include <opus.h>
#include <tessera/codec/audio_codec.h>

#include <vector>

#include "unit/codec/audio_test_util.h"

namespace tessera::codec {
namespace {

using testing::AmplitudeOf;
using testing::Correlation;
using testing::Goertzel;
using testing::SineFrame;

const float kAmplitude = AmplitudeOf(-12);

// 440 Hz up to frame `change`, 660 Hz from it on: plain PLC extrapolates the old tone into the
// lost frame, FEC carries the new one.
std::vector<float> ToneStepFrame(int index, int change) {
  return SineFrame(index < change ? 440 : 660, kAmplitude, index);
}

TEST(OpusCodec, FecRecoversALostFrameBetterThanPlc) {
  AudioEncoderConfig config;
  config.fec = true;
  config.expected_loss_percent = 20;
  auto enc = CreateAudioEncoder(rtp::Codec::kOpus, config);
  ASSERT_TRUE(enc.ok());
  constexpr int kLost = 30;
  std::vector<std::vector<uint8_t>> payloads;
  for (int i = 0; i < 50; ++i) payloads.push_back((*enc)->Encode(ToneStepFrame(i, kLost)));

  auto reference = CreateAudioDecoder(rtp::Codec::kOpus).value();
  auto plc = CreateAudioDecoder(rtp::Codec::kOpus).value();
  auto fec = CreateAudioDecoder(rtp::Codec::kOpus).value();
  std::vector<float> expected;
  for (int i = 0; i <= kLost; ++i) {
    auto ref = reference->Decode(payloads[i]);
    ASSERT_TRUE(ref.has_value());
    if (i == kLost) {
      expected = *ref;
      break;
    }
    ASSERT_TRUE(plc->Decode(payloads[i]).has_value());
    ASSERT_TRUE(fec->Decode(payloads[i]).has_value());
  }
  const auto by_plc = plc->Conceal(kMixFrameSamples, std::nullopt);
  const auto by_fec = fec->Conceal(kMixFrameSamples, std::span<const uint8_t>(payloads[kLost + 1]));
  const double c_plc = Correlation(by_plc, expected);
  const double c_fec = Correlation(by_fec, expected);
  EXPECT_GT(c_fec, c_plc);
  EXPECT_GT(c_fec, 0.5);
  // And the decoder goes on decoding the packet that carried the FEC.
  EXPECT_TRUE(fec->Decode(payloads[kLost + 1]).has_value());
}

TEST(OpusCodec, StereoStreamDecodesToMono) {
  AudioEncoderConfig config;
  config.channels = 2;
  auto enc = CreateAudioEncoder(rtp::Codec::kOpus, config);
  ASSERT_TRUE(enc.ok());
  auto dec = CreateAudioDecoder(rtp::Codec::kOpus, 2);
  ASSERT_TRUE(dec.ok());
  std::vector<float> decoded;
  for (int i = 0; i < 20; ++i) {
    const auto payload = (*enc)->Encode(SineFrame(440, kAmplitude, i));
    ASSERT_FALSE(payload.empty());
    EXPECT_EQ(opus_packet_get_nb_channels(payload.data()), 2);
    auto pcm = (*dec)->Decode(payload);
    ASSERT_TRUE(pcm.has_value());
    ASSERT_EQ(pcm->size(), static_cast<size_t>(kMixFrameSamples));
    if (i >= 3) decoded.insert(decoded.end(), pcm->begin(), pcm->end());
  }
  EXPECT_GT(Goertzel(decoded, 440), 100 * Goertzel(decoded, 1000));
  EXPECT_NEAR(testing::Db(testing::Rms(decoded) / testing::Rms(SineFrame(440, kAmplitude, 0))), 0,
              3.0);
}

TEST(OpusCodec, MonoDecoderAcceptsAStereoPacket) {
  AudioEncoderConfig config;
  config.channels = 2;
  auto enc = CreateAudioEncoder(rtp::Codec::kOpus, config).value();
  auto dec = CreateAudioDecoder(rtp::Codec::kOpus, 1).value();
  const auto pcm = dec->Decode(enc->Encode(SineFrame(440, kAmplitude, 0)));
  ASSERT_TRUE(pcm.has_value());
  EXPECT_EQ(pcm->size(), static_cast<size_t>(kMixFrameSamples));
}

TEST(OpusCodec, PacketTimeSetsTheOutputLength) {
  // A 10 ms packet from a raw libopus encoder yields 480 samples.
  int err = 0;
  OpusEncoder* raw = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  ASSERT_EQ(err, OPUS_OK);
  const auto tone = SineFrame(440, kAmplitude, 0);
  std::vector<uint8_t> packet(1500);
  const int n = opus_encode_float(raw, tone.data(), 480, packet.data(), 1500);
  opus_encoder_destroy(raw);
  ASSERT_GT(n, 0);
  packet.resize(static_cast<size_t>(n));
  auto dec = CreateAudioDecoder(rtp::Codec::kOpus).value();
  const auto pcm = dec->Decode(packet);
  ASSERT_TRUE(pcm.has_value());
  EXPECT_EQ(pcm->size(), 480u);
}

TEST(OpusCodec, RejectsMalformedPackets) {
  auto dec = CreateAudioDecoder(rtp::Codec::kOpus).value();
  // Code 3 (arbitrary frame count) with the count byte missing.
  EXPECT_FALSE(dec->Decode(std::vector<uint8_t>{0x03}).has_value());
  // Code 3 claiming 0 frames.
  EXPECT_FALSE(dec->Decode(std::vector<uint8_t>{0x03, 0x00}).has_value());
  // Code 3 with 49 x 2.5 ms frames: over 120 ms.
  EXPECT_FALSE(dec->Decode(std::vector<uint8_t>{0x03 | (16 << 3), 49}).has_value());
  // Code 2 whose first frame's length runs past the end.
  EXPECT_FALSE(dec->Decode(std::vector<uint8_t>{0x02, 0xFB}).has_value());
  // A malformed next_payload falls back to PLC.
  EXPECT_EQ(dec->Conceal(960, std::span<const uint8_t>()).size(), 960u);
  const std::vector<uint8_t> bad{0x03};
  EXPECT_EQ(dec->Conceal(960, bad).size(), 960u);
}

TEST(OpusCodec, DtxSendsNothingDuringSilence) {
  AudioEncoderConfig config;
  config.dtx = true;
  auto enc = CreateAudioEncoder(rtp::Codec::kOpus, config).value();
  const std::vector<float> silence(kMixFrameSamples, 0.0f);
  int empty = 0;
  for (int i = 0; i < 50; ++i) empty += enc->Encode(silence).empty() ? 1 : 0;
  EXPECT_GT(empty, 30);
  EXPECT_FALSE(enc->Encode(SineFrame(440, kAmplitude, 0)).empty());
}

}  // namespace
}  // namespace tessera::codec
