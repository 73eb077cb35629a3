#include "codec/nvidia_driver.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>

namespace tessera::codec {
namespace nvidia_internal {

void LoaderLog(void* logctx, const char* format, ...) {
  auto* out = static_cast<std::string*>(logctx);
  if (!out) return;
  // Called right after the failed dlopen/dlsym: dlerror() has the precise cause (file missing,
  // wrong architecture, undefined symbol) and names the library.
  const char* dl = dlerror();
  char line[512];
  if (dl) {
    std::snprintf(line, sizeof(line), "%s", dl);
  } else {
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof(line), format, args);
    va_end(args);
  }
  std::string text = line;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!out->empty()) *out += "; ";
  *out += text;
}

}  // namespace nvidia_internal

namespace {

template <typename T, typename LoadFn>
StatusOr<T*> LoadTable(LoadFn load, const char* what) {
  T* fn = nullptr;
  std::string log;
  dlerror();  // clear a stale error so the loader's message is about this load
  if (load(&fn, &log) < 0 || !fn) {
    return UnavailableError(std::string("no ") + what + " (" +
                            (log.empty() ? std::string("loader failed") : log) + ")");
  }
  return fn;
}

}  // namespace

StatusOr<std::unique_ptr<CudaDriver>> CudaDriver::Load() {
  auto fn = LoadTable<CudaFunctions>(cuda_load_functions, "CUDA driver");
  if (!fn.ok()) return fn.status();
  return std::unique_ptr<CudaDriver>(new CudaDriver(*fn));
}

CudaDriver::~CudaDriver() { cuda_free_functions(&fn_); }

Status CudaDriver::Init() const {
  const CUresult r = fn_->cuInit(0);
  if (r != CUDA_SUCCESS) return UnavailableError("cuInit: " + Explain(r));
  return Status::Ok();
}

std::optional<int> CudaDriver::DriverVersion() const {
  // Not in ffnvcodec's table; present in every libcuda since CUDA 2.2.
  using Fn = CUresult (*)(int*);
  auto get = reinterpret_cast<Fn>(dlsym(fn_->lib, "cuDriverGetVersion"));
  int version = 0;
  if (!get || get(&version) != CUDA_SUCCESS) return std::nullopt;
  return version;
}

std::optional<uint64_t> CudaDriver::TotalMemory(CUdevice device) const {
  using Fn = CUresult (*)(size_t*, CUdevice);
  auto get = reinterpret_cast<Fn>(dlsym(fn_->lib, "cuDeviceTotalMem_v2"));
  size_t bytes = 0;
  if (!get || get(&bytes, device) != CUDA_SUCCESS) return std::nullopt;
  return bytes;
}

std::string CudaDriver::ErrorText(CUresult result) const {
  const char* name = nullptr;
  const char* text = nullptr;
  if (fn_->cuGetErrorName(result, &name) != CUDA_SUCCESS || !name) name = nullptr;
  if (fn_->cuGetErrorString(result, &text) != CUDA_SUCCESS || !text) text = nullptr;
  std::string out = name ? name : "CUresult " + std::to_string(static_cast<int>(result));
  if (text) out += std::string(" (") + text + ")";
  return out;
}

std::string CudaDriver::Explain(CUresult result) const {
  const char* hint = nullptr;
  switch (static_cast<int>(result)) {
    case 100:  // CUDA_ERROR_NO_DEVICE
      hint =
          "no NVIDIA GPU visible to this process: check nvidia-smi, CUDA_VISIBLE_DEVICES, "
          "and that the container was given the GPU";
      break;
    case 101:  // CUDA_ERROR_INVALID_DEVICE
      hint = "no GPU with this ordinal";
      break;
    case 35:  // CUDA_ERROR_INSUFFICIENT_DRIVER
      hint = "the kernel driver is older than libcuda.so.1";
      break;
    case 803:  // CUDA_ERROR_SYSTEM_DRIVER_MISMATCH
      hint = "libcuda.so.1 and the nvidia kernel module are different versions";
      break;
    case 999:  // CUDA_ERROR_UNKNOWN
      hint = "often the nvidia kernel module is not loaded or /dev/nvidia* is not accessible";
      break;
    default:
      break;
  }
  std::string out = ErrorText(result);
  if (hint) out += std::string(": ") + hint;
  return out;
}

StatusOr<std::unique_ptr<CuvidLibrary>> CuvidLibrary::Load() {
  auto fn = LoadTable<CuvidFunctions>(cuvid_load_functions, "NVDEC library");
  if (!fn.ok()) return fn.status();
  return std::unique_ptr<CuvidLibrary>(new CuvidLibrary(*fn));
}

CuvidLibrary::~CuvidLibrary() { cuvid_free_functions(&fn_); }

StatusOr<std::unique_ptr<NvencLibrary>> NvencLibrary::Load() {
  auto fn = LoadTable<NvencFunctions>(nvenc_load_functions, "NVENC library");
  if (!fn.ok()) return fn.status();
  return std::unique_ptr<NvencLibrary>(new NvencLibrary(*fn));
}

NvencLibrary::~NvencLibrary() { nvenc_free_functions(&fn_); }

ScopedPrimaryContext::ScopedPrimaryContext(const CudaDriver& driver, CUdevice device)
    : driver_(driver), device_(device) {
  CUresult r = driver_.fn().cuDevicePrimaryCtxRetain(&context_, device_);
  if (r != CUDA_SUCCESS) {
    status_ = UnavailableError("cuDevicePrimaryCtxRetain: " + driver_.Explain(r));
    return;
  }
  retained_ = true;
  r = driver_.fn().cuCtxPushCurrent(context_);
  if (r != CUDA_SUCCESS) {
    status_ = UnavailableError("cuCtxPushCurrent: " + driver_.Explain(r));
    return;
  }
  pushed_ = true;
}

ScopedPrimaryContext::~ScopedPrimaryContext() {
  CUcontext popped = nullptr;
  if (pushed_) (void)driver_.fn().cuCtxPopCurrent(&popped);
  if (retained_) (void)driver_.fn().cuDevicePrimaryCtxRelease(device_);
}

}  // namespace tessera::codec
