// Parsing of custom video layouts (a room's `video.layouts` list).
#pragma once

#include <tessera/mixer/layout.h>

#include <string>
#include <vector>

#include "app/config_checker.h"

namespace tessera::app {

// Parses a list of custom layouts at `path` (e.g. "rooms[0].video.layouts") and appends them to
// `out`. Every problem is reported to `c` with file:line, key path and reason, and parsing goes on
// so that all of them are reported; `out` is only meaningful when c.ok(). Rules: name required,
// unique within the list and not a built-in layout name (grid, speaker, presentation, pip); 1..25
// regions, each with x, y, width, height (fractions of the canvas, x + width <= 1, y + height <=
// 1, width and height > 0), optional z (-100..100), slot (join_order, role, pinned, speaker;
// `role` is required with slot: role and allowed only then) and fit (crop, letterbox).
void ParseCustomLayouts(Checker& c, const YAML::Node& n, const std::string& path,
                        std::vector<mixer::CustomLayout>& out);

}  // namespace tessera::app
