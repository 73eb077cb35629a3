// VideoRoom's recorded variant: what a recording's recipient sees under the "exclude" consent
// policy (AddRecordedRecipient, SetExcluded).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/mixer/text_renderer.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/session/video_room.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

namespace tessera::session {
namespace {

struct Yuv {
  int y, u, v;
};
constexpr Yuv kRed{81, 90, 240};
constexpr Yuv kBlue{41, 240, 110};
constexpr Yuv kPlaceholder{48, 128, 128};  // mixer::ComposeOptions::placeholder

constexpr int kWidth = 320;
constexpr int kHeight = 180;
// The grid of two: side by side.
const mixer::Rect kLeft{0, 0, kWidth / 2, kHeight};
const mixer::Rect kRight{kWidth / 2, 0, kWidth / 2, kHeight};

std::ostream& operator<<(std::ostream& os, const Yuv& c) {
  return os << "(" << c.y << "," << c.u << "," << c.v << ")";
}

std::shared_ptr<const mixer::I420Frame> Solid(int w, int h, Yuv c) {
  auto f = std::make_shared<mixer::I420Frame>(mixer::I420Frame::Make(w, h));
  std::fill(f->y.begin(), f->y.end(), static_cast<uint8_t>(c.y));
  std::fill(f->u.begin(), f->u.end(), static_cast<uint8_t>(c.u));
  std::fill(f->v.begin(), f->v.end(), static_cast<uint8_t>(c.v));
  return f;
}

// Mean colour of an even-aligned patch.
Yuv MeanOf(const mixer::I420Frame& f, int x0, int y0, int w, int h) {
  int64_t sy = 0, su = 0, sv = 0;
  for (int y = y0; y < y0 + h; ++y) {
    for (int x = x0; x < x0 + w; ++x) sy += f.y[static_cast<size_t>(y) * f.stride_y + x];
  }
  for (int y = y0 / 2; y < (y0 + h) / 2; ++y) {
    for (int x = x0 / 2; x < (x0 + w) / 2; ++x) {
      su += f.u[static_cast<size_t>(y) * f.stride_u + x];
      sv += f.v[static_cast<size_t>(y) * f.stride_v + x];
    }
  }
  const int64_t n = int64_t{w} * h, nc = n / 4;
  return {static_cast<int>(sy / n), static_cast<int>(su / nc), static_cast<int>(sv / nc)};
}

// The four corners of a tile (away from a card's centred text).
std::vector<Yuv> Corners(const mixer::I420Frame& f, const mixer::Rect& r) {
  constexpr int kPatch = 24, kMargin = 8;
  std::vector<Yuv> out;
  for (int x : {r.x + kMargin, r.x + r.width - kMargin - kPatch}) {
    for (int y : {r.y + kMargin, r.y + r.height - kMargin - kPatch}) {
      out.push_back(MeanOf(f, x, y, kPatch, kPatch));
    }
  }
  return out;
}

MATCHER_P2(NearColour, c, tolerance, "") {
  return std::abs(arg.y - c.y) <= tolerance && std::abs(arg.u - c.u) <= tolerance &&
         std::abs(arg.v - c.v) <= tolerance;
}

// Bright pixels (text) in the tile's middle band.
int BrightInMiddle(const mixer::I420Frame& f, const mixer::Rect& r) {
  int bright = 0;
  for (int y = r.y + r.height / 2 - 12; y < r.y + r.height / 2 + 12; ++y) {
    for (int x = r.x; x < r.x + r.width; ++x) {
      bright += f.y[static_cast<size_t>(y) * f.stride_y + x] > 150;
    }
  }
  return bright;
}

bool HaveFont() { return mixer::TextRenderer::Create().ok(); }

class RecordedVariantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VideoRoomConfig c;
    c.name = "test";
    VideoProfile p;
    p.name = "small";
    p.width = kWidth;
    p.height = kHeight;
    p.fps = 30;
    p.bitrate_bps = 400'000;
    c.profiles = {p};
    c.name_labels = false;
    c.layout.fit = mixer::FitPolicy::kCrop;  // each picture fills its tile, corners included
    auto room = VideoRoom::Create(std::move(c), clock_);
    ASSERT_TRUE(room.ok()) << room.status().ToString();
    room_ = std::move(*room);
    AddSender(1, "alice", kRed);
    AddSender(2, "bob", kBlue);
    ASSERT_TRUE(room_->AddRecipient(kLive, "small").ok());
    ASSERT_TRUE(room_->AddRecordedRecipient(kRecorder, "small").ok());
  }
  void AddSender(uint32_t id, std::string name, Yuv colour) {
    auto box = std::make_shared<mixer::FrameMailbox>();
    box->Put(Solid(kWidth, kHeight, colour), clock_.NowUs(), clock_.NowUs());
    boxes_[id] = box;
    ASSERT_TRUE(room_->AddParticipant({id, std::move(name), ""}, box).ok());
  }
  VideoTick Step() {
    clock_.AdvanceUs(room_->tick_interval_us());
    for (auto& [id, box] : boxes_) {
      auto f = box->Latest();
      if (f.picture) box->Put(f.picture, clock_.NowUs(), clock_.NowUs());
    }
    return room_->Tick(clock_.NowUs());
  }
  // The frames each recipient got, in order.
  void Collect(const VideoTick& t) {
    for (const auto& out : t.outputs) {
      for (uint32_t id : out.recipients) received_[id].push_back(out.frame);
    }
  }
  // The last picture a recipient can decode from what it got.
  std::optional<codec::VideoFrame> Decode(uint32_t id) {
    auto dec = codec::CreateVideoDecoder(rtp::Codec::kH264);
    EXPECT_TRUE(dec.ok());
    if (!dec.ok()) return std::nullopt;
    auto depack = rtp::CreateDepacketizer(rtp::Codec::kH264);
    std::optional<codec::VideoFrame> last;
    for (const auto& f : received_[id]) {
      rtp::EncodedFrame frame;
      frame.codec = f->codec;
      frame.keyframe = f->keyframe;
      for (const auto& p : f->payloads) {
        auto d = depack->Parse(p);
        EXPECT_TRUE(d.has_value());
        if (d) frame.data.insert(frame.data.end(), d->data.begin(), d->data.end());
      }
      auto r = (*dec)->Decode(frame);
      EXPECT_FALSE(r.error);
      if (r.picture) last = *r.picture.host();
    }
    return last;
  }

  static constexpr uint32_t kLive = 100;
  static constexpr uint32_t kRecorder = 101;
  FakeClock clock_;
  std::unique_ptr<VideoRoom> room_;
  std::map<uint32_t, std::shared_ptr<mixer::FrameMailbox>> boxes_;
  std::map<uint32_t, std::vector<std::shared_ptr<const EncodedVideo>>> received_;
};

TEST_F(RecordedVariantTest, AnExcludedTileIsTheCardInTheRecordingAndThePictureLive) {
  room_->SetExcluded({2});
  for (int i = 0; i < 10; ++i) Collect(Step());

  const mixer::I420Frame* live = room_->last_canvas(0);
  const mixer::I420Frame* recorded = room_->last_recorded_canvas(0);
  ASSERT_NE(live, nullptr);
  ASSERT_NE(recorded, nullptr);
  EXPECT_THAT(Corners(*live, kLeft), ::testing::Each(NearColour(kRed, 6)));
  EXPECT_THAT(Corners(*live, kRight), ::testing::Each(NearColour(kBlue, 6)));
  EXPECT_THAT(Corners(*recorded, kLeft), ::testing::Each(NearColour(kRed, 6)));
  EXPECT_THAT(Corners(*recorded, kRight), ::testing::Each(NearColour(kPlaceholder, 6)));
  if (HaveFont()) {
    EXPECT_GT(BrightInMiddle(*recorded, kRight), 20);  // "not recorded"
  }
  EXPECT_EQ(BrightInMiddle(*live, kRight), 0);

  // Each recipient got only its own stream, from a keyframe on.
  ASSERT_FALSE(received_[kLive].empty());
  ASSERT_FALSE(received_[kRecorder].empty());
  EXPECT_TRUE(received_[kRecorder].front()->keyframe);
  for (const auto& f : received_[kLive]) EXPECT_FALSE(f->recorded);
  for (const auto& f : received_[kRecorder]) EXPECT_TRUE(f->recorded);
  // What the recording decodes: red and the card, never blue.
  const auto decoded = Decode(kRecorder);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_THAT(Corners(*decoded, kLeft), ::testing::Each(NearColour(kRed, 12)));
  EXPECT_THAT(Corners(*decoded, kRight), ::testing::Each(NearColour(kPlaceholder, 12)));
  const auto decoded_live = Decode(kLive);
  ASSERT_TRUE(decoded_live.has_value());
  EXPECT_THAT(Corners(*decoded_live, kRight), ::testing::Each(NearColour(kBlue, 12)));
  // One more compose and encode per tick while someone is left out.
  EXPECT_EQ(room_->stats().recorded_composes, 10u);
  EXPECT_EQ(room_->stats().recorded.encodes, 10u);
  EXPECT_EQ(room_->stats().max_tick_encodes, 2u);
}

TEST_F(RecordedVariantTest, WithNobodyExcludedTheRecordingSharesTheProfilesEncode) {
  for (int i = 0; i < 10; ++i) Collect(Step());
  EXPECT_EQ(room_->last_recorded_canvas(0), nullptr);
  EXPECT_EQ(room_->stats().recorded_composes, 0u);
  EXPECT_EQ(room_->stats().recorded.encodes, 0u);
  EXPECT_EQ(room_->stats().max_tick_encodes, 1u);
  // Both got the very same frames.
  EXPECT_FALSE(received_[kRecorder].empty());
  EXPECT_EQ(received_[kRecorder], received_[kLive]);
}

TEST_F(RecordedVariantTest, TheRecordingSwitchesStreamsAtKeyframesAndNeverShowsTheExcluded) {
  for (int i = 0; i < 5; ++i) Collect(Step());
  const size_t shared = received_[kRecorder].size();
  ASSERT_GT(shared, 0u);
  // Bob withdraws: from the next frame the recording gets only the variant, from its keyframe.
  room_->SetExcluded({2});
  for (int i = 0; i < 5; ++i) Collect(Step());
  ASSERT_GT(received_[kRecorder].size(), shared);
  EXPECT_TRUE(received_[kRecorder][shared]->recorded);
  EXPECT_TRUE(received_[kRecorder][shared]->keyframe);
  for (size_t k = shared; k < received_[kRecorder].size(); ++k) {
    EXPECT_TRUE(received_[kRecorder][k]->recorded) << k;
  }
  // Bob grants it: back to the shared stream at its next keyframe, and the variant's work stops.
  const size_t variant_end = received_[kRecorder].size();
  room_->SetExcluded({});
  for (int i = 0; i < 5; ++i) Collect(Step());
  ASSERT_GT(received_[kRecorder].size(), variant_end);
  EXPECT_FALSE(received_[kRecorder][variant_end]->recorded);
  EXPECT_TRUE(received_[kRecorder][variant_end]->keyframe);
  const uint64_t variant_encodes = room_->stats().recorded.encodes;
  for (int i = 0; i < 5; ++i) Collect(Step());
  EXPECT_EQ(room_->stats().recorded.encodes, variant_encodes);
  EXPECT_EQ(room_->last_recorded_canvas(0), nullptr);
  const auto decoded = Decode(kRecorder);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_THAT(Corners(*decoded, kRight), ::testing::Each(NearColour(kBlue, 12)));
}

}  // namespace
}  // namespace tessera::session
