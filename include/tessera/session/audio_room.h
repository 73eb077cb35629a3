// The audio side of a room, without sockets: RTP payloads in, one mixed payload per listener out,
// every 20 ms. Everyone hears everyone but themselves; the K loudest are mixed and each distinct
// mix is encoded once per codec, so encodes per tick are (K + 1) x codecs, not N.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/codec/audio_codec.h>
#include <tessera/mixer/audio_mixer.h>
#include <tessera/mixer/dominant_speaker.h>
#include <tessera/mixer/notice_tone.h>
#include <tessera/rtp/audio_jitter_buffer.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::session {

struct AudioParticipantConfig {
  uint32_t id = 0;
  std::string name;
  rtp::Codec codec = rtp::Codec::kOpus;              // what it sends and receives
  int channels = 1;                                  // Opus only: 2 for a stereo receiver
  codec::G722Pcm g722_pcm = codec::G722Pcm::k16Bit;  // G.722 only: its PCM convention
  bool muted = false;
  bool deaf = false;
};

struct AudioRoomConfig {
  std::string name;
  mixer::AudioMixerConfig mixer;
  mixer::DominantSpeakerConfig dominant_speaker;
  rtp::AudioJitterConfig jitter;
  int opus_bitrate_bps = 32000;
};

// A payload for one listener. Listeners that hear the same mix with the same codec share one
// payload object: it was encoded once.
struct AudioOut {
  uint32_t participant_id = 0;
  std::shared_ptr<const std::vector<uint8_t>> payload;
  uint32_t rtp_timestamp = 0;  // the room's clock at the codec's RTP rate
  // The instant (Clock::NowUs()) that rtp_timestamp stands for in sender reports: when the audio
  // in the payload reached the room (the tick's time less input_hold_us()), not when the tick
  // mixed it. The composite is stamped the same way (EncodedVideo::input_time_us), so a receiver
  // that aligns the two by their SRs plays a sound and a picture that a participant sent together
  // at the same moment (lip sync), however long each path held them.
  int64_t input_time_us = 0;
};

struct AudioTick {
  std::vector<AudioOut> outputs;
  std::optional<uint32_t> dominant_speaker_changed;  // participant id, when it changed
};

struct AudioRoomStats {
  uint64_t ticks = 0;
  uint64_t encodes = 0;           // encoder calls, all codecs
  uint64_t max_tick_encodes = 0;  // the most encodes one tick needed
  uint64_t decode_errors = 0;     // malformed payloads, concealed
  uint64_t concealed = 0;
  uint64_t notice_frames = 0;  // 20 ms frames that carried the recording notice
};

// Runs on: the room's strand. Not thread-safe.
class AudioRoom {
 public:
  AudioRoom(AudioRoomConfig config, Clock& clock);
  ~AudioRoom();

  Status AddParticipant(const AudioParticipantConfig& p, DropCounters* drops = nullptr);
  void RemoveParticipant(uint32_t id);
  Status SetMuted(uint32_t id, bool muted);
  Status SetDeaf(uint32_t id, bool deaf);
  // Whom the participant must not hear besides itself (the room's recorder under the "exclude"
  // consent policy: those left out of the recording). While one of them is among the K loudest
  // it hears a mix of its own, encoded for it alone; otherwise the shared one (no extra work).
  // strict false (a viewer's own voice): the shared mix and encoder whenever none of them is
  // among the selected, at the price of the 20 ms a shared encoder's lookahead may carry at a
  // switch; strict (the recorder's exclusions): its own encoder as long as anyone is not heard.
  Status SetNotHeard(uint32_t id, std::vector<uint32_t> not_heard, bool strict = true);
  // The recording notice (mixer::NoticeTone) over what the participant hears, from the start of
  // its pattern, until turned off: a caller asked for consent by a key press. It hears a mix of
  // its own, encoded for it alone, meanwhile.
  Status SetNotice(uint32_t id, bool on);

  // One received RTP packet's payload. audio_level: RFC 6464 -dBov when the sender put it in a
  // header extension.
  void OnRtp(uint32_t id, uint16_t seq, uint32_t rtp_timestamp, std::vector<uint8_t> payload,
             std::optional<uint8_t> audio_level, int64_t arrival_us);
  // The participant's sender started a new stream (new SSRC, or a confirmed sequence jump): its
  // jitter buffer starts over (AudioJitterBuffer::Restart). Unknown ids are ignored.
  void RestartStream(uint32_t id);

  // One 20 ms mixing step.
  [[nodiscard]] AudioTick Tick(int64_t now_us);

  // How long the room holds its speakers' audio: from a packet's arrival to the tick that plays
  // it (mostly the jitter buffer's delay), the mean over the participants whose packets a tick
  // played, smoothed over ticks. Before any was played: the jitter buffers' minimum target.
  int64_t input_hold_us() const;

  const AudioRoomStats& stats() const { return stats_; }
  // Each participant's jitter buffer state, by id.
  std::vector<std::pair<uint32_t, rtp::AudioJitterBuffer::Stats>> JitterStats() const;
  std::optional<uint32_t> dominant_speaker() const { return dominant_.current(); }
  size_t participant_count() const { return participants_.size(); }

 private:
  struct Participant;
  struct EncoderKey {
    uint32_t speaker;  // 0: the mix of everyone selected; else everyone selected but this id
    // Non-zero: the mix of this listener alone (mixer::MixOutput::mix_listener); speaker is 0.
    uint32_t listener;
    rtp::Codec codec;
    int channels;
    codec::G722Pcm g722_pcm;  // k16Bit for every codec but G.722
    auto operator<=>(const EncoderKey&) const = default;
  };

  std::vector<float> DecodeOne(Participant& p, int64_t now_us);
  codec::AudioEncoder* EncoderFor(const EncoderKey& key);
  // Folds this tick's holds (Participant::tick_hold_us of those that played a packet) into
  // input_hold_us(): of the speakers in `selected` (the mix's) only.
  void UpdateHold(const std::vector<Participant*>& participants,
                  const std::vector<uint32_t>& selected);

  AudioRoomConfig config_;
  Clock& clock_;
  mixer::AudioMixer mixer_;
  mixer::DominantSpeakerDetector dominant_;
  std::map<uint32_t, std::unique_ptr<Participant>> participants_;
  std::map<EncoderKey, std::unique_ptr<codec::AudioEncoder>> encoders_;
  uint64_t tick_index_ = 0;
  std::optional<double> hold_us_;  // input_hold_us(), once a packet was played
  AudioRoomStats stats_;
};

}  // namespace tessera::session
