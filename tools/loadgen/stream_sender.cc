#include "loadgen/stream_sender.h"

#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>

#include <array>
#include <variant>

namespace tessera::loadgen {
namespace {

rtp::RtpSender::Config RtpConfig(uint32_t ssrc, uint8_t pt, uint32_t clock_rate,
                                 const std::string& cname) {
  rtp::RtpSender::Config c;
  c.ssrc = ssrc;
  c.payload_type = pt;
  c.clock_rate = clock_rate;
  c.cname = cname;
  c.history_size = 1024;
  return c;
}

std::vector<uint8_t> Report(const rtp::RtpSender& sender, NtpTime now_ntp, int64_t now_us) {
  if (sender.packets_sent() == 0) return {};
  std::vector<rtp::RtcpMessage> m;
  m.emplace_back(sender.BuildSenderReport(now_ntp, now_us));
  m.emplace_back(sender.BuildSdes());
  return rtp::SerializeRtcpCompound(m);
}

}  // namespace

std::optional<uint32_t> ReadCounterExtension(const rtp::RtpPacket& packet, uint8_t id) {
  const auto ext = packet.extension(id);
  if (!ext || ext->size() != 4) return std::nullopt;
  return ReadBe32(ext->data());
}

VideoStreamSender::VideoStreamSender(const VideoClip& clip, const VideoSenderConfig& config,
                                     Clock& clock)
    : clip_(clip),
      config_(config),
      rtp_(RtpConfig(config.ssrc, config.payload_type, 90000, config.cname), clock),
      position_(clip.frames.empty()
                    ? 0
                    : config.first_clip_frame % static_cast<uint32_t>(clip.frames.size())) {
  rtp::PacketizerConfig pc;
  pc.mtu = config.mtu;
  packetizer_ = rtp::CreatePacketizer(clip.config.codec, pc);
}

VideoStreamSender::Frame VideoStreamSender::NextFrame(uint64_t counter) {
  Frame f;
  f.counter = counter;
  if (clip_.frames.empty()) return f;
  f.clip_index = position_;
  const codec::EncodedPicture& picture = clip_.frames[position_];
  f.keyframe = picture.keyframe;
  position_ = (position_ + 1) % static_cast<uint32_t>(clip_.frames.size());
  const auto payloads = packetizer_->Packetize(picture.data, picture.keyframe);
  const auto timestamp =
      static_cast<uint32_t>(counter * 90000 / static_cast<uint64_t>(clip_.config.fps));
  std::array<uint8_t, 4> value{};
  WriteBe32(value.data(), static_cast<uint32_t>(counter));
  const std::array<rtp::ExtensionElement, 1> ext{
      rtp::ExtensionElement{config_.counter_extension_id, {value.begin(), value.end()}}};
  for (size_t i = 0; i < payloads.size(); ++i) {
    f.packets.push_back(rtp_.Send(payloads[i], timestamp, i + 1 == payloads.size(), 0, ext));
    stats_.bytes += f.packets.back().size();
  }
  stats_.packets += f.packets.size();
  ++stats_.frames;
  return f;
}

std::vector<rtp::RtpPacket> VideoStreamSender::OnRtcp(std::span<const uint8_t> compound,
                                                      int64_t now_us) {
  std::vector<rtp::RtpPacket> resend;
  const auto messages = rtp::ParseRtcpCompound(compound);
  if (!messages) return resend;
  for (const auto& m : *messages) {
    if (const auto* nack = std::get_if<rtp::Nack>(&m)) {
      if (nack->media_ssrc != config_.ssrc) continue;
      stats_.nacked += nack->seqs.size();
      for (auto& p : rtp_.OnNack(nack->seqs, now_us)) resend.push_back(std::move(p));
    } else if (const auto* pli = std::get_if<rtp::Pli>(&m)) {
      if (pli->media_ssrc == config_.ssrc) ++stats_.plis;
    } else if (const auto* fir = std::get_if<rtp::Fir>(&m)) {
      for (const auto& e : fir->entries) {
        if (e.ssrc == config_.ssrc) ++stats_.firs;
      }
    }
  }
  stats_.retransmitted += resend.size();
  return resend;
}

std::vector<uint8_t> VideoStreamSender::BuildReport(NtpTime now_ntp, int64_t now_us) const {
  return Report(rtp_, now_ntp, now_us);
}

AudioStreamSender::AudioStreamSender(const AudioClip& clip, const AudioSenderConfig& config,
                                     Clock& clock)
    : clip_(clip),
      config_(config),
      rtp_(RtpConfig(config.ssrc, config.payload_type, 48000, config.cname), clock) {}

rtp::RtpPacket AudioStreamSender::NextPacket(uint64_t counter) {
  const std::vector<uint8_t> empty;
  const auto& payload =
      clip_.payloads.empty()
          ? empty
          : clip_.payloads[(counter + config_.first_packet) % clip_.payloads.size()];
  const auto timestamp = static_cast<uint32_t>(counter * clip_.timestamp_increment);
  rtp::RtpPacket p = rtp_.Send(payload, timestamp, counter == 0, 0);
  ++stats_.frames;
  ++stats_.packets;
  stats_.bytes += p.size();
  return p;
}

std::vector<uint8_t> AudioStreamSender::BuildReport(NtpTime now_ntp, int64_t now_us) const {
  return Report(rtp_, now_ntp, now_us);
}

}  // namespace tessera::loadgen
