// AudioRoom driven tick by tick with real Opus and G.711 encoders as senders and real decoders
// as listeners: what each participant hears, and how many encodes a room costs.
#include <gtest/gtest.h>
#include <tessera/codec/audio_codec.h>
#include <tessera/session/audio_room.h>

#include <cmath>
#include <map>

namespace tessera::session {
namespace {

constexpr double kPi = 3.14159265358979323846;

double GoertzelDb(const std::vector<float>& x, double freq) {
  const double k = 2.0 * std::cos(2.0 * kPi * freq / codec::kMixRate);
  double s1 = 0, s2 = 0;
  for (float v : x) {
    const double s0 = v + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double n = static_cast<double>(std::max<size_t>(1, x.size()));
  return 10 * std::log10(std::max(1e-20, (s1 * s1 + s2 * s2 - k * s1 * s2) / (n * n)));
}

struct Sender {
  uint32_t id;
  rtp::Codec codec;
  double freq;
  std::unique_ptr<codec::AudioEncoder> encoder;
  uint16_t seq = 1000;
  uint32_t ts = 5000;
  double phase = 0;
  bool garbage = false;  // sends random bytes instead of its encoder's output
};

class RoomHarness {
 public:
  explicit RoomHarness(int max_speakers = 3) {
    AudioRoomConfig c;
    c.name = "test";
    c.mixer.max_speakers = max_speakers;
    room_ = std::make_unique<AudioRoom>(c, clock_);
  }

  void Add(uint32_t id, rtp::Codec codec, double freq, bool sends = true) {
    AudioParticipantConfig pc;
    pc.id = id;
    pc.name = "p" + std::to_string(id);
    pc.codec = codec;
    ASSERT_TRUE(room_->AddParticipant(pc).ok());
    auto dec = codec::CreateAudioDecoder(codec);
    ASSERT_TRUE(dec.ok());
    decoders_[id] = std::move(*dec);
    if (sends) {
      auto enc = codec::CreateAudioEncoder(codec, {});
      ASSERT_TRUE(enc.ok());
      senders_.push_back({id, codec, freq, std::move(*enc)});
    }
  }

  // Runs `ticks` 20 ms steps; each sender sends one packet per tick, arriving just in time.
  void Run(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (auto& s : senders_) {
        std::vector<float> pcm(codec::kMixFrameSamples);
        for (auto& v : pcm) {
          v = static_cast<float>(0.2 * std::sin(s.phase));
          s.phase += 2 * kPi * s.freq / codec::kMixRate;
        }
        std::vector<uint8_t> payload = s.encoder->Encode(pcm);
        if (s.garbage) {
          for (size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<uint8_t>(i * 37 + s.seq);
          payload[0] = 0xFF;  // an Opus TOC with an invalid frame-count code pattern
        }
        room_->OnRtp(s.id, s.seq++, s.ts, std::move(payload), std::nullopt, clock_.NowUs());
        s.ts += s.encoder->RtpTimestampIncrement();
      }
      AudioTick tick = room_->Tick(clock_.NowUs());
      for (const auto& out : tick.outputs) {
        auto pcm = decoders_[out.participant_id]->Decode(*out.payload);
        ASSERT_TRUE(pcm) << "a listener got an undecodable payload";
        if (t >= ticks / 2) {  // past the jitter buffer's start-up and the codecs' warm-up
          auto& heard = heard_[out.participant_id];
          heard.insert(heard.end(), pcm->begin(), pcm->end());
        }
      }
      clock_.AdvanceMs(20);
    }
  }

  void SendGarbage(uint32_t id) {
    for (auto& s : senders_) s.garbage |= s.id == id;
  }
  double Heard(uint32_t listener, double freq) { return GoertzelDb(heard_[listener], freq); }
  void ClearHeard() { heard_.clear(); }
  AudioRoom& room() { return *room_; }

 private:
  FakeClock clock_;
  std::unique_ptr<AudioRoom> room_;
  std::vector<Sender> senders_;
  std::map<uint32_t, std::unique_ptr<codec::AudioDecoder>> decoders_;
  std::map<uint32_t, std::vector<float>> heard_;
};

TEST(AudioRoom, EveryoneHearsEveryoneButThemselvesAcrossCodecs) {
  RoomHarness h(/*max_speakers=*/4);  // all four talk at once, so all four are mixed
  const std::map<uint32_t, double> freq = {{1, 400}, {2, 700}, {3, 1100}, {4, 1500}};
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kOpus, 700);
  h.Add(3, rtp::Codec::kPcmu, 1100);
  h.Add(4, rtp::Codec::kPcma, 1500);
  h.Run(150);
  for (uint32_t listener = 1; listener <= 4; ++listener) {
    double weakest_other = 1e9;
    for (const auto& [speaker, f] : freq) {
      if (speaker != listener) weakest_other = std::min(weakest_other, h.Heard(listener, f));
    }
    const double own = h.Heard(listener, freq.at(listener));
    EXPECT_GT(weakest_other, -40) << "listener " << listener << " misses someone";
    EXPECT_GE(weakest_other - own, 30) << "listener " << listener << " hears itself";
  }
}

// A G.711 participant of the hold tests.
AudioParticipantConfig PcmuParticipant(uint32_t id, const std::string& name, bool muted = false) {
  AudioParticipantConfig pc;
  pc.id = id;
  pc.name = name;
  pc.codec = rtp::Codec::kPcmu;
  pc.muted = muted;
  return pc;
}

// 20 ms of a 500 Hz tone at the mixer's rate.
std::vector<float> Tone500() {
  std::vector<float> tone(codec::kMixFrameSamples);
  for (size_t i = 0; i < tone.size(); ++i) {
    tone[i] = static_cast<float>(
        0.3 * std::sin(2 * kPi * 500 * static_cast<double>(i) / codec::kMixRate));
  }
  return tone;
}

TEST(AudioRoom, OutputsAreStampedWithWhenTheirAudioArrived) {
  FakeClock clock;
  AudioRoomConfig c;
  c.name = "hold";
  AudioRoom room(c, clock);
  ASSERT_TRUE(room.AddParticipant(PcmuParticipant(1, "speaker")).ok());
  ASSERT_TRUE(room.AddParticipant(PcmuParticipant(2, "listener")).ok());
  auto encoder = codec::CreateAudioEncoder(rtp::Codec::kPcmu, {});
  ASSERT_TRUE(encoder.ok());
  EXPECT_EQ(room.input_hold_us(), c.jitter.min_target_us);  // nothing played yet
  const std::vector<float> tone = Tone500();
  int outputs = 0;
  for (int t = 0; t < 100; ++t) {
    // Each 20 ms packet arrived 7 ms before this tick; the jitter buffer plays it whole ticks
    // later, so every packet is held the same time.
    room.OnRtp(1, static_cast<uint16_t>(100 + t), static_cast<uint32_t>(160 * t),
               (*encoder)->Encode(tone), std::nullopt, clock.NowUs() - 7'000);
    const AudioTick tick = room.Tick(clock.NowUs());
    for (const auto& out : tick.outputs) {
      // The instant its audio reached the room, not the tick's.
      EXPECT_EQ(out.input_time_us, clock.NowUs() - room.input_hold_us());
      ++outputs;
    }
    clock.AdvanceMs(20);
  }
  EXPECT_GT(outputs, 0);
  EXPECT_EQ(room.input_hold_us() % 20'000, 7'000);
  EXPECT_GE(room.input_hold_us(), 27'000);
}

TEST(AudioRoom, AMutedSpeakerOnAPoorLinkDoesNotMoveTheStamp) {
  FakeClock clock;
  AudioRoomConfig c;
  c.name = "hold";
  AudioRoom room(c, clock);
  ASSERT_TRUE(room.AddParticipant(PcmuParticipant(1, "speaker")).ok());
  ASSERT_TRUE(room.AddParticipant(PcmuParticipant(2, "muted", /*muted=*/true)).ok());
  auto encoder = codec::CreateAudioEncoder(rtp::Codec::kPcmu, {});
  ASSERT_TRUE(encoder.ok());
  const std::vector<float> tone = Tone500();
  for (int t = 0; t < 100; ++t) {
    const std::vector<uint8_t> payload = (*encoder)->Encode(tone);
    // The speaker's packets arrive 7 ms before the tick; the muted one's (same timing, a link
    // that delivers them early and in bursts) 150 ms before: it would hold them far longer.
    room.OnRtp(1, static_cast<uint16_t>(100 + t), static_cast<uint32_t>(160 * t), payload,
               std::nullopt, clock.NowUs() - 7'000);
    room.OnRtp(2, static_cast<uint16_t>(100 + t), static_cast<uint32_t>(160 * t), payload,
               std::nullopt, clock.NowUs() - 150'000);
    (void)room.Tick(clock.NowUs());
    clock.AdvanceMs(20);
  }
  EXPECT_EQ(room.input_hold_us() % 20'000, 7'000) << "the speaker's own hold";
  EXPECT_LT(room.input_hold_us(), 150'000);
}

TEST(AudioRoom, EncodesPerTickDoNotGrowWithTheRoom) {
  RoomHarness small;
  for (uint32_t id = 1; id <= 4; ++id) small.Add(id, rtp::Codec::kOpus, 300 + 200 * id, id <= 3);
  small.Run(60);
  RoomHarness large;
  for (uint32_t id = 1; id <= 30; ++id) large.Add(id, rtp::Codec::kOpus, 300 + 200 * id, id <= 3);
  large.Run(60);
  EXPECT_EQ(small.room().stats().max_tick_encodes, 4u);  // K speakers + the common mix
  EXPECT_EQ(large.room().stats().max_tick_encodes, small.room().stats().max_tick_encodes);
}

TEST(AudioRoom, MutedIsHeardByNobodyAndDeafHearsNothing) {
  RoomHarness h;
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kOpus, 700);
  h.Add(3, rtp::Codec::kOpus, 1100);
  ASSERT_TRUE(h.room().SetMuted(1, true).ok());
  ASSERT_TRUE(h.room().SetDeaf(3, true).ok());
  h.Run(100);
  EXPECT_LT(h.Heard(2, 400), -60) << "a muted participant was heard";
  EXPECT_GT(h.Heard(2, 1100), -40);
  EXPECT_TRUE(std::isinf(h.Heard(3, 700)) || h.Heard(3, 700) < -150)
      << "a deaf participant received audio";
  EXPECT_FALSE(h.room().SetMuted(99, true).ok());
}

TEST(AudioRoom, ARecorderThatMustNotHearSomeoneGetsItsOwnEncodeWithoutThem) {
  RoomHarness h;
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kOpus, 700);
  h.Add(3, rtp::Codec::kOpus, 1100, /*sends=*/false);  // a live listener
  h.Add(4, rtp::Codec::kOpus, 1500, /*sends=*/false);  // the recorder: not to hear 2
  ASSERT_TRUE(h.room().SetMuted(4, true).ok());
  ASSERT_TRUE(h.room().SetNotHeard(4, {2}).ok());
  h.Run(100);
  EXPECT_GT(h.Heard(4, 400), -40);
  EXPECT_LT(h.Heard(4, 700), -60) << "the recorder heard someone left out";
  EXPECT_GT(h.Heard(3, 700), -40) << "a live listener lost someone left out of the recording";
  EXPECT_GT(h.Heard(3, 400), -40);
  // K speakers' mixes, the common one, and the recorder's own.
  EXPECT_EQ(h.room().stats().max_tick_encodes, 4u);
  EXPECT_FALSE(h.room().SetNotHeard(99, {1}).ok());
}

TEST(AudioRoom, TheRecordingNoticeIsHeardByItsListenerAloneOverTheMeeting) {
  RoomHarness h;
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kPcmu, 700);  // the caller asked for consent
  h.Add(3, rtp::Codec::kOpus, 1100, /*sends=*/false);
  ASSERT_TRUE(h.room().SetNotice(2, true).ok());
  h.Run(200);  // 4 s: two patterns in the second half
  EXPECT_GT(h.Heard(2, 1400), -45) << "the caller does not hear the notice";
  EXPECT_GT(h.Heard(2, 400), -40) << "the notice hides the meeting";
  EXPECT_LT(h.Heard(1, 1400), -70) << "someone else hears the notice";
  EXPECT_LT(h.Heard(3, 1400), -70) << "someone else hears the notice";
  EXPECT_GT(h.room().stats().notice_frames, 190u);
  ASSERT_TRUE(h.room().SetNotice(2, false).ok());
  h.ClearHeard();
  h.Run(200);
  EXPECT_LT(h.Heard(2, 1400), -70) << "the notice goes on after it was turned off";
  EXPECT_GT(h.Heard(2, 400), -40);
  EXPECT_FALSE(h.room().SetNotice(99, true).ok());
}

TEST(AudioRoom, ARecorderKeepsItsOwnEncoderWhileAnyoneIsLeftOutAndSharesOtherwise) {
  RoomHarness h;
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kOpus, 700, /*sends=*/false);
  h.Add(3, rtp::Codec::kOpus, 1500, /*sends=*/false);
  ASSERT_TRUE(h.room().SetNotHeard(3, {2}).ok());
  h.Run(60);
  EXPECT_GT(h.Heard(3, 400), -40);
  // Speaker 1's mix, the common one, and the recorder's own: a shared encoder's lookahead and
  // FEC would carry 20 ms of whoever it mixed before, even while 2 is silent.
  EXPECT_EQ(h.room().stats().max_tick_encodes, 3u);
  ASSERT_TRUE(h.room().SetNotHeard(3, {}).ok());
  const uint64_t before = h.room().stats().encodes;
  h.Run(10);
  EXPECT_EQ(h.room().stats().encodes - before, 20u) << "nobody left out: the recorder shares";
}

TEST(AudioRoom, AViewerNotHearingASilentPublisherSharesTheCommonEncode) {
  // A WHEP viewer linked to its own WHIP publisher (not strict): while the publisher is silent
  // the viewer gets the common mix and its encode, not one of its own.
  RoomHarness h;
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kOpus, 700, /*sends=*/false);   // the publisher, silent
  h.Add(3, rtp::Codec::kOpus, 1500, /*sends=*/false);  // its viewer
  ASSERT_TRUE(h.room().SetMuted(3, true).ok());
  ASSERT_TRUE(h.room().SetNotHeard(3, {2}, /*strict=*/false).ok());
  h.Run(60);
  EXPECT_GT(h.Heard(3, 400), -40);
  // Speaker 1's mix and the common one: nothing for the viewer alone.
  EXPECT_EQ(h.room().stats().max_tick_encodes, 2u);
}

TEST(AudioRoom, MalformedPayloadsAreConcealedAndNeverSilenceOthers) {
  RoomHarness h;
  h.Add(1, rtp::Codec::kOpus, 400);
  h.Add(2, rtp::Codec::kPcmu, 700);
  h.Add(3, rtp::Codec::kOpus, 1100);
  h.SendGarbage(1);
  h.Run(100);
  EXPECT_GT(h.room().stats().decode_errors, 0u);
  EXPECT_GT(h.Heard(3, 700), -40) << "a participant sending garbage silenced the others";
  EXPECT_GT(h.Heard(1, 700), -40) << "the garbage sender stopped hearing the room";
  EXPECT_GT(h.Heard(2, 1100), -40);
}

}  // namespace
}  // namespace tessera::session
