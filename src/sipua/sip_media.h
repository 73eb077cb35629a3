// Between SIP offer/answer and the room: what a room can do for a SIP leg, and the room
// participant (and re-INVITE update) a negotiated session becomes. Pure: no I/O.
#pragma once

#include <tessera/base/status.h>
#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>
#include <tessera/sip/sdp_negotiation.h>
#include <tessera/sipua/config.h>

#include <string>

namespace tessera::sipua {

using session::RemoteUpdate;
using session::RoomConfig;
using session::RoomParticipantConfig;
using session::RoomParticipantVideoConfig;
using session::RoomVideoConfig;
using session::SrtpConfig;
using session::VideoProfile;

// The room's capabilities for one leg with local ports `audio_port`/`video_port`: video only in a
// room with video, and only in the codecs of its profiles (the leg receives one of them).
sip::LocalMediaCapabilities RoomCapabilities(const RoomConfig& room, const SipConfig& sip,
                                             const std::string& media_address, uint16_t audio_port,
                                             uint16_t video_port);

// The room profile a receiver gets: the largest of `codec` (pixels x frame rate) that fits its
// limits, else the smallest of that codec; with single_nal (an H.264 packetization-mode 0
// receiver) only single_nal profiles count. Empty if the room has none.
std::string PickProfile(const RoomVideoConfig& video, rtp::Codec codec,
                        const sip::VideoLimits& limits, bool single_nal = false);

// A SIP leg as a room participant: what it is (as a config would say it) and what its SDP
// negotiated beyond that (telephone-event, keyframe feedback, per-stream SRTP keys).
struct SipParticipant {
  RoomParticipantConfig config;
  session::JoinOptions options;
};

// The participant a negotiated session joins as (ports pre-allocated by the SIP service).
// InvalidArgument when the session carries neither audio nor video.
StatusOr<SipParticipant> ParticipantFor(const RoomConfig& room,
                                        const sip::NegotiatedSession& session, std::string name,
                                        uint16_t audio_port, uint16_t video_port);

// The G.722 PCM convention of a call whose signalling peer is `peer_host` (the INVITE's source,
// or the next hop a dial-out went to): that of the first trunk whose networks hold it, else
// sip.g722_pcm. Only G.722 calls use it.
codec::G722Pcm G722PcmFor(const SipConfig& sip, const std::string& peer_host);
// The consent the caller's trunk asserts; unknown outside every trunk.
session::Consent ConsentFor(const SipConfig& sip, const std::string& peer_host);

// Where its media goes after a new offer/answer: the peer's address, or 0.0.0.0 while the peer
// holds the call (RFC 3264 8.4), and its ports.
RemoteUpdate RemoteFor(const sip::NegotiatedSession& session);

// A SIP participant's name from a From display name or user part: only the characters room
// participant names allow; "caller" when nothing is left.
std::string ParticipantNameFrom(const std::string& display_name, const std::string& user);

}  // namespace tessera::sipua
