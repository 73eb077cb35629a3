#!/usr/bin/env python3
"""HTTP API latency while rooms run: GET /v1/rooms/NAME with a viewer token at a fixed rate
(default 100 requests/s) against a server carrying 4 nine-party video rooms, with the rooms'
skipped ticks read from the API before and after, so the cost of the API to the media and the
cost of the media to the API show in one run.

The server: tessera on a config written here with a `control` block and the rooms
tessera-loadgen generates (rooms lg-r<r>, participants r<r>p<i> sending 640x360@30 H.264 and
Opus and receiving the 1280x720@30 composite and the mix, one viewer per room; the same shape as
`tessera-loadgen --rooms 4 --participants 9`), every port fixed so that tessera-loadgen plays it
(`--config FILE --pid PID`), as the capacity runs do. With --rooms 0 the server has one idle room
and no load: the API's own latency, for comparison.

The client (--client):
  python (default): an open-loop paced client. Request i is due at start + i/rate; a dispatcher
      hands due requests to worker threads holding keep-alive connections, so a slow answer
      does not delay the next request. Latency is measured from the due time (a request that
      waits for a free worker counts its wait: no coordinated omission) to the last byte of the
      answer; requests sent more than 1 ms late are counted (the client's own lateness, which
      on a loaded machine is part of what it measures).
  wrk: Debian's wrk 4.1 (no -R) with one connection and a Lua delay() of 1000/rate ms between
      requests: closed loop, so its rate is 1/(delay + latency), a little under the target, and
      a slow answer delays the next request (coordinated omission). Its latency distribution is
      reported as wrk prints it.

Prints the rooms' ticks and skipped ticks before and after the measuring window, the latency
percentiles, and one summary line:

    api_latency: 100/s for 30 s, 4 rooms x 9 (python): p50 1.9 ms p99 7.4 ms max 12.0 ms,
    3000 answers 200, 0 errors, 0 late sends; skipped ticks in the window 37 of 3600 (1.03%)

    python3 benches/api_latency.py [--tessera build/tessera] [--token build/tessera-token]
        [--loadgen build/tessera-loadgen] [--rooms 4] [--participants 9] [--rate 100]
        [--seconds 30] [--warmup 5] [--client python|wrk] [--out-dir DIR]
"""

import argparse
import http.client
import json
import math
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

LISTENING = re.compile(r"control: listening on (https?)://[^:]+:(\d+)")


def free_udp_ports(count, low=24000, high=28999):
    """`count` distinct UDP ports free on 127.0.0.1 now, as tessera-loadgen's FindFreePorts."""
    found = []
    for port in range(low, high + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    sys.exit(f"api_latency: only {len(found)} of {count} free UDP ports in {low}-{high}")


def config_yaml(args, keys_file):
    """tessera-loadgen's generated config (tools/loadgen/load_plan.cc, GenerateConfigYaml) with a
    `control` block; with --rooms 0 one idle room."""
    control = {"enabled": True, "listen_address": "127.0.0.1", "port": 0,
               "keys_file": keys_file, "max_token_lifetime_s": 3600,
               # The client is one source at `rate`: the per-source bucket must not shape it.
               "rate_per_second": max(1000, 10 * args.rate),
               "rate_burst": max(2000, 20 * args.rate), "drain_grace_s": 1}
    y = ["server:", "  log_level: info", f"  shards: {args.shards}",
         f"control: {json.dumps(control)}", "rooms:"]
    if args.rooms == 0:
        y += ["  - name: idle", "    participants: []"]
        return "\n".join(y) + "\n"
    ports = iter(free_udp_ports(args.rooms * (args.participants * 4 + 2)))
    for r in range(args.rooms):
        y += [f"  - name: lg-r{r}", "    video:", "      layout: grid", "      fit: crop",
              "      border_px: 2", "      name_labels: true", "      profiles:",
              "        - {name: out, codec: H264, width: 1280, height: 720, fps: 30, "
              "bitrate_kbps: 1500, keyframe_interval_s: 10}", "    participants:"]
        for i in range(args.participants):
            audio_in, video_in, mix, composite = (next(ports) for _ in range(4))
            y.append(f"      - {{name: r{r}p{i}, local_port: {audio_in}, remote_rtp_port: {mix}, "
                     f"audio: {{codec: opus, payload_type: 111}}, video: {{codec: H264, "
                     f"payload_type: 96, local_port: {video_in}, remote_rtp_port: {composite}}}}}")
        viewer_in, viewer_out = next(ports), next(ports)
        y.append(f"      - {{name: r{r}view, video: {{send: false, local_port: {viewer_in}, "
                 f"remote_rtp_port: {viewer_out}}}}}")
    return "\n".join(y) + "\n"


def run_checked(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        sys.exit(f"api_latency: {' '.join(argv)} exited {p.returncode}: {p.stderr}")
    return p.stdout


def wait_for(what, predicate, timeout_s, proc):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            sys.exit(f"api_latency: tessera exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            sys.exit(f"api_latency: {what} did not happen within {timeout_s} s")
        time.sleep(0.05)  # poll interval


def get_json(port, path, token):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    if r.status != 200:
        sys.exit(f"api_latency: GET {path} answered {r.status}: {body[:300]!r}")
    return json.loads(body)


def tick_figures(port, token, rooms):
    """{room: (ticks, skipped_ticks)} from each room's live video stats (GET /v1/rooms/NAME)."""
    out = {}
    for name in rooms:
        video = (get_json(port, f"/v1/rooms/{name}", token).get("stats") or {}).get("video") or {}
        out[name] = (video.get("ticks", 0), video.get("skipped_ticks", 0))
    return out


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = math.ceil(p / 100 * len(sorted_values)) - 1  # nearest rank
    return sorted_values[min(len(sorted_values) - 1, max(0, k))]


def paced_python(port, path, token, rate, seconds, workers=8):
    """Open-loop: request i due at start + i/rate. Returns (latencies in s from the due time,
    statuses, errors, late sends)."""
    jobs = queue.Queue()
    lock = threading.Lock()
    latencies, statuses, errors, late = [], {}, [], [0]
    headers = {"Authorization": f"Bearer {token}"}

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            due = jobs.get()
            if due is None:
                conn.close()
                return
            sent = time.monotonic()
            try:
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                r.read()
                done = time.monotonic()
                with lock:
                    latencies.append(done - due)
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                    if sent - due > 0.001:
                        late[0] += 1
                if r.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    start = time.monotonic() + 0.1
    total = int(rate * seconds)
    for i in range(total):
        due = start + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # the client's pace: the input of the measurement
        jobs.put(due)
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(timeout=30)
    return sorted(latencies), statuses, errors, late[0]


WRK_LINE = re.compile(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s)\s*$")


def paced_wrk(port, path, token, rate, seconds, out_dir):
    """wrk -t1 -c1 with a Lua delay() of 1000/rate ms (closed loop)."""
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("api_latency: wrk is not installed (Debian: wrk; scripts/setup.sh)")
    script = os.path.join(out_dir, "pace.lua")
    with open(script, "w") as f:
        f.write(f'wrk.method = "GET"\nwrk.headers["Authorization"] = "Bearer {token}"\n'
                f"function delay()\n  return {1000.0 / rate:.3f}\nend\n")
    p = subprocess.run([wrk, "-t1", "-c1", f"-d{seconds}s", "--latency", "-s", script,
                        f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                       timeout=seconds + 60)
    print(p.stdout)
    if p.returncode != 0:
        sys.exit(f"api_latency: wrk exited {p.returncode}: {p.stderr}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    pct = {}
    for line in p.stdout.splitlines():
        m = WRK_LINE.match(line)
        if m:
            pct[int(m.group(1))] = float(m.group(2)) * scale[m.group(3)]
    worst = re.search(r"^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", p.stdout, re.M)
    if worst:
        pct["max"] = float(worst.group(1)) * scale[worst.group(2)]
    requests = re.search(r"(\d+) requests in", p.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    errors = re.search(r"Socket errors: (.*)", p.stdout)
    return pct, int(requests.group(1)) if requests else 0, \
        int(non2xx.group(1)) if non2xx else 0, errors.group(1) if errors else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tessera", default="build/tessera")
    ap.add_argument("--token", default="build/tessera-token")
    ap.add_argument("--loadgen", default="build/tessera-loadgen")
    ap.add_argument("--rooms", type=int, default=4)
    ap.add_argument("--participants", type=int, default=9)
    ap.add_argument("--shards", type=int, default=0)
    ap.add_argument("--rate", type=float, default=100.0, help="requests per second")
    ap.add_argument("--seconds", type=int, default=30, help="the measuring window")
    ap.add_argument("--warmup", type=int, default=5, help="load before the window")
    ap.add_argument("--client", choices=["python", "wrk"], default="python")
    ap.add_argument("--loadgen-arg", action="append", default=[],
                    help="passed on to tessera-loadgen (e.g. --loadgen-arg=--loadgen-cpus=1)")
    ap.add_argument("--out-dir")
    args = ap.parse_args()

    out_dir = args.out_dir or tempfile.mkdtemp(prefix="tessera-api-latency-")
    os.makedirs(out_dir, exist_ok=True)
    keys = os.path.join(out_dir, "keys.json")
    if not os.path.exists(keys):
        run_checked([args.token, "--new-key", keys, "--alg", "HS256", "--kid", "bench"])
    token = run_checked([args.token, "--keys", keys, "--role", "viewer", "--kid", "bench",
                         "--ttl", "3600"]).split()[-1]
    config = os.path.join(out_dir, "tessera.yaml")
    with open(config, "w") as f:
        f.write(config_yaml(args, keys))
    rooms = [f"lg-r{r}" for r in range(args.rooms)] or ["idle"]
    target = f"/v1/rooms/{rooms[0]}"
    print(f"api_latency: files in {out_dir}; {args.rooms} rooms x {args.participants}; "
          f"GET {target} at {args.rate:g}/s for {args.seconds} s ({args.client} client)")

    log_path = os.path.join(out_dir, "tessera.log")
    log = open(log_path, "wb")
    server = subprocess.Popen([args.tessera, "--config", config], stdout=subprocess.PIPE,
                              stderr=log)
    loadgen = None
    try:
        line = server.stdout.readline()
        while line and line.strip() != b"tessera: ready":
            line = server.stdout.readline()
        if not line:
            sys.exit(f"api_latency: tessera exited before it was ready; log: {log_path}")

        def listening():
            with open(log_path, errors="replace") as f:
                m = LISTENING.search(f.read())
            return int(m.group(2)) if m else None
        port = wait_for("the API's listening line", listening, 10, server)
        # Its summary lines at stop would fill the pipe: keep them in a file.
        summary = open(os.path.join(out_dir, "tessera-summary.jsonl"), "wb")
        threading.Thread(target=shutil.copyfileobj, args=(server.stdout, summary),
                         daemon=True).start()

        if args.rooms:
            loadgen_out = open(os.path.join(out_dir, "loadgen.txt"), "w")
            loadgen = subprocess.Popen(
                [args.loadgen, "--config", config, "--pid", str(server.pid),
                 "--seconds", str(args.warmup + args.seconds + 5), "--warmup", str(args.warmup),
                 "--out-dir", os.path.join(out_dir, "loadgen"), "--quiet"] + args.loadgen_arg,
                stdout=loadgen_out, stderr=subprocess.STDOUT)
            loadgen_txt = os.path.join(out_dir, "loadgen.txt")

            def sending():
                if loadgen.poll() is not None:
                    sys.exit(f"api_latency: tessera-loadgen exited ({loadgen.returncode}): "
                             f"{open(loadgen_txt).read()[-2000:]}")
                with open(loadgen_txt, errors="replace") as f:
                    return "server pid" in f.read()  # printed when its clips are encoded
            wait_for("tessera-loadgen sending", sending, 180, server)
            wait_for("video ticks in every room",
                     lambda: all(t > 0 for t, _ in tick_figures(port, token, rooms).values()),
                     60, server)
            time.sleep(args.warmup)  # the load settles before the window: the bench's input

        before = tick_figures(port, token, rooms)
        began = time.monotonic()
        if args.client == "python":
            lat, statuses, errors, late = paced_python(port, target, token, args.rate,
                                                       args.seconds)
            pct = {p: percentile(lat, p) for p in (50, 90, 99, 99.9)}
            pct["max"] = lat[-1] if lat else float("nan")
            answered = sum(statuses.values())
            ok = statuses.get(200, 0)
            failures = len(errors) + answered - ok
            detail = (f"{ok} answers 200, {failures} errors, {late} late sends"
                      + (f" (statuses {statuses}; first error {errors[0]})" if failures else ""))
        else:
            pct, answered, non2xx, socket_errors = paced_wrk(port, target, token, args.rate,
                                                             args.seconds, out_dir)
            detail = (f"{answered} requests, {non2xx} not 2xx"
                      + (f", socket errors {socket_errors}" if socket_errors else ""))
        window = time.monotonic() - began
        after = tick_figures(port, token, rooms)

        print("\nroom        ticks (before -> after)   skipped (before -> after)")
        window_ticks = window_skipped = 0
        for name in rooms:
            (t0, s0), (t1, s1) = before[name], after[name]
            window_ticks += (t1 - t0) + (s1 - s0)
            window_skipped += s1 - s0
            print(f"{name:10s} {t0:8d} -> {t1:8d}          {s0:6d} -> {s1:6d}")
        print("\nlatency: " + ", ".join(
            f"p{p:g} {1000 * v:.2f} ms" if isinstance(p, (int, float)) else f"{p} {1000 * v:.2f} ms"
            for p, v in pct.items()))
        share = 100.0 * window_skipped / window_ticks if window_ticks else 0.0
        p50, p99 = pct.get(50, float("nan")), pct.get(99, float("nan"))
        worst = pct.get("max", pct.get(100, float("nan")))
        print(f"api_latency: {args.rate:g}/s for {window:.0f} s, {args.rooms} rooms x "
              f"{args.participants} ({args.client}): p50 {1000 * p50:.1f} ms p99 "
              f"{1000 * p99:.1f} ms max {1000 * worst:.1f} ms, {detail}; skipped ticks in the "
              f"window {window_skipped} of {window_ticks} ({share:.2f}%)")
        if loadgen:
            print(f"tessera-loadgen's own figures (frames delivered, latency, CPU): "
                  f"{os.path.join(out_dir, 'loadgen.txt')}")
    finally:
        if loadgen and loadgen.poll() is None:
            loadgen.send_signal(signal.SIGINT)  # ends its sending early; it still reports
            try:
                loadgen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                loadgen.kill()
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()


if __name__ == "__main__":
    main()
