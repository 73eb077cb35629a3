#include <spdlog/spdlog.h>
#include <tessera/codec/frame_recorder.h>
#include <tessera/rtp/av1_bitstream.h>
#include <tessera/rtp/h264_bitstream.h>
#include <tessera/rtp/seq_num_unwrapper.h>

#include <optional>
#include <span>
#include <vector>

#include "deps/ffmpeg.h"

namespace tessera::codec {
namespace {

// Collects the SPS and PPS NAL units (with start codes) of an Annex B frame: what an H.264 track
// needs as extradata before its header can be written.
std::vector<uint8_t> H264ParameterSets(std::span<const uint8_t> annexb) {
  std::vector<uint8_t> out;
  for (auto nal : rtp::h264::SplitAnnexB(annexb)) {
    const auto type = rtp::h264::NalTypeOf(nal[0]);
    if (rtp::h264::Is(type, rtp::h264::NalType::kSps) ||
        rtp::h264::Is(type, rtp::h264::NalType::kPps)) {
      out.insert(out.end(), std::begin(rtp::h264::kStartCode), std::end(rtp::h264::kStartCode));
      out.insert(out.end(), nal.begin(), nal.end());
    }
  }
  return out;
}

// An AV1 temporal unit's sequence header OBUs, in the low overhead format: the codec private data
// from which the muxers write the av1C configuration.
std::vector<uint8_t> Av1SequenceHeaders(std::span<const uint8_t> temporal_unit) {
  std::vector<uint8_t> out;
  for (const rtp::av1::Obu& obu : rtp::av1::SplitObus(temporal_unit)) {
    if (obu.header.type == rtp::av1::ObuType::kSequenceHeader) {
      rtp::av1::AppendObu(obu.header_bytes, obu.payload, out);
    }
  }
  return out;
}

class LibavRecorder : public FrameRecorder {
 public:
  LibavRecorder(std::string path, rtp::Codec codec, deps::AvOutputFormatPtr fmt)
      : path_(std::move(path)), codec_(codec), fmt_(std::move(fmt)) {}
  ~LibavRecorder() override { (void)Close(); }

  Status Write(const rtp::EncodedFrame& frame) override {
    if (closed_) return FailedPreconditionError(path_ + ": recorder is closed");
    if (!header_written_) {
      if (!frame.keyframe) {
        ++skipped_;
        return Status::Ok();
      }
      TESSERA_RETURN_IF_ERROR(WriteHeader(frame));
    }
    const int64_t ts = unwrapper_.Unwrap(frame.rtp_timestamp);
    if (!first_ts_) first_ts_ = ts;
    const int64_t pts90k = ts - *first_ts_;
    if (last_pts90k_ && pts90k <= *last_pts90k_) {
      ++skipped_;
      return Status::Ok();
    }
    last_pts90k_ = pts90k;

    deps::AvPacketPtr pkt(av_packet_alloc());
    if (!pkt || av_new_packet(pkt.get(), static_cast<int>(frame.data.size())) < 0) {
      return ResourceExhaustedError("out of memory for a packet");
    }
    std::copy(frame.data.begin(), frame.data.end(), pkt->data);
    pkt->pts = pkt->dts = pts90k;  // rescaled to the stream's time base when written
    pkt->stream_index = 0;
    if (frame.keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
    // Each frame is written when the next one arrives, so that its duration is known and every
    // fragment's length is exact rather than estimated.
    Status status = Status::Ok();
    if (pending_) status = WritePending(pts90k - pending_->pts);
    pending_ = std::move(pkt);
    return status;
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    Status status;
    if (header_written_) {
      if (pending_) status = WritePending(last_duration90k_);
      const int err = av_write_trailer(fmt_.get());
      if (err < 0) status = UnavailableError(path_ + ": trailer: " + deps::AvErrorText(err));
    } else {
      spdlog::warn("recording {} holds no frames: no keyframe arrived", path_);
    }
    fmt_.reset();
    return status;
  }

  uint64_t frames_written() const override { return written_; }
  uint64_t frames_skipped() const override { return skipped_; }

 private:
  Status WritePending(int64_t duration90k) {
    deps::AvPacketPtr pkt = std::move(pending_);
    last_duration90k_ = duration90k;
    const AVRational tb = fmt_->streams[0]->time_base;
    pkt->duration = av_rescale_q(duration90k, AVRational{1, 90000}, tb);
    pkt->pts = pkt->dts = av_rescale_q(pkt->pts, AVRational{1, 90000}, tb);
    const int err = av_write_frame(fmt_.get(), pkt.get());
    if (err < 0) return UnavailableError(path_ + ": write failed: " + deps::AvErrorText(err));
    ++written_;
    return Status::Ok();
  }

  Status WriteHeader(const rtp::EncodedFrame& frame) {
    AVStream* st = avformat_new_stream(fmt_.get(), nullptr);
    if (!st) return ResourceExhaustedError("cannot add a stream");
    st->time_base = AVRational{1, 90000};
    AVCodecParameters* par = st->codecpar;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = codec_ == rtp::Codec::kH264  ? AV_CODEC_ID_H264
                    : codec_ == rtp::Codec::kVp9 ? AV_CODEC_ID_VP9
                    : codec_ == rtp::Codec::kAv1 ? AV_CODEC_ID_AV1
                                                 : AV_CODEC_ID_VP8;
    par->width = frame.width;
    par->height = frame.height;
    if (codec_ == rtp::Codec::kH264 || codec_ == rtp::Codec::kAv1) {
      std::vector<uint8_t> ps = codec_ == rtp::Codec::kH264 ? H264ParameterSets(frame.data)
                                                            : Av1SequenceHeaders(frame.data);
      if (!ps.empty()) {
        par->extradata =
            static_cast<uint8_t*>(av_mallocz(ps.size() + AV_INPUT_BUFFER_PADDING_SIZE));
        if (!par->extradata) return ResourceExhaustedError("out of memory for extradata");
        std::copy(ps.begin(), ps.end(), par->extradata);
        par->extradata_size = static_cast<int>(ps.size());
      }
    }
    AVDictionary* opts = nullptr;
    if (std::string(fmt_->oformat->name) == "mp4") {
      // Fragmented: every keyframe starts a fragment that is playable on its own.
      av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
    }
    const int err = avformat_write_header(fmt_.get(), &opts);
    av_dict_free(&opts);
    if (err < 0) return UnavailableError(path_ + ": header: " + deps::AvErrorText(err));
    header_written_ = true;
    spdlog::info("recording {} started: {} {}x{}", path_, rtp::CodecName(codec_), frame.width,
                 frame.height);
    return Status::Ok();
  }

  std::string path_;
  rtp::Codec codec_;
  deps::AvOutputFormatPtr fmt_;
  bool header_written_ = false;
  bool closed_ = false;
  rtp::TimestampUnwrapper unwrapper_;
  std::optional<int64_t> first_ts_;
  std::optional<int64_t> last_pts90k_;
  deps::AvPacketPtr pending_;  // the newest frame, pts in 90 kHz, written with the next
  int64_t last_duration90k_ = 3000;
  uint64_t written_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace

StatusOr<std::unique_ptr<FrameRecorder>> FrameRecorder::Create(const std::string& path,
                                                               rtp::Codec codec) {
  if (rtp::KindOf(codec) != rtp::MediaKind::kVideo) {
    return InvalidArgumentError(std::string("cannot record codec ") + rtp::CodecName(codec));
  }
  const AVOutputFormat* ofmt = av_guess_format(nullptr, path.c_str(), nullptr);
  if (!ofmt) {
    return InvalidArgumentError(path + ": unknown container (use .mp4, .mkv or .webm)");
  }
  const std::string name = ofmt->name;
  if (name != "mp4" && name != "matroska" && name != "webm") {
    return InvalidArgumentError(path + ": container '" + name +
                                "' is not supported (use .mp4, .mkv or .webm)");
  }
  if (name == "webm" && codec != rtp::Codec::kVp8 && codec != rtp::Codec::kVp9 &&
      codec != rtp::Codec::kAv1) {
    return InvalidArgumentError(path + ": WebM holds VP8, VP9 or AV1, not " +
                                rtp::CodecName(codec));
  }
  if (name == "mp4" && codec == rtp::Codec::kAv1) {
    return InvalidArgumentError(path + ": AV1 is recorded to .mkv or .webm");
  }
  AVFormatContext* raw = nullptr;
  int err = avformat_alloc_output_context2(&raw, ofmt, nullptr, path.c_str());
  if (err < 0 || !raw) return InternalError(path + ": " + deps::AvErrorText(err));
  deps::AvOutputFormatPtr fmt(raw);
  err = avio_open(&fmt->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (err < 0)
    return UnavailableError(path + ": cannot open for writing: " + deps::AvErrorText(err));
  return std::unique_ptr<FrameRecorder>(new LibavRecorder(path, codec, std::move(fmt)));
}

}  // namespace tessera::codec
