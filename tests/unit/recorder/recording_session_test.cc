#include <gtest/gtest.h>
#include <tessera/recorder/recording_session.h>
#include <tessera/rtp/packetizer.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>
#include <tessera/srtp/sdes.h>

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <functional>

#include "unit/recorder/recorder_test_util.h"

namespace tessera::recorder {
namespace {

using boost::asio::ip::udp;
using testing::Demux;
using testing::H264Frame;
using testing::MemoryBytes;
using testing::MemorySink;
using testing::OpusPacket;

constexpr auto kSuite = srtp::SrtpSuite::kAesCm128HmacSha1_80;
constexpr int64_t kNtpBase = 1'767'225'600'000'000;  // unix us of the SRs' instant

// Drives io until `done` or the deadline: no sleeps, the socket handlers run as packets arrive.
bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The MCU's side: SRTP-protected audio and video with their SRs, from one local socket.
class FakeMcu {
 public:
  FakeMcu(boost::asio::io_context& io, std::span<const uint8_t> key)
      : socket_(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        srtp_(srtp::SrtpSession::Create(kSuite, key, srtp::SrtpSession::Direction::kOutbound)
                  .value()),
        packetizer_(rtp::CreatePacketizer(rtp::Codec::kH264)) {}

  void Send(std::vector<uint8_t> packet, uint16_t port, bool rtcp) {
    const auto r = rtcp ? srtp_->ProtectRtcp(packet) : srtp_->ProtectRtp(packet);
    ASSERT_EQ(r, srtp::SrtpResult::kOk);
    SendRaw(packet, port);
  }
  void SendRaw(std::span<const uint8_t> bytes, uint16_t port) {
    socket_.send_to(boost::asio::buffer(bytes.data(), bytes.size()),
                    udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }
  void SendSr(uint32_t ssrc, int64_t unix_us, uint32_t rtp_ts, uint16_t port) {
    rtp::SenderReport sr;
    sr.sender_ssrc = ssrc;
    sr.ntp = UnixUsToNtp(unix_us);
    sr.rtp_timestamp = rtp_ts;
    std::vector<rtp::RtcpMessage> m{sr};
    Send(rtp::SerializeRtcpCompound(m), port, true);
  }
  void SendVideo(uint32_t ssrc, uint16_t& seq, uint32_t ts, bool key, uint16_t port) {
    auto payloads = packetizer_->Packetize(H264Frame(key, ts), key);
    for (size_t i = 0; i < payloads.size(); ++i) {
      rtp::RtpHeader h{i + 1 == payloads.size(), 96, seq++, ts, ssrc, {}};
      const rtp::RtpPacket p = rtp::RtpPacket::Build(h, {}, payloads[i]);
      Send(std::vector<uint8_t>(p.data().begin(), p.data().end()), port, false);
    }
  }
  void SendAudio(uint32_t ssrc, uint16_t seq, uint32_t ts, uint16_t port) {
    rtp::RtpHeader h{false, 111, seq, ts, ssrc, {}};
    const auto opus = OpusPacket(static_cast<uint8_t>(seq));
    const rtp::RtpPacket p = rtp::RtpPacket::Build(h, {}, opus);
    Send(std::vector<uint8_t>(p.data().begin(), p.data().end()), port, false);
  }

 private:
  udp::socket socket_;
  std::unique_ptr<srtp::SrtpSession> srtp_;
  std::unique_ptr<rtp::Packetizer> packetizer_;
};

struct SessionFixture {
  boost::asio::io_context io;
  std::shared_ptr<MemoryBytes> bytes = std::make_shared<MemoryBytes>();
  std::vector<uint8_t> mcu_key = *srtp::GenerateSrtpKey(kSuite);       // MCU -> recorder
  std::vector<uint8_t> recorder_key = *srtp::GenerateSrtpKey(kSuite);  // recorder -> MCU
  std::unique_ptr<RecordingSession> session;
  int silences = 0;

  SessionFixture() {
    RecordingSessionConfig c;
    c.name = "test";
    c.receive_key = mcu_key;
    c.send_key = recorder_key;
    auto s = RecordingSession::Create(io, c, std::make_unique<MemorySink>(bytes), SystemClock());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    session = std::move(*s);
    session->Start([this](bool silent) { silences += silent; });
  }
};

// One second of media: video at 30 fps from video_rtp, audio every 20 ms from audio_rtp.
void SendSecond(FakeMcu& mcu, SessionFixture& f, uint32_t vssrc, uint32_t vrtp, uint16_t& vseq,
                uint32_t assrc, uint32_t artp, uint16_t& aseq) {
  for (int i = 0; i < 30; ++i) {
    mcu.SendVideo(vssrc, vseq, vrtp + 3000u * i, i == 0, f.session->video_port());
  }
  for (int j = 0; j < 50; ++j) {
    mcu.SendAudio(assrc, aseq++, artp + 960u * j, f.session->audio_port());
  }
}

TEST(RecordingSession, RecordsSrtpMediaInLipSyncByTheSendersReports) {
  SessionFixture f;
  FakeMcu mcu(f.io, f.mcu_key);
  // The SRs: video RTP 9000 and audio RTP 48000 are the same instant; the first audio packet
  // (RTP 48000 + 9600) is 200 ms after the first picture (RTP 9000).
  mcu.SendSr(0x1111, kNtpBase, 9000, f.session->video_port());
  mcu.SendSr(0x2222, kNtpBase, 48000, f.session->audio_port());
  uint16_t vseq = 100, aseq = 500;
  // The SRs name SSRCs not yet heard: kept until the streams start.
  SendSecond(mcu, f, 0x1111, 9000, vseq, 0x2222, 48000 + 9600, aseq);
  ASSERT_TRUE(RunUntil(f.io, [&] {
    const RecordingStats s = f.session->stats();
    return s.audio_packets == 50 && s.video_frames >= 29;
  }));
  ASSERT_TRUE(f.session->Stop().ok());
  const RecordingStats s = f.session->stats();
  EXPECT_EQ(s.srtp_failures, 0u);
  EXPECT_EQ(s.mapped_by_arrival, 0u);
  EXPECT_GT(s.bytes_written, 0u);
  EXPECT_TRUE(f.bytes->closed);

  const testing::Demuxed d = Demux(f.bytes->bytes);
  ASSERT_TRUE(d.opened);
  const auto* video = d.Find(AVMEDIA_TYPE_VIDEO);
  const auto* audio = d.Find(AVMEDIA_TYPE_AUDIO);
  ASSERT_NE(video, nullptr);
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(video->pts_us.size(), 30u);
  EXPECT_EQ(audio->pts_us.size(), 50u);
  ASSERT_FALSE(audio->pts_us.empty());
  // Less the Opus encoder's 6.5 ms lookahead, which the track's codec delay takes back out.
  EXPECT_NEAR(audio->pts_us.front() - video->pts_us.front(), 200'000 - 6'500, 1'000);
}

TEST(RecordingSession, CountsGarbageAndForgedPacketsAndGoesOn) {
  SessionFixture f;
  FakeMcu mcu(f.io, f.mcu_key);
  FakeMcu forger(f.io, *srtp::GenerateSrtpKey(kSuite));  // a wrong key
  const std::vector<uint8_t> garbage = {0x01, 0x02, 0x03};
  std::vector<uint8_t> rtp_like(40, 0x80);
  mcu.SendRaw(garbage, f.session->audio_port());
  mcu.SendRaw(rtp_like, f.session->video_port());
  forger.SendAudio(0x2222, 1, 960, f.session->audio_port());
  mcu.SendSr(0x1111, kNtpBase, 9000, f.session->video_port());
  mcu.SendSr(0x2222, kNtpBase, 48000, f.session->audio_port());
  uint16_t vseq = 1, aseq = 1;
  SendSecond(mcu, f, 0x1111, 9000, vseq, 0x2222, 48000, aseq);
  ASSERT_TRUE(RunUntil(f.io, [&] { return f.session->stats().audio_packets == 50; }));
  const RecordingStats s = f.session->stats();
  EXPECT_EQ(s.malformed, 1u);      // the three bytes
  EXPECT_EQ(s.srtp_failures, 2u);  // the forged and the RTP-like packet
  ASSERT_TRUE(f.session->Stop().ok());
  EXPECT_GT(f.session->stats().video_frames, 0u);
}

TEST(RecordingSession, ASenderRestartGivesAContinuousFileWithARecordedGap) {
  SessionFixture f;
  FakeMcu mcu(f.io, f.mcu_key);
  uint16_t vseq = 10, aseq = 10;
  mcu.SendSr(0x1111, kNtpBase, 9000, f.session->video_port());
  mcu.SendSr(0x2222, kNtpBase, 48000, f.session->audio_port());
  SendSecond(mcu, f, 0x1111, 9000, vseq, 0x2222, 48000, aseq);
  ASSERT_TRUE(RunUntil(f.io, [&] { return f.session->stats().audio_packets == 50; }));
  // The MCU restarted: new SSRCs, sequence numbers and RTP clocks; its SRs say 5 s later.
  f.session->NoteGap("rejoin");
  uint16_t vseq2 = 40000, aseq2 = 30000;
  mcu.SendSr(0x3333, kNtpBase + 5'000'000, 777, f.session->video_port());
  mcu.SendSr(0x4444, kNtpBase + 5'000'000, 123456, f.session->audio_port());
  SendSecond(mcu, f, 0x3333, 777, vseq2, 0x4444, 123456, aseq2);
  ASSERT_TRUE(RunUntil(f.io, [&] { return f.session->stats().audio_packets == 100; }));
  ASSERT_TRUE(f.session->Stop().ok());
  ASSERT_EQ(f.session->gaps().size(), 1u);
  EXPECT_EQ(f.session->gaps()[0].reason, "rejoin");

  const testing::Demuxed d = Demux(f.bytes->bytes);
  ASSERT_TRUE(d.opened);
  const auto* video = d.Find(AVMEDIA_TYPE_VIDEO);
  ASSERT_NE(video, nullptr);
  ASSERT_EQ(video->pts_us.size(), 60u);
  EXPECT_NEAR(video->pts_us[30] - video->pts_us[0], 5'000'000, 1'000);
  EXPECT_NE(d.Find(AVMEDIA_TYPE_SUBTITLE), nullptr);
}

}  // namespace
}  // namespace tessera::recorder
