// A leg's or participant's drop counters as the "dropped" object of its summary line.
#pragma once

#include <tessera/base/metrics.h>

#include <nlohmann/json.hpp>

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

}  // namespace tessera::session
