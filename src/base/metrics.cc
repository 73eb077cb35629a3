#include <tessera/base/metrics.h>

#include <sstream>

namespace tessera {

Counter& MetricsRegistry::GetCounter(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[{std::string(name), labels}];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

std::vector<MetricSample> MetricsRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<MetricSample> out;
  out.reserve(counters_.size());
  for (const auto& [key, counter] : counters_) {
    out.push_back({key.first, key.second, counter->Value()});
  }
  return out;
}

std::string MetricsRegistry::ToPrometheusText() const {
  std::ostringstream os;
  for (const auto& s : Snapshot()) {
    os << s.name;
    if (!s.labels.empty()) {
      os << '{';
      bool first = true;
      for (const auto& [k, v] : s.labels) {
        if (!first) os << ',';
        first = false;
        os << k << "=\"";
        for (char c : v) {
          if (c == '"' || c == '\\') os << '\\';
          if (c == '\n') {
            os << "\\n";
            continue;
          }
          os << c;
        }
        os << '"';
      }
      os << '}';
    }
    os << ' ' << s.value << '\n';
  }
  return os.str();
}

MetricsRegistry& GlobalMetrics() {
  static MetricsRegistry registry;
  return registry;
}

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kSrtpAuth:
      return "srtp_auth";
    case DropReason::kSrtpReplay:
      return "srtp_replay";
    case DropReason::kTooLate:
      return "too_late";
    case DropReason::kBufferFull:
      return "buffer_full";
    case DropReason::kUnknownPayloadType:
      return "unknown_payload_type";
    case DropReason::kUnknownProtocol:
      return "unknown_protocol";
    case DropReason::kDuplicate:
      return "duplicate";
    case DropReason::kUndecodable:
      return "undecodable";
    case DropReason::kUnexpectedSource:
      return "unexpected_source";
    case DropReason::kRateLimited:
      return "rate_limited";
    case DropReason::kUnlatchedSource:
      return "unlatched_source";
    case DropReason::kUnknownSsrc:
      return "unknown_ssrc";
    case DropReason::kSequenceJump:
      return "sequence_jump";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

DropCounters::DropCounters(MetricsRegistry& registry, std::string_view scope) {
  for (size_t i = 0; i < counters_.size(); ++i) {
    counters_[i] = &registry.GetCounter(
        "tessera_packets_dropped_total",
        {{"scope", std::string(scope)}, {"reason", DropReasonName(static_cast<DropReason>(i))}});
  }
}

uint64_t DropCounters::Total() const {
  uint64_t total = 0;
  for (const Counter* c : counters_) total += c->Value();
  return total;
}

}  // namespace tessera
