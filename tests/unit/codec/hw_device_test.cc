// Opening hardware devices on the machine the tests run on. Without a GPU (the usual CI machine)
// every open fails with a precise reason; on a GPU machine the CUDA case checks the device.
#include <gtest/gtest.h>
#include <tessera/codec/hw_device.h>

extern "C" {
#include <libavutil/hwcontext.h>
}

#include <filesystem>
#include <fstream>

#include "codec/drm_render_nodes.h"

namespace tessera::codec {
namespace {

TEST(HwBackendNames, RoundTrip) {
  for (HwBackend b : {HwBackend::kCpu, HwBackend::kCuda, HwBackend::kQsv}) {
    EXPECT_EQ(HwBackendFromName(HwBackendName(b)), b);
  }
  EXPECT_EQ(HwBackendFromName("CUDA"), std::nullopt);
  EXPECT_EQ(HwBackendFromName("nvenc"), std::nullopt);
  EXPECT_EQ(HwBackendFromName(""), std::nullopt);
}

TEST(OpenHwDevice, CpuHasNoDevice) {
  EXPECT_EQ(OpenHwDevice(HwBackend::kCpu, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(OpenHwDevice, CudaOpensOrSaysWhyNot) {
  auto d = OpenHwDevice(HwBackend::kCuda, {});
  if (d.ok()) {
    ASSERT_NE((*d)->av_device_ctx(), nullptr);
    const auto* ctx = reinterpret_cast<const AVHWDeviceContext*>((*d)->av_device_ctx()->data);
    EXPECT_EQ(ctx->type, AV_HWDEVICE_TYPE_CUDA);
    EXPECT_EQ((*d)->backend(), HwBackend::kCuda);
    EXPECT_NE((*d)->description().find("CUDA device 0"), std::string::npos);
    return;
  }
  EXPECT_EQ(d.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(d.status().message().empty());
  if (!std::filesystem::exists("/dev/nvidiactl")) {
    // No NVIDIA driver here: the reason names what is missing, not FFmpeg's "Operation not
    // permitted".
    const std::string& m = d.status().message();
    EXPECT_TRUE(m.find("libcuda.so.1") != std::string::npos ||
                m.find("cuInit") != std::string::npos)
        << m;
  }
}

TEST(OpenHwDevice, CudaDeviceOutOfRangeIsUnavailable) {
  HwDeviceOptions o;
  o.cuda_device = 64;
  auto d = OpenHwDevice(HwBackend::kCuda, o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(d.status().message().empty());
}

TEST(OpenHwDevice, QsvOpensOrSaysWhyNot) {
  auto d = OpenHwDevice(HwBackend::kQsv, {});
  if (d.ok()) {
    const auto* ctx = reinterpret_cast<const AVHWDeviceContext*>((*d)->av_device_ctx()->data);
    EXPECT_EQ(ctx->type, AV_HWDEVICE_TYPE_QSV);
    return;
  }
  EXPECT_EQ(d.status().code(), StatusCode::kUnavailable);
  bool intel = false;
  for (const auto& n : ListRenderNodes()) intel |= n.vendor == kPciVendorIntel;
  if (!intel) {
    EXPECT_NE(d.status().message().find("no Intel GPU"), std::string::npos);
  }
}

TEST(OpenHwDevice, QsvOnAMissingNodeNamesIt) {
  HwDeviceOptions o;
  o.qsv_device = "/dev/dri/renderD999";
  auto d = OpenHwDevice(HwBackend::kQsv, o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "qsv device /dev/dri/renderD999 does not exist");
}

class RenderNodesTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("tessera_drm_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "dev");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void AddNode(const std::string& name, const char* vendor, const char* driver) {
    std::ofstream(root_ / "dev" / name).put('\0');
    const auto device = root_ / "sys" / name / "device";
    std::filesystem::create_directories(device);
    std::ofstream(device / "vendor") << vendor << "\n";
    std::filesystem::create_directory_symlink(root_ / "drivers" / driver, device / "driver");
  }
  std::filesystem::path root_;
};

TEST_F(RenderNodesTest, ListsRenderNodesWithVendorAndDriver) {
  AddNode("renderD129", "0x8086", "i915");
  AddNode("renderD128", "0x10de", "nvidia");
  std::ofstream(root_ / "dev" / "card0").put('\0');  // not a render node
  const auto nodes = ListRenderNodes((root_ / "dev").string(), (root_ / "sys").string());
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].vendor, 0x10deu);
  EXPECT_EQ(nodes[0].driver, "nvidia");
  EXPECT_EQ(DescribeRenderNode(nodes[0]), "renderD128 (vendor 0x10de, nvidia)");
  EXPECT_EQ(nodes[1].vendor, kPciVendorIntel);
  EXPECT_EQ(nodes[1].driver, "i915");
}

TEST_F(RenderNodesTest, NoDevDriMeansNoNodes) {
  EXPECT_TRUE(ListRenderNodes((root_ / "absent").string(), (root_ / "sys").string()).empty());
}

}  // namespace
}  // namespace tessera::codec

namespace tessera::codec {
namespace {

TEST(HwDeviceLost, TheFirstReasonIsKeptAndEveryUserSeesIt) {
  HwDevice device(HwBackend::kCuda, nullptr, "test GPU", 1);
  EXPECT_EQ(device.ordinal(), 1);
  EXPECT_FALSE(device.lost());
  device.MarkLost("30 GPU failures in a row");
  device.MarkLost("a later failure");
  EXPECT_TRUE(device.lost());
  EXPECT_EQ(device.lost_reason(), "30 GPU failures in a row");
}

}  // namespace
}  // namespace tessera::codec
