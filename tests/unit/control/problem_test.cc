#include <gtest/gtest.h>
#include <tessera/control/problem.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tessera::control {
namespace {

TEST(Problem, IsAnRfc9457ProblemDetailsAnswer) {
  const HttpResponse r = Problem(404, "not-found", "Not found", "no room 'main'");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_TRUE(r.headers.empty());
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body.value("type", ""), "urn:tessera:problem:not-found");
  EXPECT_EQ(body.value("title", ""), "Not found");
  EXPECT_EQ(body.value("status", 0), 404);
  EXPECT_EQ(body.value("detail", ""), "no room 'main'");
  EXPECT_EQ(body.size(), 4u);
}

TEST(Problem, ADetailThatIsNotUtf8IsReplacedNotThrown) {
  const HttpResponse r = Problem(400, "bad-request", "Bad request", std::string("bad \xff byte"));
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body.value("status", 0), 400);
  EXPECT_NE(body.value("detail", "").find("bad "), std::string::npos);
}

}  // namespace
}  // namespace tessera::control
