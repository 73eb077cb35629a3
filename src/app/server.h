// The Server wires the modules of one node: it owns the threads (network shards, the rooms' audio
// and video contexts), the RTP port range and the hardware devices, and the RoomService that runs
// the rooms on them. Front ends (the operator console, the SIP user agent) reach the rooms only
// through rooms(), the RoomDirectory.
#pragma once

#include <tessera/codec/hw_selector.h>
#include <tessera/control/console.h>
#include <tessera/net/port_allocator.h>
#include <tessera/net/shard_pool.h>
#include <tessera/session/room_service.h>
#include <tessera/webrtc/webrtc_service.h>

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"

namespace tessera::app {

// Runs on: the main thread (Start/Stop, SummaryLines); rooms() and Control from any thread.
class Server {
 public:
  explicit Server(Config config, Clock& clock = SystemClock());
  // Tests: how hardware devices are opened (a fake machine); default OpenHwDevice.
  Server(Config config, Clock& clock, codec::HwDeviceOpener hw_opener);
  ~Server();

  // Binds every participant's ports and starts the threads. A port that cannot be bound, or a
  // participant that cannot be set up, is a start-up error naming the participant; a required
  // hardware backend that cannot be opened is one naming the backend and why.
  Status Start();
  // Stops every participant on its own shard (draining what already arrived), then the threads.
  void Stop();
  // One operator command (docs/operations.md, "Operator commands"), answered in one line:
  // "ok ..." or "error: ...". Runs on: the caller's thread; blocks until the room applied it.
  std::string Control(const std::string& line);
  // One JSON line per participant, room participant and room, for the operator at stop.
  std::vector<std::string> SummaryLines();
  // The rooms, for every front end.
  session::RoomDirectory& rooms() { return *rooms_; }
  // Browsers over WHIP/WHEP (the `webrtc` block); null when not enabled.
  webrtc::WebRtcService* webrtc() { return webrtc_.get(); }

 private:
  // The backend of a room with video (hardware.backends or the room's own order).
  StatusOr<codec::HwSelection> SelectRoomBackend(const session::RoomConfig& rc);
  // A required backend no room would open is checked at start; the probe summary is logged.
  Status CheckHardware();

  Config config_;
  Clock& clock_;
  net::ShardPool shards_;
  net::ShardPool media_;        // rooms' audio: one io_context thread each
  net::ShardPool video_media_;  // rooms' video mixers: apart, so an encode never delays audio
  net::PortAllocator ports_;
  // One device per (backend, GPU) for all rooms. Rooms hold the devices; the registry only
  // remembers them, so its place among the members does not matter.
  codec::HwDeviceRegistry hw_devices_;
  // Declared after the threads: destroyed (legs, rooms) once the threads have stopped.
  std::unique_ptr<session::RoomService> rooms_;
  std::unique_ptr<webrtc::WebRtcService> webrtc_;  // after rooms_: its sessions leave them first
  control::Console console_;
  bool started_ = false;
};

}  // namespace tessera::app
