// GET /metrics: the registry's series (the counters and the histograms the media code observes,
// the API's own) and the live figures of rooms, participants, legs, SIP and the process, read
// when Prometheus scrapes. Families, types and labels: docs/operations.md, "Metrics".
#pragma once

#include <tessera/base/metrics.h>
#include <tessera/control/sip_control.h>
#include <tessera/session/room_directory.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::control {

// The Content-Type of the answer (text exposition format 0.0.4).
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// The SIP service's figures: the object of its `sipstats` answer (calls_in, calls_out,
// rejected_*, active_calls, transports ...; see sipua::SipService::Control), with, optionally,
// "calls": the array of its `calls` answer (each call's "state"). nullopt: SIP is off or not
// running. Runs on: the scraping thread; may block briefly.
using SipStatsFn = std::function<std::optional<nlohmann::json>()>;

// A SipStatsFn over the SIP user agent's typed operations (its Stats and, as "calls", its
// ListCalls). Null: SIP is off.
SipStatsFn SipStatsFrom(SipControl* sip);

// The live figures into `out`: rooms, participants and their legs (the directory's ListRooms,
// RoomStats and Participants), SIP (when `sip` is set and answers) and the process. Never
// throws; a room that ends while it is read is left out, and so is what the directory cannot
// give (not running). Runs on: the scraping thread; blocks while the rooms answer.
void WriteLiveMetrics(MetricsWriter& out, session::RoomDirectory& rooms, const SipStatsFn& sip);

// The SIP part of WriteLiveMetrics, from one `sipstats` object (plus "calls").
void WriteSipMetrics(MetricsWriter& out, const nlohmann::json& stats);

// The process part: CPU seconds, resident and virtual memory, open descriptors, threads, start
// time (Linux /proc; what cannot be read is left out).
void WriteProcessMetrics(MetricsWriter& out);

// The whole exposition: the registry's series and collectors, then the live figures, each
// family once.
std::string RenderMetrics(session::RoomDirectory& rooms, const SipStatsFn& sip = {},
                          const MetricsRegistry& registry = GlobalMetrics());

}  // namespace tessera::control
