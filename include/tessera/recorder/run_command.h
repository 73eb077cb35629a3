// `tessera-recorder run`: the recording service (joins rooms through the MCU's API, receives
// their media and writes it through EncryptedChunkWriter). Declared here so the CLI in
// src/main/recorder_main.cc can dispatch to it; the service itself lives in
// include/tessera/recorder/service.h and its sources.
#pragma once

namespace tessera::recorder {

// argv[0] is "run"; returns the process exit status (0 clean stop, 1 failure, 2 usage).
int RunRecorder(int argc, char** argv);

}  // namespace tessera::recorder
