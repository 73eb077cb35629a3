#!/usr/bin/env python3
"""SIP calls per second: SIPp places calls on tessera (INVITE with an audio offer, 200, ACK, a short
pause, BYE, 200: tests/integration/sip/caller_bye.xml) at increasing rates, a fixed number of calls
per rate, into one audio-only room. Reports per rate: calls attempted, successful and failed, the
calls per second achieved, and tessera's CPU time over the step (utime + stime from /proc/PID/stat,
as a share of one core over the step's wall time). Prints a table and writes JSON.

    python3 benches/sip_cps.py --tessera build/tessera [--rates 25,50,100,200,400]
        [--calls 500] [--pause-ms 100] [--json sip_cps.json]

Calls come from 127.0.0.1, inside the trunk 127.0.0.0/8 (no digest), and the per-source limit of
new calls is raised far above the highest rate, so that it measures the UA, not the limiter. A
call holds a room participant for --pause-ms; -l caps the calls open at once (rate x call length
x 4). The room and sip.max_calls are sized for that. Needs sipp (Debian: sip-tester).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from tessera_harness import Process, free_port_pair  # noqa: E402

SCENARIO = os.path.join(HERE, "..", "tests", "integration", "sip", "caller_bye.xml")
ROOM = "bench"
TIMEWAIT_S = 0.5  # caller_bye.xml's closing <timewait>: the last call ends this long after BYE


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def last_stats(path):
    """The last row of a SIPp -trace_stat file (';'-separated, a header row first), by name."""
    with open(path) as f:
        rows = [line.rstrip("\n").split(";") for line in f if line.strip()]
    if len(rows) < 2:
        raise RuntimeError(f"{path}: no statistics row")
    return dict(zip(rows[0], rows[-1]))


def start_tessera(args, work, max_calls):
    port = free_port_pair()
    config = os.path.join(work, "tessera.yaml")
    with open(config, "w") as f:
        f.write("server:\n  log_level: warn\n  shards: 2\n"
                "sip:\n  listen:\n"
                f"    - {{transport: udp, address: 127.0.0.1, port: {port}}}\n"
                '  trunks: [{name: local, networks: ["127.0.0.0/8"]}]\n'
                f"  max_calls: {max_calls}\n"
                "  new_calls_per_source_per_s: 10000\n"
                f"rooms:\n  - name: {ROOM}\n    max_participants: {max_calls}\n"
                "    participants: []\n")
    tessera = Process([args.tessera, "--config", config], "tessera", die_with_parent=True)
    tessera.wait_for_line(lambda l: l.strip() == "tessera: ready", 30)
    return tessera, port


def run_rate(args, work, rate, sip_port, tessera_pid, limit):
    stat = os.path.join(work, f"stat_{rate}.csv")
    errors = os.path.join(work, f"errors_{rate}.log")
    argv = [args.sipp, "-sf", SCENARIO, "-s", ROOM, "-r", str(rate), "-m", str(args.calls),
            "-l", str(limit), "-d", str(args.pause_ms), "-nostdin", "-i", "127.0.0.1",
            "-p", str(free_port_pair()), "-mp", str(free_port_pair()),
            "-cp", str(free_port_pair()), "-recv_timeout", "10000",
            "-timeout", f"{args.step_timeout_s}s", "-trace_stat", "-stf", stat, "-fd", "1",
            "-trace_err", "-error_file", errors, f"127.0.0.1:{sip_port}"]
    cpu0, t0 = cpu_seconds(tessera_pid), time.monotonic()
    with open(os.path.join(work, f"screen_{rate}.txt"), "wb") as screen:
        proc = subprocess.run(argv, stdout=screen, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=args.step_timeout_s + 60)
    wall = time.monotonic() - t0
    cpu = cpu_seconds(tessera_pid) - cpu0
    s = last_stats(stat)
    successful, failed = int(s["SuccessfulCall(C)"]), int(s["FailedCall(C)"])
    attempted = int(s["OutgoingCall(C)"])
    # The calls are placed over the step's wall time less the last call's pause and timewait.
    placing = max(1e-3, wall - args.pause_ms / 1000 - TIMEWAIT_S)
    return {"target_cps": rate, "attempted": attempted, "successful": successful,
            "failed": failed, "achieved_cps": round(successful / placing, 1),
            "wall_s": round(wall, 2), "tessera_cpu_s": round(cpu, 3),
            "tessera_cpu_pct": round(100 * cpu / wall, 1),
            "cpu_ms_per_call": round(1000 * cpu / successful, 3) if successful else None,
            "sipp_exit": proc.returncode}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tessera", default="build/tessera")
    ap.add_argument("--sipp", default=shutil.which("sipp"))
    ap.add_argument("--rates", default="25,50,100,200,400")
    ap.add_argument("--calls", type=int, default=500, help="calls per rate")
    ap.add_argument("--pause-ms", type=int, default=100, help="call length after the ACK")
    ap.add_argument("--step-timeout-s", type=int, default=120)
    ap.add_argument("--json", default="sip_cps.json")
    args = ap.parse_args()
    if not args.sipp:
        sys.exit("sipp not found (Debian: apt-get install sip-tester)")
    rates = [int(r) for r in args.rates.split(",")]
    work = tempfile.mkdtemp(prefix="tessera-sip-cps-")
    # Calls open at once: rate x (call length + set-up), with room to spare.
    limit = min(500, max(50, int(max(rates) * (args.pause_ms / 1000 + 0.25) * 4)))
    tessera, port = start_tessera(args, work, min(1000, limit * 2))
    results = []
    try:
        for rate in rates:
            results.append(run_rate(args, work, rate, port, tessera.proc.pid, limit))
            r = results[-1]
            print(f"rate {rate}/s: {r['successful']}/{r['attempted']} ok, "
                  f"{r['achieved_cps']} calls/s, tessera CPU {r['tessera_cpu_pct']}%",
                  flush=True)
    finally:
        code = tessera.stop()
    print(f"\nSIP calls per second (one room, audio only, {args.calls} calls per rate, "
          f"{args.pause_ms} ms calls, sipp -l {limit}); logs in {work}")
    head = (f"{'target/s':>9} {'attempted':>9} {'ok':>6} {'failed':>6} {'achieved/s':>10} "
            f"{'wall s':>7} {'cpu s':>7} {'cpu %':>6} {'cpu ms/call':>11}")
    print(head)
    print("-" * len(head))
    for r in results:
        per_call = "-" if r["cpu_ms_per_call"] is None else f"{r['cpu_ms_per_call']:.3f}"
        print(f"{r['target_cps']:>9} {r['attempted']:>9} {r['successful']:>6} {r['failed']:>6} "
              f"{r['achieved_cps']:>10} {r['wall_s']:>7} {r['tessera_cpu_s']:>7} "
              f"{r['tessera_cpu_pct']:>6} {per_call:>11}")
    with open(args.json, "w") as f:
        json.dump({"calls_per_rate": args.calls, "pause_ms": args.pause_ms,
                   "concurrent_limit": limit, "tessera_exit": code, "results": results}, f,
                  indent=2)
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
