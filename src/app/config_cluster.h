// Parsing of the `cluster` section (docs/operations.md, "Cluster").
#pragma once

#include "app/config.h"
#include "app/config_checker.h"

namespace tessera::app {

void ParseCluster(Checker& c, const YAML::Node& n, cluster::ClusterConfig& out);
// The defaults that come from the rest of the config: node_id from the host name and the
// control port, api_url from control.listen_address, sip_address from the first sip.listen
// entry with a fixed port and a specific address; the errors where they cannot.
void CompleteCluster(Checker& c, const YAML::Node& n, const control::ControlConfig& control,
                     const SipConfig& sip, cluster::ClusterConfig& out);

}  // namespace tessera::app
