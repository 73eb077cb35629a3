// `tessera-recorder run --config FILE`: the recorder process until SIGTERM or SIGINT.
#pragma once

#include <tessera/recorder/recorder_config.h>
#include <tessera/recorder/recorder_service.h>

#include <functional>

namespace tessera::recorder {

// Makes the process's sink factory from its configuration (the encrypted chunk writer).
using SinkFactoryMaker = std::function<StatusOr<SinkFactory>(const RecorderConfig&)>;

// argv: the arguments after "run" (--config FILE). Returns the process's exit code: 0 after a
// graceful stop (every recording closed), 1 for a bad configuration or a port that cannot be
// bound.
int RunRecorder(int argc, char** argv, const SinkFactoryMaker& make_sinks);
// As above with the default sink factory, DefaultSinkFactory.
int RunRecorder(int argc, char** argv);
// The encrypted chunk files of chunk_file.h under the region's storage directory, keyed from
// key_file and key_store_dir. Defined where the chunk writer is (recorder_main.cc).
StatusOr<SinkFactory> DefaultSinkFactory(const RecorderConfig& config);

}  // namespace tessera::recorder
