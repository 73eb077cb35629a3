// Parsing of the `audit` section (the audit trail).
#pragma once

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

void ParseAudit(Checker& c, const YAML::Node& n, AuditConfig& out);

}  // namespace tessera::app
