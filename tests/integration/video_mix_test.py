#!/usr/bin/env python3
"""End-to-end video mixing test: ffmpeg CLI peers send solid-colour pictures (H.264 and VP8 mixed;
VP9 in the vp9 scenario) to the real tessera binary, which composes them into one layout and encodes it once per profile;
ffmpeg receivers open the SDP files tessera writes and decode the composite to raw YUV, and the
test checks the colour of every tile (and bar) in the decoded pictures. The pli scenario is its
own receiver: it reads the composite's RTP and sends RTCP PLIs.

Waits are on decoded frames or packets arriving, lines printed, or processes exiting, each with a
deadline; a scenario ends as soon as what it waits for is seen. Decoded frames it looked at are
saved as PNG in the scenario's temporary directory (printed), for a person to look at.

usage: video_mix_test.py --tessera BIN
       --scenario grid4|grid9|layout|leave|kick|oneencode|pli|fit|badinput|tmmbr|spoof|vp9
"""
import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, ensure, free_port_pair, run,  # noqa: E402
                             run_main, write_config)

# The composite: small, so a 2-core machine encodes it and decodes nine inputs with time to spare.
WIDTH, HEIGHT, FPS = 640, 360, 15
FRAME_BYTES = WIDTH * HEIGHT * 3 // 2
# Mean of a solid area after two lossy encodes, against the colour sent (8-bit, limited range).
TOL_Y, TOL_C = 12, 10
# How long a composite may take to show what a scenario expects: senders and the receiver start,
# decoders wait for keyframes (every second), all on a loaded 2-core machine.
SHOW_TIMEOUT_S = 30
PLACEHOLDER = (48, 128, 128)  # the "no video" tile (mixer::ComposeOptions::placeholder)
BLACK = (16, 128, 128)        # the default background
ROOM = "room"

COLOURS = {  # name: 0xRRGGBB, far apart in YUV and from the placeholder and the background
    "red": 0xFF0000, "lime": 0x00FF00, "blue": 0x0000FF, "yellow": 0xFFFF00, "cyan": 0x00FFFF,
    "magenta": 0xFF00FF, "white": 0xFFFFFF, "orange": 0xFF8000, "purple": 0x8000FF,
}


def yuv(rgb):
    """BT.601 limited range, as ffmpeg (the senders' colour source) and tessera (its background)
    convert RGB."""
    r, g, b = (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF
    clamp = lambda v: max(0, min(255, int(v + 0.5)))  # noqa: E731
    return (clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
            clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
            clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255))


def even(v):
    return int(v) & ~1


def colour_sender_argv(colour, size, codec, port):
    """ffmpeg sending a plain `colour` picture of `size` in `codec` (h264: pt 96, vp8: pt 97,
    vp9: pt 98) as RTP to 127.0.0.1:port, with RTCP on the same port (the video port is
    rtcp-mux). ffmpeg's VP9 packetizer (RFC 9628 with a one-byte descriptor: B and E only) is
    marked experimental."""
    w, h = size
    argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
            f"color=c=0x{COLOURS[colour]:06x}:s={w}x{h}:r={FPS}", "-pix_fmt", "yuv420p"]
    if codec == "h264":
        argv += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                 "-profile:v", "baseline", "-bf", "0", "-g", str(FPS), "-payload_type", "96"]
    elif codec == "vp9":
        argv += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                 "-lag-in-frames", "0", "-g", str(FPS), "-b:v", "300k", "-payload_type", "98",
                 "-strict", "experimental"]
    else:
        argv += ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
                 "-lag-in-frames", "0", "-auto-alt-ref", "0", "-g", str(FPS), "-b:v", "300k",
                 "-payload_type", "97"]
    return argv + ["-f", "rtp", f"rtp://127.0.0.1:{port}?rtcpport={port}&pkt_size=1200"]


class Rect:
    def __init__(self, x, y, w, h):
        self.x, self.y, self.w, self.h = x, y, w, h

    def inset(self, px):
        return Rect(self.x + px, self.y + px, self.w - 2 * px, self.h - 2 * px)

    def corners(self, margin=6):
        """Four patches in the corners, `margin` pixels in from the edges (away from a
        placeholder's centred name and from the neighbours' compression bleed)."""
        pw, ph = max(4, self.w // 5), max(4, self.h // 5)
        r = self.inset(margin)
        return [Rect(r.x, r.y, pw, ph), Rect(r.x + r.w - pw, r.y, pw, ph),
                Rect(r.x, r.y + r.h - ph, pw, ph), Rect(r.x + r.w - pw, r.y + r.h - ph, pw, ph)]

    def __repr__(self):
        return f"{self.w}x{self.h}+{self.x}+{self.y}"


def grid_slots(columns, rows):
    """The slots of tessera's grid: equal parts, edges rounded down to even pixels."""
    def edge(i, n, total):
        return total if i >= n else even(i * total // n)
    return [Rect(edge(c, columns, WIDTH), edge(r, rows, HEIGHT),
                 edge(c + 1, columns, WIDTH) - edge(c, columns, WIDTH),
                 edge(r + 1, rows, HEIGHT) - edge(r, rows, HEIGHT))
            for r in range(rows) for c in range(columns)]


class Frame:
    """One decoded yuv420p picture of the composite."""

    def __init__(self, data, arrival):
        self.data, self.arrival = data, arrival

    def mean(self, rect):
        """Mean (Y, U, V) over a rect (even-aligned for the half-resolution chroma planes)."""
        x0, y0 = even(rect.x), even(rect.y)
        x1, y1 = even(rect.x + rect.w), even(rect.y + rect.h)
        ensure(0 <= x0 < x1 <= WIDTH and 0 <= y0 < y1 <= HEIGHT, f"bad sample rect {rect}")
        out = []
        for offset, stride, div in ((0, WIDTH, 1), (WIDTH * HEIGHT, WIDTH // 2, 2),
                                    (WIDTH * HEIGHT * 5 // 4, WIDTH // 2, 2)):
            a, b = x0 // div, x1 // div
            total = sum(sum(self.data[offset + row * stride + a:offset + row * stride + b])
                        for row in range(y0 // div, y1 // div))
            out.append(total / ((b - a) * (y1 // div - y0 // div)))
        return tuple(out)

    def luma_max(self, rect):
        """The brightest luma sample in rect."""
        return max(max(self.data[row * WIDTH + rect.x:row * WIDTH + rect.x + rect.w])
                   for row in range(rect.y, rect.y + rect.h))

    def save_png(self, path):
        raw = path + ".yuv"
        with open(raw, "wb") as f:
            f.write(self.data)
        rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "-s", f"{WIDTH}x{HEIGHT}", "-i", raw,
                          "-frames:v", "1", "-y", path])
        os.unlink(raw)
        if rc != 0:
            raise TestFailure(f"could not write {path}: {err}")
        return path


def colour_problems(frame, rect, want, label):
    """Problems (empty when none) with the colour of `rect`: the mean of each of its corner
    patches must be within the tolerances of `want` (Y, U, V)."""
    for patch in rect.corners():
        got = frame.mean(patch)
        if (abs(got[0] - want[0]) > TOL_Y or abs(got[1] - want[1]) > TOL_C
                or abs(got[2] - want[2]) > TOL_C):
            return [f"{label} at {patch} is YUV ({got[0]:.0f}, {got[1]:.0f}, {got[2]:.0f}), "
                    f"want {want}"]
    return []


class Sender:
    """A participant whose camera is an ffmpeg lavfi colour source sent over RTP."""

    def __init__(self, name, codec, colour, size=(320, 180)):
        self.name, self.codec, self.colour, self.size = name, codec, colour, size
        self.yuv = yuv(COLOURS[colour])
        self.proc = None
        self.new_ports()

    def new_ports(self):
        self.port = free_port_pair()  # tessera's video port for it (rtcp-mux)

    def config(self):
        codec = {"h264": "H264", "vp8": "VP8", "vp9": "VP9"}[self.codec]
        return (f"      - name: {self.name}\n"
                f"        video: {{codec: {codec}, local_port: {self.port}}}\n")

    def argv(self):
        return colour_sender_argv(self.colour, self.size, self.codec, self.port)


class Viewer:
    """A receive-only participant; tessera sends it the composite and writes its SDP file."""

    def __init__(self, name, work, profile="hd", port=None):
        self.name, self.profile = name, profile
        self.port = port or free_port_pair()  # where the composite goes
        self.sdp = os.path.join(work, f"{name}.sdp")
        self.new_ports()

    def new_ports(self):
        self.local_port = free_port_pair()  # tessera's video port for it (its RTCP goes there)

    def config(self):
        return (f"      - name: {self.name}\n"
                f"        video: {{send: false, local_port: {self.local_port}, "
                f"remote_rtp_port: {self.port}, profile: {self.profile}, sdp_file: {self.sdp}}}\n")


class Talker:
    """A participant with audio only (it sends nothing here): a placeholder tile with its name."""

    def __init__(self, name):
        self.name = name
        self.mix_port = free_port_pair()
        self.new_ports()

    def new_ports(self):
        self.port = free_port_pair()

    def config(self):
        return (f"      - name: {self.name}\n        local_port: {self.port}\n"
                f"        remote_rtp_port: {self.mix_port}\n        audio: {{codec: PCMU}}\n")


class Receiver:
    """ffmpeg decoding a viewer's composite (through the SDP file) to raw yuv420p on a pipe."""

    def __init__(self, viewer, work):
        self.viewer, self.work = viewer, work
        self.proc = Process(["ffmpeg", "-hide_banner", "-loglevel", "error",
                             "-protocol_whitelist", "file,udp,rtp", "-i", viewer.sdp,
                             "-an", "-fps_mode", "passthrough", "-f", "rawvideo",
                             "-pix_fmt", "yuv420p", "pipe:1"], f"receiver {viewer.name}",
                            die_with_parent=True)
        self.frames = 0
        self.saved = 0

    def next_frame(self, timeout_s):
        data = self.proc.read_exact(FRAME_BYTES, timeout_s)
        self.frames += 1
        return Frame(data, time.monotonic())

    def wait_for(self, what, check, timeout_s=SHOW_TIMEOUT_S):
        """The first decoded frame for which check(frame) reports no problems; a clear failure
        (with the last frame saved as PNG) when none comes within timeout_s."""
        deadline = time.monotonic() + timeout_s
        problems, frame = ["no frame decoded"], None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                where = self.save(frame, "last") if frame else "no frame"
                raise TestFailure(f"{self.viewer.name}: {what} not seen within {timeout_s}s "
                                  f"({self.frames} frames decoded; last: {where}): "
                                  + "; ".join(problems))
            try:
                frame = self.next_frame(remaining)
            except TestFailure:
                if time.monotonic() < deadline:
                    raise
                continue
            problems = check(frame)
            if not problems:
                return frame

    def save(self, frame, label):
        self.saved += 1
        return frame.save_png(os.path.join(
            self.work, f"{self.viewer.name}-{self.saved:02d}-{label}.png"))


class Room:
    """tessera running one room, with an ffmpeg receiver per viewer and the senders started."""

    def __init__(self, args, work, participants, viewers, video, profiles=None, control=False,
                 receive=True):
        """participants: Senders (and Talkers), in joining order; video: the room's `video:`
        keys; receive=False starts no ffmpeg receivers (the test reads the composite itself)."""
        self.args, self.work, self.viewers = args, work, viewers
        self.participants, self.video = participants, video
        self.senders = [p for p in participants if isinstance(p, Sender)]
        self.control, self.receive = control, receive
        self.profiles = profiles or [
            f"{{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
            f"bitrate_kbps: 800, keyframe_interval_s: 1}}"]
        self.tessera = None
        self.receivers = []

    def write_config(self):
        text = (f"server:\n  log_level: info\n  shards: 2\nrooms:\n  - name: {ROOM}\n"
                f"    video:\n      profiles:\n"
                + "".join(f"        - {p}\n" for p in self.profiles)
                + "".join(f"      {k}: {v}\n" for k, v in self.video.items())
                + "    participants:\n"
                + "".join(p.config() for p in self.participants + self.viewers))
        return write_config(os.path.join(self.work, "tessera.yaml"), text)

    def start_tessera(self):
        """Starts tessera and waits until it is ready. A port found free may have been taken
        (by a test running beside this one) before tessera bound it: then again with new ports."""
        for attempt in range(3):
            argv = [self.args.tessera, "--config", self.write_config()]
            if self.control:
                argv.append("--control-stdin")
            self.tessera = Process(argv, "tessera", stdin=self.control, die_with_parent=True)
            try:
                self.tessera.wait_for_line(lambda l: l.strip() == "tessera: ready", 30)
                return
            except TestFailure:
                if attempt == 2 or "Address already in use" not in self.tessera.stderr():
                    raise
                if self.tessera.proc.poll() is None:
                    self.tessera.proc.kill()
                self.tessera.proc.wait()
                print(f"tessera could not bind a port; again with new ports: "
                      f"{self.tessera.stderr().strip().splitlines()[-1]}")
                for p in self.participants + self.viewers:
                    p.new_ports()

    def __enter__(self):
        try:
            self.start_tessera()
            if self.receive:
                for v in self.viewers:
                    ensure(os.path.exists(v.sdp), f"tessera did not write {v.sdp}")
                    self.receivers.append(Receiver(v, self.work))
            for s in self.senders:
                s.proc = Process(s.argv(), f"sender {s.name}", die_with_parent=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def command(self, line, timeout_s=10):
        """Sends an operator command; returns tessera's answer (the next "ok ..." or "error: ..."
        line)."""
        seen = len(self.tessera.lines)
        self.tessera.send_line(line)
        return self.tessera.wait_for_line(
            lambda l: l.startswith("ok ") or l.startswith("error:"), timeout_s, start=seen)

    def children(self):
        return [s.proc for s in self.senders if s.proc] + [r.proc for r in self.receivers]

    def stop(self):
        """Stops the peers, then tessera; returns tessera's summary lines (JSON)."""
        for c in self.children():
            if c.proc.poll() is not None:
                continue
            if c.name.startswith("receiver"):
                c.proc.kill()  # it may be blocked writing to a pipe nobody reads any more
            else:
                c.proc.terminate()
        for c in self.children():
            try:
                c.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise TestFailure(f"{c.name} did not stop within 20 s")
        ensure(self.tessera.stop() == 0, f"tessera exited non-zero: {self.tessera.stderr()}")
        return self.tessera.json_lines()

    def __exit__(self, *exc):
        for c in self.children() + [self.tessera]:
            if c and c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()


def tiles_check(expected):
    """expected: [(rect, (Y, U, V), label)]; a check for Receiver.wait_for."""
    def check(frame):
        problems = []
        for rect, want, label in expected:
            problems += colour_problems(frame, rect, want, label)
        return problems
    return check


def grid_expectation(senders, columns, rows):
    slots = grid_slots(columns, rows)
    return [(slots[i], s.yuv, f"{s.name}'s tile ({s.colour})") for i, s in enumerate(senders)]


def video_summaries(summary, room=ROOM):
    rooms = [s for s in summary if s.get("room") == room and s.get("media") == "video"
             and "profiles" in s]
    ensure(len(rooms) == 1, f"no video summary for room {room} in {summary}")
    legs = {s["participant"]: s for s in summary
            if s.get("room") == room and s.get("media") == "video" and "participant" in s}
    return rooms[0], legs


def check_decoders(legs, senders):
    """Every sender's stream was decoded without errors by tessera."""
    for s in senders:
        d = legs[s.name]["decoder"]
        ensure(d["decoded"] > 0 and d["errors"] == 0 and not d["failed"],
               f"{s.name}'s {s.codec} stream was not decoded cleanly: {d}")
        ensure((d["width"], d["height"]) == s.size,
               f"{s.name}: decoded {d['width']}x{d['height']}, sent {s.size}")


def wait_for_all(receivers, what, check, timeout_s=SHOW_TIMEOUT_S):
    """Reads the receivers a frame at a time in turn (so neither stalls the other) until each has
    decoded a frame that passes `check`; returns those frames."""
    deadline = time.monotonic() + timeout_s
    good, last = {}, {}
    while len(good) < len(receivers):
        for rx in receivers:
            if rx in good:
                continue
            remaining = deadline - time.monotonic()
            problems = ["no frame decoded"]
            if remaining > 0:
                try:
                    last[rx] = rx.next_frame(remaining)
                    problems = check(last[rx])
                except TestFailure:
                    if time.monotonic() < deadline:
                        raise
            if not problems:
                good[rx] = last[rx]
            elif time.monotonic() >= deadline:
                where = rx.save(last[rx], "last") if rx in last else "no frame"
                raise TestFailure(f"{rx.viewer.name}: {what} not seen within {timeout_s}s "
                                  f"({rx.frames} frames decoded; last: {where}): "
                                  + "; ".join(problems))
    return [good[rx] for rx in receivers]


def describe_tiles(frame, expected):
    """The mean colour inside each expected area, for the log."""
    return ", ".join(f"{label} " + "(%.0f, %.0f, %.0f)" % frame.mean(rect.inset(8))
                     for rect, _, label in expected)


def quiet_video(**extra):
    """Room video keys that keep tiles plain: no borders, labels or speaker frame."""
    video = {"layout": "grid", "fit": "crop", "border_px": 0, "highlight_speaker": "false",
             "name_labels": "false"}
    video.update(extra)
    return video


def mixed_senders(count, colours=None, sizes=None):
    colours = colours or list(COLOURS)[:count]
    return [Sender(f"p{i + 1}", "h264" if i % 2 == 0 else "vp8", colours[i],
                   sizes[i] if sizes else (320, 180)) for i in range(count)]


def scenario_grid(args, work, count):
    """Four (or nine) senders, H.264 and VP8 alternating, in a 2x2 (3x3) grid: every tile shows
    its sender's colour, in joining order."""
    senders = mixed_senders(count)
    side = 2 if count == 4 else 3
    expected = grid_expectation(senders, side, side)
    viewer = Viewer("viewer", work)
    with Room(args, work, senders, [viewer], quiet_video()) as room:
        rx = room.receivers[0]
        frame = rx.wait_for(f"all {count} tiles of the {side}x{side} grid", tiles_check(expected))
        print(f"every tile in place after {rx.frames} decoded frames: "
              f"{describe_tiles(frame, expected)}")
        print(f"composite: {rx.save(frame, f'grid{count}')}")
        summary = room.stop()
    vroom, legs = video_summaries(summary)
    print(vroom)
    check_decoders(legs, senders)
    ensure(vroom["layout"] == "grid", f"layout {vroom['layout']}, want grid")
    ensure(legs["viewer"]["frames_sent"] > 0, f"the viewer was sent nothing: {legs['viewer']}")


def scenario_layout(args, work):
    """Grid, then `layout ROOM speaker` and `speaker ROOM p3` on stdin: p3 fills the large top
    region and the others move to the strip below in joining order; unknown layouts and
    participants are answered with errors and change nothing."""
    senders = mixed_senders(4, ["red", "lime", "blue", "yellow"])
    p1, p2, p3, p4 = senders
    viewer = Viewer("viewer", work)
    # The active speaker's frame on: its 4-pixel yellow edge is checked below, clear of the
    # patches sampled for tile colours.
    video = quiet_video(highlight_speaker="true")
    with Room(args, work, senders, [viewer], video, control=True) as room:
        rx = room.receivers[0]
        rx.wait_for("the 2x2 grid", tiles_check(grid_expectation(senders, 2, 2)))
        for line, want in [(f"layout {ROOM} speaker", "ok"), (f"speaker {ROOM} p3", "ok"),
                           (f"layout {ROOM} nosuch", "error: "),
                           (f"speaker {ROOM} nobody", "error: "),
                           ("layout nowhere grid", "error: "), ("dance", "error: ")]:
            answer = room.command(line)
            print(f"> {line}\n< {answer}")
            ensure((answer == f"ok {line}") if want == "ok" else answer.startswith(want),
                   f"'{line}' was answered '{answer}', want {want!r}")
            if "nosuch" in line:
                ensure("nosuch" in answer and "grid" in answer,
                       f"the error does not name the layout and the known ones: {answer}")
        # Speaker focus: the main region is the top three quarters; four thumbnail places of a
        # quarter of the width each below it, the three used ones centred.
        main_h, thumb_w = even(HEIGHT * 3 // 4), even(WIDTH // 4)
        strip_h, first = HEIGHT - main_h, even((WIDTH - 3 * thumb_w) // 2)
        main = Rect(0, 0, WIDTH, main_h)
        expected = [(main, p3.yuv, "p3 (the speaker, large)")]
        expected += [(Rect(first + k * thumb_w, main_h, thumb_w, strip_h), s.yuv,
                      f"{s.name}'s thumbnail") for k, s in enumerate([p1, p2, p4])]
        expected += [(Rect(0, main_h, first, strip_h), BLACK, "the strip's left end"),
                     (Rect(WIDTH - first, main_h, first, strip_h), BLACK, "the strip's right end")]
        highlight = yuv(0xFFFF00)

        def check(frame):
            problems = tiles_check(expected)(frame)
            # The yellow frame on the speaker's tile: its top and left edges, 4 pixels wide.
            for edge in (Rect(16, 0, WIDTH - 32, 4), Rect(0, 16, 4, main_h - 32)):
                got = frame.mean(edge)
                if abs(got[0] - highlight[0]) > 40:
                    problems.append(f"the speaker's highlight at {edge} has luma {got[0]:.0f}, "
                                    f"want about {highlight[0]}")
            return problems
        frame = rx.wait_for("p3 large with p1, p2, p4 in the strip", check)
        print(f"speaker layout: {describe_tiles(frame, expected)}; "
              f"highlight luma {frame.mean(Rect(16, 0, WIDTH - 32, 4))[0]:.0f}")
        print(f"composite: {rx.save(frame, 'speaker')}")
        # Live figures while the room runs: the same objects as the summary at stop.
        answer = room.command(f"stats {ROOM}")
        ensure(answer.startswith("ok stats ["), f"stats was answered '{answer}'")
        live = json.loads(answer[len("ok stats "):])
        live_video = [o for o in live if o.get("media") == "video"]
        ensure(len(live_video) == 1, f"stats has {len(live_video)} video objects: {answer}")
        lv = live_video[0]
        ensure(lv["room"] == ROOM and lv["layout"] == "speaker" and lv["composes"] > 0
               and lv["ticks"] >= lv["composes"] and "skipped_ticks" in lv,
               f"live video stats: {lv}")
        ensure(lv.get("latency_ms", {}).get("samples", 0) > 0,
               f"no MCU-added latency samples in the live stats although frames were shown: {lv}")
        bad = room.command("stats nowhere")
        ensure(bad.startswith("error: ") and "nowhere" in bad, f"stats nowhere: '{bad}'")
        print(f"live stats: ticks {lv['ticks']}, skipped {lv['skipped_ticks']}, "
              f"latency {lv['latency_ms']}")
        summary = room.stop()
    vroom, legs = video_summaries(summary)
    print(vroom)
    check_decoders(legs, senders)
    ensure(vroom["layout"] == "speaker", f"the room ended in layout {vroom['layout']}")
    ensure(vroom["ticks"] >= lv["ticks"], "the summary at stop has fewer ticks than the live one")


def scenario_leave(args, work):
    """One sender stops: after placeholder_after_ms its tile shows the grey placeholder with its
    name, and the other tiles keep their colours."""
    senders = mixed_senders(4, ["red", "lime", "blue", "yellow"])
    leaver = senders[1]
    slots = grid_slots(2, 2)
    viewer = Viewer("viewer", work)
    with Room(args, work, senders, [viewer], quiet_video(placeholder_after_ms=1000)) as room:
        rx = room.receivers[0]
        rx.wait_for("the 2x2 grid", tiles_check(grid_expectation(senders, 2, 2)))
        leaver.proc.proc.kill()
        leaver.proc.proc.wait()
        killed = time.monotonic()
        others = [(slots[i], s.yuv, f"{s.name}'s tile") for i, s in enumerate(senders)
                  if s is not leaver]
        slot = slots[1]
        too_early = []

        def check(frame):
            problems = tiles_check(others)(frame)
            placeholder = colour_problems(frame, slot, PLACEHOLDER, f"{leaver.name}'s tile")
            if not placeholder and frame.arrival - killed < 0.5:
                too_early.append(f"{frame.arrival - killed:.2f} s")
            return problems + placeholder
        frame = rx.wait_for(f"{leaver.name}'s placeholder", check)
        delay = frame.arrival - killed
        print(f"{leaver.name}'s tile became the placeholder {delay:.2f} s after its sender "
              f"stopped: {describe_tiles(frame, grid_expectation(senders, 2, 2))}")
        print(f"composite: {rx.save(frame, 'placeholder')}")
        if too_early:
            raise TestFailure(f"the placeholder showed {too_early[0]} after the sender stopped, "
                              f"before placeholder_after_ms (1000) had passed")
        # The name, in white, in the middle of the placeholder.
        cx, cy = slot.x + slot.w // 2, slot.y + slot.h // 2
        name_area = Rect(cx - 40, cy - 16, 80, 32)
        ensure(frame.luma_max(name_area) >= 150,
               f"no name drawn in the middle of the placeholder (brightest luma "
               f"{frame.luma_max(name_area)} in {name_area})")
        summary = room.stop()
    _, legs = video_summaries(summary)
    check_decoders(legs, senders)


def logged_summaries(process, name):
    """The summary lines tessera logged (stderr) for a participant: a leg's JSON object each."""
    process.stderr_file.seek(0)
    out = []
    for line in process.stderr_file.read().decode(errors="replace").splitlines():
        start = line.find('{"participant":"' + name + '"')
        if start >= 0:
            out.append(json.loads(line[start:]))
    return out


def scenario_kick(args, work):
    """`participants ROOM` lists the room; `kick ROOM p2` takes p2 out of the running room while
    its ffmpeg keeps sending: the grid reflows to three tiles (p1, p3, p4) and an empty slot, p2
    is no longer listed, its summary is logged at once, and a second kick is an error."""
    senders = mixed_senders(4, ["red", "lime", "blue", "yellow"])
    p1, p2, p3, p4 = senders
    viewer = Viewer("viewer", work)
    with Room(args, work, senders, [viewer], quiet_video(), control=True) as room:
        rx = room.receivers[0]
        rx.wait_for("the 2x2 grid", tiles_check(grid_expectation(senders, 2, 2)))
        answer = room.command(f"participants {ROOM}")
        prefix = f"ok participants {ROOM} "
        ensure(answer.startswith(prefix), f"participants was answered '{answer}'")
        listed = json.loads(answer[len(prefix):])
        ensure([(m["id"], m["name"], m["joined"]) for m in listed] ==
               [(i + 1, p.name, "config") for i, p in enumerate(senders + [viewer])],
               f"participants listed {listed}")
        ensure(listed[1]["video_port"] == p2.port and "audio_port" not in listed[1],
               f"p2's ports are not the configured ones: {listed[1]}")
        answer = room.command(f"kick {ROOM} {p2.name}")
        ensure(answer == f"ok kick {ROOM} {p2.name}", f"kick was answered '{answer}'")
        kicked = time.monotonic()
        slots = grid_slots(2, 2)
        expected = [(slots[i], s.yuv, f"{s.name}'s tile") for i, s in enumerate([p1, p3, p4])]
        expected.append((slots[3], BLACK, "the empty fourth slot"))
        frame = rx.wait_for("p1, p3, p4 and an empty slot after the kick", tiles_check(expected))
        print(f"the grid reflowed {frame.arrival - kicked:.2f} s after the kick: "
              f"{describe_tiles(frame, expected)}")
        print(f"composite: {rx.save(frame, 'kicked')}")
        listed = json.loads(room.command(f"participants {ROOM}")[len(prefix):])
        ensure(p2.name not in [m["name"] for m in listed], f"p2 is still listed: {listed}")
        again = room.command(f"kick {ROOM} {p2.name}")
        ensure(again == f"error: room '{ROOM}' has no participant '{p2.name}'",
               f"a second kick was answered '{again}'")
        logged = logged_summaries(room.tessera, p2.name)
        ensure(len(logged) == 1 and logged[0]["media"] == "video" and logged[0]["rtp_received"] > 0
               and logged[0]["decoder"]["decoded"] > 0,
               f"p2's summary was not logged at the kick: {logged}")
        print(f"p2's summary at the kick: rtp_received {logged[0]['rtp_received']}, "
              f"decoded {logged[0]['decoder']['decoded']}")
        # Its sender may still be running: its packets now meet a closed port.
        summary = room.stop()
    _, legs = video_summaries(summary)
    ensure(p2.name not in legs, f"p2 is in the summary at stop: {legs.get(p2.name)}")
    check_decoders(legs, [p1, p3, p4])


def scenario_oneencode(args, work):
    """Two viewers of one profile: both decode the composite, and the room encodes it once per
    tick for both (not once per viewer); a profile nobody receives is never encoded."""
    senders = mixed_senders(2, ["red", "blue"])
    viewers = [Viewer("viewer1", work), Viewer("viewer2", work)]
    profiles = [f"{{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
                f"bitrate_kbps: 800, keyframe_interval_s: 1}}",
                f"{{name: small, codec: VP8, width: 320, height: 180, fps: {FPS}, "
                f"bitrate_kbps: 200}}"]
    # Two inputs: a grid of two columns, one row.
    expected = grid_expectation(senders, 2, 1)
    with Room(args, work, senders, viewers, quiet_video(), profiles) as room:
        frames = wait_for_all(room.receivers, "both tiles", tiles_check(expected))
        for rx, frame in zip(room.receivers, frames):
            print(f"{rx.viewer.name} decodes the composite: {rx.save(frame, 'composite')}")
        summary = room.stop()
    vroom, legs = video_summaries(summary)
    print(vroom)
    hd, small = vroom["profiles"]["hd"], vroom["profiles"]["small"]
    ensure(hd["recipients"] == 2, f"hd has {hd['recipients']} recipients, want 2")
    ensure(vroom["max_encodes_per_tick"] == 1,
           f"a tick encoded {vroom['max_encodes_per_tick']} pictures for one profile")
    # At most one encode per tick, and the ticks that did not encode are the few whose frame
    # time had not come (timer jitter), not half of them.
    ensure(vroom["ticks"] // 2 < hd["encodes"] <= vroom["ticks"],
           f"hd encoded {hd['encodes']} pictures in {vroom['ticks']} ticks")
    ensure(small["encodes"] == 0 and small["recipients"] == 0,
           f"the profile nobody receives was encoded: {small}")
    sent = hd["encodes"] - hd["encode_failures"]
    for v in viewers:
        leg = legs[v.name]
        ensure(leg["frames_sent"] == sent and leg["keyframes_sent"] == hd["keyframes"],
               f"{v.name} was sent {leg['frames_sent']} frames ({leg['keyframes_sent']} "
               f"keyframes), the profile encoded {sent} ({hd['keyframes']} keyframes)")
    check_decoders(legs, senders)


def scenario_vp9(args, work):
    """A VP9 camera (ffmpeg's libvpx-vp9 over RFC 9628) joins H.264 and VP8 ones in a 2x2 grid:
    its tile shows its colour where the grid puts it. The composite goes out twice, as H.264 and
    as a low-rate VP9 profile (libvpx-vp9 realtime, RFC 9628 packetizer) that an ffmpeg viewer
    decodes with the same tiles."""
    senders = [Sender("p1", "h264", "red"), Sender("p2", "vp9", "lime"),
               Sender("p3", "vp8", "blue"), Sender("p4", "vp9", "yellow", (352, 288))]
    viewers = [Viewer("viewer", work), Viewer("weak", work, profile="vp9")]
    profiles = [f"{{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
                f"bitrate_kbps: 800, keyframe_interval_s: 1}}",
                f"{{name: vp9, codec: VP9, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
                f"bitrate_kbps: 250, keyframe_interval_s: 1}}"]
    expected = grid_expectation(senders, 2, 2)
    with Room(args, work, senders, viewers, quiet_video(), profiles) as room:
        frames = wait_for_all(room.receivers, "all 4 tiles of the 2x2 grid", tiles_check(expected))
        for rx, frame in zip(room.receivers, frames):
            print(f"{rx.viewer.name} ({rx.viewer.profile}): {describe_tiles(frame, expected)}; "
                  f"{rx.save(frame, 'composite')}")
        summary = room.stop()
    vroom, legs = video_summaries(summary)
    print(vroom)
    check_decoders(legs, senders)
    vp9 = vroom["profiles"]["vp9"]
    ensure(vp9["recipients"] == 1 and vp9["encodes"] > 0 and vp9["encode_failures"] == 0,
           f"the VP9 profile did not encode cleanly for its viewer: {vp9}")
    ensure(vp9["keyframes"] >= 1, f"the VP9 profile sent no keyframe: {vp9}")
    ensure(legs["weak"]["frames_sent"] > 0, f"the VP9 viewer was sent nothing: {legs['weak']}")


def h264_keyframe(payload):
    """Whether an H.264 RTP payload (RFC 6184) carries an IDR slice or an SPS."""
    if not payload:
        return False
    nal = payload[0] & 0x1F
    if nal == 24:  # STAP-A: 16-bit sizes, then NAL units
        i = 1
        while i + 2 < len(payload):
            size = struct.unpack_from("!H", payload, i)[0]
            if size and payload[i + 2] & 0x1F in (5, 7):
                return True
            i += 2 + size
        return False
    if nal == 28:  # FU-A: the type is in the FU header
        return len(payload) > 1 and payload[1] & 0x1F in (5, 7)
    return nal in (5, 7)


class CompositeRtp:
    """The test as a viewer: reads the composite's RTP from its socket (SRs come there too:
    rtcp-mux) and notes when each keyframe begins."""

    def __init__(self, sock):
        self.sock = sock
        self.ssrc = None
        self.packets = 0
        self.keyframes = []  # (arrival, RTP timestamp) of each keyframe's first packet

    def read(self, until, stop=None):
        """Reads packets until the monotonic time `until` (or stop() is true; until=None: until
        the socket has nothing more); returns the keyframes begun."""
        begun = []
        while not (stop and stop()):
            remaining = 0 if until is None else until - time.monotonic()
            if until is not None and remaining <= 0:
                return begun
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(2048)
            except (socket.timeout, BlockingIOError):
                return begun
            arrival = time.monotonic()
            if len(data) < 12 or data[0] >> 6 != 2 or 192 <= data[1] <= 223:
                continue  # not RTP (RTCP sender reports)
            ts, ssrc = struct.unpack_from("!II", data, 4)
            self.ssrc = ssrc
            self.packets += 1
            offset = 12 + 4 * (data[0] & 0x0F)
            if data[0] & 0x10 and len(data) >= offset + 4:  # header extension
                offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
            end = len(data) - (data[-1] if data[0] & 0x20 else 0)
            if h264_keyframe(data[offset:end]) and (not self.keyframes
                                                   or self.keyframes[-1][1] != ts):
                self.keyframes.append((arrival, ts))
                begun.append((arrival, ts))
        return begun

    def wait_quiet(self, seconds, timeout_s):
        """Reads until `seconds` have passed since the last keyframe began."""
        deadline = time.monotonic() + timeout_s
        while True:
            ensure(self.keyframes, "no keyframe received")
            quiet_until = self.keyframes[-1][0] + seconds
            if time.monotonic() >= quiet_until:
                return
            ensure(quiet_until < deadline, f"keyframes keep coming: {len(self.keyframes)} in "
                                           f"{timeout_s}s without {seconds}s between two")
            self.read(quiet_until)


def pli(media_ssrc, sender_ssrc=0x7E57):
    """RTCP PLI (RFC 4585 6.3.1): V=2, FMT=1, PT=206 (PSFB), length 2."""
    return struct.pack("!BBHII", 0x80 | 1, 206, 2, sender_ssrc, media_ssrc)


def scenario_pli(args, work):
    """A receiver asks for a keyframe with a PLI: one arrives within the coalescing time plus a
    frame; ten PLIs at once give one keyframe, not ten."""
    frame_s = 1.0 / FPS
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("127.0.0.1", 0))
    viewer = Viewer("viewer", work, port=sock.getsockname()[1])
    # The composite is a still picture (one placeholder tile), so only requests make keyframes;
    # periodic ones are 300 s apart.
    profiles = [f"{{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
                f"bitrate_kbps: 800, keyframe_interval_s: 300}}"]
    try:
        with Room(args, work, [Talker("talker")], [viewer], quiet_video(keyframe_coalesce_ms=500),
                  profiles, receive=False) as room:
            rtp = CompositeRtp(sock)
            rtp.read(time.monotonic() + 20, stop=lambda: rtp.keyframes)
            ensure(rtp.keyframes, f"no keyframe in 20 s ({rtp.packets} composite packets)")
            target = ("127.0.0.1", viewer.local_port)

            # One PLI, a second after the last keyframe: outside the coalescing window.
            rtp.wait_quiet(1.0, 20)
            sent = time.monotonic()
            sock.sendto(pli(rtp.ssrc), target)
            begun = rtp.read(sent + 0.5 + frame_s)
            ensure(begun, f"no keyframe within {0.5 + frame_s:.3f} s of a PLI")
            print(f"PLI answered by a keyframe after {1000 * (begun[0][0] - sent):.0f} ms")

            # Ten at once, a second later: coalesced into one.
            rtp.wait_quiet(1.0, 20)
            sent = time.monotonic()
            for _ in range(10):
                sock.sendto(pli(rtp.ssrc), target)
            begun = rtp.read(sent + 0.5)
            print(f"10 PLIs answered by {len(begun)} keyframe(s) within 500 ms: " +
                  ", ".join(f"{1000 * (t - sent):.0f} ms" for t, _ in begun))
            ensure(len(begun) == 1, f"10 PLIs at once gave {len(begun)} keyframes in 500 ms, "
                                    f"want exactly 1")
            summary = room.stop()
            rtp.read(None)  # what tessera sent before it stopped
            received = len(rtp.keyframes)
    finally:
        sock.close()
    vroom, legs = video_summaries(summary)
    print(vroom)
    leg, hd = legs["viewer"], vroom["profiles"]["hd"]
    ensure(leg["pli_received"] == 11, f"tessera counted {leg['pli_received']} PLIs, sent 11")
    ensure(vroom["keyframe_requests"] >= 11, f"only {vroom['keyframe_requests']} requests")
    ensure(hd["keyframes"] == leg["keyframes_sent"] == received,
           f"the profile encoded {hd['keyframes']} keyframes, the viewer was sent "
           f"{leg['keyframes_sent']}, the test received {received}")


def tmmbr(media_ssrc, bps, sender_ssrc=0x7E57, overhead=40):
    """RTCP TMMBR (RFC 5104 4.2.1): RTPFB (PT 205) FMT 3, one FCI entry for media_ssrc."""
    exp = 0
    while bps >> exp >= 1 << 17:
        exp += 1
    fci = (exp << 26) | ((bps >> exp) << 9) | overhead
    return struct.pack("!BBHIIII", 0x80 | 3, 205, 4, sender_ssrc, 0, media_ssrc, fci)


def rtcp_packets(data):
    """(PT, FMT, body) of each packet of an RTCP compound."""
    out, offset = [], 0
    while offset + 4 <= len(data):
        length = 4 * (struct.unpack_from("!H", data, offset + 2)[0] + 1)
        out.append((data[offset + 1], data[offset] & 0x1F, data[offset + 4:offset + length]))
        offset += length
    return out


def scenario_tmmbr(args, work):
    """A receiver limits its bitrate with TMMBR: tessera answers with TMMBN, and after the limit
    has held for a second moves it to the smaller profile of its codec, with its RTP sequence
    numbers and timestamps continuing across the move."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("127.0.0.1", 0))
    viewer = Viewer("viewer", work, port=sock.getsockname()[1])
    profiles = [f"{{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
                f"bitrate_kbps: 800}}",
                f"{{name: low, codec: H264, width: {WIDTH // 2}, height: {HEIGHT // 2}, "
                f"fps: {FPS}, bitrate_kbps: 200}}"]
    packets, tmmbn = [], []  # (arrival, seq, ts) of composite RTP; arrival of each TMMBN

    def read_until(until):
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return
            sock.settimeout(remaining)
            try:
                data = sock.recv(2048)
            except socket.timeout:
                return
            if len(data) >= 8 and 192 <= data[1] <= 223:
                if any(pt == 205 and fmt == 4 for pt, fmt, _ in rtcp_packets(data)):
                    tmmbn.append(time.monotonic())
            elif len(data) >= 12:
                seq, ts, ssrc = struct.unpack_from("!HII", data, 2)
                packets.append((time.monotonic(), seq, ts, ssrc))

    try:
        senders = [Sender("p1", "h264", "red")]
        with Room(args, work, senders, [viewer], quiet_video(), profiles, receive=False) as room:
            read_until(time.monotonic() + 2)
            ensure(packets, "no composite RTP in 2 s")
            ssrc = packets[-1][3]
            target = ("127.0.0.1", viewer.local_port)
            sent = time.monotonic()
            sock.sendto(tmmbr(ssrc, 150_000), target)
            read_until(sent + 1.2)
            ensure(tmmbn, "no TMMBN answered the TMMBR")
            print(f"TMMBR answered by TMMBN after {1000 * (tmmbn[0] - sent):.1f} ms")
            moved_at = len(packets)
            sock.sendto(tmmbr(ssrc, 150_000), target)
            read_until(time.monotonic() + 1.5)
            summary = room.stop()
    finally:
        sock.close()
    vroom, legs = video_summaries(summary)
    print(vroom)
    ensure(vroom["profile_moves"] == 1, f"{vroom['profile_moves']} profile moves, want 1")
    ensure(vroom["profiles"]["low"]["recipients"] == 1 and vroom["profiles"]["hd"]["recipients"]
           == 0, f"the viewer is not on the low profile: {vroom['profiles']}")
    ensure(vroom["profiles"]["low"]["encodes"] > 0, "the low profile was never encoded")
    ensure(legs["viewer"]["tmmbr_received"] == 2, f"TMMBRs counted: {legs['viewer']}")
    # One stream for the viewer across the move: one SSRC, no sequence gap, timestamps rising.
    ensure(len({p[3] for p in packets}) == 1, "the SSRC changed with the profile")
    for (_, s0, t0, _), (_, s1, t1, _) in zip(packets, packets[1:]):
        ensure((s1 - s0) % 65536 == 1, f"sequence jumps from {s0} to {s1}")
        ensure(0 <= (t1 - t0) % (1 << 32) < 90000, f"timestamp jumps from {t0} to {t1}")
    ensure(len(packets) > moved_at, "nothing sent after the move")


def letterbox(slot, w, h):
    """Where a w x h picture lands in `slot` with fit: letterbox (whole picture, centred, aspect
    kept), and the bars beside it."""
    if w * slot.h >= h * slot.w:  # wider than the slot: bars above and below
        ph = slot.w * h / w
        top = (slot.h - ph) / 2
        picture = Rect(slot.x, slot.y + round(top), slot.w, round(ph))
        bars = [Rect(slot.x, slot.y, slot.w, round(top)),
                Rect(slot.x, slot.y + round(top + ph), slot.w, slot.h - round(top + ph))]
    else:  # narrower: bars left and right
        pw = slot.h * w / h
        left = (slot.w - pw) / 2
        picture = Rect(slot.x + round(left), slot.y, round(pw), slot.h)
        bars = [Rect(slot.x, slot.y, round(left), slot.h),
                Rect(slot.x + round(left + pw), slot.y, slot.w - round(left + pw), slot.h)]
    return picture, [b for b in bars if b.w >= 16 and b.h >= 16]


def scenario_fit(args, work):
    """4:3, 16:9, 9:16 and 32:9 pictures in a 2x2 grid of 16:9 slots: with fit: letterbox the
    background shows as bars exactly where the picture does not reach; with fit: crop the
    picture fills its slot."""
    background = 0x0000FF
    sizes = [(320, 240), (320, 180), (180, 320), (320, 90)]
    colours = ["red", "lime", "yellow", "white"]
    slots = grid_slots(2, 2)
    for fit in ("letterbox", "crop"):
        sub = os.path.join(work, fit)
        os.mkdir(sub)
        senders = mixed_senders(4, colours, sizes)
        viewer = Viewer("viewer", sub)
        expected = []
        for slot, s in zip(slots, senders):
            if fit == "crop":
                expected.append((slot, s.yuv, f"{s.name}'s {s.size[0]}x{s.size[1]} picture"))
                continue
            picture, bars = letterbox(slot, *s.size)
            expected.append((picture, s.yuv, f"{s.name}'s {s.size[0]}x{s.size[1]} picture"))
            expected += [(bar, yuv(background), f"a bar beside {s.name}'s picture")
                         for bar in bars]
        if fit == "letterbox":
            ensure(sum(1 for e in expected if "bar" in e[2]) == 6, "expected six bars")
        video = quiet_video(fit=fit, background='"#0000ff"')
        with Room(args, sub, senders, [viewer], video) as room:
            rx = room.receivers[0]
            frame = rx.wait_for(f"fit: {fit}", tiles_check(expected))
            print(f"fit: {fit}: " + ", ".join(f"{label} {rect}" for rect, _, label in expected))
            print(f"composite: {rx.save(frame, fit)}")
            summary = room.stop()
        _, legs = video_summaries(summary)
        check_decoders(legs, senders)


class MislabelledSender(Sender):
    """Configured as H.264 but sends VP8 under the H.264 payload type."""

    def argv(self):
        argv = super().argv()
        argv[argv.index("-payload_type") + 1] = "96"
        return argv

    def config(self):
        return (f"      - name: {self.name}\n"
                f"        video: {{codec: H264, local_port: {self.port}}}\n")


class GarbageCamera:
    """A participant configured for H.264 whose "camera" is the test sending random datagrams."""

    def __init__(self, name):
        self.name = name
        self.new_ports()

    def new_ports(self):
        self.port = free_port_pair()

    def config(self):
        return (f"      - name: {self.name}\n"
                f"        video: {{codec: H264, local_port: {self.port}}}\n")


def scenario_badinput(args, work):
    """Bad input fails only its own tile: a VP8 stream under the H.264 payload type, a picture
    above the room's input size cap, and random datagrams each leave their sender on the
    placeholder (with a keyframe asked for), while the good sender's tile and the stream go on."""
    good = Sender("p1", "h264", "red")
    mislabelled = MislabelledSender("p2", "vp8", "lime")
    too_large = Sender("p3", "h264", "blue", (1280, 720))
    garbage = GarbageCamera("p4")
    senders = [good, mislabelled, too_large, garbage]
    slots = grid_slots(2, 2)
    viewer = Viewer("viewer", work)
    video = quiet_video(max_input_width=640, max_input_height=360)
    with Room(args, work, senders, [viewer], video) as room:
        # p4's "camera" is this test: datagrams of random bytes, most with an RTP-looking header.
        rng = __import__("random").Random(7)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for i in range(3000):
                size = rng.randint(0, 1400)
                data = bytearray(rng.getrandbits(8) for _ in range(size))
                if size >= 12 and i % 4:
                    data[0], data[1] = 0x80, 96 | (data[1] & 0x80)
                sock.sendto(bytes(data), ("127.0.0.1", garbage.port))
        expected = [(slots[0], good.yuv, "p1's tile")]
        for i, s in enumerate(senders[1:], start=1):
            expected += [(c, PLACEHOLDER, f"{s.name}'s placeholder corner")
                         for c in slots[i].corners()]
        rx = room.receivers[0]
        frame = rx.wait_for("the good tile and three placeholders", tiles_check(expected))
        print(f"composite: {rx.save(frame, 'badinput')}")
        summary = room.stop()
    vroom, legs = video_summaries(summary)
    print(vroom)
    check_decoders(legs, [good])
    for s in (mislabelled, too_large, garbage):
        d = legs[s.name]["decoder"]
        ensure(d["decoded"] == 0, f"{s.name}: bad input was decoded: {d}")
    dropped = legs[mislabelled.name]["dropped"]
    ensure(legs[mislabelled.name]["decoder"]["errors"] > 0 or
           dropped["malformed"] + dropped["undecodable"] > 0,
           f"p2's VP8-as-H.264 stream left no trace: {legs[mislabelled.name]}")
    ensure(legs[too_large.name]["decoder"]["too_large"] > 0,
           f"p3's 1280x720 was not rejected by the size cap: {legs[too_large.name]['decoder']}")
    ensure(legs[too_large.name]["keyframe_requests_sent"] > 0,
           f"no keyframe was asked of p3: {legs[too_large.name]}")
    ensure(legs[garbage.name]["dropped"]["malformed"] > 0,
           f"p4's random datagrams were not counted: {legs[garbage.name]['dropped']}")
    ensure(legs["viewer"]["frames_sent"] > 0, f"the stream stopped: {legs['viewer']}")


class KnownSsrcSender(Sender):
    """A Sender whose ffmpeg uses a given SSRC and first sequence number (the rtp muxer's ssrc and
    seq options): what an attacker who sniffed or guessed them knows."""

    def __init__(self, name, codec, colour, ssrc, seq):
        super().__init__(name, codec, colour)
        self.ssrc, self.seq = ssrc, seq

    def argv(self):
        argv = super().argv()
        at = argv.index("-f", argv.index("-payload_type"))  # the output's "-f rtp"
        return argv[:at] + ["-ssrc", str(self.ssrc), "-seq", str(self.seq)] + argv[at:]


def spoofed_packets(ssrc, first_seq, count):
    """RTP with the victim's SSRC and payload type 96, consecutive sequence numbers from
    first_seq, each an H.264 non-IDR slice of random bytes: to the victim's jitter buffer it
    would look like frames from far ahead in its stream."""
    rng = random.Random(16)
    packets = []
    for i in range(count):
        header = struct.pack("!BBHII", 0x80, 0x80 | 96, (first_seq + i) & 0xFFFF,
                             (rng.getrandbits(32) + i * 6000) & 0xFFFFFFFF, ssrc)
        packets.append(header + bytes([0x41]) + bytes(rng.randint(1, 255) for _ in range(400)))
    return packets


def scenario_spoof(args, work):
    """Issue 16: RTP sent to a participant's port from another address (127.0.0.2) with its SSRC
    and sequence numbers about 20000 ahead of its own, 72 packets in 2 s, used to make its own
    packets count as too_late: its tile froze on the placeholder for over 35 s. The leg takes
    media only from the source it latched (its ffmpeg): the tile never falls to the placeholder
    (placeholder_after_ms 1000 here) and the 72 packets are counted as unlatched_source."""
    victim = KnownSsrcSender("p1", "h264", "red", ssrc=0x5EC0DE01, seq=1000)
    senders = [victim, Sender("p2", "vp8", "lime")]
    expected = grid_expectation(senders, 2, 1)
    viewer = Viewer("viewer", work)
    # The victim's sequence numbers reach a few hundred past 1000 before the attack: 20000
    # ahead of that, well beyond RFC 3550's MAX_DROPOUT (3000) and short of half the space.
    packets = spoofed_packets(victim.ssrc, victim.seq + 20000, 72)
    with Room(args, work, senders, [viewer], quiet_video(placeholder_after_ms=1000)) as room:
        rx = room.receivers[0]
        rx.wait_for("both tiles", tiles_check(expected))

        def attack():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind(("127.0.0.2", 0))
                for p in packets:
                    sock.sendto(p, ("127.0.0.1", victim.port))
                    time.sleep(2.0 / len(packets))  # the reported pace: 72 packets in 2 s

        spoofer = threading.Thread(target=attack, daemon=True)
        started = time.monotonic()
        spoofer.start()
        # The burst and 4 s after it: were the victim's packets refused, its tile would show the
        # placeholder 1 s later.
        slot = grid_slots(2, 1)[0]
        pictures = 0
        while time.monotonic() < started + 6.0:
            frame = rx.next_frame(SHOW_TIMEOUT_S)
            pictures += 1
            if not colour_problems(frame, slot, PLACEHOLDER, f"{victim.name}'s tile"):
                raise TestFailure(f"{victim.name}'s tile fell to the placeholder "
                                  f"{frame.arrival - started:.2f} s into the spoof: "
                                  f"{rx.save(frame, 'spoofed')}")
        spoofer.join(timeout=10)
        ensure(not spoofer.is_alive(), "the spoofer did not finish")
        frame = rx.wait_for("both tiles after the spoof", tiles_check(expected), timeout_s=5)
        print(f"{pictures} pictures over 6 s from the spoof's start, none with the placeholder; "
              f"after it: {describe_tiles(frame, expected)}")
        summary = room.stop()
    _, legs = video_summaries(summary)
    check_decoders(legs, senders)
    leg = legs[victim.name]
    print(f"{victim.name}: dropped {leg['dropped']}, ingress {leg['ingress']}")
    ensure(leg["dropped"]["unlatched_source"] == len(packets),
           f"{leg['dropped']['unlatched_source']} packets counted as unlatched_source, "
           f"{len(packets)} spoofed")
    ingress = leg["ingress"]
    ensure(ingress["dropped"]["unlatched_source"] == len(packets),
           f"the spoofed packets are not in the ingress accounting: {ingress}")
    ensure(ingress["received"] == ingress["accepted"] + sum(ingress["dropped"].values()),
           f"datagrams neither accepted nor dropped: {ingress}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--scenario", required=True,
                    choices=["grid4", "grid9", "layout", "leave", "kick", "oneencode", "pli", "fit",
                             "badinput", "tmmbr", "spoof", "vp9"])
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix=f"tessera-video-{args.scenario}-")
    print(f"work directory: {work}")
    start = time.monotonic()
    {"grid4": lambda: scenario_grid(args, work, 4),
     "grid9": lambda: scenario_grid(args, work, 9),
     "layout": lambda: scenario_layout(args, work),
     "leave": lambda: scenario_leave(args, work),
     "kick": lambda: scenario_kick(args, work),
     "oneencode": lambda: scenario_oneencode(args, work),
     "pli": lambda: scenario_pli(args, work),
     "fit": lambda: scenario_fit(args, work),
     "badinput": lambda: scenario_badinput(args, work),
     "tmmbr": lambda: scenario_tmmbr(args, work),
     "spoof": lambda: scenario_spoof(args, work),
     "vp9": lambda: scenario_vp9(args, work)}[args.scenario]()
    print(f"PASS {args.scenario} ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    run_main(main)
