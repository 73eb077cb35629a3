// Participants joining and leaving running rooms (Server::JoinRoom/LeaveRoom/UpdateRemote and the
// participants/kick commands), on a started server with real UDP sockets on loopback.
#include <gtest/gtest.h>
#include <malloc.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <tessera/codec/audio_codec.h>
#include <tessera/rtp/rtp_packet.h>

#include <cmath>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/server.h"
#include "unit/app/udp_peer.h"

namespace tessera::app {
namespace {

using std::chrono::milliseconds;
using Peer = UdpPeer;
using session::RemoteUpdate;

RoomParticipantConfig AudioParticipant(const std::string& name, uint16_t remote_port) {
  RoomParticipantConfig pc;
  pc.name = name;
  pc.remote_address = "127.0.0.1";
  pc.remote_rtp_port = remote_port;
  pc.audio_codec = rtp::Codec::kPcmu;
  pc.audio_payload_type = 0;
  return pc;
}

// Packet `seq` of a PCMU tone of `hz` at half scale, from SSRC `ssrc`: 20 ms each.
std::vector<uint8_t> TonePacket(codec::AudioEncoder& encoder, int seq, double hz, uint32_t ssrc) {
  std::vector<float> tone(codec::kMixFrameSamples);
  for (size_t i = 0; i < tone.size(); ++i) {
    tone[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * hz * (seq * 960.0 + i) / 48000));
  }
  rtp::RtpHeader h;
  h.payload_type = 0;
  h.sequence_number = static_cast<uint16_t>(seq);
  h.timestamp = static_cast<uint32_t>(seq * 160);
  h.ssrc = ssrc;
  const std::vector<uint8_t> payload = encoder.Encode(tone);
  const rtp::RtpPacket packet = rtp::RtpPacket::Build(h, {}, payload);
  return {packet.data().begin(), packet.data().end()};
}

// The loudest sample of a PCMU packet, 0 when it does not decode.
double Peak(codec::AudioDecoder& decoder, const rtp::RtpPacket& packet) {
  double peak = 0;
  if (auto pcm = decoder.Decode(packet.payload())) {
    for (float s : *pcm) peak = std::max(peak, std::abs(static_cast<double>(s)));
  }
  return peak;
}

size_t OpenFds() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator{}));
}

class ServerRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    capture_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(8192);
    capture_->set_pattern("%v");
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", capture_));
  }
  void TearDown() override {
    server_.reset();  // every thread joined before the logger goes back
    spdlog::set_default_logger(previous_);
  }

  // A `talk` room (audio, `host` configured, sending its mix to host_), and a `vid` room with
  // video (`cam` configured) unless audio_only.
  void Start(const std::string& ports = "43000-43019", int max_participants = 3,
             bool audio_only = false) {
    std::string yaml = "server: {rtp_ports: " + ports + ", shards: 2}\nrooms:\n" +
                       "  - name: talk\n    max_participants: " + std::to_string(max_participants) +
                       "\n    participants:\n      - {name: host, remote_rtp_port: " +
                       std::to_string(host_.port()) + ", audio: {codec: PCMU}}\n";
    if (!audio_only) {
      yaml +=
          "  - name: vid\n    video:\n      profiles: [{name: low, width: 160, height: 96, fps: "
          "10, keyframe_interval_s: 1}]\n      name_labels: false\n    participants:\n"
          "      - {name: cam, video: {codec: H264}}\n";
    }
    auto config = ParseConfig(yaml, "t.yaml");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    server_ = std::make_unique<Server>(std::move(*config));
    ASSERT_TRUE(server_->Start().ok());
  }

  std::vector<std::string> Names(const std::string& room) {
    std::vector<std::string> out;
    auto members = server_->rooms().Participants(room);
    EXPECT_TRUE(members.ok());
    if (members.ok()) {
      for (const auto& m : *members) out.push_back(m.name);
    }
    return out;
  }

  // The summary lines logged for a participant (JSON objects naming it).
  std::vector<nlohmann::json> LoggedSummaries(const std::string& name) {
    std::vector<nlohmann::json> out;
    for (const auto& line : capture_->last_formatted()) {
      if (line.empty() || line[0] != '{') continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("participant", "") == name) out.push_back(j);
    }
    return out;
  }

  // `rounds` times: joins `room` as prefix + (i % names), sends it a packet (and video), waits
  // for the room to send something back, and leaves. For churn from several threads.
  void Churn(const std::string& room, const std::string& prefix, bool video, int rounds,
             int names) {
    Peer peer;
    for (int i = 0; i < rounds; ++i) {
      RoomParticipantConfig pc = AudioParticipant(prefix + std::to_string(i % names), peer.port());
      if (video) {
        pc.video.emplace();
        pc.video->remote_rtp_port = peer.port();
      }
      auto joined = server_->rooms().JoinRoom(room, pc);
      ASSERT_TRUE(joined.ok()) << joined.status().ToString();
      rtp::RtpHeader h;
      h.ssrc = 7;
      h.sequence_number = static_cast<uint16_t>(i);
      const std::vector<uint8_t> silence(160, 0xFF);
      peer.SendTo(joined->audio_port, rtp::RtpPacket::Build(h, {}, silence).data());
      if (video) peer.SendTo(joined->video_port, std::vector<uint8_t>(100, 0x80));
      ASSERT_TRUE(peer.ReceiveRtp(milliseconds(2000))) << "nothing sent to " << pc.name;
      ASSERT_TRUE(server_->rooms().LeaveRoom(room, joined->id).ok());
    }
  }

  nlohmann::json VideoStats(const std::string& room) {
    const std::string answer = server_->Control("stats " + room);
    EXPECT_EQ(answer.rfind("ok stats ", 0), 0u) << answer;
    for (auto& o : nlohmann::json::parse(answer.substr(9))) {
      if (o.value("media", "") == "video") return o;
    }
    return {};
  }

  Peer host_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> capture_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(ServerRuntime, AJoinGetsPortsFromTheRangeAndTheNextId) {
  Start();
  Peer alice;
  auto joined = server_->rooms().JoinRoom("talk", AudioParticipant("alice", alice.port()));
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(joined->id, 2u);  // after the configured host
  EXPECT_GE(joined->audio_port, 43000);
  EXPECT_LE(joined->audio_port, 43019);
  EXPECT_EQ(joined->audio_port % 2, 0);
  EXPECT_EQ(joined->audio_rtcp_port, joined->audio_port);  // rtcp-mux
  EXPECT_EQ(joined->video_port, 0);
  auto members = server_->rooms().Participants("talk");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_TRUE((*members)[0].from_config);
  EXPECT_EQ((*members)[1].name, "alice");
  EXPECT_FALSE((*members)[1].from_config);
  EXPECT_EQ((*members)[1].audio_port, joined->audio_port);
}

TEST_F(ServerRuntime, ALeaveFreesThePortLogsTheSummaryAndTheIdIsNeverReused) {
  Start("43000-43003", 3, /*audio_only=*/true);  // two RTP ports: the host's and one more
  Peer alice;
  auto first = server_->rooms().JoinRoom("talk", AudioParticipant("alice", alice.port()));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(
      server_->rooms().JoinRoom("talk", AudioParticipant("bob", alice.port())).status().code(),
      StatusCode::kResourceExhausted);
  ASSERT_TRUE(server_->rooms().LeaveRoom("talk", first->id).ok());
  EXPECT_EQ(Names("talk"), std::vector<std::string>{"host"});
  const auto summaries = LoggedSummaries("alice");
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0]["room"], "talk");
  EXPECT_TRUE(summaries[0].contains("rtp_sent"));
  auto again = server_->rooms().JoinRoom("talk", AudioParticipant("alice", alice.port()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->audio_port, first->audio_port);  // the only free port: it came back
  EXPECT_GT(again->id, first->id);
  EXPECT_EQ(server_->rooms().LeaveRoom("talk", first->id).code(), StatusCode::kNotFound);
}

TEST_F(ServerRuntime, JoinAndLeave200TimesLeaksNoPortsFdsOrMemory) {
  Start("43000-43005", 3, /*audio_only=*/true);  // host + exactly two more
  Peer peer;
  auto cycle = [&] {
    auto a = server_->rooms().JoinRoom("talk", AudioParticipant("alice", peer.port()));
    auto b = server_->rooms().JoinRoom("talk", AudioParticipant("bob", peer.port()));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_TRUE(server_->rooms().LeaveRoom("talk", a->id).ok());
    ASSERT_TRUE(server_->rooms().LeaveRoom("talk", b->id).ok());
  };
  cycle();  // warm-up: the allocator's and the encoders' first allocations
  const size_t fds = OpenFds();
  const size_t heap = mallinfo2().uordblks;
  for (int i = 0; i < 200; ++i) {
    cycle();
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(OpenFds(), fds);
  // Nothing per cycle stays: a leak of a leg (its 64 KiB socket buffer alone) would show here.
  EXPECT_LT(static_cast<int64_t>(mallinfo2().uordblks) - static_cast<int64_t>(heap), 2 << 20);
  EXPECT_EQ(LoggedSummaries("alice").size(), 201u);
  EXPECT_EQ(Names("talk"), std::vector<std::string>{"host"});
}

TEST_F(ServerRuntime, AFullRoomAnUnknownRoomAndABadParticipantAreErrorsThatLeaveNothing) {
  Start("43000-43019", 3);
  Peer peer;
  EXPECT_EQ(
      server_->rooms().JoinRoom("nowhere", AudioParticipant("x", peer.port())).status().code(),
      StatusCode::kNotFound);
  EXPECT_EQ(
      server_->rooms().JoinRoom("talk", AudioParticipant("host", peer.port())).status().code(),
      StatusCode::kAlreadyExists);
  EXPECT_EQ(server_->rooms().JoinRoom("talk", AudioParticipant("a b", peer.port())).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->rooms().JoinRoom("talk", AudioParticipant("nomix", 0)).status().code(),
            StatusCode::kInvalidArgument);
  RoomParticipantConfig video_in_audio_room = AudioParticipant("v", peer.port());
  video_in_audio_room.video.emplace();
  EXPECT_EQ(server_->rooms().JoinRoom("talk", video_in_audio_room).status().code(),
            StatusCode::kInvalidArgument);
  // A fixed port another participant has: refused, and nothing of it is left behind.
  auto taken = server_->rooms().Participants("talk");
  ASSERT_TRUE(taken.ok());
  RoomParticipantConfig clash = AudioParticipant("clash", peer.port());
  clash.local_port = (*taken)[0].audio_port;
  EXPECT_FALSE(server_->rooms().JoinRoom("talk", clash).ok());
  EXPECT_EQ(Names("talk"), std::vector<std::string>{"host"});

  ASSERT_TRUE(server_->rooms().JoinRoom("talk", AudioParticipant("a", peer.port())).ok());
  ASSERT_TRUE(server_->rooms().JoinRoom("talk", AudioParticipant("b", peer.port())).ok());
  const auto full = server_->rooms().JoinRoom("talk", AudioParticipant("c", peer.port()));
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("max_participants 3"), std::string::npos)
      << full.status().message();
  EXPECT_EQ(Names("talk"), (std::vector<std::string>{"host", "a", "b"}));
}

TEST_F(ServerRuntime, AJoinedParticipantIsMixedForTheOthersAndHearsThem) {
  Start();
  Peer alice;
  auto joined = server_->rooms().JoinRoom("talk", AudioParticipant("alice", alice.port()));
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  auto encoder = codec::CreateAudioEncoder(rtp::Codec::kPcmu, {});
  auto decoder = codec::CreateAudioDecoder(rtp::Codec::kPcmu);
  ASSERT_TRUE(encoder.ok() && decoder.ok());
  // A 440 Hz tone from alice, one packet per mix packet the host receives (the room's 20 ms
  // clock paces it), until the host hears it.
  double peak = 0;
  int sent = 0;
  for (; sent < 150 && peak < 0.1; ++sent) {
    auto mix = host_.ReceiveRtp(milliseconds(2000));
    ASSERT_TRUE(mix) << "the host receives no mix";
    peak = std::max(peak, Peak(**decoder, *mix));
    alice.SendTo(joined->audio_port, TonePacket(**encoder, sent, 440, 0x1234));
  }
  EXPECT_GE(peak, 0.1) << "alice's tone never reached the host's mix (" << sent << " packets)";
  // And alice receives the room's mix at the address she gave.
  EXPECT_TRUE(alice.ReceiveRtp(milliseconds(2000)));
  ASSERT_TRUE(server_->rooms().LeaveRoom("talk", joined->id).ok());
  const auto summaries = LoggedSummaries("alice");
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_GT(summaries[0]["rtp_received"].get<int>(), 0);
  EXPECT_GT(summaries[0]["rtp_sent"].get<int>(), 0);
}

// A WHEP viewer and the WHIP publisher of one person (own_voice): the viewer hears everyone but
// its publisher, whichever of the two joined first.
TEST_F(ServerRuntime, AViewerNeverHearsItsOwnPublisherButHearsTheOthers) {
  Start("43000-43019", 4);
  Peer viewer, alice, bob;
  RoomParticipantConfig vc = AudioParticipant("alice.viewer", viewer.port());
  vc.receive_only = true;
  vc.own_voice = "alice";
  auto v = server_->rooms().JoinRoom("talk", vc);  // before its publisher
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  auto a = server_->rooms().JoinRoom("talk", AudioParticipant("alice", alice.port()));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto encoder = codec::CreateAudioEncoder(rtp::Codec::kPcmu, {});
  auto host_decoder = codec::CreateAudioDecoder(rtp::Codec::kPcmu);
  auto viewer_decoder = codec::CreateAudioDecoder(rtp::Codec::kPcmu);
  ASSERT_TRUE(encoder.ok() && host_decoder.ok() && viewer_decoder.ok());
  // Alice's tone until the host hears it, then 50 packets (1 s) more: the viewer's mix of every
  // tick that carried her tone to the host has been read by then, and none holds it.
  double host_peak = 0, viewer_peak = 0;
  int sent = 0, after = 0, viewer_packets = 0;
  for (; sent < 300 && after < 50; ++sent) {
    auto mix = host_.ReceiveRtp(milliseconds(2000));
    ASSERT_TRUE(mix) << "the host receives no mix";
    host_peak = std::max(host_peak, Peak(**host_decoder, *mix));
    if (host_peak >= 0.1) ++after;
    while (auto heard = viewer.ReceiveRtp(milliseconds(1))) {
      viewer_peak = std::max(viewer_peak, Peak(**viewer_decoder, *heard));
      ++viewer_packets;
    }
    alice.SendTo(a->audio_port, TonePacket(**encoder, sent, 440, 0x1234));
  }
  ASSERT_GE(host_peak, 0.1) << "alice's tone never reached the host (" << sent << " packets)";
  EXPECT_GE(viewer_packets, 40) << "the viewer receives no mix";
  EXPECT_LT(viewer_peak, 0.02) << "alice's viewer hears alice";
  // Bob joins after both: the viewer hears him.
  auto b = server_->rooms().JoinRoom("talk", AudioParticipant("bob", bob.port()));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  viewer_peak = 0;
  for (int i = 0; i < 300 && viewer_peak < 0.1; ++i) {
    auto heard = viewer.ReceiveRtp(milliseconds(2000));
    ASSERT_TRUE(heard) << "the viewer receives no mix";
    viewer_peak = std::max(viewer_peak, Peak(**viewer_decoder, *heard));
    bob.SendTo(b->audio_port, TonePacket(**encoder, i, 660, 0x5678));
  }
  EXPECT_GE(viewer_peak, 0.1) << "bob's tone never reached alice's viewer";
}

TEST_F(ServerRuntime, AJoinToAVideoRoomGivesATileAndARecipientAndALeaveRemovesThem) {
  Start();
  Peer screen;
  RoomParticipantConfig viewer;
  viewer.name = "viewer";
  viewer.has_audio = false;
  viewer.video.emplace();
  viewer.video->send = false;
  viewer.video->remote_rtp_port = screen.port();
  auto v = server_->rooms().JoinRoom("vid", viewer);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->audio_port, 0);
  EXPECT_NE(v->video_port, 0);
  EXPECT_EQ(VideoStats("vid")["profiles"]["low"]["recipients"], 1);
  // The composite reaches the viewer (H.264, payload type 96).
  auto composite = screen.ReceiveRtp(milliseconds(5000));
  ASSERT_TRUE(composite) << "no composite reached the joined viewer";
  EXPECT_EQ(composite->payload_type(), 96);
  // A receive-only viewer has no tile; a talker and a camera do.
  EXPECT_NE(server_->Control("speaker vid viewer").rfind("error: ", 0), std::string::npos);
  Peer talker_peer;
  auto talker = server_->rooms().JoinRoom("vid", AudioParticipant("talker", talker_peer.port()));
  ASSERT_TRUE(talker.ok()) << talker.status().ToString();
  EXPECT_EQ(server_->Control("speaker vid talker"), "ok speaker vid talker");
  RoomParticipantConfig camera = AudioParticipant("camera", talker_peer.port());
  camera.video.emplace();
  camera.video->codec = rtp::Codec::kVp8;
  camera.video->payload_type = 97;
  auto cam = server_->rooms().JoinRoom("vid", camera);
  ASSERT_TRUE(cam.ok()) << cam.status().ToString();
  EXPECT_NE(cam->audio_port, cam->video_port);
  EXPECT_EQ(server_->Control("pin vid camera"), "ok pin vid camera");

  ASSERT_TRUE(server_->rooms().LeaveRoom("vid", talker->id).ok());
  ASSERT_TRUE(server_->rooms().LeaveRoom("vid", cam->id).ok());
  EXPECT_EQ(server_->Control("speaker vid talker").rfind("error: ", 0), 0u);
  EXPECT_EQ(server_->Control("pin vid camera").rfind("error: ", 0), 0u);
  ASSERT_TRUE(server_->rooms().LeaveRoom("vid", v->id).ok());
  EXPECT_EQ(VideoStats("vid")["profiles"]["low"]["recipients"], 0);
  // Nothing more is sent to it: what was in flight is read, then the socket stays quiet.
  while (screen.Receive(milliseconds(300))) {
  }
  EXPECT_FALSE(screen.Receive(milliseconds(300)));
  EXPECT_EQ(Names("vid"), std::vector<std::string>{"cam"});
  EXPECT_EQ(LoggedSummaries("viewer").size(), 1u);
  EXPECT_EQ(LoggedSummaries("camera").size(), 2u);  // its audio and its video leg
}

TEST_F(ServerRuntime, ParticipantsAndKickCommandsManageTheRoom) {
  Start();
  Peer alice;
  ASSERT_TRUE(server_->rooms().JoinRoom("talk", AudioParticipant("alice", alice.port())).ok());
  const std::string list = server_->Control("participants talk");
  ASSERT_EQ(list.rfind("ok participants talk [", 0), 0u) << list;
  const auto j = nlohmann::json::parse(list.substr(std::string("ok participants talk ").size()));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "host");
  EXPECT_EQ(j[0]["id"], 1);
  EXPECT_EQ(j[0]["joined"], "config");
  EXPECT_EQ(j[1]["name"], "alice");
  EXPECT_EQ(j[1]["joined"], "runtime");
  EXPECT_TRUE(j[1].contains("audio_port") && j[1].contains("joined_at"));

  EXPECT_EQ(server_->Control("kick talk host"), "ok kick talk host");
  EXPECT_EQ(Names("talk"), std::vector<std::string>{"alice"});
  EXPECT_EQ(LoggedSummaries("host").size(), 1u);
  EXPECT_EQ(server_->Control("kick talk host"), "error: room 'talk' has no participant 'host'");
  EXPECT_EQ(server_->Control("kick nowhere host"), "error: no room 'nowhere'");
  EXPECT_EQ(server_->Control("kick talk"), "error: kick takes a room and a participant");
  EXPECT_EQ(server_->Control("participants nowhere"), "error: no room 'nowhere'");
  // The kicked participant's packets find no socket; the others carry on.
  EXPECT_TRUE(alice.ReceiveRtp(milliseconds(2000)));
}

// Hears the consent changes the directory announces.
class ConsentLog : public session::RoomObserver {
 public:
  void OnConsentChanged(const std::string& room, uint32_t id, const std::string& name,
                        session::Consent consent) override {
    std::lock_guard lock(mu);
    changes.push_back(room + "/" + std::to_string(id) + "/" + name + "/" +
                      session::ConsentName(consent));
  }
  std::mutex mu;
  std::vector<std::string> changes;
};

TEST_F(ServerRuntime, ConsentComesWithTheJoinAndAChangeIsAnnouncedOnce) {
  Start();
  auto log = std::make_shared<ConsentLog>();
  server_->rooms().AddObserver(log);
  Peer alice;
  session::RoomParticipantConfig pc = AudioParticipant("alice", alice.port());
  pc.consent = session::Consent::kGranted;
  auto joined = server_->rooms().JoinRoom("talk", pc);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  auto members = server_->rooms().Participants("talk");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].consent, session::Consent::kUnknown) << "host: none given";
  EXPECT_TRUE((*members)[0].sends);
  EXPECT_EQ((*members)[1].consent, session::Consent::kGranted);

  session::MemberUpdate declined;
  declined.consent = session::Consent::kDeclined;
  ASSERT_TRUE(server_->rooms().UpdateMember("talk", joined->id, declined).ok());
  ASSERT_TRUE(server_->rooms().UpdateMember("talk", joined->id, declined).ok());  // no change
  EXPECT_EQ(server_->rooms().Participants("talk")->at(1).consent, session::Consent::kDeclined);
  std::lock_guard lock(log->mu);
  const std::string prefix = "talk/" + std::to_string(joined->id) + "/alice/";
  EXPECT_EQ(log->changes, (std::vector<std::string>{prefix + "granted", prefix + "declined"}))
      << "the consent given with the join, then the one change";
}

TEST_F(ServerRuntime, UpdateRemoteMovesTheMixAndHoldStopsIt) {
  Start();
  Peer first, second;
  auto alice = server_->rooms().JoinRoom("talk", AudioParticipant("alice", first.port()));
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(first.ReceiveRtp(milliseconds(2000)));
  RemoteUpdate moved;
  moved.audio_rtp_port = second.port();
  ASSERT_TRUE(server_->rooms().UpdateRemote("talk", alice->id, moved).ok());
  ASSERT_TRUE(second.ReceiveRtp(milliseconds(2000)));
  while (first.Receive(milliseconds(100))) {
  }
  EXPECT_FALSE(first.Receive(milliseconds(200)));
  RemoteUpdate hold;
  hold.address = "0.0.0.0";
  ASSERT_TRUE(server_->rooms().UpdateRemote("talk", alice->id, hold).ok());
  while (second.Receive(milliseconds(100))) {
  }
  EXPECT_FALSE(second.Receive(milliseconds(200)));
  RemoteUpdate resume;
  resume.address = "127.0.0.1";
  ASSERT_TRUE(server_->rooms().UpdateRemote("talk", alice->id, resume).ok());
  EXPECT_TRUE(second.ReceiveRtp(milliseconds(2000)));
  RemoteUpdate video;
  video.video_rtp_port = second.port();
  EXPECT_EQ(server_->rooms().UpdateRemote("talk", alice->id, video).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->rooms().UpdateRemote("talk", 99, resume).code(), StatusCode::kNotFound);
}

TEST_F(ServerRuntime, ConcurrentJoinsAndLeavesWhileTheRoomsTick) {
  Start("43000-43099", 50);
  // Each participant leaves once the room is sending to it, so leaves race with the ticks
  // posting to its legs, and with its own packets on their way to the room.
  auto churn = [&](const std::string& room, const std::string& prefix, bool video) {
    Churn(room, prefix, video, 40, 3);
  };
  std::thread a(churn, "talk", "a", false);
  std::thread b(churn, "vid", "b", true);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(server_->Control("stats").rfind("ok stats", 0), 0u);
  a.join();
  b.join();
  EXPECT_EQ(Names("talk"), std::vector<std::string>{"host"});
  EXPECT_EQ(Names("vid"), std::vector<std::string>{"cam"});
}

// What the ThreadSanitizer build (scripts/tsan.sh) is for: every kind of change to the rooms at
// once from four threads while the rooms tick and media flows. Joins and leaves with media in
// both rooms, layout, pin and speaker changes on the video room, a room created, joined and
// deleted again and again, and the stats and rosters read all the while.
TEST_F(ServerRuntime, StormOfJoinsLeavesLayoutChangesAndRoomsFromFourThreads) {
  Start("43100-43199", 20);
  constexpr int kRounds = 25;
  auto join_leave = [&](const std::string& room, const std::string& prefix, bool video) {
    Churn(room, prefix, video, kRounds, 4);
  };
  auto picture = [&] {
    const std::vector<std::string> layouts = {"grid", "speaker", "presentation", "pip"};
    for (int i = 0; i < 4 * kRounds; ++i) {
      EXPECT_TRUE(server_->rooms().SetLayout("vid", layouts[i % layouts.size()]).ok());
      EXPECT_TRUE(server_->rooms().SetPinned("vid", "cam", i % 2 == 0).ok());
      EXPECT_TRUE(server_->rooms().SetSpeaker("vid", "cam").ok());
      EXPECT_TRUE(server_->rooms().RoomStats("").ok());
    }
    EXPECT_TRUE(server_->rooms().SetLayout("vid", "grid").ok());
  };
  auto rooms = [&] {
    std::optional<RoomConfig> pop = server_->rooms().FindRoom("talk");
    ASSERT_TRUE(pop);
    pop->name = "pop";
    pop->participants.clear();
    Peer peer;
    for (int i = 0; i < kRounds / 2; ++i) {
      ASSERT_TRUE(server_->rooms().CreateRoom(*pop).ok());
      auto joined = server_->rooms().JoinRoom("pop", AudioParticipant("p", peer.port()));
      ASSERT_TRUE(joined.ok()) << joined.status().ToString();
      EXPECT_EQ(server_->rooms().Participants("pop")->size(), 1u);
      // Deleted with its participant in it: the room ends the leg itself.
      ASSERT_TRUE(server_->rooms().DeleteRoom("pop").ok());
      EXPECT_FALSE(server_->rooms().FindRoom("pop"));
    }
  };
  std::thread a(join_leave, "talk", "a", false);
  std::thread b(join_leave, "vid", "b", true);
  std::thread c(picture);
  std::thread d(rooms);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(server_->Control("stats").rfind("ok stats", 0), 0u);
    EXPECT_TRUE(server_->rooms().Participants("vid").ok());
  }
  a.join();
  b.join();
  c.join();
  d.join();
  EXPECT_EQ(Names("talk"), std::vector<std::string>{"host"});
  EXPECT_EQ(Names("vid"), std::vector<std::string>{"cam"});
  EXPECT_FALSE(server_->rooms().FindRoom("pop"));
  std::vector<std::string> names;
  for (const RoomConfig& r : server_->rooms().ListRooms()) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"talk", "vid"}));
}

TEST_F(ServerRuntime, NobodyJoinsAStoppedServer) {
  Start();
  server_->Stop();
  Peer peer;
  EXPECT_EQ(
      server_->rooms().JoinRoom("talk", AudioParticipant("late", peer.port())).status().code(),
      StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->rooms().LeaveRoom("talk", 1).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tessera::app
