// The webhook sender against a tiny local receiver on the same io_context: retries after a 5xx,
// gives up at once on a 4xx, signs each body with HMAC-SHA256, bounds its queue, and refuses bad
// URLs and secret files at Create. The test runs the io_context itself, until what it waits for
// happened or a limit passed; nothing sleeps.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tessera/base/metrics.h>
#include <tessera/control/webhooks.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "unit/control/local_http.h"

namespace tessera::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::Receiver;
using testing::Request;
using testing::RunUntil;
using testing::TempFile;
using testing::ToString;

uint64_t Deliveries(const std::string& result) {
  return GlobalMetrics()
      .GetCounter("tessera_webhook_deliveries_total", {{"result", result}})
      .Value();
}

std::string HmacHex(const std::string& key, const std::string& body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0x0f]);
  }
  return hex;
}

std::vector<WebhookConfig> OneHook(const std::string& url, const std::string& secret_file) {
  std::vector<WebhookConfig> hooks(1);
  hooks[0].url = url;
  hooks[0].secret_file = secret_file;
  return hooks;
}

TEST(WebhookSender, RetriesA5xxAndDeliversTheEventOnceWithAValidSignature) {
  asio::io_context io;
  Receiver receiver(io, {500, 200});
  TempFile secret("retry_secret", "s3cret-key\n");
  auto sender = WebhookSender::Create(io, OneHook(receiver.Url("/hooks/tessera"), secret.path()));
  ASSERT_TRUE(sender.ok()) << sender.status().message();
  const uint64_t delivered = Deliveries("ok");
  const uint64_t failed = Deliveries("failed");

  (*sender)->OnParticipantJoined("main", 7, "alice");
  ASSERT_TRUE(RunUntil(io, [&] { return Deliveries("ok") == delivered + 1; }));
  EXPECT_EQ(Deliveries("failed"), failed);

  ASSERT_EQ(receiver.requests().size(), 2u);  // the 500, then the 200
  const Request& retried = receiver.requests()[1];
  EXPECT_EQ(receiver.requests()[0].body(), retried.body());
  EXPECT_EQ(ToString(receiver.requests()[0]["X-Tessera-Event-Id"]),
            ToString(retried["X-Tessera-Event-Id"]));
  EXPECT_EQ(retried.method(), http::verb::post);
  EXPECT_EQ(ToString(retried.target()), "/hooks/tessera");
  EXPECT_EQ(ToString(retried[http::field::content_type]), "application/json");
  // The key is the file's bytes without the newline.
  EXPECT_EQ(ToString(retried["X-Tessera-Signature"]),
            "sha256=" + HmacHex("s3cret-key", retried.body()));

  const nlohmann::json event = nlohmann::json::parse(retried.body(), nullptr, false);
  ASSERT_TRUE(event.is_object()) << retried.body();
  EXPECT_EQ(event.value("type", ""), "participant.joined");
  EXPECT_EQ(event.value("room", ""), "main");
  ASSERT_TRUE(event.contains("participant"));
  EXPECT_EQ(event.at("participant"), (nlohmann::json{{"id", 7}, {"name", "alice"}}));
  const std::string time = event.value("time", "");
  ASSERT_FALSE(time.empty());
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_FALSE(event.value("id", "").empty());
  EXPECT_EQ(event.value("id", ""), ToString(retried["X-Tessera-Event-Id"]));
  (*sender)->Stop();
}

TEST(WebhookSender, DoesNotRetryA4xxAndGoesOnWithTheNextEvent) {
  asio::io_context io;
  Receiver receiver(io, {404, 200});
  TempFile secret("refused_secret", "another-key");
  auto sender = WebhookSender::Create(io, OneHook(receiver.Url("/hook"), secret.path()));
  ASSERT_TRUE(sender.ok()) << sender.status().message();
  const uint64_t delivered = Deliveries("ok");
  const uint64_t failed = Deliveries("failed");

  (*sender)->OnRoomCreated("main");
  (*sender)->OnRoomEnded("main");
  ASSERT_TRUE(RunUntil(io, [&] { return Deliveries("ok") == delivered + 1; }));
  EXPECT_EQ(Deliveries("failed"), failed + 1);
  // In order, one try each: a retry of the first would have come before the second.
  ASSERT_EQ(receiver.requests().size(), 2u);
  const nlohmann::json first = nlohmann::json::parse(receiver.requests()[0].body(), nullptr, false);
  const nlohmann::json second =
      nlohmann::json::parse(receiver.requests()[1].body(), nullptr, false);
  ASSERT_TRUE(first.is_object());
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(first.value("type", ""), "room.started");
  EXPECT_EQ(second.value("type", ""), "room.ended");
  EXPECT_FALSE(first.contains("participant"));
  EXPECT_NE(first.value("id", ""), second.value("id", ""));
  (*sender)->Stop();
}

TEST(WebhookSender, DropsEventsOverTheQueueLimitAndStopGivesUpOnTheRest) {
  asio::io_context io;
  Receiver receiver(io, {200});
  TempFile secret("overflow_secret", "k");
  auto sender = WebhookSender::Create(io, OneHook(receiver.Url("/hook"), secret.path()));
  ASSERT_TRUE(sender.ok()) << sender.status().message();
  const uint64_t dropped = Deliveries("dropped");

  // Nothing runs io yet: every event waits.
  for (int i = 0; i < 1003; ++i) (*sender)->OnRoomCreated("room" + std::to_string(i));
  EXPECT_EQ(Deliveries("dropped"), dropped + 3);

  (*sender)->Stop();
  // The 1000 that were queued are given up (the first one may have been delivered already).
  const uint64_t delivered = Deliveries("ok");
  ASSERT_TRUE(RunUntil(io, [&] {
    return Deliveries("dropped") + (Deliveries("ok") - delivered) == dropped + 1003;
  }));
  (*sender)->OnRoomCreated("after-stop");
  io.restart();
  io.poll();
  EXPECT_LE(receiver.requests().size(), 1u);
}

TEST(WebhookSender, CreateRefusesBadUrlsAndSecretFiles) {
  asio::io_context io;
  TempFile secret("create_secret", "key\n");
  const std::vector<std::string> bad = {"ftp://example.com/hook",
                                        "example.com/hook",
                                        "http://",
                                        "http:///hook",
                                        "http://example.com:0/hook",
                                        "http://example.com:99999/hook",
                                        "http://user@example.com/",
                                        "http://example.com/hook#part",
                                        "http://exa mple.com/hook",
                                        "http://[::1/hook"};
  for (const std::string& url : bad) {
    auto sender = WebhookSender::Create(io, OneHook(url, secret.path()));
    ASSERT_FALSE(sender.ok()) << url;
    EXPECT_EQ(sender.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(sender.status().message().find("control.webhooks[0].url"), std::string::npos)
        << sender.status().message();
  }
  const std::vector<std::string> good = {"http://example.com/hook",
                                         "https://example.com:8443/a?b=c", "http://127.0.0.1:9000",
                                         "http://[::1]:9000/hook"};
  for (const std::string& url : good) {
    auto sender = WebhookSender::Create(io, OneHook(url, secret.path()));
    EXPECT_TRUE(sender.ok()) << url << ": " << sender.status().message();
  }

  auto missing = WebhookSender::Create(
      io, OneHook("http://example.com/hook", "/nonexistent/tessera-webhook-secret"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/tessera-webhook-secret"),
            std::string::npos)
      << missing.status().message();

  TempFile empty("empty_secret", "\n");
  auto blank = WebhookSender::Create(io, OneHook("http://example.com/hook", empty.path()));
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.status().message().find("empty"), std::string::npos) << blank.status().message();
}

}  // namespace
}  // namespace tessera::control
