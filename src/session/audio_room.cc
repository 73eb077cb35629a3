#include <spdlog/spdlog.h>
#include <tessera/session/audio_room.h>

#include <algorithm>
#include <deque>

namespace tessera::session {
namespace {

// A participant's hold is the longest of its last kHoldWindow ticks' (one second): a packet that
// arrived late (network jitter, or a sender that sends a few packets at once when its encoder's
// frame is complete, as ffmpeg does) waited that much less in the room, so its arrival says
// little about when its audio was captured; the packet that waited longest came closest to its
// time. Over a second, so that a jitter buffer that grows or shrinks is followed.
constexpr size_t kHoldWindow = 50;
// The weight of each tick's hold in input_hold_us(): a few ticks, so that the room's figure does
// not jump when a participant's window minimum does.
constexpr double kHoldGain = 1.0 / 8;
// A longer hold is no jitter buffer's (a clock step, a packet held across a restart): left out.
constexpr int64_t kMaxHoldSampleUs = 1'000'000;

}  // namespace

struct AudioRoom::Participant {
  AudioParticipantConfig config;
  std::unique_ptr<rtp::AudioJitterBuffer> jitter;
  std::unique_ptr<codec::AudioDecoder> decoder;
  std::vector<float> pending;  // decoded samples not yet played (packets longer than 20 ms)
  std::vector<float> current;  // this tick's 20 ms, empty when silent
  std::optional<uint8_t> last_level;
  // When a packet starts this tick's audio: how long the room held it (the tick's time minus its
  // arrival).
  std::optional<int64_t> tick_hold_us;
  std::deque<int64_t> holds;        // the last kHoldWindow ticks' tick_hold_us
  std::vector<uint32_t> not_heard;  // SetNotHeard
  bool not_heard_strict = true;
  std::unique_ptr<mixer::NoticeTone> notice;  // SetNotice
};

AudioRoom::AudioRoom(AudioRoomConfig config, Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      mixer_(config_.mixer),
      dominant_(config_.dominant_speaker) {}

AudioRoom::~AudioRoom() = default;

Status AudioRoom::AddParticipant(const AudioParticipantConfig& pc, DropCounters* drops) {
  if (participants_.count(pc.id)) {
    return Status(StatusCode::kAlreadyExists,
                  "participant " + std::to_string(pc.id) + " is already in room " + config_.name);
  }
  if (rtp::KindOf(pc.codec) != rtp::MediaKind::kAudio) {
    return InvalidArgumentError(std::string(rtp::CodecName(pc.codec)) + " is not an audio codec");
  }
  auto decoder = codec::CreateAudioDecoder(pc.codec, pc.channels, pc.g722_pcm);
  if (!decoder.ok()) return decoder.status();
  auto p = std::make_unique<Participant>();
  p->config = pc;
  rtp::AudioJitterConfig jc = config_.jitter;
  jc.clock_rate = rtp::RtpClockRate(pc.codec);
  p->jitter = std::make_unique<rtp::AudioJitterBuffer>(jc, clock_);
  p->jitter->SetDropCounters(drops);
  p->decoder = std::move(*decoder);
  participants_[pc.id] = std::move(p);
  return Status::Ok();
}

void AudioRoom::RemoveParticipant(uint32_t id) { participants_.erase(id); }

Status AudioRoom::SetMuted(uint32_t id, bool muted) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(id));
  it->second->config.muted = muted;
  return Status::Ok();
}

Status AudioRoom::SetNotice(uint32_t id, bool on) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(id));
  if (!on) {
    it->second->notice.reset();
  } else if (!it->second->notice) {
    it->second->notice = std::make_unique<mixer::NoticeTone>();
  }
  return Status::Ok();
}

Status AudioRoom::SetDeaf(uint32_t id, bool deaf) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(id));
  it->second->config.deaf = deaf;
  return Status::Ok();
}

Status AudioRoom::SetNotHeard(uint32_t id, std::vector<uint32_t> not_heard, bool strict) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return NotFoundError("no participant " + std::to_string(id));
  it->second->not_heard = std::move(not_heard);
  it->second->not_heard_strict = strict;
  return Status::Ok();
}

void AudioRoom::OnRtp(uint32_t id, uint16_t seq, uint32_t rtp_timestamp,
                      std::vector<uint8_t> payload, std::optional<uint8_t> audio_level,
                      int64_t arrival_us) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return;
  if (audio_level) it->second->last_level = audio_level;
  it->second->jitter->Insert(seq, rtp_timestamp, std::move(payload), arrival_us);
}

void AudioRoom::RestartStream(uint32_t id) {
  auto it = participants_.find(id);
  if (it == participants_.end()) return;
  it->second->jitter->Restart();
}

std::vector<float> AudioRoom::DecodeOne(Participant& p, int64_t now_us) {
  const size_t frame = static_cast<size_t>(codec::kMixFrameSamples);
  p.tick_hold_us.reset();
  // Pull until this tick's 20 ms are decoded: once for 20 ms packets, twice for 10 ms ones, not
  // at all while a 40 or 60 ms packet is still playing out. Bounded: a pull never returns less
  // than 10 ms unless it is silence, which ends the loop.
  for (int pulls = 0; p.pending.size() < frame && pulls < 4; ++pulls) {
    rtp::AudioPull pull = p.jitter->Pull(now_us);
    if (pull.kind == rtp::AudioPull::Kind::kSilence) break;
    if (pull.kind == rtp::AudioPull::Kind::kFrame && !p.tick_hold_us) {
      // This tick's first sample comes `pending` samples before the packet's first (what an
      // earlier packet left over: a decoder's resampler returns a few samples short at first,
      // and from then on each tick plays the end of one packet and the start of the next), so
      // it stands for audio that reached the room that much before the packet did.
      p.tick_hold_us = now_us - pull.arrival_us +
                       static_cast<int64_t>(p.pending.size()) * 1'000'000 / codec::kMixRate;
    }
    std::vector<float> pcm;
    if (pull.kind == rtp::AudioPull::Kind::kFrame) {
      if (auto decoded = p.decoder->Decode(pull.payload)) {
        pcm = std::move(*decoded);
      } else {
        ++stats_.decode_errors;  // a malformed payload is concealed like a lost one
      }
    }
    if (pcm.empty()) {
      ++stats_.concealed;
      std::optional<std::span<const uint8_t>> next;
      if (pull.next_payload) next = std::span<const uint8_t>(*pull.next_payload);
      const uint32_t rate = rtp::RtpClockRate(p.config.codec);
      const int samples =
          pull.samples
              ? static_cast<int>(int64_t{pull.samples} * codec::kMixRate / (rate ? rate : 1))
              : codec::kMixFrameSamples;
      pcm = p.decoder->Conceal(samples, next);
    }
    p.pending.insert(p.pending.end(), pcm.begin(), pcm.end());
  }
  if (p.pending.size() < frame) {
    p.pending.clear();  // silence (or a short odd frame): nothing to play this tick
    return {};
  }
  std::vector<float> out(p.pending.begin(), p.pending.begin() + static_cast<long>(frame));
  p.pending.erase(p.pending.begin(), p.pending.begin() + static_cast<long>(frame));
  return out;
}

void AudioRoom::UpdateHold(const std::vector<Participant*>& participants,
                           const std::vector<uint32_t>& selected) {
  // Every speaker's window follows its own waits; the room's figure is the mean over the
  // speakers the mix holds this tick (the selected, unmuted ones: a muted caller on a poor link
  // holding 200 ms must not move what everyone hears), one step of the smoothing whatever the
  // room's size.
  int64_t sum = 0;
  int64_t count = 0;
  for (Participant* p : participants) {
    if (!p->tick_hold_us || *p->tick_hold_us < 0 || *p->tick_hold_us > kMaxHoldSampleUs) continue;
    p->holds.push_back(*p->tick_hold_us);
    if (p->holds.size() > kHoldWindow) p->holds.pop_front();
    if (p->config.muted ||
        std::find(selected.begin(), selected.end(), p->config.id) == selected.end()) {
      continue;
    }
    sum += *std::max_element(p->holds.begin(), p->holds.end());
    ++count;
  }
  if (count == 0) return;
  const double mean = static_cast<double>(sum) / static_cast<double>(count);
  hold_us_ = hold_us_ ? *hold_us_ + (mean - *hold_us_) * kHoldGain : mean;
}

int64_t AudioRoom::input_hold_us() const {
  if (!hold_us_) return config_.jitter.min_target_us;
  return static_cast<int64_t>(*hold_us_ + 0.5);
}

codec::AudioEncoder* AudioRoom::EncoderFor(const EncoderKey& key) {
  auto& slot = encoders_[key];
  if (!slot) {
    codec::AudioEncoderConfig ec;
    ec.bitrate_bps = config_.opus_bitrate_bps;
    ec.channels = key.channels;
    ec.g722_pcm = key.g722_pcm;
    auto enc = codec::CreateAudioEncoder(key.codec, ec);
    if (!enc.ok()) {
      spdlog::error("room {}: cannot create {} encoder: {}", config_.name,
                    rtp::CodecName(key.codec), enc.status().ToString());
      encoders_.erase(key);
      return nullptr;
    }
    slot = std::move(*enc);
  }
  return slot.get();
}

AudioTick AudioRoom::Tick(int64_t now_us) {
  AudioTick tick;
  ++stats_.ticks;
  std::vector<mixer::MixerInput> inputs;
  std::vector<Participant*> order;
  inputs.reserve(participants_.size());
  for (auto& [id, p] : participants_) {
    p->current = DecodeOne(*p, now_us);
    mixer::MixerInput in;
    in.id = id;
    in.pcm = p->current;
    if (!p->current.empty()) in.audio_level = p->last_level;
    in.muted = p->config.muted;
    in.deaf = p->config.deaf;
    in.not_heard = p->not_heard;
    inputs.push_back(in);
    order.push_back(p.get());
  }
  mixer::MixOutput mix = mixer_.Mix(inputs, now_us);
  UpdateHold(order, mix.selected);
  // What this tick mixes reached the room about input_hold_us() ago: its timestamp stands for
  // that instant in sender reports, as a composite frame's for the arrival of its pictures.
  const int64_t input_time_us = now_us - input_hold_us();

  std::vector<std::pair<uint32_t, uint8_t>> levels;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].muted) levels.emplace_back(inputs[i].id, mix.levels[i]);
  }
  tick.dominant_speaker_changed = dominant_.Update(levels, now_us);

  // Encode each (mix, codec) once; every listener of it shares the payload.
  std::map<EncoderKey, std::shared_ptr<const std::vector<uint8_t>>> encoded;
  uint64_t encodes = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int m = mix.listener_mix[i];
    if (m < 0) continue;  // deaf
    const Participant& p = *order[i];
    const size_t shared = mix.selected.size() + 1;  // mixes after these are one listener's
    const auto mi = static_cast<size_t>(m);
    // A listener that must not hear someone (the recorder, under the exclude policy) keeps its
    // own encoder for as long as it has anyone not to hear, whichever mix it gets: a shared
    // encoder's lookahead and in-band FEC carry the previous 20 ms, which held them. A viewer's
    // own voice is not that strict: its private mix (mi >= shared) only while that voice speaks.
    const bool own = (p.not_heard_strict && !inputs[i].not_heard.empty()) || p.notice;
    const EncoderKey key{
        own || mi == 0 || mi >= shared ? 0u : mix.selected[mi - 1],
        own            ? inputs[i].id
        : mi >= shared ? mix.mix_listener[mi - shared]
                       : 0u,
        p.config.codec, p.config.codec == rtp::Codec::kOpus ? p.config.channels : 1,
        p.config.codec == rtp::Codec::kG722 ? p.config.g722_pcm : codec::G722Pcm::k16Bit};
    auto& payload = encoded[key];
    codec::AudioEncoder* encoder = EncoderFor(key);
    if (!encoder) continue;
    if (!payload && p.notice) {
      // Its mix with the notice over it: a payload of its own (its own encoder, by `own`).
      std::vector<float> pcm = mix.mixes[mi];
      pcm.resize(mixer::kMixFrameSamples, 0.0f);
      p.notice->AddTo(pcm);
      payload = std::make_shared<const std::vector<uint8_t>>(encoder->Encode(pcm));
      ++encodes;
      ++stats_.notice_frames;
    } else if (!payload) {
      payload = std::make_shared<const std::vector<uint8_t>>(encoder->Encode(mix.mixes[mi]));
      ++encodes;
    }
    tick.outputs.push_back({inputs[i].id, payload,
                            static_cast<uint32_t>(tick_index_ * encoder->RtpTimestampIncrement()),
                            input_time_us});
  }
  // Encoders for mixes nobody hears any more (a speaker left the selection) are dropped.
  for (auto it = encoders_.begin(); it != encoders_.end();) {
    it = encoded.count(it->first) ? std::next(it) : encoders_.erase(it);
  }
  stats_.encodes += encodes;
  stats_.max_tick_encodes = std::max(stats_.max_tick_encodes, encodes);
  ++tick_index_;
  return tick;
}

std::vector<std::pair<uint32_t, rtp::AudioJitterBuffer::Stats>> AudioRoom::JitterStats() const {
  std::vector<std::pair<uint32_t, rtp::AudioJitterBuffer::Stats>> out;
  for (const auto& [id, p] : participants_) out.emplace_back(id, p->jitter->stats());
  return out;
}

}  // namespace tessera::session
