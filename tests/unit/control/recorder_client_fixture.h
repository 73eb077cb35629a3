// The RecorderClient tests' fixture (recordings_test.cc, erasures_test.cc): a client of a local
// stand-in for the recorder (Receiver, answering as told), its bearer token in a file, and every
// event it emits kept in order.
#pragma once

#include <gtest/gtest.h>
#include <tessera/control/recordings.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "unit/control/local_http.h"

namespace tessera::control::testing {

// JSON text, or a discarded value when it is not JSON.
inline nlohmann::json Parse(const std::string& s) {
  return nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
}

class RecorderClientFixture : public ::testing::Test {
 protected:
  StatusOr<std::unique_ptr<RecorderClient>> Make(const Receiver& recorder) {
    RecorderConfig config;
    config.url = recorder.Url("");
    config.token_file = token_.path();
    return RecorderClient::Create(io_, config,
                                  [this](const nlohmann::json& e) { events_.push_back(e); });
  }
  std::vector<std::string> EventTypes() const {
    std::vector<std::string> types;
    for (const auto& e : events_) types.push_back(e.value("type", ""));
    return types;
  }

  boost::asio::io_context io_;
  TempFile token_{"recorder_token", "recorder-bearer-token\n"};
  std::vector<nlohmann::json> events_;
};

}  // namespace tessera::control::testing
