// Choosing a room's video backend: the configured order is tried first to last, the first device
// that opens is used, and every backend passed over is recorded with the reason. Devices are
// shared: the registry opens one per (backend, device) per process, lazily, for all rooms.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/hw_device.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::codec {

// Opens a device of a hardware backend (never called for kCpu). OpenHwDevice in production; a
// fake in tests, so every fallback path is covered without hardware.
using HwDeviceOpener = std::function<StatusOr<std::shared_ptr<HwDevice>>(
    HwBackend backend, const HwDeviceOptions& options)>;

// A backend that was passed over, and why (the opener's status message).
struct HwFallback {
  HwBackend backend = HwBackend::kCpu;
  std::string reason;
};

struct HwSelection {
  HwBackend backend = HwBackend::kCpu;
  std::shared_ptr<HwDevice> device;   // null for kCpu
  std::vector<HwFallback> fallbacks;  // in the order tried
};

// The backends tried when none are configured ("auto"): NVIDIA, then Intel, then the CPU.
std::vector<HwBackend> AutoHwBackendOrder();

// Tries `order` first to last and returns the first backend whose device opens; kCpu always
// succeeds and ends the walk. Without `required`, the CPU is the implicit last resort when the
// order does not name it. With `required`, only that backend is opened (the order is not
// walked): the selection is that backend, or Unavailable "required backend cuda is not
// available: <reason>" (no CPU fallback). The opener is called at most once per backend, and
// never for backends after the chosen one.
// Runs on: the caller's thread (control plane; opening may take hundreds of milliseconds).
StatusOr<HwSelection> SelectHwBackend(const std::vector<HwBackend>& order,
                                      std::optional<HwBackend> required,
                                      const HwDeviceOptions& options, const HwDeviceOpener& opener);

// "cuda: no CUDA driver (...); qsv: no Intel GPU ..." or "" without fallbacks.
std::string FormatFallbacks(const std::vector<HwFallback>& fallbacks);

// One device per (backend, device) per process, shared by every room that selects it. A device is
// opened on first use and closed when the last user releases it; a failure to open is remembered
// for the registry's life (hardware does not appear while Tessera runs, and retrying would repeat
// the driver's error in the log for every room).
// Runs on: any thread (internally locked; control plane only).
class HwDeviceRegistry {
 public:
  explicit HwDeviceRegistry(HwDeviceOpener opener = OpenHwDevice);

  // The shared device, or the reason it cannot be opened.
  StatusOr<std::shared_ptr<HwDevice>> Get(HwBackend backend, const HwDeviceOptions& options);
  // An opener for SelectHwBackend that goes through this registry. The registry must outlive it.
  HwDeviceOpener AsOpener();
  // Devices currently open (held by at least one user).
  size_t open_devices() const;

 private:
  // (backend, device): the CUDA ordinal, or the QSV render node.
  using Key = std::pair<HwBackend, std::string>;
  static Key KeyFor(HwBackend backend, const HwDeviceOptions& options);

  HwDeviceOpener opener_;
  mutable std::mutex mu_;
  std::map<Key, std::weak_ptr<HwDevice>> devices_;
  std::map<Key, Status> failures_;
};

}  // namespace tessera::codec
