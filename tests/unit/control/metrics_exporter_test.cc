#include <gtest/gtest.h>
#include <tessera/base/metrics.h>
#include <tessera/control/metrics_exporter.h>
#include <tessera/session/room_directory.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tessera::control {
namespace {

// A directory with fixed rooms, rosters and summaries; everything else is refused.
class FakeRooms : public session::RoomDirectory {
 public:
  std::vector<session::RoomConfig> rooms;
  std::map<std::string, std::vector<session::RoomMember>> members;
  std::vector<std::string> stats;
  bool running = true;

  void AddRoom(const std::string& name, bool video) {
    session::RoomConfig rc;
    rc.name = name;
    if (video) rc.video.emplace();
    rooms.push_back(rc);
    members[name];
  }

  std::vector<session::RoomConfig> ListRooms() override { return rooms; }
  std::optional<session::RoomConfig> FindRoom(const std::string& room) override {
    for (const auto& rc : rooms) {
      if (rc.name == room) return rc;
    }
    return std::nullopt;
  }
  Status CreateRoom(session::RoomConfig) override { return Refused(); }
  Status DeleteRoom(const std::string&) override { return Refused(); }
  void Drain() override {}
  bool draining() override { return false; }
  void AddObserver(std::shared_ptr<session::RoomObserver>) override {}
  StatusOr<session::JoinedParticipant> JoinRoom(const std::string&, session::RoomParticipantConfig,
                                                session::JoinOptions) override {
    return Refused();
  }
  Status LeaveRoom(const std::string&, uint32_t) override { return Refused(); }
  Status UpdateRemote(const std::string&, uint32_t, const session::RemoteUpdate&) override {
    return Refused();
  }
  Status Admit(const std::string&, uint32_t) override { return Refused(); }
  Status RequestKeyframe(const std::string&, uint32_t) override { return Refused(); }
  Status UpdateMember(const std::string&, uint32_t, const session::MemberUpdate&) override {
    return Refused();
  }
  StatusOr<std::vector<session::RoomMember>> Participants(const std::string& room) override {
    if (!running) return FailedPreconditionError("the server is not running");
    const auto it = members.find(room);
    if (it == members.end()) return NotFoundError("no room '" + room + "'");
    return it->second;
  }
  StatusOr<std::pair<uint16_t, uint16_t>> ProposePorts(bool) override { return Refused(); }
  Status SetLayout(const std::string&, const std::string&) override { return Refused(); }
  Status SetPinned(const std::string&, const std::string&, bool) override { return Refused(); }
  Status SetSpeaker(const std::string&, const std::string&) override { return Refused(); }
  StatusOr<std::vector<std::string>> RoomStats(const std::string&) override {
    if (!running) return FailedPreconditionError("the server is not running");
    return stats;
  }

 private:
  static Status Refused() { return FailedPreconditionError("not in this fake"); }
};

session::RoomMember Member(uint32_t id, const std::string& name, bool admitted,
                           std::string audio_json, std::string video_json) {
  session::RoomMember m;
  m.id = id;
  m.name = name;
  m.admitted = admitted;
  m.audio_stats_json = std::move(audio_json);
  m.video_stats_json = std::move(video_json);
  return m;
}

// Two rooms: "main" with video (alice: audio and video, admitted; bob: audio, waiting for his
// PIN) and "lobby", audio only and empty.
FakeRooms TwoRooms() {
  FakeRooms f;
  f.AddRoom("main", /*video=*/true);
  f.AddRoom("lobby", /*video=*/false);
  f.members["main"].push_back(Member(
      1, "alice", true,
      R"({"participant":"alice","room":"main","rtp_received":100,"rtcp_received":3,)"
      R"("rtp_sent":98,"send_failures":0,"bytes_received":17200,"bytes_sent":16856,)"
      R"("packets_lost":2,"jitter_ms":4.5,"rtt_ms":30,"remote_loss":0.25,)"
      R"("dropped":{"malformed":1,"srtp_auth":0},"ingress":{"received":105,"accepted":103}})",
      R"({"participant":"alice","room":"main","media":"video","rtp_received":500,)"
      R"("frames_received":50,"rtcp_received":10,"frames_sent":49,"keyframes_sent":2,)"
      R"("rtp_sent":480,"send_failures":0,"pli_received":1,"fir_received":0,"nack_received":2,)"
      R"("retransmitted":3,"keyframe_requests_sent":1,"nacks_sent":4,)"
      R"("decoder":{"decoded":48,"errors":1},"dropped":{"too_late":2},"ingress":{"received":510}})"));
  f.members["main"].push_back(Member(
      2, "bob", false,
      R"({"participant":"bob","room":"main","rtp_received":7,"rtcp_received":0,"rtp_sent":0,)"
      R"("send_failures":0,"dropped":{"malformed":0}})",
      ""));
  f.stats = {
      R"({"room":"main","participants":2,"ticks":500,"skipped_ticks":1,"late_ticks":2,)"
      R"("encodes":480,"concealed":5,"decode_errors":0,)"
      R"("jitter":{"alice":{"played":490,"concealed":5,"late":1,"target_ms":40,"level_ms":20}}})",
      R"({"room":"main","media":"video","layout":"grid","ticks":300,"skipped_ticks":0,)"
      R"("late_ticks":1,"composes":300,"layout_changes":1,"keyframe_requests":2,)"
      R"("keyframes_coalesced":1,"profile_moves":0,)"
      R"("profiles":{"hd":{"encodes":300,"keyframes":3,"encode_failures":0,"bytes":123456,)"
      R"("recipients":1},"sd":{"encodes":150,"keyframes":2,"encode_failures":1,"bytes":5000,)"
      R"("recipients":0}},"hardware":{"backend":"cuda","device":"GPU 0","fallbacks":[],)"
      R"("gpu_pipeline":true,"gpu_composes":300,"gpu_failures":0}})",
      R"({"room":"lobby","participants":0,"ticks":20,"skipped_ticks":0,"late_ticks":0,)"
      R"("encodes":0,"concealed":0,"decode_errors":0,"jitter":{}})"};
  return f;
}

nlohmann::json SipStats() {
  return nlohmann::json::parse(R"({"calls_in":4,"calls_out":1,"auth_challenges":3,
      "rejected_auth":1,"rejected_room":0,"rejected_busy":2,"rejected_sdp":0,"pin_failures":1,
      "session_timeouts":0,"keyframe_infos_in":0,"keyframe_infos_out":5,"rate_limited":6,
      "overload_503":0,"active_calls":2,
      "transports":[{"transport":"UDP","port":5060,"bytes_received":900,"received":9,
                     "rejected":1,"sent":8,"send_failures":0,"dropped":{"too_large":1}}],
      "calls":[{"call_id":"a","state":"active"},{"call_id":"b","state":"ringing"}]})");
}

// One sample line of the text format: name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

bool ValidName(const std::string& s, bool colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::optional<Sample> ParseSample(const std::string& line) {
  Sample s;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
  if (!ValidName(s.name, true) || i == line.size()) return std::nullopt;
  if (line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      std::string key;
      while (i < line.size() && line[i] != '=') key += line[i++];
      if (!ValidName(key, false) || i + 1 >= line.size() || line[i + 1] != '"') {
        return std::nullopt;
      }
      i += 2;
      std::string value;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] != '\\') {
          value += line[i];
          continue;
        }
        if (++i == line.size()) return std::nullopt;
        if (line[i] == 'n') {
          value += '\n';
        } else if (line[i] == '\\' || line[i] == '"') {
          value += line[i];
        } else {
          return std::nullopt;  // no other escape exists
        }
      }
      if (i == line.size()) return std::nullopt;
      ++i;  // the closing quote
      if (!s.labels.emplace(key, value).second) return std::nullopt;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i == line.size()) return std::nullopt;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return std::nullopt;
  const std::string value = line.substr(i + 1);
  char* end = nullptr;
  s.value = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0') return std::nullopt;
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What `promtool check metrics` and a scraper insist on: each family has one # HELP and one
// # TYPE line before its samples, which come together; names are valid and counters end in
// _total; no series twice; a histogram's buckets rise to +Inf and _count equals the +Inf bucket.
// Returns the problems, one per line; empty: none.
std::string CheckExposition(const std::string& text) {
  std::ostringstream problems;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::string current;
  std::string last_family;
  std::set<std::string> series;
  // Per histogram series (labels without le): the last bucket and whether +Inf came.
  std::map<std::string, std::pair<double, double>> buckets;  // key -> (last le, cumulative)
  std::map<std::string, double> inf_bucket;
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    const std::string at = "line " + std::to_string(n) + ": ";
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      if (!helped.insert(name).second) problems << at << "second HELP for " << name << "\n";
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name;
      std::string type;
      words >> name >> type;
      if (types.count(name)) problems << at << "second TYPE for " << name << "\n";
      if (!helped.count(name)) problems << at << "TYPE before HELP for " << name << "\n";
      if (type != "counter" && type != "gauge" && type != "histogram") {
        problems << at << "type " << type << "\n";
      }
      if (type == "counter" && !EndsWith(name, "_total")) {
        problems << at << "counter without _total: " << name << "\n";
      }
      if (!last_family.empty() && name <= last_family) {
        problems << at << "families out of order: " << name << "\n";
      }
      types[name] = type;
      current = last_family = name;
      continue;
    }
    if (line.empty() || line[0] == '#') {
      problems << at << "unexpected line '" << line << "'\n";
      continue;
    }
    const std::optional<Sample> s = ParseSample(line);
    if (!s) {
      problems << at << "not a sample: '" << line << "'\n";
      continue;
    }
    std::string family = s->name;
    std::string suffix;
    for (const char* h : {"_bucket", "_sum", "_count"}) {
      const std::string base = s->name.substr(0, s->name.size() - std::string(h).size());
      if (EndsWith(s->name, h) && types.count(base) && types[base] == "histogram") {
        family = base;
        suffix = h;
      }
    }
    if (!types.count(family)) {
      problems << at << "sample of " << s->name << " without a TYPE before it\n";
      continue;
    }
    if (family != current) problems << at << s->name << " apart from its family\n";
    if (!series.insert(line.substr(0, line.rfind(' '))).second) {
      problems << at << "series twice: " << line << "\n";
    }
    if (types[family] != "histogram") continue;
    std::map<std::string, std::string> labels = s->labels;
    labels.erase("le");
    std::string key = family;
    for (const auto& [k, v] : labels) key += "|" + k + "=" + v;
    if (suffix == "_bucket") {
      if (!s->labels.count("le")) {
        problems << at << "bucket without le\n";
        continue;
      }
      const double le = std::strtod(s->labels.at("le").c_str(), nullptr);
      auto [it, first] = buckets.try_emplace(key, le, s->value);
      if (!first) {
        if (le <= it->second.first) problems << at << "le not rising\n";
        if (s->value < it->second.second) problems << at << "buckets not cumulative\n";
        it->second = {le, s->value};
      }
      if (s->labels.at("le") == "+Inf") inf_bucket[key] = s->value;
    } else if (suffix == "_count") {
      if (!inf_bucket.count(key)) {
        problems << at << "histogram without a +Inf bucket\n";
      } else if (inf_bucket[key] != s->value) {
        problems << at << "_count is not the +Inf bucket\n";
      }
    }
  }
  return problems.str();
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsExporter, PublishesRoomsParticipantsLegsSipAndTheProcess) {
  FakeRooms rooms = TwoRooms();
  MetricsRegistry registry;
  registry
      .GetHistogram("tessera_room_tick_duration_seconds", {{"room", "main"}, {"kind", "video"}},
                    kDurationBucketsSeconds)
      .Observe(0.004);
  const std::string text = RenderMetrics(
      rooms, [] { return std::optional<nlohmann::json>(std::in_place, SipStats()); }, registry);
  EXPECT_EQ(CheckExposition(text), "") << text;

  EXPECT_TRUE(Has(text, "tessera_rooms 2")) << text;
  EXPECT_TRUE(Has(text, R"(tessera_room_info{backend="cuda",room="main"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_info{backend="cpu",room="lobby"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_participants{room="main",state="admitted",transport="rtp"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_participants{room="main",state="waiting",transport="rtp"} 1)"));
  EXPECT_TRUE(
      Has(text, R"(tessera_participants{room="lobby",state="admitted",transport="rtp"} 0)"));

  // Ticks and encodes of the rooms.
  EXPECT_TRUE(Has(text, R"(tessera_room_ticks_total{kind="audio",room="main"} 500)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_ticks_total{kind="video",room="main"} 300)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_skipped_ticks_total{kind="audio",room="main"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_late_ticks_total{kind="video",room="main"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_encodes_total{profile="hd",room="main"} 300)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_encodes_total{profile="sd",room="main"} 150)"));
  EXPECT_TRUE(Has(text, R"(tessera_room_encode_failures_total{profile="sd",room="main"} 1)"));
  EXPECT_TRUE(Has(
      text, R"(tessera_audio_jitter_buffer_target_seconds{participant="alice",room="main"} 0.04)"));

  // Legs.
  const std::string alice_audio = R"(kind="audio",participant="alice",room="main")";
  const std::string alice_video = R"(kind="video",participant="alice",room="main")";
  EXPECT_TRUE(Has(text, "tessera_leg_packets_received_total{" + alice_audio + "} 100"));
  EXPECT_TRUE(Has(text, "tessera_leg_received_bytes_total{" + alice_audio + "} 17200"));
  EXPECT_TRUE(Has(text, "tessera_leg_packets_lost{" + alice_audio + "} 2"));
  EXPECT_TRUE(Has(text, "tessera_leg_jitter_seconds{" + alice_audio + "} 0.0045"));
  EXPECT_TRUE(Has(text, "tessera_leg_rtt_seconds{" + alice_audio + "} 0.03"));
  EXPECT_TRUE(Has(text, "tessera_leg_remote_loss_ratio{" + alice_audio + "} 0.25"));
  EXPECT_TRUE(Has(
      text,
      R"(tessera_leg_packets_dropped_total{kind="audio",participant="alice",reason="malformed",room="main"} 1)"));
  EXPECT_TRUE(Has(
      text,
      R"(tessera_leg_packets_dropped_total{kind="video",participant="alice",reason="too_late",room="main"} 2)"));
  EXPECT_TRUE(Has(
      text,
      R"(tessera_leg_keyframe_requests_received_total{kind="video",participant="alice",room="main",type="pli"} 1)"));
  EXPECT_TRUE(Has(text, "tessera_leg_keyframe_requests_sent_total{" + alice_video + "} 1"));
  EXPECT_TRUE(Has(text, "tessera_leg_frames_decoded_total{" + alice_video + "} 48"));
  EXPECT_TRUE(Has(
      text, R"(tessera_leg_packets_received_total{kind="audio",participant="bob",room="main"} 7)"));
  // Bob has no video leg, and what a summary does not say is not made up.
  EXPECT_EQ(text.find(R"(kind="video",participant="bob")"), std::string::npos);
  EXPECT_EQ(text.find(R"(tessera_leg_rtt_seconds{kind="audio",participant="bob")"),
            std::string::npos);

  // SIP.
  EXPECT_TRUE(Has(text, R"(tessera_sip_calls_total{direction="in"} 4)"));
  EXPECT_TRUE(Has(text, R"(tessera_sip_calls_total{direction="out"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_sip_refusals_total{cause="busy"} 2)"));
  EXPECT_TRUE(Has(text, R"(tessera_sip_refusals_total{cause="pin"} 1)"));
  EXPECT_TRUE(Has(text, "tessera_sip_active_calls 2"));
  EXPECT_TRUE(Has(text, R"(tessera_sip_calls_in_progress{state="active"} 1)"));
  EXPECT_TRUE(Has(text, R"(tessera_sip_calls_in_progress{state="held"} 0)"));
  EXPECT_TRUE(Has(text, "tessera_sip_rate_limited_total 6"));
  EXPECT_TRUE(Has(
      text,
      R"(tessera_sip_messages_dropped_total{port="5060",reason="too_large",transport="UDP"} 1)"));

  // The process, and the registry's own series in the same exposition.
  EXPECT_NE(text.find("\ntessera_process_cpu_seconds_total "), std::string::npos);
  EXPECT_NE(text.find("\ntessera_process_resident_memory_bytes "), std::string::npos);
  EXPECT_TRUE(Has(text, R"(tessera_room_tick_duration_seconds_count{kind="video",room="main"} 1)"));
  EXPECT_TRUE(Has(text, "# TYPE tessera_room_tick_duration_seconds histogram"));
}

TEST(MetricsExporter, ANodeThatDoesNotRunStillAnswers) {
  FakeRooms rooms = TwoRooms();
  rooms.running = false;
  MetricsRegistry registry;
  const std::string text = RenderMetrics(rooms, {}, registry);
  EXPECT_EQ(CheckExposition(text), "") << text;
  EXPECT_TRUE(Has(text, "tessera_rooms 0")) << text;
  EXPECT_EQ(text.find("tessera_sip_"), std::string::npos);
  EXPECT_NE(text.find("\ntessera_process_cpu_seconds_total "), std::string::npos);
}

TEST(MetricsExporter, BrokenSummariesAndOddNamesCostNothingElse) {
  FakeRooms rooms;
  rooms.AddRoom("we\"ird\\room\n", /*video=*/false);
  rooms.members["we\"ird\\room\n"].push_back(Member(1, "x", true, "not json", "[1,2]"));
  rooms.members["we\"ird\\room\n"].push_back(
      Member(2, "y", true, R"({"rtp_received":"many","dropped":{"malformed":-3,"x":"y"}})", ""));
  rooms.stats = {"{", R"({"room":42})", R"({"room":"gone","ticks":5})",
                 R"({"room":"we\"ird\\room\n","ticks":5,"jitter":[]})"};
  MetricsRegistry registry;
  const std::string text = RenderMetrics(
      rooms, [] { return std::optional<nlohmann::json>(std::in_place, nlohmann::json::array()); },
      registry);
  EXPECT_EQ(CheckExposition(text), "") << text;
  EXPECT_TRUE(Has(text, R"(tessera_room_ticks_total{kind="audio",room="we\"ird\\room\n"} 5)"))
      << text;
  EXPECT_EQ(text.find(R"(room="gone")"), std::string::npos);
  EXPECT_EQ(text.find("tessera_leg_"), std::string::npos);
  EXPECT_TRUE(Has(text, "tessera_rooms 1"));
}

// The SIP user agent as the exporter sees it: a fixed answer, or "not running".
class FakeSip : public SipControl {
 public:
  bool running = true;
  int asked = 0;
  StatusOr<nlohmann::json> ListCalls() override {
    ++asked;
    if (!running) return FailedPreconditionError("SIP is not running");
    return nlohmann::json::parse(R"([{"call_id":"a","state":"held"}])");
  }
  StatusOr<std::string> Dial(const std::string&, const std::string&, const std::string&) override {
    return FailedPreconditionError("not here");
  }
  Status Hangup(const std::string&) override { return FailedPreconditionError("not here"); }
  StatusOr<nlohmann::json> Stats() override {
    ++asked;
    if (!running) return FailedPreconditionError("SIP is not running");
    return nlohmann::json::parse(R"({"calls_in":3,"active_calls":1})");
  }
};

TEST(MetricsExporter, SipStatsFromTheUserAgent) {
  FakeSip fake;
  SipStatsFn sip = SipStatsFrom(&fake);
  ASSERT_TRUE(sip);
  const std::optional<nlohmann::json> stats = sip();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->at("calls_in").get<int>(), 3);
  EXPECT_EQ(stats->at("calls").front().at("state").get<std::string>(), "held");
  EXPECT_EQ(fake.asked, 2);

  MetricsWriter out;
  WriteSipMetrics(out, *stats);
  const std::string text = out.Text();
  EXPECT_TRUE(Has(text, R"(tessera_sip_calls_total{direction="in"} 3)")) << text;
  EXPECT_TRUE(Has(text, R"(tessera_sip_calls_in_progress{state="held"} 1)")) << text;

  EXPECT_FALSE(SipStatsFrom(nullptr));
  fake.running = false;
  EXPECT_FALSE(sip());
}

TEST(MetricsExporter, ProcessFiguresAreThere) {
  MetricsWriter out;
  WriteProcessMetrics(out);
  const std::string text = out.Text();
  EXPECT_EQ(CheckExposition(text), "") << text;
  for (const char* family :
       {"tessera_process_cpu_seconds_total", "tessera_process_resident_memory_bytes",
        "tessera_process_open_fds", "tessera_process_threads"}) {
    EXPECT_TRUE(out.HasFamily(family)) << family;
  }
}

TEST(CheckExposition, CatchesWhatAScraperRefuses) {
  // The checker itself: each of these is a problem it must name.
  EXPECT_NE(CheckExposition("x_total 1\n"), "");
  EXPECT_NE(CheckExposition("# HELP x x\n# TYPE x counter\nx 1\n"), "");
  EXPECT_NE(CheckExposition("# HELP h h\n# TYPE h histogram\n"
                            "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
            "");
  EXPECT_NE(CheckExposition("# HELP b b\n# TYPE b gauge\nb 1\n# HELP a a\n# TYPE a gauge\na 1\n"),
            "");
  EXPECT_NE(CheckExposition("# HELP g g\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"1\"} 2\n"), "");
  EXPECT_EQ(CheckExposition("# HELP g g\n# TYPE g gauge\ng{a=\"x\\\"y\"} 1\n"), "");
}

}  // namespace
}  // namespace tessera::control
