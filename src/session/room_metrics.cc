#include "session/room_metrics.h"

#include <span>

namespace tessera::session {

RoomSeries::~RoomSeries() {
  for (const auto& [family, labels] : series_) GlobalMetrics().RemoveSeries(family, labels);
}

Histogram& RoomSeries::Get(std::string_view family, const Labels& labels) {
  std::span<const double> bounds = kDurationBucketsSeconds;
  const char* help = "";
  if (family == kTickDurationFamily) {
    help = "Time one tick of a room's audio (decode, mix, encode) or video (compose, encode) took";
  } else if (family == kTickLatenessFamily) {
    bounds = kLatenessBucketsSeconds;
    help = "How long after its deadline a tick of a room's audio or video started";
  } else if (family == kEncodeDurationFamily) {
    help = "Time one video encode of a room's profile took";
  } else if (family == kDecodeDurationFamily) {
    help = "Time one video frame of a room's participant took to decode";
  }
  MetricsRegistry& registry = GlobalMetrics();
  registry.Describe(family, help);
  series_.emplace_back(std::string(family), labels);
  return registry.GetHistogram(family, labels, bounds);
}

}  // namespace tessera::session
