// The probe's NVIDIA section: the CUDA driver and its GPUs, NVDEC limits per codec, and whether
// an NVENC session opens (data-centre GPUs such as H100 and H200 have no NVENC).
#include <algorithm>
#include <cstring>

#include "codec/hw_probe_sections.h"
#include "codec/nvidia_driver.h"

namespace tessera::codec {
namespace {

std::string NvencStatusName(NVENCSTATUS s) {
  switch (s) {
    case NV_ENC_SUCCESS:
      return "NV_ENC_SUCCESS";
    case NV_ENC_ERR_NO_ENCODE_DEVICE:
      return "NV_ENC_ERR_NO_ENCODE_DEVICE";
    case NV_ENC_ERR_UNSUPPORTED_DEVICE:
      return "NV_ENC_ERR_UNSUPPORTED_DEVICE";
    case NV_ENC_ERR_INVALID_ENCODERDEVICE:
      return "NV_ENC_ERR_INVALID_ENCODERDEVICE";
    case NV_ENC_ERR_INVALID_DEVICE:
      return "NV_ENC_ERR_INVALID_DEVICE";
    case NV_ENC_ERR_DEVICE_NOT_EXIST:
      return "NV_ENC_ERR_DEVICE_NOT_EXIST";
    case NV_ENC_ERR_OUT_OF_MEMORY:
      return "NV_ENC_ERR_OUT_OF_MEMORY";
    case NV_ENC_ERR_INVALID_VERSION:
      return "NV_ENC_ERR_INVALID_VERSION";
    case NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY:
      return "NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY";
    default:
      return "NVENCSTATUS " + std::to_string(static_cast<int>(s));
  }
}

std::string VersionText(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

void ProbeNvdec(const CuvidLibrary& cuvid, const CudaDriver& driver, CudaGpu& gpu) {
  if (!cuvid.fn().cuvidGetDecoderCaps) {
    gpu.nvdec_reason = "cuvidGetDecoderCaps missing from libnvcuvid.so.1 (driver too old)";
    return;
  }
  const struct {
    const char* name;
    cudaVideoCodec codec;
  } kCodecs[] = {
      {"H264", cudaVideoCodec_H264}, {"VP8", cudaVideoCodec_VP8}, {"VP9", cudaVideoCodec_VP9}};
  for (const auto& c : kCodecs) {
    CUVIDDECODECAPS caps;
    std::memset(&caps, 0, sizeof(caps));
    caps.eCodecType = c.codec;
    caps.eChromaFormat = cudaVideoChromaFormat_420;
    caps.nBitDepthMinus8 = 0;
    NvdecCodecCaps out;
    out.codec = c.name;
    const CUresult r = cuvid.fn().cuvidGetDecoderCaps(&caps);
    if (r != CUDA_SUCCESS) {
      out.reason = "cuvidGetDecoderCaps: " + driver.Explain(r);
    } else if (!caps.bIsSupported) {
      out.reason = "not supported by this GPU's NVDEC (8-bit 4:2:0)";
    } else {
      out.supported = true;
      out.max_width = static_cast<int>(caps.nMaxWidth);
      out.max_height = static_cast<int>(caps.nMaxHeight);
    }
    gpu.nvdec.push_back(std::move(out));
  }
}

bool SameGuid(const GUID& a, const GUID& b) { return std::memcmp(&a, &b, sizeof(GUID)) == 0; }

void ProbeNvenc(const NV_ENCODE_API_FUNCTION_LIST& api, CUcontext context, CudaGpu& gpu) {
  NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params;
  std::memset(&params, 0, sizeof(params));
  params.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
  params.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
  params.device = context;
  params.apiVersion = NVENCAPI_VERSION;
  void* encoder = nullptr;
  const NVENCSTATUS s = api.nvEncOpenEncodeSessionEx(&params, &encoder);
  if (s != NV_ENC_SUCCESS || !encoder) {
    gpu.nvenc_reason = "no encode session: " + NvencStatusName(s);
    if (s == NV_ENC_ERR_NO_ENCODE_DEVICE || s == NV_ENC_ERR_UNSUPPORTED_DEVICE) {
      gpu.nvenc_reason +=
          " (this GPU has no NVENC: data-centre GPUs such as H100, H200 and A100 decode with "
          "NVDEC but encode on the CPU)";
    } else if (s == NV_ENC_ERR_OUT_OF_MEMORY) {
      gpu.nvenc_reason += " (or the driver's limit of concurrent sessions is reached)";
    }
    // A failed open can leave a half-made session the driver wants destroyed.
    if (encoder) api.nvEncDestroyEncoder(encoder);
    return;
  }
  gpu.nvenc = true;
  uint32_t count = 0;
  if (api.nvEncGetEncodeGUIDCount(encoder, &count) == NV_ENC_SUCCESS && count > 0) {
    std::vector<GUID> guids(count);
    uint32_t listed = 0;
    if (api.nvEncGetEncodeGUIDs(encoder, guids.data(), count, &listed) == NV_ENC_SUCCESS) {
      for (uint32_t i = 0; i < listed && i < count; ++i) {
        if (SameGuid(guids[i], NV_ENC_CODEC_H264_GUID)) {
          gpu.nvenc_codecs.push_back("H264");
        } else if (SameGuid(guids[i], NV_ENC_CODEC_HEVC_GUID)) {
          gpu.nvenc_codecs.push_back("HEVC");
        } else {
          gpu.nvenc_codecs.push_back("other");  // AV1 and later: GUIDs newer than our headers
        }
      }
    }
  }
  api.nvEncDestroyEncoder(encoder);
  if (std::find(gpu.nvenc_codecs.begin(), gpu.nvenc_codecs.end(), "H264") ==
      gpu.nvenc_codecs.end()) {
    gpu.nvenc_reason = "an encode session opens but lists no H.264 encoder";
  }
}

}  // namespace

CudaProbe ProbeCuda() {
  CudaProbe probe;
  auto driver = CudaDriver::Load();
  if (!driver.ok()) {
    probe.reason = driver.status().message();
    probe.nvdec_library = "not checked (no CUDA driver)";
    probe.nvenc_library = "not checked (no CUDA driver)";
    return probe;
  }
  const CudaDriver& cuda = **driver;
  probe.driver_version = cuda.DriverVersion().value_or(0);
  if (Status s = cuda.Init(); !s.ok()) {
    probe.reason = s.message();
    return probe;
  }
  int count = 0;
  if (CUresult r = cuda.fn().cuDeviceGetCount(&count); r != CUDA_SUCCESS) {
    probe.reason = "cuDeviceGetCount: " + cuda.Explain(r);
    return probe;
  }
  if (count == 0) {
    probe.reason = "the CUDA driver sees no GPU";
    return probe;
  }
  probe.available = true;

  auto cuvid = CuvidLibrary::Load();
  probe.nvdec_library = cuvid.ok() ? "libnvcuvid.so.1" : cuvid.status().message();
  auto nvenc = NvencLibrary::Load();
  NV_ENCODE_API_FUNCTION_LIST api;
  std::memset(&api, 0, sizeof(api));
  bool nvenc_api = false;
  if (!nvenc.ok()) {
    probe.nvenc_library = nvenc.status().message();
  } else {
    uint32_t max_version = 0;
    (*nvenc)->fn().NvEncodeAPIGetMaxSupportedVersion(&max_version);
    probe.nvenc_library = "libnvidia-encode.so.1 (API up to " +
                          VersionText(max_version >> 4, max_version & 0xF) + ")";
    api.version = NV_ENCODE_API_FUNCTION_LIST_VER;
    const NVENCSTATUS s = (*nvenc)->fn().NvEncodeAPICreateInstance(&api);
    if (s != NV_ENC_SUCCESS) {
      probe.nvenc_library += ": NvEncodeAPICreateInstance: " + NvencStatusName(s) +
                             " (Tessera's NVENC headers are API " +
                             VersionText(NVENCAPI_MAJOR_VERSION, NVENCAPI_MINOR_VERSION) +
                             "; an older driver refuses them)";
    } else {
      nvenc_api = api.nvEncOpenEncodeSessionEx && api.nvEncDestroyEncoder &&
                  api.nvEncGetEncodeGUIDCount && api.nvEncGetEncodeGUIDs;
    }
  }

  for (int i = 0; i < count; ++i) {
    CudaGpu gpu;
    gpu.index = i;
    CUdevice device = 0;
    if (CUresult r = cuda.fn().cuDeviceGet(&device, i); r != CUDA_SUCCESS) {
      gpu.name = "?";
      gpu.nvdec_reason = gpu.nvenc_reason = "cuDeviceGet: " + cuda.Explain(r);
      probe.gpus.push_back(std::move(gpu));
      continue;
    }
    char name[256] = {};
    if (cuda.fn().cuDeviceGetName(name, sizeof(name) - 1, device) == CUDA_SUCCESS) gpu.name = name;
    if (cuda.fn().cuDeviceComputeCapability(&gpu.compute_major, &gpu.compute_minor, device) !=
        CUDA_SUCCESS) {
      gpu.compute_major = gpu.compute_minor = 0;
    }
    gpu.memory_bytes = cuda.TotalMemory(device).value_or(0);
    ScopedPrimaryContext context(cuda, device);
    if (!context.status().ok()) {
      gpu.nvdec_reason = gpu.nvenc_reason = context.status().message();
    } else {
      if (cuvid.ok()) {
        ProbeNvdec(**cuvid, cuda, gpu);
      } else {
        gpu.nvdec_reason = probe.nvdec_library;
      }
      if (nvenc_api) {
        ProbeNvenc(api, context.context(), gpu);
      } else {
        gpu.nvenc_reason = probe.nvenc_library;
      }
    }
    probe.gpus.push_back(std::move(gpu));
  }
  return probe;
}

}  // namespace tessera::codec
