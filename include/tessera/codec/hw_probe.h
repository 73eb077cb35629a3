// What the machine offers for hardware video: NVIDIA GPUs (CUDA driver, NVDEC and NVENC
// capabilities), Intel Quick Sync (oneVPL implementations), and FFmpeg's view (device types built
// in, whether its CUDA and QSV devices open). Every missing library or failing step becomes a
// reason string; probing never crashes and never needs the hardware to be present.
#pragma once

#include <tessera/codec/device_frame.h>
#include <tessera/codec/hw_device.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::codec {

// NVDEC's limits for one codec at 8-bit 4:2:0 (cuvidGetDecoderCaps).
struct NvdecCodecCaps {
  std::string codec;  // "H264", "VP8", "VP9"
  bool supported = false;
  int max_width = 0;  // pixels
  int max_height = 0;
  std::string reason;  // why not supported or not known; empty when supported
};

struct CudaGpu {
  int index = 0;  // CUDA ordinal
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  uint64_t memory_bytes = 0;
  std::vector<NvdecCodecCaps> nvdec;  // empty when NVDEC could not be asked (nvdec_reason)
  std::string nvdec_reason;
  bool nvenc = false;                     // an encode session opened
  std::vector<std::string> nvenc_codecs;  // "H264", "HEVC", ... (encode GUIDs listed)
  std::string nvenc_reason;               // why no NVENC: e.g. the GPU has none (H100, H200, A100)
};

struct CudaProbe {
  bool available = false;  // libcuda loads, cuInit succeeds, at least one GPU
  std::string reason;      // why not; empty when available
  int driver_version = 0;  // 1000 * major + 10 * minor; 0 if unknown
  std::vector<CudaGpu> gpus;
  std::string nvdec_library;  // "libnvcuvid.so.1", or why it does not load
  std::string nvenc_library;  // "libnvidia-encode.so.1 (API up to 12.1)", or why not
};

struct QsvImplementation {
  std::string name;                   // ImplName, e.g. "mfx-gen"
  std::string api_version;            // "2.9"
  bool hardware = false;              // MFX_IMPL_TYPE_HARDWARE
  std::string acceleration;           // "VAAPI", "none", ...
  uint32_t vendor_id = 0;             // 0x8086 for Intel
  std::string device_id;              // the GPU's device id as the runtime gives it
  std::vector<std::string> decoders;  // "AVC", "VP8", ...
  std::vector<std::string> encoders;
};

struct QsvProbe {
  bool available = false;  // a hardware oneVPL implementation
  std::string reason;      // why not; empty when available
  std::vector<QsvImplementation> implementations;
  std::vector<std::string> render_nodes;  // "renderD128 (vendor 0x8086, i915)"
};

struct FfmpegDeviceProbe {
  HwBackend backend = HwBackend::kCuda;
  bool opened = false;
  std::string detail;  // the device's description, or why it does not open
};

struct FfmpegProbe {
  std::vector<std::string> device_types;   // av_hwdevice_iterate_types, by name
  std::vector<FfmpegDeviceProbe> devices;  // empty when not asked to open them
};

struct HwProbeReport {
  CudaProbe cuda;
  QsvProbe qsv;
  FfmpegProbe ffmpeg;
  // Backends a room could use here, in the automatic order; always ends with kCpu.
  std::vector<HwBackend> usable;
};

struct HwProbeOptions {
  HwDeviceOptions device;
  // Also open FFmpeg's CUDA and QSV devices (OpenHwDevice) to see that they work. The server
  // skips this at start-up: its rooms open them right after.
  bool open_ffmpeg_devices = true;
};

// Runs on: any thread, but not concurrently with itself (the drivers' loaders are not
// re-entrant). Takes up to about a second on a GPU machine (contexts, NVENC sessions).
HwProbeReport ProbeHardware(const HwProbeOptions& options = {});

// For people: one section per backend, indented details, reasons verbatim.
std::string FormatHwProbeText(const HwProbeReport& report);
// For machines: one JSON object (keys as in the structs above; memory in MiB).
std::string FormatHwProbeJson(const HwProbeReport& report);
// One line for the start-up log: "cuda: unavailable (no CUDA driver ...); qsv: ...; usable: cpu".
std::string HwProbeSummaryLine(const HwProbeReport& report);

}  // namespace tessera::codec
