#include <gtest/gtest.h>
#include <tessera/control/service.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/control/fake_directory.h"

namespace tessera::control {
namespace {

using testing::FakeDirectory;
using testing::FakeHooks;
using testing::FakeSip;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session::RoomConfig room;
    room.name = "main";
    room.max_speakers = 4;
    room.max_participants = 3;
    room.sip.numbers = {"100"};
    room.sip.pin = "2468";
    room.video.emplace();
    room.video->layout = "grid";
    room.video->profiles.push_back({});
    room.video->profiles.back().name = "hd";
    room.video->profiles.back().codec = rtp::Codec::kVp8;
    room.video->profiles.back().bitrate_bps = 2'000'000;
    mixer::CustomLayout stage;
    stage.name = "stage";
    room.video->layouts.push_back(stage);
    session::RoomParticipantConfig alice;
    alice.name = "alice";
    alice.video.emplace();
    room.participants.push_back(alice);
    session::RoomParticipantConfig bob;
    bob.name = "bob";
    room.participants.push_back(bob);
    rooms_.AddRoom(room);
    session::RoomConfig talk;
    talk.name = "talk";
    rooms_.AddRoom(talk);
  }

  FakeDirectory rooms_;
  FakeSip sip_;
  ControlService service_{rooms_, FakeHooks(&sip_)};
};

TEST_F(ServiceTest, ARoomIsItsConfigRosterAndLiveStatsWithoutThePin) {
  auto room = service_.GetRoom("main");
  ASSERT_TRUE(room.ok()) << room.status().ToString();
  nlohmann::json& j = *room;
  EXPECT_EQ(j["name"], "main");
  EXPECT_EQ(j["max_speakers"], 4);
  EXPECT_EQ(j["max_participants"], 3);
  EXPECT_EQ(j["sip"], (nlohmann::json{{"numbers", {"100"}}, {"pin_set", true}}));
  EXPECT_EQ(j.dump().find("2468"), std::string::npos);
  EXPECT_EQ(j["video"]["layout"], "grid");
  ASSERT_EQ(j["video"]["profiles"].size(), 1u);
  EXPECT_EQ(j["video"]["profiles"][0]["codec"], "VP8");
  EXPECT_EQ(j["video"]["profiles"][0]["bitrate_kbps"], 2000);
  ASSERT_EQ(j["participants"].size(), 2u);
  nlohmann::json& alice = j["participants"][0];
  EXPECT_EQ(alice["name"], "alice");
  EXPECT_EQ(alice["joined"], "config");
  EXPECT_EQ(alice["joined_at"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(alice["audio"]["codec"], "opus") << "the leg's stats are an object, not text";
  EXPECT_EQ(alice["video"]["codec"], "H264");
  EXPECT_FALSE(j["participants"][1].contains("video_port"));
  EXPECT_FALSE(j["participants"][1].contains("video"));
  EXPECT_EQ(j["stats"]["audio"]["ticks"], 7);
  EXPECT_EQ(j["stats"]["video"]["composes"], 3);

  auto talk = service_.GetRoom("talk");
  ASSERT_TRUE(talk.ok());
  EXPECT_TRUE((*talk)["video"].is_null());
  EXPECT_TRUE((*talk)["stats"]["video"].is_null());
  EXPECT_EQ((*talk)["sip"]["pin_set"], false);

  EXPECT_EQ(service_.GetRoom("nowhere").status().code(), StatusCode::kNotFound);
}

TEST_F(ServiceTest, TheRoomListSummarisesWithTheLiveLayout) {
  ASSERT_TRUE(rooms_.SetLayout("main", "speaker").ok());
  auto list = service_.ListRooms();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["rooms"].size(), 2u);
  EXPECT_EQ((*list)["rooms"][0], (nlohmann::json{{"name", "main"},
                                                 {"region", "default"},
                                                 {"participants", 2},
                                                 {"video", true},
                                                 {"layout", "speaker"},
                                                 {"sip_numbers", {"100"}}}));
  EXPECT_TRUE((*list)["rooms"][1]["layout"].is_null());
  // Before the rooms run there are no live figures: the configured layout.
  rooms_.running = false;
  list = service_.ListRooms();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["rooms"][0]["layout"], "grid");
}

TEST_F(ServiceTest, UpdateRoomChecksEverythingBeforeApplyingAnything) {
  auto r = service_.UpdateRoom(
      "main",
      {{"layout", "mosaic"}, {"speaker", 3}, {"pin", {"zed"}}, {"unpin", "bob"}, {"volume", 11}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = r.status().message();
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 4) << m;  // five errors, one per line
  EXPECT_NE(m.find("layout: no layout 'mosaic' (known: grid, pip, presentation, speaker, stage)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("pin: room 'main' has no participant 'zed'"), std::string::npos) << m;
  EXPECT_NE(m.find("volume: unknown key"), std::string::npos) << m;
  EXPECT_TRUE(rooms_.log.empty()) << rooms_.log.front();

  EXPECT_EQ(service_.UpdateRoom("talk", {{"layout", "grid"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_.UpdateRoom("nowhere", {{"layout", "grid"}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_.UpdateRoom("main", nlohmann::json::array()).status().code(),
            StatusCode::kInvalidArgument);

  auto ok = service_.UpdateRoom(
      "main", {{"layout", "stage"}, {"pin", {"alice"}}, {"unpin", {"bob"}}, {"speaker", "bob"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["video"]["layout"], "stage");
  EXPECT_EQ(rooms_.log, (std::vector<std::string>{"SetLayout main stage", "Unpin main bob",
                                                  "Pin main alice", "SetSpeaker main bob"}));
}

TEST_F(ServiceTest, ARefusalMidwaySaysWhatWasApplied) {
  rooms_.fail["Pin"] = FailedPreconditionError("alice has no tile in room main");
  auto r = service_.UpdateRoom("main", {{"layout", "pip"}, {"pin", {"alice"}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "alice has no tile in room main (already applied: layout pip)");
  EXPECT_EQ(rooms_.room("main")->layout, "pip");
}

TEST_F(ServiceTest, CreateRoomPassesTheValidatorsErrorsThrough) {
  auto bad = service_.CreateRoom({{"name", ""}, {"max_speakers", 0}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "rooms.name: is required\nrooms.max_speakers: must be an integer of at least 1");
  EXPECT_EQ(rooms_.Calls("CreateRoom"), 0u);
  // A validator that throws on what it converts refuses the body; nothing escapes.
  auto thrown = service_.CreateRoom({{"name", "x"}, {"sip", {{"numbers", 5}}}});
  EXPECT_EQ(thrown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rooms_.Calls("CreateRoom"), 0u);

  auto created = service_.CreateRoom({{"name", "new"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["name"], "new");
  EXPECT_EQ(service_.CreateRoom({{"name", "new"}}).status().code(), StatusCode::kAlreadyExists);

  ControlService without(rooms_);
  EXPECT_EQ(without.CreateRoom({{"name", "other"}}).status().code(), StatusCode::kUnavailable);
}

TEST_F(ServiceTest, ParticipantsJoinChangeAndLeave) {
  auto added = service_.AddParticipant("main", {{"name", "carol"}});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  const uint32_t id = (*added)["id"].get<uint32_t>();
  EXPECT_EQ((*added)["joined"], "runtime");
  EXPECT_EQ(service_.AddParticipant("main", {{"name", "dave"}}).status().code(),
            StatusCode::kResourceExhausted);  // max_participants 3
  EXPECT_EQ(service_.AddParticipant("nowhere", {{"name", "x"}}).status().code(),
            StatusCode::kNotFound);

  auto muted = service_.UpdateParticipant("main", id, {{"muted", true}, {"role", "presenter"}});
  ASSERT_TRUE(muted.ok()) << muted.status().ToString();
  EXPECT_EQ((*muted)["muted"], true);
  ASSERT_TRUE(rooms_.last_update.has_value());
  EXPECT_EQ(rooms_.last_update->role.value_or(""), "presenter");
  auto bad = service_.UpdateParticipant("main", id, {{"muted", 1}, {"deaf", "no"}, {"x", 1}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::count(bad.status().message().begin(), bad.status().message().end(), '\n'), 2);
  EXPECT_EQ(rooms_.Calls("UpdateMember"), 1u);

  EXPECT_TRUE(service_.RemoveParticipant("main", id).ok());
  EXPECT_EQ(service_.GetParticipant("main", id).status().code(), StatusCode::kNotFound);
}

TEST_F(ServiceTest, KickByNameFindsTheParticipant) {
  EXPECT_TRUE(service_.KickByName("main", "bob").ok());
  EXPECT_EQ(rooms_.log.back(), "LeaveRoom main 2");
  const Status again = service_.KickByName("main", "bob");
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_EQ(again.message(), "room 'main' has no participant 'bob'");
  EXPECT_EQ(service_.KickByName("nowhere", "bob").message(), "no room 'nowhere'");
}

TEST_F(ServiceTest, RoomStatsAreParsedObjects) {
  auto all = service_.RoomStats("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);  // main: audio and video; talk: audio
  EXPECT_EQ((*all)[1]["media"], "video");
  EXPECT_EQ(service_.RoomStats("nowhere").status().code(), StatusCode::kNotFound);
}

TEST_F(ServiceTest, SipOperationsGoThroughSipControl) {
  auto dialled = service_.Dial({{"room", "main"}, {"uri", "sip:4711@10.0.0.9"}});
  ASSERT_TRUE(dialled.ok()) << dialled.status().ToString();
  const std::string id = (*dialled)["call_id"].get<std::string>();
  auto calls = service_.ListCalls();
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ((*calls)["calls"].size(), 1u);
  EXPECT_EQ((*calls)["calls"][0]["participant"], "4711");
  EXPECT_EQ(service_.Dial({{"room", "main"}, {"uri", 5}, {"via", "x"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_.Hangup(id).ok());
  EXPECT_EQ(service_.Hangup(id).code(), StatusCode::kNotFound);
  EXPECT_EQ((*service_.SipStats())["calls_out"], 1);

  ControlService no_sip(rooms_);
  EXPECT_EQ(no_sip.ListCalls().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(no_sip.ListCalls().status().message(), "SIP is not enabled");
  EXPECT_EQ(no_sip.Hangup("x").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tessera::control
