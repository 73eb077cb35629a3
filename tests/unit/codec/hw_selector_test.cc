#include <gtest/gtest.h>
#include <tessera/codec/hw_selector.h>

#include <algorithm>
#include <set>

namespace tessera::codec {
namespace {

constexpr HwBackend kCpu = HwBackend::kCpu;
constexpr HwBackend kCuda = HwBackend::kCuda;
constexpr HwBackend kQsv = HwBackend::kQsv;

// A machine with some backends: opens what it has, says why it lacks the rest, records calls.
struct FakeMachine {
  std::set<HwBackend> present;
  std::vector<HwBackend> calls;

  HwDeviceOpener Opener() {
    return [this](HwBackend b, const HwDeviceOptions&) -> StatusOr<std::shared_ptr<HwDevice>> {
      calls.push_back(b);
      if (!present.count(b)) return UnavailableError(std::string("no ") + HwBackendName(b));
      return std::make_shared<HwDevice>(b, nullptr, std::string("fake ") + HwBackendName(b));
    };
  }
};

TEST(HwSelector, PicksTheFirstBackendThatOpens) {
  FakeMachine m{{kCuda, kQsv}, {}};
  auto s = SelectHwBackend({kCuda, kQsv, kCpu}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->backend, kCuda);
  ASSERT_NE(s->device, nullptr);
  EXPECT_EQ(s->device->description(), "fake cuda");
  EXPECT_TRUE(s->fallbacks.empty());
  EXPECT_EQ(m.calls, std::vector<HwBackend>{kCuda});  // qsv is never opened
}

TEST(HwSelector, FallsBackInOrderWithEveryReason) {
  FakeMachine m{{kQsv}, {}};
  auto s = SelectHwBackend({kCuda, kQsv, kCpu}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->backend, kQsv);
  ASSERT_EQ(s->fallbacks.size(), 1u);
  EXPECT_EQ(s->fallbacks[0].backend, kCuda);
  EXPECT_EQ(s->fallbacks[0].reason, "no cuda");
}

TEST(HwSelector, EndsOnTheCpuWhenNoHardwareOpens) {
  FakeMachine m{{}, {}};
  auto s = SelectHwBackend({kCuda, kQsv, kCpu}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->backend, kCpu);
  EXPECT_EQ(s->device, nullptr);
  ASSERT_EQ(s->fallbacks.size(), 2u);
  EXPECT_EQ(FormatFallbacks(s->fallbacks), "cuda: no cuda; qsv: no qsv");
}

TEST(HwSelector, FollowsTheConfiguredOrder) {
  FakeMachine m{{kCuda, kQsv}, {}};
  auto s = SelectHwBackend({kQsv, kCuda}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->backend, kQsv);
  EXPECT_EQ(m.calls, std::vector<HwBackend>{kQsv});
}

TEST(HwSelector, CpuIsTheImplicitLastResort) {
  FakeMachine m{{}, {}};
  auto s = SelectHwBackend({kQsv}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->backend, kCpu);
  ASSERT_EQ(s->fallbacks.size(), 1u);
  EXPECT_EQ(s->fallbacks[0].backend, kQsv);
  auto empty = SelectHwBackend({}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->backend, kCpu);
  EXPECT_TRUE(empty->fallbacks.empty());
}

TEST(HwSelector, CpuFirstNeverTouchesTheHardware) {
  FakeMachine m{{kCuda, kQsv}, {}};
  auto s = SelectHwBackend({kCpu, kCuda}, std::nullopt, {}, m.Opener());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->backend, kCpu);
  EXPECT_TRUE(m.calls.empty());
}

TEST(HwSelector, RequiredBackendIsUsedWhenItOpens) {
  FakeMachine m{{kCuda, kQsv}, {}};
  auto s = SelectHwBackend({kCuda, kQsv, kCpu}, kQsv, {}, m.Opener());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->backend, kQsv);
  EXPECT_TRUE(s->fallbacks.empty());
  EXPECT_EQ(m.calls, std::vector<HwBackend>{kQsv});  // the order is not walked
}

TEST(HwSelector, RequiredBackendThatDoesNotOpenIsAnErrorWithItsReason) {
  FakeMachine m{{kQsv}, {}};
  auto s = SelectHwBackend({kCuda, kQsv, kCpu}, kCuda, {}, m.Opener());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.status().message(), "required backend cuda is not available: no cuda");
  EXPECT_EQ(m.calls, std::vector<HwBackend>{kCuda});  // no fallback to qsv or the CPU
}

TEST(HwSelector, PassesTheDeviceOptionsToTheOpener) {
  HwDeviceOptions seen;
  HwDeviceOpener opener = [&](HwBackend b,
                              const HwDeviceOptions& o) -> StatusOr<std::shared_ptr<HwDevice>> {
    seen = o;
    return std::make_shared<HwDevice>(b, nullptr, "x");
  };
  HwDeviceOptions options;
  options.cuda_device = 3;
  options.qsv_device = "/dev/dri/renderD129";
  ASSERT_TRUE(SelectHwBackend({kCuda}, std::nullopt, options, opener).ok());
  EXPECT_EQ(seen.cuda_device, 3);
  EXPECT_EQ(seen.qsv_device, "/dev/dri/renderD129");
}

// Every order of {cuda, qsv, cpu} (each subset, each permutation), every machine, every
// `required`: the result is the spec's, and the opener is asked exactly what the spec says.
TEST(HwSelector, EveryOrderMachineAndRequiredCombination) {
  const std::vector<HwBackend> all = {kCuda, kQsv, kCpu};
  std::vector<std::vector<HwBackend>> orders;
  for (int mask = 0; mask < 8; ++mask) {
    std::vector<HwBackend> subset;
    for (int i = 0; i < 3; ++i) {
      if (mask & (1 << i)) subset.push_back(all[i]);
    }
    std::sort(subset.begin(), subset.end());
    do {
      orders.push_back(subset);
    } while (std::next_permutation(subset.begin(), subset.end()));
  }
  ASSERT_EQ(orders.size(), 16u);  // 1 + 3 + 6 + 6
  const std::vector<std::set<HwBackend>> machines = {{}, {kCuda}, {kQsv}, {kCuda, kQsv}};
  const std::vector<std::optional<HwBackend>> requireds = {std::nullopt, kCuda, kQsv};
  int cases = 0;
  for (const auto& order : orders) {
    for (const auto& present : machines) {
      for (const auto& required : requireds) {
        FakeMachine m{present, {}};
        auto s = SelectHwBackend(order, required, {}, m.Opener());
        ++cases;
        SCOPED_TRACE(testing::Message() << "case " << cases);
        if (required) {
          EXPECT_EQ(m.calls, std::vector<HwBackend>{*required});
          if (present.count(*required)) {
            ASSERT_TRUE(s.ok());
            EXPECT_EQ(s->backend, *required);
            EXPECT_NE(s->device, nullptr);
          } else {
            EXPECT_FALSE(s.ok());
          }
          continue;
        }
        ASSERT_TRUE(s.ok());
        // Spec: the first backend in order that is the CPU or present; else the CPU.
        HwBackend expected = kCpu;
        std::vector<HwBackend> expected_calls;
        std::vector<HwBackend> expected_fallbacks;
        for (HwBackend b : order) {
          if (b == kCpu) break;
          expected_calls.push_back(b);
          if (present.count(b)) {
            expected = b;
            break;
          }
          expected_fallbacks.push_back(b);
        }
        EXPECT_EQ(s->backend, expected);
        EXPECT_EQ(s->device != nullptr, expected != kCpu);
        EXPECT_EQ(m.calls, expected_calls);
        std::vector<HwBackend> fallbacks;
        for (const auto& f : s->fallbacks) {
          fallbacks.push_back(f.backend);
          EXPECT_FALSE(f.reason.empty());
        }
        EXPECT_EQ(fallbacks, expected_fallbacks);
      }
    }
  }
  EXPECT_EQ(cases, 16 * 4 * 3);
}

TEST(HwDeviceRegistry, SharesOneDevicePerBackendAndDevice) {
  int opens = 0;
  HwDeviceRegistry registry(
      [&](HwBackend b, const HwDeviceOptions& o) -> StatusOr<std::shared_ptr<HwDevice>> {
        ++opens;
        return std::make_shared<HwDevice>(b, nullptr, "gpu " + std::to_string(o.cuda_device));
      });
  HwDeviceOptions gpu0, gpu1;
  gpu1.cuda_device = 1;
  auto a = registry.Get(kCuda, gpu0);
  auto b = registry.Get(kCuda, gpu0);
  auto c = registry.Get(kCuda, gpu1);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->get(), b->get());  // two rooms, one device
  EXPECT_NE(a->get(), c->get());
  EXPECT_EQ(opens, 2);
  EXPECT_EQ(registry.open_devices(), 2u);
}

TEST(HwDeviceRegistry, ClosesADeviceWhenTheLastUserLetsGoAndReopensLazily) {
  int opens = 0;
  HwDeviceRegistry registry(
      [&](HwBackend b, const HwDeviceOptions&) -> StatusOr<std::shared_ptr<HwDevice>> {
        ++opens;
        return std::make_shared<HwDevice>(b, nullptr, "d");
      });
  EXPECT_EQ(opens, 0);  // nothing is opened before it is asked for
  {
    auto a = registry.Get(kQsv, {});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(registry.open_devices(), 1u);
  }
  EXPECT_EQ(registry.open_devices(), 0u);
  ASSERT_TRUE(registry.Get(kQsv, {}).ok());
  EXPECT_EQ(opens, 2);
}

TEST(HwDeviceRegistry, RemembersAFailureAndServesItsReasonToEveryRoom) {
  FakeMachine m{{}, {}};
  HwDeviceRegistry registry(m.Opener());
  for (int room = 0; room < 3; ++room) {
    auto s = SelectHwBackend({kCuda, kQsv, kCpu}, std::nullopt, {}, registry.AsOpener());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->backend, kCpu);
    EXPECT_EQ(FormatFallbacks(s->fallbacks), "cuda: no cuda; qsv: no qsv");
  }
  EXPECT_EQ(m.calls, (std::vector<HwBackend>{kCuda, kQsv}));  // each tried once per process
}

TEST(HwDeviceRegistry, TheCpuHasNoDevice) {
  HwDeviceRegistry registry;
  EXPECT_EQ(registry.Get(kCpu, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tessera::codec
