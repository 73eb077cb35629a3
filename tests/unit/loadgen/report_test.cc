#include "loadgen/report.h"

#include <gtest/gtest.h>

#include "loadgen/tessera_process.h"

namespace tessera::loadgen {
namespace {

RunResult SampleResult() {
  RunResult r;
  r.window_s = 8;
  RoomResult room;
  room.name = "lg-r0";
  room.senders = 4;
  room.decoded = true;
  room.composite_fps = 30;
  room.composites = 239;
  room.composites_expected = 240;
  room.match.shown = 950;
  room.match.missed = 10;
  Percentiles p;
  for (int i = 1; i <= 100; ++i) p.Add(i * 1000);
  room.latency = Summarize(p);
  room.composite_lost = 3;
  r.rooms.push_back(room);
  r.total = room;
  ServerRoomFigures f;
  f.ticks = 300;
  f.skipped_ticks = 3;
  f.latency_p99_ms = 44.5;
  r.server_rooms.push_back(f);
  r.server_cores_mean = 1.5;
  r.server_cpus = 2;
  r.server_rss_max_kb = 200 * 1024;
  SecondSample s;
  s.t_s = 3;
  s.measuring = true;
  s.composite_fps = 30;
  s.latency = room.latency;
  s.server_cores = 1.25;
  s.server_rss_kb = 100 * 1024;
  r.timeline.push_back(s);
  return r;
}

TEST(Report, ProgressLineHasTheSecondsFigures) {
  const auto r = SampleResult();
  const std::string line = FormatProgress(r.timeline[0], 2);
  EXPECT_NE(line.find("[   3s]"), std::string::npos) << line;
  EXPECT_NE(line.find("p99  99.0 ms (100)"), std::string::npos) << line;
  EXPECT_NE(line.find("server 1.25 cores 100 MB"), std::string::npos) << line;
  SecondSample warm;
  warm.t_s = 1;
  EXPECT_NE(FormatProgress(warm, 2).find("warm-up"), std::string::npos);
}

TEST(Report, TableHasARowPerRoomAndTheServerCost) {
  const std::string t = FormatTable(SampleResult());
  EXPECT_NE(t.find("lg-r0"), std::string::npos) << t;
  EXPECT_NE(t.find("239/240"), std::string::npos) << t;
  EXPECT_NE(t.find("99.0%"), std::string::npos) << t;  // 950 / 960
  EXPECT_NE(t.find("50.0/95.0/99.0/100.0"), std::string::npos) << t;
  EXPECT_NE(t.find("3/300"), std::string::npos) << t;
  EXPECT_NE(t.find("1.50 cores mean (75.0% of 2 CPUs)"), std::string::npos) << t;
}

TEST(Report, JsonCarriesTheFiguresAndEscapesSettings) {
  const std::string j = ToJson(SampleResult(), {{"server", "a \"quoted\" path"}});
  EXPECT_NE(j.find(R"("server":"a \"quoted\" path")"), std::string::npos) << j;
  EXPECT_EQ(JsonNumber(j, "window_s"), 8);
  EXPECT_EQ(JsonNumber(j, "cpu_percent_of_allowed"), 75);
  EXPECT_EQ(JsonNumber(j, "p99", j.find("\"rooms\"")), 99);
  EXPECT_EQ(JsonNumber(j, "delivered_ratio"), 0.99);
  EXPECT_EQ(JsonNumber(j, "skipped_ratio"), 0.01);
  EXPECT_EQ(JsonNumber(j, "server_cores", j.find("\"timeline\"")), 1.25);
  int depth = 0;
  for (char c : j) {
    depth += c == '{' || c == '[';
    depth -= c == '}' || c == ']';
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
}

TEST(Report, LatencyByGroupAndMirrorsInTableAndJson) {
  RunResult r = SampleResult();
  RoomResult mirror = r.rooms[0];
  mirror.name = "r@127.0.0.2:8081";
  mirror.senders = 0;
  mirror.mirror_of = 0;
  Percentiles p;
  p.Add(50'000);
  mirror.by_group = {{"127.0.0.1:8080", Summarize(p)}, {"127.0.0.2:8081", {}}};
  r.rooms.push_back(mirror);
  r.server_rooms.push_back(std::nullopt);
  const std::string t = FormatTable(r);
  EXPECT_NE(t.find("  from 127.0.0.1:8080"), std::string::npos) << t;
  EXPECT_NE(t.find("50.0/50.0/50.0/50.0 (1 frames)"), std::string::npos) << t;
  EXPECT_NE(t.find("- (0 frames)"), std::string::npos) << t;
  const std::string j = ToJson(r, {});
  EXPECT_NE(j.find("\"mirror_of\":0,\"latency_by_group_ms\":{\"127.0.0.1:8080\":{\"samples\":1,"
                   "\"p50\":50,"),
            std::string::npos)
      << j;
  EXPECT_EQ(ToJson(SampleResult(), {}).find("latency_by_group_ms"), std::string::npos);
}

}  // namespace
}  // namespace tessera::loadgen
