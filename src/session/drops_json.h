// A leg's or participant's drop counters as the "dropped" object of its summary line, and its
// receive accounting as the "ingress" object.
#pragma once

#include <tessera/base/metrics.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "session/media_transport.h"

namespace tessera::session {

// {"malformed":0,"srtp_auth":0,...}: every reason, in DropReason order.
inline nlohmann::ordered_json DropsJson(const DropCounters& drops) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
    const auto reason = static_cast<DropReason>(i);
    j[DropReasonName(reason)] = drops.Get(reason);
  }
  return j;
}

// {"received":N,"accepted":M,"dropped":{"malformed":0,...}}: the fate of every datagram that
// reached the ports, on arrival (received == accepted + the sum of dropped).
inline nlohmann::ordered_json IngressJson(const ReceiveCounts& counts) {
  nlohmann::ordered_json dropped = nlohmann::ordered_json::object();
  for (size_t i = 0; i < counts.dropped.size(); ++i) {
    dropped[DropReasonName(static_cast<DropReason>(i))] = counts.dropped[i];
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["received"] = counts.received;
  j["accepted"] = counts.accepted;
  j["dropped"] = std::move(dropped);
  return j;
}

}  // namespace tessera::session
