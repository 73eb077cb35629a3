// tessera-loadgen: drives video rooms on a Tessera server and measures what it delivers and at
// what cost. Design: tools/loadgen/README.md; usage: tessera-loadgen --help.
#include <spdlog/spdlog.h>
#include <tessera/codec/libav_log.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "loadgen/api_plan.h"
#include "loadgen/capacity_report.h"
#include "loadgen/options.h"
#include "loadgen/report.h"
#include "loadgen/tessera_process.h"

namespace {

using namespace tessera;
using namespace tessera::loadgen;

int Fail(const std::string& message) {
  std::fprintf(stderr, "tessera-loadgen: %s\n", message.c_str());
  return 1;
}

StatusOr<Clips> MakeClips(const Options& o, const LoadPlan& plan) {
  std::set<rtp::Codec> video, audio;
  for (const auto& room : plan.rooms) {
    for (const auto& p : room.participants) {
      if (p.sends_video) video.insert(p.video_codec);
      if (p.has_audio) audio.insert(p.audio_codec);
    }
  }
  Clips clips;
  for (rtp::Codec codec : video) {
    VideoClipConfig c;
    c.codec = codec;
    c.width = o.input_width;
    c.height = o.input_height;
    c.fps = o.input_fps;
    c.bitrate_bps = o.input_kbps * 1000;
    auto clip = EncodeVideoClip(c);
    if (!clip.ok()) return clip.status();
    clips.video.emplace(codec, std::move(*clip));
  }
  for (rtp::Codec codec : audio) {
    AudioClipConfig loud;
    loud.codec = codec;
    loud.frequency_hz = 440;
    loud.amplitude = 0.3;
    AudioClipConfig quiet = loud;
    quiet.frequency_hz = 660;
    quiet.amplitude = 0.003;
    auto a = EncodeAudioClip(loud);
    auto b = EncodeAudioClip(quiet);
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    clips.speaker.emplace(codec, std::move(*a));
    clips.quiet.emplace(codec, std::move(*b));
  }
  return clips;
}

RunSettings Settings(const Options& o, const LoadPlan& plan) {
  const auto& g = o.generate;
  size_t senders = 0;
  for (const auto& room : plan.rooms) {
    for (const auto& p : room.participants) senders += p.sends_video;
  }
  RunSettings s = {
      {"server", o.tessera.empty() ? "running (" + o.config + ")" : o.tessera},
      {"rooms", std::to_string(plan.rooms.size())},
      {"video_senders", std::to_string(senders)},
      {"input", std::to_string(o.input_width) + "x" + std::to_string(o.input_height) + "@" +
                    std::to_string(o.input_fps) + " " + std::to_string(o.input_kbps) + " kbit/s"},
      {"seconds", std::to_string(o.engine.seconds)},
      {"warmup_s", std::to_string(o.engine.warmup_s)},
  };
  if (!o.tessera.empty()) {
    std::string codecs;
    for (rtp::Codec c : g.input_codecs) {
      if (!codecs.empty()) codecs += '+';
      codecs += rtp::CodecName(c);
    }
    s.push_back({"participants_per_room", std::to_string(g.participants)});
    s.push_back({"input_codecs", codecs});
    s.push_back({"output", std::string(rtp::CodecName(g.output.codec)) + " " +
                               std::to_string(g.output.width) + "x" +
                               std::to_string(g.output.height) + "@" +
                               std::to_string(g.output.fps) + " " +
                               std::to_string(g.output.bitrate_bps / 1000) + " kbit/s"});
    s.push_back({"layout", g.layout + (g.crop ? " crop" : " letterbox")});
    s.push_back({"audio", g.audio ? "opus" : "none"});
    s.push_back({"participants_receive_video", g.participants_receive_video ? "yes" : "no"});
    s.push_back({"server_cpus", o.server_cpus.empty() ? "all" : o.server_cpus});
    s.push_back({"loadgen_cpus", o.loadgen_cpus.empty() ? "all" : o.loadgen_cpus});
  }
  return s;
}

// One run: a config for o.generate.rooms rooms (or the operator's), a server started on it when
// --tessera is given, the load, the server's summary, the table and the JSON.
struct StepOutcome {
  RunResult result;
  RunSettings settings;
  std::string json_path;
  bool server_failed = false;  // the server exited non-zero
};

StatusOr<StepOutcome> RunOnce(const Options& o, const std::string& out_dir,
                              std::optional<Clips>& clips) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  StepOutcome outcome;
  outcome.json_path = o.json_path.empty() ? out_dir + "/result.json" : o.json_path;

  // The plan: from a generated config or the operator's.
  std::string config_path = o.config;
  StatusOr<app::Config> config = InvalidArgumentError("no config");
  if (!o.tessera.empty()) {
    auto ports = FindFreePorts("127.0.0.1", o.port_min, o.port_max, PortsNeeded(o.generate));
    if (!ports.ok()) return ports.status();
    const std::string yaml = GenerateConfigYaml(o.generate, *ports);
    config_path = out_dir + "/tessera.yaml";
    std::ofstream(config_path) << yaml;
    config = app::ParseConfig(yaml, config_path);
  } else {
    config = app::LoadConfigFile(o.config);
  }
  if (!config.ok()) return config.status();
  auto plan = PlanFromConfig(*config, o.input_width, o.input_height);
  if (!plan.ok()) return plan.status();

  // The clips depend on the codecs only, so a capacity search encodes them once.
  if (!clips) {
    const auto t0 = std::chrono::steady_clock::now();
    auto made = MakeClips(o, *plan);
    if (!made.ok()) return InternalError("encoding the clips: " + made.status().message());
    clips = std::move(*made);
    std::printf("  clips encoded in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  EngineOptions eo = o.engine;
  eo.server_pid = o.pid;
  std::unique_ptr<TesseraProcess> server;
  if (!o.tessera.empty()) {
    TesseraOptions to;
    to.binary = o.tessera;
    to.config_path = config_path;
    to.log_path = out_dir + "/tessera.log";
    to.cpus = o.server_cpus;
    auto started = TesseraProcess::Start(to);
    if (!started.ok()) return started.status();
    server = std::move(*started);
    eo.server_pid = server->pid();
  }
  auto engine = Engine::Create(*plan, *clips, eo);
  if (!engine.ok()) return engine.status();

  outcome.settings = Settings(o, *plan);
  std::printf("tessera-loadgen:");
  for (const auto& [k, v] : outcome.settings) std::printf(" %s=%s", k.c_str(), v.c_str());
  std::printf("\n  server pid %d; files in %s\n", eo.server_pid, out_dir.c_str());
  std::fflush(stdout);

  RunResult& result = outcome.result;
  result = (*engine)->Run([&](const SecondSample& s) {
    if (!o.progress) return;
    std::printf("%s\n", FormatProgress(s, o.engine.warmup_s).c_str());
    std::fflush(stdout);
  });
  engine->reset();

  if (server) {
    const auto exit = server->Stop();
    const auto summaries = ParseServerSummaries(exit.lines);
    for (size_t i = 0; i < result.rooms.size(); ++i) {
      const auto it = summaries.find(result.rooms[i].name);
      if (it == summaries.end()) continue;
      ServerRoomFigures f;
      f.ticks = it->second.video_ticks;
      f.skipped_ticks = it->second.video_skipped_ticks;
      f.latency_p50_ms = it->second.latency_p50_ms;
      f.latency_p99_ms = it->second.latency_p99_ms;
      f.tick_cost_p99_ms = it->second.tick_cost_p99_ms;
      result.server_rooms[i] = f;
    }
    std::ofstream(out_dir + "/tessera-summary.jsonl") << [&] {
      std::string all;
      for (const auto& l : exit.lines) all += l + "\n";
      return all;
    }();
    if (exit.status != 0) {
      outcome.server_failed = true;
      std::fprintf(stderr, "tessera-loadgen: the server exited with status %d (log: %s)\n",
                   exit.status, (out_dir + "/tessera.log").c_str());
    }
  }

  std::printf("\n%s", FormatTable(result).c_str());
  std::ofstream(outcome.json_path) << ToJson(result, outcome.settings);
  std::printf("result: %s\n", outcome.json_path.c_str());
  return outcome;
}

std::string MakeOutDir(const Options& o) {
  namespace fs = std::filesystem;
  if (!o.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    return o.out_dir;
  }
  std::string tmpl = (fs::temp_directory_path() / "tessera-loadgen-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) return "";
  return tmpl;
}

int Run(const Options& o) {
  const std::string out_dir = MakeOutDir(o);
  if (out_dir.empty()) return Fail("cannot create a directory under /tmp");
  std::optional<Clips> clips;
  auto outcome = RunOnce(o, out_dir, clips);
  if (!outcome.ok()) return Fail(outcome.status().message());
  return outcome->result.server_gone ? 3 : 0;
}

int RunCapacity(const Options& o) {
  const std::string out_dir = MakeOutDir(o);
  if (out_dir.empty()) return Fail("cannot create a directory under /tmp");
  const CapacityCriteria& c = o.criteria;
  std::printf(
      "tessera-loadgen capacity search: %d participants a room, rooms from %d up to %d; a step "
      "passes with skipped ticks <= %.2f%%, latency p99 <= %.0f ms",
      o.generate.participants, o.generate.rooms, o.capacity_max, c.max_skipped_pct, c.max_p99_ms);
  if (c.max_cpu_pct > 0) std::printf(", server CPU <= %.0f%%", c.max_cpu_pct);
  if (c.min_delivered_pct > 0) std::printf(", delivered >= %.0f%%", c.min_delivered_pct);
  std::printf("\n");

  CapacitySearch search(o.generate.rooms, o.capacity_max);
  std::optional<Clips> clips;
  std::vector<CapacityStep> steps;
  RunSettings settings;
  while (const std::optional<int> rooms = search.Next()) {
    Options step = o;
    step.generate.rooms = *rooms;
    step.json_path.clear();
    std::printf("\n=== step %zu: %d rooms ===\n", steps.size() + 1, *rooms);
    std::fflush(stdout);
    auto outcome = RunOnce(step, out_dir + "/rooms-" + std::to_string(*rooms), clips);
    CapacityStep s;
    s.rooms = *rooms;
    if (!outcome.ok()) {
      s.verdict.failures.push_back("the run failed: " + outcome.status().message());
    } else {
      s.verdict = Judge(outcome->result, c);
      if (outcome->server_failed) s.verdict.failures.push_back("the server exited non-zero");
      s.verdict.pass = s.verdict.failures.empty();
      s.result = std::move(outcome->result);
      s.json_path = outcome->json_path;
      settings = outcome->settings;
    }
    search.Record(s.rooms, s.verdict.pass);
    std::printf("step %zu: %s\n", steps.size() + 1, FormatStepVerdict(s).c_str());
    std::fflush(stdout);
    steps.push_back(std::move(s));
    if (steps.back().result.interrupted) {
      std::printf("interrupted: the search ends here\n");
      break;
    }
  }
  const CapacityReport report = {steps, search.capacity(), search.hit_max(), c};
  std::printf("\n%s", FormatCapacityTable(report).c_str());
  const std::string json_path = o.json_path.empty() ? out_dir + "/capacity.json" : o.json_path;
  std::ofstream(json_path) << CapacityJson(report, settings);
  std::printf("result: %s\n", json_path.c_str());
  return 0;
}

// The API mode: participants added to a running room through the API, then the same engine.
StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError("--token-file " + path + ": cannot read it");
  std::stringstream all;
  all << in.rdbuf();
  std::string token = all.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) return InvalidArgumentError("--token-file " + path + ": empty");
  return token;
}

int RunApi(const Options& o) {
  const std::string out_dir = MakeOutDir(o);
  if (out_dir.empty()) return Fail("cannot create a directory under /tmp");
  auto token = ReadToken(o.token_file);
  if (!token.ok()) return Fail(token.status().message());
  const ApiRequester request = [&](const std::string& method, const std::string& url,
                                   const std::string& body) {
    return ApiRequest(method, url, *token, body);
  };
  auto origin = UrlOrigin(o.api);
  if (!origin.ok()) return Fail("--api: " + origin.status().message());

  // The room, where it runs (a 307 names its node): the primary.
  std::string room_url = *origin + "/v1/rooms/" + o.api_room;
  StatusOr<ApiReply> room = InvalidArgumentError("");
  for (int hop = 0; hop < 4; ++hop) {
    room = request("GET", room_url, "");
    if (!room.ok()) return Fail(room.status().message());
    if (room->status != 307) break;
    auto next = ResolveLocation(room_url, room->location);
    if (!next.ok()) return Fail(next.status().message());
    room_url = *next;
  }
  if (room->status != 200) {
    return Fail("GET " + room_url + ": " + std::to_string(room->status) + " " + room->body);
  }
  const std::string primary = *UrlOrigin(room_url);
  auto video = RoomVideoFromJson(room->body);
  if (!video.ok()) return Fail(o.api_room + ": " + video.status().message());

  const std::string local_address = "127.0.0.1";
  auto ports =
      FindFreePorts(local_address, o.port_min, o.port_max, static_cast<size_t>(o.api_join));
  if (!ports.ok()) return Fail(ports.status().message());

  // The participants, one at a time as clients join, each following the primary's 307.
  const std::string path = "/v1/rooms/" + o.api_room + "/participants";
  std::vector<ApiParticipant> joined;
  std::map<std::string, int> per_node;
  int redirects = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < o.api_join; ++i) {
    ApiParticipant p;
    p.name = o.name_prefix + std::to_string(i + 1);
    p.receive_port = (*ports)[static_cast<size_t>(i)];
    const std::string body = ParticipantBody(p.name, video->codec, video->profile, p.receive_port);
    auto j = JoinFollowingRedirects(request, primary + path, body);
    if (!j.ok()) return Fail("adding " + p.name + ": " + j.status().message());
    p.joined = std::move(*j);
    redirects += static_cast<int>(p.joined.redirects.size());
    ++per_node[NodeLabel(p.joined.node)];
    joined.push_back(std::move(p));
  }
  const double join_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("tessera-loadgen: room %s on %s: %d participants added in %.2f s, %d redirects;",
              o.api_room.c_str(), NodeLabel(primary).c_str(), o.api_join, join_s, redirects);
  for (const auto& [node, n] : per_node) std::printf(" %s %d", node.c_str(), n);
  std::printf("\n");
  std::fflush(stdout);

  // The tile order, once the primary shows every participant (a share's link lists its cells a
  // heartbeat or two after its members joined).
  std::vector<std::string> order;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.links_timeout_s);
  for (;;) {
    auto listing = request("GET", primary + path, "");
    if (!listing.ok()) return Fail(listing.status().message());
    if (listing->status != 200) {
      return Fail("GET " + primary + path + ": " + std::to_string(listing->status));
    }
    auto tiles = TileOrderFromParticipants(listing->body);
    if (!tiles.ok()) return Fail(tiles.status().message());
    order = std::move(*tiles);
    const bool all = std::all_of(joined.begin(), joined.end(), [&](const ApiParticipant& p) {
      return std::find(order.begin(), order.end(), p.name) != order.end();
    });
    if (all) break;
    if (std::chrono::steady_clock::now() > deadline) {
      return Fail("the primary does not show every participant as a tile after " +
                  std::to_string(o.links_timeout_s) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  ApiPlanOptions po;
  po.room = o.api_room;
  po.primary = primary;
  po.video = *video;
  po.fit = o.generate.crop ? mixer::FitPolicy::kCrop : mixer::FitPolicy::kLetterbox;
  po.border_px = o.generate.border_px;
  po.clip_width = o.input_width;
  po.clip_height = o.input_height;
  po.input_codec = o.generate.input_codecs.front();
  po.local_address = local_address;
  auto plan = PlanFromApi(po, order, joined);
  if (!plan.ok()) return Fail(plan.status().message());

  auto clips = MakeClips(o, *plan);
  if (!clips.ok()) return Fail("encoding the clips: " + clips.status().message());
  auto engine = Engine::Create(*plan, *clips, o.engine);
  if (!engine.ok()) return Fail(engine.status().message());

  RunSettings settings = {
      {"api", o.api},
      {"room", o.api_room},
      {"primary", NodeLabel(primary)},
      {"joined", std::to_string(o.api_join)},
      {"redirects", std::to_string(redirects)},
      {"join_s", std::to_string(join_s)},
      {"composite", video->codec + " " + std::to_string(video->width) + "x" +
                        std::to_string(video->height) + "@" + std::to_string(video->fps)},
      {"input", std::to_string(o.input_width) + "x" + std::to_string(o.input_height) + "@" +
                    std::to_string(o.input_fps) + " " + std::to_string(o.input_kbps) + " kbit/s"},
      {"seconds", std::to_string(o.engine.seconds)},
      {"warmup_s", std::to_string(o.engine.warmup_s)},
  };
  for (const auto& [node, n] : per_node)
    settings.push_back({"joined_at " + node, std::to_string(n)});
  std::printf("  tiles: %zu; measured composites:", order.size());
  for (const auto& r : plan->rooms) std::printf(" %s", r.name.c_str());
  std::printf("\n");
  std::fflush(stdout);

  RunResult result = (*engine)->Run([&](const SecondSample& s) {
    if (!o.progress) return;
    std::printf("%s\n", FormatProgress(s, o.engine.warmup_s).c_str());
    std::fflush(stdout);
  });
  engine->reset();
  std::printf("\n%s", FormatTable(result).c_str());
  const std::string json_path = o.json_path.empty() ? out_dir + "/result.json" : o.json_path;
  std::ofstream(json_path) << ToJson(result, settings);
  std::printf("result: %s\n", json_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = ParseOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::fprintf(stderr, "tessera-loadgen: %s\n\n%s", options.status().message().c_str(),
                 Usage().c_str());
    return 2;
  }
  if (options->help) {
    std::printf("%s", Usage().c_str());
    return 0;
  }
  codec::RouteLibavLogsToSpdlog();
  spdlog::set_level(spdlog::level::warn);
  if (!options->loadgen_cpus.empty()) {
    // A server started without --server-cpus keeps the CPUs the load generator had, not the
    // ones it is pinned to below.
    if (options->server_cpus.empty() && !options->tessera.empty()) {
      options->server_cpus = CurrentCpuList();
    }
    // Before any thread starts: every thread of the load generator inherits it.
    const Status pinned = PinCallingThread(options->loadgen_cpus);
    if (!pinned.ok()) return Fail("--loadgen-cpus: " + pinned.message());
  }
  if (!options->api.empty()) return RunApi(*options);
  return options->capacity ? RunCapacity(*options) : Run(*options);
}
