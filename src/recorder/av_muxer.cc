#include <spdlog/spdlog.h>
#include <tessera/recorder/av_muxer.h>
#include <tessera/rtp/h264_bitstream.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <utility>

#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
}

namespace tessera::recorder {
namespace {

constexpr AVRational kMicros{1, 1'000'000};
constexpr int kAvioBufferBytes = 64 * 1024;
// Audio that arrived before the first keyframe, kept so that what belongs after the keyframe's
// time (audio overtakes video, which waits in its jitter buffer) is not lost.
constexpr int64_t kPreStartAudioUs = 2'000'000;

// The custom output: AVIO over a ByteSink. The deleter frees what avio_alloc_context took; it
// must not run avio_close (which would treat our opaque pointer as a URLContext).
struct CustomOutputDeleter {
  void operator()(AVFormatContext* f) const {
    if (!f) return;
    if (f->pb) {
      av_freep(&f->pb->buffer);
      avio_context_free(&f->pb);
    }
    avformat_free_context(f);
  }
};
using CustomOutputPtr = std::unique_ptr<AVFormatContext, CustomOutputDeleter>;

// The MCU's Opus encoder (libopus, OPUS_APPLICATION_VOIP at 48 kHz) delays what it encodes by its
// lookahead, 6.5 ms: the decoder's output for a packet stamped T is the sound of T - 6.5 ms.
// Pre-skip (and the track's codec delay) take it back out, so the sound lines up with the
// picture of the same instant.
constexpr uint16_t kOpusPreSkip = 312;

// OpusHead (RFC 7845 5.1) as the track's private data: version 1, channel mapping family 0.
std::vector<uint8_t> OpusHead(int channels) {
  std::vector<uint8_t> h = {'O', 'p', 'u', 's', 'H',
                            'e', 'a', 'd', 1,   static_cast<uint8_t>(channels)};
  const uint32_t rate = 48000;
  h.insert(h.end(), {static_cast<uint8_t>(kOpusPreSkip & 0xff),
                     static_cast<uint8_t>(kOpusPreSkip >> 8)});  // pre-skip, little-endian
  for (int i = 0; i < 4; ++i) h.push_back(static_cast<uint8_t>(rate >> (8 * i)));
  h.insert(h.end(), {0, 0, 0});  // output gain, mapping family 0
  return h;
}

std::vector<uint8_t> H264ParameterSets(std::span<const uint8_t> annexb) {
  std::vector<uint8_t> out;
  for (auto nal : rtp::h264::SplitAnnexB(annexb)) {
    if (nal.empty()) continue;
    const auto type = rtp::h264::NalTypeOf(nal[0]);
    if (rtp::h264::Is(type, rtp::h264::NalType::kSps) ||
        rtp::h264::Is(type, rtp::h264::NalType::kPps)) {
      out.insert(out.end(), std::begin(rtp::h264::kStartCode), std::end(rtp::h264::kStartCode));
      out.insert(out.end(), nal.begin(), nal.end());
    }
  }
  return out;
}

Status SetExtradata(AVCodecParameters* par, std::span<const uint8_t> bytes) {
  if (bytes.empty()) return Status::Ok();
  par->extradata = static_cast<uint8_t*>(av_mallocz(bytes.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (!par->extradata) return ResourceExhaustedError("recording: out of memory for extradata");
  std::copy(bytes.begin(), bytes.end(), par->extradata);
  par->extradata_size = static_cast<int>(bytes.size());
  return Status::Ok();
}

std::string Seconds(int64_t us) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", static_cast<double>(us) / 1e6);
  return text;
}

class LibavMuxer final : public AvMuxer {
 public:
  LibavMuxer(const AvMuxerConfig& config, ByteSink& sink) : config_(config), sink_(sink) {}
  ~LibavMuxer() override { (void)Close(); }

  Status Init() {
    AVFormatContext* raw = nullptr;
    const int err =
        avformat_alloc_output_context2(&raw, nullptr, config_.container.c_str(), nullptr);
    if (err < 0 || !raw) {
      return InternalError("recording: cannot make a " + config_.container +
                           " muxer: " + deps::AvErrorText(err));
    }
    fmt_.reset(raw);
    auto* buffer = static_cast<unsigned char*>(av_malloc(kAvioBufferBytes));
    if (!buffer) return ResourceExhaustedError("recording: out of memory for the output buffer");
    fmt_->pb = avio_alloc_context(buffer, kAvioBufferBytes, /*write_flag=*/1, this, nullptr,
                                  &LibavMuxer::WriteCallback, nullptr);
    if (!fmt_->pb) {
      av_free(buffer);
      return ResourceExhaustedError("recording: out of memory for the output context");
    }
    // Not seekable: the sink only appends (encrypted chunks), so nothing is patched afterwards.
    fmt_->pb->seekable = 0;
    fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
    return Status::Ok();
  }

  Status WriteVideo(std::span<const uint8_t> frame, bool keyframe, int64_t time_us, int width,
                    int height) override {
    if (!status_.ok()) return status_;
    if (closed_) return FailedPreconditionError("recording: the muxer is closed");
    if (!config_.video_codec) return Status::Ok();
    if (!header_written_) {
      if (!keyframe) {
        ++stats_.dropped_before_start;
        return Status::Ok();
      }
      origin_us_ = time_us;
      TESSERA_RETURN_IF_ERROR(Fail(WriteHeader(frame, width, height)));
      // Audio that arrived earlier but belongs at or after the picture's time.
      auto held = std::move(pre_start_audio_);
      for (auto& [t, bytes] : held) {
        if (t < origin_us_) {
          ++stats_.dropped_before_start;
          continue;
        }
        TESSERA_RETURN_IF_ERROR(WriteAudio(bytes, t));
      }
    }
    const int64_t ts = time_us - origin_us_;
    if (ts < 0 || (last_video_ts_ && ts <= *last_video_ts_)) {
      ++stats_.dropped_not_monotonic;
      return Status::Ok();
    }
    CheckGap(ts);
    if (video_needs_keyframe_) {
      if (!keyframe) {
        ++stats_.dropped_waiting_keyframe;
        return Status::Ok();
      }
      video_needs_keyframe_ = false;
    }
    last_video_ts_ = ts;
    ++stats_.video_frames;
    return Fail(Enqueue(video_index_, frame, ts, 0, keyframe));
  }

  Status WriteAudio(std::span<const uint8_t> opus, int64_t time_us) override {
    if (!status_.ok()) return status_;
    if (closed_) return FailedPreconditionError("recording: the muxer is closed");
    const std::optional<int64_t> duration = OpusPacketDurationUs(opus);
    if (!duration) {
      ++stats_.dropped_not_monotonic;  // malformed: the session checked it; never expected here
      return Status::Ok();
    }
    if (!header_written_) {
      if (config_.video_codec) {
        pre_start_audio_.emplace_back(time_us, std::vector<uint8_t>(opus.begin(), opus.end()));
        while (!pre_start_audio_.empty() &&
               pre_start_audio_.front().first < time_us - kPreStartAudioUs) {
          pre_start_audio_.pop_front();
          ++stats_.dropped_before_start;
        }
        return Status::Ok();
      }
      origin_us_ = time_us;
      TESSERA_RETURN_IF_ERROR(Fail(WriteHeader({}, 0, 0)));
    }
    const int64_t ts = time_us - origin_us_;
    if (ts < 0 || (last_audio_ts_ && ts <= *last_audio_ts_)) {
      ++stats_.dropped_not_monotonic;
      return Status::Ok();
    }
    CheckGap(ts);
    last_audio_ts_ = ts;
    ++stats_.audio_frames;
    return Fail(Enqueue(audio_index_, opus, ts, *duration, true));
  }

  // Each reason once, in the order they came: the first is usually the cause (the MCU refused
  // connections), the later ones what followed from it (no media).
  void NoteGapReason(std::string reason) override {
    if (reason.empty() || gap_reason_.find(reason) != std::string::npos) return;
    gap_reason_ += (gap_reason_.empty() ? "" : "; ") + reason;
  }

  Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    if (header_written_ && status_.ok()) {
      while (!queue_.empty() && status_.ok()) (void)Fail(WriteFront());
      if (status_.ok()) {
        const int err = av_write_trailer(fmt_.get());
        if (err < 0)
          (void)Fail(UnavailableError("recording: cannot write the container's end: " +
                                      deps::AvErrorText(err)));
      }
      if (status_.ok()) avio_flush(fmt_->pb);
    } else if (!header_written_) {
      spdlog::warn("recording holds no media: {}",
                   config_.video_codec ? "no video keyframe arrived" : "no audio arrived");
    }
    queue_.clear();
    fmt_.reset();
    Status closed = sink_.Close();
    if (status_.ok() && !closed.ok()) status_ = closed;
    return status_;
  }

  const MuxerStats& stats() const override { return stats_; }
  const std::vector<GapRecord>& gaps() const override { return gaps_; }
  bool started() const override { return header_written_; }

 private:
  struct Queued {
    int64_t ts = 0;  // timeline microseconds
    deps::AvPacketPtr packet;
  };

#if LIBAVFORMAT_VERSION_MAJOR >= 61
  static int WriteCallback(void* opaque, const uint8_t* buf, int size) {
#else
  static int WriteCallback(void* opaque, uint8_t* buf, int size) {
#endif
    auto* self = static_cast<LibavMuxer*>(opaque);
    Status s = self->sink_.Write(std::span<const uint8_t>(buf, static_cast<size_t>(size)));
    if (!s.ok()) {
      if (self->status_.ok()) self->status_ = s;
      return AVERROR(EIO);
    }
    self->stats_.bytes_written += static_cast<uint64_t>(size);
    self->unflushed_ = true;
    return size;
  }

  // Keeps the first error: after it the recording is over.
  Status Fail(Status s) {
    if (!s.ok() && status_.ok()) {
      status_ = s;
      spdlog::error("recording: {}", s.message());
    }
    return status_.ok() ? s : status_;
  }

  Status WriteHeader(std::span<const uint8_t> keyframe, int width, int height) {
    const bool mkv = config_.container != "mp4";
    if (config_.video_codec) {
      AVStream* st = avformat_new_stream(fmt_.get(), nullptr);
      if (!st) return ResourceExhaustedError("recording: cannot add the video track");
      video_index_ = st->index;
      st->time_base = mkv ? AVRational{1, 1000} : AVRational{1, 90000};
      AVCodecParameters* par = st->codecpar;
      par->codec_type = AVMEDIA_TYPE_VIDEO;
      par->codec_id =
          *config_.video_codec == rtp::Codec::kH264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_VP8;
      par->width = width;
      par->height = height;
      if (*config_.video_codec == rtp::Codec::kH264) {
        TESSERA_RETURN_IF_ERROR(SetExtradata(par, H264ParameterSets(keyframe)));
      }
    }
    {
      AVStream* st = avformat_new_stream(fmt_.get(), nullptr);
      if (!st) return ResourceExhaustedError("recording: cannot add the audio track");
      audio_index_ = st->index;
      st->time_base = mkv ? AVRational{1, 1000} : AVRational{1, 48000};
      AVCodecParameters* par = st->codecpar;
      par->codec_type = AVMEDIA_TYPE_AUDIO;
      par->codec_id = AV_CODEC_ID_OPUS;
      par->sample_rate = 48000;
      av_channel_layout_default(&par->ch_layout, config_.audio_channels);
      par->initial_padding = kOpusPreSkip;  // Matroska's CodecDelay, MP4's edit list
      TESSERA_RETURN_IF_ERROR(SetExtradata(par, OpusHead(config_.audio_channels)));
    }
    if (mkv) {
      AVStream* st = avformat_new_stream(fmt_.get(), nullptr);
      if (!st) return ResourceExhaustedError("recording: cannot add the gaps track");
      gap_index_ = st->index;
      st->time_base = AVRational{1, 1000};
      st->codecpar->codec_type = AVMEDIA_TYPE_SUBTITLE;
      st->codecpar->codec_id = AV_CODEC_ID_SUBRIP;
      st->disposition = 0;  // not shown by default
      av_dict_set(&st->metadata, "title", "recording gaps", 0);
    }
    AVDictionary* opts = nullptr;
    const std::string cluster_ms = std::to_string(std::max<int64_t>(config_.cluster_us / 1000, 1));
    if (mkv) {
      av_dict_set(&opts, "cluster_time_limit", cluster_ms.c_str(), 0);
      av_dict_set(&opts, "cluster_size_limit", "4000000", 0);
      av_dict_set(&opts, "live", "1", 0);  // no cues or seeks: the sink only appends
    } else {
      // Fragmented: each fragment is playable once written; a fragment at least every
      // cluster_us even without a keyframe.
      av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
      av_dict_set(&opts, "frag_duration", std::to_string(config_.cluster_us).c_str(), 0);
    }
    const int err = avformat_write_header(fmt_.get(), &opts);
    av_dict_free(&opts);
    if (err < 0) {
      return UnavailableError("recording: cannot write the container's header: " +
                              deps::AvErrorText(err));
    }
    header_written_ = true;
    TESSERA_RETURN_IF_ERROR(FlushSink());
    spdlog::info("recording started: {} {}{}{}x{} + opus/{}ch", config_.container,
                 config_.video_codec ? rtp::CodecName(*config_.video_codec) : "no video ",
                 config_.video_codec ? " " : "", width, height, config_.audio_channels);
    return Status::Ok();
  }

  // A step of the whole timeline (every stream) over the threshold is a gap.
  void CheckGap(int64_t ts) {
    if (last_media_ts_ && ts > *last_media_ts_ + config_.gap_threshold_us) {
      GapRecord gap{*last_media_ts_, ts, gap_reason_.empty() ? "no media" : gap_reason_};
      spdlog::warn("recording: gap from {} s to {} s ({}): the timeline jumps over it",
                   Seconds(gap.from_us), Seconds(gap.to_us), gap.reason);
      gap_reason_.clear();
      if (config_.video_codec) video_needs_keyframe_ = true;
      if (gap_index_ >= 0) {
        const std::string text =
            "gap " + Seconds(gap.from_us) + "-" + Seconds(gap.to_us) + " s: " + gap.reason;
        const auto bytes =
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size());
        (void)Fail(Enqueue(gap_index_, bytes, gap.from_us, gap.to_us - gap.from_us, true));
      }
      gaps_.push_back(std::move(gap));
    }
    if (!last_media_ts_ || ts > *last_media_ts_) last_media_ts_ = ts;
  }

  Status Enqueue(int stream, std::span<const uint8_t> bytes, int64_t ts, int64_t duration,
                 bool key) {
    deps::AvPacketPtr pkt(av_packet_alloc());
    if (!pkt || av_new_packet(pkt.get(), static_cast<int>(bytes.size())) < 0) {
      return ResourceExhaustedError("recording: out of memory for a packet");
    }
    std::copy(bytes.begin(), bytes.end(), pkt->data);
    pkt->stream_index = stream;
    pkt->pts = pkt->dts = ts;
    pkt->duration = duration;
    if (key) pkt->flags |= AV_PKT_FLAG_KEY;
    auto at = std::upper_bound(queue_.begin(), queue_.end(), ts,
                               [](int64_t t, const Queued& q) { return t < q.ts; });
    queue_.insert(at, Queued{ts, std::move(pkt)});
    newest_ts_ = std::max(newest_ts_, ts);
    while (!queue_.empty() && queue_.front().ts <= newest_ts_ - kInterleaveWindowUs) {
      TESSERA_RETURN_IF_ERROR(WriteFront());
    }
    return Status::Ok();
  }

  Status WriteFront() {
    deps::AvPacketPtr pkt = std::move(queue_.front().packet);
    queue_.pop_front();
    AVStream* st = fmt_->streams[pkt->stream_index];
    av_packet_rescale_ts(pkt.get(), kMicros, st->time_base);
    const int err = av_write_frame(fmt_.get(), pkt.get());
    if (err < 0) {
      return UnavailableError("recording: cannot write a packet: " + deps::AvErrorText(err));
    }
    // The muxer hands bytes to the AVIO only when it closes a cluster or fragment: bytes that
    // came out of this packet mean one ended, and the sink seals it.
    avio_flush(fmt_->pb);
    return FlushSink();
  }

  Status FlushSink() {
    avio_flush(fmt_->pb);
    if (!status_.ok()) return status_;
    if (!unflushed_) return Status::Ok();
    unflushed_ = false;
    ++stats_.flushes;
    return sink_.Flush();
  }

  const AvMuxerConfig config_;
  ByteSink& sink_;
  CustomOutputPtr fmt_;
  Status status_;
  bool header_written_ = false;
  bool closed_ = false;
  bool unflushed_ = false;
  int video_index_ = -1;
  int audio_index_ = -1;
  int gap_index_ = -1;
  int64_t origin_us_ = 0;
  std::optional<int64_t> last_video_ts_;
  std::optional<int64_t> last_audio_ts_;
  std::optional<int64_t> last_media_ts_;
  bool video_needs_keyframe_ = false;
  std::string gap_reason_;
  std::deque<std::pair<int64_t, std::vector<uint8_t>>> pre_start_audio_;
  std::deque<Queued> queue_;  // by timeline time, oldest first
  int64_t newest_ts_ = 0;
  MuxerStats stats_;
  std::vector<GapRecord> gaps_;
};

}  // namespace

std::optional<int64_t> OpusPacketDurationUs(std::span<const uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  const uint8_t toc = packet[0];
  const int config = toc >> 3;
  // Frame sizes in units of 2.5 ms (RFC 6716 3.1, table 2).
  int frame_units;
  if (config < 12) {
    static constexpr std::array<int, 4> kSilk = {4, 8, 16, 24};  // 10, 20, 40, 60 ms
    frame_units = kSilk[config % 4];
  } else if (config < 16) {
    frame_units = config % 2 == 0 ? 4 : 8;  // hybrid: 10, 20 ms
  } else {
    static constexpr std::array<int, 4> kCelt = {1, 2, 4, 8};  // 2.5, 5, 10, 20 ms
    frame_units = kCelt[config % 4];
  }
  int frames;
  switch (toc & 0x3) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (packet.size() < 2) return std::nullopt;
      frames = packet[1] & 0x3f;
      break;
  }
  const int64_t us = int64_t{frames} * frame_units * 2500;
  if (frames == 0 || us > 120'000) return std::nullopt;  // RFC 6716 3.2.5: at most 120 ms
  return us;
}

StatusOr<std::unique_ptr<AvMuxer>> AvMuxer::Create(const AvMuxerConfig& config, ByteSink& sink) {
  if (config.container != "matroska" && config.container != "mp4") {
    return InvalidArgumentError("recording: container '" + config.container +
                                "' is not supported (use matroska or mp4)");
  }
  if (config.video_codec && *config.video_codec != rtp::Codec::kH264 &&
      *config.video_codec != rtp::Codec::kVp8) {
    return InvalidArgumentError(std::string("recording: video codec ") +
                                rtp::CodecName(*config.video_codec) +
                                " is not supported (use H264 or VP8)");
  }
  if (config.audio_channels != 1 && config.audio_channels != 2) {
    return InvalidArgumentError("recording: audio_channels must be 1 or 2");
  }
  auto muxer = std::make_unique<LibavMuxer>(config, sink);
  TESSERA_RETURN_IF_ERROR(muxer->Init());
  return std::unique_ptr<AvMuxer>(std::move(muxer));
}

}  // namespace tessera::recorder
