#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/codec/hw_device.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/mixer/cuda_compositor.h>
#include <tessera/rtp/depacketizer.h>
#include <tessera/session/video_room.h>

#include <cmath>
#include <optional>
#include <set>
#include <vector>

namespace tessera::session {
namespace {

struct Yuv {
  int y, u, v;
};
constexpr Yuv kRed{81, 90, 240};
constexpr Yuv kGreen{145, 54, 34};
constexpr Yuv kBlue{41, 240, 110};
constexpr Yuv kWhite{235, 128, 128};

std::shared_ptr<const mixer::I420Frame> Solid(int w, int h, Yuv c) {
  auto f = std::make_shared<mixer::I420Frame>(mixer::I420Frame::Make(w, h));
  std::fill(f->y.begin(), f->y.end(), static_cast<uint8_t>(c.y));
  std::fill(f->u.begin(), f->u.end(), static_cast<uint8_t>(c.u));
  std::fill(f->v.begin(), f->v.end(), static_cast<uint8_t>(c.v));
  return f;
}

// Mean colour of the centre half of a rect (away from borders and labels).
Yuv MeanAt(const mixer::I420Frame& f, const mixer::Rect& r) {
  const int x0 = r.x + r.width / 4, x1 = r.x + 3 * r.width / 4;
  const int y0 = r.y + r.height / 4, y1 = r.y + 3 * r.height / 4;
  int64_t sy = 0, su = 0, sv = 0, n = 0, nc = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      sy += f.y[static_cast<size_t>(y) * f.stride_y + x];
      ++n;
    }
  }
  for (int y = y0 / 2; y < y1 / 2; ++y) {
    for (int x = x0 / 2; x < x1 / 2; ++x) {
      su += f.u[static_cast<size_t>(y) * f.stride_u + x];
      sv += f.v[static_cast<size_t>(y) * f.stride_v + x];
      ++nc;
    }
  }
  return {static_cast<int>(sy / n), static_cast<int>(su / nc), static_cast<int>(sv / nc)};
}

std::ostream& operator<<(std::ostream& os, const Yuv& c) {
  return os << "(" << c.y << "," << c.u << "," << c.v << ")";
}

MATCHER_P2(NearColour, c, tolerance, "") {
  return std::abs(arg.y - c.y) <= tolerance && std::abs(arg.u - c.u) <= tolerance &&
         std::abs(arg.v - c.v) <= tolerance;
}

VideoProfile Profile(std::string name, rtp::Codec codec, int w, int h, int fps, int bps) {
  VideoProfile p;
  p.name = std::move(name);
  p.codec = codec;
  p.width = w;
  p.height = h;
  p.fps = fps;
  p.bitrate_bps = bps;
  return p;
}

class VideoRoomTest : public ::testing::Test {
 protected:
  void MakeRoom(std::vector<VideoProfile> profiles,
                std::shared_ptr<codec::HwDevice> hw_device = nullptr) {
    VideoRoomConfig c;
    c.name = "test";
    c.profiles = std::move(profiles);
    c.name_labels = false;
    c.hw_device = std::move(hw_device);
    auto room = VideoRoom::Create(std::move(c), clock_);
    ASSERT_TRUE(room.ok()) << room.status().ToString();
    room_ = std::move(*room);
  }
  void AddSender(uint32_t id, std::string name, Yuv colour, int w = 640, int h = 360) {
    auto box = std::make_shared<mixer::FrameMailbox>();
    box->Put(Solid(w, h, colour), clock_.NowUs(), clock_.NowUs());
    boxes_[id] = box;
    ASSERT_TRUE(room_->AddParticipant({id, std::move(name), ""}, box).ok());
  }
  // Keeps every sender's picture fresh, like a sender at the tick rate.
  void Refresh() {
    for (auto& [id, box] : boxes_) {
      auto f = box->Latest();
      if (f.picture) box->Put(f.picture, clock_.NowUs(), clock_.NowUs());
    }
  }
  VideoTick Step() {
    clock_.AdvanceUs(room_->tick_interval_us());
    Refresh();
    return room_->Tick(clock_.NowUs());
  }
  // Decodes what a recipient received (payloads of each output, depacketized).
  std::optional<codec::VideoFrame> DecodeOutputs(const std::vector<VideoTick>& ticks,
                                                 uint32_t recipient) {
    std::unique_ptr<codec::VideoDecoder> dec;
    std::unique_ptr<rtp::Depacketizer> depack;
    std::optional<codec::VideoFrame> last;
    for (const auto& t : ticks) {
      for (const auto& out : t.outputs) {
        if (std::find(out.recipients.begin(), out.recipients.end(), recipient) ==
            out.recipients.end()) {
          continue;
        }
        if (!dec) {
          auto created = codec::CreateVideoDecoder(out.frame->codec);
          dec = std::move(*created);
          depack = rtp::CreateDepacketizer(out.frame->codec);
        }
        rtp::EncodedFrame frame;
        frame.codec = out.frame->codec;
        frame.keyframe = out.frame->keyframe;
        for (const auto& p : out.frame->payloads) {
          auto d = depack->Parse(p);
          EXPECT_TRUE(d.has_value());
          if (d) frame.data.insert(frame.data.end(), d->data.begin(), d->data.end());
        }
        auto r = dec->Decode(frame);
        EXPECT_FALSE(r.error);
        if (r.picture) last = *r.picture.host();
      }
    }
    return last;
  }

  FakeClock clock_;
  std::unique_ptr<VideoRoom> room_;
  std::map<uint32_t, std::shared_ptr<mixer::FrameMailbox>> boxes_;
};

TEST_F(VideoRoomTest, FourSendersLandInTheirGridQuadrantsOfTheDecodedComposite) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 1280, 720, 30, 1'500'000)});
  AddSender(1, "red", kRed);
  AddSender(2, "green", kGreen);
  AddSender(3, "blue", kBlue);
  AddSender(4, "white", kWhite);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  std::vector<VideoTick> ticks;
  for (int i = 0; i < 10; ++i) ticks.push_back(Step());
  auto pic = DecodeOutputs(ticks, 100);
  ASSERT_TRUE(pic.has_value());
  ASSERT_EQ(pic->width, 1280);
  const Yuv expect[4] = {kRed, kGreen, kBlue, kWhite};
  for (int q = 0; q < 4; ++q) {
    const mixer::Rect quadrant{(q % 2) * 640, (q / 2) * 360, 640, 360};
    EXPECT_THAT(MeanAt(*pic, quadrant), NearColour(expect[q], 6)) << "quadrant " << q;
  }
}

// The four-quadrant check of a room on `device` (a CUDA room: pictures uploaded, composed by the
// CUDA compositor, encoded by NVENC or downloaded once for x264).
void ExpectQuadrants(const std::optional<codec::VideoFrame>& pic) {
  ASSERT_TRUE(pic.has_value());
  ASSERT_EQ(pic->width, 1280);
  const Yuv expect[4] = {kRed, kGreen, kBlue, kWhite};
  for (int q = 0; q < 4; ++q) {
    const mixer::Rect quadrant{(q % 2) * 640, (q / 2) * 360, 640, 360};
    EXPECT_THAT(MeanAt(*pic, quadrant), NearColour(expect[q], 8)) << "quadrant " << q;
  }
}

TEST_F(VideoRoomTest, ACudaRoomWithoutAUsableGpuRunsTheCpuPipelineAndSaysWhy) {
  // A CUDA device that cannot run the compositor (here: no GPU at all, or a test device).
  auto device = std::make_shared<codec::HwDevice>(codec::HwBackend::kCuda, nullptr, "test");
  if (mixer::CudaComposeAvailable(0).ok()) GTEST_SKIP() << "this machine has a usable GPU";
  MakeRoom({Profile("hd", rtp::Codec::kH264, 1280, 720, 30, 1'500'000)}, device);
  EXPECT_FALSE(room_->stats().gpu);
  EXPECT_NE(room_->stats().backend_note.find("CUDA compositor unavailable"), std::string::npos)
      << room_->stats().backend_note;
  AddSender(1, "red", kRed);
  AddSender(2, "green", kGreen);
  AddSender(3, "blue", kBlue);
  AddSender(4, "white", kWhite);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  std::vector<VideoTick> ticks;
  for (int i = 0; i < 10; ++i) ticks.push_back(Step());
  ExpectQuadrants(DecodeOutputs(ticks, 100));
}

TEST_F(VideoRoomTest, OnAGpuTheCudaPipelinePutsEachPictureInItsQuadrant) {
  auto device = codec::OpenHwDevice(codec::HwBackend::kCuda, {});
  if (!device.ok()) GTEST_SKIP() << "no CUDA device: " << device.status().message();
  const Status compose = mixer::CudaComposeAvailable(0);
  if (!compose.ok()) GTEST_SKIP() << "no CUDA compositor: " << compose.message();
  MakeRoom({Profile("hd", rtp::Codec::kH264, 1280, 720, 30, 1'500'000)}, *device);
  ASSERT_TRUE(room_->stats().gpu) << room_->stats().backend_note;
  AddSender(1, "red", kRed);
  AddSender(2, "green", kGreen);
  AddSender(3, "blue", kBlue);
  AddSender(4, "white", kWhite);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  std::vector<VideoTick> ticks;
  for (int i = 0; i < 10; ++i) ticks.push_back(Step());
  ExpectQuadrants(DecodeOutputs(ticks, 100));
  const VideoRoomStats& s = room_->stats();
  EXPECT_EQ(s.gpu_failures, 0u);
  EXPECT_GE(s.gpu_composes, 10u);
  EXPECT_GE(s.uploads, 4u);  // CPU pictures go to the device once per new picture
  // One download per tick where the GPU has no NVENC, none where it encodes on the device.
  EXPECT_EQ(s.downloads, s.profiles[0].hw_encoder ? 0u : s.gpu_composes) << s.backend_note;
}

TEST_F(VideoRoomTest, TwoRecipientsOfOneProfileCostOneEncodePerTick) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecipient(101, "hd").ok());
  for (int i = 0; i < 30; ++i) {
    VideoTick t = Step();
    ASSERT_EQ(t.outputs.size(), 1u);
    EXPECT_EQ(t.outputs[0].recipients, (std::vector<uint32_t>{100, 101}));
  }
  EXPECT_EQ(room_->stats().profiles[0].encodes, 30u);
  EXPECT_EQ(room_->stats().max_tick_encodes, 1u);
}

TEST_F(VideoRoomTest, TheRecorderSharesItsProfilesEncodeAndIsNoParticipantRecipient) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000),
            Profile("low", rtp::Codec::kH264, 320, 180, 30, 200'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecorder("low").ok());
  int recorded = 0;
  bool recorded_keyframe_first = false;
  for (int i = 0; i < 30; ++i) {
    VideoTick t = Step();
    for (const auto& out : t.outputs) {
      if (out.frame->profile == 0) {
        EXPECT_FALSE(out.record);
        EXPECT_EQ(out.recipients, (std::vector<uint32_t>{100}));
      } else {
        // Only the recorder takes "low": a record output with no participant in it.
        EXPECT_TRUE(out.record);
        EXPECT_TRUE(out.recipients.empty());
        if (recorded++ == 0) recorded_keyframe_first = out.frame->keyframe;
      }
    }
  }
  // From its first keyframe on, every tick's "low" frame goes to the recorder, encoded once.
  EXPECT_TRUE(recorded_keyframe_first);
  EXPECT_GE(recorded, 29);
  EXPECT_EQ(room_->stats().profiles[1].encodes, 30u);
  EXPECT_EQ(room_->stats().profiles[1].recipients, 1u);
}

TEST_F(VideoRoomTest, ProfilesEncodeAtTheirOwnFrameRateAndNobodyWatchingCostsNothing) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000),
            Profile("low", rtp::Codec::kVp8, 320, 180, 15, 200'000),
            Profile("unused", rtp::Codec::kH264, 320, 180, 30, 200'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecipient(200, "low").ok());
  std::vector<VideoTick> ticks;
  for (int i = 0; i < 30; ++i) ticks.push_back(Step());
  EXPECT_EQ(room_->stats().profiles[0].encodes, 30u);
  EXPECT_EQ(room_->stats().profiles[1].encodes, 15u);
  EXPECT_EQ(room_->stats().profiles[2].encodes, 0u);
  auto low = DecodeOutputs(ticks, 200);
  ASSERT_TRUE(low.has_value());
  EXPECT_EQ(low->width, 320);
  EXPECT_THAT(MeanAt(*low, {0, 0, 320, 180}), NearColour(kRed, 8));
}

TEST_F(VideoRoomTest, LateAndSkippedTicksKeepTheirSlotsTimestamps) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecorder("hd").ok());
  const int64_t origin_us = clock_.NowUs();
  // Slots 0..59 at 30 fps: every fourth tick runs 20 to 28 ms late, and the slots an overrunning
  // tick ran into are skipped (its timer counts them).
  const std::set<int64_t> skipped{7, 8, 23, 40};
  std::optional<uint32_t> last;
  for (int64_t slot = 0; slot < 60; ++slot) {
    if (skipped.count(slot)) continue;
    const int64_t late_us = slot % 4 == 1 ? 20'000 + 4'000 * (slot % 3) : 0;
    clock_.AdvanceUs(origin_us + room_->SlotOffsetUs(slot) + late_us - clock_.NowUs());
    Refresh();
    const VideoTick t = room_->Tick(clock_.NowUs(), slot);
    ASSERT_EQ(t.outputs.size(), 1u) << "slot " << slot;
    EXPECT_TRUE(t.outputs[0].record);
    const EncodedVideo& f = *t.outputs[0].frame;
    // Slot n is n x 3000 on the 90 kHz clock, and its time is the slot's, not the late run's.
    EXPECT_EQ(f.rtp_timestamp, static_cast<uint32_t>(slot * 3000)) << "slot " << slot;
    ASSERT_TRUE(f.slot_time_us.has_value());
    EXPECT_EQ(*f.slot_time_us, origin_us + slot * 1'000'000 / 30) << "slot " << slot;
    if (last) {
      EXPECT_GT(f.rtp_timestamp, *last) << "slot " << slot;
      EXPECT_EQ((f.rtp_timestamp - *last) % 3000, 0u) << "slot " << slot;
    }
    last = f.rtp_timestamp;
  }
  EXPECT_EQ(room_->stats().ticks, 60u - skipped.size());
}

TEST_F(VideoRoomTest, FramesAreStampedWithWhenTheirPicturesArrived) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  auto camera = std::make_shared<mixer::FrameMailbox>();
  ASSERT_TRUE(room_->AddParticipant({1, "camera", ""}, camera).ok());
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  EXPECT_EQ(room_->input_hold_us(), room_->tick_interval_us() / 2);  // no picture yet
  const auto picture = Solid(320, 180, kRed);
  const int64_t origin_us = clock_.NowUs();
  int frames = 0;
  for (int64_t slot = 0; slot < 30; ++slot) {
    const int64_t slot_us = origin_us + room_->SlotOffsetUs(slot);
    // Each picture's last packet arrived 15 ms before the slot and was decoded 4 ms later; the
    // ticks after the first run 3 ms late.
    camera->Put(picture, slot_us - 15'000, slot_us - 11'000);
    clock_.AdvanceUs(slot_us + (slot > 0 ? 3'000 : 0) - clock_.NowUs());
    const VideoTick t = room_->Tick(clock_.NowUs(), slot);
    for (const auto& out : t.outputs) {
      ASSERT_TRUE(out.frame->slot_time_us.has_value());
      ASSERT_TRUE(out.frame->input_time_us.has_value());
      EXPECT_EQ(*out.frame->slot_time_us, slot_us);
      // The instant its pictures reached the room, not the slot's.
      EXPECT_EQ(*out.frame->input_time_us, slot_us - 15'000) << "slot " << slot;
      ++frames;
    }
  }
  EXPECT_EQ(frames, 30);
  EXPECT_EQ(room_->input_hold_us(), 15'000);
}

TEST_F(VideoRoomTest, ALowerFrameRateProfileIsStampedFromItsOwnGridsSlots) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000),
            Profile("low", rtp::Codec::kH264, 320, 180, 15, 200'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecipient(200, "low").ok());
  const int64_t origin_us = clock_.NowUs();
  // Both slots of low's frame 2 (4 and 5) are skipped: that frame is never sent. Slot 10 is
  // skipped: frame 5 goes out at slot 11, still within its frame slot, stamped as frame 5.
  const std::set<int64_t> skipped{4, 5, 10, 17};
  std::vector<uint32_t> low;
  for (int64_t slot = 0; slot < 60; ++slot) {
    if (skipped.count(slot)) continue;
    const int64_t late_us = slot % 3 == 2 ? 30'000 : 0;
    clock_.AdvanceUs(origin_us + room_->SlotOffsetUs(slot) + late_us - clock_.NowUs());
    Refresh();
    const VideoTick t = room_->Tick(clock_.NowUs(), slot);
    for (const auto& out : t.outputs) {
      if (out.frame->profile == 0) {
        EXPECT_EQ(out.frame->rtp_timestamp, static_cast<uint32_t>(slot * 3000));
        continue;
      }
      const uint32_t ts = out.frame->rtp_timestamp;
      ASSERT_TRUE(out.frame->slot_time_us.has_value());
      EXPECT_EQ(*out.frame->slot_time_us, origin_us + int64_t{ts} / 6000 * 1'000'000 / 15);
      low.push_back(ts);
    }
  }
  std::vector<uint32_t> expected;
  for (uint32_t n = 0; n < 30; ++n) {
    if (n != 2) expected.push_back(n * 6000);
  }
  EXPECT_EQ(low, expected);
}

TEST_F(VideoRoomTest, AClockSteppedByTheTickIntervalStampsWholeFrameIntervals) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  // 33 333 us steps fall a little short of 1/30 s; the stamps stay 3000 apart all the same.
  std::optional<uint32_t> last;
  for (int i = 0; i < 100; ++i) {
    const VideoTick t = Step();
    ASSERT_EQ(t.outputs.size(), 1u);
    const uint32_t ts = t.outputs[0].frame->rtp_timestamp;
    if (last) {
      EXPECT_EQ(ts - *last, 3000u) << "tick " << i;
    }
    last = ts;
  }
}

TEST_F(VideoRoomTest, KeyframeRequestsAreCoalescedToOnePerInterval) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecipient(101, "hd").ok());
  VideoTick first = Step();
  ASSERT_EQ(first.outputs.size(), 1u);
  EXPECT_TRUE(first.outputs[0].frame->keyframe);  // the new recipients' keyframe, once
  // Each recipient's first PLI is answered at the next tick (it may never have decoded a
  // picture); then a storm of PLIs from both 100 ms later.
  for (int i = 0; i < 3; ++i) Step();
  room_->RequestKeyframe(100);
  room_->RequestKeyframe(101);
  ASSERT_TRUE(Step().outputs[0].frame->keyframe);
  const int64_t first_keyframe_us = clock_.NowUs();
  for (int i = 0; i < 3; ++i) Step();
  for (int i = 0; i < 20; ++i) room_->RequestKeyframe(100 + i % 2);
  std::vector<int64_t> keyframes_at;
  for (int i = 0; i < 30; ++i) {
    VideoTick t = Step();
    if (t.outputs[0].frame->keyframe) keyframes_at.push_back(clock_.NowUs());
  }
  ASSERT_EQ(keyframes_at.size(), 1u);
  EXPECT_GE(keyframes_at[0] - first_keyframe_us, 500'000 - room_->tick_interval_us());
  EXPECT_LE(keyframes_at[0] - first_keyframe_us, 500'000 + room_->tick_interval_us());
  // The second join and the second first PLI were coalesced too.
  EXPECT_EQ(room_->stats().keyframes_coalesced, 19u + 1u + 1u);
}

TEST_F(VideoRoomTest, PliLongAfterTheLastKeyframeIsAnsweredAtTheNextTick) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  for (int i = 0; i < 40; ++i) Step();
  room_->RequestKeyframe(100);
  EXPECT_TRUE(Step().outputs[0].frame->keyframe);
  EXPECT_FALSE(Step().outputs[0].frame->keyframe);
}

TEST_F(VideoRoomTest, ARecipientThatJustBecameReachableGetsAKeyframeAtTheNextTick) {
  // A WebRTC viewer joins before its DTLS handshake ends: the joining keyframe goes nowhere, and
  // when its keys come (urgent) it must not wait out the coalescing interval after it.
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  EXPECT_TRUE(Step().outputs[0].frame->keyframe);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Step().outputs[0].frame->keyframe);
  room_->RequestKeyframe(100, /*urgent=*/true);  // 100 ms after the last keyframe
  EXPECT_TRUE(Step().outputs[0].frame->keyframe);
  EXPECT_FALSE(Step().outputs[0].frame->keyframe);
  // Its first PLI is answered at once too (its browser may have missed that keyframe), the next
  // ones as soon are held back.
  room_->RequestKeyframe(100);
  EXPECT_TRUE(Step().outputs[0].frame->keyframe);
  room_->RequestKeyframe(100);
  EXPECT_FALSE(Step().outputs[0].frame->keyframe);
}

TEST_F(VideoRoomTest, SenderThatStopsIsReplacedByThePlaceholder) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  AddSender(1, "red", kRed);
  AddSender(2, "green", kGreen);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  (void)Step();
  const mixer::Rect right{320, 0, 320, 360};  // 1x2 grid: the second slot
  EXPECT_THAT(MeanAt(*room_->last_canvas(0), right), NearColour(kGreen, 2));
  boxes_.erase(2);  // green stops sending; its last picture stays for placeholder_after (2 s)
  for (int i = 0; i < 30; ++i) (void)Step();
  EXPECT_THAT(MeanAt(*room_->last_canvas(0), right), NearColour(kGreen, 2));
  for (int i = 0; i < 45; ++i) (void)Step();
  const Yuv placeholder{48, 128, 128};
  const mixer::Rect corner{320 + 8, 8, 40, 40};  // clear of the name in the middle
  EXPECT_THAT(MeanAt(*room_->last_canvas(0), corner), NearColour(placeholder, 2));
  EXPECT_THAT(MeanAt(*room_->last_canvas(0), {0, 0, 320, 360}), NearColour(kRed, 2));
}

TEST_F(VideoRoomTest, LayoutSwitchMovesTheSpeakerToTheLargeTileAtTheNextTick) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 1280, 720, 30, 1'500'000)});
  AddSender(1, "red", kRed);
  AddSender(2, "green", kGreen);
  AddSender(3, "blue", kBlue);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  (void)Step();
  EXPECT_EQ(room_->layout_name(), "grid");
  room_->SetActiveSpeaker(3);
  ASSERT_TRUE(room_->SetLayout("speaker").ok());
  (void)Step();
  // Speaker focus: the large tile spans the top of the canvas.
  EXPECT_THAT(MeanAt(*room_->last_canvas(0), {320, 60, 640, 400}), NearColour(kBlue, 2));
  room_->SetActiveSpeaker(1);
  (void)Step();
  EXPECT_THAT(MeanAt(*room_->last_canvas(0), {320, 60, 640, 400}), NearColour(kRed, 2));
  const Status bad = room_->SetLayout("nonsense");
  EXPECT_EQ(bad.code(), StatusCode::kNotFound);
  EXPECT_NE(bad.message().find("grid, speaker, presentation, pip"), std::string::npos);
  EXPECT_EQ(room_->layout_name(), "speaker");
}

TEST_F(VideoRoomTest, RecipientMovesDownOnLowEstimateAndBackUpWithHysteresis) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 1'000'000),
            Profile("low", rtp::Codec::kH264, 320, 180, 15, 300'000),
            Profile("vp8", rtp::Codec::kVp8, 320, 180, 15, 100'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  (void)Step();
  // One low estimate is not enough; it has to last a second.
  room_->OnReceiverFeedback(100, 400'000, std::nullopt, clock_.NowUs());
  EXPECT_EQ(room_->recipient_profile(100), 0u);
  for (int i = 0; i < 31; ++i) (void)Step();
  room_->OnReceiverFeedback(100, 400'000, std::nullopt, clock_.NowUs());
  EXPECT_EQ(room_->recipient_profile(100), 1u);  // never the VP8 one: another codec
  VideoTick t = Step();
  ASSERT_EQ(t.moves.size(), 1u);
  EXPECT_EQ(t.moves[0].to, 1u);
  ASSERT_EQ(t.outputs.size(), 1u);
  EXPECT_TRUE(t.outputs[0].frame->keyframe);  // the new profile starts with a keyframe
  EXPECT_EQ(t.outputs[0].frame->profile, 1u);
  // A good estimate: up again only after up_hold (5 s) and the dwell (10 s) since the move.
  for (int s = 0; s < 9; ++s) {
    for (int i = 0; i < 30; ++i) (void)Step();
    room_->OnReceiverFeedback(100, 2'000'000, 0.0, clock_.NowUs());
    EXPECT_EQ(room_->recipient_profile(100), 1u) << "after " << s + 1 << " s";
  }
  for (int i = 0; i < 45; ++i) (void)Step();
  room_->OnReceiverFeedback(100, 2'000'000, 0.0, clock_.NowUs());
  EXPECT_EQ(room_->recipient_profile(100), 0u);
}

TEST_F(VideoRoomTest, MovedRecipientSwitchesAtTheNewProfilesKeyframeNeverOnADeltaFrame) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 1'000'000),
            Profile("low", rtp::Codec::kH264, 320, 180, 30, 300'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  ASSERT_TRUE(room_->AddRecipient(200, "low").ok());  // keeps "low" encoding
  for (int i = 0; i < 30; ++i) (void)Step();
  room_->RequestKeyframe(200);  // low sends a keyframe now...
  (void)Step();
  for (int i = 0; i < 3; ++i) (void)Step();  // ...and 100 ms later 100 moves there
  room_->OnReceiverFeedback(100, 200'000, std::nullopt, clock_.NowUs());
  clock_.AdvanceUs(1'000'000);
  room_->OnReceiverFeedback(100, 200'000, std::nullopt, clock_.NowUs());
  ASSERT_EQ(room_->recipient_profile(100), 1u);
  // From now on 100 receives exactly one stream per tick; its first "low" frame is a keyframe,
  // even though "low" sent one within the coalescing interval.
  bool switched = false;
  for (int i = 0; i < 10; ++i) {
    VideoTick t = Step();
    int frames_for_100 = 0;
    for (const auto& out : t.outputs) {
      if (std::find(out.recipients.begin(), out.recipients.end(), 100u) == out.recipients.end()) {
        continue;
      }
      ++frames_for_100;
      if (out.frame->profile == 1 && !switched) {
        EXPECT_TRUE(out.frame->keyframe) << "tick " << i;
        switched = true;
      }
      if (switched) {
        EXPECT_EQ(out.frame->profile, 1u);
      }
    }
    EXPECT_EQ(frames_for_100, 1) << "tick " << i;
  }
  EXPECT_TRUE(switched);
}

TEST_F(VideoRoomTest, ReceiverWithOnlyReceiverReportsMovesBackUpWhenLossStaysLow) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 1'000'000),
            Profile("low", rtp::Codec::kH264, 320, 180, 15, 300'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  room_->OnReceiverFeedback(100, std::nullopt, 0.3, clock_.NowUs());
  clock_.AdvanceUs(1'100'000);
  room_->OnReceiverFeedback(100, std::nullopt, 0.3, clock_.NowUs());
  ASSERT_EQ(room_->recipient_profile(100), 1u);
  // No REMB or TMMBR ever: low loss held for up_hold after the dwell brings it back.
  for (int s = 1; s <= 16; ++s) {
    clock_.AdvanceUs(1'000'000);
    room_->OnReceiverFeedback(100, std::nullopt, 0.0, clock_.NowUs());
    if (s < 10) {
      EXPECT_EQ(room_->recipient_profile(100), 1u) << s << " s";
    }
  }
  EXPECT_EQ(room_->recipient_profile(100), 0u);
}

TEST_F(VideoRoomTest, EqualBitrateProfilesNeverLiftARecipientAboveItsConfiguredOne) {
  MakeRoom({Profile("big", rtp::Codec::kH264, 1280, 720, 30, 1'000'000),
            Profile("small", rtp::Codec::kH264, 320, 180, 30, 1'000'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "small").ok());
  for (int s = 0; s < 20; ++s) {
    clock_.AdvanceUs(1'000'000);
    room_->OnReceiverFeedback(100, 50'000'000, 0.0, clock_.NowUs());
  }
  EXPECT_EQ(room_->recipient_profile(100), 1u);
}

TEST_F(VideoRoomTest, HeavyLossStepsDownOneProfile) {
  MakeRoom({Profile("hd", rtp::Codec::kVp8, 640, 360, 30, 1'000'000),
            Profile("mid", rtp::Codec::kVp8, 480, 270, 30, 500'000),
            Profile("low", rtp::Codec::kVp8, 320, 180, 15, 200'000)});
  AddSender(1, "red", kRed);
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  room_->OnReceiverFeedback(100, std::nullopt, 0.25, clock_.NowUs());
  clock_.AdvanceUs(1'100'000);
  room_->OnReceiverFeedback(100, std::nullopt, 0.25, clock_.NowUs());
  EXPECT_EQ(room_->recipient_profile(100), 1u);
}

TEST_F(VideoRoomTest, RejectsBadProfilesAndUnknownRecipientsProfiles) {
  VideoRoomConfig c;
  c.name = "bad";
  EXPECT_FALSE(VideoRoom::Create(c, clock_).ok());
  c.profiles = {Profile("odd", rtp::Codec::kH264, 641, 360, 30, 800'000)};
  EXPECT_FALSE(VideoRoom::Create(c, clock_).ok());
  c.profiles = {Profile("opus", rtp::Codec::kOpus, 640, 360, 30, 800'000)};
  EXPECT_FALSE(VideoRoom::Create(c, clock_).ok());
  MakeRoom({Profile("hd", rtp::Codec::kH264, 640, 360, 30, 800'000)});
  EXPECT_EQ(room_->AddRecipient(1, "nope").code(), StatusCode::kNotFound);
}

// Cascading: a link's picture is its share's sub-canvas; each cell of it is a tile of its own,
// in the link's place in the join order, named after the share's participant.
TEST_F(VideoRoomTest, ACascadeLinksCellsAreTilesCroppedFromItsSubCanvas) {
  MakeRoom({Profile("hd", rtp::Codec::kH264, 1280, 720, 30, 1'500'000)});
  AddSender(1, "local", kRed);
  // The share's 640x360 sub-canvas: green on the left, blue on the right.
  std::shared_ptr<mixer::I420Frame> sub =
      std::make_shared<mixer::I420Frame>(mixer::I420Frame::Make(640, 360));
  for (int y = 0; y < 360; ++y) {
    for (int x = 0; x < 640; ++x) {
      const Yuv c = x < 320 ? kGreen : kBlue;
      sub->y[static_cast<size_t>(y) * sub->stride_y + x] = static_cast<uint8_t>(c.y);
      if (y % 2 == 0 && x % 2 == 0) {
        sub->u[static_cast<size_t>(y / 2) * sub->stride_u + x / 2] = static_cast<uint8_t>(c.u);
        sub->v[static_cast<size_t>(y / 2) * sub->stride_v + x / 2] = static_cast<uint8_t>(c.v);
      }
    }
  }
  auto link = std::make_shared<mixer::FrameMailbox>();
  link->Put(std::shared_ptr<const mixer::I420Frame>(sub), clock_.NowUs(), clock_.NowUs());
  boxes_[2] = link;
  ASSERT_TRUE(room_->AddParticipant({2, "cascade-n2", ""}, link).ok());
  CascadeLayout cells;
  cells.width = 640;
  cells.height = 360;
  cells.cells = {{"green", {0, 0, 320, 360}}, {"blue", {320, 0, 320, 360}}};
  ASSERT_TRUE(room_->SetCells(2, cells).ok());
  ASSERT_TRUE(room_->AddRecipient(100, "hd").ok());
  std::vector<VideoTick> ticks;
  for (int i = 0; i < 10; ++i) ticks.push_back(Step());
  auto pic = DecodeOutputs(ticks, 100);
  ASSERT_TRUE(pic.has_value());
  // Three tiles of a 2x2 grid: the local sender, then the link's two cells; no tile of the link.
  EXPECT_THAT(MeanAt(*pic, {0, 0, 640, 360}), NearColour(kRed, 6));
  EXPECT_THAT(MeanAt(*pic, {640, 0, 640, 360}), NearColour(kGreen, 6));
  EXPECT_THAT(MeanAt(*pic, {0, 360, 640, 360}), NearColour(kBlue, 6));
  const auto sizes = room_->TileSizes();
  EXPECT_EQ(sizes.size(), 3u);
  EXPECT_FALSE(sizes.count(2));
  // The cells the room itself would send a primary, were it a share.
  const CascadeLayout own = room_->CanvasCells();
  ASSERT_EQ(own.cells.size(), 3u);
  EXPECT_EQ(own.cells[0].name, "local");
  EXPECT_EQ(own.cells[1].name, "green");
  EXPECT_EQ(own.cells[2].rect, (mixer::Rect{0, 360, 640, 360}));
  // The link leaves: its cells go with it.
  room_->RemoveParticipant(2);
  (void)Step();
  EXPECT_EQ(room_->TileSizes().size(), 1u);
}

}  // namespace
}  // namespace tessera::session
