#include <spdlog/spdlog.h>
#include <tessera/net/demux.h>
#include <tessera/recorder/recording_session.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/rtp/rtp_packet.h>

#include <chrono>
#include <random>
#include <utility>

namespace tessera::recorder {
namespace {

constexpr auto kTimerPeriod = std::chrono::milliseconds(20);
constexpr int64_t kNtpUnixOffsetSeconds = 2'208'988'800LL;
// Frames held per stream before its first SR, at most (also bounded in time).
constexpr size_t kMaxHeldFrames = 1000;
// SRs of SSRCs other than a stream's current one, kept in case the stream moves to one of them.
constexpr size_t kMaxOtherSrs = 8;

int64_t NtpToUnixUs(NtpTime t) {
  const int64_t seconds = static_cast<int64_t>(t.seconds) - kNtpUnixOffsetSeconds;
  const int64_t fraction_us = static_cast<int64_t>((uint64_t{t.fraction} * 1'000'000) >> 32);
  return seconds * 1'000'000 + fraction_us;
}

uint32_t RandomSsrc() {
  std::random_device device;
  return device() | 1u;
}

DropReason DropFor(srtp::SrtpResult r) {
  switch (r) {
    case srtp::SrtpResult::kAuthFailed:
      return DropReason::kSrtpAuth;
    case srtp::SrtpResult::kReplay:
      return DropReason::kSrtpReplay;
    default:
      return DropReason::kMalformed;
  }
}

}  // namespace

std::optional<int64_t> RecordingSession::StreamClock::Map(uint32_t rtp) const {
  // The signed distance: frames may sit just before the SR's instant.
  if (sr_unix_us) {
    const int64_t delta = static_cast<int32_t>(rtp - sr_rtp);
    return *sr_unix_us + delta * 1'000'000 / clock_rate;
  }
  if (arrival_unix_us) {
    const int64_t delta = static_cast<int32_t>(rtp - arrival_rtp);
    return *arrival_unix_us + delta * 1'000'000 / clock_rate;
  }
  return std::nullopt;
}

RecordingSession::RecordingSession(boost::asio::io_context& io,
                                   const RecordingSessionConfig& config,
                                   std::unique_ptr<ByteSink> sink, Clock& clock)
    : config_(config),
      sink_(std::move(sink)),
      clock_(clock),
      drops_(GlobalMetrics(), "recorder/" + config.name),
      timer_(io) {
  audio_clock_.clock_rate = 48000;
  video_clock_.clock_rate = 90000;
}

RecordingSession::~RecordingSession() {
  // Stop must have run on io; a session dropped without it (an error path) still closes its file.
  if (!stopped_) (void)Stop();
}

StatusOr<std::unique_ptr<RecordingSession>> RecordingSession::Create(
    boost::asio::io_context& io, const RecordingSessionConfig& config,
    std::unique_ptr<ByteSink> sink, Clock& clock) {
  const std::string who = "recording " + config.name + ": ";
  if (!sink) return InvalidArgumentError(who + "no byte sink");
  std::unique_ptr<RecordingSession> s(new RecordingSession(io, config, std::move(sink), clock));
  AvMuxerConfig mc = config.muxer;
  mc.video_codec = config.video_codec;
  mc.audio_channels = config.audio_channels;
  auto muxer = AvMuxer::Create(mc, *s->sink_);
  if (!muxer.ok()) return Status(muxer.status().code(), who + muxer.status().message());
  s->muxer_ = std::move(*muxer);

  auto in = srtp::SrtpSession::Create(config.suite, config.receive_key,
                                      srtp::SrtpSession::Direction::kInbound);
  if (!in.ok()) return Status(in.status().code(), who + "receive key: " + in.status().message());
  auto out = srtp::SrtpSession::Create(config.suite, config.send_key,
                                       srtp::SrtpSession::Direction::kOutbound);
  if (!out.ok()) return Status(out.status().code(), who + "send key: " + out.status().message());
  s->srtp_in_ = std::move(*in);
  s->srtp_out_ = std::move(*out);

  auto audio = net::UdpSocket::Open(io, config.bind_address, config.audio_port);
  if (!audio.ok()) {
    return Status(audio.status().code(), who + "audio port: " + audio.status().message());
  }
  s->audio_socket_ = std::move(*audio);
  s->audio_port_ = s->audio_socket_->local_port();
  s->opus_ = rtp::CreateDepacketizer(rtp::Codec::kOpus);
  if (config.video_codec) {
    auto video = net::UdpSocket::Open(io, config.bind_address, config.video_port);
    if (!video.ok()) {
      return Status(video.status().code(), who + "video port: " + video.status().message());
    }
    s->video_socket_ = std::move(*video);
    s->video_port_ = s->video_socket_->local_port();
    rtp::VideoReceiveStreamConfig vc;
    vc.codec = *config.video_codec;
    vc.payload_type = config.video_payload_type;
    vc.local_ssrc = RandomSsrc();
    vc.cname = "tessera-recorder-" + config.name;
    // The MCU answers PLI (and FIR); a recording must start at a keyframe soon after joining.
    vc.keyframe.min_interval_us = 300'000;
    s->video_ = std::make_unique<rtp::VideoReceiveStream>(vc, clock, &s->drops_);
  }
  return s;
}

void RecordingSession::Start(SilenceHandler on_silence) {
  TESSERA_DCHECK_RUN_ON(checker_);
  on_silence_ = std::move(on_silence);
  started_ = true;
  last_packet_us_ = clock_.NowUs();
  audio_socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
    OnDatagram(d, from, /*video=*/false);
  });
  if (video_socket_) {
    video_socket_->Start([this](std::span<const uint8_t> d, const net::Endpoint& from) {
      OnDatagram(d, from, /*video=*/true);
    });
  }
  ArmTimer();
  spdlog::info("recording {}: receiving audio on port {}{}", config_.name, audio_port_,
               video_socket_ ? ", video on port " + std::to_string(video_port_) : std::string());
}

void RecordingSession::NoteGap(std::string reason) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (muxer_) muxer_->NoteGapReason(std::move(reason));
}

int64_t RecordingSession::NowUnixUs() const { return NtpToUnixUs(clock_.NowNtp()); }

void RecordingSession::OnDatagram(std::span<const uint8_t> data, const net::Endpoint& from,
                                  bool video) {
  TESSERA_DCHECK_RUN_ON(checker_);
  if (stopped_) return;
  const net::PacketClass c = net::ClassifyPacket(data);
  if (c != net::PacketClass::kRtp && c != net::PacketClass::kRtcp) {
    ++stats_.malformed;
    drops_.Add(DropReason::kUnknownProtocol);
    return;
  }
  const bool rtcp = c == net::PacketClass::kRtcp;
  scratch_.assign(data.begin(), data.end());
  const srtp::SrtpResult r =
      rtcp ? srtp_in_->UnprotectRtcp(scratch_) : srtp_in_->UnprotectRtp(scratch_);
  if (r != srtp::SrtpResult::kOk) {
    ++stats_.srtp_failures;
    drops_.Add(DropFor(r));
    return;
  }
  // Only authenticated packets keep the watchdog quiet or steer where feedback goes.
  last_packet_us_ = clock_.NowUs();
  if (silent_) {
    silent_ = false;
    spdlog::info("recording {}: media is back", config_.name);
    if (on_silence_) on_silence_(false);
  }
  if (video) video_feedback_ = from;
  if (rtcp) {
    OnRtcp(scratch_, from, video);
  } else {
    OnRtp(scratch_, video);
  }
}

void RecordingSession::OnRtp(std::vector<uint8_t>& clear, bool video) {
  auto packet = rtp::RtpPacket::Parse(clear);
  if (!packet) {
    ++stats_.malformed;
    drops_.Add(DropReason::kMalformed);
    return;
  }
  if (!video) {
    OnAudio(*packet);
    return;
  }
  if (!video_) {
    ++stats_.wrong_payload_type;
    drops_.Add(DropReason::kUnknownPayloadType);
    return;
  }
  if (packet->payload_type() != config_.video_payload_type) {
    ++stats_.wrong_payload_type;
    drops_.Add(DropReason::kUnknownPayloadType);
    return;
  }
  ++stats_.video_packets;
  rtp::VideoReceiveStream::Output out = video_->OnRtp(*packet, clock_.NowUs());
  if (const auto ssrc = video_->remote_ssrc(); ssrc && ssrc != video_clock_.ssrc) {
    // A new stream (the MCU restarted or we re-joined): its RTP clock is a new one.
    if (video_clock_.ssrc) {
      spdlog::info("recording {}: video stream {:08x} replaces {:08x}", config_.name, *ssrc,
                   *video_clock_.ssrc);
    }
    Release(/*video=*/true, /*force=*/true);
    video_clock_ = StreamClock{};
    video_clock_.ssrc = ssrc;
    video_clock_.clock_rate = 90000;
    if (auto it = video_other_srs_.find(*ssrc); it != video_other_srs_.end()) {
      video_clock_.sr_unix_us = it->second.first;
      video_clock_.sr_rtp = it->second.second;
    }
  }
  DeliverVideo(std::move(out));
}

void RecordingSession::OnAudio(const rtp::RtpPacket& packet) {
  if (packet.payload_type() != config_.audio_payload_type) {
    ++stats_.wrong_payload_type;
    drops_.Add(DropReason::kUnknownPayloadType);
    return;
  }
  ++stats_.audio_packets;
  if (audio_clock_.ssrc != packet.ssrc()) {
    if (audio_clock_.ssrc) {
      spdlog::info("recording {}: audio stream {:08x} replaces {:08x}", config_.name, packet.ssrc(),
                   *audio_clock_.ssrc);
    }
    Release(/*video=*/false, /*force=*/true);
    audio_clock_ = StreamClock{};
    audio_clock_.ssrc = packet.ssrc();
    audio_clock_.clock_rate = 48000;
    if (auto it = audio_other_srs_.find(packet.ssrc()); it != audio_other_srs_.end()) {
      audio_clock_.sr_unix_us = it->second.first;
      audio_clock_.sr_rtp = it->second.second;
    }
    last_audio_seq_.reset();
  }
  // In order only: a recorder on the MCU's network sees little reordering; a late packet would
  // need the muxer to go back in time.
  if (last_audio_seq_ && !rtp::SeqNewer(packet.sequence_number(), *last_audio_seq_)) {
    drops_.Add(DropReason::kTooLate);
    return;
  }
  last_audio_seq_ = packet.sequence_number();
  auto payload = opus_->Parse(packet.payload());
  if (!payload || !OpusPacketDurationUs(payload->data)) {
    ++stats_.malformed;
    drops_.Add(DropReason::kMalformed);
    return;
  }
  HeldFrame f;
  f.rtp = packet.timestamp();
  f.arrival_unix_us = NowUnixUs();
  f.data = std::move(payload->data);
  Timed(/*video=*/false, std::move(f));
}

void RecordingSession::DeliverVideo(rtp::VideoReceiveStream::Output out) {
  bool want_keyframe = false;
  for (rtp::EncodedFrame& frame : out.frames) {
    if (!frame.keyframe && !muxer_->started()) want_keyframe = true;
    HeldFrame f;
    f.rtp = frame.rtp_timestamp;
    f.arrival_unix_us = NowUnixUs();
    f.data = std::move(frame.data);
    f.keyframe = frame.keyframe;
    f.width = frame.width;
    f.height = frame.height;
    Timed(/*video=*/true, std::move(f));
  }
  if (!out.rtcp.empty()) SendRtcp(std::move(out.rtcp));
  if (want_keyframe && !stopped_) {
    // The recording cannot start before a keyframe: ask now rather than wait for the MCU's
    // periodic one (the requester throttles).
    auto request = video_->RequestKeyframe(clock_.NowUs());
    if (!request.rtcp.empty()) SendRtcp(std::move(request.rtcp));
  }
}

void RecordingSession::OnRtcp(std::vector<uint8_t>& clear, const net::Endpoint&, bool video) {
  auto messages = rtp::ParseRtcpCompound(clear);
  if (!messages) {
    ++stats_.malformed;
    drops_.Add(DropReason::kMalformed);
    return;
  }
  ++stats_.rtcp_packets;
  StreamClock& clock = video ? video_clock_ : audio_clock_;
  auto& others = video ? video_other_srs_ : audio_other_srs_;
  for (const auto& m : *messages) {
    const auto* sr = std::get_if<rtp::SenderReport>(&m);
    if (!sr) continue;
    const int64_t unix_us = NtpToUnixUs(sr->ntp);
    if (clock.ssrc == sr->sender_ssrc) {
      clock.sr_unix_us = unix_us;
      clock.sr_rtp = sr->rtp_timestamp;
    } else {
      if (others.size() >= kMaxOtherSrs) others.clear();
      others[sr->sender_ssrc] = {unix_us, sr->rtp_timestamp};
    }
  }
  if (video && video_) (void)video_->OnRtcp(clear, clock_.NowUs());
  Release(video, /*force=*/false);
}

void RecordingSession::Timed(bool video, HeldFrame frame) {
  std::deque<HeldFrame>& held = video ? video_held_ : audio_held_;
  const StreamClock& clock = video ? video_clock_ : audio_clock_;
  if (held.empty()) {
    if (const auto unix_us = clock.Map(frame.rtp)) {
      Write(video, frame, *unix_us);
      return;
    }
  }
  held.push_back(std::move(frame));
  Release(video, /*force=*/held.size() > kMaxHeldFrames);
}

void RecordingSession::Release(bool video, bool force) {
  std::deque<HeldFrame>& held = video ? video_held_ : audio_held_;
  StreamClock& clock = video ? video_clock_ : audio_clock_;
  const int64_t now = NowUnixUs();
  while (!held.empty()) {
    std::optional<int64_t> unix_us = clock.Map(held.front().rtp);
    if (!unix_us) {
      if (!force && now - held.front().arrival_unix_us < config_.hold_before_sr_us) return;
      // No SR in time: the first held frame's arrival anchors the stream until its SR comes.
      spdlog::warn("recording {}: no RTCP sender report for {} within {} ms: timing {} by arrival",
                   config_.name, video ? "video" : "audio", config_.hold_before_sr_us / 1000,
                   video ? "video" : "audio");
      clock.arrival_unix_us = held.front().arrival_unix_us;
      clock.arrival_rtp = held.front().rtp;
      unix_us = clock.Map(held.front().rtp);
    }
    Write(video, held.front(), *unix_us);
    held.pop_front();
  }
}

void RecordingSession::Write(bool video, const HeldFrame& frame, int64_t unix_us) {
  if (!muxer_status_.ok()) return;
  const StreamClock& clock = video ? video_clock_ : audio_clock_;
  if (!clock.sr_unix_us) ++stats_.mapped_by_arrival;
  Status s =
      video ? muxer_->WriteVideo(frame.data, frame.keyframe, unix_us, frame.width, frame.height)
            : muxer_->WriteAudio(frame.data, unix_us);
  if (!s.ok()) {
    // The sink failed (disk full, ...): the recording is over; the owner sees it in Stop.
    muxer_status_ = s;
    spdlog::error("recording {}: {}: no more media is written", config_.name, s.message());
    return;
  }
  ++(video ? stats_.video_frames : stats_.audio_frames);
}

void RecordingSession::SendRtcp(std::vector<uint8_t> compound) {
  if (!video_feedback_ || !video_socket_ || stopped_) return;
  if (srtp_out_->ProtectRtcp(compound) != srtp::SrtpResult::kOk) {
    drops_.Add(DropReason::kMalformed);
    return;
  }
  (void)video_socket_->SendTo(compound, *video_feedback_);
}

void RecordingSession::ArmTimer() {
  timer_.expires_after(kTimerPeriod);
  // A handler already queued when the session stops runs all the same (a cancel cannot take it
  // back): it finds the session gone by its token, never the freed session.
  timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired() || stopped_) return;
        const int64_t now = clock_.NowUs();
        if (video_) DeliverVideo(video_->OnTimer(now));
        Release(/*video=*/false, /*force=*/false);
        Release(/*video=*/true, /*force=*/false);
        if (now - last_packet_us_ >= config_.silence_timeout_us &&
            (!silent_ || now - silence_reported_us_ >= config_.silence_timeout_us)) {
          // Reported again while it lasts: a re-join that brought no media is tried again.
          silent_ = true;
          silence_reported_us_ = now;
          ++stats_.silences;
          spdlog::warn("recording {}: no media for {} ms", config_.name,
                       (now - last_packet_us_) / 1000);
          if (muxer_) muxer_->NoteGapReason("no media (silence)");
          if (on_silence_) on_silence_(true);
        }
        ArmTimer();
      });
}

Status RecordingSession::Stop() {
  if (stopped_) return muxer_status_;
  // What the MCU already sent is recorded.
  if (started_ && audio_socket_) {
    audio_socket_->Drain();
    if (video_socket_) video_socket_->Drain();
  }
  if (video_) {
    rtp::VideoReceiveStream::Output out = video_->Flush(clock_.NowUs());
    out.rtcp.clear();
    DeliverVideo(std::move(out));
  }
  stopped_ = true;
  timer_.cancel();
  Release(/*video=*/false, /*force=*/true);
  Release(/*video=*/true, /*force=*/true);
  Status closed = muxer_ ? muxer_->Close() : Status::Ok();
  if (muxer_status_.ok()) muxer_status_ = closed;
  // A session whose Create failed half-way has not every socket.
  if (audio_socket_) audio_socket_->Close();
  if (video_socket_) video_socket_->Close();
  const RecordingStats s = stats();
  spdlog::info(
      "recording {} stopped: {} video and {} audio frames, {} bytes, {} gaps, {} SRTP failures",
      config_.name, s.video_frames, s.audio_frames, s.bytes_written, s.gaps, s.srtp_failures);
  return muxer_status_;
}

RecordingStats RecordingSession::stats() const {
  RecordingStats s = stats_;
  if (video_) s.keyframe_requests = video_->stats().keyframe_requests;
  if (muxer_) {
    s.muxer = muxer_->stats();
    s.bytes_written = s.muxer.bytes_written;
    s.gaps = muxer_->gaps().size();
  }
  return s;
}

const std::vector<GapRecord>& RecordingSession::gaps() const {
  static const std::vector<GapRecord> kNone;
  return muxer_ ? muxer_->gaps() : kNone;
}

}  // namespace tessera::recorder
