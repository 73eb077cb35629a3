#include <tessera/codec/hw_probe.h>

extern "C" {
#include <libavutil/hwcontext.h>
}

#include "codec/hw_probe_sections.h"

namespace tessera::codec {
namespace {

FfmpegProbe ProbeFfmpeg(const HwProbeOptions& options) {
  FfmpegProbe probe;
  for (auto type = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE); type != AV_HWDEVICE_TYPE_NONE;
       type = av_hwdevice_iterate_types(type)) {
    probe.device_types.push_back(av_hwdevice_get_type_name(type));
  }
  if (!options.open_ffmpeg_devices) return probe;
  for (HwBackend backend : {HwBackend::kCuda, HwBackend::kQsv}) {
    FfmpegDeviceProbe d;
    d.backend = backend;
    auto device = OpenHwDevice(backend, options.device);
    d.opened = device.ok();
    d.detail = device.ok() ? (*device)->description() : device.status().message();
    probe.devices.push_back(std::move(d));
  }
  return probe;
}

// A backend is usable when its section found it and, if FFmpeg's device was tried, it opened.
bool Usable(const HwProbeReport& r, HwBackend backend, bool found) {
  if (!found) return false;
  for (const auto& d : r.ffmpeg.devices) {
    if (d.backend == backend) return d.opened;
  }
  return true;
}

std::string BackendLine(const HwProbeReport& r, HwBackend backend) {
  const std::string name = HwBackendName(backend);
  for (const auto& d : r.ffmpeg.devices) {
    if (d.backend == backend && !d.opened) return name + ": unavailable (" + d.detail + ")";
  }
  if (backend == HwBackend::kCuda) {
    if (!r.cuda.available) return name + ": unavailable (" + r.cuda.reason + ")";
    std::string out = name + ": " + std::to_string(r.cuda.gpus.size()) + " GPU" +
                      (r.cuda.gpus.size() == 1 ? "" : "s") + " (";
    for (size_t i = 0; i < r.cuda.gpus.size(); ++i) {
      const CudaGpu& g = r.cuda.gpus[i];
      out += (i ? ", " : "") + g.name + ": NVDEC";
      bool any = false;
      for (const auto& c : g.nvdec) {
        if (c.supported) out += " " + c.codec;
        any |= c.supported;
      }
      if (!any) out += " none";
      out += g.nvenc ? ", NVENC" : ", no NVENC";
      for (const auto& c : g.nvenc_codecs) out += " " + c;
    }
    return out + ")";
  }
  if (!r.qsv.available) return name + ": unavailable (" + r.qsv.reason + ")";
  std::string out = name + ": ";
  bool first = true;
  for (const auto& impl : r.qsv.implementations) {
    if (!impl.hardware) continue;
    out += (first ? "" : ", ") + impl.name + " API " + impl.api_version;
    first = false;
  }
  return out;
}

}  // namespace

HwProbeReport ProbeHardware(const HwProbeOptions& options) {
  HwProbeReport report;
  report.cuda = ProbeCuda();
  report.qsv = ProbeQsv();
  report.ffmpeg = ProbeFfmpeg(options);
  if (Usable(report, HwBackend::kCuda, report.cuda.available)) {
    report.usable.push_back(HwBackend::kCuda);
  }
  if (Usable(report, HwBackend::kQsv, report.qsv.available)) {
    report.usable.push_back(HwBackend::kQsv);
  }
  report.usable.push_back(HwBackend::kCpu);
  return report;
}

std::string HwProbeSummaryLine(const HwProbeReport& report) {
  std::string usable;
  for (HwBackend b : report.usable)
    usable += (usable.empty() ? "" : ", ") + std::string(HwBackendName(b));
  if (report.usable.size() == 1) usable += " only";
  return BackendLine(report, HwBackend::kCuda) + "; " + BackendLine(report, HwBackend::kQsv) +
         "; usable: " + usable;
}

}  // namespace tessera::codec
