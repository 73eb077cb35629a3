#!/usr/bin/env python3
"""CPU cost per room for N H.264 inputs composited into one 1280x720@30 H.264 stream and N Opus
inputs mixed: Tessera's VideoRoom and AudioRoom (build/benches/room_cost) against the ffmpeg CLI
doing the same job in the same run.

1. Generates N distinct 640x360@30 inputs (libx264 baseline, no B-frames, keyint 60) as raw
   Annex B files input0.h264 .. in a temp dir (not timed).
2. ffmpeg CLI baseline: decode the N inputs, scale each to its tile's picture size (the geometry of
   src/mixer/layout.cc: grid, letterbox), xstack them, pad to 1280x720, libx264 with the x264
   options of src/codec/video_encoder.cc, to -f null. Once with one thread per decoder, filter
   graph and encoder (comparable with Tessera's one thread), once with ffmpeg's default threads.
   Audio: amix of the N Opus inputs, libopus with the options of src/codec/opus_codec.cc (32 kbit/s
   VoIP, complexity 5, FEC for 10% loss, 20 ms). ffmpeg makes ONE mix; Tessera makes what a
   conference needs: a mix for everyone plus a mix-minus for each talker (its own voice left
   out), each encoded once.
3. Tessera: build/benches/room_cost --audio 1 on the same files.

CPU time is user + sys of the whole child process (os.wait4), so both sides include reading and
parsing the files. The variants run in interleaved rounds (--repeat) and each reports its median.
Phase runs for the breakdown: ffmpeg decoding only, and decoding + scale + xstack without the
encoder (differences give each phase); room_cost --breakdown 1 times Tessera's components.

    python3 benches/room_cost.py [--room-cost build/benches/room_cost] [--repeat 3]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

WIDTH, HEIGHT, FPS = 1280, 720, 30
IN_W, IN_H = 640, 360

# Distinct moving sources; temporal noise makes the streams less trivial to decode, like cameras.
SOURCES = [
    "testsrc2=s={s}:r={r}",
    "testsrc=s={s}:r={r},hue=h=120",
    "smptebars=s={s}:r={r},hue=H=2*PI*t/5",
    "rgbtestsrc=s={s}:r={r},hue=h=60",
    "cellauto=s={s}:r={r}:rule=110,hue=s=0",
    "life=s={s}:r={r}:mold=10:life_color=#00ff00:death_color=#aa0000",
    "gradients=s={s}:r={r}:speed=0.05",
    "sierpinski=s={s}:r={r}",
    "yuvtestsrc=s={s}:r={r},hue=H=t",
]


def align_down2(v):
    return v & ~1


def round_even(v):
    # C's lround: halves away from zero (v >= 0 here).
    return 2 * int(v / 2.0 + 0.5)


def grid_shape(count):
    if count == 1:
        return 1, 1
    if count == 2:
        return 2, 1
    for side in range(2, 5):
        if count <= side * side:
            return side, side
    return 5, 5


def grid_dests(count, w, h, in_w, in_h):
    """Picture rects (x, y, w, h) of a letterboxed grid, as src/mixer/layout.cc computes them."""

    def edge(i, n, total):
        return total if i >= n else align_down2(i * total // n)

    cols, rows = grid_shape(count)
    sw, sh = align_down2(in_w), align_down2(in_h)
    dests = []
    for slot in range(count):
        row, col = divmod(slot, cols)
        x0, y0 = edge(col, cols, w), edge(row, rows, h)
        rw, rh = edge(col + 1, cols, w) - x0, edge(row + 1, rows, h) - y0
        dw, dh = rw, rh
        if sw * rh >= sh * rw:
            dh = min(max(round_even(rw * sh / sw), 2), rh)
        else:
            dw = min(max(round_even(rh * sw / sh), 2), rw)
        dests.append((x0 + align_down2((rw - dw) // 2), y0 + align_down2((rh - dh) // 2), dw, dh))
    return dests


def run_measured(cmd, stderr_path=None):
    """Runs cmd; returns (cpu seconds user+sys, wall seconds, exit status, stdout text)."""
    with open(stderr_path or os.devnull, "wb") as err, tempfile.TemporaryFile() as out:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return usage.ru_utime + usage.ru_stime, wall, proc.returncode, text


def generate_inputs(ffmpeg, workdir, count, seconds):
    frames = seconds * FPS
    for i in range(count):
        src = SOURCES[i % len(SOURCES)].format(s=f"{IN_W}x{IN_H}", r=FPS)
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
               f"{src},noise=alls=6:allf=t,format=yuv420p", "-frames:v", str(frames),
               "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "60",
               "-keyint_min", "60", "-sc_threshold", "0", "-b:v", "600k", "-maxrate", "600k",
               "-bufsize", "1200k", "-f", "h264", os.path.join(workdir, f"input{i}.h264")]
        subprocess.run(cmd, check=True)


def generate_audio_inputs(ffmpeg, workdir, count, seconds):
    for i in range(count):
        src = (f"sine=f={330 + 110 * i}:r=48000" if i < 2
               else f"anoisesrc=c=pink:a=0.003:r=48000:seed={i + 1}")
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", src,
               "-t", str(seconds), "-ac", "1", "-c:a", "libopus", "-b:a", "32k",
               "-application", "voip", "-frame_duration", "20",
               os.path.join(workdir, f"input{i}.opus")]
        subprocess.run(cmd, check=True)


def ffmpeg_command(ffmpeg, workdir, count, bitrate, one_thread, phases="all", audio=False):
    """phases: all; decode (decode only); compose (decode, scale, xstack; no encode).
    audio: add the N Opus inputs, amix and a libopus encode (phase "all" only)."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-y"]
    if one_thread:
        cmd += ["-filter_complex_threads", "1"]
    for i in range(count):
        if one_thread:
            cmd += ["-threads", "1"]
        cmd += ["-f", "h264", "-framerate", str(FPS), "-i", os.path.join(workdir, f"input{i}.h264")]
    audio = audio and phases == "all"
    if audio:
        for i in range(count):
            if one_thread:
                cmd += ["-threads", "1"]
            cmd += ["-i", os.path.join(workdir, f"input{i}.opus")]
    if phases == "decode":
        for i in range(count):
            cmd += ["-map", f"{i}:v"]
        return cmd + ["-f", "null", "-"]
    dests = grid_dests(count, WIDTH, HEIGHT, IN_W, IN_H)
    chains = [f"[{i}:v]scale={w}:{h}:flags=bilinear[s{i}]" for i, (_, _, w, h) in enumerate(dests)]
    stack_in = "".join(f"[s{i}]" for i in range(count))
    layout = "|".join(f"{x}_{y}" for x, y, _, _ in dests)
    graph = ";".join(chains) + (
        f";{stack_in}xstack=inputs={count}:layout={layout}:fill=black,"
        f"pad={WIDTH}:{HEIGHT}:0:0:black,setsar=1[out]")
    if audio:
        mix_in = "".join(f"[{count + i}:a]" for i in range(count))
        graph += f";{mix_in}amix=inputs={count}:normalize=0,aformat=channel_layouts=mono[aout]"
    cmd += ["-filter_complex", graph, "-map", "[out]"]
    if audio:
        cmd += ["-map", "[aout]", "-c:a", "libopus", "-b:a", "32k", "-application", "voip",
                "-compression_level", "5", "-frame_duration", "20", "-fec", "1",
                "-packet_loss", "10", "-ac", "1"]
    if phases == "compose":
        return cmd + ["-c:v", "rawvideo", "-f", "null", "-"]
    vbv = bitrate // 2  # video_encoder.cc: VbvBits
    cmd += ["-c:v", "libx264", "-preset", "veryfast",
            "-tune", "zerolatency", "-profile:v", "baseline", "-forced-idr", "1",
            "-x264-params", "repeat-headers=1", "-b:v", str(bitrate), "-maxrate", str(bitrate),
            "-bufsize", str(vbv), "-g", str(FPS * 10), "-bf", "0", "-pix_fmt", "yuv420p"]
    if one_thread:
        cmd += ["-threads", "1"]
    cmd += ["-f", "null", "-"]
    return cmd


def ffmpeg_frames(stderr_path):
    with open(stderr_path, errors="replace") as f:
        found = re.findall(r"frame=\s*(\d+)", f.read())
    return int(found[-1]) if found else -1


def summarize(label, runs):
    """Median of each timing over the runs; the rest from the first run."""
    print(f"  {label}: cpu {[round(r['cpu_seconds'], 3) for r in runs]} s, "
          f"wall {[round(r['wall_seconds'], 3) for r in runs]} s", file=sys.stderr)
    result = dict(runs[0])
    for key in ("cpu_seconds", "wall_seconds", "in_process_cpu_seconds"):
        if key in result:
            result[key] = statistics.median(r[key] for r in runs)
    result["runs"] = len(runs)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--room-cost", default="build/benches/room_cost")
    parser.add_argument("--ffmpeg", default=shutil.which("ffmpeg") or "ffmpeg")
    parser.add_argument("--count", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--bitrate", type=int, default=1_500_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", help="keep the inputs here (default: a temp dir, removed)")
    parser.add_argument("--no-audio", action="store_true",
                        help="video only (no Opus inputs, amix or audio room)")
    args = parser.parse_args()
    audio = not args.no_audio
    if not os.access(args.room_cost, os.X_OK):
        sys.exit(f"{args.room_cost} not built (cmake --build build --target room_cost)")

    workdir = args.workdir or tempfile.mkdtemp(prefix="room_cost.")
    os.makedirs(workdir, exist_ok=True)
    frames = args.seconds * FPS
    room_seconds = frames / FPS
    try:
        print(f"generating {args.count} inputs in {workdir}", file=sys.stderr)
        generate_inputs(args.ffmpeg, workdir, args.count, args.seconds)
        if audio:
            generate_audio_inputs(args.ffmpeg, workdir, args.count, args.seconds)
        log = os.path.join(workdir, "ffmpeg.log")

        def ffmpeg_run(one_thread, phases="all", with_audio=audio):
            cmd = ffmpeg_command(args.ffmpeg, workdir, args.count, args.bitrate, one_thread, phases,
                                 with_audio)

            def once():
                cpu, wall, rc, _ = run_measured(cmd, log)
                n = ffmpeg_frames(log)
                if rc != 0 or n != frames:
                    sys.exit(f"ffmpeg failed (exit {rc}, {n} frames, want {frames}); see {log}")
                return {"frames": n, "cpu_seconds": cpu, "wall_seconds": wall,
                        "command": " ".join(cmd)}

            return once

        base = [args.room_cost, "--inputs", workdir, "--count", str(args.count), "--bitrate",
                str(args.bitrate), "--frames", str(frames)]

        def tessera_run(extra):
            def once():
                cpu, wall, rc, out = run_measured(base + extra,
                                                  os.path.join(workdir, "room_cost.log"))
                if rc != 0:
                    sys.exit(f"room_cost failed (exit {rc}); see {workdir}/room_cost.log")
                line = json.loads(out.strip().splitlines()[-1])
                if line["frames"] != frames or line["encodes"] != frames:
                    sys.exit(f"room_cost: {line['frames']} frames, {line['encodes']} encodes")
                if extra[extra.index("--audio") + 1] == "1" and (
                        line["audio_ticks"] < room_seconds * 50 - 1 or line["audio_encodes"] == 0):
                    sys.exit(f"room_cost: the audio half did not run ({line['audio_ticks']} "
                             f"ticks, {line['audio_encodes']} encodes)")
                line["in_process_cpu_seconds"] = line["cpu_seconds"]
                line.update(cpu_seconds=cpu, wall_seconds=wall)
                return line

            return once

        with_audio = ["--audio", "1" if audio else "0"]
        variants = {
            "ffmpeg_threads1": ffmpeg_run(True),
            "ffmpeg_default_threads": ffmpeg_run(False),
            "tessera": tessera_run(["--breakdown", "0"] + with_audio),
            "tessera_labels": tessera_run(["--breakdown", "0", "--labels", "1"] + with_audio),
            # Phases, for the breakdown: ffmpeg without the later stages; Tessera's components.
            "ffmpeg_threads1_decode_only": ffmpeg_run(True, "decode"),
            "ffmpeg_threads1_no_encode": ffmpeg_run(True, "compose"),
            "tessera_breakdown": tessera_run(["--breakdown", "1"] + with_audio),
        }
        if audio:  # the video half alone, as measured before audio was added
            variants["ffmpeg_threads1_video"] = ffmpeg_run(True, with_audio=False)
            variants["tessera_video"] = tessera_run(["--breakdown", "0", "--audio", "0"])
        # Interleaved rounds, so a change in the machine's load hits every variant alike.
        runs = {key: [] for key in variants}
        for round_index in range(args.repeat):
            print(f"round {round_index + 1}/{args.repeat}", file=sys.stderr)
            for key, once in variants.items():
                runs[key].append(once())
        results = {key: summarize(key, value) for key, value in runs.items()}
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    def per_room_second(key):
        return results[key]["cpu_seconds"] / room_seconds

    ff1 = per_room_second("ffmpeg_threads1")
    ffd = per_room_second("ffmpeg_default_threads")
    tes = per_room_second("tessera")
    summary = {
        "inputs": args.count, "frames": frames, "room_seconds": room_seconds, "audio": audio,
        "ffmpeg_threads1_cpu_per_room_second": round(ff1, 4),
        "ffmpeg_default_threads_cpu_per_room_second": round(ffd, 4),
        "tessera_cpu_per_room_second": round(tes, 4),
        "tessera_labels_cpu_per_room_second": round(per_room_second("tessera_labels"), 4),
        "ratio_vs_ffmpeg_threads1": round(tes / ff1, 3),
        "ratio_vs_ffmpeg_default_threads": round(tes / ffd, 3),
        "goal": "ratio <= 0.8",
        "ffmpeg_threads1_phases_cpu_s": {
            "decode": round(results["ffmpeg_threads1_decode_only"]["cpu_seconds"], 3),
            "scale_xstack": round(results["ffmpeg_threads1_no_encode"]["cpu_seconds"]
                                  - results["ffmpeg_threads1_decode_only"]["cpu_seconds"], 3),
            "encode": round(results["ffmpeg_threads1"]["cpu_seconds"]
                            - results["ffmpeg_threads1_no_encode"]["cpu_seconds"], 3),
        },
        "tessera_phases_cpu_s": results["tessera_breakdown"].get("components"),
        "tessera_audio_cpu_s": results["tessera"].get("phases", {}).get("audio_cpu_s"),
        "tessera_audio_encodes": results["tessera"].get("audio_encodes"),
    }
    if audio:
        ffv, tesv = per_room_second("ffmpeg_threads1_video"), per_room_second("tessera_video")
        summary.update(ffmpeg_threads1_video_cpu_per_room_second=round(ffv, 4),
                       tessera_video_cpu_per_room_second=round(tesv, 4),
                       video_ratio_vs_ffmpeg_threads1=round(tesv / ffv, 3),
                       audio_cpu_per_room_second={"ffmpeg_threads1": round(ff1 - ffv, 4),
                                                  "tessera": round(tes - tesv, 4)})
    for key, value in results.items():
        print(json.dumps({"run": key, **value}))
    print(json.dumps(summary))
    what = " + Opus mix" if audio else ""
    print(f"| {args.count} x {IN_W}x{IN_H}@{FPS} -> {WIDTH}x{HEIGHT}@{FPS}, "
          f"{args.bitrate // 1000} kbit/s{what} | {ff1:.3f} | {ffd:.3f} | {tes:.3f} | "
          f"**{tes / ff1:.2f}x** | {tes / ffd:.2f}x |")


if __name__ == "__main__":
    main()
