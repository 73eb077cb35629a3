// The machine's DRM render nodes (/dev/dri/renderD*) and the PCI vendor and kernel driver behind
// each, read from sysfs: how the QSV opener finds the Intel GPU and how the probe says why there is
// none. Private to the codec module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::codec {

inline constexpr uint32_t kPciVendorIntel = 0x8086;

struct RenderNode {
  std::string path;     // "/dev/dri/renderD128"
  uint32_t vendor = 0;  // PCI vendor id; 0 if unknown
  std::string driver;   // kernel driver: "i915", "xe", "nvidia", "amdgpu"; empty if unknown
};

// Sorted by path. Empty when /dev/dri does not exist (containers without GPU access).
// `dev_dir` and `sys_dir` are for tests.
std::vector<RenderNode> ListRenderNodes(const std::string& dev_dir = "/dev/dri",
                                        const std::string& sys_dir = "/sys/class/drm");

// "renderD128 (vendor 0x10de, nvidia)".
std::string DescribeRenderNode(const RenderNode& node);

}  // namespace tessera::codec
