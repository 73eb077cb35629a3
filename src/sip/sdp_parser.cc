#include <tessera/sip/sdp.h>
#include <tessera/sip/sdp_text.h>

#include <charconv>
#include <string>

namespace tessera::sip {
namespace {

using sdp_text::NextToken;
using sdp_text::ParseNumber;
using sdp_text::Trim;

std::optional<SdpDirection> DirectionFromName(std::string_view name) {
  if (name == "sendrecv") return SdpDirection::kSendRecv;
  if (name == "sendonly") return SdpDirection::kSendOnly;
  if (name == "recvonly") return SdpDirection::kRecvOnly;
  if (name == "inactive") return SdpDirection::kInactive;
  return std::nullopt;
}

// "<nettype> <addrtype> <address>" and nothing after it.
std::optional<SdpConnection> ParseConnection(std::string_view rest) {
  SdpConnection c;
  c.nettype = std::string(NextToken(rest));
  c.addrtype = std::string(NextToken(rest));
  c.address = std::string(NextToken(rest));
  if (c.address.empty() || !Trim(rest).empty()) return std::nullopt;
  return c;
}

std::optional<SdpOrigin> ParseOrigin(std::string_view rest) {
  SdpOrigin o;
  o.username = std::string(NextToken(rest));
  o.session_id = std::string(NextToken(rest));
  auto version = ParseNumber<uint64_t>(NextToken(rest));
  auto connection = ParseConnection(rest);
  if (o.session_id.empty() || !version || !connection) return std::nullopt;
  o.session_version = *version;
  o.connection = std::move(*connection);
  return o;
}

std::optional<SdpBandwidth> ParseBandwidth(std::string_view value) {
  const size_t colon = value.find(':');
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  auto number = ParseNumber<uint64_t>(value.substr(colon + 1));
  if (!number) return std::nullopt;
  return SdpBandwidth{std::string(value.substr(0, colon)), *number};
}

std::optional<uint8_t> ParsePayloadType(std::string_view token) {
  auto pt = ParseNumber<uint32_t>(token);
  if (!pt || *pt > 127) return std::nullopt;
  return static_cast<uint8_t>(*pt);
}

// "<pt> <encoding>/<clock rate>[/<channels>]"
std::optional<SdpRtpMap> ParseRtpMap(std::string_view value) {
  SdpRtpMap map;
  auto pt = ParsePayloadType(NextToken(value));
  std::string_view codec = NextToken(value);
  if (!pt || codec.empty() || !Trim(value).empty()) return std::nullopt;
  map.payload_type = *pt;
  const size_t slash = codec.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  map.encoding = std::string(codec.substr(0, slash));
  std::string_view numbers = codec.substr(slash + 1);
  const size_t slash2 = numbers.find('/');
  auto rate = ParseNumber<uint32_t>(numbers.substr(0, slash2));
  if (!rate) return std::nullopt;
  map.clock_rate = *rate;
  if (slash2 != std::string_view::npos) {
    auto channels = ParseNumber<uint32_t>(numbers.substr(slash2 + 1));
    if (!channels || *channels == 0) return std::nullopt;
    map.channels = *channels;
  }
  return map;
}

std::optional<SdpFmtp> ParseFmtp(std::string_view value) {
  auto pt = ParsePayloadType(NextToken(value));
  if (!pt) return std::nullopt;
  return SdpFmtp{*pt, std::string(Trim(value))};
}

std::optional<SdpRtcpFb> ParseRtcpFb(std::string_view value) {
  SdpRtcpFb fb;
  std::string_view pt = NextToken(value);
  if (pt != "*") {
    auto number = ParsePayloadType(pt);
    if (!number) return std::nullopt;
    fb.payload_type = *number;
  }
  fb.type = std::string(NextToken(value));
  if (fb.type.empty()) return std::nullopt;
  for (std::string_view t = NextToken(value); !t.empty(); t = NextToken(value)) {
    if (!fb.parameter.empty()) fb.parameter += ' ';
    fb.parameter += t;
  }
  return fb;
}

std::optional<SdpRtcp> ParseRtcp(std::string_view value) {
  SdpRtcp rtcp;
  auto port = ParseNumber<uint16_t>(NextToken(value));
  if (!port) return std::nullopt;
  rtcp.port = *port;
  if (!Trim(value).empty()) {
    rtcp.connection = ParseConnection(value);
    if (!rtcp.connection) return std::nullopt;
  }
  return rtcp;
}

std::optional<SdpExtmap> ParseExtmap(std::string_view value) {
  SdpExtmap ext;
  std::string_view id = NextToken(value);
  const size_t slash = id.find('/');
  auto number = ParseNumber<uint16_t>(id.substr(0, slash));
  if (!number) return std::nullopt;
  ext.id = *number;
  if (slash != std::string_view::npos) {
    ext.direction = DirectionFromName(id.substr(slash + 1));
    if (!ext.direction) return std::nullopt;
  }
  ext.uri = std::string(NextToken(value));
  if (ext.uri.empty()) return std::nullopt;
  ext.attributes = std::string(Trim(value));
  return ext;
}

// "<media> <port>[/<count>] <proto> <fmt> ..."
Status ParseMediaLine(std::string_view rest, const ParseLimits& limits, MediaDescription& m) {
  m.media = std::string(NextToken(rest));
  std::string_view port = NextToken(rest);
  m.proto = std::string(NextToken(rest));
  if (m.media.empty() || m.proto.empty()) return InvalidArgumentError("bad m= line");
  const size_t slash = port.find('/');
  auto number = ParseNumber<uint16_t>(port.substr(0, slash));
  if (!number) return InvalidArgumentError("bad port in m= line");
  m.port = *number;
  if (slash != std::string_view::npos) {
    auto count = ParseNumber<uint16_t>(port.substr(slash + 1));
    if (!count || *count == 0) return InvalidArgumentError("bad port count in m= line");
    m.port_count = *count;
  }
  for (std::string_view f = NextToken(rest); !f.empty(); f = NextToken(rest)) {
    if (m.formats.size() == limits.max_sdp_formats) {
      return ResourceExhaustedError("too many formats in m= line");
    }
    if (m.IsRtp() && !ParsePayloadType(f)) return InvalidArgumentError("bad payload type");
    m.formats.emplace_back(f);
  }
  if (m.formats.empty()) return InvalidArgumentError("m= line without formats");
  return Status::Ok();
}

// One a= line of a media section.
Status ParseMediaAttribute(std::string_view name, std::optional<std::string_view> value,
                           MediaDescription& m) {
  if (!value) {
    if (auto direction = DirectionFromName(name)) {
      m.direction = direction;
      return Status::Ok();
    }
    if (name == "rtcp-mux") {
      m.rtcp_mux = true;
      return Status::Ok();
    }
  } else if (name == "rtpmap") {
    auto map = ParseRtpMap(*value);
    if (!map) return InvalidArgumentError("bad a=rtpmap");
    m.rtpmaps.push_back(std::move(*map));
    return Status::Ok();
  } else if (name == "fmtp") {
    auto fmtp = ParseFmtp(*value);
    if (!fmtp) return InvalidArgumentError("bad a=fmtp");
    m.fmtps.push_back(std::move(*fmtp));
    return Status::Ok();
  } else if (name == "rtcp-fb") {
    auto fb = ParseRtcpFb(*value);
    if (!fb) return InvalidArgumentError("bad a=rtcp-fb");
    m.rtcp_fbs.push_back(std::move(*fb));
    return Status::Ok();
  } else if (name == "rtcp") {
    auto rtcp = ParseRtcp(*value);
    if (!rtcp) return InvalidArgumentError("bad a=rtcp");
    m.rtcp = std::move(*rtcp);
    return Status::Ok();
  } else if (name == "extmap") {
    auto ext = ParseExtmap(*value);
    if (!ext) return InvalidArgumentError("bad a=extmap");
    m.extmaps.push_back(std::move(*ext));
    return Status::Ok();
  } else if (name == "crypto") {
    m.crypto.emplace_back(*value);
    return Status::Ok();
  } else if (name == "ptime" || name == "maxptime") {
    // Advisory: a value that is not a whole number of ms ("20.0") is kept as an unknown attribute.
    if (auto ms = ParseNumber<uint32_t>(*value)) {
      (name == "ptime" ? m.ptime_ms : m.maxptime_ms) = *ms;
      return Status::Ok();
    }
  }
  m.attributes.push_back(
      SdpAttribute{std::string(name), value ? std::optional<std::string>(*value) : std::nullopt});
  return Status::Ok();
}

void ParseSessionAttribute(std::string_view name, std::optional<std::string_view> value,
                           SessionDescription& sdp) {
  if (!value) {
    if (auto direction = DirectionFromName(name)) {
      sdp.direction = direction;
      return;
    }
  }
  sdp.attributes.push_back(
      SdpAttribute{std::string(name), value ? std::optional<std::string>(*value) : std::nullopt});
}

class Parser {
 public:
  explicit Parser(const ParseLimits& limits) : limits_(limits) {}

  Status Line(char type, std::string_view value) {
    if (!seen_version_) {
      if (type != 'v') return InvalidArgumentError("v= must come first");
      if (value != "0") return InvalidArgumentError("unsupported SDP version");
      seen_version_ = true;
      return Status::Ok();
    }
    MediaDescription* m = sdp_.media.empty() ? nullptr : &sdp_.media.back();
    switch (type) {
      case 'v':
        return InvalidArgumentError("duplicate v=");
      case 'o': {
        if (m || seen_origin_) return InvalidArgumentError("misplaced o=");
        auto origin = ParseOrigin(value);
        if (!origin) return InvalidArgumentError("bad o= line");
        sdp_.origin = std::move(*origin);
        seen_origin_ = true;
        return Status::Ok();
      }
      case 's':
        if (m) return InvalidArgumentError("s= inside a media section");
        sdp_.session_name = value.empty() ? "-" : std::string(value);
        return Status::Ok();
      case 't':
        if (m) return InvalidArgumentError("t= inside a media section");
        if (!seen_timing_) sdp_.timing = value.empty() ? "0 0" : std::string(value);
        seen_timing_ = true;
        return Status::Ok();
      case 'c': {
        auto c = ParseConnection(value);
        if (!c) return InvalidArgumentError("bad c= line");
        (m ? m->connection : sdp_.connection) = std::move(*c);
        return Status::Ok();
      }
      case 'b': {
        auto b = ParseBandwidth(value);
        if (!b) return InvalidArgumentError("bad b= line");
        (m ? m->bandwidths : sdp_.bandwidths).push_back(std::move(*b));
        return Status::Ok();
      }
      case 'm': {
        if (sdp_.media.size() == limits_.max_sdp_media) {
          return ResourceExhaustedError("too many m= lines");
        }
        sdp_.media.emplace_back();
        return ParseMediaLine(value, limits_, sdp_.media.back());
      }
      case 'a': {
        const size_t colon = value.find(':');
        std::string_view name = value.substr(0, colon);
        if (name.empty()) return InvalidArgumentError("bad a= line");
        std::optional<std::string_view> attr_value;
        if (colon != std::string_view::npos) attr_value = value.substr(colon + 1);
        if (m) return ParseMediaAttribute(name, attr_value, *m);
        ParseSessionAttribute(name, attr_value, sdp_);
        return Status::Ok();
      }
      case 'i':
      case 'u':
      case 'e':
      case 'p':
      case 'r':
      case 'z':
      case 'k':
        return Status::Ok();
      default:
        return InvalidArgumentError(std::string("unknown line type '") + type + "'");
    }
  }

  StatusOr<SessionDescription> Finish() {
    if (!seen_version_) return InvalidArgumentError("empty SDP");
    if (!seen_origin_) return InvalidArgumentError("missing o= line");
    return std::move(sdp_);
  }

 private:
  const ParseLimits& limits_;
  SessionDescription sdp_;
  bool seen_version_ = false;
  bool seen_origin_ = false;
  bool seen_timing_ = false;
};

bool HasControlCharacter(std::string_view line) {
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

StatusOr<SessionDescription> ParseSdp(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_body_bytes) return ResourceExhaustedError("SDP body too large");
  Parser parser(limits);
  size_t line_number = 0;
  size_t lines = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.empty()) continue;
    auto error = [&](Status s) {
      return Status(s.code(), "line " + std::to_string(line_number) + ": " + s.message());
    };
    if (++lines > limits.max_sdp_lines) return error(ResourceExhaustedError("too many lines"));
    if (line.size() > limits.max_line_bytes) return error(ResourceExhaustedError("line too long"));
    if (HasControlCharacter(line)) return error(InvalidArgumentError("control character"));
    if (line.size() < 2 || line[1] != '=') return error(InvalidArgumentError("not <type>=<value>"));
    Status s = parser.Line(line[0], line.substr(2));
    if (!s.ok()) return error(std::move(s));
  }
  return parser.Finish();
}

}  // namespace tessera::sip
