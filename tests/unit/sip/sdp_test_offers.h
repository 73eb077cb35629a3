// SDP offers in the style of real endpoints, written by hand for the SDP tests. Each is also a seed
// of the sdp fuzzer (tests/fuzz/sdp_seeds.py extracts every R"sdp(...)sdp" literal of this file).
// Line endings are LF here; the parser accepts LF and CRLF alike.
#pragma once

namespace tessera::sip::test_offers {

// A Polycom/Cisco-style room system: RTP/AVP, Siren (G.722.1) first, G.722, H.264 in packetization
// modes 0 and 1 and H.263, FIR/TMMBR feedback without AVPF, an H.224 far-end camera control line.
inline constexpr char kRoomSystem[] = R"sdp(v=0
o=- 1700000000 1700000000 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
b=AS:2048
t=0 0
m=audio 2230 RTP/AVP 115 102 9 0 8 101
a=rtpmap:115 G7221/32000
a=fmtp:115 bitrate=48000
a=rtpmap:102 G7221/16000
a=fmtp:102 bitrate=32000
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
m=video 2232 RTP/AVP 109 110 34
b=AS:1920
a=rtpmap:109 H264/90000
a=fmtp:109 profile-level-id=428016; packetization-mode=0; max-mbps=245000; max-fs=8160
a=rtpmap:110 H264/90000
a=fmtp:110 profile-level-id=428016;packetization-mode=1;max-mbps=245000;max-fs=8160
a=rtpmap:34 H263/90000
a=fmtp:34 CIF=1;QCIF=1
a=rtcp-fb:* ccm fir
a=rtcp-fb:* ccm tmmbr
a=sendrecv
m=application 2234 RTP/AVP 100
a=rtpmap:100 H224/4800
a=sendrecv
)sdp";

// A Cisco CUCM-style SRTP offer: RTP/SAVP, a 256-bit GCM line Tessera does not know first, Opus,
// H.264 with level asymmetry and b=TIAS.
inline constexpr char kCiscoSrtp[] = R"sdp(v=0
o=CiscoSystemsCCM-SIP 2000 1 IN IP4 198.51.100.5
s=SIP Call
c=IN IP4 198.51.100.20
b=TIAS:6000000
b=AS:6000
t=0 0
m=audio 24580 RTP/SAVP 114 9 0 8 101
b=TIAS:64000
a=rtpmap:114 opus/48000/2
a=fmtp:114 maxplaybackrate=16000;sprop-maxcapturerate=16000;maxaveragebitrate=64000;usedtx=0
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=crypto:0 AEAD_AES_256_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKyw=
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk|2^31
m=video 24582 RTP/SAVP 126 97
b=TIAS:6000000
a=rtpmap:126 H264/90000
a=fmtp:126 profile-level-id=42E01F;packetization-mode=1;level-asymmetry-allowed=1;max-mbps=245000;max-fs=8160
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42E01F;packetization-mode=0;max-mbps=245000;max-fs=8160
a=rtcp-fb:* nack pli
a=rtcp-fb:* ccm fir
a=rtcp-fb:* ccm tmmbr
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB|2^31
a=content:main
a=label:11
a=sendrecv
)sdp";

// A Yealink-style desk phone: audio only, G.729 it will not get.
inline constexpr char kYealinkAudio[] = R"sdp(v=0
o=- 20096 20096 IN IP4 10.0.0.55
s=SDP data
c=IN IP4 10.0.0.55
t=0 0
m=audio 11796 RTP/AVP 0 8 9 18 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:9 G722/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=fmtp:101 0-15
a=rtpmap:101 telephone-event/8000
a=ptime:20
a=sendrecv
)sdp";

// A browser's offer (DTLS-SRTP, ICE, BUNDLE): Tessera does not do DTLS; WebRTC goes via a gateway.
inline constexpr char kWebRtc[] = R"sdp(v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:EsAw
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y
a=ice-options:trickle
a=fingerprint:sha-256 DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=mid:1
a=extmap:2/sendrecv http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=sendrecv
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 2231627014 632943048
)sdp";

// baresip with video over RTP/AVP and rtcp-mux: Opus, VP8 first, H.264 modes 0 and 1.
inline constexpr char kBaresipVideo[] = R"sdp(v=0
o=- 1853430347 2390823440 IN IP4 192.168.1.20
s=-
c=IN IP4 192.168.1.20
t=0 0
a=tool:baresip 3.10.1
m=audio 10014 RTP/AVP 116 9 0 8 101
b=AS:128
a=rtpmap:116 opus/48000/2
a=fmtp:116 stereo=1;sprop-stereo=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtcp-mux
a=sendrecv
a=label:1
m=video 10016 RTP/AVP 97 98 99
b=AS:1800
a=rtpmap:97 VP8/90000
a=fmtp:97 max-fs=3600;max-fr=30
a=rtpmap:98 H264/90000
a=fmtp:98 packetization-mode=0
a=rtpmap:99 H264/90000
a=fmtp:99 packetization-mode=1
a=rtcp-fb:* nack pli
a=rtcp-fb:* ccm fir
a=rtcp-mux
a=sendrecv
a=label:2
)sdp";

// A Linphone/Grandstream-style SDES offer: RTP/SAVP audio, two suites.
inline constexpr char kSdesAudio[] = R"sdp(v=0
o=linphone 3212 1024 IN IP4 192.0.2.77
s=Talk
c=IN IP4 192.0.2.77
t=0 0
m=audio 7078 RTP/SAVP 0 8 101
a=rtpmap:101 telephone-event/8000
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk
)sdp";

// Asterisk passing H.264 through: no fmtp, so packetization mode 0 and Baseline.
inline constexpr char kAsterisk[] = R"sdp(v=0
o=- 1429087563 1429087565 IN IP4 203.0.113.7
s=Asterisk
c=IN IP4 203.0.113.7
t=0 0
m=audio 18092 RTP/AVP 9 0 8 3 101
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:3 GSM/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:150
a=sendrecv
m=video 14484 RTP/AVP 99 34
a=rtpmap:99 H264/90000
a=rtpmap:34 H263/90000
a=sendrecv
)sdp";

// FreeSWITCH: Opus with telephone-event/48000, comfort noise, video over RTP/AVPF with per-format
// feedback and an explicit a=rtcp.
inline constexpr char kFreeSwitch[] = R"sdp(v=0
o=FreeSWITCH 1700000000 1700000001 IN IP4 203.0.113.8
s=FreeSWITCH
c=IN IP4 203.0.113.8
t=0 0
m=audio 27690 RTP/AVP 102 9 0 8 101 13
a=rtpmap:102 opus/48000/2
a=fmtp:102 useinbandfec=1; maxaveragebitrate=30000; maxplaybackrate=48000; ptime=20; minptime=10
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/48000
a=fmtp:101 0-16
a=rtpmap:13 CN/8000
a=ptime:20
m=video 22414 RTP/AVPF 96 97
b=AS:3072
a=rtpmap:96 VP8/90000
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42e01f;packetization-mode=1
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 goog-remb
a=rtcp-fb:97 ccm fir
a=rtcp:22415 IN IP4 203.0.113.8
a=sendrecv
)sdp";

// Old-style hold (RFC 2543): the Yealink re-offer with c=0.0.0.0.
inline constexpr char kHoldZeroAddress[] = R"sdp(v=0
o=- 20096 20097 IN IP4 10.0.0.55
s=SDP data
c=IN IP4 0.0.0.0
t=0 0
m=audio 11796 RTP/AVP 0 8 9 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=sendrecv
)sdp";

// Only codecs Tessera lacks: G.729 and H.263.
inline constexpr char kUnsupportedCodecs[] = R"sdp(v=0
o=- 1 1 IN IP4 192.0.2.30
s=-
c=IN IP4 192.0.2.30
t=0 0
m=audio 4000 RTP/AVP 18 4
a=rtpmap:18 G729/8000
a=rtpmap:4 G723/8000
m=video 4002 RTP/AVP 34
a=rtpmap:34 H263/90000
)sdp";

// A room system with a presentation (BFCP, second video), two audio lines and T.38.
inline constexpr char kManyStreams[] = R"sdp(v=0
o=- 7 7 IN IP6 2001:db8::10
s=-
c=IN IP6 2001:db8::10
t=0 0
m=audio 5000 RTP/AVP 0
m=audio 5002 RTP/AVP 8
m=video 5004 RTP/AVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=640028;packetization-mode=1
a=content:main
m=video 5006 RTP/AVP 96
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=42e01f;packetization-mode=1
a=content:slides
m=application 5008 TCP/BFCP *
a=floorctrl:c-only
m=image 5010 udptl t38
)sdp";

// Linphone with its OpenH264 plugin: H.264 with a profile-level-id and no packetization-mode (so
// mode 0, single NAL units only), then VP8; per-format PLI/FIR feedback under RTP/AVP.
inline constexpr char kLinphoneVideo[] = R"sdp(v=0
o=alice 2176 2871 IN IP4 192.0.2.44
s=Talk
c=IN IP4 192.0.2.44
t=0 0
m=audio 7078 RTP/AVP 96 0 8 101
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:101 telephone-event/8000
m=video 9078 RTP/AVP 97 98
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42801F
a=rtpmap:98 VP8/90000
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 ccm fir
a=rtcp-fb:98 nack pli
a=rtcp-fb:98 ccm fir
)sdp";

}  // namespace tessera::sip::test_offers
