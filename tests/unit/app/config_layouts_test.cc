#include "app/config_layouts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace tessera::app {
namespace {

using mixer::FitPolicy;
using mixer::SlotRule;
using ::testing::ElementsAre;

struct Parsed {
  std::vector<mixer::CustomLayout> layouts;
  std::vector<std::string> errors;  // one per line of the checker's status
};

// Parses the `layouts` key of `yaml` as a room's video.layouts.
Parsed Parse(const std::string& yaml) {
  Checker c("room.yaml");
  Parsed parsed;
  ParseCustomLayouts(c, YAML::Load(yaml)["layouts"], "rooms[0].video.layouts", parsed.layouts);
  if (!c.ok()) {
    std::istringstream lines(c.ToStatus().message());
    for (std::string line; std::getline(lines, line);) parsed.errors.push_back(line);
  }
  return parsed;
}

TEST(ConfigLayouts, ParsesRegionsSlotsZAndFit) {
  const Parsed p = Parse(R"(layouts:
  - name: stage
    regions:
      - {x: 0, y: 0, width: 0.75, height: 1, slot: speaker}
      - {x: 0.75, y: 0, width: 0.25, height: 0.5, slot: role, role: presenter, fit: crop}
      - {x: 0.75, y: 0.5, width: 0.25, height: 0.5, slot: join_order, z: 1}
      - {x: 0.7, y: 0.7, width: 0.3, height: 0.3, slot: pinned, z: -100, fit: letterbox}
  - name: two
    regions:
      - {x: 0, y: 0, width: 0.5, height: 1}
      - {x: 0.5, y: 0, width: 0.5, height: 1}
)");
  ASSERT_THAT(p.errors, ElementsAre());
  ASSERT_EQ(p.layouts.size(), 2u);
  const mixer::CustomLayout& stage = p.layouts[0];
  EXPECT_EQ(stage.name, "stage");
  ASSERT_EQ(stage.regions.size(), 4u);
  EXPECT_EQ(stage.regions[0].rule, SlotRule::kSpeaker);
  EXPECT_EQ(stage.regions[0].width, 0.75);
  EXPECT_EQ(stage.regions[0].height, 1.0);
  EXPECT_FALSE(stage.regions[0].fit.has_value());
  EXPECT_EQ(stage.regions[1].x, 0.75);
  EXPECT_EQ(stage.regions[1].rule, SlotRule::kRole);
  EXPECT_EQ(stage.regions[1].role, "presenter");
  EXPECT_EQ(stage.regions[1].fit, FitPolicy::kCrop);
  EXPECT_EQ(stage.regions[2].y, 0.5);
  EXPECT_EQ(stage.regions[2].rule, SlotRule::kJoinOrder);
  EXPECT_EQ(stage.regions[2].z, 1);
  EXPECT_EQ(stage.regions[3].rule, SlotRule::kPinned);
  EXPECT_EQ(stage.regions[3].z, -100);
  EXPECT_EQ(stage.regions[3].fit, FitPolicy::kLetterbox);
  // Defaults: join order, z 0, the room's fit.
  const mixer::CustomRegion& plain = p.layouts[1].regions[1];
  EXPECT_EQ(plain.rule, SlotRule::kJoinOrder);
  EXPECT_EQ(plain.z, 0);
  EXPECT_TRUE(plain.role.empty());
  EXPECT_FALSE(plain.fit.has_value());
}

TEST(ConfigLayouts, AcceptsDecimalThirdsAndRoundingSlack) {
  const Parsed p = Parse(R"(layouts:
  - name: thirds
    regions:
      - {x: 0, y: 0, width: 0.3333, height: 1}
      - {x: 0.3333, y: 0, width: 0.3334, height: 1}
      - {x: 0.6667, y: 0, width: 0.3333, height: 1}
      - {x: 0.1, y: 0.7, width: 0.9, height: 0.3, z: +2}
      - {x: 2.5e-1, y: 0, width: .5, height: 1}
)");
  ASSERT_THAT(p.errors, ElementsAre());
  ASSERT_EQ(p.layouts[0].regions.size(), 5u);
  EXPECT_EQ(p.layouts[0].regions[3].z, 2);
  EXPECT_EQ(p.layouts[0].regions[4].x, 0.25);
  EXPECT_EQ(p.layouts[0].regions[4].width, 0.5);
}

TEST(ConfigLayouts, RejectsBadNames) {
  const Parsed p = Parse(R"(layouts:
  - regions: [{x: 0, y: 0, width: 1, height: 1}]
  - name: speaker
    regions: [{x: 0, y: 0, width: 1, height: 1}]
  - name: a
    regions: [{x: 0, y: 0, width: 1, height: 1}]
  - name: a
    regions: [{x: 0, y: 0, width: 1, height: 1}]
)");
  EXPECT_THAT(
      p.errors,
      ElementsAre("room.yaml:2: rooms[0].video.layouts[0].name: is required",
                  "room.yaml:3: rooms[0].video.layouts[1].name: 'speaker' is a built-in "
                  "layout (grid, speaker, presentation, pip)",
                  "room.yaml:7: rooms[0].video.layouts[3].name: duplicate layout name 'a'"));
}

TEST(ConfigLayouts, RejectsWrongShapesAndRegionCounts) {
  std::string many = "layouts:\n  - name: many\n    regions:\n";
  for (int i = 0; i < 26; ++i) many += "      - {x: 0, y: 0, width: 1, height: 1}\n";
  EXPECT_THAT(Parse(many).errors,
              ElementsAre("room.yaml:4: rooms[0].video.layouts[0].regions: must have 1..25 "
                          "regions, got 26"));
  EXPECT_THAT(Parse("layouts: {name: x}\n").errors,
              ElementsAre("room.yaml:1: rooms[0].video.layouts: must be a list"));
  const Parsed p = Parse(R"(layouts:
  - name: none
    regions: []
  - name: missing
  - name: scalar
    regions: 3
  - just a string
  - name: bad-region
    regions: [7]
)");
  EXPECT_THAT(
      p.errors,
      ElementsAre(
          "room.yaml:3: rooms[0].video.layouts[0].regions: must have 1..25 regions, got 0",
          "room.yaml:4: rooms[0].video.layouts[1].regions: must be a list of regions",
          "room.yaml:6: rooms[0].video.layouts[2].regions: must be a list of regions",
          "room.yaml:7: rooms[0].video.layouts[3]: must be a map with name and regions",
          "room.yaml:9: rooms[0].video.layouts[4].regions[0]: must be a map with x, y, width and "
          "height"));
}

TEST(ConfigLayouts, RejectsFractionsOutsideTheCanvas) {
  const Parsed p = Parse(R"(layouts:
  - name: bad
    regions:
      - {x: 1.5, y: -0.1, width: 0, height: 1.01}
      - {x: 0.5, y: 0.25, width: 0.6, height: 0.8}
      - {x: half, y: .nan, width: .inf, height: [1]}
      - {x: 0, y: 0}
      - {x: 0.1, y: 0, width: 0.9000001, height: 1}
)");
  const std::string r = "rooms[0].video.layouts[0].regions";
  EXPECT_THAT(
      p.errors,
      ElementsAre("room.yaml:4: " + r + "[0].x: must be in 0..1, got 1.5",
                  "room.yaml:4: " + r + "[0].y: must be in 0..1, got -0.1",
                  "room.yaml:4: " + r + "[0].width: must be > 0 and <= 1, got 0",
                  "room.yaml:4: " + r + "[0].height: must be > 0 and <= 1, got 1.01",
                  "room.yaml:5: " + r + "[1].width: x + width must be <= 1, got 0.5 + 0.6",
                  "room.yaml:5: " + r + "[1].height: y + height must be <= 1, got 0.25 + 0.8",
                  "room.yaml:6: " + r + "[2].x: must be a number, got 'half'",
                  "room.yaml:6: " + r + "[2].y: must be a number, got '.nan'",
                  "room.yaml:6: " + r + "[2].width: must be a number, got '.inf'",
                  "room.yaml:6: " + r + "[2].height: must be a number, got '<not a value>'",
                  "room.yaml:7: " + r + "[3].width: is required (a fraction of the canvas, 0..1)",
                  "room.yaml:7: " + r + "[3].height: is required (a fraction of the canvas, 0..1)",
                  "room.yaml:8: " + r + "[4].width: x + width must be <= 1, got 0.1 + 0.9000001"));
}

TEST(ConfigLayouts, RejectsBadZSlotRoleFitAndUnknownKeys) {
  const Parsed p = Parse(R"(layouts:
  - name: bad
    regions:
      - {x: 0, y: 0, width: 1, height: 1, z: 101}
      - {x: 0, y: 0, width: 1, height: 1, z: 1.5}
      - {x: 0, y: 0, width: 1, height: 1, slot: loudest}
      - {x: 0, y: 0, width: 1, height: 1, slot: role}
      - {x: 0, y: 0, width: 1, height: 1, slot: speaker, role: presenter}
      - {x: 0, y: 0, width: 1, height: 1, fit: stretch}
      - {x: 0, y: 0, width: 1, height: 1, w: 1}
    background: red
)");
  const std::string r = "rooms[0].video.layouts[0]";
  EXPECT_THAT(
      p.errors,
      ElementsAre("room.yaml:11: " + r + ".background: unknown key (known: name, regions)",
                  "room.yaml:4: " + r + ".regions[0].z: must be in -100..100, got 101",
                  "room.yaml:5: " + r + ".regions[1].z: must be an integer, got '1.5'",
                  "room.yaml:6: " + r +
                      ".regions[2].slot: must be join_order, role, pinned or speaker, got "
                      "'loudest'",
                  "room.yaml:7: " + r + ".regions[3].role: is required when slot is role",
                  "room.yaml:8: " + r + ".regions[4].role: is only used with slot: role",
                  "room.yaml:9: " + r + ".regions[5].fit: must be crop or letterbox, got 'stretch'",
                  "room.yaml:10: " + r +
                      ".regions[6].w: unknown key (known: fit, height, role, slot, width, x, y, "
                      "z)"));
}

}  // namespace
}  // namespace tessera::app
