#include <gtest/gtest.h>
#include <tessera/sip/info_body.h>

#include <optional>
#include <string>

namespace tessera::sip {
namespace {

TEST(IsPictureFastUpdate, AcceptsTheCanonicalBody) {
  EXPECT_TRUE(IsPictureFastUpdate(PictureFastUpdateBody()));
}

TEST(IsPictureFastUpdate, CanonicalBodyIsTheRfc5168Text) {
  EXPECT_EQ(PictureFastUpdateBody(),
            "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n<media_control>\r\n  <vc_primitive>\r\n"
            "    <to_encoder>\r\n      <picture_fast_update/>\r\n    </to_encoder>\r\n"
            "  </vc_primitive>\r\n</media_control>\r\n");
}

TEST(IsPictureFastUpdate, AcceptsCompactBodyWithoutDeclaration) {
  EXPECT_TRUE(IsPictureFastUpdate(
      "<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder>"
      "</vc_primitive></media_control>"));
}

TEST(IsPictureFastUpdate, AcceptsOpenAndCloseTagsAttributesAndComments) {
  EXPECT_TRUE(IsPictureFastUpdate(
      "<?xml version='1.0'?>\n<!-- from a room system -->\n"
      "<media_control xmlns=\"urn:x\" a='1>2'>\n\t<vc_primitive >\n"
      "<to_encoder><![CDATA[<junk>]]><picture_fast_update  ></picture_fast_update>"
      "</to_encoder></vc_primitive></media_control>"));
  EXPECT_TRUE(IsPictureFastUpdate(
      "<media_control><vc_primitive><to_encoder><picture_fast_update foo=\"bar\" />"));
}

TEST(IsPictureFastUpdate, AcceptsRequestAfterASiblingElement) {
  EXPECT_TRUE(IsPictureFastUpdate(
      "<media_control><general_error>x</general_error><vc_primitive><stream_id>1</stream_id>"
      "<to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>"));
}

TEST(IsPictureFastUpdate, RejectsElementOutsideThePath) {
  // Missing to_encoder.
  EXPECT_FALSE(IsPictureFastUpdate(
      "<media_control><vc_primitive><picture_fast_update/></vc_primitive></media_control>"));
  // to_encoder closed before the request.
  EXPECT_FALSE(IsPictureFastUpdate(
      "<media_control><vc_primitive><to_encoder/><picture_fast_update/></vc_primitive>"
      "</media_control>"));
  // Not under the root media_control.
  EXPECT_FALSE(IsPictureFastUpdate(
      "<wrapper><media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder>"
      "</vc_primitive></media_control></wrapper>"));
  // Names are case-sensitive and prefixes are not stripped.
  EXPECT_FALSE(IsPictureFastUpdate(
      "<Media_Control><vc_primitive><to_encoder><picture_fast_update/></to_encoder>"
      "</vc_primitive></Media_Control>"));
  EXPECT_FALSE(IsPictureFastUpdate(
      "<media_control><vc_primitive><to_encoder><picture_fast_update_x/></to_encoder>"
      "</vc_primitive></media_control>"));
}

TEST(IsPictureFastUpdate, IgnoresRequestInsideCommentOrCdata) {
  EXPECT_FALSE(
      IsPictureFastUpdate("<media_control><vc_primitive><to_encoder><!-- <picture_fast_update/> -->"
                          "</to_encoder></vc_primitive></media_control>"));
  EXPECT_FALSE(IsPictureFastUpdate(
      "<media_control><vc_primitive><to_encoder><![CDATA[<picture_fast_update/>]]>"
      "</to_encoder></vc_primitive></media_control>"));
}

TEST(IsPictureFastUpdate, RejectsMalformedMarkup) {
  EXPECT_FALSE(IsPictureFastUpdate(""));
  EXPECT_FALSE(IsPictureFastUpdate("picture_fast_update"));
  EXPECT_FALSE(
      IsPictureFastUpdate("<media_control><vc_primitive><to_encoder><picture_fast_update"));
  EXPECT_FALSE(IsPictureFastUpdate(
      "<media_control><vc_primitive><to_encoder <picture_fast_update/></to_encoder>"));
  // Mismatched close tag before the request.
  EXPECT_FALSE(IsPictureFastUpdate(
      "<media_control><vc_primitive></to_encoder><to_encoder><picture_fast_update/>"));
  EXPECT_FALSE(IsPictureFastUpdate("<media_control>< vc_primitive>"));
  EXPECT_FALSE(IsPictureFastUpdate("<?xml version='1.0'"));
  EXPECT_FALSE(IsPictureFastUpdate("<!-- unterminated <media_control>"));
  // Quoted attribute value never closed.
  EXPECT_FALSE(
      IsPictureFastUpdate("<media_control a=\"><vc_primitive><to_encoder><picture_fast_update/>"));
}

TEST(IsPictureFastUpdate, RejectsNestingDeeperThanEight) {
  std::string deep = "<media_control><vc_primitive><to_encoder>";
  for (int i = 0; i < 6; ++i) deep += "<x>";
  EXPECT_FALSE(IsPictureFastUpdate(deep + "<picture_fast_update/>"));
}

TEST(IsPictureFastUpdate, RejectsBodiesOver8KiB) {
  const std::string body = PictureFastUpdateBody();
  std::string padded = body + std::string(kMaxMediaControlBodyBytes - body.size(), ' ');
  EXPECT_TRUE(IsPictureFastUpdate(padded));
  padded += ' ';
  EXPECT_FALSE(IsPictureFastUpdate(padded));
}

TEST(ParseDtmfRelay, ReadsTheSignal) {
  EXPECT_EQ(ParseDtmfRelay("Signal=5\r\nDuration=160\r\n"), '5');
  EXPECT_EQ(ParseDtmfRelay("Signal=*\r\nDuration=160\r\n"), '*');
  EXPECT_EQ(ParseDtmfRelay("Signal=#\nDuration=160\n"), '#');
  EXPECT_EQ(ParseDtmfRelay("Signal=D"), 'D');
}

TEST(ParseDtmfRelay, ToleratesCaseSpacingAndLineEnds) {
  EXPECT_EQ(ParseDtmfRelay("duration = 250\rSIGNAL = 9\r"), '9');
  EXPECT_EQ(ParseDtmfRelay("\r\n\r\nsignal=\t0 \r\n"), '0');
  EXPECT_EQ(ParseDtmfRelay("Signal=b\r\nDuration=100\r\n"), 'B');
}

TEST(ParseDtmfRelay, MapsTwoDigitSignalsToStarAndHash) {
  EXPECT_EQ(ParseDtmfRelay("Signal=10\r\nDuration=160\r\n"), '*');
  EXPECT_EQ(ParseDtmfRelay("Signal=11\r\nDuration=160\r\n"), '#');
  EXPECT_EQ(ParseDtmfRelay("Signal=12\r\n"), std::nullopt);
}

TEST(ParseDtmfRelay, RejectsMissingOrInvalidSignal) {
  EXPECT_EQ(ParseDtmfRelay(""), std::nullopt);
  EXPECT_EQ(ParseDtmfRelay("Duration=160\r\n"), std::nullopt);
  EXPECT_EQ(ParseDtmfRelay("Signal=\r\n"), std::nullopt);
  EXPECT_EQ(ParseDtmfRelay("Signal=E\r\n"), std::nullopt);
  EXPECT_EQ(ParseDtmfRelay("Signal=55\r\n"), std::nullopt);
  EXPECT_EQ(ParseDtmfRelay("Signal 5\r\n"), std::nullopt);
  EXPECT_EQ(ParseDtmfRelay("Signals=5\r\n"), std::nullopt);
  // The first Signal line decides.
  EXPECT_EQ(ParseDtmfRelay("Signal=x\r\nSignal=5\r\n"), std::nullopt);
}

TEST(ParseDtmfRelay, RejectsBodiesOver1KiB) {
  std::string body = "Signal=7\r\n";
  body += std::string(kMaxDtmfBodyBytes - body.size(), '\n');
  EXPECT_EQ(ParseDtmfRelay(body), '7');
  body += '\n';
  EXPECT_EQ(ParseDtmfRelay(body), std::nullopt);
}

TEST(ParseDtmfBody, ReadsASingleDigitWithWhitespace) {
  EXPECT_EQ(ParseDtmfBody("4"), '4');
  EXPECT_EQ(ParseDtmfBody(" #\r\n"), '#');
  EXPECT_EQ(ParseDtmfBody("\t*\n"), '*');
  EXPECT_EQ(ParseDtmfBody("c"), 'C');
}

TEST(ParseDtmfBody, RejectsAnythingElse) {
  EXPECT_EQ(ParseDtmfBody(""), std::nullopt);
  EXPECT_EQ(ParseDtmfBody("  \r\n"), std::nullopt);
  EXPECT_EQ(ParseDtmfBody("12"), std::nullopt);
  EXPECT_EQ(ParseDtmfBody("1 2"), std::nullopt);
  EXPECT_EQ(ParseDtmfBody("Signal=1"), std::nullopt);
  EXPECT_EQ(ParseDtmfBody(std::string(1, '\0')), std::nullopt);
  EXPECT_EQ(ParseDtmfBody(std::string(kMaxDtmfBodyBytes, ' ') + "1"), std::nullopt);
}

}  // namespace
}  // namespace tessera::sip
