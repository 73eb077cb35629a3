// The probe report as text for people and as JSON for machines (`tessera --probe-hw [--json]`).
#include <tessera/codec/hw_probe.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tessera::codec {
namespace {

std::string Hex4(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof(s), "0x%04x", v);
  return s;
}

std::string DriverVersionText(int v) {
  if (v <= 0) return "unknown";
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

std::string Join(const std::vector<std::string>& items, const char* empty = "none") {
  if (items.empty()) return empty;
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void CudaText(std::ostream& os, const CudaProbe& c) {
  if (!c.available) {
    os << "CUDA: unavailable: " << c.reason << "\n";
    if (c.driver_version) os << "  driver: CUDA " << DriverVersionText(c.driver_version) << "\n";
    return;
  }
  os << "CUDA: available: driver CUDA " << DriverVersionText(c.driver_version) << ", "
     << c.gpus.size() << " GPU" << (c.gpus.size() == 1 ? "" : "s") << "\n"
     << "  NVDEC library: " << c.nvdec_library << "\n"
     << "  NVENC library: " << c.nvenc_library << "\n";
  for (const auto& g : c.gpus) {
    os << "  GPU " << g.index << ": " << g.name << ", compute " << g.compute_major << "."
       << g.compute_minor << ", " << g.memory_bytes / (1024 * 1024) << " MiB\n";
    os << "    NVDEC:";
    if (g.nvdec.empty()) os << " unknown: " << g.nvdec_reason;
    for (size_t i = 0; i < g.nvdec.size(); ++i) {
      const auto& d = g.nvdec[i];
      os << (i ? ";" : "") << " " << d.codec;
      if (d.supported) {
        os << " up to " << d.max_width << "x" << d.max_height;
      } else {
        os << " no (" << d.reason << ")";
      }
    }
    os << "\n    NVENC: ";
    if (g.nvenc) {
      os << Join(g.nvenc_codecs);
      if (!g.nvenc_reason.empty()) os << " (" << g.nvenc_reason << ")";
    } else {
      os << "none: " << g.nvenc_reason;
    }
    os << "\n";
  }
}

void QsvText(std::ostream& os, const QsvProbe& q) {
  os << "QSV: " << (q.available ? "available" : "unavailable: " + q.reason) << "\n";
  os << "  render nodes: " << Join(q.render_nodes) << "\n";
  for (const auto& i : q.implementations) {
    os << "  implementation " << i.name << ": API " << i.api_version << ", "
       << (i.hardware ? "hardware" : "software") << ", acceleration " << i.acceleration
       << ", vendor " << Hex4(i.vendor_id);
    if (!i.device_id.empty()) os << ", device " << i.device_id;
    os << "\n    decoders: " << Join(i.decoders) << "\n    encoders: " << Join(i.encoders) << "\n";
  }
}

nlohmann::json CudaJson(const CudaProbe& c) {
  nlohmann::json j = {{"available", c.available},
                      {"reason", c.reason},
                      {"driver_version", DriverVersionText(c.driver_version)},
                      {"nvdec_library", c.nvdec_library},
                      {"nvenc_library", c.nvenc_library},
                      {"gpus", nlohmann::json::array()}};
  for (const auto& g : c.gpus) {
    nlohmann::json nvdec = nlohmann::json::array();
    for (const auto& d : g.nvdec) {
      nvdec.push_back({{"codec", d.codec},
                       {"supported", d.supported},
                       {"max_width", d.max_width},
                       {"max_height", d.max_height},
                       {"reason", d.reason}});
    }
    j["gpus"].push_back({{"index", g.index},
                         {"name", g.name},
                         {"compute_capability",
                          std::to_string(g.compute_major) + "." + std::to_string(g.compute_minor)},
                         {"memory_mib", g.memory_bytes / (1024 * 1024)},
                         {"nvdec", nvdec},
                         {"nvdec_reason", g.nvdec_reason},
                         {"nvenc", g.nvenc},
                         {"nvenc_codecs", g.nvenc_codecs},
                         {"nvenc_reason", g.nvenc_reason}});
  }
  return j;
}

nlohmann::json QsvJson(const QsvProbe& q) {
  nlohmann::json j = {{"available", q.available},
                      {"reason", q.reason},
                      {"render_nodes", q.render_nodes},
                      {"implementations", nlohmann::json::array()}};
  for (const auto& i : q.implementations) {
    j["implementations"].push_back({{"name", i.name},
                                    {"api_version", i.api_version},
                                    {"hardware", i.hardware},
                                    {"acceleration", i.acceleration},
                                    {"vendor_id", Hex4(i.vendor_id)},
                                    {"device_id", i.device_id},
                                    {"decoders", i.decoders},
                                    {"encoders", i.encoders}});
  }
  return j;
}

}  // namespace

std::string FormatHwProbeText(const HwProbeReport& report) {
  std::ostringstream os;
  CudaText(os, report.cuda);
  QsvText(os, report.qsv);
  os << "FFmpeg: hardware device types " << Join(report.ffmpeg.device_types) << "\n";
  for (const auto& d : report.ffmpeg.devices) {
    os << "  " << HwBackendName(d.backend) << ": " << (d.opened ? "opens: " : "does not open: ")
       << d.detail << "\n";
  }
  std::vector<std::string> usable;
  for (HwBackend b : report.usable) usable.push_back(HwBackendName(b));
  os << "Backends usable: " << Join(usable);
  if (report.usable.size() == 1) os << " (cpu only)";
  os << "\n";
  return os.str();
}

std::string FormatHwProbeJson(const HwProbeReport& report) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : report.ffmpeg.devices) {
    devices.push_back(
        {{"backend", HwBackendName(d.backend)}, {"opened", d.opened}, {"detail", d.detail}});
  }
  std::vector<std::string> usable;
  for (HwBackend b : report.usable) usable.push_back(HwBackendName(b));
  const nlohmann::json j = {
      {"cuda", CudaJson(report.cuda)},
      {"qsv", QsvJson(report.qsv)},
      {"ffmpeg", {{"device_types", report.ffmpeg.device_types}, {"devices", devices}}},
      {"usable", usable},
      {"cpu_only", report.usable.size() == 1}};
  // Driver strings are not guaranteed UTF-8: replace bad bytes instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tessera::codec
