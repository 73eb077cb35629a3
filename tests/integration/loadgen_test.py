#!/usr/bin/env python3
"""tessera-loadgen against the real server: a capacity search that passes up to its maximum, and
one whose criterion no run can meet. What an operator sizing a machine relies on: every step
starts a fresh server, measures real composites, and the capacity is the largest passing step.

    loadgen_test.py --tessera build/tessera --loadgen build/tessera-loadgen
"""

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import TestFailure, ensure, run, run_main  # noqa: E402


def capacity(args, work, name, extra):
    out = os.path.join(work, name)
    argv = [args.loadgen, "--tessera", args.tessera, "--capacity", "--participants", "4",
            "--seconds", "3", "--warmup", "1", "--drain-ms", "500", "--quiet",
            "--out-dir", out] + extra
    print("$ " + " ".join(argv))
    rc, stdout, stderr = run(argv, timeout_s=150)
    print(stdout[-3000:])
    if rc != 0:
        raise TestFailure(f"tessera-loadgen exited {rc}: {stderr[-2000:]}")
    with open(os.path.join(out, "capacity.json")) as f:
        return json.load(f), stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--loadgen", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-loadgen-")
    print(f"work directory: {work}")

    # Two rooms of four senders are far below what any CI machine carries: 1 and 2 both pass.
    result, stdout = capacity(args, work, "passes", ["--capacity-max", "2",
                                                     "--loadgen-cpus", "0"])
    steps = result["steps"]
    ensure([s["rooms"] for s in steps] == [1, 2], f"steps: {[s['rooms'] for s in steps]}")
    for s in steps:
        ensure(s["pass"], f"step {s['rooms']} failed: {s['failures']}")
        ensure(s["latency_samples"] > 0 and 0 < s["latency_p99_ms"] <= 100,
               f"step {s['rooms']}: latency {s['latency_p99_ms']} ms over "
               f"{s['latency_samples']} samples")
        ensure(s["delivered_pct"] > 80, f"step {s['rooms']}: delivered {s['delivered_pct']}%")
        ensure(s.get("server_cpu_pct", 0) > 0, f"step {s['rooms']}: no server CPU measured")
        with open(s["result"]) as f:
            rooms = json.load(f)["rooms"]
        ensure(len(rooms) == s["rooms"], f"step {s['rooms']}: its result has {len(rooms)} rooms")
    ensure(result["capacity_rooms"] == 2 and result["at_max"],
           f"capacity {result['capacity_rooms']}, at_max {result['at_max']}")
    ensure("capacity: 2 rooms or more" in stdout, "the table does not state the capacity")
    ensure(result["config"]["loadgen_cpus"] == "0", "--loadgen-cpus is not in the result")
    # The server keeps every CPU the load generator had before it pinned itself to CPU 0.
    with open(steps[0]["result"]) as f:
        server_cpus = json.load(f)["server"]["cpus"]
    allowed = len(os.sched_getaffinity(0))
    ensure(server_cpus == allowed, f"the server may use {server_cpus} CPUs, want all {allowed}")

    # A latency limit no real run meets: the first step fails, the search ends, capacity none.
    result, stdout = capacity(args, work, "fails", ["--capacity-max", "4", "--max-p99-ms", "1"])
    steps = result["steps"]
    ensure([s["rooms"] for s in steps] == [1], f"steps: {[s['rooms'] for s in steps]}")
    ensure(not steps[0]["pass"] and any("latency p99" in f for f in steps[0]["failures"]),
           f"step 1: {steps[0]}")
    ensure(result["capacity_rooms"] == 0, f"capacity {result['capacity_rooms']}")
    ensure("capacity: none" in stdout, "the table does not say no run passed")
    print("PASS loadgen capacity")


if __name__ == "__main__":
    run_main(main)
