// SDP descriptions of what Tessera sends, written to files for players (ffplay, VLC, ffmpeg).
#pragma once

#include <tessera/base/status.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <string>

namespace tessera::session {

struct SdpStream {
  std::string session_name;
  std::string address;  // where the stream is sent (the receiver's address)
  uint16_t port = 0;    // RTP port
  bool rtcp_mux = true;
  uint16_t rtcp_port = 0;  // without rtcp-mux: where RTCP goes when not port + 1 (0: port + 1)
  rtp::Codec codec = rtp::Codec::kH264;
  uint8_t payload_type = 96;
};

// An SDP (RFC 4566) session with one video m= line describing the stream.
std::string BuildVideoSdp(const SdpStream& s);
// Writes it to `path` (atomically: a temporary file renamed into place).
Status WriteSdpFile(const std::string& path, const SdpStream& s);

}  // namespace tessera::session
