// CPU cost of one video room, in CPU-seconds per room-second: N H.264 inputs (Annex B files
// input0.h264 .. input<N-1>.h264, e.g. 640x360@30) decoded by VideoInput, composited by VideoRoom
// into one 1280x720@30 H.264 profile and packetized, on one thread and as fast as the CPU allows:
// room time is a FakeClock stepped by the room's tick interval. With --audio 1 the room's audio
// half runs too: N Opus inputs (Ogg files input0.opus ..., 20 ms packets) go into an AudioRoom
// that is ticked every 20 ms of room time (jitter buffers, decode, mix-minus, one Opus encode per
// distinct mix). benches/room_cost.py runs it next to the ffmpeg CLI doing the same job on the
// same files.
//
// Not a Google Benchmark: one run, one JSON line on stdout. The files are split into access units
// (libavcodec's H.264 parser) before the clock starts. After the room run, a second pass does the
// same work with the bare components (VideoDecoder, CpuCompositor, VideoEncoder) and times each
// phase with the thread's CPU clock, for the breakdown.
//
// With --simulcast 1 each input is a simulcast publisher instead (benches/simulcast_cost.py): three
// layers of one camera, input<i>_q.h264, _h.h264 and _f.h264 (320x180, 640x360, 1280x720), sent
// as RTP packets named by the rid extension; a session::SimulcastSelector per input, told its
// tile by the room as VideoLeg is, lets only the layer that covers the tile on to the decoder, as
// the server does. The packetizing and the selector's verdicts of every layer's packets count in
// the decode phase (what the server also does with every packet before the selector: SRTP, the
// RTP parse, is not run here). No breakdown in that mode.
//
//   room_cost --inputs DIR [--count 9] [--bitrate 1500000] [--labels 0|1] [--frames N]
//             [--breakdown 0|1] [--audio 0|1] [--simulcast 0|1]

#include <sys/resource.h>
#include <tessera/base/clock.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtp_packet.h>
#include <tessera/session/audio_room.h>
#include <tessera/session/video_input.h>
#include <tessera/session/video_room.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "deps/ffmpeg.h"
#include "session/simulcast_selector.h"

namespace {

using tessera::FakeClock;
namespace codec = tessera::codec;
namespace mixer = tessera::mixer;
namespace rtp = tessera::rtp;
namespace session = tessera::session;

constexpr int kWidth = 1280;
constexpr int kHeight = 720;
constexpr int kFps = 30;

struct Args {
  std::string inputs;
  int count = 9;
  int bitrate_bps = 1'500'000;
  bool labels = false;  // participants' names on video tiles (the ffmpeg job draws none)
  int frames = 0;       // 0: as many as every input has
  bool breakdown = true;
  bool audio = false;      // also run the audio room on input<i>.opus
  bool simulcast = false;  // input<i>_{q,h,f}.h264, one layer decoded (see the top)
};

std::optional<Args> ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--inputs") {
      a.inputs = value;
    } else if (key == "--count") {
      a.count = std::atoi(value);
    } else if (key == "--bitrate") {
      a.bitrate_bps = std::atoi(value);
    } else if (key == "--labels") {
      a.labels = std::atoi(value) != 0;
    } else if (key == "--frames") {
      a.frames = std::atoi(value);
    } else if (key == "--breakdown") {
      a.breakdown = std::atoi(value) != 0;
    } else if (key == "--audio") {
      a.audio = std::atoi(value) != 0;
    } else if (key == "--simulcast") {
      a.simulcast = std::atoi(value) != 0;
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || a.inputs.empty() || a.count < 1 || a.count > 25) return std::nullopt;
  return a;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double ClockSeconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
double ThreadCpuSeconds() { return ClockSeconds(CLOCK_THREAD_CPUTIME_ID); }
double WallSeconds() { return ClockSeconds(CLOCK_MONOTONIC); }

struct AccessUnit {
  std::vector<uint8_t> data;
  bool keyframe = false;
};

struct RoomResult {
  double cpu_s = 0;
  double wall_s = 0;
  double decode_cpu_s = 0;  // this thread, inside VideoInput::Decode
  double tick_cpu_s = 0;    // this thread, inside VideoRoom::Tick
  double audio_cpu_s = 0;   // this thread, in AudioRoom::OnRtp and AudioRoom::Tick
  uint64_t audio_ticks = 0;
  uint64_t audio_outputs = 0;  // encoded audio payloads sent, over all ticks
  uint64_t audio_encodes = 0;  // Opus encodes (one per distinct mix and tick)
  uint64_t encodes = 0;
  uint64_t bytes = 0;
  uint64_t decoded = 0;
  uint64_t decode_errors = 0;
  int64_t step_us = 0;
  std::vector<uint64_t> layer_frames;  // --simulcast: access units decoded, per layer
  uint64_t skipped_packets = 0;        // --simulcast: other layers' packets, not decoded
  uint64_t layer_switches = 0;
};

const std::vector<std::string> kLayers = {"q", "h", "f"};
constexpr uint8_t kRidExtensionId = 10;

// One simulcast publisher of --simulcast 1: its layers' access units, sent as RTP each frame.
struct SimulcastInput {
  std::vector<std::vector<AccessUnit>> layers;  // kLayers' order
  std::unique_ptr<session::SimulcastSelector> selector;
  std::vector<uint16_t> seq;
  std::pair<int, int> tile{0, 0};
};

// Frame k of publisher i as its layers' RTP packets through its selector: the access unit of the
// layer it lets through (nullptr: none this frame).
const AccessUnit* SelectLayer(SimulcastInput& in, uint32_t id, int k, int64_t now_us,
                              rtp::Packetizer& packetizer, RoomResult& r) {
  const AccessUnit* chosen = nullptr;
  for (size_t l = 0; l < in.layers.size(); ++l) {
    const AccessUnit& au = in.layers[l][static_cast<size_t>(k)];
    const auto payloads = packetizer.Packetize(au.data, au.keyframe);
    const std::vector<rtp::ExtensionElement> ext = {
        {kRidExtensionId, {kLayers[l].begin(), kLayers[l].end()}}};
    for (size_t j = 0; j < payloads.size(); ++j) {
      rtp::RtpHeader h;
      h.payload_type = 96;
      h.ssrc = id * 16 + static_cast<uint32_t>(l);
      h.sequence_number = in.seq[l]++;
      h.timestamp = static_cast<uint32_t>(k * (90'000 / kFps));
      h.marker = j + 1 == payloads.size();
      const auto d =
          in.selector->OnPacket(rtp::RtpPacket::Build(h, ext, payloads[j]), false, now_us);
      if (d.verdict == session::SimulcastSelector::Verdict::kDecode && j == 0) {
        chosen = &au;
        ++r.layer_frames[l];
      }
    }
  }
  return chosen;
}

// Splits an Annex B elementary stream into access units; nullopt when the file cannot be read.
std::optional<std::vector<AccessUnit>> ReadAccessUnits(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::vector<uint8_t> stream((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
  const size_t size = stream.size();
  stream.resize(size + AV_INPUT_BUFFER_PADDING_SIZE, 0);  // the parser may read past the end

  AVCodecParserContext* parser = av_parser_init(AV_CODEC_ID_H264);
  tessera::deps::AvCodecContextPtr ctx(
      avcodec_alloc_context3(avcodec_find_decoder(AV_CODEC_ID_H264)));
  if (!parser || !ctx) return std::nullopt;
  std::vector<AccessUnit> units;
  size_t pos = 0;
  for (;;) {
    const bool flush = pos >= size;
    uint8_t* out = nullptr;
    int out_size = 0;
    const int used = av_parser_parse2(
        parser, ctx.get(), &out, &out_size, flush ? nullptr : stream.data() + pos,
        flush ? 0 : static_cast<int>(size - pos), AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
    if (used < 0) break;
    pos += static_cast<size_t>(used);
    if (out_size > 0) units.push_back({{out, out + out_size}, parser->key_frame == 1});
    if (flush && out_size == 0) break;
  }
  av_parser_close(parser);
  return units;
}

// The packets of an Ogg Opus file (one 20 ms frame each); nullopt when it cannot be read.
std::optional<std::vector<std::vector<uint8_t>>> ReadOpusPackets(const std::string& path) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return std::nullopt;
  std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> fmt(
      raw, [](AVFormatContext* f) { avformat_close_input(&f); });
  if (avformat_find_stream_info(fmt.get(), nullptr) < 0) return std::nullopt;
  const int stream = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (stream < 0 || fmt->streams[stream]->codecpar->codec_id != AV_CODEC_ID_OPUS) {
    return std::nullopt;
  }
  tessera::deps::AvPacketPtr packet(av_packet_alloc());
  std::vector<std::vector<uint8_t>> packets;
  while (av_read_frame(fmt.get(), packet.get()) >= 0) {
    if (packet->stream_index == stream && packet->size > 0) {
      packets.emplace_back(packet->data, packet->data + packet->size);
    }
    av_packet_unref(packet.get());
  }
  return packets;
}

rtp::EncodedFrame MakeFrame(const AccessUnit& au, int index, int64_t now_us) {
  rtp::EncodedFrame f;
  f.data = au.data;
  f.codec = rtp::Codec::kH264;
  f.rtp_timestamp = static_cast<uint32_t>(index * (90'000 / kFps));
  f.keyframe = au.keyframe;
  f.receive_time_us = now_us;
  return f;
}

std::optional<RoomResult> RunRoom(const Args& args,
                                  const std::vector<std::vector<AccessUnit>>& units,
                                  const std::vector<std::vector<std::vector<uint8_t>>>& audio,
                                  std::vector<SimulcastInput>& simulcast, int frames) {
  FakeClock clock;
  session::VideoRoomConfig config;
  config.name = "room_cost";
  session::VideoProfile profile;
  profile.name = "720p";
  profile.codec = rtp::Codec::kH264;
  profile.width = kWidth;
  profile.height = kHeight;
  profile.fps = kFps;
  profile.bitrate_bps = args.bitrate_bps;
  config.profiles.push_back(profile);
  config.name_labels = args.labels;
  auto room = session::VideoRoom::Create(std::move(config), clock);
  if (!room.ok()) {
    std::fprintf(stderr, "VideoRoom::Create: %s\n", room.status().ToString().c_str());
    return std::nullopt;
  }
  std::vector<std::unique_ptr<session::VideoInput>> inputs;
  for (int i = 0; i < args.count; ++i) {
    const uint32_t id = static_cast<uint32_t>(i + 1);
    const std::string name = "input" + std::to_string(i);
    session::VideoInputConfig input_config;
    input_config.id = id;
    input_config.name = name;
    input_config.codec = rtp::Codec::kH264;
    auto input = session::VideoInput::Create(input_config, clock);
    if (!input.ok()) return std::nullopt;
    session::VideoParticipantInfo info;
    info.id = id;
    info.name = name;
    if (!(*room)->AddParticipant(info, (*input)->mailbox()).ok()) return std::nullopt;
    inputs.push_back(std::move(*input));
  }
  if (!(*room)->AddRecipient(1000, "720p", /*adapt=*/false).ok()) return std::nullopt;
  std::unique_ptr<session::AudioRoom> audio_room;
  if (!audio.empty()) {
    session::AudioRoomConfig audio_config;
    audio_config.name = "room_cost";
    audio_room = std::make_unique<session::AudioRoom>(audio_config, clock);
    for (size_t i = 0; i < audio.size(); ++i) {
      session::AudioParticipantConfig p;
      p.id = static_cast<uint32_t>(i + 1);
      p.name = "input" + std::to_string(i);
      if (!audio_room->AddParticipant(p).ok()) return std::nullopt;
    }
  }

  RoomResult r;
  r.step_us = (*room)->tick_interval_us();
  r.layer_frames.assign(kLayers.size(), 0);
  auto packetizer = rtp::CreatePacketizer(rtp::Codec::kH264);
  constexpr int64_t kAudioStepUs = 20'000;
  int64_t next_audio_us = clock.NowUs();
  uint16_t audio_seq = 0;
  const double cpu0 = ProcessCpuSeconds();
  const double wall0 = WallSeconds();
  for (int k = 0; k < frames; ++k) {
    // The audio steps due before this video tick: each input's next packet, then the mix.
    const double a0 = ThreadCpuSeconds();
    while (audio_room && next_audio_us <= clock.NowUs()) {
      for (size_t i = 0; i < audio.size(); ++i) {
        const auto& packets = audio[i];
        audio_room->OnRtp(static_cast<uint32_t>(i + 1), audio_seq,
                          static_cast<uint32_t>(audio_seq) * 960,
                          packets[audio_seq % packets.size()], std::nullopt, next_audio_us);
      }
      ++audio_seq;
      const session::AudioTick tick = audio_room->Tick(next_audio_us);
      r.audio_outputs += tick.outputs.size();
      ++r.audio_ticks;
      next_audio_us += kAudioStepUs;
    }
    r.audio_cpu_s += ThreadCpuSeconds() - a0;
    const double t0 = ThreadCpuSeconds();
    for (size_t i = 0; i < inputs.size(); ++i) {
      const AccessUnit* au = &units[i][static_cast<size_t>(k)];
      if (!simulcast.empty()) {
        au = SelectLayer(simulcast[i], static_cast<uint32_t>(i + 1), k, clock.NowUs(), *packetizer,
                         r);
        if (!au) continue;
      }
      const auto result = inputs[i]->Decode(MakeFrame(*au, k, clock.NowUs()));
      (void)result;  // no sender to ask for a keyframe: the files have one every 2 s
    }
    const double t1 = ThreadCpuSeconds();
    const session::VideoTick tick = (*room)->Tick(clock.NowUs());
    r.tick_cpu_s += ThreadCpuSeconds() - t1;
    r.decode_cpu_s += t1 - t0;
    // Each publisher's tile, as the room posts it to its leg when the layout changes.
    if (!simulcast.empty()) {
      for (const auto& [id, size] : (*room)->TileSizes()) {
        SimulcastInput& in = simulcast[id - 1];
        if (in.tile != size) {
          in.tile = size;
          in.selector->SetTile(size.first, size.second);
        }
      }
    }
    for (const session::VideoOutput& out : tick.outputs) {
      for (const auto& payload : out.frame->payloads) r.bytes += payload.size();
    }
    clock.AdvanceUs(r.step_us);
  }
  r.cpu_s = ProcessCpuSeconds() - cpu0;
  r.wall_s = WallSeconds() - wall0;
  if (audio_room) r.audio_encodes = audio_room->stats().encodes;
  r.encodes = (*room)->stats().profiles.empty() ? 0 : (*room)->stats().profiles[0].encodes;
  for (const auto& input : inputs) {
    r.decoded += input->stats().decoded;
    r.decode_errors += input->stats().errors;
  }
  for (const SimulcastInput& in : simulcast) {
    r.skipped_packets += in.selector->stats().skipped;
    r.layer_switches += in.selector->stats().switches;
  }
  return r;
}

struct Breakdown {
  double decode_s = 0;
  double compose_s = 0;
  double encode_s = 0;
};

// The room's work with the bare components, phase by phase (no mailboxes, labels, packetizing).
std::optional<Breakdown> RunComponents(const Args& args,
                                       const std::vector<std::vector<AccessUnit>>& units,
                                       int frames) {
  std::vector<std::unique_ptr<codec::VideoDecoder>> decoders;
  for (int i = 0; i < args.count; ++i) {
    auto d = codec::CreateVideoDecoder(rtp::Codec::kH264);
    if (!d.ok()) return std::nullopt;
    decoders.push_back(std::move(*d));
  }
  codec::VideoEncoderConfig encoder_config;
  encoder_config.width = kWidth;
  encoder_config.height = kHeight;
  encoder_config.fps = kFps;
  encoder_config.bitrate_bps = args.bitrate_bps;
  auto encoder = codec::CreateVideoEncoder(rtp::Codec::kH264, encoder_config);
  if (!encoder.ok()) return std::nullopt;
  std::vector<mixer::I420Frame> pictures(static_cast<size_t>(args.count));
  std::vector<mixer::Tile> tiles;
  std::vector<const mixer::I420Frame*> by_tile;
  mixer::CpuCompositor compositor;
  mixer::I420Frame canvas = mixer::I420Frame::Make(kWidth, kHeight);
  Breakdown b;
  for (int k = 0; k < frames; ++k) {
    const double t0 = ThreadCpuSeconds();
    for (size_t i = 0; i < decoders.size(); ++i) {
      codec::DecodeResult d = decoders[i]->Decode(MakeFrame(units[i][k], k, 0));
      if (d.picture) pictures[i] = *d.picture.host();
    }
    const double t1 = ThreadCpuSeconds();
    if (tiles.empty()) {
      std::vector<mixer::LayoutInput> layout_inputs;
      for (size_t i = 0; i < pictures.size(); ++i) {
        layout_inputs.push_back(
            {static_cast<uint32_t>(i + 1), pictures[i].width, pictures[i].height});
      }
      tiles = mixer::ComputeLayout({}, kWidth, kHeight, layout_inputs, std::nullopt);
      for (const mixer::Tile& t : tiles) {
        by_tile.push_back(t.participant_id == 0 ? nullptr : &pictures[t.participant_id - 1]);
      }
    }
    const mixer::ComposeStats stats = compositor.Compose(tiles, by_tile, canvas, {});
    (void)stats;
    const double t2 = ThreadCpuSeconds();
    canvas.pts_90k = k * (90'000 / kFps);
    const auto encoded = (*encoder)->Encode(canvas, k == 0);
    if (!encoded) return std::nullopt;
    const double t3 = ThreadCpuSeconds();
    b.decode_s += t1 - t0;
    b.compose_s += t2 - t1;
    b.encode_s += t3 - t2;
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Args> args = ParseArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr,
                 "usage: room_cost --inputs DIR [--count 9] [--bitrate 1500000] [--labels 0|1] "
                 "[--frames N] [--breakdown 0|1] [--audio 0|1] [--simulcast 0|1]\n");
    return 2;
  }
  const double parse0 = ProcessCpuSeconds();
  std::vector<std::vector<AccessUnit>> units;
  std::vector<SimulcastInput> simulcast;
  size_t frames = args->frames > 0 ? static_cast<size_t>(args->frames) : SIZE_MAX;
  for (int i = 0; i < args->count; ++i) {
    const std::string base = args->inputs + "/input" + std::to_string(i);
    SimulcastInput in;
    for (const std::string& layer : args->simulcast ? kLayers : std::vector<std::string>{""}) {
      const std::string path = base + (layer.empty() ? "" : "_" + layer) + ".h264";
      auto aus = ReadAccessUnits(path);
      if (!aus || aus->empty()) {
        std::fprintf(stderr, "room_cost: cannot read access units from %s\n", path.c_str());
        return 1;
      }
      frames = std::min(frames, aus->size());
      in.layers.push_back(std::move(*aus));
    }
    if (args->simulcast) {
      in.selector = std::make_unique<session::SimulcastSelector>(rtp::Codec::kH264, kLayers,
                                                                 kRidExtensionId, 0);
      in.seq.assign(kLayers.size(), 0);
      units.push_back(in.layers.back());  // unused: the selector picks
      simulcast.push_back(std::move(in));
    } else {
      units.push_back(std::move(in.layers.front()));
    }
  }
  const double parse_s = ProcessCpuSeconds() - parse0;
  const int n = static_cast<int>(frames);

  std::vector<std::vector<std::vector<uint8_t>>> audio;
  for (int i = 0; args->audio && i < args->count; ++i) {
    const std::string path = args->inputs + "/input" + std::to_string(i) + ".opus";
    auto packets = ReadOpusPackets(path);
    if (!packets || packets->empty()) {
      std::fprintf(stderr, "room_cost: cannot read Opus packets from %s\n", path.c_str());
      return 1;
    }
    audio.push_back(std::move(*packets));
  }
  const std::optional<RoomResult> room = RunRoom(*args, units, audio, simulcast, n);
  if (!room) return 1;
  std::optional<Breakdown> parts;
  if (args->breakdown && !args->simulcast) {
    parts = RunComponents(*args, units, n);
    if (!parts) return 1;
  }
  const double room_s = static_cast<double>(n) * static_cast<double>(room->step_us) / 1e6;
  std::printf(
      "{\"tool\":\"tessera\",\"inputs\":%d,\"frames\":%d,\"room_seconds\":%.4f,"
      "\"cpu_seconds\":%.4f,\"cpu_per_room_second\":%.4f,\"wall_seconds\":%.4f,\"encodes\":%llu,"
      "\"decoded\":%llu,\"decode_errors\":%llu,\"output_kbps\":%.1f,\"labels\":%s,"
      "\"parse_cpu_seconds\":%.4f,\"phases\":{\"decode_cpu_s\":%.4f,\"tick_cpu_s\":%.4f,"
      "\"audio_cpu_s\":%.4f},\"audio_ticks\":%llu,\"audio_outputs\":%llu,\"audio_encodes\":%llu",
      args->count, n, room_s, room->cpu_s, room->cpu_s / room_s, room->wall_s,
      static_cast<unsigned long long>(room->encodes),
      static_cast<unsigned long long>(room->decoded),
      static_cast<unsigned long long>(room->decode_errors),
      static_cast<double>(room->bytes) * 8 / room_s / 1000, args->labels ? "true" : "false",
      parse_s, room->decode_cpu_s, room->tick_cpu_s, room->audio_cpu_s,
      static_cast<unsigned long long>(room->audio_ticks),
      static_cast<unsigned long long>(room->audio_outputs),
      static_cast<unsigned long long>(room->audio_encodes));
  if (args->simulcast) {
    std::printf(
        ",\"simulcast\":{\"decoded_q\":%llu,\"decoded_h\":%llu,\"decoded_f\":%llu,"
        "\"skipped_packets\":%llu,\"switches\":%llu}",
        static_cast<unsigned long long>(room->layer_frames[0]),
        static_cast<unsigned long long>(room->layer_frames[1]),
        static_cast<unsigned long long>(room->layer_frames[2]),
        static_cast<unsigned long long>(room->skipped_packets),
        static_cast<unsigned long long>(room->layer_switches));
  }
  if (parts) {
    std::printf(
        ",\"components\":{\"decode_cpu_s\":%.4f,\"compose_cpu_s\":%.4f,"
        "\"encode_cpu_s\":%.4f}",
        parts->decode_s, parts->compose_s, parts->encode_s);
  }
  std::printf("}\n");
  return 0;
}
