#include <tessera/sip/sdp.h>

#include <string>

namespace tessera::sip {
namespace {

class Writer {
 public:
  void Line(char type, std::string_view value) {
    out_ += type;
    out_ += '=';
    out_ += value;
    out_ += "\r\n";
  }
  void Connection(const SdpConnection& c) { Line('c', Join(c)); }
  void Bandwidths(const std::vector<SdpBandwidth>& bandwidths) {
    for (const SdpBandwidth& b : bandwidths) Line('b', b.type + ':' + std::to_string(b.value));
  }
  void Attribute(std::string_view name, std::string_view value) {
    Line('a', std::string(name) + ':' + std::string(value));
  }
  void Attributes(const std::vector<SdpAttribute>& attributes) {
    for (const SdpAttribute& a : attributes) {
      a.value ? Attribute(a.name, *a.value) : Line('a', a.name);
    }
  }
  static std::string Join(const SdpConnection& c) {
    return c.nettype + ' ' + c.addrtype + ' ' + c.address;
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string PayloadTypeText(int payload_type) {
  return payload_type == SdpRtcpFb::kAnyPayloadType ? "*" : std::to_string(payload_type);
}

void WriteMedia(const MediaDescription& m, Writer& w) {
  std::string line = m.media + ' ' + std::to_string(m.port);
  if (m.port_count != 1) line += '/' + std::to_string(m.port_count);
  line += ' ' + m.proto;
  for (const std::string& f : m.formats) line += ' ' + f;
  w.Line('m', line);
  if (m.connection) w.Connection(*m.connection);
  w.Bandwidths(m.bandwidths);
  for (const SdpRtpMap& map : m.rtpmaps) {
    std::string v = std::to_string(map.payload_type) + ' ' + map.encoding + '/' +
                    std::to_string(map.clock_rate);
    if (map.channels) v += '/' + std::to_string(map.channels);
    w.Attribute("rtpmap", v);
  }
  for (const SdpFmtp& fmtp : m.fmtps) {
    std::string v = std::to_string(fmtp.payload_type);
    if (!fmtp.parameters.empty()) v += ' ' + fmtp.parameters;
    w.Attribute("fmtp", v);
  }
  for (const SdpRtcpFb& fb : m.rtcp_fbs) {
    std::string v = PayloadTypeText(fb.payload_type) + ' ' + fb.type;
    if (!fb.parameter.empty()) v += ' ' + fb.parameter;
    w.Attribute("rtcp-fb", v);
  }
  if (m.rtcp) {
    std::string v = std::to_string(m.rtcp->port);
    if (m.rtcp->connection) v += ' ' + Writer::Join(*m.rtcp->connection);
    w.Attribute("rtcp", v);
  }
  if (m.rtcp_mux) w.Line('a', "rtcp-mux");
  for (const std::string& crypto : m.crypto) w.Attribute("crypto", crypto);
  if (m.ptime_ms) w.Attribute("ptime", std::to_string(*m.ptime_ms));
  if (m.maxptime_ms) w.Attribute("maxptime", std::to_string(*m.maxptime_ms));
  for (const SdpExtmap& ext : m.extmaps) {
    std::string v = std::to_string(ext.id);
    if (ext.direction) v += '/' + std::string(SdpDirectionName(*ext.direction));
    v += ' ' + ext.uri;
    if (!ext.attributes.empty()) v += ' ' + ext.attributes;
    w.Attribute("extmap", v);
  }
  if (m.direction) w.Line('a', SdpDirectionName(*m.direction));
  w.Attributes(m.attributes);
}

}  // namespace

std::string WriteSdp(const SessionDescription& sdp) {
  Writer w;
  w.Line('v', "0");
  const SdpOrigin& o = sdp.origin;
  w.Line('o', o.username + ' ' + o.session_id + ' ' + std::to_string(o.session_version) + ' ' +
                  Writer::Join(o.connection));
  w.Line('s', sdp.session_name.empty() ? "-" : sdp.session_name);
  if (sdp.connection) w.Connection(*sdp.connection);
  w.Bandwidths(sdp.bandwidths);
  w.Line('t', sdp.timing.empty() ? "0 0" : sdp.timing);
  if (sdp.direction) w.Line('a', SdpDirectionName(*sdp.direction));
  w.Attributes(sdp.attributes);
  for (const MediaDescription& m : sdp.media) WriteMedia(m, w);
  return w.Take();
}

}  // namespace tessera::sip
