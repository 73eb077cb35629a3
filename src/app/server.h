// The Server owns the threads (network shards), the port allocator and the participants.
#pragma once

#include <tessera/codec/hw_selector.h>
#include <tessera/net/port_allocator.h>
#include <tessera/net/shard_pool.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <future>
#include <memory>
#include <vector>

#include "app/config.h"
#include "app/participant.h"
#include "app/room_host.h"

namespace tessera::app {

// Runs on: the main thread (Start/Stop); participants run on their shards.
class Server {
 public:
  explicit Server(Config config, Clock& clock = SystemClock());
  // Tests: how hardware devices are opened (a fake machine); default OpenHwDevice.
  Server(Config config, Clock& clock, codec::HwDeviceOpener hw_opener);
  ~Server();

  // Binds every participant's ports and starts the shards. A port that cannot be bound, or a
  // participant that cannot be set up, is a start-up error naming the participant; a required
  // hardware backend that cannot be opened is one naming the backend and why.
  Status Start();
  // Stops every participant on its own shard (draining what already arrived), then the shards.
  void Stop();
  std::vector<ParticipantSummary> Summaries();
  // One operator command (docs/operations.md, "Operator commands"), answered in one line:
  // "ok ..." or "error: ...". `stats [ROOM]` answers "ok stats [...]": a JSON array of the
  // rooms' summary objects, live. Runs on: the caller's thread; blocks until the room applied it.
  std::string Control(const std::string& line);
  // One JSON line per participant, room participant and room, for the operator at stop.
  std::vector<std::string> SummaryLines();

 private:
  Status StartRooms();
  // The backend of a room with video (hardware.backends or the room's own order).
  StatusOr<codec::HwSelection> SelectRoomBackend(const RoomConfig& rc);
  // The live summary lines of one room or (empty name) of every room.
  std::string Stats(const std::string& only_room);
  Status StartVideoLeg(RoomHost& host, const RoomConfig& rc, const RoomParticipantConfig& pc,
                       uint32_t id);
  // Runs f on io's thread and waits for its result.
  template <typename F>
  static auto RunOn(boost::asio::io_context& io, F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }

  Config config_;
  Clock& clock_;
  net::ShardPool shards_;
  net::ShardPool media_;        // rooms' audio: one io_context thread each
  net::ShardPool video_media_;  // rooms' video mixers: apart, so an encode never delays audio
  net::PortAllocator ports_;
  // One device per (backend, GPU) for all rooms. Rooms hold the devices; the registry only
  // remembers them, so its place among the members does not matter.
  codec::HwDeviceRegistry hw_devices_;
  struct Entry {
    std::unique_ptr<Participant> participant;
    size_t shard;
  };
  std::vector<Entry> participants_;
  // Video decoders: one strand per input on this pool. Declared before rooms_ so that it is
  // destroyed after them: each video leg holds a strand whose destructor uses the pool's strand
  // service.
  std::unique_ptr<boost::asio::thread_pool> decode_pool_;
  std::vector<std::unique_ptr<RoomHost>> rooms_;
  bool started_ = false;
};

}  // namespace tessera::app
