// RAII for the FFmpeg C structs Tessera uses, and error-to-text.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

#include <memory>
#include <string>

namespace tessera::deps {

struct AvPacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using AvPacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;

struct AvFrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using AvFramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;

struct AvCodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
using AvCodecContextPtr = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;

// An output format context; the deleter closes the AVIO handle too.
struct AvOutputFormatDeleter {
  void operator()(AVFormatContext* f) const {
    if (!f) return;
    if (f->pb && !(f->oformat->flags & AVFMT_NOFILE)) avio_closep(&f->pb);
    avformat_free_context(f);
  }
};
using AvOutputFormatPtr = std::unique_ptr<AVFormatContext, AvOutputFormatDeleter>;

inline std::string AvErrorText(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

}  // namespace tessera::deps
