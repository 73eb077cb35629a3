// RoomDirectory: the one seam every front end (the operator console, the SIP user agent and, next,
// the HTTP API, WebRTC and the cluster) uses to find rooms and to join, update, admit and remove
// their participants. Front ends never reach into rooms or legs and never call each other.
#pragma once

#include <tessera/base/status.h>
#include <tessera/session/config.h>
#include <tessera/session/external_link.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessera::session {

// What a front end hears about one participant it joined. Each method has a no-op default.
class ParticipantListener {
 public:
  virtual ~ParticipantListener() = default;
  // Each DTMF digit the participant sends (RFC 4733 telephone-event), once per event.
  // Runs on: the participant's audio shard; post elsewhere, never block.
  virtual void OnDtmf(char /*digit*/) {}
  // The room wants a keyframe from the participant's camera and the camera takes neither PLI
  // nor FIR (JoinOptions): the front end asks its own way (SIP INFO picture_fast_update).
  // Runs on: the participant's video shard; post elsewhere, never block.
  virtual void OnKeyframeNeeded() {}
  // The participant is out of the room: LeaveRoom, by this front end or another (the operator's
  // `kick`). Not called when the server stops.
  // Runs on: the thread that made it leave, with the directory's lock held: only post, never
  // call back into the directory.
  virtual void OnLeft(const std::string& /*room*/, uint32_t /*participant_id*/) {}
  // Its consent to being recorded changed (UpdateMember; `source` as in
  // RoomObserver::OnConsentChangedBy), so a front end that asks for it knows it was answered.
  // Runs on: the thread that changed it, with the directory's lock held: only post.
  virtual void OnConsentChanged(Consent /*consent*/, const std::string& /*source*/) {}
};

// What a front end attaches when it joins a participant: run-time state that no config file
// says (a PIN awaited, what its SDP negotiated) and where its events go.
struct JoinOptions {
  // false: muted, deaf and out of the picture until Admit (a PIN is awaited).
  bool admitted = true;
  // RFC 4733 telephone-event payload type on its audio; 0: none expected.
  uint8_t telephone_event_pt = 0;
  // Which keyframe requests its camera takes (a=rtcp-fb pli, ccm fir); when neither,
  // listener->OnKeyframeNeeded is called instead.
  bool video_pli = true;
  bool video_fir = true;
  // The video stream's own SRTP keys (SDES per m= line); unset: the participant's srtp.
  std::optional<SrtpConfig> video_srtp;
  // Set: the legs have no ports of their own; the link carries their packets and keys their SRTP
  // (WebRTC). They run on its shard.
  std::shared_ptr<ExternalLink> external_link;
  // The SSRCs of what Tessera sends it (the mix, the composite) when its front end announced
  // them (a=ssrc); 0: random.
  uint32_t audio_ssrc = 0;
  uint32_t video_ssrc = 0;
  // The SSRC of Tessera's RTX stream for the composite (with send_rtx_payload_type).
  uint32_t video_rtx_ssrc = 0;
  // Null: nobody listens.
  std::shared_ptr<ParticipantListener> listener;
  // The front end that joined it, for the roster and metrics: "rtp" (the config or the API's
  // RTP participants), "sip", "webrtc".
  std::string transport = "rtp";
};

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

// What a participant may change while it is in a room (the API's PATCH). Unset: unchanged.
struct MemberUpdate {
  std::optional<bool> muted;        // not heard by the others
  std::optional<bool> deaf;         // hears nothing
  std::optional<bool> pinned;       // in the layout's pinned slot
  std::optional<std::string> role;  // layout role ("presenter"); "" clears it
  std::optional<Consent> consent;   // to being recorded
  // Who changed the consent, for the audit trail: "api" (the control plane), "sip-dtmf" (a
  // caller's key press).
  std::string consent_source = "api";
  // The recording notice over what it hears (a caller asked for its consent by a key press).
  std::optional<bool> notice;
};

// Hears about rooms and participants coming and going: the API's events (webhooks) and metrics.
// Runs on: the thread that made the change, with the directory's lock held: only post or queue,
// never call back into the directory, never block.
class RoomObserver {
 public:
  virtual ~RoomObserver() = default;
  virtual void OnRoomCreated(const std::string& /*room*/) {}
  virtual void OnRoomEnded(const std::string& /*room*/) {}
  virtual void OnParticipantJoined(const std::string& /*room*/, uint32_t /*id*/,
                                   const std::string& /*name*/) {}
  // The same join with how it came (the directory calls this one): "rtp", "sip" or "webrtc",
  // and the address its media goes to (a browser's: its HTTP client's). For an observer that
  // records who joined from where (the audit trail); by default OnParticipantJoined.
  virtual void OnParticipantJoinedFrom(const std::string& room, uint32_t id,
                                       const std::string& name, const std::string& /*transport*/,
                                       const std::string& /*address*/) {
    OnParticipantJoined(room, id, name);
  }
  virtual void OnParticipantLeft(const std::string& /*room*/, uint32_t /*id*/,
                                 const std::string& /*name*/) {}
  // A participant's consent to being recorded changed (UpdateMember).
  virtual void OnConsentChanged(const std::string& /*room*/, uint32_t /*id*/,
                                const std::string& /*name*/, Consent /*consent*/) {}
  // The same change with who made it (the directory calls this one): "join" (asserted when it
  // joined: its SIP trunk, the join page, the API), "api", "sip-dtmf". For an observer that
  // records it (the audit trail); by default OnConsentChanged.
  virtual void OnConsentChangedBy(const std::string& room, uint32_t id, const std::string& name,
                                  Consent consent, const std::string& /*source*/) {
    OnConsentChanged(room, id, name, consent);
  }
};

// A participant of a room as the control plane sees it.
struct RoomMember {
  uint32_t id = 0;  // unique in the room's life: never given to anyone else
  std::string name;
  // false: joined at run time (JoinRoom), or came with a room created at run time (CreateRoom)
  bool from_config = true;
  std::chrono::system_clock::time_point joined_at;
  uint16_t audio_port = 0;  // local ports; 0: no leg of that kind
  bool audio_rtcp_mux = true;
  uint16_t video_port = 0;
  bool video_rtcp_mux = true;
  bool admitted = true;  // false: waiting for its PIN (muted, deaf, no picture)
  bool muted = false;
  bool deaf = false;
  std::string transport = "rtp";  // JoinOptions::transport
  // Seen or heard by the others (it sends audio or video): what a recording would hold of it. A
  // receive-only viewer is neither.
  bool sends = true;
  Consent consent = Consent::kUnknown;
  // Participants(): the live summary objects (JSON) of its audio and video legs: codec,
  // packets, loss, jitter, RTT, drops by reason; empty in other answers.
  std::string audio_stats_json;
  std::string video_stats_json;
  // A cascade link on the primary (transport "cascade"): the names its share's cells show.
  std::vector<std::string> cascade_cells;
};

// Runs on: any thread. Every method blocks until the rooms and shards applied it; calls are
// serialised. Errors: FailedPrecondition (not running), NotFound (no such room or
// participant), InvalidArgument, AlreadyExists, ResourceExhausted, each with a message for the
// operator or client.
class RoomDirectory {
 public:
  virtual ~RoomDirectory() = default;

  // Rooms.
  // The configuration of every room, in the order they were created.
  virtual std::vector<RoomConfig> ListRooms() = 0;
  virtual std::optional<RoomConfig> FindRoom(const std::string& room) = 0;
  // A room made while the node runs, from a config its front end validated like the YAML's:
  // participants' legs created and started, the room ticking. AlreadyExists: name taken, or a
  // SIP number another room has; ResourceExhausted / AlreadyExists: ports; Unavailable: the node
  // is draining. On an error nothing of it is left.
  virtual Status CreateRoom(RoomConfig room) = 0;
  // Every participant leaves (as LeaveRoom: listeners hear OnLeft, so SIP legs get a BYE), the
  // room stops ticking and is gone; its summary lines are logged.
  virtual Status DeleteRoom(const std::string& room) = 0;
  // No new rooms or joins from now on (Unavailable); running rooms go on.
  virtual void Drain() = 0;
  virtual bool draining() = 0;
  // Observers live as long as the directory; call before or while it runs.
  virtual void AddObserver(std::shared_ptr<RoomObserver> observer) = 0;

  // Participants.
  // Adds a participant to a running room: validated like the config validates it, local ports
  // allocated from server.rtp_ports (unless pc names fixed ones), legs created on a network
  // shard, added to the room's audio mix and video layout (a tile, and a recipient of its
  // profile) and started. AlreadyExists: name taken in the room; ResourceExhausted: room full
  // (rooms[].max_participants) or ports exhausted. On an error nothing of it is left.
  virtual StatusOr<JoinedParticipant> JoinRoom(const std::string& room, RoomParticipantConfig pc,
                                               JoinOptions options = {}) = 0;
  // Out of the mix and layout first, then its legs are stopped (draining) and destroyed, its
  // ports freed and its summary line logged. The listener's OnLeft is called.
  virtual Status LeaveRoom(const std::string& room, uint32_t participant_id) = 0;
  // Where its mix and composite go from now on (a re-INVITE; see RemoteUpdate).
  virtual Status UpdateRemote(const std::string& room, uint32_t participant_id,
                              const RemoteUpdate& remote) = 0;
  // A participant that joined with options.admitted false is heard, hears, is seen and sees from
  // now on.
  virtual Status Admit(const std::string& room, uint32_t participant_id) = 0;
  // A keyframe of the composite the participant receives (SIP INFO picture_fast_update),
  // coalesced like PLI/FIR.
  virtual Status RequestKeyframe(const std::string& room, uint32_t participant_id) = 0;
  // Mute, deafen, pin or give a role to a participant (the API's PATCH).
  virtual Status UpdateMember(const std::string& room, uint32_t participant_id,
                              const MemberUpdate& update) = 0;
  // The roster (configured and joined participants), with live stats.
  virtual StatusOr<std::vector<RoomMember>> Participants(const std::string& room) = 0;
  // Local ports an SDP answer can offer before JoinRoom (which reserves them as fixed ports):
  // the audio port and, with `video`, the video port (else 0). Free when proposed; another join
  // may take them before this one, and that join then fails with ResourceExhausted.
  virtual StatusOr<std::pair<uint16_t, uint16_t>> ProposePorts(bool video) = 0;

  // The room's picture (operator commands).
  virtual Status SetLayout(const std::string& room, const std::string& layout) = 0;
  virtual Status SetPinned(const std::string& room, const std::string& participant,
                           bool pinned) = 0;
  virtual Status SetSpeaker(const std::string& room, const std::string& participant) = 0;
  // Cascading (docs/architecture.md, "Cascading"). A share's sub-canvas as last composed: its
  // participants' cells (empty until it composed once).
  virtual StatusOr<CascadeLayout> ShareCells(const std::string& room) {
    return UnavailableError("room '" + room + "': no cascading here");
  }
  // On the primary: the link `participant_id` shows its share's participants in these cells.
  virtual Status SetLinkCells(const std::string& room, uint32_t participant_id,
                              const CascadeLayout& layout) {
    (void)participant_id;
    (void)layout;
    return UnavailableError("room '" + room + "': no cascading here");
  }
  // The live summary objects (JSON) of one room or, with an empty name, of every room: one
  // object for the audio mix and one for the video mix of each room.
  virtual StatusOr<std::vector<std::string>> RoomStats(const std::string& room) = 0;
};

}  // namespace tessera::session
