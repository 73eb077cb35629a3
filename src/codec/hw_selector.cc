#include <tessera/codec/hw_selector.h>

namespace tessera::codec {

std::vector<HwBackend> AutoHwBackendOrder() {
  return {HwBackend::kCuda, HwBackend::kQsv, HwBackend::kCpu};
}

StatusOr<HwSelection> SelectHwBackend(const std::vector<HwBackend>& order,
                                      std::optional<HwBackend> required,
                                      const HwDeviceOptions& options,
                                      const HwDeviceOpener& opener) {
  HwSelection selection;
  if (required) {
    selection.backend = *required;
    if (*required == HwBackend::kCpu) return selection;
    auto device = opener(*required, options);
    if (!device.ok()) {
      return UnavailableError(std::string("required backend ") + HwBackendName(*required) +
                              " is not available: " + device.status().message());
    }
    selection.device = std::move(*device);
    return selection;
  }
  for (HwBackend backend : order) {
    if (backend == HwBackend::kCpu) return selection;
    auto device = opener(backend, options);
    if (device.ok()) {
      selection.backend = backend;
      selection.device = std::move(*device);
      return selection;
    }
    selection.fallbacks.push_back({backend, device.status().message()});
  }
  return selection;  // the implicit last resort
}

std::string FormatFallbacks(const std::vector<HwFallback>& fallbacks) {
  std::string out;
  for (const auto& f : fallbacks) {
    out += (out.empty() ? "" : "; ") + std::string(HwBackendName(f.backend)) + ": " + f.reason;
  }
  return out;
}

HwDeviceRegistry::HwDeviceRegistry(HwDeviceOpener opener) : opener_(std::move(opener)) {}

HwDeviceRegistry::Key HwDeviceRegistry::KeyFor(HwBackend backend, const HwDeviceOptions& options) {
  switch (backend) {
    case HwBackend::kCuda:
      return {backend, std::to_string(options.cuda_device)};
    case HwBackend::kQsv:
      return {backend, options.qsv_device};
    case HwBackend::kCpu:
      break;
  }
  return {backend, ""};
}

StatusOr<std::shared_ptr<HwDevice>> HwDeviceRegistry::Get(HwBackend backend,
                                                          const HwDeviceOptions& options) {
  if (backend == HwBackend::kCpu) {
    return InvalidArgumentError("the cpu backend has no hardware device");
  }
  const Key key = KeyFor(backend, options);
  // Opening holds the lock: two rooms asking at once must not open two contexts on one GPU.
  std::lock_guard lock(mu_);
  if (auto failed = failures_.find(key); failed != failures_.end()) return failed->second;
  if (auto open = devices_.find(key); open != devices_.end()) {
    if (auto device = open->second.lock()) return device;
  }
  auto device = opener_(backend, options);
  if (!device.ok()) {
    failures_.emplace(key, device.status());
    return device.status();
  }
  devices_[key] = *device;
  return std::move(*device);
}

HwDeviceOpener HwDeviceRegistry::AsOpener() {
  return
      [this](HwBackend backend, const HwDeviceOptions& options) { return Get(backend, options); };
}

size_t HwDeviceRegistry::open_devices() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, device] : devices_) n += !device.expired();
  return n;
}

}  // namespace tessera::codec
