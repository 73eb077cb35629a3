#include "loadgen/options.h"

#include <gtest/gtest.h>

namespace tessera::loadgen {
namespace {

TEST(Options, TheFirstEndToEndCommandLine) {
  auto o = ParseOptions(
      {"--rooms", "1", "--participants", "4", "--seconds", "10", "--tessera", "build/tessera"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->generate.rooms, 1);
  EXPECT_EQ(o->generate.participants, 4);
  EXPECT_EQ(o->engine.seconds, 10);
  EXPECT_EQ(o->tessera, "build/tessera");
  EXPECT_EQ(o->input_width, 640);
  EXPECT_EQ(o->generate.output.width, 1280);
  EXPECT_TRUE(o->generate.audio);
}

TEST(Options, SizesCodecsAndFlagsWithEqualsSigns) {
  auto o = ParseOptions({"--config=my.yaml", "--pid=42", "--input", "320x180@15",
                         "--output=640x360", "--codec", "mixed", "--output-codec", "VP8",
                         "--no-audio", "--viewer-only", "--ports", "30000-30999", "--quiet"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->config, "my.yaml");
  EXPECT_EQ(o->pid, 42);
  EXPECT_EQ(o->input_width, 320);
  EXPECT_EQ(o->input_fps, 15);
  EXPECT_EQ(o->generate.output.height, 360);
  EXPECT_EQ(o->generate.output.fps, 30);  // unchanged when the rate is left out
  EXPECT_EQ(o->generate.input_codecs.size(), 2u);
  EXPECT_EQ(o->generate.output.codec, rtp::Codec::kVp8);
  EXPECT_FALSE(o->generate.audio);
  EXPECT_FALSE(o->generate.participants_receive_video);
  EXPECT_EQ(o->port_min, 30000);
  EXPECT_FALSE(o->progress);
}

TEST(Options, CapacitySearchAndItsCriteria) {
  auto o =
      ParseOptions({"--tessera", "build/tessera", "--capacity", "--rooms", "2", "--capacity-max",
                    "12", "--max-p99-ms", "60", "--max-cpu-pct=90", "--max-skipped-pct", "0.5",
                    "--min-delivered-pct", "95", "--server-cpus", "0-1", "--loadgen-cpus", "2-7"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->capacity);
  EXPECT_EQ(o->generate.rooms, 2);
  EXPECT_EQ(o->capacity_max, 12);
  EXPECT_DOUBLE_EQ(o->criteria.max_p99_ms, 60);
  EXPECT_DOUBLE_EQ(o->criteria.max_cpu_pct, 90);
  EXPECT_DOUBLE_EQ(o->criteria.max_skipped_pct, 0.5);
  EXPECT_DOUBLE_EQ(o->criteria.min_delivered_pct, 95);
  EXPECT_EQ(o->loadgen_cpus, "2-7");

  auto defaults = ParseOptions({"--tessera", "t", "--capacity"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_DOUBLE_EQ(defaults->criteria.max_skipped_pct, 1.0);
  EXPECT_DOUBLE_EQ(defaults->criteria.max_p99_ms, 100);
  EXPECT_DOUBLE_EQ(defaults->criteria.max_cpu_pct, 0);

  auto on_running = ParseOptions({"--config", "x.yaml", "--capacity"});
  ASSERT_FALSE(on_running.ok());
  EXPECT_NE(on_running.status().message().find("--capacity needs --tessera"), std::string::npos);
  auto bad_pct = ParseOptions({"--tessera", "t", "--max-cpu-pct", "120"});
  ASSERT_FALSE(bad_pct.ok());
  EXPECT_NE(bad_pct.status().message().find("--max-cpu-pct"), std::string::npos);
}

TEST(Options, ErrorsNameTheFlag) {
  auto bad = [](std::vector<std::string> args) {
    auto o = ParseOptions(args);
    return o.ok() ? std::string("ok") : o.status().message();
  };
  EXPECT_NE(bad({"--tessera", "t", "--rooms", "0"}).find("--rooms 0"), std::string::npos);
  EXPECT_NE(bad({"--tessera", "t", "--input", "641x360"}).find("--input"), std::string::npos);
  EXPECT_NE(bad({"--tessera", "t", "--codec", "H265"}).find("H264, VP8 or mixed"),
            std::string::npos);
  EXPECT_NE(bad({"--tessera"}).find("needs a value"), std::string::npos);
  EXPECT_NE(bad({"--tessera", "t", "--frobnicate", "1"}).find("unknown option"), std::string::npos);
  EXPECT_NE(bad({"--rooms", "2"}).find("either --tessera"), std::string::npos);
  EXPECT_NE(bad({"--tessera", "t", "--config", "c"}).find("either --tessera"), std::string::npos);
  EXPECT_NE(bad({"--config", "c", "--server-cpus", "0"}).find("needs --tessera"),
            std::string::npos);
  EXPECT_NE(bad({"--tessera", "t", "--seconds", "2", "--warmup", "2"}).find("--warmup"),
            std::string::npos);
}

TEST(Options, HelpNeedsNothingElse) {
  auto o = ParseOptions({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_NE(Usage().find("--tessera"), std::string::npos);
}

TEST(Options, TheApiModeAddsParticipantsToARunningRoom) {
  auto o = ParseOptions({"--api", "http://127.0.0.1:8080", "--token-file", "t", "--room",
                         "allhands", "--join", "30", "--seconds", "10", "--name-prefix", "x"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->api, "http://127.0.0.1:8080");
  EXPECT_EQ(o->token_file, "t");
  EXPECT_EQ(o->api_room, "allhands");
  EXPECT_EQ(o->api_join, 30);
  EXPECT_EQ(o->name_prefix, "x");
  EXPECT_FALSE(ParseOptions({"--api", "http://h:1", "--token-file", "t", "--room", "r"}).ok());
  EXPECT_FALSE(ParseOptions({"--api", "http://h:1", "--token-file", "t", "--room", "r", "--join",
                             "2", "--tessera", "b"})
                   .ok());
  EXPECT_FALSE(ParseOptions({"--tessera", "b", "--room", "r"}).ok());
  EXPECT_FALSE(ParseOptions({"--api", "u", "--join", "0"}).ok());
}

}  // namespace
}  // namespace tessera::loadgen
