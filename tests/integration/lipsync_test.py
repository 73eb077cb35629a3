#!/usr/bin/env python3
"""End-to-end lip sync: one ffmpeg process is a participant whose camera flashes white for one
frame at the very instant its microphone starts a 40 ms 1 kHz beep, once a second (lavfi
sources on one clock: camera frame 15k and sample 8000k). A viewer receives the room's composite
and its mix; this test is that viewer. It captures both streams with their
sender reports off the wire, as a player would, and aligns them the way players do: each RTP
timestamp is mapped to wall-clock time through the latest SR of its stream received before it.

Per event: the flash is the first composite frame whose mean luma jumps (the picture is decoded
by ffmpeg from the captured H.264), the beep the first sample of the mix above a quarter of the
beep's peak (PCMU, decoded here); the offset is beep time minus flash time, positive when the
sound comes after the picture. The test prints every offset and each stream's SR mapping, and
asserts the median offset within MEDIAN_LIMIT_MS and every offset within EVENT_LIMIT_MS (events
aligned through a stream's first SR, while the room's audio hold settles, within
STARTUP_LIMIT_MS) (issue
15, item 8; before the fix, the mix stamped at its ticks and the composite at its slots, the beep
came 78 to 93 ms after the flash here: docs/performance.md, "Lip sync").

usage: lipsync_test.py --tessera BIN [--seconds N] [--keep]
"""
import argparse
import os
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, av_camera_argv, ensure, free_port_pair,  # noqa: E402
                             run, run_main, write_config)

MEDIAN_LIMIT_MS = 20
EVENT_LIMIT_MS = 45
# An event aligned through a stream's first sender report: the room's audio hold is still
# settling then (its jitter buffer's target grows from its minimum as it measures the jitter,
# and the first SR's mapping is 25-30 ms off the later ones here), so it gets a limit of its own.
STARTUP_LIMIT_MS = 90
MIN_EVENTS = 8

# The composite: small enough for a loaded 2-core machine at 30 fps.
WIDTH, HEIGHT, FPS = 640, 360, 30
CAMERA, CAMERA_FPS = (320, 180), 15
AUDIO_RATE = 8000   # PCMU both ways: no codec delay of its own to muddle the figure
VIDEO_RATE = 90000
BEEP_SAMPLES = 320  # 40 ms
QUIET_BEFORE_S = 0.3  # an onset follows at least this much silence (or darkness)


def sender_argv(seconds, audio_port, video_port):
    """One ffmpeg process: camera frame n is white when n % 15 == 0, microphone sample n beeps when
    n % 8000 < 320, so event k is at exactly k seconds on both streams. Video H.264 to
    video_port, audio PCMU in 20 ms packets to audio_port, each with its RTCP SRs (rtcp-mux).

    Two lavfi inputs, each paced by itself (-re): one graph with both outputs makes ffmpeg pace
    each stream by the other, and its video then left about 20 ms after the audio of the same
    instant (measured on the wire: 20.6 to 21.1 ms); with two inputs the flash frame and the beep
    packet leave together (0 to 2.5 ms). A 15 fps camera keeps each picture at least 56 ms in the
    room's mailbox (ffmpeg releases frames on a 10 ms loop), so the 30 fps composite never misses
    the one white frame."""
    video = (f"color=c=black:s={CAMERA[0]}x{CAMERA[1]}:r={CAMERA_FPS},format=yuv420p,"
             "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:"
             f"enable='eq(mod(n,{CAMERA_FPS}),0)'")
    beep = f"lt(mod(n,{AUDIO_RATE}),{BEEP_SAMPLES})*0.5*sin(2*PI*1000*n/{AUDIO_RATE})"
    return av_camera_argv(seconds, video, beep, CAMERA_FPS, AUDIO_RATE, audio_port, video_port)


class Capture:
    """Every datagram arriving on one UDP port, with its arrival time, until stopped."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.packets = []  # (arrival, bytes)
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            self.packets.append((time.monotonic(), data))

    def stop(self):
        """Stops the reader, then takes what the socket still holds (after the sender exited)."""
        self.stopped = True
        self.thread.join()
        self.sock.setblocking(False)
        while True:
            try:
                self.packets.append((time.monotonic(), self.sock.recv(65536)))
            except BlockingIOError:
                break
        self.sock.close()


class Unwrapper:
    """32-bit RTP timestamps (or 16-bit sequence numbers) onto one increasing line."""

    def __init__(self, bits):
        self.mod, self.last = 1 << bits, None

    def __call__(self, v):
        if self.last is None:
            self.last = v
            return v
        d = (v - self.last) % self.mod
        if d >= self.mod // 2:
            d -= self.mod
        self.last += d
        return self.last


def split_stream(packets, what):
    """(RTP packets, SRs) of one captured rtcp-mux port. RTP: dicts with arrival, seq, ts (both
    unwrapped), marker, payload; SRs: dicts with arrival, ntp_us (Unix epoch), ts (raw)."""
    rtp, srs = [], []
    ssrc = None
    seqs, tss = Unwrapper(16), Unwrapper(32)
    for arrival, d in packets:
        if len(d) < 8 or d[0] >> 6 != 2:
            continue
        if 200 <= d[1] <= 204:  # RTCP compound: walk it for SRs
            off = 0
            while off + 4 <= len(d):
                pt, words = d[off + 1], struct.unpack_from("!H", d, off + 2)[0]
                if pt == 200 and off + 28 <= len(d):
                    sec, frac, ts = struct.unpack_from("!III", d, off + 8)
                    ntp_us = (sec - 2208988800) * 1_000_000 + (frac * 1_000_000 >> 32)
                    srs.append({"arrival": arrival, "ntp_us": ntp_us, "ts": ts})
                off += 4 * (words + 1)
            continue
        cc, ext = d[0] & 0x0F, d[0] & 0x10
        seq, ts, this_ssrc = struct.unpack_from("!HII", d, 2)
        ssrc = ssrc if ssrc is not None else this_ssrc
        ensure(this_ssrc == ssrc, f"{what}: a second SSRC {this_ssrc:08x} after {ssrc:08x}")
        off = 12 + 4 * cc
        if ext:
            off += 4 + 4 * struct.unpack_from("!H", d, off + 2)[0]
        end = len(d) - (d[-1] if d[0] & 0x20 else 0)
        rtp.append({"arrival": arrival, "seq": seqs(seq), "ts": tss(ts),
                    "marker": bool(d[1] & 0x80), "payload": d[off:end]})
    ensure(rtp, f"no {what} RTP captured")
    ensure(srs, f"no {what} sender report captured")
    return rtp, srs


def wall_us(ts, arrival, srs, rate, unwrap_near):
    """A receiver's wall-clock time for unwrapped RTP timestamp ts of a packet that arrived at
    `arrival`: through the latest SR received before it (None before the first)."""
    sr = None
    for s in srs:
        if s["arrival"] <= arrival:
            sr = s
    if sr is None:
        return None
    sr_ts = unwrap_near(sr["ts"], ts)
    return sr["ntp_us"] + (ts - sr_ts) * 1_000_000 / rate


def unwrap_near(raw, ref):
    """The unwrapped value of 32-bit `raw` nearest to unwrapped `ref`."""
    d = (raw - ref) % (1 << 32)
    if d >= 1 << 31:
        d -= 1 << 32
    return ref + d


def sr_mapping_report(name, srs, rate, first_ts):
    """Each SR's mapping as the wall time of RTP time `first_ts`, relative to the median of all:
    a sender whose clocks agree keeps this within a few milliseconds."""
    offsets = [s["ntp_us"] - unwrap_near(s["ts"], first_ts) * 1_000_000 / rate
               + first_ts * 1_000_000 / rate for s in srs]
    mid = statistics.median(offsets)
    rel = [(o - mid) / 1000 for o in offsets]
    print(f"{name} SRs ({len(srs)}), mapping against their median (ms): "
          + " ".join(f"{r:+.1f}" for r in rel))
    return rel


def ulaw_to_linear(b):
    u = ~b & 0xFF
    magnitude = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84
    return -magnitude if u & 0x80 else magnitude


ULAW = [ulaw_to_linear(b) for b in range(256)]


def beep_onsets(rtp, srs):
    """(wall time in ms, RTP time) of every beep onset in the mix, in order."""
    base = rtp[0]["ts"]
    end = max(p["ts"] + len(p["payload"]) for p in rtp)
    samples = [0] * (end - base)
    arrival_at = [None] * (end - base)
    for p in rtp:
        at = p["ts"] - base
        for i, b in enumerate(p["payload"]):
            samples[at + i] = ULAW[b]
            arrival_at[at + i] = p["arrival"]
    peak = max(abs(s) for s in samples)
    ensure(peak > 1000, f"the mix is silent (peak {peak}): the beep never came through")
    threshold = peak / 4
    quiet = int(QUIET_BEFORE_S * AUDIO_RATE)
    onsets, last_loud = [], -quiet
    for i, s in enumerate(samples):
        if abs(s) < threshold:
            continue
        if i - last_loud >= quiet:
            ts = base + i
            t = wall_us(ts, arrival_at[i], srs, AUDIO_RATE, unwrap_near)
            onsets.append((None if t is None else t / 1000, ts))
        last_loud = i
    return onsets


def h264_access_units(rtp):
    """[(ts, first arrival, Annex B bytes)] of the composite from its first keyframe on (RFC 6184:
    single NAL units, STAP-A, FU-A). A frame with a missing packet ends the list: what follows
    could not be decoded frame for frame."""
    frames = {}
    for p in rtp:
        frames.setdefault(p["ts"], []).append(p)
    out, started, last_seq = [], False, None
    for ts in sorted(frames):
        pkts = sorted(frames[ts], key=lambda p: p["seq"])
        seqs = [p["seq"] for p in pkts]
        if last_seq is not None and started and seqs[0] != last_seq + 1:
            print(f"composite packets lost before RTP time {ts}: analysis stops there")
            break
        last_seq = seqs[-1]
        if seqs != list(range(seqs[0], seqs[-1] + 1)) or not pkts[-1]["marker"]:
            if started:
                print(f"composite frame at RTP time {ts} incomplete: analysis stops there")
                break
            continue
        nals, fu = [], None
        for p in pkts:
            pl = p["payload"]
            kind = pl[0] & 0x1F
            if 1 <= kind <= 23:
                nals.append(pl)
            elif kind == 24:
                i = 1
                while i + 2 <= len(pl):
                    n = struct.unpack_from("!H", pl, i)[0]
                    nals.append(pl[i + 2:i + 2 + n])
                    i += 2 + n
            elif kind == 28:
                if pl[1] & 0x80:
                    fu = bytearray([(pl[0] & 0xE0) | (pl[1] & 0x1F)])
                if fu is not None:
                    fu += pl[2:]
                if pl[1] & 0x40 and fu is not None:
                    nals.append(bytes(fu))
                    fu = None
        if not started:
            if not any(n and n[0] & 0x1F in (5, 7) for n in nals):
                continue
            started = True
        out.append((ts, pkts[0]["arrival"], b"".join(b"\x00\x00\x00\x01" + n for n in nals)))
    ensure(out, "no decodable composite (no keyframe captured)")
    return out


def flash_onsets(units, srs, work):
    """(wall time in ms, RTP time) of every flash in the composite: the first frame whose mean luma
    rises past the middle between the usual picture and the brightest frame."""
    path = os.path.join(work, "composite.h264")
    with open(path, "wb") as f:
        for _, _, data in units:
            f.write(data)
    raw = os.path.join(work, "composite.gray")
    rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "h264", "-i", path,
                      "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-y",
                      raw])
    ensure(rc == 0, f"ffmpeg could not decode the composite: {err}")
    size = WIDTH * HEIGHT
    with open(raw, "rb") as f:
        data = f.read()
    count = len(data) // size
    ensure(count == len(units), f"decoded {count} composite frames from {len(units)} access "
                                "units: cannot tell which frame had which timestamp")
    # The mean of every 16th row is plenty to see half the picture turn white.
    lumas = []
    for k in range(count):
        frame = data[k * size:(k + 1) * size]
        rows = [frame[r * WIDTH:(r + 1) * WIDTH] for r in range(0, HEIGHT, 16)]
        lumas.append(sum(sum(r) for r in rows) / (len(rows) * WIDTH))
    usual, brightest = statistics.median(lumas), max(lumas)
    ensure(brightest - usual > 30, f"no flash in the composite (median luma {usual:.0f}, "
                                   f"brightest {brightest:.0f})")
    threshold = (usual + brightest) / 2
    quiet = int(QUIET_BEFORE_S * FPS)
    onsets, last_bright = [], -quiet
    for k, luma in enumerate(lumas):
        if luma < threshold:
            continue
        if k - last_bright >= quiet:
            ts, arrival, _ = units[k]
            t = wall_us(ts, arrival, srs, VIDEO_RATE, unwrap_near)
            onsets.append((None if t is None else t / 1000, ts))
        last_bright = k
    return onsets


def pair_events(flashes, beeps):
    """(flash, beep) pairs, each flash with the beep nearest to it in wall time (within 400 ms)."""
    pairs = []
    for f in flashes:
        if f[0] is None:
            continue
        near = [b for b in beeps if b[0] is not None and abs(b[0] - f[0]) < 400]
        if near:
            pairs.append((f, min(near, key=lambda b: abs(b[0] - f[0]))))
    return pairs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--seconds", type=int, default=14, help="how long the sender sends")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tessera-lipsync-")
    print(f"work directory: {work}")

    flash_audio, flash_video, flash_back = free_port_pair(), free_port_pair(), free_port_pair()
    viewer_audio, viewer_video = free_port_pair(), free_port_pair()
    mix_port, composite_port = free_port_pair(), free_port_pair()
    config = write_config(os.path.join(work, "tessera.yaml"), (
        "server:\n  log_level: info\n  shards: 2\nrooms:\n  - name: lipsync\n    video:\n"
        "      profiles:\n"
        f"        - {{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
        "bitrate_kbps: 1200, keyframe_interval_s: 1}\n"
        "    participants:\n"
        f"      - name: flash\n        local_port: {flash_audio}\n"
        f"        remote_rtp_port: {flash_back}\n        deaf: true\n"
        "        audio: {codec: PCMU}\n"
        f"        video: {{codec: H264, local_port: {flash_video}}}\n"
        f"      - name: viewer\n        local_port: {viewer_audio}\n"
        f"        remote_rtp_port: {mix_port}\n        muted: true\n"
        "        audio: {codec: PCMU}\n"
        f"        video: {{send: false, local_port: {viewer_video}, "
        f"remote_rtp_port: {composite_port}}}\n"))

    mix, composite = Capture(mix_port), Capture(composite_port)
    tessera = Process([args.tessera, "--config", config], "tessera", die_with_parent=True)
    sender = None
    try:
        tessera.wait_for_line(lambda l: l.strip() == "tessera: ready", 30)
        sender = Process(sender_argv(args.seconds, flash_audio, flash_video), "sender",
                         die_with_parent=True)
        ensure(sender.wait_exit(args.seconds + 30) == 0, f"the sender failed: {sender.stderr()}")
        # Everything tessera sent is in the capture sockets once it has exited.
        ensure(tessera.stop() == 0, f"tessera exited non-zero: {tessera.stderr()}")
    finally:
        mix.stop()
        composite.stop()
        for p in (sender, tessera):
            if p and p.proc.poll() is None:
                p.proc.kill()
    for line in tessera.json_lines():
        if line.get("room") != "lipsync":
            continue
        if "ticks" in line:
            print("tessera room:", {k: v for k, v in line.items() if k not in ("hardware",)})
        elif line.get("participant") == "flash" and "decoder" in line:
            print("tessera camera:", line["decoder"])

    audio_rtp, audio_srs = split_stream(mix.packets, "mix")
    video_rtp, video_srs = split_stream(composite.packets, "composite")
    print(f"captured {len(audio_rtp)} mix packets, {len(video_rtp)} composite packets")
    audio_rel = sr_mapping_report("mix", audio_srs, AUDIO_RATE, audio_rtp[0]["ts"])
    video_rel = sr_mapping_report("composite", video_srs, VIDEO_RATE, video_rtp[0]["ts"])

    beeps = beep_onsets(audio_rtp, audio_srs)
    flashes = flash_onsets(h264_access_units(video_rtp), video_srs, work)
    pairs = pair_events(flashes, beeps)
    print(f"{len(beeps)} beeps, {len(flashes)} flashes, {len(pairs)} paired "
          "(events before a stream's first SR cannot be aligned)")
    offsets, startup = [], []
    # Before either stream's second SR: aligned through a first SR.
    settled_ms = max(s[1]["ntp_us"] / 1000 if len(s) > 1 else float("inf")
                     for s in (audio_srs, video_srs))
    for f, b in pairs:
        first_sr = max(f[0], b[0]) < settled_ms
        (startup if first_sr else offsets).append(b[0] - f[0])
        print(f"  flash at {f[0] / 1000 % 1000:9.3f} s, beep {b[0] - f[0]:+6.1f} ms after it"
              + (" (through a first SR)" if first_sr else ""))
    ensure(len(offsets) >= MIN_EVENTS, f"only {len(offsets)} events could be measured "
                                       f"(want {MIN_EVENTS})")
    median = statistics.median(offsets)
    worst = max(offsets, key=abs)
    print(f"offset (beep after flash): median {median:+.1f} ms, min {min(offsets):+.1f}, "
          f"max {max(offsets):+.1f}, worst {worst:+.1f} ms; first SR against the median of its "
          f"stream: mix {audio_rel[0]:+.1f} ms, composite {video_rel[0]:+.1f} ms")
    problems = []
    for o in startup:
        if abs(o) > STARTUP_LIMIT_MS:
            problems.append(f"an event through a first SR at {o:+.1f} ms (limit "
                            f"{STARTUP_LIMIT_MS})")
    if abs(median) > MEDIAN_LIMIT_MS:
        problems.append(f"median offset {median:+.1f} ms (limit {MEDIAN_LIMIT_MS})")
    if abs(worst) > EVENT_LIMIT_MS:
        problems.append(f"an event at {worst:+.1f} ms (limit {EVENT_LIMIT_MS})")
    ensure(not problems, "lip sync: " + "; ".join(problems))
    if not args.keep:
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)
    print("PASS lipsync")


if __name__ == "__main__":
    run_main(main)
