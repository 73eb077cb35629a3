#include <spdlog/spdlog.h>
#include <tessera/base/metrics.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <system_error>
#include <utility>

namespace tessera {
namespace {

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Go's strconv formatting as the Prometheus clients write it: integers without a fraction,
// otherwise the shortest text that reads back as the same double.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general);
  if (result.ec != std::errc()) return "NaN";  // 64 characters always suffice
  return std::string(buf, result.ptr);
}

// The length of the UTF-8 sequence at s[i], or 0 where s[i] starts none (overlong forms,
// surrogates and code points past U+10FFFF are not UTF-8).
size_t Utf8Length(std::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((lead & 0xE0) == 0xC0) {
    n = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    n = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    n = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Label values and HELP text: backslash and line feed escaped, the double quote too in a label
// value. A byte that is not UTF-8 becomes U+FFFD: Prometheus refuses a whole scrape for one.
void AppendEscaped(std::string& out, std::string_view v, bool quote) {
  for (size_t i = 0; i < v.size();) {
    const char c = v[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else if (const size_t n = Utf8Length(v, i); n > 0) {
      out.append(v.substr(i, n));
      i += n;
      continue;
    } else {
      out += "\xEF\xBF\xBD";
    }
    ++i;
  }
}

void AppendLabelValue(std::string& out, std::string_view v) { AppendEscaped(out, v, true); }

void AppendHelp(std::string& out, std::string_view help) { AppendEscaped(out, help, false); }

// name{k="v",...[,le="..."]}. A histogram's own "le" label is left out for the bucket's.
void AppendSeries(std::string& out, std::string_view name, const Labels& labels,
                  const std::string* le) {
  out += name;
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (le && k == "le") continue;
    out += first ? '{' : ',';
    first = false;
    out += k;
    out += "=\"";
    AppendLabelValue(out, v);
    out += '"';
  }
  if (le) {
    out += first ? '{' : ',';
    first = false;
    out += "le=\"";
    out += *le;
    out += '"';
  }
  if (!first) out += '}';
}

std::vector<double> SortedBounds(std::span<const double> bounds) {
  std::vector<double> out;
  for (double b : bounds) {
    if (std::isfinite(b)) out.push_back(b);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

void Gauge::Add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(SortedBounds(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  // Bucket i counts v <= bounds_[i]; past the last bound: the +Inf bucket.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  counts_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + v, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.counts.reserve(counts_.size());
  for (const auto& c : counts_) {
    s.counts.push_back(c.load(std::memory_order_relaxed));
    s.count += s.counts.back();
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

MetricsWriter::Family* MetricsWriter::FamilyFor(std::string_view name, MetricType type,
                                                std::string_view help) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = type;
  } else if (it->second.type != type) {
    return nullptr;
  }
  if (it->second.help.empty() && !help.empty()) it->second.help = std::string(help);
  return &it->second;
}

bool MetricsWriter::AddCounter(std::string_view name, const Labels& labels, double value,
                               std::string_view help) {
  Family* f = FamilyFor(name, MetricType::kCounter, help);
  return f && f->values.emplace(labels, value).second;
}

bool MetricsWriter::AddGauge(std::string_view name, const Labels& labels, double value,
                             std::string_view help) {
  Family* f = FamilyFor(name, MetricType::kGauge, help);
  return f && f->values.emplace(labels, value).second;
}

bool MetricsWriter::AddHistogram(std::string_view name, const Labels& labels,
                                 HistogramSnapshot histogram, std::string_view help) {
  if (histogram.counts.size() != histogram.bounds.size() + 1) return false;
  if (!std::is_sorted(histogram.bounds.begin(), histogram.bounds.end())) return false;
  // _count is the +Inf bucket, always.
  histogram.count = 0;
  for (uint64_t c : histogram.counts) histogram.count += c;
  Family* f = FamilyFor(name, MetricType::kHistogram, help);
  return f && f->histograms.emplace(labels, std::move(histogram)).second;
}

void MetricsWriter::Describe(std::string_view name, std::string_view help) {
  help_[std::string(name)] = std::string(help);
}

std::string MetricsWriter::Text() const {
  std::string out;
  for (const auto& [name, f] : families_) {
    if (f.values.empty() && f.histograms.empty()) continue;
    const auto described = help_.find(name);
    const std::string& help = described != help_.end() ? described->second
                              : f.help.empty()         ? name
                                                       : f.help;
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendHelp(out, help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(f.type);
    out += '\n';
    for (const auto& [labels, value] : f.values) {
      AppendSeries(out, name, labels, nullptr);
      out += ' ';
      out += FormatValue(value);
      out += '\n';
    }
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        const std::string le = i < h.bounds.size() ? FormatValue(h.bounds[i]) : "+Inf";
        AppendSeries(out, name + "_bucket", labels, &le);
        out += ' ';
        out += std::to_string(cumulative);
        out += '\n';
      }
      AppendSeries(out, name + "_sum", labels, nullptr);
      out += ' ';
      out += FormatValue(h.sum);
      out += '\n';
      AppendSeries(out, name + "_count", labels, nullptr);
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
  }
  return out;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  Key key{std::string(name), labels};
  auto& slot = counters_[key];
  if (!slot) slot = std::make_unique<Counter>();
  gotten_.insert(std::move(key));
  return *slot;
}

Counter& MetricsRegistry::HoldCounter(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  Key key{std::string(name), labels};
  auto& slot = counters_[key];
  if (!slot) slot = std::make_unique<Counter>();
  ++holders_[std::move(key)];
  return *slot;
}

void MetricsRegistry::ReleaseCounter(std::string_view name, const Labels& labels) {
  const Key key{std::string(name), labels};
  std::lock_guard lock(mu_);
  auto held = holders_.find(key);
  if (held == holders_.end() || --held->second > 0) return;
  holders_.erase(held);
  if (gotten_.count(key)) return;  // someone may still use it through GetCounter's reference
  counters_.erase(key);
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = gauges_[{std::string(name), labels}];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, const Labels& labels,
                                         std::span<const double> bounds) {
  std::lock_guard lock(mu_);
  auto& slot = histograms_[{std::string(name), labels}];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

void MetricsRegistry::Describe(std::string_view name, std::string_view help) {
  std::lock_guard lock(mu_);
  help_[std::string(name)] = std::string(help);
}

void MetricsRegistry::RemoveSeries(std::string_view name, const Labels& labels) {
  const Key key{std::string(name), labels};
  std::lock_guard lock(mu_);
  // A held counter leaves with its last holder (ReleaseCounter), never here: retiring it would
  // let a new holder of the same series be freed by an old holder's release.
  if (auto it = counters_.find(key); it != counters_.end() && holders_.count(key) == 0) {
    retired_counters_.push_back(std::move(it->second));
    counters_.erase(it);
  }
  if (auto it = gauges_.find(key); it != gauges_.end()) {
    retired_gauges_.push_back(std::move(it->second));
    gauges_.erase(it);
  }
  if (auto it = histograms_.find(key); it != histograms_.end()) {
    retired_histograms_.push_back(std::move(it->second));
    histograms_.erase(it);
  }
}

uint64_t MetricsRegistry::AddCollector(std::function<void(MetricsWriter&)> collector) {
  std::lock_guard lock(collect_mu_);
  const uint64_t id = next_collector_id_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void MetricsRegistry::RemoveCollector(uint64_t id) {
  std::lock_guard lock(collect_mu_);
  collectors_.erase(id);
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

void MetricsRegistry::Collect(MetricsWriter& out) const {
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, counter] : counters_) {
      out.AddCounter(key.first, key.second, static_cast<double>(counter->Value()));
    }
    for (const auto& [key, gauge] : gauges_) out.AddGauge(key.first, key.second, gauge->Value());
    for (const auto& [key, histogram] : histograms_) {
      out.AddHistogram(key.first, key.second, histogram->Snapshot());
    }
    for (const auto& [name, help] : help_) out.Describe(name, help);
  }
  std::lock_guard lock(collect_mu_);
  for (const auto& [id, collector] : collectors_) {
    try {
      collector(out);
    } catch (const std::exception& e) {
      spdlog::warn("metrics: collector {} failed this scrape: {}", id, e.what());
    }
  }
}

std::string MetricsRegistry::ToPrometheusText() const {
  MetricsWriter writer;
  Collect(writer);
  return writer.Text();
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
    case DropReason::kNotKeyed:
      return "not_keyed";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

Labels DropCounters::LabelsFor(const std::string& scope, size_t reason) {
  return {{"scope", scope}, {"reason", DropReasonName(static_cast<DropReason>(reason))}};
}

DropCounters::DropCounters(MetricsRegistry& registry, std::string_view scope)
    : registry_(registry), scope_(scope) {
  registry.Describe("tessera_packets_dropped_total",
                    "Packets dropped, by scope (a participant's name; \"NAME/video\" for its "
                    "video) and reason, while the participant is in its room");
  for (size_t i = 0; i < counters_.size(); ++i) {
    counters_[i] = &registry.HoldCounter("tessera_packets_dropped_total", LabelsFor(scope_, i));
  }
}

DropCounters::~DropCounters() {
  for (size_t i = 0; i < counters_.size(); ++i) {
    registry_.ReleaseCounter("tessera_packets_dropped_total", LabelsFor(scope_, i));
  }
}

uint64_t DropCounters::Total() const {
  uint64_t total = 0;
  for (const Counter* c : counters_) total += c->Value();
  return total;
}

}  // namespace tessera
