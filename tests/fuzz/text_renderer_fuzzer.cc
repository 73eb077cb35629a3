// TextRenderer and its UTF-8 decoder on arbitrary names, boxes, sizes and canvases: decoding must
// yield only valid, non-control code points; drawing must stay inside the box and the canvas, and
// a second (cached) draw must give the same pixels. Without a font only the decoder is fuzzed.

#include <tessera/mixer/frame.h>
#include <tessera/mixer/layout.h>
#include <tessera/mixer/text_renderer.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "fuzz_input.h"
#include "mixer/utf8.h"

namespace {

using tessera::mixer::I420Frame;
using tessera::mixer::Rect;
using tessera::mixer::TextRenderer;
using tessera::mixer::TextStyle;

void Check(bool ok) {
  if (!ok) std::abort();
}

TextRenderer* Renderer() {
  static std::unique_ptr<TextRenderer> renderer = [] {
    auto created = TextRenderer::Create();
    return created.ok() ? std::move(created).value() : nullptr;
  }();
  return renderer.get();
}

I420Frame Canvas(int w, int h) {
  I420Frame f = I420Frame::Make(w, h);
  std::fill(f.y.begin(), f.y.end(), 90);
  std::fill(f.u.begin(), f.u.end(), 100);
  std::fill(f.v.begin(), f.v.end(), 150);
  return f;
}

bool Inside(const Rect& outer, const Rect& inner) {
  return inner.x >= outer.x && inner.y >= outer.y &&
         int64_t{inner.x} + inner.width <= int64_t{outer.x} + outer.width &&
         int64_t{inner.y} + inner.height <= int64_t{outer.y} + outer.height;
}

// Every luma pixel outside `drawn` and every chroma sample not sharing a luma pixel with it is as
// it was.
void CheckOnlyInside(const I420Frame& before, const I420Frame& after, const Rect& drawn) {
  for (int y = 0; y < before.height; ++y) {
    for (int x = 0; x < before.width; ++x) {
      const bool in = !drawn.Empty() && x >= drawn.x && x < drawn.x + drawn.width && y >= drawn.y &&
                      y < drawn.y + drawn.height;
      if (!in) Check(before.y[y * before.stride_y + x] == after.y[y * after.stride_y + x]);
    }
  }
  for (int y = 0; y < before.ChromaHeight(); ++y) {
    for (int x = 0; x < before.ChromaWidth(); ++x) {
      const bool in = !drawn.Empty() && 2 * x + 1 >= drawn.x && 2 * x < drawn.x + drawn.width &&
                      2 * y + 1 >= drawn.y && 2 * y < drawn.y + drawn.height;
      const int i = y * before.stride_u + x;
      if (!in) Check(before.u[i] == after.u[i] && before.v[i] == after.v[i]);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tessera::fuzz::Input in({data, size});
  const uint8_t flags = in.Byte();
  const int canvas_w = 1 + in.Byte() % 160;
  const int canvas_h = 1 + in.Byte() % 96;
  // Small signed offsets around the canvas, or (flag) values near the int limits.
  auto coord = [&]() -> int {
    const int16_t v = static_cast<int16_t>(in.U16());
    if ((flags & 0x80) == 0) return v % 300;
    return v < 0 ? INT32_MIN + (-(v + 1)) : INT32_MAX - v;
  };
  const Rect box{coord(), coord(), coord(), coord()};
  const TextStyle style{.pixel_height = static_cast<int>(in.Byte()) - 8,
                        .color = {in.Byte(), in.Byte(), in.Byte()},
                        .shadow = (flags & 1) != 0};
  constexpr size_t kHeaderBytes = 15;  // the reads above
  const size_t used = std::min(size, kHeaderBytes);
  const std::string_view text(reinterpret_cast<const char*>(data) + used, size - used);

  const tessera::mixer::DecodedText decoded = tessera::mixer::DecodeUtf8(text, 64);
  Check(decoded.code_points.size() <= std::min<size_t>(text.size(), 64));
  for (char32_t c : decoded.code_points) {
    Check(c <= 0x10FFFF && (c < 0xD800 || c > 0xDFFF) && c >= 0x20 && (c < 0x7F || c >= 0xA0));
  }

  TextRenderer* renderer = Renderer();
  if (renderer == nullptr) return 0;
  const bool label = (flags & 2) != 0;
  const I420Frame before = Canvas(canvas_w, canvas_h);
  I420Frame first = before;
  const Rect drawn = label ? renderer->DrawLabel(text, box, style, first)
                           : renderer->DrawCentered(text, box, style, first);
  if (!drawn.Empty()) {
    Check(Inside(box, drawn));
    Check(Inside(Rect{0, 0, canvas_w, canvas_h}, drawn));
  }
  CheckOnlyInside(before, first, drawn);
  I420Frame second = before;
  const Rect again = label ? renderer->DrawLabel(text, box, style, second)
                           : renderer->DrawCentered(text, box, style, second);
  Check(again == drawn);
  Check(first.y == second.y && first.u == second.u && first.v == second.v);
  return 0;
}
