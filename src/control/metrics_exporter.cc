#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <tessera/base/heap.h>
#include <tessera/control/metrics_exporter.h>
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

namespace tessera::control {
namespace {

using nlohmann::json;

// A family this file writes: its name and # HELP text, in one place.
struct Family {
  const char* name;
  const char* help;
};

// Rooms and participants.
constexpr Family kRooms{"tessera_rooms", "Rooms that exist now"};
constexpr Family kRoomInfo{"tessera_room_info",
                           "Always 1: the room and the hardware backend its video runs on (cpu "
                           "for a room without video)"};
constexpr Family kParticipants{
    "tessera_participants",
    "Participants of a room now, by transport and state (waiting: for its PIN)"};
constexpr Family kRoomTicks{"tessera_room_ticks_total",
                            "Ticks of the room's audio (20 ms) or video (frame rate) timer"};
constexpr Family kRoomSkippedTicks{
    "tessera_room_skipped_ticks_total",
    "Ticks left out because the one before overran its slot (audio or video)"};
constexpr Family kRoomLateTicks{
    "tessera_room_late_ticks_total",
    "Ticks that started late: audio more than 5 ms, video more than a quarter of its interval"};
constexpr Family kAudioEncodes{"tessera_room_audio_encodes_total",
                               "Audio mixes encoded by the room (one per distinct mix and codec)"};
constexpr Family kAudioConcealed{"tessera_room_audio_concealed_total",
                                 "Audio frames the room's decoders concealed (nothing arrived)"};
constexpr Family kAudioDecodeErrors{"tessera_room_audio_decode_errors_total",
                                    "Audio payloads the room's decoders could not decode"};
constexpr Family kAudioPlayed{"tessera_audio_frames_played_total",
                              "Frames a participant's audio jitter buffer gave to the mixer"};
constexpr Family kAudioJitterConcealed{
    "tessera_audio_frames_concealed_total",
    "Frames a participant's audio jitter buffer had nothing for (concealed)"};
constexpr Family kAudioLate{"tessera_audio_frames_late_total",
                            "Frames that reached a participant's audio jitter buffer too late"};
constexpr Family kAudioJitterTarget{"tessera_audio_jitter_buffer_target_seconds",
                                    "The delay a participant's audio jitter buffer aims at"};
constexpr Family kAudioJitterLevel{"tessera_audio_jitter_buffer_level_seconds",
                                   "The audio a participant's jitter buffer holds now"};
constexpr Family kEncodes{"tessera_room_encodes_total", "Video frames encoded, by profile"};
constexpr Family kEncodeFailures{"tessera_room_encode_failures_total",
                                 "Video encodes that gave no frame, by profile"};
constexpr Family kKeyframesEncoded{"tessera_room_keyframes_encoded_total",
                                   "Video keyframes encoded, by profile"};
constexpr Family kEncodedBytes{"tessera_room_encoded_bytes_total",
                               "Bytes of video bitstream encoded, by profile"};
constexpr Family kProfileRecipients{"tessera_room_profile_recipients",
                                    "Participants receiving a video profile now"};
constexpr Family kComposes{"tessera_room_composes_total", "Video canvases composed"};
constexpr Family kLayoutChanges{"tessera_room_layout_changes_total",
                                "Times the room's video layout changed"};
constexpr Family kRoomKeyframeRequests{
    "tessera_room_keyframe_requests_total",
    "Keyframe requests the room's video took from its recipients (PLI, FIR, SIP INFO)"};
constexpr Family kKeyframesCoalesced{"tessera_room_keyframes_coalesced_total",
                                     "Keyframe requests served by a keyframe already due"};
constexpr Family kProfileMoves{"tessera_room_profile_moves_total",
                               "Recipients moved to another profile by bandwidth adaptation"};
constexpr Family kGpuComposes{"tessera_room_gpu_composes_total",
                              "Video canvases composed on the GPU"};
constexpr Family kGpuFailures{"tessera_room_gpu_failures_total",
                              "GPU operations of the room's video that failed"};

// Legs: one participant's audio or video.
constexpr Family kLegPacketsReceived{"tessera_leg_packets_received_total",
                                     "RTP packets a leg took from its participant"};
constexpr Family kLegPacketsSent{"tessera_leg_packets_sent_total",
                                 "RTP packets a leg sent to its participant"};
constexpr Family kLegBytesReceived{"tessera_leg_received_bytes_total",
                                   "Bytes of RTP a leg took from its participant"};
constexpr Family kLegBytesSent{"tessera_leg_sent_bytes_total",
                               "Bytes of RTP a leg sent to its participant"};
constexpr Family kLegRtcpReceived{"tessera_leg_rtcp_packets_received_total",
                                  "RTCP compounds a leg took from its participant"};
constexpr Family kLegSendFailures{"tessera_leg_send_failures_total",
                                  "Packets a leg could not send"};
constexpr Family kLegDatagrams{"tessera_leg_datagrams_received_total",
                               "Datagrams that reached a leg's ports (RTP and RTCP, before any "
                               "check)"};
constexpr Family kLegDropped{"tessera_leg_packets_dropped_total",
                             "Packets of a participant dropped, by reason"};
constexpr Family kLegPacketsLost{
    "tessera_leg_packets_lost",
    "Packets of the participant's stream lost so far (RFC 3550: expected minus received; late "
    "arrivals lower it)"};
constexpr Family kLegJitter{"tessera_leg_jitter_seconds",
                            "Interarrival jitter of the participant's stream (RFC 3550 A.8)"};
constexpr Family kLegRtt{"tessera_leg_rtt_seconds",
                         "Round-trip time to the participant, from its RTCP reports"};
constexpr Family kLegRemoteLoss{
    "tessera_leg_remote_loss_ratio",
    "Fraction of what the leg sends that the participant reports lost (last report, 0..1)"};
constexpr Family kLegFramesReceived{"tessera_leg_frames_received_total",
                                    "Complete video frames assembled from a participant"};
constexpr Family kLegFramesSent{"tessera_leg_frames_sent_total",
                                "Composite video frames sent to a participant"};
constexpr Family kLegKeyframesSent{"tessera_leg_keyframes_sent_total",
                                   "Composite keyframes sent to a participant"};
constexpr Family kLegKeyframeRequestsSent{
    "tessera_leg_keyframe_requests_sent_total",
    "Keyframe requests (PLI, FIR) sent to a participant's camera"};
constexpr Family kLegKeyframeRequestsReceived{
    "tessera_leg_keyframe_requests_received_total",
    "Keyframe requests a participant sent for its composite, by type"};
constexpr Family kLegNacksSent{"tessera_leg_nacked_packets_total",
                               "Sequence numbers a leg asked its participant to resend (NACK)"};
constexpr Family kLegNacksReceived{"tessera_leg_nacks_received_total",
                                   "NACK messages a participant sent about its composite"};
constexpr Family kLegRetransmitted{"tessera_leg_retransmitted_packets_total",
                                   "Packets resent to a participant after its NACKs"};
constexpr Family kLegDecoded{"tessera_leg_frames_decoded_total",
                             "Video frames of a participant decoded into pictures"};
constexpr Family kLegDecodeErrors{"tessera_leg_decode_errors_total",
                                  "Video frames of a participant its decoder rejected"};

// SIP.
constexpr Family kSipCalls{"tessera_sip_calls_total",
                           "SIP calls established, by direction (in: INVITEs that became "
                           "calls, out: dial-outs answered)"};
constexpr Family kSipRefusals{"tessera_sip_refusals_total",
                              "SIP calls refused, by cause (auth: 403, room: 404, busy: 486, "
                              "sdp: 400/488, overload: 503, pin: ended for a wrong PIN)"};
constexpr Family kSipActiveCalls{"tessera_sip_active_calls", "SIP calls held now"};
constexpr Family kSipCallsByState{"tessera_sip_calls_in_progress", "SIP calls held now, by state"};
constexpr Family kSipAuthChallenges{"tessera_sip_auth_challenges_total",
                                    "Digest challenges (401) sent to INVITEs"};
constexpr Family kSipRateLimited{"tessera_sip_rate_limited_total",
                                 "SIP requests dropped by the per-source rate limit"};
constexpr Family kSipSessionTimeouts{"tessera_sip_session_timeouts_total",
                                     "SIP calls ended by an expired session timer (RFC 4028)"};
constexpr Family kSipKeyframeInfos{"tessera_sip_keyframe_infos_total",
                                   "SIP INFO picture_fast_update requests, by direction"};
constexpr Family kSipConsentAnswers{
    "tessera_sip_consent_answers_total",
    "answers to the SIP consent prompt: keys pressed (granted, declined) and prompts timed out"};
constexpr Family kSipReceived{"tessera_sip_messages_received_total",
                              "SIP messages received, by listener"};
constexpr Family kSipReceivedBytes{"tessera_sip_received_bytes_total",
                                   "Bytes received by a SIP listener"};
constexpr Family kSipRejected{"tessera_sip_messages_rejected_total",
                              "SIP messages a listener refused to parse or route"};
constexpr Family kSipSent{"tessera_sip_messages_sent_total", "SIP messages sent, by listener"};
constexpr Family kSipSendFailures{"tessera_sip_send_failures_total",
                                  "SIP messages a listener could not send"};
constexpr Family kSipDropped{"tessera_sip_messages_dropped_total",
                             "SIP messages a listener dropped, by reason"};
constexpr Family kSipConnections{"tessera_sip_connections",
                                 "Open connections of a SIP TCP or TLS listener"};

// The process.
constexpr Family kCpu{"tessera_process_cpu_seconds_total", "User and system CPU time spent"};
constexpr Family kResident{"tessera_process_resident_memory_bytes", "Resident memory size"};
constexpr Family kVirtual{"tessera_process_virtual_memory_bytes", "Virtual memory size"};
constexpr Family kHeap{"tessera_process_heap_bytes",
                       "Heap memory: in_use (allocated), free (freed, kept by the allocator)"};
constexpr Family kOpenFds{"tessera_process_open_fds", "Open file descriptors"};
constexpr Family kThreads{"tessera_process_threads", "Threads of the process"};
constexpr Family kStartTime{"tessera_process_start_time_seconds",
                            "Start time of the process since the Unix epoch"};

void Count(MetricsWriter& out, const Family& f, const Labels& labels, std::optional<double> v) {
  if (v && *v >= 0) out.AddCounter(f.name, labels, *v, f.help);
}

void Level(MetricsWriter& out, const Family& f, const Labels& labels, std::optional<double> v) {
  if (v) out.AddGauge(f.name, labels, *v, f.help);
}

std::optional<double> Number(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// A duration in milliseconds as seconds; a negative one (unknown) as nothing.
std::optional<double> MsAsSeconds(const json& j, const char* key) {
  const std::optional<double> ms = Number(j, key);
  if (!ms || *ms < 0) return std::nullopt;
  return *ms / 1000.0;
}

const json* Object(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::string Text(const json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<json> ParseObject(const std::string& text) {
  if (text.empty()) return std::nullopt;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;  // also a parse error (a discarded value)
  return std::optional<json>(std::in_place, std::move(j));
}

Labels With(Labels labels, const char* key, std::string value) {
  labels[key] = std::move(value);
  return labels;
}

// One leg's summary object (AudioLeg/VideoLeg::SummaryJson). Counts since the leg started: a
// participant that joins again starts from zero, which Prometheus takes as a counter reset.
void WriteLeg(MetricsWriter& out, const std::string& room, const std::string& participant,
              const char* kind, const json& s) {
  const Labels l{{"room", room}, {"participant", participant}, {"kind", kind}};
  Count(out, kLegPacketsReceived, l, Number(s, "rtp_received"));
  Count(out, kLegPacketsSent, l, Number(s, "rtp_sent"));
  Count(out, kLegBytesReceived, l, Number(s, "bytes_received"));
  Count(out, kLegBytesSent, l, Number(s, "bytes_sent"));
  Count(out, kLegRtcpReceived, l, Number(s, "rtcp_received"));
  Count(out, kLegSendFailures, l, Number(s, "send_failures"));
  Level(out, kLegPacketsLost, l, Number(s, "packets_lost"));
  Level(out, kLegJitter, l, MsAsSeconds(s, "jitter_ms"));
  Level(out, kLegRtt, l, MsAsSeconds(s, "rtt_ms"));
  Level(out, kLegRemoteLoss, l, Number(s, "remote_loss"));
  Count(out, kLegFramesReceived, l, Number(s, "frames_received"));
  Count(out, kLegFramesSent, l, Number(s, "frames_sent"));
  Count(out, kLegKeyframesSent, l, Number(s, "keyframes_sent"));
  Count(out, kLegKeyframeRequestsSent, l, Number(s, "keyframe_requests_sent"));
  Count(out, kLegKeyframeRequestsReceived, With(l, "type", "pli"), Number(s, "pli_received"));
  Count(out, kLegKeyframeRequestsReceived, With(l, "type", "fir"), Number(s, "fir_received"));
  Count(out, kLegNacksSent, l, Number(s, "nacks_sent"));
  Count(out, kLegNacksReceived, l, Number(s, "nack_received"));
  Count(out, kLegRetransmitted, l, Number(s, "retransmitted"));
  if (const json* decoder = Object(s, "decoder")) {
    Count(out, kLegDecoded, l, Number(*decoder, "decoded"));
    Count(out, kLegDecodeErrors, l, Number(*decoder, "errors"));
  }
  if (const json* dropped = Object(s, "dropped")) {
    for (auto it = dropped->begin(); it != dropped->end(); ++it) {
      if (!it->is_number()) continue;
      Count(out, kLegDropped, With(l, "reason", it.key()), it->get<double>());
    }
  }
  if (const json* ingress = Object(s, "ingress")) {
    Count(out, kLegDatagrams, l, Number(*ingress, "received"));
  }
}

// One room's audio summary (RoomAudio::SummaryJson).
void WriteAudioRoom(MetricsWriter& out, const std::string& room, const json& s) {
  const Labels l{{"room", room}, {"kind", "audio"}};
  Count(out, kRoomTicks, l, Number(s, "ticks"));
  Count(out, kRoomSkippedTicks, l, Number(s, "skipped_ticks"));
  Count(out, kRoomLateTicks, l, Number(s, "late_ticks"));
  const Labels r{{"room", room}};
  Count(out, kAudioEncodes, r, Number(s, "encodes"));
  Count(out, kAudioConcealed, r, Number(s, "concealed"));
  Count(out, kAudioDecodeErrors, r, Number(s, "decode_errors"));
  const json* jitter = Object(s, "jitter");
  if (!jitter) return;
  for (auto it = jitter->begin(); it != jitter->end(); ++it) {
    const json& j = it.value();
    const Labels p{{"room", room}, {"participant", it.key()}};
    Count(out, kAudioPlayed, p, Number(j, "played"));
    Count(out, kAudioJitterConcealed, p, Number(j, "concealed"));
    Count(out, kAudioLate, p, Number(j, "late"));
    Level(out, kAudioJitterTarget, p, MsAsSeconds(j, "target_ms"));
    Level(out, kAudioJitterLevel, p, MsAsSeconds(j, "level_ms"));
  }
}

// One room's video summary (RoomVideo::SummaryJson). Returns its hardware backend.
std::string WriteVideoRoom(MetricsWriter& out, const std::string& room, const json& s) {
  const Labels l{{"room", room}, {"kind", "video"}};
  Count(out, kRoomTicks, l, Number(s, "ticks"));
  Count(out, kRoomSkippedTicks, l, Number(s, "skipped_ticks"));
  Count(out, kRoomLateTicks, l, Number(s, "late_ticks"));
  const Labels r{{"room", room}};
  Count(out, kComposes, r, Number(s, "composes"));
  Count(out, kLayoutChanges, r, Number(s, "layout_changes"));
  Count(out, kRoomKeyframeRequests, r, Number(s, "keyframe_requests"));
  Count(out, kKeyframesCoalesced, r, Number(s, "keyframes_coalesced"));
  Count(out, kProfileMoves, r, Number(s, "profile_moves"));
  if (const json* profiles = Object(s, "profiles")) {
    for (auto it = profiles->begin(); it != profiles->end(); ++it) {
      const json& p = it.value();
      const Labels pl{{"room", room}, {"profile", it.key()}};
      Count(out, kEncodes, pl, Number(p, "encodes"));
      Count(out, kEncodeFailures, pl, Number(p, "encode_failures"));
      Count(out, kKeyframesEncoded, pl, Number(p, "keyframes"));
      Count(out, kEncodedBytes, pl, Number(p, "bytes"));
      Level(out, kProfileRecipients, pl, Number(p, "recipients"));
    }
  }
  const json* hardware = Object(s, "hardware");
  if (!hardware) return "cpu";
  Count(out, kGpuComposes, r, Number(*hardware, "gpu_composes"));
  Count(out, kGpuFailures, r, Number(*hardware, "gpu_failures"));
  const std::string backend = Text(*hardware, "backend");
  return backend.empty() ? "cpu" : backend;
}

void WriteRooms(MetricsWriter& out, session::RoomDirectory& rooms) {
  const std::vector<session::RoomConfig> list = rooms.ListRooms();
  std::set<std::string> present;
  for (const session::RoomConfig& rc : list) {
    auto members = rooms.Participants(rc.name);
    if (!members.ok()) continue;  // it ended meanwhile, or the rooms do not run
    present.insert(rc.name);
    // By (transport, state); RTP's two states always present, so a room's series do not come
    // and go with its first participant.
    std::map<std::pair<std::string, std::string>, double> by_state{{{"rtp", "admitted"}, 0},
                                                                   {{"rtp", "waiting"}, 0}};
    for (const session::RoomMember& m : *members) {
      by_state[{m.transport, m.admitted ? "admitted" : "waiting"}] += 1;
      if (auto a = ParseObject(m.audio_stats_json)) WriteLeg(out, rc.name, m.name, "audio", *a);
      if (auto v = ParseObject(m.video_stats_json)) WriteLeg(out, rc.name, m.name, "video", *v);
    }
    for (const auto& [key, n] : by_state) {
      Level(out, kParticipants,
            {{"room", rc.name}, {"transport", key.first}, {"state", key.second}}, n);
    }
  }
  Level(out, kRooms, {}, static_cast<double>(present.size()));

  std::map<std::string, std::string> backend;  // by room; "cpu" without video
  for (const std::string& name : present) backend[name] = "cpu";
  auto stats = rooms.RoomStats("");
  if (stats.ok()) {
    for (const std::string& text : *stats) {
      const std::optional<json> s = ParseObject(text);
      if (!s) continue;
      const std::string room = Text(*s, "room");
      if (room.empty() || !present.count(room)) continue;
      if (Text(*s, "media") == "video") {
        backend[room] = WriteVideoRoom(out, room, *s);
      } else {
        WriteAudioRoom(out, room, *s);
      }
    }
  }
  for (const auto& [room, b] : backend) Level(out, kRoomInfo, {{"room", room}, {"backend", b}}, 1);
}

// /proc/self/stat: the fields after the command name (which may hold spaces and parentheses).
std::vector<std::string> ProcStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t end = line.rfind(')');
  if (end == std::string::npos) return {};
  std::istringstream rest(line.substr(end + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

std::optional<double> BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) != 0) continue;
    try {
      return std::stod(line.substr(6));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

SipStatsFn SipStatsFrom(SipControl* sip) {
  if (!sip) return {};
  return [sip]() -> std::optional<json> {
    StatusOr<json> stats = sip->Stats();
    if (!stats.ok() || !stats->is_object()) return std::nullopt;
    json j = std::move(*stats);
    if (StatusOr<json> calls = sip->ListCalls(); calls.ok() && calls->is_array()) {
      j["calls"] = std::move(*calls);
    }
    return std::optional<json>(std::in_place, std::move(j));
  };
}

void WriteSipMetrics(MetricsWriter& out, const json& s) {
  if (!s.is_object()) return;
  Count(out, kSipCalls, {{"direction", "in"}}, Number(s, "calls_in"));
  Count(out, kSipCalls, {{"direction", "out"}}, Number(s, "calls_out"));
  const std::pair<const char*, const char*> refusals[] = {
      {"auth", "rejected_auth"}, {"room", "rejected_room"},    {"busy", "rejected_busy"},
      {"sdp", "rejected_sdp"},   {"overload", "overload_503"}, {"pin", "pin_failures"}};
  for (const auto& [cause, key] : refusals) {
    Count(out, kSipRefusals, {{"cause", cause}}, Number(s, key));
  }
  Count(out, kSipAuthChallenges, {}, Number(s, "auth_challenges"));
  Count(out, kSipRateLimited, {}, Number(s, "rate_limited"));
  Count(out, kSipSessionTimeouts, {}, Number(s, "session_timeouts"));
  Count(out, kSipKeyframeInfos, {{"direction", "in"}}, Number(s, "keyframe_infos_in"));
  Count(out, kSipKeyframeInfos, {{"direction", "out"}}, Number(s, "keyframe_infos_out"));
  Count(out, kSipConsentAnswers, {{"answer", "granted"}}, Number(s, "consent_granted"));
  Count(out, kSipConsentAnswers, {{"answer", "declined"}}, Number(s, "consent_declined"));
  Count(out, kSipConsentAnswers, {{"answer", "timeout"}}, Number(s, "consent_timeouts"));
  Level(out, kSipActiveCalls, {}, Number(s, "active_calls"));
  if (const auto calls = s.find("calls"); calls != s.end() && calls->is_array()) {
    // Every state always, so that a state's series does not come and go with its calls.
    std::map<std::string, double> by_state{{"ringing", 0}, {"answered", 0}, {"pin", 0},
                                           {"active", 0},  {"held", 0},     {"ending", 0}};
    for (const json& call : *calls) {
      const std::string state = Text(call, "state");
      if (!state.empty()) by_state[state] += 1;
    }
    for (const auto& [state, n] : by_state) Level(out, kSipCallsByState, {{"state", state}}, n);
  }
  const auto transports = s.find("transports");
  if (transports == s.end() || !transports->is_array()) return;
  for (const json& t : *transports) {
    const std::optional<double> port = Number(t, "port");
    const Labels l{{"transport", Text(t, "transport")},
                   {"port", port ? std::to_string(static_cast<int64_t>(*port)) : std::string()}};
    Count(out, kSipReceived, l, Number(t, "received"));
    Count(out, kSipReceivedBytes, l, Number(t, "bytes_received"));
    Count(out, kSipRejected, l, Number(t, "rejected"));
    Count(out, kSipSent, l, Number(t, "sent"));
    Count(out, kSipSendFailures, l, Number(t, "send_failures"));
    Level(out, kSipConnections, l, Number(t, "connections"));
    if (const json* dropped = Object(t, "dropped")) {
      for (auto it = dropped->begin(); it != dropped->end(); ++it) {
        if (!it->is_number()) continue;
        Count(out, kSipDropped, With(l, "reason", it.key()), it->get<double>());
      }
    }
  }
}

void WriteProcessMetrics(MetricsWriter& out) {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    const double user = static_cast<double>(usage.ru_utime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
    const double system = static_cast<double>(usage.ru_stime.tv_sec) +
                          static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
    Count(out, kCpu, {}, user + system);
  }
  const long page = sysconf(_SC_PAGESIZE);
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (page > 0 && statm >> size_pages >> resident_pages) {
    Level(out, kVirtual, {}, static_cast<double>(size_pages) * static_cast<double>(page));
    Level(out, kResident, {}, static_cast<double>(resident_pages) * static_cast<double>(page));
  }
  if (const std::optional<HeapUsage> heap = ReadHeapUsage()) {
    Level(out, kHeap, {{"state", "in_use"}}, static_cast<double>(heap->in_use_bytes));
    Level(out, kHeap, {{"state", "free"}}, static_cast<double>(heap->free_bytes));
  }
  std::error_code ec;
  std::filesystem::directory_iterator fd("/proc/self/fd", ec);
  size_t fds = 0;
  for (; !ec && fd != std::filesystem::directory_iterator(); fd.increment(ec)) ++fds;
  if (!ec) Level(out, kOpenFds, {}, static_cast<double>(fds));
  // Fields 3.. of proc(5)'s /proc/[pid]/stat: num_threads is field 20, starttime field 22.
  const std::vector<std::string> stat = ProcStatFields();
  if (stat.size() > 19) {
    try {
      Level(out, kThreads, {}, std::stod(stat[17]));
      const long ticks_per_second = sysconf(_SC_CLK_TCK);
      const std::optional<double> boot = BootTimeSeconds();
      if (boot && ticks_per_second > 0) {
        Level(out, kStartTime, {},
              *boot + std::stod(stat[19]) / static_cast<double>(ticks_per_second));
      }
    } catch (const std::exception&) {
      // A field that is not a number: left out.
    }
  }
}

void WriteLiveMetrics(MetricsWriter& out, session::RoomDirectory& rooms, const SipStatsFn& sip) {
  // The edge of the control plane: nothing thrown here reaches the HTTP server.
  try {
    WriteRooms(out, rooms);
  } catch (const std::exception& e) {
    spdlog::warn("metrics: the rooms' figures are left out of this scrape: {}", e.what());
  }
  if (sip) {
    try {
      if (const std::optional<json> stats = sip()) WriteSipMetrics(out, *stats);
    } catch (const std::exception& e) {
      spdlog::warn("metrics: the SIP figures are left out of this scrape: {}", e.what());
    }
  }
  try {
    WriteProcessMetrics(out);
  } catch (const std::exception& e) {
    spdlog::warn("metrics: the process figures are left out of this scrape: {}", e.what());
  }
}

std::string RenderMetrics(session::RoomDirectory& rooms, const SipStatsFn& sip,
                          const MetricsRegistry& registry) {
  MetricsWriter out;
  registry.Collect(out);
  WriteLiveMetrics(out, rooms, sip);
  return out.Text();
}

}  // namespace tessera::control
