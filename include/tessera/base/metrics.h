// Counters that the data plane bumps without locks and that a metrics endpoint can publish.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// A monotonically increasing counter. Add/Value are lock-free and thread-safe.
class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

using Labels = std::map<std::string, std::string>;

struct MetricSample {
  std::string name;
  Labels labels;
  uint64_t value = 0;
};

// Owns every counter of the process. GetCounter takes a mutex (set-up time); the returned
// reference stays valid for the registry's lifetime and is bumped lock-free on the hot path.
class MetricsRegistry {
 public:
  Counter& GetCounter(std::string_view name, const Labels& labels = {});
  std::vector<MetricSample> Snapshot() const;
  // Prometheus text exposition format, one line per counter.
  std::string ToPrometheusText() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, Labels>, std::unique_ptr<Counter>> counters_;
};

// The process-wide registry.
MetricsRegistry& GlobalMetrics();

// Why a packet was dropped. Every drop on the data plane has exactly one reason.
enum class DropReason : uint8_t {
  kMalformed = 0,       // failed to parse (RTP, RTCP, payload header)
  kSrtpAuth,            // SRTP/SRTCP authentication failed
  kSrtpReplay,          // SRTP replay check failed
  kTooLate,             // arrived after its frame was given up or emitted
  kBufferFull,          // a bounded queue or buffer had no room
  kUnknownPayloadType,  // payload type not negotiated for this participant
  kUnknownProtocol,     // first byte matched no demux range (RFC 7983)
  kDuplicate,           // a sequence number already held
  kUndecodable,         // frame dropped because a reference was lost (waiting for a keyframe)
  kUnexpectedSource,    // RTCP from neither the signalled nor the latched media address
  kRateLimited,         // over a per-participant budget (e.g. retransmissions asked by NACK)
  kUnlatchedSource,     // RTP from another address than the one the leg's media is latched to
  kUnknownSsrc,         // RTP of another SSRC than the stream's, on probation (RFC 3550 A.1)
  kSequenceJump,        // a sequence jump beyond the dropout limits, on probation (RFC 3550 A.1)
  kCount
};

const char* DropReasonName(DropReason reason);

// Per-scope drop counters: one Counter per reason, labelled {scope=..., reason=...} under
// tessera_packets_dropped_total. Cheap to bump from any thread.
class DropCounters {
 public:
  DropCounters(MetricsRegistry& registry, std::string_view scope);
  void Add(DropReason reason, uint64_t n = 1) { counters_[static_cast<size_t>(reason)]->Add(n); }
  uint64_t Get(DropReason reason) const { return counters_[static_cast<size_t>(reason)]->Value(); }
  uint64_t Total() const;

 private:
  std::array<Counter*, static_cast<size_t>(DropReason::kCount)> counters_{};
};

}  // namespace tessera
