// The load generator's running part: sockets, timers and threads around the senders, receivers
// and matchers. One network thread (the caller of Run) paces every sender and receives every
// stream, so send and arrival times come from one place; composites are decoded on a small
// thread pool whose results are posted back to it.
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>

#include <functional>
#include <map>
#include <memory>

#include "loadgen/clip.h"
#include "loadgen/load_plan.h"
#include "loadgen/run_result.h"

namespace tessera::loadgen {

struct Clips {
  std::map<rtp::Codec, VideoClip> video;    // one per input codec of the plan
  std::map<rtp::Codec, AudioClip> speaker;  // the first participant of each room: a loud tone
  std::map<rtp::Codec, AudioClip> quiet;    // the others: a quiet one
};

struct EngineOptions {
  int seconds = 10;     // senders run this long
  int warmup_s = 2;     // not measured: decoders wait for keyframes, queues settle
  int drain_ms = 1000;  // receivers keep going after the senders stop
  int decode_threads = 1;
  int server_pid = 0;  // for CPU and RSS; 0: none
  uint8_t counter_extension_id = 7;
  size_t mtu = 1200;
};

class Engine {
 public:
  // Opens every socket of the plan (its receive ports must be free). The clips outlive it.
  static StatusOr<std::unique_ptr<Engine>> Create(const LoadPlan& plan, const Clips& clips,
                                                  const EngineOptions& options);
  ~Engine();

  // Runs the load on the calling thread: options.seconds of sending, then the drain. on_second
  // is called on it once a second. SIGINT or SIGTERM end the sending early (measured up to
  // then) and drain as usual; a second signal ends the run at once.
  RunResult Run(const std::function<void(const SecondSample&)>& on_second);

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::loadgen
