// The CUDA compositor against the CPU compositor (PSNR, every tile) and against the CPU reference
// of its own maths (byte for byte). Skipped, with the reason, where no usable CUDA device is.
#include <gtest/gtest.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/cuda_compositor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mixer/nv12_reference_compositor.h"
#include "unit/mixer/nv12_scenes.h"

#ifdef TESSERA_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace tessera::mixer {
namespace {

TEST(CudaComposeAvailable, SaysWhyNotWhenUnavailable) {
  const Status status = CudaComposeAvailable();
  if (status.ok()) GTEST_SKIP() << "a CUDA device is available";
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(status.message().empty());
  const auto compositor = CudaCompositor::Create();
  ASSERT_FALSE(compositor.ok());
  EXPECT_EQ(compositor.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(compositor.status().message(), status.message());
}

TEST(CudaComposeAvailable, RejectsMissingDeviceIndex) {
  EXPECT_FALSE(CudaComposeAvailable(1 << 20).ok());
  EXPECT_FALSE(CudaComposeAvailable(-1).ok());
}

#ifdef TESSERA_HAVE_CUDA

// An NV12 picture in device memory (pitched rows, as decoders give them).
class DeviceImage {
 public:
  explicit DeviceImage(const Nv12Image& host) : width_(host.width), height_(host.height) {
    size_t pitch_y = 0;
    size_t pitch_uv = 0;
    if (cudaMallocPitch(&y_, &pitch_y, width_, height_) != cudaSuccess ||
        cudaMallocPitch(&uv_, &pitch_uv, width_, height_ / 2) != cudaSuccess) {
      return;
    }
    pitch_y_ = static_cast<int>(pitch_y);
    pitch_uv_ = static_cast<int>(pitch_uv);
    ok_ = cudaMemcpy2D(y_, pitch_y, host.y.data(), width_, width_, height_,
                       cudaMemcpyHostToDevice) == cudaSuccess &&
          cudaMemcpy2D(uv_, pitch_uv, host.uv.data(), width_, width_, height_ / 2,
                       cudaMemcpyHostToDevice) == cudaSuccess;
  }
  ~DeviceImage() {
    (void)cudaFree(y_);
    (void)cudaFree(uv_);
  }
  DeviceImage(const DeviceImage&) = delete;
  DeviceImage& operator=(const DeviceImage&) = delete;

  bool ok() const { return ok_; }
  codec::Nv12DeviceView View() const {
    return {static_cast<uint8_t*>(y_),
            pitch_y_,
            static_cast<uint8_t*>(uv_),
            pitch_uv_,
            width_,
            height_};
  }
  Nv12Image Download() const {
    Nv12Image host = Nv12Image::Make(width_, height_);
    if (cudaMemcpy2D(host.y.data(), width_, y_, pitch_y_, width_, height_,
                     cudaMemcpyDeviceToHost) != cudaSuccess ||
        cudaMemcpy2D(host.uv.data(), width_, uv_, pitch_uv_, width_, height_ / 2,
                     cudaMemcpyDeviceToHost) != cudaSuccess) {
      return Nv12Image{};
    }
    return host;
  }

 private:
  void* y_ = nullptr;
  void* uv_ = nullptr;
  int pitch_y_ = 0;
  int pitch_uv_ = 0;
  int width_;
  int height_;
  bool ok_ = false;
};

class CudaCompositorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status available = CudaComposeAvailable();
    if (!available.ok()) GTEST_SKIP() << "no CUDA compositor here: " << available.message();
    auto created = CudaCompositor::Create();
    ASSERT_TRUE(created.ok()) << created.status().message();
    compositor_ = std::move(created.value());
  }

  std::unique_ptr<CudaCompositor> compositor_;
};

void CompareGridWithCpu(CudaCompositor& gpu, int count, int w, int h, DownscaleFilter filter) {
  const testing::Scene s = testing::GridScene(count, w, h, 4);
  const ComposeOptions options{.border_px = 4, .highlight_px = 6, .downscale = filter};

  I420Frame cpu_canvas = I420Frame::Make(w, h);
  CpuCompositor cpu;
  const ComposeStats cpu_stats = cpu.Compose(s.tiles, s.I420ByTile(), cpu_canvas, options);

  std::vector<std::unique_ptr<DeviceImage>> device;
  std::vector<codec::Nv12DeviceView> views;
  for (const Nv12Image& n : s.nv12) {
    device.push_back(n.width > 0 ? std::make_unique<DeviceImage>(n) : nullptr);
    ASSERT_TRUE(device.back() == nullptr || device.back()->ok());
    views.push_back(device.back() ? device.back()->View() : codec::Nv12DeviceView{});
  }
  std::vector<const codec::Nv12DeviceView*> by_tile;
  std::vector<Nv12Planes> host_planes = s.PlanesByParticipant();
  std::vector<const Nv12Planes*> host_by_tile;
  for (const Tile& t : s.tiles) {
    const bool has = t.participant_id != 0 && views[t.participant_id - 1].Valid();
    by_tile.push_back(has ? &views[t.participant_id - 1] : nullptr);
    host_by_tile.push_back(has ? &host_planes[t.participant_id - 1] : nullptr);
  }
  Nv12Image blank = Nv12Image::Make(w, h);
  DeviceImage canvas(blank);
  ASSERT_TRUE(canvas.ok());
  const ComposeStats stats = gpu.Compose(s.tiles, by_tile, canvas.View(), options);
  ASSERT_TRUE(stats.canvas_valid);
  EXPECT_EQ(stats.copied, cpu_stats.copied);
  EXPECT_EQ(stats.scaled, cpu_stats.scaled);
  EXPECT_EQ(stats.placeholders, cpu_stats.placeholders);
  EXPECT_EQ(stats.empty_slots, cpu_stats.empty_slots);

  const Nv12Image gpu_nv12 = canvas.Download();
  ASSERT_EQ(gpu_nv12.width, w);
  const I420Frame gpu_canvas = testing::ToI420(gpu_nv12);
  EXPECT_GE(testing::Psnr(cpu_canvas.y, gpu_canvas.y), 40.0);
  EXPECT_GE(testing::Psnr(cpu_canvas.u, gpu_canvas.u), 40.0);
  EXPECT_GE(testing::Psnr(cpu_canvas.v, gpu_canvas.v), 40.0);
  for (const Tile& t : s.tiles) {
    if (t.participant_id == 0 || t.dest.Empty()) continue;
    const Rect inner{t.dest.x + 8, t.dest.y + 8, t.dest.width - 16, t.dest.height - 16};
    const testing::MeanColor want = testing::MeanOf(cpu_canvas, inner);
    const testing::MeanColor got = testing::MeanOf(gpu_canvas, inner);
    EXPECT_NEAR(got.y, want.y, 2) << "tile of " << t.participant_id;
    EXPECT_NEAR(got.u, want.u, 2) << "tile of " << t.participant_id;
    EXPECT_NEAR(got.v, want.v, 2) << "tile of " << t.participant_id;
  }

  // The kernel runs the reference's maths: the same bytes.
  Nv12Image reference_canvas = Nv12Image::Make(w, h);
  Nv12ReferenceCompositor reference;
  (void)reference.Compose(s.tiles, host_by_tile, reference_canvas, options);
  EXPECT_EQ(gpu_nv12.y, reference_canvas.y);
  EXPECT_EQ(gpu_nv12.uv, reference_canvas.uv);
}

TEST_F(CudaCompositorTest, MatchesCpuCompositor3x3Into720pBilinear) {
  CompareGridWithCpu(*compositor_, 8, 1280, 720, DownscaleFilter::kBilinear);
}

TEST_F(CudaCompositorTest, MatchesCpuCompositor3x3Into720pBox) {
  CompareGridWithCpu(*compositor_, 8, 1280, 720, DownscaleFilter::kBox);
}

TEST_F(CudaCompositorTest, MatchesCpuCompositor5x5Into1080pBilinear) {
  CompareGridWithCpu(*compositor_, 25, 1920, 1080, DownscaleFilter::kBilinear);
}

TEST_F(CudaCompositorTest, MatchesCpuCompositor5x5Into1080pBox) {
  CompareGridWithCpu(*compositor_, 25, 1920, 1080, DownscaleFilter::kBox);
}

TEST_F(CudaCompositorTest, InvalidCanvasIsNotDrawn) {
  const ComposeStats stats = compositor_->Compose({}, {}, codec::Nv12DeviceView{}, {});
  EXPECT_FALSE(stats.canvas_valid);
}

TEST_F(CudaCompositorTest, ManyOpsTakeSeveralLaunchesInZOrder) {
  // 300 overlapping placeholder tiles with borders, each one z above and 2 pixels right of the
  // previous: more ops than one launch takes, and the canvas shows which is on top.
  std::vector<Tile> tiles;
  for (int i = 0; i < 300; ++i) {
    const Rect r{2 * i, 0, 40, 32};
    tiles.push_back(
        Tile{.participant_id = static_cast<uint32_t>(i + 1), .region = r, .dest = r, .z = i});
  }
  Nv12Image blank = Nv12Image::Make(640, 32);
  DeviceImage canvas(blank);
  ASSERT_TRUE(canvas.ok());
  const ComposeOptions options{.placeholder = {99, 77, 55}, .border_px = 2};
  const ComposeStats stats = compositor_->Compose(tiles, {}, canvas.View(), options);
  ASSERT_TRUE(stats.canvas_valid);
  EXPECT_EQ(stats.placeholders, 300);
  Nv12Image reference_canvas = Nv12Image::Make(640, 32);
  Nv12ReferenceCompositor reference;
  (void)reference.Compose(tiles, {}, reference_canvas, options);
  const Nv12Image got = canvas.Download();
  EXPECT_EQ(got.y, reference_canvas.y);
  EXPECT_EQ(got.uv, reference_canvas.uv);
}

#endif  // TESSERA_HAVE_CUDA

}  // namespace
}  // namespace tessera::mixer
