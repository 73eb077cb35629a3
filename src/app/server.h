// The Server owns the threads (network shards), the port allocator and the participants.
#pragma once

#include <tessera/codec/hw_selector.h>
#include <tessera/net/port_allocator.h>
#include <tessera/net/shard_pool.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/participant.h"
#include "app/room_host.h"

namespace tessera::app {

// What a participant that joined a running room got: what SIP puts in its SDP answer.
struct JoinedParticipant {
  uint32_t id = 0;               // its id in the room, never given to anyone else there
  uint16_t audio_port = 0;       // local RTP port of its audio; 0: no audio
  uint16_t audio_rtcp_port = 0;  // audio_port with rtcp-mux, else audio_port + 1
  uint16_t video_port = 0;       // 0: no video
  uint16_t video_rtcp_port = 0;
};

// Where a participant's media goes from now on (a re-INVITE). 0 keeps a port.
struct RemoteUpdate {
  // Empty keeps the address; 0.0.0.0 (or ::) holds: nothing is sent to it (RFC 3264 8.4).
  std::string address;
  uint16_t audio_rtp_port = 0;
  uint16_t audio_rtcp_port = 0;  // 0: audio_rtp_port with rtcp-mux, else audio_rtp_port + 1
  uint16_t video_rtp_port = 0;   // only for a participant that receives the composite
  uint16_t video_rtcp_port = 0;
};

// Runs on: the main thread (Start/Stop); participants run on their shards. The control plane
// (JoinRoom, LeaveRoom, UpdateRemote, Control, Stop, SummaryLines) may be called from any thread:
// one mutex serialises it, and each call blocks until the rooms and shards applied it.
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

  // Adds a participant to a running room: validates it like the config does, allocates its
  // local ports from server.rtp_ports (unless pc names fixed ones), creates its audio and/or
  // video legs on a network shard, adds them to the room's audio mix and video layout (a tile,
  // and a recipient of its profile) and starts them. Errors: NotFound (no such room),
  // FailedPrecondition (server not running), InvalidArgument (pc), AlreadyExists (name taken in
  // the room), ResourceExhausted (room full: rooms[].max_participants; ports exhausted); on an
  // error nothing of the participant is left. Runs on: the caller's thread; blocks.
  StatusOr<JoinedParticipant> JoinRoom(const std::string& room, RoomParticipantConfig pc);
  // Takes a participant (configured or joined) out of a room: out of the mix and layout first,
  // then its legs are stopped (draining) and destroyed once no task that names them is left, its
  // ports freed and its summary line logged. NotFound for an unknown room or id.
  Status LeaveRoom(const std::string& room, uint32_t participant_id);
  // Re-INVITE: where its mix and composite go from now on (see RemoteUpdate).
  Status UpdateRemote(const std::string& room, uint32_t participant_id, const RemoteUpdate& remote);
  // A participant that joined with pc.admitted false (its PIN awaited) is heard, hears, is seen
  // and sees from now on. NotFound for an unknown room or id.
  Status Admit(const std::string& room, uint32_t participant_id);
  // A keyframe of the composite the participant receives (SIP INFO picture_fast_update).
  Status RequestKeyframe(const std::string& room, uint32_t participant_id);
  // Called (on the thread that made the participant leave, control mutex held: it must not call
  // back into the Server) for every participant that joined at run time and leaves, by LeaveRoom,
  // `kick` or stop. The SIP service ends the call.
  using LeaveObserver = std::function<void(const std::string& room, uint32_t participant_id)>;
  void SetLeaveObserver(LeaveObserver observer);
  // The RTP port range (thread-safe): the SIP service picks a leg's ports before its SDP.
  net::PortAllocator& ports() { return ports_; }
  // The roster of a room (configured and joined participants).
  StatusOr<std::vector<RoomMember>> Participants(const std::string& room);

 private:
  // A participant's legs, created but not yet in the room nor started.
  struct NewLegs {
    std::unique_ptr<AudioLeg> audio;
    std::unique_ptr<VideoLeg> video;
    std::shared_ptr<mixer::FrameMailbox> mailbox;  // its decoded pictures; null: none
    RoomMember member;
  };
  // Reserves the ports and creates the legs; on an error the ports it took are released.
  StatusOr<NewLegs> CreateLegs(RoomHost& host, const RoomParticipantConfig& pc, uint32_t id);
  void ReleasePorts(const RoomMember& m);
  RoomHost* FindRoom(const std::string& name);
  // With control_mu_ held: the running room and its participant `id`, or FailedPrecondition
  // (not running) / NotFound (no such room or participant).
  StatusOr<std::pair<RoomHost*, RoomMember*>> FindMemberOf(const std::string& room, uint32_t id);
  // With control_mu_ held. started: the legs were started (they are stopped and drained).
  void TearDown(RoomHost& room, uint32_t id, bool started, bool log_summary);
  Status LeaveRoomLocked(const std::string& room, uint32_t participant_id);
  std::string ControlLocked(const std::string& line);
  std::string ParticipantsAnswer(const std::string& room);

  Status StartRooms();
  // The live summary lines of one room or (empty name) of every room.
  std::string Stats(const std::string& only_room);
  // The backend of a room with video (hardware.backends or the room's own order).
  StatusOr<codec::HwSelection> SelectRoomBackend(const RoomConfig& rc);
  // Runs f on io's thread and waits for its result.
  template <typename F>
  static auto RunOn(boost::asio::io_context& io, F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }

  // Serialises the control plane (every public method but Summaries): the rooms' rosters and
  // the legs' owners, started_. Never held by a shard or media thread, so RunOn under it is safe.
  std::mutex control_mu_;
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
  LeaveObserver leave_observer_;
};

}  // namespace tessera::app
