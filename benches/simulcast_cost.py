#!/usr/bin/env python3
"""What simulcast saves: a 3x3 grid of 720p camera publishers composited into one 1280x720@30
H.264 stream, once as nine single 1280x720 streams (every picture decoded at 720p) and once as
nine simulcast publishers (three layers each, 320x180, 640x360 and 1280x720 of the same camera,
as a browser sends with the join page's #simulcast=1), where Tessera decodes only the layer that
covers each 426x240 tile (640x360) and skips the others' packets. CPU-seconds per room-second of
build/benches/room_cost on the same machine, in interleaved rounds, medians.

1. Generates 9 distinct moving sources at each layer's size (libx264 baseline, no B-frames, a
   keyframe every second, 2000/600/150 kbit/s: browsers' ladder for a 720p camera) as Annex B
   files input<i>_f.h264, _h.h264, _q.h264 (not timed); the single-stream run reads the _f files.
2. room_cost --count 9 (the single streams) and room_cost --count 9 --simulcast 1 (each frame of
   every layer packetized as RTP with the rid extension and judged by a SimulcastSelector told its
   tile by the room, as VideoLeg does; only the chosen layer's access units decoded).

    cmake --build build --target room_cost && python3 benches/simulcast_cost.py [--repeat 3]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from room_cost import FPS, SOURCES, run_measured  # noqa: E402

LAYERS = {"q": (320, 180, "150k"), "h": (640, 360, "600k"), "f": (1280, 720, "2000k")}


def generate(ffmpeg, workdir, count, seconds):
    for i in range(count):
        for name, (w, h, rate) in LAYERS.items():
            src = SOURCES[i % len(SOURCES)].format(s="1280x720", r=FPS)
            # One camera per publisher: every layer scaled from the same 720p source.
            cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                   f"{src},noise=alls=6:allf=t,scale={w}:{h},format=yuv420p",
                   "-frames:v", str(seconds * FPS), "-c:v", "libx264", "-profile:v", "baseline",
                   "-bf", "0", "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
                   "-b:v", rate, "-maxrate", rate, "-bufsize", rate, "-f", "h264",
                   os.path.join(workdir, f"input{i}_{name}.h264")]
            subprocess.run(cmd, check=True)
        os.symlink(f"input{i}_f.h264", os.path.join(workdir, f"input{i}.h264"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--room-cost", default="build/benches/room_cost")
    ap.add_argument("--ffmpeg", default=shutil.which("ffmpeg") or "ffmpeg")
    ap.add_argument("--count", type=int, default=9)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-simulcast-cost-")
    try:
        print(f"generating {args.count} publishers x 3 layers, {args.seconds} s ...",
              file=sys.stderr)
        generate(args.ffmpeg, work, args.count, args.seconds)
        runs = {"single": [], "simulcast": []}
        for rnd in range(args.repeat):
            for variant in runs:
                cmd = [args.room_cost, "--inputs", work, "--count", str(args.count),
                       "--breakdown", "0", "--simulcast", "1" if variant == "simulcast" else "0"]
                cpu, wall, rc, out = run_measured(cmd, os.path.join(work, f"{variant}.err"))
                if rc != 0:
                    with open(os.path.join(work, f"{variant}.err")) as f:
                        sys.exit(f"{variant}: room_cost exited {rc}: {f.read()}")
                result = json.loads(out.strip().splitlines()[-1])
                if result["decode_errors"]:
                    sys.exit(f"{variant}: {result['decode_errors']} decode errors: {result}")
                runs[variant].append(result)
                print(f"round {rnd + 1} {variant}: {result['cpu_per_room_second']:.3f} "
                      f"CPU-s per room-second (decode {result['phases']['decode_cpu_s']:.2f} s, "
                      f"tick {result['phases']['tick_cpu_s']:.2f} s)", file=sys.stderr)
        summary = {}
        for variant, results in runs.items():
            room_s = results[0]["room_seconds"]
            summary[variant] = {
                "cpu_per_room_second": statistics.median(r["cpu_per_room_second"]
                                                         for r in results),
                "decode_cpu_per_room_second": statistics.median(
                    r["phases"]["decode_cpu_s"] / room_s for r in results),
                "tick_cpu_per_room_second": statistics.median(
                    r["phases"]["tick_cpu_s"] / room_s for r in results),
                "decoded": results[0]["decoded"],
            }
            if "simulcast" in results[0]:
                summary[variant]["layers"] = results[0]["simulcast"]
        single, sim = summary["single"], summary["simulcast"]
        summary["saved_share"] = 1 - sim["cpu_per_room_second"] / single["cpu_per_room_second"]
        summary["rooms_per_core"] = {v: 1 / summary[v]["cpu_per_room_second"] for v in runs}
        print(json.dumps(summary, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
