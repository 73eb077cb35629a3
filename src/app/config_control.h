// Parsing of the `control` section (the HTTP API) and of rooms the API sends as JSON.
#pragma once

#include <tessera/control/config.h>

#include "app/config_checker.h"

namespace tessera::app {

void ParseControl(Checker& c, const YAML::Node& n, control::ControlConfig& out);

}  // namespace tessera::app
