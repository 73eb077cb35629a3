// The mixer's pictures are the codec module's decoded frames: one I420 type from decoder to
// compositor to encoder, so no copy or conversion sits between them.
#pragma once

#include <tessera/codec/video_frame.h>

namespace tessera::mixer {

using I420Frame = codec::VideoFrame;

}  // namespace tessera::mixer
