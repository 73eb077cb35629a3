#include "loadgen/report.h"

#include <cstdio>
#include <sstream>

namespace tessera::loadgen {
namespace {

std::string Printf(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += Printf("\\u%04x", c);
      continue;
    }
    out += c;
  }
  return out;
}

// Numbers with at most 3 decimals, as JSON accepts them.
std::string Num(double v) {
  std::string s = Printf("%.3f", v);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    const bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return s == "-0" ? "0" : s;
}

std::string LatencyJson(const LatencySummary& l) {
  return "{\"samples\":" + std::to_string(l.samples) + ",\"p50\":" + Num(l.p50_ms) +
         ",\"p95\":" + Num(l.p95_ms) + ",\"p99\":" + Num(l.p99_ms) + ",\"max\":" + Num(l.max_ms) +
         ",\"mean\":" + Num(l.mean_ms) + "}";
}

std::string RoomJson(const RoomResult& r, const std::optional<ServerRoomFigures>& server) {
  std::ostringstream o;
  const MatchStats& m = r.match;
  o << "{\"room\":\"" << Escape(r.name) << "\",\"senders\":" << r.senders
    << ",\"decoded\":" << (r.decoded ? "true" : "false") << ",\"composite_fps\":" << r.composite_fps
    << ",\"composites\":" << r.composites
    << ",\"composites_expected\":" << Num(r.composites_expected)
    << ",\"missing_intervals\":" << r.missing_intervals
    << ",\"delivered_ratio\":" << Num(r.DeliveredRatio()) << ",\"shown\":" << m.shown
    << ",\"missed\":" << m.missed << ",\"repeated\":" << m.repeated
    << ",\"unreadable\":" << m.unreadable << ",\"unmatched\":" << m.unmatched
    << ",\"backwards\":" << m.backwards << ",\"latency_ms\":" << LatencyJson(r.latency)
    << ",\"input_frames_sent\":" << r.input_frames_sent
    << ",\"composite_packets\":" << r.composite_packets
    << ",\"composite_lost\":" << r.composite_lost << ",\"mix_packets\":" << r.mix_packets
    << ",\"mix_lost\":" << r.mix_lost << ",\"loss_ratio\":" << Num(r.LossRatio())
    << ",\"decode_errors\":" << r.decode_errors << ",\"decode_dropped\":" << r.decode_dropped
    << ",\"plis_received\":" << r.plis_received << ",\"nacks_received\":" << r.nacks_received
    << ",\"retransmitted\":" << r.retransmitted;
  if (r.mirror_of >= 0) o << ",\"mirror_of\":" << r.mirror_of;
  if (!r.by_group.empty()) {
    o << ",\"latency_by_group_ms\":{";
    for (size_t i = 0; i < r.by_group.size(); ++i) {
      o << (i ? "," : "") << '"' << Escape(r.by_group[i].group)
        << "\":" << LatencyJson(r.by_group[i].latency);
    }
    o << "}";
  }
  if (server) {
    o << ",\"server\":{\"ticks\":" << Num(server->ticks)
      << ",\"skipped_ticks\":" << Num(server->skipped_ticks)
      << ",\"skipped_ratio\":" << Num(server->ticks > 0 ? server->skipped_ticks / server->ticks : 0)
      << ",\"tick_cost_p99_ms\":" << Num(server->tick_cost_p99_ms);
    if (server->latency_p50_ms) o << ",\"latency_p50_ms\":" << Num(*server->latency_p50_ms);
    if (server->latency_p99_ms) o << ",\"latency_p99_ms\":" << Num(*server->latency_p99_ms);
    o << "}";
  }
  o << "}";
  return o.str();
}

std::string Percent(double ratio) { return Printf("%.1f%%", 100 * ratio); }

}  // namespace

std::string FormatProgress(const SecondSample& s, int warmup_s) {
  std::string line = Printf("[%4.0fs%s] composite %4.1f fps | latency", s.t_s,
                            s.t_s <= warmup_s ? " warm-up" : "", s.composite_fps);
  if (s.latency.samples) {
    line += Printf(" p50 %5.1f p95 %5.1f p99 %5.1f ms (%llu)", s.latency.p50_ms, s.latency.p95_ms,
                   s.latency.p99_ms, static_cast<unsigned long long>(s.latency.samples));
  } else {
    line += " -";
  }
  line +=
      Printf(" | shown %llu missed %llu unreadable %llu | lost %llu | gaps %llu",
             static_cast<unsigned long long>(s.shown), static_cast<unsigned long long>(s.missed),
             static_cast<unsigned long long>(s.unreadable),
             static_cast<unsigned long long>(s.lost_packets),
             static_cast<unsigned long long>(s.missing_intervals));
  if (s.server_cores) {
    line += Printf(" | server %.2f cores %.0f MB", *s.server_cores,
                   static_cast<double>(s.server_rss_kb) / 1024);
  }
  line += Printf(" | loadgen %.2f cores", s.loadgen_cores);
  return line;
}

std::string FormatTable(const RunResult& r) {
  std::ostringstream o;
  o << Printf("%-10s %7s %13s %9s %29s %9s %7s %13s %9s\n", "room", "senders", "composites",
              "delivered", "latency p50/p95/p99/max ms", "lost", "gaps", "skipped ticks",
              "srv p99");
  auto row = [&](const RoomResult& room, const std::optional<ServerRoomFigures>& server) {
    const std::string composites =
        room.decoded ? Printf("%llu/%.0f", static_cast<unsigned long long>(room.composites),
                              room.composites_expected)
                     : "-";
    const std::string latency =
        room.latency.samples ? Printf("%.1f/%.1f/%.1f/%.1f", room.latency.p50_ms,
                                      room.latency.p95_ms, room.latency.p99_ms, room.latency.max_ms)
                             : "-";
    const std::string skipped =
        server ? Printf("%.0f/%.0f", server->skipped_ticks, server->ticks) : "-";
    const std::string srv_p99 =
        server && server->latency_p99_ms ? Printf("%.1f", *server->latency_p99_ms) : "-";
    o << Printf(
        "%-10s %7d %13s %9s %29s %9llu %7llu %13s %9s\n", room.name.c_str(), room.senders,
        composites.c_str(), room.decoded ? Percent(room.DeliveredRatio()).c_str() : "-",
        latency.c_str(), static_cast<unsigned long long>(room.composite_lost + room.mix_lost),
        static_cast<unsigned long long>(room.missing_intervals), skipped.c_str(), srv_p99.c_str());
    for (const GroupLatency& g : room.by_group) {
      const LatencySummary& l = g.latency;
      o << Printf(
          "  from %-25s %29s (%llu frames)\n", g.group.c_str(),
          l.samples ? Printf("%.1f/%.1f/%.1f/%.1f", l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms).c_str()
                    : "-",
          static_cast<unsigned long long>(l.samples));
    }
  };
  for (size_t i = 0; i < r.rooms.size(); ++i) {
    row(r.rooms[i], i < r.server_rooms.size() ? r.server_rooms[i] : std::nullopt);
  }
  if (r.rooms.size() > 1) {
    std::optional<ServerRoomFigures> sum;
    for (const auto& s : r.server_rooms) {
      if (!s) continue;
      if (!sum) sum.emplace();
      sum->ticks += s->ticks;
      sum->skipped_ticks += s->skipped_ticks;
    }
    row(r.total, sum);
  }
  o << Printf(
      "window %.1f s; delivered = input frames shown / sent; latency: last packet of an "
      "input frame sent -> composite showing it received\n",
      r.window_s);
  if (r.server_cores_mean) {
    o << Printf("server: %.2f cores mean (%s of %d CPUs), %.2f peak second, RSS peak %.0f MB\n",
                *r.server_cores_mean,
                Percent(r.server_cpus ? *r.server_cores_mean / r.server_cpus : 0).c_str(),
                r.server_cpus, r.server_cores_max, static_cast<double>(r.server_rss_max_kb) / 1024);
  }
  o << Printf(
      "loadgen: %.2f cores mean; frames sent late p99 %.1f ms, skipped %llu, send "
      "failures %llu; decode errors %llu, dropped %llu\n",
      r.loadgen_cores_mean, r.send_lateness.p99_ms,
      static_cast<unsigned long long>(r.sender_skipped),
      static_cast<unsigned long long>(r.send_failures),
      static_cast<unsigned long long>(r.total.decode_errors),
      static_cast<unsigned long long>(r.total.decode_dropped));
  if (r.server_gone) o << "the server exited during the run\n";
  if (r.interrupted) o << "interrupted: measured until the signal\n";
  return o.str();
}

std::string ToJson(const RunResult& r, const RunSettings& settings) {
  std::ostringstream o;
  o << "{\"config\":{";
  for (size_t i = 0; i < settings.size(); ++i) {
    o << (i ? "," : "") << '"' << Escape(settings[i].first) << "\":\"" << Escape(settings[i].second)
      << '"';
  }
  o << "},\"window_s\":" << Num(r.window_s)
    << ",\"interrupted\":" << (r.interrupted ? "true" : "false") << ",\"server\":{";
  if (r.server_cores_mean) {
    o << "\"cpu_cores_mean\":" << Num(*r.server_cores_mean) << ",\"cpu_percent_of_allowed\":"
      << Num(r.server_cpus ? 100 * *r.server_cores_mean / r.server_cpus : 0) << ",";
  }
  o << "\"cpu_cores_peak_second\":" << Num(r.server_cores_max) << ",\"cpus\":" << r.server_cpus
    << ",\"rss_peak_mb\":" << Num(static_cast<double>(r.server_rss_max_kb) / 1024)
    << ",\"gone\":" << (r.server_gone ? "true" : "false") << "}";
  o << ",\"loadgen\":{\"cpu_cores_mean\":" << Num(r.loadgen_cores_mean)
    << ",\"send_lateness_ms\":" << LatencyJson(r.send_lateness)
    << ",\"sender_skipped\":" << r.sender_skipped << ",\"send_failures\":" << r.send_failures
    << "},\"rooms\":[";
  for (size_t i = 0; i < r.rooms.size(); ++i) {
    o << (i ? "," : "")
      << RoomJson(r.rooms[i], i < r.server_rooms.size() ? r.server_rooms[i] : std::nullopt);
  }
  o << "],\"total\":" << RoomJson(r.total, std::nullopt) << ",\"timeline\":[";
  for (size_t i = 0; i < r.timeline.size(); ++i) {
    const SecondSample& s = r.timeline[i];
    o << (i ? "," : "") << "{\"t_s\":" << Num(s.t_s)
      << ",\"measuring\":" << (s.measuring ? "true" : "false")
      << ",\"composite_fps\":" << Num(s.composite_fps)
      << ",\"latency_ms\":" << LatencyJson(s.latency) << ",\"shown\":" << s.shown
      << ",\"missed\":" << s.missed << ",\"unreadable\":" << s.unreadable
      << ",\"lost_packets\":" << s.lost_packets << ",\"missing_intervals\":" << s.missing_intervals;
    if (s.server_cores) {
      o << ",\"server_cores\":" << Num(*s.server_cores)
        << ",\"server_rss_mb\":" << Num(static_cast<double>(s.server_rss_kb) / 1024);
    }
    o << ",\"loadgen_cores\":" << Num(s.loadgen_cores) << "}";
  }
  o << "]}\n";
  return o.str();
}

}  // namespace tessera::loadgen
