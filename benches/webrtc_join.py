#!/usr/bin/env python3
"""WebRTC call set-up: from the join page's WHIP offer (POST /whip/{room}) to the first frame of
the room's composite decoded by the browser, over --joins joins of a fresh headless Chromium (the
seed's KPI: call set-up under 2 s; the aim: under 500 ms). The room is the WebRTC test's (an
ffmpeg camera and tone, a 640x360 H.264 composite at 15 fps, keyframe every second); each join
leaves (DELETE of both resources) before the next. Also reported: the offer-to-answer time of
each resource (ICE gathering is not in it: the page waits at most 1.5 s for it before it posts)
and the WHEP answer to first frame (ICE, DTLS, the first keyframe).

usage: benches/webrtc_join.py --tessera build/tessera --token build/tessera-token [--joins 20]
           [--node node] [--json out.json]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from tessera_harness import ensure, run_main  # noqa: E402
from control_test import new_keys  # noqa: E402
from webrtc_test import (LIVE_TIMEOUT_S, WebRtcTessera, join_browser,  # noqa: E402
                         skip_unless_browser)


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--token", required=True, help="the tessera-token binary")
    ap.add_argument("--joins", type=int, default=20)
    ap.add_argument("--node", default="node")
    ap.add_argument("--json")
    args = ap.parse_args()
    args.join_page = None
    args.console_page = None
    skip_unless_browser(args.node)
    work = tempfile.mkdtemp(prefix="tessera-webrtc-join-")
    keys = new_keys(args, work)
    rows = []
    with WebRtcTessera(args, work, keys) as t:
        camera = t.camera()
        try:
            for i in range(args.joins):
                browser, r = join_browser(args, work, t, keys, name=f"browser {i + 1}")
                try:
                    tm = r.get("timings") or {}
                    ensure(all(k in tm for k in ("whipPost", "whepPost", "whepAnswer",
                                                 "firstFrame")),
                           f"join {i + 1}: the page's timings are incomplete: {tm}")
                    row = {"offer_to_first_frame_ms": tm["firstFrame"] - tm["whipPost"],
                           "whip_answer_ms": tm.get("whipAnswer", tm["whipPost"]) - tm["whipPost"],
                           "whep_answer_ms": tm["whepAnswer"] - tm["whepPost"],
                           "whep_answer_to_connected_ms": tm.get("whepConnected", 0) -
                           tm["whepAnswer"],
                           "connected_to_first_frame_ms": tm["firstFrame"] -
                           tm.get("whepConnected", 0),
                           "answer_to_first_frame_ms": tm["firstFrame"] - tm["whepAnswer"]}
                    rows.append(row)
                    print(f"join {i + 1}: " + ", ".join(f"{k} {v:.0f}" for k, v in row.items()),
                          flush=True)
                    left = browser.ask("leave", "leave", LIVE_TIMEOUT_S)
                    ensure(left.get("leave") == {"whip": 200, "whep": 200},
                           f"join {i + 1}: leave answered {left.get('leave')}")
                    browser.quit()
                finally:
                    browser.kill()
        finally:
            camera.proc.kill()
            camera.proc.wait()
        t.stop()
    summary = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        summary[key] = {"p50": round(statistics.median(values), 1),
                        "p99": round(percentile(values, 99), 1),
                        "max": round(max(values), 1)}
    print(f"{len(rows)} joins:")
    for key, v in summary.items():
        print(f"  {key}: p50 {v['p50']} ms, p99 {v['p99']} ms, max {v['max']} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"joins": rows, "summary": summary}, f, indent=2)


if __name__ == "__main__":
    run_main(main)
