// tessera-loadgen's command line.
#pragma once

#include <tessera/base/status.h>

#include <string>
#include <vector>

#include "loadgen/capacity.h"
#include "loadgen/engine.h"
#include "loadgen/load_plan.h"

namespace tessera::loadgen {

struct Options {
  GenerateOptions generate;
  EngineOptions engine;
  std::string tessera;  // start this server binary on a generated config
  std::string config;   // or play this config against a running server
  // Or the API mode: add `api_join` participants to the existing room `api_room` through the
  // API at `api` (a node's http://host:port), following a cascaded room's 307s to share nodes.
  std::string api;
  std::string token_file;  // the bearer token (a file, so it is not in the process list)
  std::string api_room;
  int api_join = 0;
  std::string name_prefix = "lg";  // participants lg1, lg2, ...
  int links_timeout_s = 15;        // for the primary to list every participant as a tile
  int pid = 0;                     // the running server, for CPU and RSS
  std::string server_cpus;         // CPUs the started server may use
  std::string loadgen_cpus;        // CPUs the load generator itself may use; empty: all
  // The capacity search: runs with M = --rooms, 2M, 4M ... then bisects, each on a fresh server.
  bool capacity = false;
  int capacity_max = 64;
  CapacityCriteria criteria;
  int input_width = 640;
  int input_height = 360;
  int input_fps = 30;
  int input_kbps = 600;
  std::string out_dir;    // config and server log; empty: a new directory under /tmp
  std::string json_path;  // empty: <out_dir>/result.json
  uint16_t port_min = 24000;
  uint16_t port_max = 28999;
  bool progress = true;
  bool help = false;
};

// Parses the arguments after argv[0]. InvalidArgument names the bad flag and why.
StatusOr<Options> ParseOptions(const std::vector<std::string>& args);
std::string Usage();

}  // namespace tessera::loadgen
