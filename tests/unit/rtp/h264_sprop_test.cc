#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/base/base64.h>
#include <tessera/rtp/h264_sprop.h>

#include <string>
#include <vector>

#include "unit/rtp/h264_test_data.h"

namespace tessera::rtp::h264 {
namespace {

using ::tessera::rtp::testing::AnnexB;
using ::tessera::rtp::testing::kPps;
using ::tessera::rtp::testing::kSps640x360;
using ::testing::ElementsAre;

// kSps640x360 and kPps as an SDP carries them.
constexpr const char* kSpsBase64 = "Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=";
constexpr const char* kPpsBase64 = "aOvjyyLA";
// An SEI (type 6): not a parameter set.
constexpr const char* kSeiBase64 = "BgUBgA==";

std::string ErrorOf(std::string_view value) {
  auto parsed = ParseSpropParameterSets(value);
  return parsed.ok() ? "parsed" : parsed.status().message();
}

TEST(SpropParameterSets, ParsesAnSpsAndAPpsIntoAnnexB) {
  auto parsed = ParseSpropParameterSets(std::string(kSpsBase64) + "," + kPpsBase64);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->annex_b, AnnexB({kSps640x360, kPps}));
  EXPECT_TRUE(parsed->ignored.empty());
}

TEST(SpropParameterSets, TakesBlanksAroundUnitsAndBase64WithoutPadding) {
  auto parsed = ParseSpropParameterSets(" Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY ,\taOvjyyLA ");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->annex_b, AnnexB({kSps640x360, kPps}));
}

TEST(SpropParameterSets, KeepsTheOrderGiven) {
  auto parsed = ParseSpropParameterSets(std::string(kPpsBase64) + "," + kSpsBase64);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->annex_b, AnnexB({kPps, kSps640x360}));
}

TEST(SpropParameterSets, LeavesOutOtherNalUnitsAndSaysWhy) {
  auto parsed =
      ParseSpropParameterSets(std::string(kSpsBase64) + "," + kSeiBase64 + "," + kPpsBase64);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->annex_b, AnnexB({kSps640x360, kPps}));
  EXPECT_THAT(parsed->ignored, ElementsAre("NAL unit 2 (type 6) is not an SPS or a PPS"));
}

TEST(SpropParameterSets, NeedsAnSpsAndAPps) {
  EXPECT_EQ(ErrorOf(kSpsBase64), "has no PPS (NAL unit type 8)");
  EXPECT_EQ(ErrorOf(kPpsBase64), "has no SPS (NAL unit type 7)");
  EXPECT_EQ(ErrorOf(std::string(kSeiBase64) + "," + kPpsBase64), "has no SPS (NAL unit type 7)");
}

TEST(SpropParameterSets, RefusesEmptyValuesAndUnits) {
  EXPECT_EQ(ErrorOf(""), "is empty");
  EXPECT_EQ(ErrorOf(" \t "), "is empty");
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + ",," + kPpsBase64), "NAL unit 2 is empty");
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + "," + kPpsBase64 + ","), "NAL unit 3 is empty");
}

TEST(SpropParameterSets, RefusesWhatIsNotBase64) {
  EXPECT_EQ(ErrorOf(std::string("Z2QAHqzZ!KAv,") + kPpsBase64), "NAL unit 1 is not base64");
  // The URL-safe alphabet, a blank inside a unit, broken padding.
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + ",aOvj-yLA"), "NAL unit 2 is not base64");
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + ",aOvj yyLA"), "NAL unit 2 is not base64");
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + ",aOvjyyLA="), "NAL unit 2 is not base64");
}

TEST(SpropParameterSets, RefusesOversizedUnitsAndTooManyUnits) {
  std::vector<uint8_t> big(kMaxSpropNalBytes + 1, 0x11);
  big[0] = 0x68;  // a PPS
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + "," + EncodeBase64(big)),
            "NAL unit 2 is longer than 1024 bytes");
  big.pop_back();
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + "," + EncodeBase64(big)), "parsed");

  std::string many = kSpsBase64;
  for (size_t i = 1; i < kMaxSpropNalUnits; ++i) many += std::string(",") + kPpsBase64;
  EXPECT_EQ(ErrorOf(many), "parsed");
  EXPECT_EQ(ErrorOf(many + "," + kPpsBase64), "has more than 32 NAL units");
}

TEST(SpropParameterSets, RefusesBrokenParameterSets) {
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + ",aA=="),
            "NAL unit 2 is too short for a parameter set");
  const std::vector<uint8_t> forbidden = {0xe8, 0xeb, 0xe3};  // F=1 on a PPS header
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + "," + EncodeBase64(forbidden)),
            "NAL unit 2 has its forbidden_zero_bit set");
  // A start code inside would smuggle another NAL unit into the decoder's bitstream.
  const std::vector<uint8_t> start_code = {0x68, 0xeb, 0x00, 0x00, 0x01, 0x65, 0x88};
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + "," + EncodeBase64(start_code)),
            "NAL unit 2 holds a start code or ends with a zero byte");
  const std::vector<uint8_t> zero_last = {0x68, 0xeb, 0xe3, 0x00};
  EXPECT_EQ(ErrorOf(std::string(kSpsBase64) + "," + EncodeBase64(zero_last)),
            "NAL unit 2 holds a start code or ends with a zero byte");
  const std::vector<uint8_t> truncated_sps = {0x67, 0x64, 0x01};
  EXPECT_EQ(ErrorOf(EncodeBase64(truncated_sps) + "," + kPpsBase64),
            "NAL unit 1 is an SPS that does not parse");
}

TEST(PrependParameterSets, PutsThemFirst) {
  const std::vector<uint8_t> idr = {0x65, 0x88, 0x84};
  std::vector<uint8_t> au = AnnexB({idr});
  PrependParameterSets(au, AnnexB({kSps640x360, kPps}));
  EXPECT_EQ(au, AnnexB({kSps640x360, kPps, idr}));
}

TEST(PrependParameterSets, KeepsALeadingAccessUnitDelimiterFirst) {
  const std::vector<uint8_t> aud = {0x09, 0xf0};
  const std::vector<uint8_t> idr = {0x65, 0x88, 0x84};
  std::vector<uint8_t> au = AnnexB({aud, idr});
  PrependParameterSets(au, AnnexB({kSps640x360, kPps}));
  EXPECT_EQ(au, AnnexB({aud, kSps640x360, kPps, idr}));
}

}  // namespace
}  // namespace tessera::rtp::h264
