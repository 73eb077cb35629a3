// The probe's sections, one file each (private to the codec module; see hw_probe.h).
#pragma once

#include <tessera/codec/hw_probe.h>

namespace tessera::codec {

// CUDA driver, GPUs, NVDEC and NVENC (hw_probe_nvidia.cc).
CudaProbe ProbeCuda();
// oneVPL implementations and DRM render nodes (hw_probe_qsv.cc).
QsvProbe ProbeQsv();

}  // namespace tessera::codec
