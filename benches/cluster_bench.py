#!/usr/bin/env python3
"""Cluster figures on one machine: three tessera nodes on 127.0.0.1-3 and one redis-server, as
the cluster tests run them (tests/integration/cluster_test.py).

  1. Placement: --rooms rooms (each with --participants RTP audio participants) are created
     through node n1 alone; reports the rooms per node, the redirects clients followed and the
     time a create takes with and without a redirect.
  2. Failover: --trials times, kill -9 the node with the most rooms and time until every one of
     its rooms answers 200 on another node (the node restarts between trials).
  3. Handover: SIGINT a node (an operator's stop) and time until its rooms run elsewhere.

usage: benches/cluster_bench.py --tessera build/tessera --token build/tessera-token
           [--rooms 12] [--participants 2] [--trials 3] [--json out.json]
"""
import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from tessera_harness import ensure, run_main  # noqa: E402
from control_test import audio_participant, expect_json  # noqa: E402
from cluster_test import HEARTBEAT_MS, LEASE_MS, Cluster, Redis, room  # noqa: E402


def rooms_by_node(c):
    out = {}
    for r in c.view(next(n for n, t in c.nodes.items() if t.proc.proc.poll() is None))["rooms"]:
        out.setdefault(r["node"], []).append(r["name"])
    return out


def wait_all_moved(c, names, dead, asked, timeout_s):
    start = time.monotonic()
    pending = set(names)
    done = {}
    while pending:
        for name in sorted(pending):
            r, at = c.follow("GET", asked, f"/v1/rooms/{name}")
            if r is not None and r.status == 200 and at != dead:
                done[name] = time.monotonic() - start
        pending -= set(done)
        ensure(time.monotonic() - start < timeout_s,
               f"rooms {sorted(pending)} not running elsewhere {timeout_s} s after {dead} went")
        if pending:
            time.sleep(0.05)  # poll interval
    return done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--rooms", type=int, default=12)
    ap.add_argument("--participants", type=int, default=2)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-cluster-bench-")
    print(f"work directory: {work}")
    report = {"lease_ms": LEASE_MS, "heartbeat_ms": HEARTBEAT_MS, "rooms": args.rooms,
              "participants_per_room": args.participants}
    redis = Redis(work).start()
    try:
        with Cluster(args, work, redis) as c:
            direct, redirected = [], []
            for k in range(args.rooms):
                name = f"bench-{k}"
                body = room(name, participants=[audio_participant(f"{name}-p{i}")
                                                for i in range(args.participants)])
                t0 = time.monotonic()
                r, at = c.follow("POST", "n1", "/v1/rooms", body)
                took = time.monotonic() - t0
                ensure(r is not None and r.status == 201, f"create {name}: {r}")
                (direct if at == "n1" else redirected).append(took)
            placed = rooms_by_node(c)
            report["placed"] = {n: len(v) for n, v in placed.items()}
            report["redirects"] = len(redirected)
            report["create_ms_direct_median"] = round(1000 * statistics.median(direct), 1)
            report["create_ms_redirected_median"] = round(1000 * statistics.median(redirected), 1)
            print(f"placed per node: {report['placed']}; {len(redirected)} of {args.rooms} "
                  f"creates redirected; create median {report['create_ms_direct_median']} ms "
                  f"here, {report['create_ms_redirected_median']} ms with the redirect")

            trials = []
            for trial in range(args.trials):
                placed = rooms_by_node(c)
                victim = max((n for n in placed if n in c.nodes and n != "n1"),
                             key=lambda n: len(placed[n]))
                names = placed[victim]
                c.nodes[victim].kill()
                moved = wait_all_moved(c, names, victim, "n1",
                                       (LEASE_MS + 2 * HEARTBEAT_MS) / 1000 + 10)
                worst = max(moved.values())
                trials.append({"node": victim, "rooms": len(names),
                               "first_s": round(min(moved.values()), 2),
                               "last_s": round(worst, 2)})
                print(f"trial {trial + 1}: kill -9 {victim} with {len(names)} rooms: all running "
                      f"elsewhere after {worst:.2f} s (first {min(moved.values()):.2f} s)")
                c.start_node(int(victim[1:]))
                c.wait_nodes(3)
            report["failover"] = trials

            placed = rooms_by_node(c)
            victim = max((n for n in placed if n in c.nodes and n != "n1"),
                         key=lambda n: len(placed[n]))
            names = placed[victim]
            c.nodes[victim].proc.proc.send_signal(signal.SIGINT)
            c.nodes[victim].proc.wait_exit(20, f"{victim} did not exit on SIGINT")
            moved = wait_all_moved(c, names, victim, "n1", 10)
            report["handover"] = {"node": victim, "rooms": len(names),
                                  "last_s": round(max(moved.values()), 2)}
            print(f"handover: {victim} stopped with {len(names)} rooms: all running elsewhere "
                  f"{max(moved.values()):.2f} s after it exited")
    finally:
        redis.kill()
    print(json.dumps(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    run_main(main)
