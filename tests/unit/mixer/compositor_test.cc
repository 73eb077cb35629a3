// The Compositor interface: which compositor a room gets for its device, and that the CPU one
// draws the same canvas through the interface as through its own I420 entry point.
#include <gtest/gtest.h>
#include <libyuv/planar_functions.h>
#include <tessera/codec/hw_device.h>
#include <tessera/mixer/compositor.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/cuda_compositor.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessera::mixer {
namespace {

std::shared_ptr<const I420Frame> Solid(int w, int h, YuvColor c) {
  auto f = std::make_shared<I420Frame>(I420Frame::Make(w, h));
  libyuv::I420Rect(f->y.data(), f->stride_y, f->u.data(), f->stride_u, f->v.data(), f->stride_v, 0,
                   0, w, h, c.y, c.u, c.v);
  return f;
}

TEST(CreateCompositor, WithoutADeviceIsTheCpuCompositor) {
  const CompositorChoice c = CreateCompositor(nullptr);
  ASSERT_NE(c.compositor, nullptr);
  EXPECT_EQ(c.compositor->backend(), codec::HwBackend::kCpu);
  EXPECT_TRUE(c.fallback.empty()) << c.fallback;
}

TEST(CreateCompositor, ACudaDeviceGetsTheCudaCompositorOrTheCpuOneWithTheReason) {
  codec::HwDevice device(codec::HwBackend::kCuda, nullptr, "test device");
  const CompositorChoice c = CreateCompositor(&device);
  ASSERT_NE(c.compositor, nullptr);
  const Status available = CudaComposeAvailable(0);
  if (available.ok()) {
    EXPECT_EQ(c.compositor->backend(), codec::HwBackend::kCuda);
    EXPECT_TRUE(c.fallback.empty()) << c.fallback;
  } else {
    EXPECT_EQ(c.compositor->backend(), codec::HwBackend::kCpu);
    EXPECT_NE(c.fallback.find(available.message()), std::string::npos) << c.fallback;
  }
}

TEST(CreateCompositor, QuickSyncAndLostDevicesComposeOnTheCpuAndSayWhy) {
  codec::HwDevice qsv(codec::HwBackend::kQsv, nullptr, "test device");
  const CompositorChoice q = CreateCompositor(&qsv);
  EXPECT_EQ(q.compositor->backend(), codec::HwBackend::kCpu);
  EXPECT_NE(q.fallback.find("not built"), std::string::npos) << q.fallback;

  codec::HwDevice lost(codec::HwBackend::kCuda, nullptr, "test device");
  lost.MarkLost("test: gone");
  const CompositorChoice l = CreateCompositor(&lost);
  EXPECT_EQ(l.compositor->backend(), codec::HwBackend::kCpu);
  EXPECT_EQ(l.fallback, "device lost: test: gone");
}

TEST(CpuCompositorInterface, DrawsTheSameCanvasAsTheI420EntryPoint) {
  constexpr int kW = 640;
  constexpr int kH = 360;
  std::vector<LayoutInput> inputs;
  for (uint32_t id = 1; id <= 3; ++id) inputs.push_back({.id = id, .width = 320, .height = 240});
  const std::vector<Tile> tiles = ComputeLayout({}, kW, kH, inputs, std::nullopt);
  ASSERT_GE(tiles.size(), 3u);
  // Participants 1 and 2 send pictures, 3 has none yet (its placeholder).
  std::vector<std::shared_ptr<const I420Frame>> frames;
  for (const Tile& t : tiles) {
    frames.push_back(t.participant_id == 1   ? Solid(320, 240, {81, 90, 240})
                     : t.participant_id == 2 ? Solid(320, 240, {145, 54, 34})
                                             : nullptr);
  }
  std::vector<codec::Picture> pictures;
  std::vector<const codec::Picture*> picture_ptrs;
  std::vector<const I420Frame*> frame_ptrs;
  for (const auto& f : frames) pictures.emplace_back(f);
  for (size_t i = 0; i < tiles.size(); ++i) {
    picture_ptrs.push_back(&pictures[i]);
    frame_ptrs.push_back(frames[i].get());
  }
  ComposeOptions options;
  options.border_px = 2;

  CpuCompositor direct;
  I420Frame expected = I420Frame::Make(kW, kH);
  const ComposeStats a = direct.Compose(tiles, frame_ptrs, expected, options);

  std::unique_ptr<Compositor> through = CreateCompositor(nullptr).compositor;
  I420Frame canvas = I420Frame::Make(kW, kH);
  const ComposeStats b =
      through->Compose(tiles, picture_ptrs, ComposeTarget{.host = &canvas}, options);
  ASSERT_TRUE(b.canvas_valid);
  EXPECT_EQ(canvas.y, expected.y);
  EXPECT_EQ(canvas.u, expected.u);
  EXPECT_EQ(canvas.v, expected.v);
  EXPECT_EQ(b.copied + b.scaled, 2);
  EXPECT_EQ(b.copied + b.scaled, a.copied + a.scaled);
  EXPECT_EQ(b.placeholders, a.placeholders);
  EXPECT_GE(b.placeholders, 1);
  EXPECT_EQ(b.uploads, 0);
  EXPECT_EQ(b.unreadable, 0);

  // A target in memory it cannot draw into changes nothing and says so.
  const ComposeStats none = through->Compose(tiles, picture_ptrs, ComposeTarget{}, options);
  EXPECT_FALSE(none.canvas_valid);
}

}  // namespace
}  // namespace tessera::mixer
