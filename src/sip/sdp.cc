#include <tessera/sip/sdp.h>

namespace tessera::sip {

std::string_view SdpDirectionName(SdpDirection direction) {
  switch (direction) {
    case SdpDirection::kSendRecv:
      return "sendrecv";
    case SdpDirection::kSendOnly:
      return "sendonly";
    case SdpDirection::kRecvOnly:
      return "recvonly";
    case SdpDirection::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

SdpDirection ReverseDirection(SdpDirection direction) {
  switch (direction) {
    case SdpDirection::kSendOnly:
      return SdpDirection::kRecvOnly;
    case SdpDirection::kRecvOnly:
      return SdpDirection::kSendOnly;
    default:
      return direction;
  }
}

bool SdpConnection::IsUnspecified() const { return address == "0.0.0.0" || address == "::"; }

bool MediaDescription::IsRtp() const {
  return proto.starts_with("RTP/") || proto.find("/RTP/") != std::string::npos;
}

const SdpRtpMap* MediaDescription::FindRtpMap(uint8_t payload_type) const {
  for (const SdpRtpMap& map : rtpmaps) {
    if (map.payload_type == payload_type) return &map;
  }
  return nullptr;
}

const SdpFmtp* MediaDescription::FindFmtp(uint8_t payload_type) const {
  for (const SdpFmtp& fmtp : fmtps) {
    if (fmtp.payload_type == payload_type) return &fmtp;
  }
  return nullptr;
}

SdpDirection SessionDescription::DirectionOf(const MediaDescription& m) const {
  return m.direction.value_or(direction.value_or(SdpDirection::kSendRecv));
}

const SdpConnection* SessionDescription::ConnectionOf(const MediaDescription& m) const {
  if (m.connection) return &*m.connection;
  return connection ? &*connection : nullptr;
}

}  // namespace tessera::sip
