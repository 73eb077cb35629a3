// The probe's Intel section: the oneVPL dispatcher's implementations (libvpl) and the DRM render
// nodes they would run on. Always compiled; without an Intel GPU it reports why, cleanly.
#include <vpl/mfx.h>

#include <cstdio>
#include <cstring>

#include "codec/drm_render_nodes.h"
#include "codec/hw_probe_sections.h"

namespace tessera::codec {
namespace {

// "AVC ", "VP8 ", "HEVC": the codec FourCC as text, trailing spaces dropped.
std::string FourCcText(mfxU32 fourcc) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((fourcc >> (8 * i)) & 0xFF);
    if (c >= 0x21 && c <= 0x7E) s += c;
  }
  return s.empty() ? "?" : s;
}

std::string AccelerationText(mfxAccelerationMode mode) {
  switch (mode) {
    case MFX_ACCEL_MODE_NA:
      return "none";
    case MFX_ACCEL_MODE_VIA_VAAPI:
      return "VAAPI";
    case MFX_ACCEL_MODE_VIA_VAAPI_DRM_MODESET:
      return "VAAPI (DRM modeset)";
    case MFX_ACCEL_MODE_VIA_VAAPI_GLX:
      return "VAAPI (GLX)";
    case MFX_ACCEL_MODE_VIA_VAAPI_X11:
      return "VAAPI (X11)";
    case MFX_ACCEL_MODE_VIA_VAAPI_WAYLAND:
      return "VAAPI (Wayland)";
    default:
      char hex[16];
      std::snprintf(hex, sizeof(hex), "0x%04x", static_cast<unsigned>(mode));
      return hex;
  }
}

QsvImplementation Describe(const mfxImplDescription& d) {
  QsvImplementation impl;
  impl.name = std::string(d.ImplName, strnlen(d.ImplName, sizeof(d.ImplName)));
  impl.api_version = std::to_string(d.ApiVersion.Major) + "." + std::to_string(d.ApiVersion.Minor);
  impl.hardware = d.Impl == MFX_IMPL_TYPE_HARDWARE;
  impl.acceleration = AccelerationText(d.AccelerationMode);
  impl.vendor_id = d.VendorID;
  impl.device_id = std::string(d.Dev.DeviceID, strnlen(d.Dev.DeviceID, sizeof(d.Dev.DeviceID)));
  if (d.Dec.Codecs) {
    for (mfxU16 i = 0; i < d.Dec.NumCodecs; ++i) {
      impl.decoders.push_back(FourCcText(d.Dec.Codecs[i].CodecID));
    }
  }
  if (d.Enc.Codecs) {
    for (mfxU16 i = 0; i < d.Enc.NumCodecs; ++i) {
      impl.encoders.push_back(FourCcText(d.Enc.Codecs[i].CodecID));
    }
  }
  return impl;
}

}  // namespace

QsvProbe ProbeQsv() {
  QsvProbe probe;
  bool intel_node = false;
  for (const auto& node : ListRenderNodes()) {
    probe.render_nodes.push_back(DescribeRenderNode(node));
    intel_node |= node.vendor == kPciVendorIntel;
  }
  mfxLoader loader = MFXLoad();
  if (!loader) {
    probe.reason = "MFXLoad failed (the oneVPL dispatcher could not start)";
    return probe;
  }
  mfxStatus last = MFX_ERR_NONE;
  for (mfxU32 i = 0;; ++i) {
    mfxHDL handle = nullptr;
    last = MFXEnumImplementations(loader, i, MFX_IMPLCAPS_IMPLDESCSTRUCTURE, &handle);
    if (last != MFX_ERR_NONE || !handle) break;
    const auto* desc = static_cast<const mfxImplDescription*>(handle);
    probe.implementations.push_back(Describe(*desc));
    MFXDispReleaseImplDescription(loader, handle);
  }
  MFXUnload(loader);

  for (const auto& impl : probe.implementations) probe.available |= impl.hardware;
  if (probe.available) return probe;
  std::string where;
  if (probe.render_nodes.empty()) {
    where = "no DRM render node (/dev/dri/renderD* absent)";
  } else if (!intel_node) {
    where = "no Intel GPU among the render nodes";
  } else {
    where =
        "an Intel render node exists: install its runtime (libmfx-gen1.2 from Gen12 on, libmfx1 "
        "before) and intel-media-va-driver";
  }
  if (probe.implementations.empty()) {
    const std::string status = last == MFX_ERR_NOT_FOUND
                                   ? "MFX_ERR_NOT_FOUND"
                                   : "status " + std::to_string(static_cast<int>(last));
    probe.reason = "no oneVPL implementation (MFXEnumImplementations: " + status + "): " + where;
  } else {
    probe.reason = "only software oneVPL implementations: " + where;
  }
  return probe;
}

}  // namespace tessera::codec
