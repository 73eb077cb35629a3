#include "loadgen/api_client.h"

#include <gtest/gtest.h>

#include <map>

namespace tessera::loadgen {
namespace {

TEST(ApiClient, OriginsHostsAndLocations) {
  EXPECT_EQ(*UrlOrigin("http://127.0.0.2:8081/v1/rooms/a?x=1"), "http://127.0.0.2:8081");
  EXPECT_EQ(*UrlOrigin("http://example.test/"), "http://example.test:80");
  EXPECT_EQ(*UrlHost("http://[::1]:9000/v1"), "::1");
  EXPECT_EQ(*UrlOrigin("http://[::1]:9000"), "http://[::1]:9000");
  EXPECT_FALSE(UrlOrigin("https://127.0.0.1:8080").ok());
  EXPECT_FALSE(UrlOrigin("http://user@host:1/").ok());
  EXPECT_FALSE(UrlOrigin("http://host:port/").ok());

  EXPECT_EQ(*ResolveLocation("http://127.0.0.1:8080/v1/rooms/a/participants",
                             "http://127.0.0.3:8082/v1/rooms/a/participants?cascade=n1"),
            "http://127.0.0.3:8082/v1/rooms/a/participants?cascade=n1");
  EXPECT_EQ(*ResolveLocation("http://127.0.0.1:8080/v1/rooms/a", "/v1/rooms/b?x"),
            "http://127.0.0.1:8080/v1/rooms/b?x");
  EXPECT_FALSE(ResolveLocation("http://127.0.0.1:8080/", "elsewhere").ok());
  EXPECT_FALSE(ResolveLocation("http://127.0.0.1:8080/", "//other/x").ok());
}

// A fake API: answers by URL, and records every request.
struct FakeApi {
  std::map<std::string, ApiReply> replies;
  std::vector<std::string> asked;
  ApiRequester Requester() {
    return [this](const std::string& method, const std::string& url,
                  const std::string& body) -> StatusOr<ApiReply> {
      asked.push_back(method + " " + url + " " + body);
      const auto it = replies.find(url);
      if (it == replies.end()) return UnavailableError("cannot connect: " + url);
      return it->second;
    };
  }
};

constexpr char kPrimary[] = "http://127.0.0.1:8080/v1/rooms/r/participants";
constexpr char kShare[] = "http://127.0.0.2:8081/v1/rooms/r/participants?cascade=n1";

TEST(ApiClient, AJoinOnThePrimaryTakesNoRedirect) {
  FakeApi api;
  api.replies[kPrimary] = {201, "", R"({"name":"lg1","video_port":20002,"audio_port":20000})"};
  auto j = JoinFollowingRedirects(api.Requester(), kPrimary, "{}");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->node, "http://127.0.0.1:8080");
  EXPECT_EQ(j->host, "127.0.0.1");
  EXPECT_TRUE(j->redirects.empty());
  EXPECT_EQ(j->video_port, 20002);
  EXPECT_EQ(j->audio_port, 20000);
}

TEST(ApiClient, A307IsFollowedWithTheSameBodyToTheShareNode) {
  FakeApi api;
  api.replies[kPrimary] = {307, kShare, ""};
  api.replies[kShare] = {201, "", R"({"name":"lg11","video_port":21002})"};
  auto j = JoinFollowingRedirects(api.Requester(), kPrimary, R"({"name":"lg11"})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->node, "http://127.0.0.2:8081");
  EXPECT_EQ(j->host, "127.0.0.2");
  EXPECT_EQ(j->redirects, std::vector<std::string>{kShare});
  EXPECT_EQ(j->video_port, 21002);
  ASSERT_EQ(api.asked.size(), 2u);
  EXPECT_EQ(api.asked[1], std::string("POST ") + kShare + R"( {"name":"lg11"})");
}

TEST(ApiClient, ErrorsLoopsAndAnswersWithoutPortsFail) {
  FakeApi loop;
  loop.replies[kPrimary] = {307, kPrimary, ""};
  auto j = JoinFollowingRedirects(loop.Requester(), kPrimary, "{}", 3);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("more than 3 redirects"), std::string::npos);
  EXPECT_EQ(loop.asked.size(), 4u);

  FakeApi full;
  full.replies[kPrimary] = {409, "", R"({"title":"full"})"};
  j = JoinFollowingRedirects(full.Requester(), kPrimary, "{}");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("got 409"), std::string::npos);

  FakeApi no_port;
  no_port.replies[kPrimary] = {201, "", R"({"name":"lg1"})"};
  EXPECT_FALSE(JoinFollowingRedirects(no_port.Requester(), kPrimary, "{}").ok());

  FakeApi gone;  // a Location to a node that does not answer
  gone.replies[kPrimary] = {307, kShare, ""};
  EXPECT_FALSE(JoinFollowingRedirects(gone.Requester(), kPrimary, "{}").ok());
}

TEST(ApiClient, TileOrderReplacesLinksByTheirCellsInIdOrder) {
  const std::string listing = R"({"participants":[
    {"id":3,"name":"cascade-n3","transport":"cascade",
     "cascade":{"role":"link","node":"n3","cells":["c1","c2"]}},
    {"id":1,"name":"a1","transport":"rtp","video_port":1},
    {"id":2,"name":"cascade-n2","transport":"cascade",
     "cascade":{"role":"link","node":"n2","cells":["b1","b2","b3"]}},
    {"id":4,"name":"a2","transport":"rtp"}]})";
  auto order = TileOrderFromParticipants(listing);
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(*order, (std::vector<std::string>{"a1", "b1", "b2", "b3", "c1", "c2", "a2"}));
}

TEST(ApiClient, TileOrderLeavesOutAnUplinkAndKeepsAnEmptyLinkOut) {
  const std::string listing = R"({"participants":[
    {"id":1,"name":"cascade-up","transport":"cascade","cascade":{"role":"uplink"}},
    {"id":2,"name":"x","transport":"rtp"},
    {"id":3,"name":"cascade-n2","transport":"cascade","cascade":{"role":"link","cells":[]}}]})";
  auto order = TileOrderFromParticipants(listing);
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(*order, std::vector<std::string>{"x"});
  EXPECT_FALSE(TileOrderFromParticipants("[]").ok());
  EXPECT_FALSE(TileOrderFromParticipants(R"({"participants":[{"name":"no id"}]})").ok());
  EXPECT_FALSE(TileOrderFromParticipants(
                   R"({"participants":[{"id":1,"name":"l","transport":"cascade",
                       "cascade":{"role":"link"}}]})")
                   .ok());
}

TEST(ApiClient, TheRoomsVideoIsItsLayoutAndFirstProfile) {
  auto v = RoomVideoFromJson(R"({"name":"r","video":{"layout":"grid","profiles":[
      {"name":"hd","codec":"H264","width":640,"height":360,"fps":10,"bitrate_kbps":800},
      {"name":"sd","codec":"VP8","width":320,"height":180,"fps":10,"bitrate_kbps":300}]}})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->layout, "grid");
  EXPECT_EQ(v->profile, "hd");
  EXPECT_EQ(v->codec, "H264");
  EXPECT_EQ(v->width, 640);
  EXPECT_EQ(v->height, 360);
  EXPECT_EQ(v->fps, 10);
  EXPECT_FALSE(RoomVideoFromJson(R"({"name":"r","video":null})").ok());
  EXPECT_FALSE(RoomVideoFromJson(R"({"video":{"layout":"grid","profiles":[]}})").ok());
}

}  // namespace
}  // namespace tessera::loadgen
