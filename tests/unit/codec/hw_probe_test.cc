#include <gtest/gtest.h>
#include <tessera/codec/hw_probe.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace tessera::codec {
namespace {

bool MachineHasNvidiaGpu() { return std::filesystem::exists("/dev/nvidiactl"); }

TEST(HwProbe, NeverCrashesAndAlwaysOffersTheCpu) {
  const HwProbeReport r = ProbeHardware();
  ASSERT_FALSE(r.usable.empty());
  EXPECT_EQ(r.usable.back(), HwBackend::kCpu);
  EXPECT_EQ(r.cuda.available, r.cuda.reason.empty());
  EXPECT_EQ(r.qsv.available, r.qsv.reason.empty());
  ASSERT_EQ(r.ffmpeg.devices.size(), 2u);  // cuda and qsv were tried
  for (const auto& d : r.ffmpeg.devices) EXPECT_FALSE(d.detail.empty());
}

TEST(HwProbe, WithoutAGpuEverySectionSaysWhy) {
  if (MachineHasNvidiaGpu()) GTEST_SKIP() << "this machine has an NVIDIA GPU";
  const HwProbeReport r = ProbeHardware();
  EXPECT_FALSE(r.cuda.available);
  EXPECT_FALSE(r.cuda.reason.empty());
  EXPECT_TRUE(r.cuda.gpus.empty());
  if (!r.qsv.available) {
    EXPECT_FALSE(r.qsv.reason.empty());
  }
  for (const auto& d : r.ffmpeg.devices) {
    if (d.backend == HwBackend::kCuda) {
      EXPECT_FALSE(d.opened);
    }
  }
  EXPECT_NE(FormatHwProbeText(r).find("CUDA: unavailable: "), std::string::npos);
  EXPECT_NE(HwProbeSummaryLine(r).find("cuda: unavailable ("), std::string::npos);
}

TEST(HwProbe, FfmpegListsItsDeviceTypes) {
  const HwProbeReport r = ProbeHardware({.device = {}, .open_ffmpeg_devices = false});
  EXPECT_TRUE(r.ffmpeg.devices.empty());
  // Debian's FFmpeg 5.1 is built with cuda and qsv (libmfx).
  const auto& t = r.ffmpeg.device_types;
  EXPECT_NE(std::find(t.begin(), t.end(), "cuda"), t.end());
  EXPECT_NE(std::find(t.begin(), t.end(), "qsv"), t.end());
}

TEST(HwProbe, JsonOfThisMachineParses) {
  const HwProbeReport r = ProbeHardware();
  const auto j = nlohmann::json::parse(FormatHwProbeJson(r));
  EXPECT_EQ(j["cuda"]["available"], r.cuda.available);
  EXPECT_EQ(j["qsv"]["available"], r.qsv.available);
  EXPECT_EQ(j["usable"].back(), "cpu");
  EXPECT_EQ(j["cpu_only"], r.usable.size() == 1);
  EXPECT_TRUE(j["ffmpeg"]["device_types"].is_array());
}

// A report as an H100 machine gives it: NVDEC but no NVENC, and no Intel GPU.
HwProbeReport H100Report() {
  HwProbeReport r;
  r.cuda.available = true;
  r.cuda.driver_version = 12040;
  r.cuda.nvdec_library = "libnvcuvid.so.1";
  r.cuda.nvenc_library = "libnvidia-encode.so.1 (API up to 12.2)";
  CudaGpu g;
  g.name = "NVIDIA H100 80GB HBM3";
  g.compute_major = 9;
  g.memory_bytes = uint64_t{81559} * 1024 * 1024;
  g.nvdec = {{"H264", true, 4096, 4096, ""}, {"VP8", true, 4096, 4096, ""}};
  g.nvenc_reason = "no encode session: NV_ENC_ERR_NO_ENCODE_DEVICE (this GPU has no NVENC)";
  r.cuda.gpus.push_back(g);
  r.qsv.reason = "no oneVPL implementation (MFXEnumImplementations: MFX_ERR_NOT_FOUND): no DRM";
  r.ffmpeg.device_types = {"cuda", "qsv"};
  r.ffmpeg.devices = {{HwBackend::kCuda, true, "CUDA device 0 (NVIDIA H100 80GB HBM3)"},
                      {HwBackend::kQsv, false, "no Intel GPU"}};
  r.usable = {HwBackend::kCuda, HwBackend::kCpu};
  return r;
}

TEST(HwProbeFormat, TextShowsGpusNvdecLimitsAndMissingNvenc) {
  const std::string text = FormatHwProbeText(H100Report());
  EXPECT_NE(text.find("CUDA: available: driver CUDA 12.4, 1 GPU\n"), std::string::npos) << text;
  EXPECT_NE(text.find("GPU 0: NVIDIA H100 80GB HBM3, compute 9.0, 81559 MiB"), std::string::npos);
  EXPECT_NE(text.find("NVDEC: H264 up to 4096x4096; VP8 up to 4096x4096"), std::string::npos);
  EXPECT_NE(text.find("NVENC: none: no encode session: NV_ENC_ERR_NO_ENCODE_DEVICE"),
            std::string::npos);
  EXPECT_NE(text.find("qsv: does not open: no Intel GPU"), std::string::npos);
  EXPECT_NE(text.find("Backends usable: cuda, cpu\n"), std::string::npos);
  EXPECT_EQ(text.find("cpu only"), std::string::npos);
}

TEST(HwProbeFormat, JsonCarriesEveryField) {
  const auto j = nlohmann::json::parse(FormatHwProbeJson(H100Report()));
  const auto& gpu = j["cuda"]["gpus"][0];
  EXPECT_EQ(j["cuda"]["driver_version"], "12.4");
  EXPECT_EQ(gpu["compute_capability"], "9.0");
  EXPECT_EQ(gpu["memory_mib"], 81559);
  EXPECT_EQ(gpu["nvdec"][1]["codec"], "VP8");
  EXPECT_EQ(gpu["nvdec"][1]["max_width"], 4096);
  EXPECT_EQ(gpu["nvenc"], false);
  EXPECT_EQ(j["ffmpeg"]["devices"][0]["opened"], true);
  EXPECT_EQ(j["usable"], nlohmann::json({"cuda", "cpu"}));
  EXPECT_EQ(j["cpu_only"], false);
}

TEST(HwProbeFormat, SummaryLineNamesEachBackend) {
  EXPECT_EQ(HwProbeSummaryLine(H100Report()),
            "cuda: 1 GPU (NVIDIA H100 80GB HBM3: NVDEC H264 VP8, no NVENC); qsv: unavailable (no "
            "Intel GPU); usable: cuda, cpu");
}

TEST(HwProbeFormat, JsonSurvivesBytesThatAreNotUtf8) {
  HwProbeReport r = H100Report();
  r.cuda.gpus[0].name = "GPU \xff\xfe";
  nlohmann::json j;
  EXPECT_NO_THROW(j = nlohmann::json::parse(FormatHwProbeJson(r)));
  EXPECT_TRUE(j["cuda"]["gpus"][0]["name"].is_string());
}

}  // namespace
}  // namespace tessera::codec
