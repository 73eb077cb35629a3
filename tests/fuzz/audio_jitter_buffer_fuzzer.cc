// Drives AudioJitterBuffer with a stream of operations read from the input and checks, inside
// the target, that no packet is played twice and that frames come out in timestamp order
// (abort() otherwise).
//
// Input: a header byte (max_packets = 1 + byte % 64), then operations, op byte % 4:
//   0, 1: insert; a sequence step byte (int8) and a timestamp byte: % 4 = 0: +20 ms, 1: +40 ms,
//         2: + int8 * 1 ms, 3: four random bytes
//   2: advance the clock by 1 ms * byte
//   3: pull (then advance the clock by the result's duration)
// Every payload records the packet's insert number and its unwrapped timestamp.

#include <tessera/base/clock.h>
#include <tessera/rtp/audio_jitter_buffer.h>
#include <tessera/rtp/seq_num_unwrapper.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "fuzz_input.h"

namespace {

using tessera::FakeClock;
using tessera::rtp::AudioJitterBuffer;
using tessera::rtp::AudioJitterConfig;
using tessera::rtp::AudioPull;
using tessera::rtp::TimestampUnwrapper;

void Check(bool ok) {
  if (!ok) abort();
}

using tessera::fuzz::Input;

std::vector<uint8_t> Encode(uint64_t id, int64_t unwrapped_ts) {
  std::vector<uint8_t> out(16);
  std::memcpy(out.data(), &id, 8);
  std::memcpy(out.data() + 8, &unwrapped_ts, 8);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(std::span<const uint8_t>(data, size));
  AudioJitterConfig config;
  config.max_packets = 1 + in.Byte() % 64;
  FakeClock clock;
  AudioJitterBuffer jb(config, clock);
  TimestampUnwrapper mirror;  // sees the same timestamps in the same order as the buffer

  uint16_t seq = 0;
  uint32_t ts = 0;
  uint64_t next_id = 0;
  std::set<uint64_t> played;
  std::optional<int64_t> last_ts;
  uint64_t resets = 0;
  int ops = 0;
  while (!in.empty() && ops++ < 20'000) {
    const uint8_t op = in.Byte() % 4;
    if (op <= 1) {
      seq = static_cast<uint16_t>(seq + static_cast<int8_t>(in.Byte()));
      const uint8_t mode = in.Byte();
      switch (mode % 4) {
        case 0:
          ts += 960;
          break;
        case 1:
          ts += 1920;
          break;
        case 2:
          ts += static_cast<uint32_t>(static_cast<int8_t>(mode) * 48);
          break;
        default:
          ts = in.U32();
          break;
      }
      const int64_t unwrapped = mirror.Unwrap(ts);
      jb.Insert(seq, ts, Encode(next_id++, unwrapped), clock.NowUs());
    } else if (op == 2) {
      clock.AdvanceMs(in.Byte());
    } else {
      const AudioPull pull = jb.Pull(clock.NowUs());
      if (jb.stats().resets != resets) {
        resets = jb.stats().resets;
        last_ts.reset();
      }
      Check(pull.ticks >= 0 && pull.samples > 0);
      if (pull.kind == AudioPull::Kind::kFrame) {
        Check(pull.payload.size() == 16);
        uint64_t id = 0;
        int64_t frame_ts = 0;
        std::memcpy(&id, pull.payload.data(), 8);
        std::memcpy(&frame_ts, pull.payload.data() + 8, 8);
        Check(id < next_id);
        Check(played.insert(id).second);         // never twice
        Check(!last_ts || frame_ts > *last_ts);  // timestamp order
        Check(pull.rtp_timestamp == static_cast<uint32_t>(frame_ts));
        last_ts = frame_ts;
      } else {
        Check(pull.payload.empty());
      }
      if (pull.next_payload) Check(pull.next_payload->size() == 16);
      clock.AdvanceUs(static_cast<int64_t>(pull.samples) * 1'000'000 / config.clock_rate);
    }
  }
  Check(jb.size() <= config.max_packets);
  return 0;
}
