#include "loadgen/capacity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "loadgen/capacity_report.h"

namespace tessera::loadgen {
namespace {

RunResult PassingRun(int rooms) {
  RunResult r;
  r.window_s = 8;
  for (int i = 0; i < rooms; ++i) {
    RoomResult room;
    room.name = "lg-r" + std::to_string(i);
    room.decoded = true;
    room.composites_expected = 240;
    room.composites = 240;
    room.match.shown = 900;
    r.rooms.push_back(room);
    ServerRoomFigures f;
    f.ticks = 300;
    f.skipped_ticks = 0;
    r.server_rooms.push_back(f);
  }
  Percentiles p;
  for (int i = 1; i <= 100; ++i) p.Add(i * 400);  // p99 ~ 39.6 ms
  r.total.latency = Summarize(p);
  r.total.match.shown = 900 * static_cast<uint64_t>(rooms);
  r.server_cores_mean = 1.2;
  r.server_cpus = 2;
  return r;
}

TEST(CapacityJudge, PassesARunWithinEveryLimit) {
  CapacityCriteria c;
  c.max_cpu_pct = 90;
  const Verdict v = Judge(PassingRun(3), c);
  EXPECT_TRUE(v.pass) << (v.failures.empty() ? "" : v.failures[0]);
  EXPECT_NEAR(v.cpu_pct, 60, 1e-9);
  EXPECT_DOUBLE_EQ(v.skipped_pct, 0);
  EXPECT_LT(v.p99_ms, 100);
}

TEST(CapacityJudge, FailsOnTheWorstRoomsSkippedTicks) {
  RunResult r = PassingRun(3);
  r.server_rooms[1]->ticks = 294;
  r.server_rooms[1]->skipped_ticks = 6;  // 2% of 300 due
  const Verdict v = Judge(r, {});
  EXPECT_FALSE(v.pass);
  EXPECT_NEAR(v.skipped_pct, 2.0, 1e-9);
  ASSERT_EQ(v.failures.size(), 1u);
  EXPECT_NE(v.failures[0].find("skipped ticks 2.00% > 1.00%"), std::string::npos) << v.failures[0];
}

TEST(CapacityJudge, UsesCompositeGapsWhenTheServerGaveNoFigures) {
  RunResult r = PassingRun(1);
  r.server_rooms[0].reset();
  r.rooms[0].missing_intervals = 12;  // 5% of 240
  const Verdict v = Judge(r, {});
  EXPECT_FALSE(v.pass);
  EXPECT_NEAR(v.skipped_pct, 5.0, 1e-9);
}

TEST(CapacityJudge, FailsOnLatencyCpuAndDelivery) {
  RunResult r = PassingRun(2);
  Percentiles slow;
  for (int i = 1; i <= 100; ++i) slow.Add(i * 1500);  // p99 ~ 148.5 ms
  r.total.latency = Summarize(slow);
  r.server_cores_mean = 1.9;                   // 95% of 2
  r.total.match.missed = r.total.match.shown;  // 50% delivered
  CapacityCriteria c;
  c.max_cpu_pct = 90;
  c.min_delivered_pct = 95;
  const Verdict v = Judge(r, c);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.failures.size(), 3u);
}

TEST(CapacityJudge, AnEmptyOrBrokenRunNeverPasses) {
  RunResult empty;
  EXPECT_FALSE(Judge(empty, {}).pass);
  RunResult undecoded = PassingRun(2);
  undecoded.rooms[1].decoded = false;
  EXPECT_FALSE(Judge(undecoded, {}).pass);
  RunResult silent = PassingRun(2);
  silent.total.latency = {};
  EXPECT_FALSE(Judge(silent, {}).pass);
  RunResult gone = PassingRun(2);
  gone.server_gone = true;
  EXPECT_FALSE(Judge(gone, {}).pass);
  CapacityCriteria needs_cpu;
  needs_cpu.max_cpu_pct = 90;
  RunResult no_cpu = PassingRun(2);
  no_cpu.server_cores_mean.reset();
  EXPECT_FALSE(Judge(no_cpu, needs_cpu).pass);
}

// Runs the search against a machine that carries `limit` rooms; returns the rooms tried.
std::vector<int> Search(CapacitySearch& s, const std::function<bool(int)>& passes) {
  std::vector<int> tried;
  while (const auto m = s.Next()) {
    tried.push_back(*m);
    s.Record(*m, passes(*m));
    if (tried.size() > 64) break;
  }
  return tried;
}

TEST(CapacitySearch, DoublesThenBisectsToTheLimit) {
  CapacitySearch s(1, 64);
  const auto tried = Search(s, [](int m) { return m <= 5; });
  EXPECT_EQ(tried, (std::vector<int>{1, 2, 4, 8, 6, 5}));
  EXPECT_EQ(s.capacity(), 5);
  EXPECT_FALSE(s.hit_max());
}

TEST(CapacitySearch, FindsEveryLimitExactly) {
  for (int limit = 0; limit <= 40; ++limit) {
    for (int start : {1, 3, 5}) {
      CapacitySearch s(start, 32);
      const auto tried = Search(s, [limit](int m) { return m <= limit; });
      EXPECT_EQ(s.capacity(), std::min(limit, 32)) << "limit " << limit << " start " << start;
      EXPECT_EQ(s.hit_max(), limit >= 32);
      EXPECT_LE(tried.size(), 12u);
      std::vector<int> sorted = tried;
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end())
          << "a number of rooms was run twice";
    }
  }
}

TEST(CapacitySearch, APassAboveAFailureDoesNotRaiseTheCapacity) {
  CapacitySearch s(1, 64);
  s.Record(4, true);
  s.Record(8, false);
  s.Record(6, false);
  s.Record(7, true);  // noise near the limit
  EXPECT_EQ(s.capacity(), 4);
  EXPECT_EQ(s.Next(), 5);
}

TEST(CapacitySearch, AFailedStartBisectsDownwards) {
  CapacitySearch s(8, 64);
  const auto tried = Search(s, [](int m) { return m <= 2; });
  EXPECT_EQ(tried.front(), 8);
  EXPECT_EQ(s.capacity(), 2);
  CapacitySearch none(1, 64);
  Search(none, [](int) { return false; });
  EXPECT_EQ(none.capacity(), 0);
}

TEST(CapacityReport, TableAndJsonSayWhatEachStepMeasuredAndTheCapacity) {
  CapacityCriteria c;
  c.max_cpu_pct = 90;
  CapacityReport report;
  report.criteria = c;
  for (int rooms : {4, 8, 6, 5}) {
    CapacityStep s;
    s.rooms = rooms;
    s.result = PassingRun(rooms);
    s.result.server_cores_mean = 0.3 * rooms;  // 6 rooms: 90%, 8: 120%
    s.verdict = Judge(s.result, c);
    s.json_path = "/tmp/x/rooms-" + std::to_string(rooms) + "/result.json";
    report.steps.push_back(std::move(s));
  }
  report.capacity = 6;
  const std::string table = FormatCapacityTable(report);
  EXPECT_NE(table.find("capacity: 6 rooms (skipped ticks <= 1.00%, latency p99 <= 100 ms, "
                       "server CPU <= 90%)"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("server CPU 120.0% > 90.0%"), std::string::npos) << table;
  // Sorted by rooms.
  EXPECT_LT(table.find("\n4 "), table.find("\n5 "));
  EXPECT_LT(table.find("\n6 "), table.find("\n8 "));
  EXPECT_NE(FormatStepVerdict(report.steps[1]).find("8 rooms FAIL"), std::string::npos);

  const auto json =
      nlohmann::json::parse(CapacityJson(report, {{"rooms", "8"}, {"seconds", "10"}}));
  EXPECT_EQ(json["capacity_rooms"], 6);
  EXPECT_EQ(json["criteria"]["max_cpu_pct"], 90);
  ASSERT_EQ(json["steps"].size(), 4u);
  EXPECT_EQ(json["steps"][1]["rooms"], 8);
  EXPECT_EQ(json["steps"][1]["pass"], false);
  EXPECT_NEAR(json["steps"][1]["server_cpu_pct"].get<double>(), 120, 1e-9);
  EXPECT_EQ(json["config"]["seconds"], "10");
  EXPECT_FALSE(json["config"].contains("rooms"));
}

}  // namespace
}  // namespace tessera::loadgen
