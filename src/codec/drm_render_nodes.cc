#include "codec/drm_render_nodes.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace tessera::codec {

std::vector<RenderNode> ListRenderNodes(const std::string& dev_dir, const std::string& sys_dir) {
  namespace fs = std::filesystem;
  std::vector<RenderNode> nodes;
  std::error_code ec;
  for (fs::directory_iterator it(dev_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("renderD", 0) != 0) continue;
    RenderNode node;
    node.path = it->path().string();
    const fs::path device = fs::path(sys_dir) / name / "device";
    std::ifstream vendor(device / "vendor");
    std::string hex;
    if (vendor >> hex) node.vendor = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
    std::error_code link_ec;
    const fs::path driver = fs::read_symlink(device / "driver", link_ec);
    if (!link_ec) node.driver = driver.filename().string();
    nodes.push_back(std::move(node));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const RenderNode& a, const RenderNode& b) { return a.path < b.path; });
  return nodes;
}

std::string DescribeRenderNode(const RenderNode& node) {
  char vendor[16];
  std::snprintf(vendor, sizeof(vendor), "0x%04x", node.vendor);
  std::string out = std::filesystem::path(node.path).filename().string() + " (vendor " + vendor;
  if (!node.driver.empty()) out += ", " + node.driver;
  return out + ")";
}

}  // namespace tessera::codec
