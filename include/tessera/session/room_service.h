// RoomService: the rooms of one node and everything in them (rooms' audio and video mixers, the
// participants' legs, the recording participants), behind the RoomDirectory every front end uses.
// The threads, the port range and the hardware devices are the Server's (app/): it hands them in
// through RoomServiceContext and starts and stops the threads around Start and Stop.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/codec/hw_selector.h>
#include <tessera/net/port_allocator.h>
#include <tessera/net/shard_pool.h>
#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tessera::session {

class AudioLeg;
class VideoLeg;
class Participant;
class RoomHost;
class RoomVideo;

// What the rooms run on. Everything named here outlives the RoomService.
struct RoomServiceContext {
  net::ShardPool* shards = nullptr;       // participants' sockets and legs
  net::ShardPool* media = nullptr;        // rooms' audio ticks
  net::ShardPool* video_media = nullptr;  // rooms' video mixers: apart, so an encode never
                                          // delays audio
  net::PortAllocator* ports = nullptr;    // server.rtp_ports
  // The backend of a room with video (hardware.backends or the room's own order); an error
  // names the room and why.
  std::function<StatusOr<codec::HwSelection>(const RoomConfig&)> select_backend;
};

// Runs on: SetUp, Start and Stop on the thread that owns the Server; every RoomDirectory method
// on any thread (one mutex serialises them, and each blocks until the rooms and shards applied
// it). Rooms and legs run on the context's threads.
class RoomService final : public RoomDirectory {
 public:
  RoomService(const ServerConfig& server, RoomServiceContext context, Clock& clock);
  ~RoomService() override;

  // Before any thread of the context runs: binds every recording participant's and room
  // participant's ports and creates the rooms and legs. A port that cannot be bound, or a
  // participant that cannot be set up, is an error naming it; a room whose backend cannot be
  // selected is one naming the room.
  Status SetUp(const std::vector<ParticipantConfig>& participants,
               const std::vector<RoomConfig>& rooms);
  // Queues the start of every participant, room tick and leg on its thread; from now on the
  // directory is open.
  void Start();
  // Rooms stop ticking, then every leg and recording participant drains what already arrived
  // on its own shard, then the decoders finish. The Server stops the threads after this.
  void Stop();
  // One JSON line per recording participant, leg, room and video mixer (at stop).
  std::vector<std::string> SummaryLines();
  size_t recording_participant_count() const { return participants_.size(); }
  size_t room_count() const { return rooms_.size(); }

  // RoomDirectory.
  std::vector<RoomConfig> ListRooms() override;
  std::optional<RoomConfig> FindRoom(const std::string& room) override;
  Status CreateRoom(RoomConfig room) override;
  Status DeleteRoom(const std::string& room) override;
  void Drain() override;
  bool draining() override { return draining_.load(); }
  void AddObserver(std::shared_ptr<RoomObserver> observer) override;
  StatusOr<JoinedParticipant> JoinRoom(const std::string& room, RoomParticipantConfig pc,
                                       JoinOptions options) override;
  Status LeaveRoom(const std::string& room, uint32_t participant_id) override;
  Status UpdateRemote(const std::string& room, uint32_t participant_id,
                      const RemoteUpdate& remote) override;
  Status Admit(const std::string& room, uint32_t participant_id) override;
  Status RequestKeyframe(const std::string& room, uint32_t participant_id) override;
  Status UpdateMember(const std::string& room, uint32_t participant_id,
                      const MemberUpdate& update) override;
  StatusOr<std::vector<RoomMember>> Participants(const std::string& room) override;
  StatusOr<std::pair<uint16_t, uint16_t>> ProposePorts(bool video) override;
  Status SetLayout(const std::string& room, const std::string& layout) override;
  Status SetPinned(const std::string& room, const std::string& participant, bool pinned) override;
  Status SetSpeaker(const std::string& room, const std::string& participant) override;
  StatusOr<CascadeLayout> ShareCells(const std::string& room) override;
  Status SetLinkCells(const std::string& room, uint32_t participant_id,
                      const CascadeLayout& layout) override;
  StatusOr<std::vector<std::string>> RoomStats(const std::string& room) override;

 private:
  struct NewLegs;
  // Reserves the ports and creates the legs; on an error the ports it took are released.
  StatusOr<NewLegs> CreateLegs(RoomHost& host, const RoomParticipantConfig& pc,
                               const JoinOptions& options, uint32_t id);
  void ReleasePorts(const RoomMember& m);
  RoomHost* FindHost(const std::string& name);
  // With mu_ held: the running room and its participant `id`, or FailedPrecondition (not
  // running) / NotFound (no such room or participant).
  StatusOr<std::pair<RoomHost*, RoomMember*>> FindMemberOf(const std::string& room, uint32_t id);
  // With mu_ held. started: the legs were started (they are stopped and drained).
  void TearDown(RoomHost& room, uint32_t id, bool started, bool log_summary);
  // With mu_ held: the participant leaves the running room; its listener and the observers hear
  // it.
  void Leave(RoomHost& room, uint32_t id);
  // With mu_ held: the room's video context runs f (a picture command).
  Status OnVideo(const std::string& room, const std::function<Status(RoomVideo&)>& f);
  // The room and its configured participants' legs, not started. On an error the ports it took
  // are released and nothing of it is left.
  StatusOr<std::unique_ptr<RoomHost>> MakeRoom(const RoomConfig& rc);
  // With mu_ held: a room a run-time CreateRoom may not make (its name or a SIP number taken).
  Status CheckNewRoom(const RoomConfig& rc);
  // Runs f on io's thread and waits for its result.
  template <typename F>
  static auto RunOn(boost::asio::io_context& io, F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }

  // Serialises the directory (every public method): the rooms' rosters, the legs' owners,
  // started_, the listeners. Never held by a shard or media thread, so RunOn under it is safe.
  std::mutex mu_;
  const ServerConfig& server_;
  RoomServiceContext context_;
  Clock& clock_;
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
  // Who hears about each participant joined at run time, by (room, id).
  std::map<std::pair<std::string, uint32_t>, std::shared_ptr<ParticipantListener>> listeners_;
  std::vector<std::shared_ptr<RoomObserver>> observers_;
  // The next participant id of each room that ended: a room made again under its name goes on
  // from there (RoomRoster::ContinueIdsFrom).
  std::map<std::string, uint32_t> next_ids_;
  bool started_ = false;
  std::atomic<bool> draining_{false};
};

}  // namespace tessera::session
