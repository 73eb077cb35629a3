// Layout engine and CPU compositor on arbitrary geometry: ComputeLayout must keep every rect
// even-aligned and inside the canvas, and Compose must stay in bounds for any tiles, including
// hand-made ones that ignore those rules and pictures whose size changed since the layout.

#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/frame.h>
#include <tessera/mixer/layout.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <vector>

namespace {

using tessera::mixer::ComposeOptions;
using tessera::mixer::CpuCompositor;
using tessera::mixer::CustomLayout;
using tessera::mixer::CustomRegion;
using tessera::mixer::DownscaleFilter;
using tessera::mixer::FitPolicy;
using tessera::mixer::I420Frame;
using tessera::mixer::LayoutInput;
using tessera::mixer::LayoutKind;
using tessera::mixer::LayoutSpec;
using tessera::mixer::Rect;
using tessera::mixer::SlotRule;
using tessera::mixer::Tile;

// Reads bytes from the input, zero once it runs out.
class Bytes {
 public:
  explicit Bytes(std::span<const uint8_t> data) : data_(data) {}
  uint8_t Next() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  int Int(int max) { return static_cast<int>(((Next() << 8) | Next()) % (max + 1)); }
  bool Done() const { return pos_ >= data_.size(); }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

bool Even(const Rect& r) {
  return r.x % 2 == 0 && r.y % 2 == 0 && r.width % 2 == 0 && r.height % 2 == 0;
}

// A region fraction: mostly -0.15..1.15, sometimes NaN, infinite or huge.
double Fraction(Bytes& in) {
  const int v = in.Int(1400);
  if (v <= 1300) return (v - 150) / 1000.0;
  constexpr double kSpecial[] = {std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(), 1e300};
  return kSpecial[v % 4];
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(std::span<const uint8_t>(data, size));
  const uint8_t mode = in.Next();
  LayoutSpec spec;
  spec.kind = static_cast<LayoutKind>(mode % 4);
  spec.fit = (mode & 4) ? FitPolicy::kCrop : FitPolicy::kLetterbox;
  spec.border_px = in.Int(20) - 2;
  spec.max_thumbnails = in.Int(10) - 1;
  const int canvas_w = in.Int(320) - 4;
  const int canvas_h = in.Int(240) - 4;
  const int count = in.Int(30);
  std::vector<LayoutInput> inputs;
  for (int i = 0; i < count; ++i) {
    inputs.push_back(LayoutInput{static_cast<uint32_t>(1 + i), in.Int(200) - 2, in.Int(200) - 2});
  }
  std::optional<uint32_t> speaker;
  if (mode & 8) speaker = in.Next() % 32;
  // Custom layout (bit 0) with up to 26 regions; roles and pins of the inputs (bit 1).
  const uint8_t custom_mode = in.Next();
  CustomLayout custom;
  if (custom_mode & 1) {
    spec.kind = LayoutKind::kCustom;
    spec.custom = &custom;
    const int regions = (custom_mode >> 2) % 27;
    for (int r = 0; r < regions; ++r) {
      CustomRegion region;
      region.x = Fraction(in);
      region.y = Fraction(in);
      region.width = Fraction(in);
      region.height = Fraction(in);
      region.z = in.Next() % 7 - 3;
      const uint8_t rule = in.Next();
      region.rule = static_cast<SlotRule>(rule % 4);
      if (rule & 4) region.role = "presenter";
      if (rule & 8) region.fit = (rule & 16) ? FitPolicy::kCrop : FitPolicy::kLetterbox;
      custom.regions.push_back(region);
    }
  }
  if (custom_mode & 2) {
    for (LayoutInput& input : inputs) {
      const uint8_t flags = in.Next();
      input.pinned = flags & 1;
      if (flags & 2) input.role = "presenter";
    }
  }
  std::vector<Tile> tiles = ComputeLayout(spec, canvas_w, canvas_h, inputs, speaker);
  const Rect canvas_rect{0, 0, canvas_w & ~1, canvas_h & ~1};
  for (const Tile& t : tiles) {
    Check(Even(t.region) && Even(t.dest) && Even(t.src));
    Check(canvas_rect.Contains(t.region));
    Check(t.dest.Empty() || t.region.Contains(t.dest));
  }
  // Then arbitrary tiles, appended to the computed ones.
  while (!in.Done() && tiles.size() < 40) {
    Tile t;
    t.participant_id = in.Next() % 4;
    t.region = Rect{in.Int(400) - 40, in.Int(300) - 40, in.Int(400) - 40, in.Int(300) - 40};
    t.dest = Rect{in.Int(400) - 40, in.Int(300) - 40, in.Int(400) - 40, in.Int(300) - 40};
    t.src = Rect{in.Int(250) - 20, in.Int(250) - 20, in.Int(250) - 20, in.Int(250) - 20};
    t.z = in.Next() % 3;
    t.highlight = in.Next() & 1;
    tiles.push_back(t);
  }
  // Pictures: the layout's size for computed tiles, or a different one when the mode says so.
  std::vector<I420Frame> frames;
  frames.reserve(tiles.size());
  std::vector<const I420Frame*> pictures;
  for (size_t i = 0; i < tiles.size(); ++i) {
    int w = 0;
    int h = 0;
    if (i < inputs.size() && !(mode & 16)) {
      w = inputs[i].width;
      h = inputs[i].height;
    } else {
      w = static_cast<int>((i * 37 + mode) % 130);
      h = static_cast<int>((i * 53 + mode) % 97);
    }
    if (w > 0 && h > 0) {
      frames.push_back(I420Frame::Make(w, h));
      pictures.push_back(&frames.back());
    } else {
      pictures.push_back(nullptr);
    }
  }
  if (canvas_w > 0 && canvas_h > 0) {
    I420Frame canvas = I420Frame::Make(canvas_w, canvas_h);
    ComposeOptions options;
    options.border_px = spec.border_px;
    options.highlight_px = (mode >> 5) % 6;
    options.downscale = (mode & 128) ? DownscaleFilter::kBox : DownscaleFilter::kBilinear;
    CpuCompositor compositor;
    const auto stats = compositor.Compose(tiles, pictures, canvas, options);
    Check(stats.canvas_valid);
  }
  return 0;
}
