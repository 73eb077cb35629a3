#include "webrtc/browser_sdp_codecs.h"

#include <tessera/webrtc/h264_profile_level_id.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "webrtc/browser_sdp_text.h"

namespace tessera::webrtc::browser_sdp {
namespace {

using sdp_text::EqualsIgnoreCase;
using sdp_text::FmtpIs;
using sdp_text::FmtpValue;
using sdp_text::ParseNumber;

// One format of an m= line: its rtpmap, else the RFC 3551 static assignment.
struct Format {
  uint8_t payload_type = 0;
  std::string_view encoding;  // Empty for an unknown dynamic payload type.
  std::optional<rtp::Codec> codec;
  uint32_t clock_rate = 0;
  uint32_t channels = 0;
  std::string_view fmtp;
};

std::optional<Format> Identify(const sip::MediaDescription& m, const std::string& token) {
  auto pt = ParseNumber<uint32_t>(token);
  if (!pt || *pt > 127) return std::nullopt;
  Format f;
  f.payload_type = static_cast<uint8_t>(*pt);
  if (const sip::SdpRtpMap* map = m.FindRtpMap(f.payload_type)) {
    f.encoding = map->encoding;
    f.clock_rate = map->clock_rate;
    f.channels = map->channels;
    f.codec = rtp::CodecFromName(map->encoding);
  } else if (f.payload_type == 0 || f.payload_type == 8 || f.payload_type == 9) {
    f.codec = f.payload_type == 0   ? rtp::Codec::kPcmu
              : f.payload_type == 8 ? rtp::Codec::kPcma
                                    : rtp::Codec::kG722;
    f.encoding = rtp::CodecName(*f.codec);
    f.clock_rate = 8000;
  }
  if (const sip::SdpFmtp* fmtp = m.FindFmtp(f.payload_type)) f.fmtp = fmtp->parameters;
  return f;
}

// Formats that only help another one (retransmission, redundancy, FEC, comfort noise, DTMF).
bool IsHelperFormat(std::string_view encoding) {
  for (std::string_view helper : {"rtx", "red", "ulpfec", "flexfec-03", "CN", "telephone-event"}) {
    if (EqualsIgnoreCase(encoding, helper)) return true;
  }
  return false;
}

// A format candidate for one codec; the lowest rank wins, ties go to the offer's order.
struct Candidate {
  int rank = 0;
  CodecChoice choice;
};

std::optional<Candidate> H264Candidate(const Format& f, const AnswerParams& params) {
  uint8_t mode = 0;  // RFC 6184: absent means single NAL unit mode.
  if (auto value = FmtpValue(f.fmtp, "packetization-mode")) {
    auto number = ParseNumber<uint8_t>(*value);
    if (!number || *number > 1) return std::nullopt;  // Mode 2 (interleaved): never.
    mode = *number;
  }
  // Without profile-level-id RFC 6184 means baseline level 1; like libwebrtc, take constrained
  // baseline level 3.1, which is what browsers that omit it decode.
  H264ProfileLevelId id;
  if (auto text = FmtpValue(f.fmtp, "profile-level-id")) {
    auto parsed = ParseH264ProfileLevelId(*text);
    if (!parsed) return std::nullopt;
    id = *parsed;
  }
  const bool asymmetry = FmtpIs(f.fmtp, "level-asymmetry-allowed", "1");
  const bool constrained = id.profile == H264Profile::kConstrainedBaseline;
  Candidate c;
  uint8_t level = 0;
  if (params.kind == BrowserSessionKind::kView) {
    // The room sends constrained baseline, which both of these decoders take.
    if (!constrained && id.profile != H264Profile::kBaseline) return std::nullopt;
    if (!H264LevelAtLeast(id.level_idc, params.h264_send_level_idc)) return std::nullopt;
    if (mode == 0 && !params.h264_single_nal) return std::nullopt;
    c.rank = (mode == 1 ? 0 : 2) + (constrained ? 0 : 1);
    level = params.h264_send_level_idc;
  } else {
    switch (id.profile) {
      case H264Profile::kConstrainedBaseline:
      case H264Profile::kBaseline:
      case H264Profile::kMain:
      case H264Profile::kHigh:
      case H264Profile::kConstrainedHigh:
        break;
      default:
        return std::nullopt;
    }
    c.rank = mode == 1 ? 0 : 1;
    level = params.h264_receive_level_idc;
    // RFC 6184 section 8.2.2: without level asymmetry both directions use the lower level.
    if (!asymmetry && !H264LevelAtLeast(id.level_idc, level)) level = id.level_idc;
  }
  // The answer keeps the offer's profile (RFC 6184 section 8.2.2) with our level.
  H264ProfileLevelId ours = id;
  ours.level_idc = level;
  c.choice.h264_packetization_mode = mode;
  c.choice.answer_fmtp = "level-asymmetry-allowed=1;packetization-mode=";
  c.choice.answer_fmtp += static_cast<char>('0' + mode);
  c.choice.answer_fmtp += ";profile-level-id=";
  c.choice.answer_fmtp += H264ProfileLevelIdText(ours);
  return c;
}

// The rank and answer fmtp of `f` as `codec`, or nullopt when we cannot take it.
std::optional<Candidate> Evaluate(const Format& f, rtp::Codec codec, const AnswerParams& params) {
  if (f.codec != codec || f.clock_rate != rtp::RtpClockRate(codec)) return std::nullopt;
  Candidate c;
  switch (codec) {
    case rtp::Codec::kOpus: {
      if (f.channels > 2) return std::nullopt;
      c.choice.answer_fmtp = "minptime=10;useinbandfec=1";
      if (FmtpIs(f.fmtp, "usedtx", "1")) c.choice.answer_fmtp += ";usedtx=1";
      break;
    }
    case rtp::Codec::kPcmu:
    case rtp::Codec::kPcma:
    case rtp::Codec::kG722:
      if (f.channels > 1) return std::nullopt;
      break;
    case rtp::Codec::kVp8:
      break;
    case rtp::Codec::kVp9: {
      // Profile 0 (8-bit 4:2:0) only: the profile is both directions' (RFC 9628 section 6).
      auto profile = FmtpValue(f.fmtp, "profile-id");
      if (profile && *profile != "0") return std::nullopt;
      c.choice.answer_fmtp = "profile-id=0";
      break;
    }
    case rtp::Codec::kAv1: {
      // Main profile only; the offer's level and tier are kept (RTP payload format for AV1 7.2).
      auto profile = FmtpValue(f.fmtp, "profile");
      if (profile && *profile != "0") return std::nullopt;
      auto level = FmtpValue(f.fmtp, "level-idx");
      auto tier = FmtpValue(f.fmtp, "tier");
      const bool level_ok = level && ParseNumber<uint8_t>(*level).has_value();
      const bool tier_ok = tier && (*tier == "0" || *tier == "1");
      c.choice.answer_fmtp = "level-idx=" + std::string(level_ok ? *level : "5") +
                             ";profile=0;tier=" + std::string(tier_ok ? *tier : "0");
      break;
    }
    case rtp::Codec::kH264: {
      auto h264 = H264Candidate(f, params);
      if (!h264) return std::nullopt;
      c = std::move(*h264);
      break;
    }
  }
  c.choice.codec = codec;
  c.choice.payload_type = f.payload_type;
  c.choice.clock_rate = f.clock_rate;
  c.choice.channels = codec == rtp::Codec::kOpus ? 2 : 1;
  c.choice.offer_fmtp = std::string(f.fmtp);
  return c;
}

std::optional<CodecChoice> BestFormat(const sip::MediaDescription& m, rtp::Codec codec,
                                      const AnswerParams& params) {
  std::optional<Candidate> best;
  for (const std::string& token : m.formats) {
    auto f = Identify(m, token);
    if (!f) continue;
    auto c = Evaluate(*f, codec, params);
    if (c && (!best || c->rank < best->rank)) best = std::move(c);
  }
  if (!best) return std::nullopt;
  return std::move(best->choice);
}

// The offer's RTX format for `choice` (RFC 4588: rtx/<clock rate> with apt=<payload type>).
void FindRtx(const sip::MediaDescription& m, CodecChoice& choice) {
  for (const std::string& token : m.formats) {
    auto f = Identify(m, token);
    if (!f || !EqualsIgnoreCase(f->encoding, "rtx") || f->clock_rate != choice.clock_rate) continue;
    auto apt = FmtpValue(f->fmtp, "apt");
    if (!apt || ParseNumber<uint32_t>(*apt) != choice.payload_type) continue;
    choice.rtx_payload_type = f->payload_type;
    if (auto time = FmtpValue(f->fmtp, "rtx-time"))
      choice.rtx_time_ms = ParseNumber<uint32_t>(*time);
    return;
  }
}

std::string JoinAlternatives(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

// What Tessera serves of `kind`, for the end of a "no codec in common" message.
std::string DescribeServed(rtp::MediaKind kind, const AnswerParams& params) {
  const bool view = params.kind == BrowserSessionKind::kView;
  std::vector<std::string> items;
  for (rtp::Codec codec :
       kind == rtp::MediaKind::kAudio ? params.audio_codecs : params.video_codecs) {
    if (rtp::KindOf(codec) != kind) continue;
    std::string item = rtp::CodecName(codec);
    if (codec == rtp::Codec::kH264 && view) {
      item += " (constrained baseline level " + H264LevelName(params.h264_send_level_idc) +
              (params.h264_single_nal ? ", packetization-mode 0 or 1)" : ", packetization-mode 1)");
    } else if (codec == rtp::Codec::kH264) {
      item += " (constrained baseline, baseline, main or high profile, packetization-mode 0 or 1)";
    } else if (codec == rtp::Codec::kVp9 || codec == rtp::Codec::kAv1) {
      item += " (profile 0)";
    }
    items.push_back(std::move(item));
  }
  return (view ? "this room sends " : "Tessera takes ") + JoinAlternatives(items);
}

}  // namespace

StatusOr<CodecChoice> ChooseCodec(const sip::MediaDescription& m, rtp::MediaKind kind,
                                  const AnswerParams& params, bool with_rtx) {
  const auto& ours = kind == rtp::MediaKind::kAudio ? params.audio_codecs : params.video_codecs;
  for (rtp::Codec codec : ours) {
    if (rtp::KindOf(codec) != kind) continue;
    if (auto choice = BestFormat(m, codec, params)) {
      if (with_rtx && kind == rtp::MediaKind::kVideo) FindRtx(m, *choice);
      return std::move(*choice);
    }
  }
  std::string message = kind == rtp::MediaKind::kAudio ? "audio" : "video";
  message += ": offer has ";
  message += DescribeOfferCodecs(m);
  message += "; ";
  message += DescribeServed(kind, params);
  return FailedPreconditionError(std::move(message));
}

void AddCodec(const CodecChoice& choice, sip::MediaDescription& answer) {
  answer.formats.push_back(std::to_string(choice.payload_type));
  answer.rtpmaps.push_back(sip::SdpRtpMap{choice.payload_type, rtp::CodecName(choice.codec),
                                          choice.clock_rate,
                                          choice.codec == rtp::Codec::kOpus ? 2u : 0u});
  if (!choice.answer_fmtp.empty()) {
    answer.fmtps.push_back(sip::SdpFmtp{choice.payload_type, choice.answer_fmtp});
  }
  if (!choice.rtx_payload_type) return;
  const uint8_t rtx = *choice.rtx_payload_type;
  answer.formats.push_back(std::to_string(rtx));
  answer.rtpmaps.push_back(sip::SdpRtpMap{rtx, "rtx", choice.clock_rate, 0});
  std::string fmtp = "apt=" + std::to_string(choice.payload_type);
  if (choice.rtx_time_ms) fmtp += ";rtx-time=" + std::to_string(*choice.rtx_time_ms);
  answer.fmtps.push_back(sip::SdpFmtp{rtx, std::move(fmtp)});
}

}  // namespace tessera::webrtc::browser_sdp

namespace tessera::webrtc {

std::string DescribeOfferCodecs(const sip::MediaDescription& m) {
  constexpr size_t kMaxNames = 12;
  constexpr size_t kMaxDetails = 8;
  struct Entry {
    std::string name;
    std::vector<std::string> details;
  };
  std::vector<Entry> entries;
  size_t more = 0;
  for (const std::string& token : m.formats) {
    auto f = browser_sdp::Identify(m, token);
    if (!f || browser_sdp::IsHelperFormat(f->encoding)) continue;
    std::string name = f->encoding.empty() ? "payload type " + std::to_string(f->payload_type)
                                           : sdp_text::Printable(f->encoding);
    std::string detail;
    if (f->codec == rtp::Codec::kH264) {
      auto id = sdp_text::FmtpValue(f->fmtp, "profile-level-id");
      auto mode = sdp_text::FmtpValue(f->fmtp, "packetization-mode");
      detail = (id ? sdp_text::Printable(*id) : std::string("none")) + " mode " +
               (mode ? sdp_text::Printable(*mode) : std::string("0"));
    } else if (f->codec == rtp::Codec::kVp9 || f->codec == rtp::Codec::kAv1) {
      auto profile =
          sdp_text::FmtpValue(f->fmtp, f->codec == rtp::Codec::kVp9 ? "profile-id" : "profile");
      detail = profile ? sdp_text::Printable(*profile) : std::string("0");
    }
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return sdp_text::EqualsIgnoreCase(e.name, name);
    });
    if (it == entries.end()) {
      if (entries.size() == kMaxNames) {
        ++more;
        continue;
      }
      entries.push_back(Entry{std::move(name), {}});
      it = entries.end() - 1;
    }
    if (!detail.empty() && it->details.size() < kMaxDetails &&
        std::find(it->details.begin(), it->details.end(), detail) == it->details.end()) {
      it->details.push_back(std::move(detail));
    }
  }
  if (entries.empty()) return "no codec";
  std::string out;
  for (const Entry& e : entries) {
    if (!out.empty()) out += ", ";
    out += e.name;
    for (size_t i = 0; i < e.details.size(); ++i) {
      out += i == 0 ? " (profile " : ", ";
      out += e.details[i];
    }
    if (!e.details.empty()) out += ')';
  }
  if (more) out += " and " + std::to_string(more) + " more";
  return out;
}

}  // namespace tessera::webrtc
