// Routes FFmpeg's (libav*) log messages into Tessera's log, so they carry a timestamp and level
// and do not clutter stderr with encoder statistics.
#pragma once

namespace tessera::codec {

// Call once at start-up. FFmpeg errors become log errors and warnings become warnings; FFmpeg's
// informational output (encoder statistics, banners) is dropped unless the log level is debug.
void RouteLibavLogsToSpdlog();

}  // namespace tessera::codec
