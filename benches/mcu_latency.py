#!/usr/bin/env python3
"""MCU-added latency of a video room, measured by the real server with real RTP senders.

Nine 640x360@30 H.264 inputs (generated once with the ffmpeg CLI, then streamed in real time with
`ffmpeg -re -c copy`, so the senders cost almost no CPU) go to a 3x3 room composed into
1280x720@30 H.264 for one viewer. Tessera measures, for every input frame it shows, the time from
the arrival of the frame's last packet to the sending of the first packet of the first composite
that shows it, and prints p50/p99 in the room's video summary at stop. This script prints that
line and a markdown row for docs/performance.md.

    python3 benches/mcu_latency.py [--tessera build/tessera] [--seconds 20] [--inputs 9]
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

SOURCES = ["testsrc2", "testsrc", "smptebars", "rgbtestsrc", "testsrc2,hue=h=90",
           "testsrc,hue=h=200", "smptebars,hue=h=45", "rgbtestsrc,hue=h=300", "testsrc2,hue=s=0"]


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def generate(tmp, count, seconds):
    files = []
    for i in range(count):
        src = SOURCES[i % len(SOURCES)]
        name, _, extra = src.partition(",")
        graph = f"{name}=s=640x360:r=30" + (f",{extra}" if extra else "")
        path = os.path.join(tmp, f"input{i}.h264")
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", graph, "-t", str(seconds),
                        "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast",
                        "-tune", "zerolatency", "-profile:v", "baseline", "-bf", "0", "-g", "60",
                        "-b:v", "800k", "-f", "h264", "-y", path], check=True)
        files.append(path)
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", default="build/tessera")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--inputs", type=int, default=9)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        files = generate(tmp, args.inputs, args.seconds)
        ports = [free_port() for _ in range(args.inputs)]
        viewer = free_port()
        lines = ["server: {log_level: warn}", "rooms:", "  - name: bench", "    video:",
                 "      name_labels: false",
                 "      profiles: [{name: hd, codec: H264, width: 1280, height: 720, fps: 30, "
                 "bitrate_kbps: 1500}]", "    participants:"]
        for i, port in enumerate(ports):
            lines.append(f"      - {{name: p{i}, video: {{codec: H264, local_port: {port}}}}}")
        lines.append(f"      - {{name: viewer, video: {{send: false, remote_rtp_port: {viewer}}}}}")
        config = os.path.join(tmp, "bench.yaml")
        with open(config, "w") as f:
            f.write("\n".join(lines) + "\n")

        tessera = subprocess.Popen([args.tessera, "--config", config], stdout=subprocess.PIPE,
                                   text=True)
        ready = tessera.stdout.readline()
        if "ready" not in ready:
            sys.exit(f"tessera did not start: {ready!r}")
        senders = [subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-framerate", "30", "-i", path,
                                     "-c", "copy", "-payload_type", "96", "-f", "rtp",
                                     f"rtp://127.0.0.1:{port}?pkt_size=1200"])
                   for path, port in zip(files, ports)]
        for s in senders:
            s.wait()
        tessera.send_signal(signal.SIGTERM)
        out, _ = tessera.communicate(timeout=60)
        summary = None
        for line in out.splitlines():
            if line.startswith('{"room":"bench","media":"video"'):
                summary = json.loads(line)
        if not summary or "latency_ms" not in summary:
            sys.exit("no latency figures in the summary:\n" + out)
        lat = summary["latency_ms"]
        print(json.dumps(summary))
        print(f"| {args.inputs} x 640x360@30 H.264 -> 1280x720@30 H.264, {args.seconds} s | "
              f"{lat['samples']} | {lat['p50']} | {lat['p99']} | {summary['tick_cost_p50_ms']} | "
              f"{summary['tick_cost_p99_ms']} | {summary['skipped_ticks']} |")


if __name__ == "__main__":
    main()
