#include "session/sdp_file.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace tessera::session {

std::string BuildVideoSdp(const SdpStream& s) {
  const bool v6 = s.address.find(':') != std::string::npos;
  const char* family = v6 ? "IP6" : "IP4";
  std::ostringstream os;
  os << "v=0\r\n"
     << "o=- 0 0 IN " << family << ' ' << s.address << "\r\n"
     << "s=" << s.session_name << "\r\n"
     << "c=IN " << family << ' ' << s.address << "\r\n"
     << "t=0 0\r\n"
     << "m=video " << s.port << " RTP/AVP " << int{s.payload_type} << "\r\n";
  if (s.codec == rtp::Codec::kVp8) {
    os << "a=rtpmap:" << int{s.payload_type} << " VP8/90000\r\n";
  } else if (s.codec == rtp::Codec::kVp9) {
    os << "a=rtpmap:" << int{s.payload_type} << " VP9/90000\r\n"
       << "a=fmtp:" << int{s.payload_type} << " profile-id=0\r\n";
  } else {
    os << "a=rtpmap:" << int{s.payload_type} << " H264/90000\r\n"
       << "a=fmtp:" << int{s.payload_type}
       << " packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1\r\n";
  }
  if (s.rtcp_mux) {
    os << "a=rtcp-mux\r\n";
  } else if (s.rtcp_port && s.rtcp_port != s.port + 1) {
    os << "a=rtcp:" << s.rtcp_port << "\r\n";  // RFC 3605
  }
  os << "a=recvonly\r\n";
  return os.str();
}

Status WriteSdpFile(const std::string& path, const SdpStream& s) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status(StatusCode::kUnavailable, "cannot write " + tmp);
    out << BuildVideoSdp(s);
    if (!out.flush()) return Status(StatusCode::kUnavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status(StatusCode::kUnavailable, "cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
}

}  // namespace tessera::session
