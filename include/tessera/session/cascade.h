// Cascading: one room spread over several nodes (docs/architecture.md, "Cascading"). The rooms
// and the link participants each end is made of, as plain configs for RoomDirectory.
#pragma once

#include <tessera/session/config.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tessera::session {

// The name of a share's uplink (on the share node), and of the primary's link to the share on
// node `node`.
inline constexpr const char* kUplinkName = "cascade-up";
std::string LinkName(const std::string& node);

// This node's share of `room` (as created on its primary `primary`): no participants, SIP
// numbers or recording of its own; its first profile, "cascade", is the sub-canvas it sends
// the primary (the size and codec of the room's first profile, at three times its bitrate, up
// to 8 Mbit/s: decoded and scaled again there), composed as a grid without borders, names or
// speaker frame, cropped to fill each cell; the room's own profiles follow (their names are what
// its participants ask for; they receive the primary's composite of the first).
RoomConfig ShareRoom(const RoomConfig& room, const std::string& primary);

// The share's uplink: Opus audio, and video in the room's codec both ways (it sends the primary
// the sub-canvas, the primary sends it the composite, forwarded here). It sends nowhere until
// the primary's link is known (RoomDirectory::UpdateRemote).
RoomParticipantConfig UplinkParticipant(const RoomConfig& share);

// On the primary: its link to the share on `node`, whose uplink takes media at
// address:audio_port / video_port. It receives the room's first profile.
RoomParticipantConfig LinkParticipant(const RoomConfig& room, const std::string& node,
                                      const std::string& address, uint16_t audio_port,
                                      uint16_t video_port);

// A share's cells as its Redis entry carries them: {"width", "height", "cells": [{"name", "x",
// "y", "width", "height"}]}.
nlohmann::json CascadeLayoutJson(const CascadeLayout& layout);
// The other way, from another node's entry: only what makes sense is kept (a canvas of at most
// 7680x4320, cells with a string name of 1..64 bytes lying inside it, at most
// kMaxCascadeCells); anything else gives an empty layout or leaves the cell out.
CascadeLayout CascadeLayoutFromJson(const nlohmann::json& j);
inline constexpr size_t kMaxCascadeCells = 255;

}  // namespace tessera::session
