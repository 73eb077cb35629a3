// The API's objects (docs/openapi.json: Room, RoomSummary, Participant) built from what the
// RoomDirectory answers. Pure functions; the live stats arrive as JSON texts and are parsed here.
#pragma once

#include <tessera/session/config.h>
#include <tessera/session/room_directory.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tessera::control {

// "2026-12-06T10:00:00Z".
std::string Iso8601(std::chrono::system_clock::time_point t);

// A JSON text parsed; nullopt when it is not JSON (never throws).
std::optional<nlohmann::json> ParseJsonText(const std::string& text);

// The live summary objects of one room (RoomDirectory::RoomStats): the audio room's and, for a
// room with video, the video room's (the one whose "media" is "video").
struct LiveRoomStats {
  nlohmann::json audio;  // null when unknown
  nlohmann::json video;  // null when the room has no video or it is unknown
};
LiveRoomStats SplitRoomStats(const std::vector<std::string>& texts);

// Participant: {"id","name","joined","joined_at","admitted","muted","deaf"} plus "audio_port" and
// "audio" (its leg's live summary) when it has audio, "video_port" and "video" when it has video.
nlohmann::json ParticipantJson(const session::RoomMember& member);

// Room: {"name","max_speakers","max_participants","sip":{"numbers","pin_set"},"video",
// "participants","stats":{"audio","video"}}. The video layout is the live one when the stats
// have it, else the configured one. Never the PIN.
nlohmann::json RoomJson(const session::RoomConfig& room,
                        const std::vector<session::RoomMember>& members,
                        const LiveRoomStats& stats);

// RoomSummary: {"name","participants","video","layout","sip_numbers"}; `layout` null without
// video.
nlohmann::json RoomSummaryJson(const session::RoomConfig& room, size_t participants,
                               const std::string& live_layout);

}  // namespace tessera::control
