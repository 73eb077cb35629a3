#include <gtest/gtest.h>
#include <tessera/webrtc/h264_profile_level_id.h>

namespace tessera::webrtc {
namespace {

H264ProfileLevelId Parsed(std::string_view text) {
  auto id = ParseH264ProfileLevelId(text);
  EXPECT_TRUE(id.has_value()) << text;
  return id.value_or(H264ProfileLevelId{});
}

TEST(H264ProfileLevelId, ConstrainedBaselineLevel31) {
  const H264ProfileLevelId id = Parsed("42e01f");
  EXPECT_EQ(id.profile, H264Profile::kConstrainedBaseline);
  EXPECT_EQ(id.profile_idc, 0x42);
  EXPECT_EQ(id.profile_iop, 0xe0);
  EXPECT_EQ(id.level_idc, 31);
  EXPECT_EQ(Parsed("42c01f").profile, H264Profile::kConstrainedBaseline);
  EXPECT_EQ(Parsed("42E01F"), id);  // Hex digits in either case.
}

TEST(H264ProfileLevelId, ProfilesBrowsersOffer) {
  EXPECT_EQ(Parsed("42001f").profile, H264Profile::kBaseline);
  EXPECT_EQ(Parsed("4d001f").profile, H264Profile::kMain);
  EXPECT_EQ(Parsed("4d001f").level_idc, 31);
  EXPECT_EQ(Parsed("64001f").profile, H264Profile::kHigh);
  // profile_idc 100 with constraint_set4 and constraint_set5: constrained high.
  EXPECT_EQ(Parsed("640c1f").profile, H264Profile::kConstrainedHigh);
  EXPECT_EQ(Parsed("640032").level_idc, 50);
  EXPECT_EQ(Parsed("6e001f").profile, H264Profile::kOther);  // High 10
}

TEST(H264ProfileLevelId, MainAndExtendedThatObeyBaselineAreConstrainedBaseline) {
  EXPECT_EQ(Parsed("4d801f").profile, H264Profile::kConstrainedBaseline);
  EXPECT_EQ(Parsed("58c01f").profile, H264Profile::kConstrainedBaseline);
  EXPECT_EQ(Parsed("58801f").profile, H264Profile::kBaseline);
  EXPECT_EQ(Parsed("58001f").profile, H264Profile::kExtended);
}

TEST(H264ProfileLevelId, Level1b) {
  // Level 11 with constraint_set3 in Baseline, Main and Extended is 1b; in High 1b is 9.
  EXPECT_EQ(Parsed("42f00b").level_idc, kH264Level1b);
  EXPECT_EQ(Parsed("4d100b").level_idc, kH264Level1b);
  EXPECT_EQ(Parsed("42e00b").level_idc, 11);
  EXPECT_EQ(Parsed("640009").level_idc, kH264Level1b);
  EXPECT_EQ(Parsed("64100b").level_idc, 11);  // constraint_set3 means something else in High.
  EXPECT_EQ(H264ProfileLevelIdText(Parsed("42f00b")), "42f00b");
  EXPECT_EQ(H264ProfileLevelIdText(Parsed("640009")), "640009");
  EXPECT_EQ(H264LevelName(kH264Level1b), "1b");
}

TEST(H264ProfileLevelId, RejectsMalformedText) {
  for (const char* text : {"", "42e01", "42e01f0", "42g01f", "+2e01f", " 42e01f", "42e0 f"}) {
    EXPECT_FALSE(ParseH264ProfileLevelId(text).has_value()) << '"' << text << '"';
  }
}

TEST(H264ProfileLevelId, WritesLowercaseAndKeepsLevel11ApartFrom1b) {
  EXPECT_EQ(H264ProfileLevelIdText({H264Profile::kConstrainedBaseline, 0x42, 0xe0, 31}), "42e01f");
  EXPECT_EQ(H264ProfileLevelIdText({H264Profile::kConstrainedBaseline, 0x4d, 0x80, kH264Level1b}),
            "4d900b");
  // Writing level 1.1 over a 1b profile-iop clears constraint_set3.
  EXPECT_EQ(H264ProfileLevelIdText({H264Profile::kConstrainedBaseline, 0x42, 0xf0, 11}), "42e00b");
  EXPECT_EQ(H264ProfileLevelIdText({H264Profile::kHigh, 0x64, 0x00, 42}), "64002a");
}

TEST(H264ProfileLevelId, LevelOrderPuts1bBetween1And11) {
  EXPECT_TRUE(H264LevelAtLeast(31, 31));
  EXPECT_FALSE(H264LevelAtLeast(30, 31));
  EXPECT_TRUE(H264LevelAtLeast(40, 31));
  EXPECT_TRUE(H264LevelAtLeast(kH264Level1b, 10));
  EXPECT_FALSE(H264LevelAtLeast(10, kH264Level1b));
  EXPECT_TRUE(H264LevelAtLeast(11, kH264Level1b));
  EXPECT_FALSE(H264LevelAtLeast(kH264Level1b, 11));
}

TEST(H264ProfileLevelId, Names) {
  EXPECT_EQ(H264LevelName(31), "3.1");
  EXPECT_EQ(H264LevelName(40), "4");
  EXPECT_EQ(H264LevelName(52), "5.2");
  EXPECT_EQ(H264ProfileName(H264Profile::kConstrainedHigh), "constrained high");
  EXPECT_EQ(H264ProfileName(H264Profile::kConstrainedBaseline), "constrained baseline");
}

}  // namespace
}  // namespace tessera::webrtc
