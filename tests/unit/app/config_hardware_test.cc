#include <gtest/gtest.h>

#include "app/config.h"

namespace tessera::app {
namespace {

using codec::HwBackend;

constexpr const char* kRoom = R"(
rooms:
  - name: ward
    video:
      profiles: [{name: hd}]
      %s
    participants:
      - {name: cam, video: {codec: H264}}
)";

std::string WithRoomVideo(const std::string& line) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), kRoom, line.c_str());
  return buf;
}

TEST(HardwareConfig, DefaultsToAutoWithCpuLastAndNothingRequired) {
  auto c = ParseConfig("", "h.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->hardware.backends,
            (std::vector<HwBackend>{HwBackend::kCuda, HwBackend::kQsv, HwBackend::kCpu}));
  EXPECT_FALSE(c->hardware.required);
  EXPECT_EQ(c->hardware.cuda_device, 0u);
  EXPECT_EQ(c->hardware.qsv_device, "");
  auto d = LoadDefaultConfig();
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->rooms[0].video->hardware);  // the demo room follows the global order
}

TEST(HardwareConfig, ParsesEveryKey) {
  auto c = ParseConfig(R"(
hardware:
  backends: [qsv, cuda]
  required: cuda
  cuda_device: 1
  qsv_device: /dev/dri/renderD129
)",
                       "h.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->hardware.backends, (std::vector<HwBackend>{HwBackend::kQsv, HwBackend::kCuda}));
  EXPECT_EQ(c->hardware.required, HwBackend::kCuda);
  EXPECT_EQ(c->hardware.cuda_device, 1u);
  EXPECT_EQ(c->hardware.qsv_device, "/dev/dri/renderD129");
}

TEST(HardwareConfig, AutoAndCpuOnlyOrders) {
  auto a = ParseConfig("hardware: {backends: auto, required: qsv}", "h.yaml");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->hardware.backends.size(), 3u);
  EXPECT_EQ(a->hardware.required, HwBackend::kQsv);
  auto cpu = ParseConfig("hardware: {backends: [cpu]}", "h.yaml");
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->hardware.backends, std::vector<HwBackend>{HwBackend::kCpu});
}

TEST(HardwareConfig, ARoomOverridesTheOrder) {
  auto c = ParseConfig(WithRoomVideo("hardware: [qsv, cpu]"), "h.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->rooms[0].video->hardware);
  EXPECT_EQ(*c->rooms[0].video->hardware,
            (std::vector<HwBackend>{HwBackend::kQsv, HwBackend::kCpu}));
  auto a = ParseConfig(WithRoomVideo("hardware: auto"), "h.yaml");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->rooms[0].video->hardware->size(), 3u);
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class HardwareConfigErrors : public testing::TestWithParam<BadCase> {};

TEST_P(HardwareConfigErrors, NameTheFileLineKeyAndReason) {
  auto c = ParseConfig(GetParam().yaml, "h.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    All, HardwareConfigErrors,
    testing::Values(
        BadCase{"hardware: [cuda]",
                "h.yaml:1: hardware: must be a map (backends, required, cuda_device, qsv_device)"},
        BadCase{"hardware: {backend: [cuda]}",
                "h.yaml:1: hardware.backend: unknown key (known: backends, cuda_device, "
                "qsv_device, required)"},
        BadCase{"hardware: {backends: [cuda, nvenc]}",
                "h.yaml:1: hardware.backends[1]: unknown backend 'nvenc' (known: cuda, qsv, cpu)"},
        BadCase{"hardware: {backends: [cuda, cuda]}",
                "h.yaml:1: hardware.backends[1]: backend 'cuda' is listed twice"},
        BadCase{"hardware: {backends: [cpu, cuda]}",
                "h.yaml:1: hardware.backends[1]: 'cuda' comes after cpu, which always succeeds: "
                "it would never be tried"},
        BadCase{"hardware: {backends: []}",
                "h.yaml:1: hardware.backends: must be auto or a list of backends (cuda, qsv, "
                "cpu), got '<not a value>'"},
        BadCase{"hardware: {backends: gpu}",
                "h.yaml:1: hardware.backends: must be auto or a list of backends (cuda, qsv, "
                "cpu), got 'gpu'"},
        BadCase{"hardware: {required: cpu}",
                "h.yaml:1: hardware.required: must be none, cuda or qsv, got 'cpu' (the CPU "
                "needs no requiring: use backends: [cpu])"},
        BadCase{"hardware: {required: vaapi}",
                "h.yaml:1: hardware.required: must be none, cuda or qsv, got 'vaapi'"},
        BadCase{"hardware: {backends: [qsv, cpu], required: cuda}",
                "h.yaml:1: hardware.required: 'cuda' is not in hardware.backends"},
        BadCase{"hardware: {cuda_device: 64}",
                "h.yaml:1: hardware.cuda_device: must be in 0..63, got 64"},
        BadCase{"hardware: {qsv_device: renderD128}",
                "h.yaml:1: hardware.qsv_device: must be a DRM render node like "
                "/dev/dri/renderD128, got 'renderD128'"}));

TEST(HardwareConfig, RoomOrderErrorsNameTheRoom) {
  auto c = ParseConfig(WithRoomVideo("hardware: [cuda, opencl]"), "h.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "h.yaml:6: rooms[0].video.hardware[1]: unknown backend 'opencl' (known: cuda, qsv, "
            "cpu)");
}

TEST(HardwareConfig, ARoomCannotChooseWhileABackendIsRequired) {
  auto c = ParseConfig("hardware: {required: cuda}\n" + WithRoomVideo("hardware: [qsv]"), "h.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "h.yaml:7: rooms[0].video.hardware: a room cannot choose its backends while "
            "hardware.required is set (every room runs on cuda)");
}

}  // namespace
}  // namespace tessera::app
