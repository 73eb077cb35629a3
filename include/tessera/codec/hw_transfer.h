// Copies between device pictures and host I420 pictures. The room's data plane downloads once
// per composed canvas (for a CPU encoder where the GPU has no encoder, or for recording), never
// once per input; uploads are for tests and benches.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/video_frame.h>

namespace tessera::codec {

// The picture in host memory as I420 (av_hwframe_transfer_data into NV12, then the chroma
// deinterleaved), with the frame's size and pts_90k. Blocks until the copy is done.
// InvalidArgument for a moved-from frame; Internal with FFmpeg's error text when the transfer
// fails (a driver error, a lost device). Never throws.
// Runs on: the thread that owns the frame's device work (the room's strand).
StatusOr<VideoFrame> DownloadToI420(const DeviceVideoFrame& frame);

// Writes `picture` into `frame` (e.g. a canvas from HwVideoEncoder::AcquireCanvas), which must
// have the same size, or one less in a dimension where the picture's is odd (the last column or
// row is left out); the frame's pts_90k becomes the picture's. The copy is queued on the CUDA
// legacy default stream (FFmpeg does not wait for it when the destination is on the device), so
// work on the device's other blocking streams, such as the compositor's, runs after it.
// InvalidArgument for a size mismatch or an invalid picture; Internal when the transfer fails.
Status UploadI420(const VideoFrame& picture, DeviceVideoFrame& frame);

}  // namespace tessera::codec
