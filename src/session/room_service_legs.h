// A participant's legs, created but not yet in the room nor started (RoomService::CreateLegs).
#pragma once

#include <tessera/mixer/frame_mailbox.h>
#include <tessera/session/room_service.h>

#include <memory>

#include "session/audio_leg.h"
#include "session/video_leg.h"

namespace tessera::session {

struct RoomService::NewLegs {
  std::unique_ptr<AudioLeg> audio;
  std::unique_ptr<VideoLeg> video;
  std::shared_ptr<mixer::FrameMailbox> mailbox;  // its decoded pictures; null: none
  RoomMember member;
};

}  // namespace tessera::session
