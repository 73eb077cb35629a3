#!/usr/bin/env python3
"""The demo's closing report, from Tessera's summary lines and the files the demo made.

Usage: demo_summary.py SUMMARY_JSONL SECONDS RECORDING MIX

SUMMARY_JSONL holds the JSON lines Tessera prints when it stops (one per participant leg, then the
room's audio and video summaries). Prints, plainly: the video ticks run and skipped, the tick cost,
the MCU-added latency, the frames decoded per camera, and where the recording and the mix are
(with the recording's frame timing checked against its frame grid).
"""

import collections
import json
import os
import subprocess
import sys

ROOM = "demo-room"
CAMERA_FPS = 15  # scripts/demo.sh's clips


def read_lines(path):
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for raw in f:
                raw = raw.strip()
                if not raw.startswith("{"):
                    continue
                try:
                    out.append(json.loads(raw))
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def ms(value):
    return f"{value:.1f} ms"


def report_video(video, audio):
    ticks = video.get("ticks", 0)
    skipped = video.get("skipped_ticks", 0)
    late = video.get("late_ticks", 0)
    slots = ticks + skipped
    share = 100.0 * skipped / slots if slots else 0.0
    print(f"  video ticks:        {ticks} run, {skipped} skipped ({share:.1f}% of {slots} slots), "
          f"{late} late")
    print(f"  video tick cost:    p50 {ms(video.get('tick_cost_p50_ms', 0))}, "
          f"p99 {ms(video.get('tick_cost_p99_ms', 0))}")
    latency = video.get("latency_ms")
    if latency and latency.get("samples"):
        print(f"  MCU-added latency:  p50 {ms(latency['p50'])}, p99 {ms(latency['p99'])} "
              f"({latency['samples']} input frames, from their arrival to the composite that "
              f"first shows them leaving)")
    else:
        print("  MCU-added latency:  no samples (no composite was sent)")
    if audio:
        print(f"  audio ticks:        {audio.get('ticks', 0)} run, "
              f"{audio.get('skipped_ticks', 0)} skipped, {audio.get('late_ticks', 0)} late")


def report_cameras(legs, seconds):
    cameras = [j for j in legs if isinstance(j.get("decoder"), dict)]
    if not cameras:
        print("  decoded frames:     none reported")
        return
    expected = CAMERA_FPS * seconds
    print(f"  decoded frames per camera (each sends {CAMERA_FPS} fps: about {expected:.0f}):")
    for j in cameras:
        d = j["decoder"]
        notes = []
        if d.get("errors"):
            notes.append(f"{d['errors']} decode errors")
        if d.get("failed"):
            notes.append("decoder failed")
        note = f"  ({', '.join(notes)})" if notes else ""
        print(f"    {j.get('participant', '?'):<8} {d.get('decoded', 0):>6}{note}")


def probe_recording(path):
    """(codec, width, height, frames, seconds, timing) of the recording, or None."""
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,width,height,time_base:packet=pts", "-of", "json", path],
            capture_output=True, text=True, check=True).stdout
        probe = json.loads(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    streams = probe.get("streams") or [{}]
    stream = streams[0]
    pts = [p["pts"] for p in probe.get("packets", []) if isinstance(p.get("pts"), int)]
    num, _, den = stream.get("time_base", "1/90000").partition("/")
    unit = int(num) / int(den or 1)  # seconds per pts tick
    timing = "no frames"
    seconds = 0.0
    if len(pts) >= 2:
        steps = [b - a for a, b in zip(pts, pts[1:])]
        seconds = (pts[-1] - pts[0] + collections.Counter(steps).most_common(1)[0][0]) * unit
        frame = collections.Counter(s for s in steps if s > 0).most_common(1)
        frame = frame[0][0] if frame else 0
        backwards = sum(1 for s in steps if s <= 0)
        off_grid = [s for s in steps if s > 0 and frame and s % frame]
        held = sum(s // frame - 1 for s in steps if s > 0 and frame and s % frame == 0)
        fps = 1 / (frame * unit) if frame else 0
        if backwards or off_grid:
            smallest = min(off_grid) * unit * 1000 if off_grid else 0
            timing = (f"{len(off_grid)} frame intervals off the 1/{fps:.0f} s grid (the shortest "
                      f"{smallest:.1f} ms), {backwards} not increasing")
        else:
            timing = f"every frame a whole number of 1/{fps:.0f} s intervals after the one before"
            if held:
                timing += f" ({held} slots held over for skipped ticks)"
    return (stream.get("codec_name", "?"), stream.get("width", 0), stream.get("height", 0),
            len(pts), seconds, timing)


def probe_duration(path):
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
            capture_output=True, text=True, check=True).stdout
        return float(out.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    summary_path, seconds, recording, mix = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    lines = [j for j in read_lines(summary_path) if j.get("room") == ROOM]
    video = next((j for j in lines if j.get("media") == "video" and "participant" not in j), None)
    audio = next((j for j in lines if "media" not in j and "participant" not in j), None)
    legs = [j for j in lines if j.get("media") == "video" and "participant" in j]

    print(f"demo: what Tessera did in {ROOM} ({seconds:.0f} s)")
    if video:
        report_video(video, audio)
    else:
        print("  Tessera printed no video summary (did it stop cleanly? see its log above)")
    report_cameras(legs, seconds)

    print()
    rec = probe_recording(recording) if os.path.exists(recording) else None
    if rec:
        codec, width, height, frames, secs, timing = rec
        recorded = f", Tessera wrote {video['recorded_frames']}" if video and \
            "recorded_frames" in video else ""
        print(f"demo: the 3x3 composite is recorded in {os.path.abspath(recording)}")
        print(f"  {codec} {width}x{height}, {frames} frames over {secs:.1f} s{recorded}")
        print(f"  timing: {timing}")
        print(f"  watch it with:  ffplay {recording}   (or any video player)")
    else:
        print(f"demo: no recording at {os.path.abspath(recording)}")

    print()
    duration = probe_duration(mix) if os.path.exists(mix) else None
    if duration is not None:
        print(f"demo: what carol heard in {ROOM} is in {os.path.abspath(mix)} ({duration:.1f} s)")
        print(f"  listen with:  ffplay {mix}   (alice's 440 Hz and bob's 660 Hz together)")
    else:
        print(f"demo: no mix recorded at {os.path.abspath(mix)}")
    print(f"demo: Tessera's full summary (every participant and room): "
          f"{os.path.abspath(summary_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
