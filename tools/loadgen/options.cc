#include "loadgen/options.h"

#include <charconv>
#include <cstdio>

namespace tessera::loadgen {
namespace {

template <typename T>
bool ToInt(const std::string& s, T& out, long long min, long long max) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

// A percentage, 0..100, with decimals.
bool ToPercent(const std::string& s, double& out) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !(v >= 0 && v <= 100)) return false;
  out = v;
  return true;
}

// "640x360@30" (the rate optional).
bool ParseVideoSize(const std::string& s, int& w, int& h, int& fps) {
  int rate = fps;
  if (std::sscanf(s.c_str(), "%dx%d@%d", &w, &h, &rate) < 2) return false;
  fps = rate;
  return w >= 64 && h >= 36 && w <= 3840 && h <= 2160 && w % 2 == 0 && h % 2 == 0 && fps >= 1 &&
         fps <= 60;
}

}  // namespace

std::string Usage() {
  return R"(usage: tessera-loadgen [options]
Starts Tessera on a generated config for M rooms x N participants (or plays an existing config
against a running server), sends looped pre-encoded video and Opus audio, decodes each room's
composite and measures per-frame latency, delivered frames, loss, and the server's CPU and RSS.

  --tessera BIN            start this server binary (e.g. build/tessera) on a generated config
  --config FILE            or play every participant of FILE against a server already running
  --api URL                or the API mode: add participants to an existing room through the
                           API of the node at URL (http://host:port), following 307s to the
                           share nodes of a cascaded room; one composite per node is decoded
  --token-file FILE        API mode: the bearer token (admin, or one that may add participants)
  --room NAME              API mode: the room (it must exist; its layout must be grid)
  --join N                 API mode: participants to add (video only, the input clip each)
  --name-prefix P          API mode: participant names P1, P2, ... (lg)
  --links-timeout S        API mode: wait this long for the primary to show every participant
                           as a tile (a share's link follows its members) (15)
  --pid PID                that server's process, for CPU and RSS
  --rooms M                rooms (1)
  --participants N         senders per room, plus one viewer (4)
  --seconds S              sending time (10); --warmup S not measured (2); --drain-ms (1000)
  --codec H264|VP8|mixed   what participants send (H264; mixed alternates)
  --input WxH@FPS          input pictures (640x360@30); --input-kbps (600)
  --output WxH@FPS         the composite (1280x720@30); --output-kbps (1500)
  --output-codec H264|VP8  (H264)
  --layout NAME            grid, speaker, presentation, pip (grid); --fit crop|letterbox (crop)
  --border PX              (2); --no-labels: no names on tiles (API mode: give the room's
                           --fit and --border, which the API does not tell)
  --no-audio               video only
  --viewer-only            participants do not receive the composite (less fan-out)
  --server-cpus LIST       CPUs the started server may use, e.g. 0-1
  --loadgen-cpus LIST      CPUs the load generator itself may use, e.g. 2-7 (keep it off the
                           server's CPUs when measuring what the server's CPUs carry)
  --capacity               search the number of rooms the server carries: runs of M = --rooms,
                           2M, 4M ... until one fails, then bisection; each on a fresh server
  --capacity-max M         never try more rooms than this (64)
  --max-skipped-pct P      pass: skipped video ticks at most P% in the worst room (1)
  --max-p99-ms MS          pass: MCU-added latency p99 at most MS over all rooms (100)
  --max-cpu-pct P          pass: server CPU at most P% of its CPUs (no limit)
  --min-delivered-pct P    pass: at least P% of input frames shown in a composite (no limit)
  --shards N               server.shards (0: one per core); --compose-threads N (1)
  --decode-threads N       load generator threads decoding composites (1)
  --ports MIN-MAX          UDP ports to use (24000-28999)
  --out-dir DIR            where the config and the server's log go (a new /tmp dir)
  --json FILE              the result (<out-dir>/result.json)
  --quiet                  no progress lines
)";
}

StatusOr<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto need = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    auto bad = [&](const std::string& why) {
      return InvalidArgumentError(flag + (value.empty() ? "" : " " + value) + ": " + why);
    };
    GenerateOptions& g = o.generate;
    if (flag == "--help" || flag == "-h") {
      o.help = true;
    } else if (flag == "--no-audio") {
      g.audio = false;
    } else if (flag == "--viewer-only") {
      g.participants_receive_video = false;
    } else if (flag == "--no-labels") {
      g.name_labels = false;
    } else if (flag == "--quiet") {
      o.progress = false;
    } else if (flag == "--capacity") {
      o.capacity = true;
    } else if (!need()) {
      return InvalidArgumentError(flag.starts_with("--") ? flag + ": needs a value"
                                                         : "unknown argument " + flag);
    } else if (flag == "--tessera") {
      o.tessera = value;
    } else if (flag == "--config") {
      o.config = value;
    } else if (flag == "--api") {
      o.api = value;
    } else if (flag == "--token-file") {
      o.token_file = value;
    } else if (flag == "--room") {
      o.api_room = value;
    } else if (flag == "--join") {
      if (!ToInt(value, o.api_join, 1, 200)) return bad("must be 1..200");
    } else if (flag == "--name-prefix") {
      if (value.empty()) return bad("must not be empty");
      o.name_prefix = value;
    } else if (flag == "--links-timeout") {
      if (!ToInt(value, o.links_timeout_s, 1, 600)) return bad("must be 1..600");
    } else if (flag == "--pid") {
      if (!ToInt(value, o.pid, 1, 1 << 30)) return bad("not a process id");
    } else if (flag == "--rooms") {
      if (!ToInt(value, g.rooms, 1, 200)) return bad("must be 1..200");
    } else if (flag == "--participants") {
      if (!ToInt(value, g.participants, 1, 25)) return bad("must be 1..25");
    } else if (flag == "--seconds") {
      if (!ToInt(value, o.engine.seconds, 1, 86400)) return bad("must be at least 1");
    } else if (flag == "--warmup") {
      if (!ToInt(value, o.engine.warmup_s, 0, 3600)) return bad("must be 0..3600");
    } else if (flag == "--drain-ms") {
      if (!ToInt(value, o.engine.drain_ms, 0, 60000)) return bad("must be 0..60000");
    } else if (flag == "--codec") {
      if (value == "H264") {
        g.input_codecs = {rtp::Codec::kH264};
      } else if (value == "VP8") {
        g.input_codecs = {rtp::Codec::kVp8};
      } else if (value == "mixed") {
        g.input_codecs = {rtp::Codec::kH264, rtp::Codec::kVp8};
      } else {
        return bad("must be H264, VP8 or mixed");
      }
    } else if (flag == "--input") {
      if (!ParseVideoSize(value, o.input_width, o.input_height, o.input_fps)) {
        return bad("must be WxH@FPS, even sizes 64x36..3840x2160, 1..60 fps");
      }
    } else if (flag == "--input-kbps") {
      if (!ToInt(value, o.input_kbps, 50, 20000)) return bad("must be 50..20000");
    } else if (flag == "--output") {
      if (!ParseVideoSize(value, g.output.width, g.output.height, g.output.fps)) {
        return bad("must be WxH@FPS, even sizes 64x36..3840x2160, 1..60 fps");
      }
    } else if (flag == "--output-kbps") {
      int kbps = 0;
      if (!ToInt(value, kbps, 50, 50000)) return bad("must be 50..50000");
      g.output.bitrate_bps = kbps * 1000;
    } else if (flag == "--output-codec") {
      if (value != "H264" && value != "VP8") return bad("must be H264 or VP8");
      g.output.codec = value == "VP8" ? rtp::Codec::kVp8 : rtp::Codec::kH264;
    } else if (flag == "--layout") {
      if (value != "grid" && value != "speaker" && value != "presentation" && value != "pip") {
        return bad("must be grid, speaker, presentation or pip");
      }
      g.layout = value;
    } else if (flag == "--fit") {
      if (value != "crop" && value != "letterbox") return bad("must be crop or letterbox");
      g.crop = value == "crop";
    } else if (flag == "--border") {
      if (!ToInt(value, g.border_px, 0, 32)) return bad("must be 0..32");
    } else if (flag == "--server-cpus") {
      o.server_cpus = value;
    } else if (flag == "--loadgen-cpus") {
      o.loadgen_cpus = value;
    } else if (flag == "--capacity-max") {
      if (!ToInt(value, o.capacity_max, 1, 200)) return bad("must be 1..200");
    } else if (flag == "--max-skipped-pct") {
      if (!ToPercent(value, o.criteria.max_skipped_pct)) return bad("must be 0..100");
    } else if (flag == "--max-p99-ms") {
      if (!ToInt(value, o.criteria.max_p99_ms, 1, 10000)) return bad("must be 1..10000");
    } else if (flag == "--max-cpu-pct") {
      if (!ToPercent(value, o.criteria.max_cpu_pct)) return bad("must be 0..100");
    } else if (flag == "--min-delivered-pct") {
      if (!ToPercent(value, o.criteria.min_delivered_pct)) return bad("must be 0..100");
    } else if (flag == "--shards") {
      if (!ToInt(value, g.shards, 0, 256)) return bad("must be 0..256");
    } else if (flag == "--compose-threads") {
      if (!ToInt(value, g.compose_threads, 1, 16)) return bad("must be 1..16");
    } else if (flag == "--decode-threads") {
      if (!ToInt(value, o.engine.decode_threads, 1, 64)) return bad("must be 1..64");
    } else if (flag == "--ports") {
      unsigned lo = 0, hi = 0;
      if (std::sscanf(value.c_str(), "%u-%u", &lo, &hi) != 2 || lo < 1024 || hi > 65535 ||
          hi < lo) {
        return bad("must be MIN-MAX within 1024-65535");
      }
      o.port_min = static_cast<uint16_t>(lo);
      o.port_max = static_cast<uint16_t>(hi);
    } else if (flag == "--out-dir") {
      o.out_dir = value;
    } else if (flag == "--json") {
      o.json_path = value;
    } else {
      return InvalidArgumentError("unknown option " + flag);
    }
  }
  if (o.help) return o;
  if (!o.api.empty()) {
    if (!o.tessera.empty() || !o.config.empty() || o.capacity || o.pid) {
      return InvalidArgumentError(
          "--api plays a room of running servers: not with --tessera, --config, --capacity or "
          "--pid");
    }
    if (o.api_room.empty() || o.api_join <= 0 || o.token_file.empty()) {
      return InvalidArgumentError("--api needs --room NAME, --join N and --token-file FILE");
    }
    if (o.engine.warmup_s >= o.engine.seconds) {
      return InvalidArgumentError("--warmup must be shorter than --seconds");
    }
    return o;
  }
  if (!o.api_room.empty() || o.api_join || !o.token_file.empty()) {
    return InvalidArgumentError("--room, --join and --token-file are for --api");
  }
  if (o.tessera.empty() == o.config.empty()) {
    return InvalidArgumentError(
        "give either --tessera BIN (start a server), --config FILE or --api URL");
  }
  if (o.capacity && o.tessera.empty()) {
    return InvalidArgumentError("--capacity needs --tessera (each step starts a fresh server)");
  }
  if (!o.config.empty() && !o.server_cpus.empty()) {
    return InvalidArgumentError("--server-cpus needs --tessera (it pins the server it starts)");
  }
  if (o.engine.warmup_s >= o.engine.seconds) {
    return InvalidArgumentError("--warmup must be shorter than --seconds");
  }
  return o;
}

}  // namespace tessera::loadgen
