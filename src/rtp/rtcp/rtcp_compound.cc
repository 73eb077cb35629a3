#include <tessera/rtp/rtcp/rtcp_common.h>
#include <tessera/rtp/rtcp/rtcp_compound.h>

#include <algorithm>

namespace tessera::rtp {
namespace {

template <typename T>
std::optional<RtcpMessage> As(std::span<const uint8_t> packet) {
  auto parsed = T::Parse(packet);
  if (!parsed) return std::nullopt;
  return RtcpMessage(std::move(*parsed));
}

std::optional<RtcpMessage> Decode(const RtcpPacketView& view, std::span<const uint8_t> packet) {
  const uint8_t fmt = view.header.count;
  switch (static_cast<RtcpPacketType>(view.header.packet_type)) {
    case RtcpPacketType::kSenderReport:
      return As<SenderReport>(packet);
    case RtcpPacketType::kReceiverReport:
      return As<ReceiverReport>(packet);
    case RtcpPacketType::kSdes:
      return As<Sdes>(packet);
    case RtcpPacketType::kBye:
      return As<Bye>(packet);
    case RtcpPacketType::kRtpFeedback:
      if (fmt == kRtpfbNack) return As<Nack>(packet);
      if (fmt == kRtpfbTmmbr) return As<Tmmbr>(packet);
      if (fmt == kRtpfbTmmbn) return As<Tmmbn>(packet);
      if (fmt == kTransportFeedbackFmt) return As<TransportFeedback>(packet);
      return std::nullopt;
    case RtcpPacketType::kPayloadFeedback:
      if (fmt == kPsfbPli) return As<Pli>(packet);
      if (fmt == kPsfbFir) return As<Fir>(packet);
      if (fmt == kPsfbAfb) return As<Remb>(packet);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

void RtcpUnknown::Serialize(std::vector<uint8_t>& out) const {
  const size_t start = BeginRtcpPacket(out, fmt, pt);
  out.insert(out.end(), body.begin(), body.end());
  FinishRtcpPacket(out, start);
}

std::optional<std::vector<RtcpMessage>> ParseRtcpCompound(std::span<const uint8_t> data) {
  if (data.empty()) return std::nullopt;
  std::vector<RtcpMessage> messages;
  while (!data.empty()) {
    auto view = ParseRtcpPacket(data);
    if (!view) return std::nullopt;
    const auto packet = data.first(view->size);
    auto message = Decode(*view, packet);
    if (message) {
      messages.push_back(std::move(*message));
    } else {
      messages.push_back(RtcpUnknown{view->header.packet_type, view->header.count,
                                     std::vector<uint8_t>(view->body.begin(), view->body.end())});
    }
    data = data.subspan(view->size);
  }
  return messages;
}

void SerializeRtcpMessage(const RtcpMessage& message, std::vector<uint8_t>& out) {
  std::visit([&out](const auto& m) { m.Serialize(out); }, message);
}

std::vector<uint8_t> SerializeRtcpCompound(std::span<const RtcpMessage> messages) {
  std::vector<uint8_t> out;
  out.reserve(128);
  for (const auto& m : messages) SerializeRtcpMessage(m, out);
  return out;
}

}  // namespace tessera::rtp
