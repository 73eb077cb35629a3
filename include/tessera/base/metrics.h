// Counters, gauges and histograms that the data plane updates without locks, and their
// publication in the Prometheus text exposition format (version 0.0.4) for GET /metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// A monotonically increasing counter. Add/Value are lock-free and thread-safe. Its name ends in
// _total (Prometheus conventions).
class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (a queue's length, a level). Lock-free and thread-safe.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  static_assert(std::atomic<double>::is_always_lock_free);
  std::atomic<double> value_{0};
};

// What a histogram held at one moment. counts[i] is the number of observations in bucket i
// (not cumulative): (bounds[i-1], bounds[i]]; the last element is the +Inf bucket.
struct HistogramSnapshot {
  std::vector<double> bounds;    // upper bounds, ascending and finite; +Inf is implied
  std::vector<uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
  uint64_t count = 0;  // the sum of counts
};

// A distribution over fixed buckets, set at creation. Observe is lock-free and thread-safe: one
// relaxed increment of the bucket and a compare-and-swap on the sum. A snapshot taken while
// others observe is consistent in its counts (count is their sum); the sum may lag or lead by
// the observations in flight.
class Histogram {
 public:
  // bounds: upper bounds (inclusive, Prometheus "le"); sorted, duplicates and non-finite values
  // left out here.
  explicit Histogram(std::span<const double> bounds);

  // A NaN is ignored.
  void Observe(double v);
  HistogramSnapshot Snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // bounds_.size() + 1, never resized
  std::atomic<double> sum_{0};
};

// Bucket sets (seconds) for the families of this project. Durations of work on the media path
// (a tick, an encode, a decode): 0.5 ms .. 2.5 s.
inline constexpr std::array<double, 12> kDurationBucketsSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
// How late a timer-driven tick started: 0.1 ms .. 1 s.
inline constexpr std::array<double, 12> kLatenessBucketsSeconds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0};

using Labels = std::map<std::string, std::string>;

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

// Families of samples, gathered from the registry and from scrape-time collectors, rendered as
// one exposition: each family once (one # HELP and one # TYPE line), families sorted by name,
// a family's series sorted by labels.
// Names are code's, valid Prometheus names (counters end in _total, histograms and gauges do
// not); label values may be anything (they are escaped).
// Runs on: one thread at a time (a scrape).
class MetricsWriter {
 public:
  // Each Add* returns false, and adds nothing, when the family already has another type or
  // already has a series with these labels: a family never repeats and never changes type.
  // help: the family's # HELP text, if it has none yet.
  bool AddCounter(std::string_view name, const Labels& labels, double value,
                  std::string_view help = {});
  bool AddGauge(std::string_view name, const Labels& labels, double value,
                std::string_view help = {});
  bool AddHistogram(std::string_view name, const Labels& labels, HistogramSnapshot histogram,
                    std::string_view help = {});
  // Sets the family's # HELP text (replacing one given before).
  void Describe(std::string_view name, std::string_view help);
  bool HasFamily(std::string_view name) const { return families_.count(name) > 0; }

  // The text exposition format 0.0.4. A family without samples is left out; a family without
  // help text gets its name as help.
  std::string Text() const;

 private:
  struct Family {
    MetricType type = MetricType::kCounter;
    std::string help;
    std::map<Labels, double> values;                 // counters and gauges
    std::map<Labels, HistogramSnapshot> histograms;  // histograms
  };
  Family* FamilyFor(std::string_view name, MetricType type, std::string_view help);

  std::map<std::string, Family, std::less<>> families_;
  std::map<std::string, std::string, std::less<>> help_;  // Describe's, over the families' own
};

struct MetricSample {
  std::string name;
  Labels labels;
  uint64_t value = 0;
};

// Owns every counter, gauge and histogram of the process. Get* take a mutex (set-up time); the
// returned reference stays valid for the registry's lifetime (also after RemoveSeries) and is
// updated lock-free on the hot path. The same name and labels give the same object.
// Runs on: any thread.
class MetricsRegistry {
 public:
  Counter& GetCounter(std::string_view name, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, const Labels& labels = {});
  // bounds: see Histogram. A series made before keeps the bounds it was made with.
  Histogram& GetHistogram(std::string_view name, const Labels& labels,
                          std::span<const double> bounds);
  Histogram& GetHistogram(std::string_view name, const Labels& labels,
                          const std::vector<double>& bounds) {
    return GetHistogram(name, labels, std::span<const double>(bounds));
  }
  // The family's # HELP text (one line; a newline is escaped).
  void Describe(std::string_view name, std::string_view help);

  // A counter that lives only while someone holds it (a participant's drop counters): each
  // HoldCounter adds a holder (the same name and labels give the same object), each
  // ReleaseCounter takes one away, and the last release removes the series and frees it, so
  // participants coming and going under new names do not grow the process. A series also
  // reached through GetCounter is never freed (its reference must stay valid), only unpublished.
  Counter& HoldCounter(std::string_view name, const Labels& labels);
  void ReleaseCounter(std::string_view name, const Labels& labels);

  // The series leaves the exposition (a room or leg that ended). Its object stays alive, so a
  // reference someone still holds stays valid, but is no longer published; Get* with the same
  // name and labels afterwards makes a new series from zero. A series not there: nothing.
  void RemoveSeries(std::string_view name, const Labels& labels);

  // Samples computed at scrape time (live figures of rooms, the process): called at every
  // Collect, on the scraping thread, after the registry's own series are written, outside the
  // registry's mutex (a collector may call Get*, never AddCollector or RemoveCollector).
  // Returns an id for RemoveCollector. A collector that throws is skipped for that scrape.
  uint64_t AddCollector(std::function<void(MetricsWriter&)> collector);
  // Returns once no scrape runs the collector any more (waits for one in progress).
  void RemoveCollector(uint64_t id);

  // The counters only, sorted by name then labels.
  std::vector<MetricSample> Snapshot() const;
  // Every series and every collector's samples into `out`.
  void Collect(MetricsWriter& out) const;
  // Collect, as text exposition format 0.0.4.
  std::string ToPrometheusText() const;

 private:
  using Key = std::pair<std::string, Labels>;

  mutable std::mutex mu_;
  std::map<Key, std::unique_ptr<Counter>> counters_;
  std::map<Key, size_t> holders_;  // HoldCounter's series: how many hold each
  std::set<Key> gotten_;           // counters GetCounter handed out: never freed
  std::map<Key, std::unique_ptr<Gauge>> gauges_;
  std::map<Key, std::unique_ptr<Histogram>> histograms_;
  std::map<std::string, std::string, std::less<>> help_;
  // Removed series: kept so that references to them stay valid.
  std::vector<std::unique_ptr<Counter>> retired_counters_;
  std::vector<std::unique_ptr<Gauge>> retired_gauges_;
  std::vector<std::unique_ptr<Histogram>> retired_histograms_;

  // Held while collectors run, so RemoveCollector cannot return while one still runs.
  mutable std::mutex collect_mu_;
  std::map<uint64_t, std::function<void(MetricsWriter&)>> collectors_;  // under collect_mu_
  uint64_t next_collector_id_ = 1;                                      // under collect_mu_
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
  kNotKeyed,            // SRTP on a WebRTC leg before its DTLS handshake gave it keys
  kCount
};

const char* DropReasonName(DropReason reason);

// Per-scope drop counters: one Counter per reason, labelled {scope=..., reason=...} under
// tessera_packets_dropped_total. Cheap to bump from any thread.
class DropCounters {
 public:
  // Holds its series (MetricsRegistry::HoldCounter) until it is destroyed.
  DropCounters(MetricsRegistry& registry, std::string_view scope);
  ~DropCounters();
  DropCounters(const DropCounters&) = delete;
  DropCounters& operator=(const DropCounters&) = delete;
  void Add(DropReason reason, uint64_t n = 1) { counters_[static_cast<size_t>(reason)]->Add(n); }
  uint64_t Get(DropReason reason) const { return counters_[static_cast<size_t>(reason)]->Value(); }
  uint64_t Total() const;

 private:
  static Labels LabelsFor(const std::string& scope, size_t reason);

  MetricsRegistry& registry_;
  std::string scope_;
  std::array<Counter*, static_cast<size_t>(DropReason::kCount)> counters_{};
};

}  // namespace tessera
