#!/usr/bin/env python3
"""The recorder tier's CPU per recorded room: tessera (the MCU, with control.recorder) and
`tessera-recorder run`, N rooms (--rooms, default 1), each with one ffmpeg camera (a moving
testsrc2 picture and a beep, H.264 and PCMU over RTP, --size at --fps) and one video profile of the
same size (H.264, --kbps, default 1500 kbit/s, a keyframe a second), and one recording per room
started through the MCU's API. Once every recording has joined and written video, the window
opens: /proc/<pid>/stat utime+stime of tessera-recorder, of tessera and of the cameras, the
machine's busy time (/proc/stat) and the recorder's bytes_written and frame counts are read at
its start and end, --seconds apart (default 30). The recordings are then stopped through the MCU
and the processes stopped.

Prints, per room and in all: the recorder's CPU seconds per recorded second (= % of one core),
the bytes it wrote per second (its container output, before encryption) and the .tsrec growth on
disk, the recorded video and audio frames per second; the MCU's CPU in the same window (% of one
core) and the recorder's cost as a share of the MCU's; the cameras' CPU, the machine's load
average and how much of the machine's busy time was none of these processes (other load), since
on a small machine that skews everything.

The processes, keys, tokens and configs are recorder_test.py's (tests/integration), imported.

    python3 benches/recorder_cost.py [--tessera build/tessera] [--recorder build/tessera-recorder]
        [--audit build/tessera-audit] [--token build/tessera-token] [--rooms 1]
        [--size 1280x720] [--fps 30] [--kbps 1500] [--seconds 30] [--keep]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import recorder_test as rt  # noqa: E402
from tessera_harness import Process, ensure, run_main  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy():
    """(busy, total) seconds of all CPUs since boot (/proc/stat's cpu line; idle and iowait are
    not busy)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return (total - idle) / TICK, total / TICK


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def totals(entries):
    return {k: sum(e[k] for e in entries) for k in ("bytes_written", "video_frames",
                                                     "audio_frames", "gaps")}


def snapshot(stack, rec_ids, senders):
    entries = {r["id"]: r for r in stack.recorder_list()}
    missing = [i for i in rec_ids if i not in entries]
    ensure(not missing, f"the recorder no longer lists {missing}")
    busy, total = machine_busy()
    return {"t": time.monotonic(), "recorder": cpu_seconds(stack.recorder.proc.pid),
            "mcu": cpu_seconds(stack.mcu.proc.pid),
            "cameras": sum(cpu_seconds(s.proc.pid) for s in senders),
            "busy": busy, "total": total,
            "entries": [entries[i] for i in rec_ids],
            "disk": [os.path.getsize(stack.tsrec(i)) for i in rec_ids]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--recorder", default=os.path.join(ROOT, "build", "tessera-recorder"))
    ap.add_argument("--audit", default=os.path.join(ROOT, "build", "tessera-audit"))
    ap.add_argument("--token", default=os.path.join(ROOT, "build", "tessera-token"))
    ap.add_argument("--rooms", type=int, default=1)
    ap.add_argument("--size", default="1280x720", help="the cameras' and the profile's WxH")
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--kbps", type=int, default=1500, help="the profile's bitrate")
    ap.add_argument("--seconds", type=float, default=30, help="the measuring window")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    ensure(args.rooms >= 1, "--rooms must be at least 1")
    width, height = (int(v) for v in args.size.lower().split("x"))
    for tool in ("ffmpeg", "ffprobe"):
        ensure(shutil.which(tool) is not None, f"{tool} is not installed")

    work = tempfile.mkdtemp(prefix="tessera-recorder-cost-")
    print(f"work directory: {work}")
    print(f"load average before: {loadavg()} ({os.cpu_count()} CPUs)")
    rooms, cameras = [], []
    for k in range(args.rooms):
        cam, audio, video = rt.camera_participant()
        rooms.append({"name": f"rc{k}", "participants": [cam],
                      "video": rt.video_block(width, height, args.fps, args.kbps, "main")})
        cameras.append((audio, video))
    stack = rt.Stack(args, work, [], rooms=rooms)
    senders = []
    try:
        stack.start()
        # Long enough for joins, the window and the stops; killed at the end.
        camera_s = int(args.seconds) + 120
        for audio, video in cameras:
            senders.append(Process(rt.sender_argv(camera_s, audio, video, (width, height),
                                                  args.fps, pattern="testsrc2"),
                                   "camera", die_with_parent=True))
        rec_ids = [stack.start_recording(room["name"]) for room in rooms]
        for rec_id in rec_ids:
            stack.wait_media(rec_id, "join and a second of video",
                             lambda r: r["joined"] and r["video_frames"] >= args.fps, 60)
        for s in senders:
            ensure(s.proc.poll() is None, f"a camera exited: {s.stderr()}")

        start = snapshot(stack, rec_ids, senders)
        deadline = start["t"] + args.seconds
        while time.monotonic() < deadline:
            # The recorder's log is on stdout: keep the pipe from filling.
            stack.recorder._drain_stdout()
            stack.mcu._drain_stdout()
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))  # the window
        end = snapshot(stack, rec_ids, senders)
        load_after = loadavg()

        window = end["t"] - start["t"]
        rec_cpu = end["recorder"] - start["recorder"]
        mcu_cpu = end["mcu"] - start["mcu"]
        cam_cpu = end["cameras"] - start["cameras"]
        busy = end["busy"] - start["busy"]
        capacity = end["total"] - start["total"]
        other = busy - rec_cpu - mcu_cpu - cam_cpu
        a, b = totals(start["entries"]), totals(end["entries"])
        n = args.rooms
        print(f"\nwindow {window:.2f} s, {n} room(s) of {width}x{height}@{args.fps} "
              f"H.264 {args.kbps} kbit/s")
        for k, rec_id in enumerate(rec_ids):
            e0, e1 = start["entries"][k], end["entries"][k]
            kbs = (e1["bytes_written"] - e0["bytes_written"]) / window / 1000
            grew = (end["disk"][k] - start["disk"][k]) / window / 1000
            print(f"  {rooms[k]['name']} {rec_id}: {kbs:.1f} kB/s written, .tsrec +{grew:.1f} "
                  f"kB/s, {(e1['video_frames'] - e0['video_frames']) / window:.1f} video "
                  f"frames/s, {(e1['audio_frames'] - e0['audio_frames']) / window:.1f} audio "
                  f"frames/s, joins {e1['joins']}, gaps {e1['gaps']}, srtp_failures "
                  f"{e1['srtp_failures']}")
        written = (b["bytes_written"] - a["bytes_written"]) / window
        disk = (sum(end["disk"]) - sum(start["disk"])) / window
        per_room = rec_cpu / window / n
        print(f"tessera-recorder: {rec_cpu:.2f} CPU s in {window:.2f} s = "
              f"{100 * rec_cpu / window:.2f}% of one core; per recorded room "
              f"{per_room:.4f} CPU s per recorded second ({100 * per_room:.2f}% of one core)")
        print(f"written: {written / 1000:.1f} kB/s in all ({written * 8 / 1000 / n:.0f} kbit/s "
              f"per room), .tsrec on disk +{disk / 1000:.1f} kB/s")
        print(f"tessera (MCU): {mcu_cpu:.2f} CPU s = {100 * mcu_cpu / window:.1f}% of one core; "
              f"the recorder costs {100 * rec_cpu / mcu_cpu if mcu_cpu else float('nan'):.1f}% "
              f"of the MCU's CPU")
        print(f"cameras (ffmpeg): {100 * cam_cpu / window:.1f}% of one core")
        print(f"machine: {100 * busy / capacity:.1f}% busy of {os.cpu_count()} CPUs; other "
              f"processes {100 * other / window:.1f}% of one core; load average after: "
              f"{load_after}")
        print(f"recorder_cost: rooms={n} size={width}x{height} fps={args.fps} "
              f"kbps={args.kbps} seconds={window:.1f} recorder_cpu_pct_per_room="
              f"{100 * per_room:.2f} written_kBps={written / 1000:.1f} "
              f"mcu_cpu_pct={100 * mcu_cpu / window:.1f} other_cpu_pct="
              f"{100 * other / window:.1f}")

        for room, rec_id in zip(rooms, rec_ids):
            stack.stop_recording(rec_id, room["name"])
        for s in senders:
            rt.Stack.kill(s)
        stack.stop_all()
    finally:
        for s in senders:
            rt.Stack.kill(s)
        stack.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
