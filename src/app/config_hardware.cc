#include "app/config_hardware.h"

#include <tessera/codec/hw_device.h>

#include <algorithm>

namespace tessera::app {

void ParseBackendOrder(Checker& c, const YAML::Node& n, const std::string& path,
                       std::vector<codec::HwBackend>& out) {
  if (n.IsScalar() && n.Scalar() == "auto") {
    out = {codec::HwBackend::kCuda, codec::HwBackend::kQsv, codec::HwBackend::kCpu};
    return;
  }
  if (!n.IsSequence() || n.size() == 0) {
    c.Error(n, path,
            "must be auto or a list of backends (cuda, qsv, cpu), got '" + Checker::Text(n) + "'");
    return;
  }
  std::vector<codec::HwBackend> order;
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const std::string name = n[i].IsScalar() ? n[i].Scalar() : "";
    const auto backend = codec::HwBackendFromName(name);
    if (!backend) {
      c.Error(n[i], p, "unknown backend '" + Checker::Text(n[i]) + "' (known: cuda, qsv, cpu)");
      ok = false;
      continue;
    }
    if (std::find(order.begin(), order.end(), *backend) != order.end()) {
      c.Error(n[i], p, "backend '" + name + "' is listed twice");
      ok = false;
      continue;
    }
    if (!order.empty() && order.back() == codec::HwBackend::kCpu) {
      c.Error(n[i], p,
              "'" + name + "' comes after cpu, which always succeeds: it would never be tried");
      ok = false;
      continue;
    }
    order.push_back(*backend);
  }
  if (ok) out = std::move(order);
}

void ParseHardware(Checker& c, const YAML::Node& n, HardwareConfig& out) {
  const std::string p = "hardware";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (backends, required, cuda_device, qsv_device)");
    return;
  }
  c.OnlyKeys(n, p, {"backends", "required", "cuda_device", "qsv_device"});
  const YAML::Node backends = n["backends"];
  const bool explicit_order = backends.IsDefined() && !backends.IsNull();
  if (explicit_order) ParseBackendOrder(c, backends, p + ".backends", out.backends);
  std::string required = "none";
  c.String(n, p, "required", required);
  if (required == "cuda" || required == "qsv") {
    out.required = codec::HwBackendFromName(required);
  } else if (required != "none") {
    c.Error(n["required"], p + ".required",
            "must be none, cuda or qsv, got '" + required + "'" +
                (required == "cpu" ? " (the CPU needs no requiring: use backends: [cpu])" : ""));
  }
  const bool auto_order = explicit_order && backends.IsScalar();
  if (out.required && explicit_order && !auto_order &&
      std::find(out.backends.begin(), out.backends.end(), *out.required) == out.backends.end()) {
    c.Error(n["required"], p + ".required", "'" + required + "' is not in hardware.backends");
  }
  c.Unsigned(n, p, "cuda_device", out.cuda_device, 0, 63);
  c.String(n, p, "qsv_device", out.qsv_device);
  if (!out.qsv_device.empty() && out.qsv_device.rfind("/dev/", 0) != 0) {
    c.Error(n["qsv_device"], p + ".qsv_device",
            "must be a DRM render node like /dev/dri/renderD128, got '" + out.qsv_device + "'");
  }
}

void CheckRoomHardware(Checker& c, const YAML::Node& room_node, const std::string& path,
                       const RoomConfig& room, const HardwareConfig& hardware) {
  if (!room.video || !room.video->hardware || !hardware.required) return;
  c.Error(room_node["video"]["hardware"], path + ".video.hardware",
          std::string("a room cannot choose its backends while hardware.required is set (every "
                      "room runs on ") +
              codec::HwBackendName(*hardware.required) + ")");
}

}  // namespace tessera::app
