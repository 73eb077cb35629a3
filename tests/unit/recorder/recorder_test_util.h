// Shared by the recorder's tests: a ByteSink in memory, and a demuxer that reads its bytes back
// through libavformat (custom AVIO from memory, as a player of a decrypted recording would).
#pragma once

#include <tessera/recorder/byte_sink.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "deps/ffmpeg.h"
#include "unit/rtp/h264_test_data.h"

namespace tessera::recorder::testing {

struct MemoryBytes {
  std::vector<uint8_t> bytes;
  size_t flushed = 0;  // bytes sealed by the last Flush
  int flushes = 0;
  bool closed = false;
};

class MemorySink : public ByteSink {
 public:
  explicit MemorySink(std::shared_ptr<MemoryBytes> out) : out_(std::move(out)) {}
  Status Write(std::span<const uint8_t> bytes) override {
    if (out_->closed) return FailedPreconditionError("sink closed");
    out_->bytes.insert(out_->bytes.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }
  Status Flush() override {
    out_->flushed = out_->bytes.size();
    ++out_->flushes;
    return Status::Ok();
  }
  Status Close() override {
    out_->closed = true;
    out_->flushed = out_->bytes.size();
    return Status::Ok();
  }

 private:
  std::shared_ptr<MemoryBytes> out_;
};

struct DemuxedStream {
  AVMediaType type = AVMEDIA_TYPE_UNKNOWN;
  AVCodecID codec = AV_CODEC_ID_NONE;
  int extradata_size = 0;
  std::vector<int64_t> pts_us;
  std::vector<bool> keyframes;
  std::vector<std::string> texts;  // subtitle packets
};

struct Demuxed {
  bool opened = false;
  std::vector<DemuxedStream> streams;
  const DemuxedStream* Find(AVMediaType type) const {
    for (const auto& s : streams) {
      if (s.type == type) return &s;
    }
    return nullptr;
  }
};

struct MemoryReader {
  std::span<const uint8_t> data;
  size_t pos = 0;
  static int Read(void* opaque, uint8_t* buf, int size) {
    auto* r = static_cast<MemoryReader*>(opaque);
    const size_t n = std::min(static_cast<size_t>(size), r->data.size() - r->pos);
    if (n == 0) return AVERROR_EOF;
    std::memcpy(buf, r->data.data() + r->pos, n);
    r->pos += n;
    return static_cast<int>(n);
  }
};

inline Demuxed Demux(std::span<const uint8_t> bytes) {
  Demuxed d;
  MemoryReader reader{bytes, 0};
  constexpr int kBuf = 4096;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBuf));
  AVIOContext* pb =
      avio_alloc_context(buffer, kBuf, 0, &reader, &MemoryReader::Read, nullptr, nullptr);
  AVFormatContext* ctx = avformat_alloc_context();
  ctx->pb = pb;
  ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
  if (avformat_open_input(&ctx, nullptr, nullptr, nullptr) == 0) {
    d.opened = true;
    (void)avformat_find_stream_info(ctx, nullptr);
    for (unsigned i = 0; i < ctx->nb_streams; ++i) {
      DemuxedStream s;
      s.type = ctx->streams[i]->codecpar->codec_type;
      s.codec = ctx->streams[i]->codecpar->codec_id;
      s.extradata_size = ctx->streams[i]->codecpar->extradata_size;
      d.streams.push_back(s);
    }
    deps::AvPacketPtr pkt(av_packet_alloc());
    while (av_read_frame(ctx, pkt.get()) >= 0) {
      const AVRational tb = ctx->streams[pkt->stream_index]->time_base;
      DemuxedStream& s = d.streams[pkt->stream_index];
      s.pts_us.push_back(av_rescale_q(pkt->pts, tb, AVRational{1, 1'000'000}));
      s.keyframes.push_back((pkt->flags & AV_PKT_FLAG_KEY) != 0);
      if (s.type == AVMEDIA_TYPE_SUBTITLE) {
        s.texts.emplace_back(reinterpret_cast<const char*>(pkt->data), pkt->size);
      }
      av_packet_unref(pkt.get());
    }
    avformat_close_input(&ctx);
  } else {
    avformat_free_context(ctx);
  }
  av_freep(&pb->buffer);
  avio_context_free(&pb);
  return d;
}

// A synthetic H.264 frame (SPS + PPS + IDR for a keyframe, one P slice otherwise), 640x360.
inline std::vector<uint8_t> H264Frame(bool key, uint32_t seed) {
  using rtp::testing::AnnexB;
  using rtp::testing::MakeNal;
  return key ? AnnexB({rtp::testing::kSps640x360, rtp::testing::kPps, MakeNal(0x65, 900, seed)})
             : AnnexB({MakeNal(0x41, 300, seed)});
}

// A 20 ms CELT fullband Opus packet (TOC config 31, one frame) with a few payload bytes.
inline std::vector<uint8_t> OpusPacket(uint8_t seed) {
  return {0xF8, seed, static_cast<uint8_t>(seed + 1), static_cast<uint8_t>(seed + 2)};
}

}  // namespace tessera::recorder::testing
