#!/usr/bin/env python3
"""End-to-end hardware selection test with the real tessera binary, on whatever machine runs it.

  probe     `tessera --probe-hw --json` prints one JSON object with the cuda, qsv and ffmpeg
            sections, every unavailable section has a reason, and cpu is always usable; the text
            form says "cpu only" exactly when the JSON does.
  required  `hardware: {required: cuda}`: without a usable CUDA device tessera exits non-zero at
            once with one line on stderr naming the backend and why; with one it starts and the
            room runs on cuda.
  default   no hardware block (auto: cuda, qsv, cpu): the room logs its backend, and each
            backend it passed over with the reason; the video summary at stop carries the same.

usage: hardware_test.py --tessera BIN --scenario probe|required|default
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, ensure, free_port_pair, run,  # noqa: E402
                             run_main, write_config)

ROOM = "hwroom"


def probe(tessera):
    rc, out, err = run([tessera, "--probe-hw", "--json"], timeout_s=60)
    ensure(rc == 0, f"--probe-hw --json exited {rc}: {err}")
    lines = [line for line in out.splitlines() if line.strip()]
    ensure(len(lines) == 1, f"want one JSON line on stdout, got {len(lines)}:\n{out}")
    report = json.loads(lines[0])
    for key in ("cuda", "qsv", "ffmpeg", "usable", "cpu_only"):
        ensure(key in report, f"no '{key}' in {report}")
    for section in ("cuda", "qsv"):
        s = report[section]
        ensure(isinstance(s["available"], bool), f"{section}.available: {s}")
        ensure(s["available"] or s["reason"], f"{section} unavailable without a reason: {s}")
    ensure(report["usable"][-1] == "cpu", f"cpu is not the last usable backend: {report['usable']}")
    ensure(report["cpu_only"] == (report["usable"] == ["cpu"]), f"cpu_only: {report}")
    types = report["ffmpeg"]["device_types"]
    ensure("cuda" in types and "qsv" in types, f"FFmpeg device types lack cuda or qsv: {types}")
    for d in report["ffmpeg"]["devices"]:
        ensure(d["detail"], f"FFmpeg device without detail: {d}")
    for gpu in report["cuda"]["gpus"]:
        ensure(gpu["nvenc"] or gpu["nvenc_reason"], f"GPU without NVENC and no reason: {gpu}")

    rc, text, err = run([tessera, "--probe-hw"], timeout_s=60)
    ensure(rc == 0, f"--probe-hw exited {rc}: {err}")
    ensure(text.startswith("CUDA: "), f"text probe:\n{text}")
    ensure(("(cpu only)" in text) == report["cpu_only"], f"text and JSON disagree:\n{text}")
    print(text, end="")
    print(f"probe: usable {', '.join(report['usable'])}")
    return report


def room_config(directory, hardware):
    port = free_port_pair()
    return write_config(os.path.join(directory, "hw.yaml"), f"""{hardware}
rooms:
  - name: {ROOM}
    video:
      profiles: [{{name: low, codec: H264, width: 160, height: 96, fps: 5, bitrate_kbps: 100}}]
    participants:
      - {{name: cam, video: {{codec: H264, local_port: {port}}}}}
""")


def start(tessera, config, directory):
    p = Process([tessera, "--config", config], "tessera", cwd=directory, die_with_parent=True)
    p.wait_for_line(lambda line: line.strip() == "tessera: ready", timeout_s=60)
    return p


def video_summary(p):
    for j in p.json_lines():
        if j.get("room") == ROOM and j.get("media") == "video" and "participant" not in j:
            return j
    raise TestFailure(f"no video summary of {ROOM}: {p.lines}")


def required(tessera):
    report = json.loads(run([tessera, "--probe-hw", "--json"])[1])
    with tempfile.TemporaryDirectory() as d:
        config = room_config(d, "hardware: {required: cuda}")
        if "cuda" in report["usable"]:
            p = start(tessera, config, d)
            ensure(p.stop() == 0, "tessera did not stop cleanly")
            hw = video_summary(p)["hardware"]
            ensure(hw["backend"] == "cuda", f"required cuda, got {hw}")
            print(f"required: cuda available, room on {hw['device']}")
            return
        rc, out, err = run([tessera, "--config", config], timeout_s=60)
        ensure(rc != 0, f"tessera started although cuda is required and unusable:\n{out}")
        ensure("tessera: ready" not in out, f"tessera said ready:\n{out}")
        errors = [line for line in err.splitlines() if line.startswith("tessera: ")]
        ensure(len(errors) == 1, f"want one 'tessera: ' error line, got:\n{err}")
        line = errors[0]
        ensure(f"room {ROOM}: hardware: required backend cuda is not available: " in line,
               f"error line does not name the room and backend: {line}")
        reason = line.split("is not available: ", 1)[1]
        probed = [dev["detail"] for dev in report["ffmpeg"]["devices"] if dev["backend"] == "cuda"]
        ensure(reason and [reason] == probed, f"reason '{reason}', the probe says {probed}")
        print(f"required: exit {rc}: {line}")


def default(tessera):
    report = json.loads(run([tessera, "--probe-hw", "--json"])[1])
    with tempfile.TemporaryDirectory() as d:
        p = start(tessera, room_config(d, ""), d)
        ensure(p.stop() == 0, "tessera did not stop cleanly")
        logs = p.stderr()
        lines = [line for line in logs.splitlines() if f"room {ROOM}: video backend " in line]
        ensure(len(lines) == 1, f"want one backend line for {ROOM}:\n{logs}")
        hw = video_summary(p)["hardware"]
        expected = report["usable"][0]
        ensure(hw["backend"] == expected, f"room on {hw['backend']}, probe says {expected} first")
        skipped = ["cuda", "qsv"][:["cuda", "qsv", "cpu"].index(expected)]
        ensure([f["backend"] for f in hw["fallbacks"]] == skipped,
               f"fallbacks {hw['fallbacks']}, want {skipped}")
        for f in hw["fallbacks"]:
            ensure(f["reason"], f"fallback without a reason: {f}")
            ensure(f"{f['backend']}: {f['reason']}" in lines[0], f"log lacks {f}: {lines[0]}")
        ensure(any(line.startswith("hardware: ") or "] hardware: " in line
                   for line in logs.splitlines()), f"no probe summary line:\n{logs}")
        print(lines[0].split("] ", 1)[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessera", required=True)
    parser.add_argument("--scenario", required=True, choices=["probe", "required", "default"])
    args = parser.parse_args()
    tessera = os.path.abspath(args.tessera)  # tessera runs in a temporary directory
    {"probe": probe, "required": required, "default": default}[args.scenario](tessera)
    print(f"PASS: hardware {args.scenario}")


if __name__ == "__main__":
    run_main(main)
