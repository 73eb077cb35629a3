// The NVIDIA driver's user-space libraries, loaded at run time through ffnvcodec's loader
// (libcuda.so.1, libnvcuvid.so.1, libnvidia-encode.so.1), so Tessera builds and runs without them.
// This unit owns loading, freeing and error-to-text for them; the device opener and the probe use
// it. Private to the codec module.
#pragma once

#include <tessera/base/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

// ffnvcodec's loader prints to stderr unless told where to log: its messages become the reason
// of a failed Load() instead.
#ifndef FFNV_LOG_FUNC
#define FFNV_LOG_FUNC(logctx, msg, ...) \
  ::tessera::codec::nvidia_internal::LoaderLog(logctx, msg, __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...)
#endif
namespace tessera::codec::nvidia_internal {
// logctx is the std::string that collects the loader's messages (with dlerror()'s text).
void LoaderLog(void* logctx, const char* format, ...) __attribute__((format(printf, 2, 3)));
}  // namespace tessera::codec::nvidia_internal

#include <ffnvcodec/dynlink_loader.h>

namespace tessera::codec {

// libcuda.so.1: the CUDA driver API. Runs on: any thread (the driver API is thread-safe).
class CudaDriver {
 public:
  // Loads the library and its symbols. Unavailable: "no CUDA driver (libcuda.so.1: cannot open
  // shared object file: No such file or directory)".
  static StatusOr<std::unique_ptr<CudaDriver>> Load();
  ~CudaDriver();

  const CudaFunctions& fn() const { return *fn_; }
  // cuInit(0). Unavailable with the error's name and what it usually means on Linux.
  Status Init() const;
  // CUDA driver version as 1000 * major + 10 * minor (12040 for 12.4); nullopt if unknown.
  std::optional<int> DriverVersion() const;
  // Bytes of device memory; nullopt if unknown.
  std::optional<uint64_t> TotalMemory(CUdevice device) const;
  // "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)".
  std::string ErrorText(CUresult result) const;
  // ErrorText plus, for the errors operators meet, what to check.
  std::string Explain(CUresult result) const;

 private:
  explicit CudaDriver(CudaFunctions* fn) : fn_(fn) {}
  CudaFunctions* fn_;
};

// libnvcuvid.so.1: NVDEC. Runs on: any thread.
class CuvidLibrary {
 public:
  // Unavailable: "no NVDEC library (libnvcuvid.so.1: ...)".
  static StatusOr<std::unique_ptr<CuvidLibrary>> Load();
  ~CuvidLibrary();
  const CuvidFunctions& fn() const { return *fn_; }

 private:
  explicit CuvidLibrary(CuvidFunctions* fn) : fn_(fn) {}
  CuvidFunctions* fn_;
};

// libnvidia-encode.so.1: NVENC. Runs on: any thread.
class NvencLibrary {
 public:
  // Unavailable: "no NVENC library (libnvidia-encode.so.1: ...)".
  static StatusOr<std::unique_ptr<NvencLibrary>> Load();
  ~NvencLibrary();
  const NvencFunctions& fn() const { return *fn_; }

 private:
  explicit NvencLibrary(NvencFunctions* fn) : fn_(fn) {}
  NvencFunctions* fn_;
};

// The device's primary context, retained and made current on this thread for the object's life
// (cuvidGetDecoderCaps and NVENC sessions need a current context). Shares the context FFmpeg's
// CUDA device (primary_ctx=1) and the CUDA runtime use, so probing creates no second context.
class ScopedPrimaryContext {
 public:
  ScopedPrimaryContext(const CudaDriver& driver, CUdevice device);
  ~ScopedPrimaryContext();
  ScopedPrimaryContext(const ScopedPrimaryContext&) = delete;
  ScopedPrimaryContext& operator=(const ScopedPrimaryContext&) = delete;

  // Ok, or why the context could not be retained or made current.
  const Status& status() const { return status_; }
  CUcontext context() const { return context_; }

 private:
  const CudaDriver& driver_;
  CUdevice device_;
  CUcontext context_ = nullptr;
  bool retained_ = false;
  bool pushed_ = false;
  Status status_;
};

}  // namespace tessera::codec
