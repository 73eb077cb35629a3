#include "loadgen/tessera_process.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "loadgen/proc_stats.h"
#include "tessera/base/clock.h"

namespace tessera::loadgen {
namespace {

// Lines as Tessera prints them at stop (src/app/room_host.cc), abridged.
const std::vector<std::string> kLines = {
    R"({"room":"lg-r0","participants":4,"ticks":500,"skipped_ticks":1,"late_ticks":0})",
    R"({"room":"lg-r0","media":"video","layout":"grid","ticks":300,"skipped_ticks":3,)"
    R"("late_ticks":5,"tick_lateness_p99_ms":0.4,"tick_cost_p50_ms":9.5,"tick_cost_p99_ms":17.2,)"
    R"("composes":300,"profiles":{"out":{"encodes":300}},"latency_ms":{"samples":1200,)"
    R"("p50":21.3,"p99":40.1}})",
    R"({"participant":"r0p0","room":"lg-r0","media":"video","rtp_received":10})",
    R"({"room":"lg-r1","media":"video","ticks":299,"skipped_ticks":0,"composes":299})",
};

TEST(ServerSummaries, ReadsTicksSkippedTicksAndLatencyPerRoom) {
  const auto rooms = ParseServerSummaries(kLines);
  ASSERT_EQ(rooms.size(), 2u);
  const auto& r0 = rooms.at("lg-r0");
  EXPECT_EQ(r0.video_ticks, 300);
  EXPECT_EQ(r0.video_skipped_ticks, 3);
  EXPECT_EQ(r0.video_late_ticks, 5);
  EXPECT_EQ(r0.tick_cost_p99_ms, 17.2);
  EXPECT_EQ(r0.latency_p50_ms, 21.3);
  EXPECT_EQ(r0.latency_p99_ms, 40.1);
  EXPECT_EQ(r0.audio_ticks, 500);
  EXPECT_EQ(r0.audio_skipped_ticks, 1);
  const auto& r1 = rooms.at("lg-r1");
  EXPECT_EQ(r1.video_ticks, 299);
  EXPECT_FALSE(r1.latency_p99_ms.has_value());
}

TEST(ServerSummaries, JsonNumberFindsKeysFromAnOffset) {
  const std::string j = R"({"a":1,"x":{"a":-2.5e1}})";
  EXPECT_EQ(JsonNumber(j, "a"), 1);
  EXPECT_EQ(JsonNumber(j, "a", j.find("\"x\"")), -25);
  EXPECT_EQ(JsonNumber(j, "b"), std::nullopt);
  EXPECT_EQ(JsonNumber(R"({"a":"text"})", "a"), std::nullopt);
}

// A stand-in server: says it is ready, and prints a summary line when stopped.
std::string WriteScript(const std::string& name, const std::string& body) {
  const auto path =
      std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".sh");
  std::ofstream(path) << "#!/bin/sh\n" << body;
  chmod(path.c_str(), 0755);
  return path.string();
}

TEST(TesseraProcess, StartsWaitsForReadyAndCollectsTheStopLines) {
  TesseraOptions o;
  o.binary = WriteScript("fake-tessera", R"(
trap 'echo "{\"room\":\"r\",\"media\":\"video\",\"ticks\":30,\"skipped_ticks\":2}"; exit 0' TERM
echo "starting"
echo "tessera: ready"
while :; do sleep 1 >/dev/null & wait $!; done
)");
  o.config_path = "unused.yaml";
  o.cpus = "0";
  auto p = TesseraProcess::Start(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const auto sample = SampleProcess((*p)->pid(), SystemClock().NowUs());
  ASSERT_TRUE(sample.has_value());
  EXPECT_EQ(sample->cpus_allowed, 1);
  const auto exit = (*p)->Stop(10);
  EXPECT_EQ(exit.status, 0);
  ASSERT_EQ(exit.lines.size(), 1u);
  EXPECT_EQ(ParseServerSummaries(exit.lines).at("r").video_skipped_ticks, 2);
  std::remove(o.binary.c_str());
}

TEST(TesseraProcess, ServerThatExitsBeforeReadyIsAnError) {
  TesseraOptions o;
  o.binary = WriteScript("fake-tessera-fails", "echo 'bad config' >&2\nexit 1\n");
  o.log_path = (std::filesystem::temp_directory_path() /
                ("fake-tessera-" + std::to_string(getpid()) + ".log"))
                   .string();
  auto p = TesseraProcess::Start(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("exit status 1"), std::string::npos);
  std::ifstream log(o.log_path);
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "bad config");
  std::remove(o.binary.c_str());
  std::remove(o.log_path.c_str());
}

TEST(CpuLists, PinningTheCallingThreadIsWhatCurrentCpuListReads) {
  const std::string all = CurrentCpuList();
  ASSERT_FALSE(all.empty());
  const std::string first = all.substr(0, all.find_first_of(",-"));
  std::string pinned;
  Status status = Status::Ok();
  std::thread t([&] {
    status = PinCallingThread(first);
    pinned = CurrentCpuList();
  });
  t.join();
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(pinned, first);
  EXPECT_EQ(CurrentCpuList(), all);  // other threads keep theirs
  EXPECT_FALSE(PinCallingThread("x-y").ok());
}

TEST(TesseraProcess, MissingBinaryOrBadCpuListIsAnError) {
  TesseraOptions o;
  o.binary = "/nonexistent/tessera";
  EXPECT_FALSE(TesseraProcess::Start(o).ok());
  o.binary = "/bin/true";
  o.cpus = "x";
  EXPECT_FALSE(TesseraProcess::Start(o).ok());
}

}  // namespace
}  // namespace tessera::loadgen
