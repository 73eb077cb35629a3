// Drives VideoJitterBuffer with a stream of operations read from the input and checks, inside
// the target, that released frames are well formed and in decode order (abort() otherwise).
//
// Input: a header (max_packets, max_wait, codec, first sequence number), then operations:
//   op % 8 in 0..3: packet, sequence step int8; 4: packet, sequence step int16
//     then a flags byte: bit0 frame_start, bit1 marker, bit2 keyframe, bit3 parameter sets,
//     bit4 picture size, bits5-6 timestamp (same, +3000, -3000, 4 random bytes), then a filler
//     length byte (0..7 bytes of filler follow in the payload)
//   5: padding, sequence step int8; 6: advance the clock by 2 ms * byte, then OnTimer; 7: OnTimer
// Every packet's payload records its true (unwrapped) sequence number, timestamp and flags, so
// the checker can tell which packets a frame was assembled from.

#include <tessera/base/clock.h>
#include <tessera/rtp/jitter_buffer.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <span>
#include <vector>

#include "fuzz_input.h"

namespace {

using tessera::FakeClock;
using tessera::rtp::Codec;
using tessera::rtp::EncodedFrame;
using tessera::rtp::JitterPacket;
using tessera::rtp::VideoJitterBuffer;

constexpr uint8_t kStart = 1, kMarker = 2, kKey = 4, kParams = 8, kSize = 16;
constexpr size_t kRecordHeader = 14;  // seq 8, timestamp 4, flags 1, filler length 1

void Check(bool ok) {
  if (!ok) abort();
}

using tessera::fuzz::Input;

struct Record {
  int64_t seq;
  uint32_t timestamp;
  uint8_t flags;
};

std::vector<uint8_t> Encode(const Record& r, size_t filler) {
  std::vector<uint8_t> out(kRecordHeader + filler, 0xAB);
  std::memcpy(out.data(), &r.seq, 8);
  std::memcpy(out.data() + 8, &r.timestamp, 4);
  out[12] = r.flags;
  out[13] = static_cast<uint8_t>(filler);
  return out;
}

class Checker {
 public:
  explicit Checker(Codec codec) : codec_(codec) {}

  void AddPadding(int64_t seq) { padding_.insert(seq); }

  void OnFrames(const std::vector<EncodedFrame>& frames) {
    for (const EncodedFrame& f : frames) OnFrame(f);
  }

  uint64_t emitted() const { return emitted_; }

 private:
  void OnFrame(const EncodedFrame& f) {
    std::vector<Record> records;
    for (size_t pos = 0; pos < f.data.size();) {
      Check(f.data.size() - pos >= kRecordHeader);
      Record r;
      std::memcpy(&r.seq, f.data.data() + pos, 8);
      std::memcpy(&r.timestamp, f.data.data() + pos + 8, 4);
      r.flags = f.data[pos + 12];
      pos += kRecordHeader + f.data[pos + 13];
      Check(pos <= f.data.size());
      records.push_back(r);
    }
    Check(!records.empty());
    bool keyframe = false;
    bool params = false;
    for (size_t i = 0; i < records.size(); ++i) {
      Check(records[i].seq == records[0].seq + static_cast<int64_t>(i));  // contiguous, in order
      Check(records[i].timestamp == f.rtp_timestamp);
      Check(i + 1 == records.size() || !(records[i].flags & kMarker));
      keyframe |= (records[i].flags & kKey) != 0;
      params |= (records[i].flags & kParams) != 0;
    }
    const int64_t first = records.front().seq;
    const int64_t last = records.back().seq;
    Check(records.back().flags & kMarker);
    Check(f.keyframe == keyframe);
    Check(f.codec == codec_);
    Check(f.first_seq == static_cast<uint16_t>(first));
    Check(f.last_seq == static_cast<uint16_t>(last));

    // Decode order: strictly after the previous frame, so never the same frame twice.
    if (emitted_ > 0) Check(first > last_);
    bool contiguous = emitted_ > 0 && first - last_ - 1 <= static_cast<int64_t>(padding_.size());
    for (int64_t s = last_ + 1; contiguous && s < first; ++s) contiguous = padding_.contains(s);
    // A delta frame only right after the previous frame; the first frame is a keyframe.
    if (!contiguous) {
      Check(keyframe);
      if (codec_ == Codec::kH264) Check(params || params_released_);
    }
    params_released_ |= params;
    last_ = last;
    ++emitted_;
  }

  const Codec codec_;
  std::set<int64_t> padding_;
  uint64_t emitted_ = 0;
  int64_t last_ = 0;
  bool params_released_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(std::span<const uint8_t>(data, size));
  VideoJitterBuffer::Config config;
  const uint8_t b = in.Byte();
  config.max_packets = (b & 0x80) ? 1024 : 1 + (b & 63);
  config.max_wait_us = in.Byte() * 4'000;
  const Codec codec = (in.Byte() & 1) ? Codec::kH264 : Codec::kVp8;
  FakeClock clock;
  VideoJitterBuffer jb(config, codec, clock);
  Checker checker(codec);

  // The buffer unwraps each sequence number next to the previous one; steps stay within
  // +-32767 so that this count and the buffer's agree.
  int64_t seq = in.U16();
  bool first = true;
  uint32_t timestamp = in.U32();
  int ops = 0;
  while (!in.empty() && ++ops < 20'000) {
    const uint8_t op = in.Byte();
    VideoJitterBuffer::InsertResult result;
    switch (op % 8) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {
        int64_t step = static_cast<int8_t>(in.Byte());
        if (op % 8 == 4) step = std::max<int64_t>(static_cast<int16_t>(in.U16()), -32767);
        if (!first) seq += step;
        first = false;
        const uint8_t flags = in.Byte();
        switch ((flags >> 5) & 3) {
          case 1:
            timestamp += 3000;
            break;
          case 2:
            timestamp -= 3000;
            break;
          case 3:
            timestamp = in.U32();
            break;
        }
        JitterPacket p;
        p.seq = static_cast<uint16_t>(seq);
        p.timestamp = timestamp;
        p.marker = flags & kMarker;
        p.arrival_us = clock.NowUs();
        p.payload.frame_start = flags & kStart;
        p.payload.keyframe = flags & kKey;
        p.payload.has_parameter_sets = flags & kParams;
        if (flags & kSize) {
          p.payload.width = 640;
          p.payload.height = 360;
        }
        p.payload.data = Encode({seq, timestamp, flags}, in.Byte() & 7);
        result = jb.Insert(std::move(p));
        break;
      }
      case 5: {
        const int64_t step = static_cast<int8_t>(in.Byte());
        if (!first) seq += step;
        first = false;
        checker.AddPadding(seq);
        result = jb.InsertPadding(static_cast<uint16_t>(seq), clock.NowUs());
        break;
      }
      case 6:
        clock.AdvanceMs(2 * in.Byte());
        result = jb.OnTimer();
        break;
      case 7:
        result = jb.OnTimer();
        break;
    }
    checker.OnFrames(result.frames);
    Check(jb.size() <= config.max_packets);
    Check(jb.stats().frames_emitted == checker.emitted());
    // Before the first frame is released, once a frame was dropped for want of a keyframe, one
    // must be asked for (a stream that starts with a keyframe asks for none).
    if (checker.emitted() == 0 && jb.stats().frames_dropped_undecodable > 0) {
      Check(result.keyframe_needed);
    }
  }
  return 0;
}
