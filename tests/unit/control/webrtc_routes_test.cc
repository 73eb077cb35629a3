// WHIP and WHEP as the API serves them: tokens, rooms, content types, CORS and how a refused
// offer is answered. The WebRTC side is a fake that records what it was asked.
#include <gtest/gtest.h>
#include <tessera/control/api.h>
#include <tessera/control/webrtc_control.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "unit/control/fake_directory.h"

namespace tessera::control {
namespace {

using testing::RoleAuthenticator;

class FakeWebRtc : public WebRtcControl {
 public:
  StatusOr<WebRtcOpenAnswer> Open(const WebRtcOpenRequest& request) override {
    opened.push_back(request);
    if (!refuse.ok()) return refuse;
    return WebRtcOpenAnswer{"r" + std::to_string(opened.size()), "v=0\r\n", "\"e\""};
  }
  Status Close(bool view, const std::string& room, const std::string& id) override {
    closed.push_back(std::string(view ? "whep:" : "whip:") + room + "/" + id);
    return id == "r1" ? Status::Ok() : NotFoundError("no WebRTC session " + id);
  }
  StatusOr<WebRtcPatchAnswer> Patch(bool view, const std::string& room, const std::string& id,
                                    const std::string& if_match,
                                    const std::string& fragment) override {
    patched.push_back(std::string(view ? "whep:" : "whip:") + room + "/" + id + " " + if_match);
    if (id != "r1") return NotFoundError("no WebRTC session " + id);
    if (if_match != "*" && if_match != "\"e\"") return FailedPreconditionError("changed");
    if (fragment.find("a=ice-ufrag:") == std::string::npos) return WebRtcPatchAnswer{};
    return WebRtcPatchAnswer{true, "a=ice-lite\r\na=ice-ufrag:new1\r\n", "\"e2\""};
  }
  std::vector<WebRtcIceServer> IceServers() override { return ice_servers; }
  std::vector<WebRtcOpenRequest> opened;
  std::vector<std::string> closed;
  std::vector<std::string> patched;
  std::vector<WebRtcIceServer> ice_servers;
  Status refuse = Status::Ok();
};

class WebRtcRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session::RoomConfig a;
    a.name = "roomA";
    rooms_.AddRoom(a);
    ApiOptions o;
    o.webrtc = &webrtc_;
    o.join_page = "<!doctype html><title>join</title>";
    api_ = std::make_unique<Api>(service_, &auth_, o);
  }
  HttpResponse Call(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& content_type = "application/sdp",
                    const std::string& query = "") {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.query = query;
    r.body = "v=0\r\n";
    r.source_address = "10.0.0.7";
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    if (!content_type.empty()) r.headers["content-type"] = content_type;
    return api_->Handle(r);
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  testing::FakeDirectory rooms_;
  ControlService service_{rooms_, testing::FakeHooks()};
  RoleAuthenticator auth_;
  FakeWebRtc webrtc_;
  std::unique_ptr<Api> api_;
};

TEST_F(WebRtcRoutesTest, APublishAnswers201WithTheAnswerLocationAndETag) {
  const HttpResponse r = Call("POST", "/whip/roomA", "participant:roomA");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/sdp");
  EXPECT_EQ(r.body, "v=0\r\n");
  EXPECT_EQ(Header(r, "Location"), "/whip/roomA/r1");
  EXPECT_EQ(Header(r, "ETag"), "\"e\"");
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "*");
  EXPECT_NE(Header(r, "Access-Control-Expose-Headers").find("Location"), std::string::npos);
  ASSERT_EQ(webrtc_.opened.size(), 1u);
  EXPECT_FALSE(webrtc_.opened[0].view);
  EXPECT_EQ(webrtc_.opened[0].room, "roomA");
  EXPECT_EQ(webrtc_.opened[0].name, "participant:roomA");  // the token's subject
  EXPECT_EQ(webrtc_.opened[0].source_address, "10.0.0.7");
}

TEST_F(WebRtcRoutesTest, ThePublishersConsentComesInTheQueryAndABadOneOpensNothing) {
  EXPECT_EQ(Call("POST", "/whip/roomA", "participant:roomA", "application/sdp", "x=1").status, 201);
  EXPECT_EQ(
      Call("POST", "/whip/roomA", "participant:roomA", "application/sdp", "consent=granted").status,
      201);
  EXPECT_EQ(
      Call("POST", "/whip/roomA", "participant:roomA", "application/sdp", "consent=yes").status,
      400);
  ASSERT_EQ(webrtc_.opened.size(), 2u) << "the bad one opened nothing";
  EXPECT_EQ(webrtc_.opened[0].consent, "unknown");
  EXPECT_EQ(webrtc_.opened[1].consent, "granted");
}

TEST_F(WebRtcRoutesTest, AViewerTokenMayWatchButNotPublish) {
  EXPECT_EQ(Call("POST", "/whep/roomA", "viewer").status, 201);
  EXPECT_TRUE(webrtc_.opened.back().view);
  const HttpResponse r = Call("POST", "/whip/roomA", "viewer");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(webrtc_.opened.size(), 1u);
}

TEST_F(WebRtcRoutesTest, RefusalsChangeNothing) {
  EXPECT_EQ(Call("POST", "/whip/roomA", "participant:roomB").status, 403);  // another room's
  EXPECT_EQ(Call("POST", "/whip/roomA", "").status, 401);
  EXPECT_EQ(Call("POST", "/whip/roomA", "forged").status, 401);
  EXPECT_EQ(Call("POST", "/whip/roomA", "participant", "application/json").status, 415);
  EXPECT_TRUE(webrtc_.opened.empty());
  // Even a refusal carries CORS, so the page can show why.
  EXPECT_EQ(Header(Call("POST", "/whip/roomA", ""), "Access-Control-Allow-Origin"), "*");
}

TEST_F(WebRtcRoutesTest, AParticipantsTokenMustNameTheParticipant) {
  // Else every offer would be a new participant and one token could fill the room.
  const HttpResponse r = Call("POST", "/whip/roomA", "participant!");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("(sub)"), std::string::npos) << r.body;
  EXPECT_EQ(Call("POST", "/whep/roomA", "viewer!").status, 403);
  EXPECT_TRUE(webrtc_.opened.empty());
  // An operator's may: Tessera names the participant.
  EXPECT_EQ(Call("POST", "/whip/roomA", "operator!").status, 201);
  EXPECT_EQ(webrtc_.opened.back().name, "");
}

TEST_F(WebRtcRoutesTest, AnOfferWithNothingInCommonIs406AndAnUnreadableOne400) {
  webrtc_.refuse = FailedPreconditionError("video: offer has AV1; this room sends VP8");
  HttpResponse r = Call("POST", "/whep/roomA", "participant");
  EXPECT_EQ(r.status, 406);
  EXPECT_NE(r.body.find("this room sends VP8"), std::string::npos);
  webrtc_.refuse = InvalidArgumentError("not an SDP offer Tessera can read: line 1");
  EXPECT_EQ(Call("POST", "/whep/roomA", "participant").status, 400);
  webrtc_.refuse = NotFoundError("no room 'roomA'");
  EXPECT_EQ(Call("POST", "/whep/roomA", "participant").status, 404);
}

TEST_F(WebRtcRoutesTest, DeleteEndsTheSessionAndAnUnknownOneIs404) {
  EXPECT_EQ(Call("DELETE", "/whip/roomA/r1", "participant:roomA", "").status, 200);
  EXPECT_EQ(Call("DELETE", "/whip/roomA/r9", "participant:roomA", "").status, 404);
  EXPECT_EQ(Call("DELETE", "/whep/roomA/r1", "participant:roomB", "").status, 403);
  // The kind goes with the path: a WHEP path is asked to end a WHEP session only.
  (void)Call("DELETE", "/whep/roomA/r1", "participant:roomA", "");
  EXPECT_EQ(webrtc_.closed,
            (std::vector<std::string>{"whip:roomA/r1", "whip:roomA/r9", "whep:roomA/r1"}));
}

TEST_F(WebRtcRoutesTest, APreflightNeedsNoTokenAndNamesTheMethods) {
  const HttpResponse r = Call("OPTIONS", "/whip/roomA", "", "");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(Header(r, "Access-Control-Allow-Methods"), "POST, OPTIONS");
  EXPECT_NE(Header(r, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_TRUE(webrtc_.opened.empty());
}

TEST_F(WebRtcRoutesTest, APatchRestartsIceOrTakesCandidatesAndSaysWhatItChanged) {
  auto patch = [&](const std::string& path, const std::string& token, const std::string& body,
                   const std::string& if_match, const std::string& type) {
    HttpRequest r;
    r.method = "PATCH";
    r.path = path;
    r.body = body;
    r.headers["authorization"] = "Bearer " + token;
    if (!type.empty()) r.headers["content-type"] = type;
    if (!if_match.empty()) r.headers["if-match"] = if_match;
    return api_->Handle(r);
  };
  const std::string frag = "application/trickle-ice-sdpfrag";
  // A restart: 200, the answer fragment and the new ETag.
  HttpResponse r = patch("/whip/roomA/r1", "participant:roomA",
                         "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n", "*", frag);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, frag);
  EXPECT_NE(r.body.find("a=ice-ufrag:new1"), std::string::npos);
  EXPECT_EQ(Header(r, "ETag"), "\"e2\"");
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "*");
  // Candidates only: 204.
  r = patch("/whep/roomA/r1", "participant:roomA", "a=candidate:1 1 udp 1 10.0.0.1 9 typ host",
            "\"e\"", frag);
  EXPECT_EQ(r.status, 204);
  // Refusals: a stale ETag (412), none (428), another type (415), another room's token (403), an
  // unknown resource (404); the last three never reach WebRTC.
  EXPECT_EQ(patch("/whip/roomA/r1", "participant:roomA", "", "\"old\"", frag).status, 412);
  EXPECT_EQ(patch("/whip/roomA/r1", "participant:roomA", "", "", frag).status, 428);
  EXPECT_EQ(patch("/whip/roomA/r1", "participant:roomA", "", "*", "application/sdp").status, 415);
  EXPECT_EQ(patch("/whip/roomA/r1", "participant:roomB", "", "*", frag).status, 403);
  EXPECT_EQ(patch("/whip/roomA/r7", "participant:roomA", "", "*", frag).status, 404);
  EXPECT_EQ(webrtc_.patched,
            (std::vector<std::string>{"whip:roomA/r1 *", "whep:roomA/r1 \"e\"",
                                      "whip:roomA/r1 \"old\"", "whip:roomA/r7 *"}));
}

TEST_F(WebRtcRoutesTest, TurnServersComeAsLinkHeadersOnTheAnswerAndAnOptionsWithAToken) {
  webrtc_.ice_servers = {{"turn:127.0.0.1:3478?transport=udp", "1700000000:ab", "c2VjcmV0"}};
  const std::string link =
      "<turn:127.0.0.1:3478?transport=udp>; rel=\"ice-server\"; username=\"1700000000:ab\"; "
      "credential=\"c2VjcmV0\"; credential-type=\"password\"";
  EXPECT_EQ(Header(Call("POST", "/whip/roomA", "participant:roomA"), "Link"), link);
  const HttpResponse with_token = Call("OPTIONS", "/whep/roomA", "participant:roomA", "");
  EXPECT_EQ(with_token.status, 204);
  EXPECT_EQ(Header(with_token, "Link"), link);
  // Nobody gets credentials without a token for the room.
  EXPECT_EQ(Header(Call("OPTIONS", "/whip/roomA", "", ""), "Link"), "");
  EXPECT_EQ(Call("OPTIONS", "/whip/roomA", "participant:roomB", "").status, 403);
  EXPECT_EQ(Call("OPTIONS", "/whip/roomA", "forged", "").status, 401);
}

TEST_F(WebRtcRoutesTest, TheJoinPageIsServedWithoutAToken) {
  const HttpResponse r = Call("GET", "/join/roomA", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<title>join</title>"), std::string::npos);
  EXPECT_NE(Header(r, "Content-Security-Policy").find("connect-src 'self'"), std::string::npos);
}

TEST(WebRtcRoutes, WithoutWebRtcTheResourcesAre503AndThePage404) {
  testing::FakeDirectory rooms;
  ControlService service(rooms, testing::FakeHooks());
  RoleAuthenticator auth;
  Api api(service, &auth, ApiOptions{});
  HttpRequest r;
  r.method = "POST";
  r.path = "/whip/roomA";
  r.headers["authorization"] = "Bearer participant";
  r.headers["content-type"] = "application/sdp";
  EXPECT_EQ(api.Handle(r).status, 503);
  r.method = "GET";
  r.path = "/join/roomA";
  EXPECT_EQ(api.Handle(r).status, 404);
}

}  // namespace
}  // namespace tessera::control
