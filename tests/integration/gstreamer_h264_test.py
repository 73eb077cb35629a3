#!/usr/bin/env python3
"""End-to-end H.264 interoperability with GStreamer senders (videotestsrc ! x264enc ! rtph264pay):
the real tessera binary decodes each sender into its tile of a 2x2 grid, an ffmpeg receiver
decodes the composite, and the test checks every tile's colour and each input's decoder counters.

Every sender's RTP goes through a relay in this test that forwards it unchanged and notes what the
sender really sent (the SPS's profile_idc, single NAL unit / STAP-A / FU-A packets, timestamps
going back for B-frames), so a scenario fails if GStreamer did not send what it is meant to test.

Scenarios:
  profiles       constrained baseline, Main and High (I420), and the pipeline of issue 15 as
                 written (x264enc takes the test source's Y444: High 4:4:4 Predictive)
  packetization  High profile as STAP-A (aggregate-mode=zero-latency, config-interval=-1), as
                 FU-A (mtu=300), with parameter sets before every IDR (config-interval=-1), and
                 with parameter sets only once: the relay leaves out every SPS and PPS after the
                 first access unit (renumbering sequence numbers, so no loss shows)
  bframes        Main with bframes=2, High with bframes=3 and B-pyramid, High 4:4:4 with
                 B-frames, and a zero-latency High stream beside them: every tile shows
                 pictures, no frame is an error, none waits for a keyframe, and the decoder
                 shows (nearly) every frame it got
  sprop          parameter sets given only out of band (RFC 6184 sprop-parameter-sets, as an
                 SDP gives them; here the participant's video.sprop_parameter_sets): High,
                 constrained baseline and FU-A senders with config-interval=0 whose relay leaves
                 out every SPS and PPS, the first access unit's too, while the config gives the
                 ones a short probe run of the same pipeline sent (x264enc makes the same ones
                 every run; the relay checks that what it left out is exactly that); and a High
                 sender with parameter sets only in its first access unit whose config gives
                 another pipeline's (constrained baseline): the in-band ones must win, so its
                 later IDRs decode with them

usage: gstreamer_h264_test.py --tessera BIN --scenario profiles|packetization|bframes|sprop
Exits 77 (skipped) when gst-launch-1.0 or x264enc is missing (Debian: gstreamer1.0-tools,
gstreamer1.0-plugins-base, -good, -ugly).
"""
import argparse
import base64
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import ensure, run_main  # noqa: E402
from video_mix_test import (COLOURS, FPS, Room, Sender, Viewer, check_decoders,  # noqa: E402
                            describe_tiles, grid_expectation, quiet_video, tiles_check,
                            video_summaries)

SKIP = 77
# A new IDR every second: a receiver that joins (or loses one) does not wait long.
GOP = FPS


def zero_latency(extra=""):
    return (f"x264enc tune=zerolatency speed-preset=veryfast key-int-max={GOP} threads=1 "
            f"{extra}").strip()


def with_bframes(bframes, extra=""):
    # No zerolatency tune: B-frames and a short lookahead, as a non-realtime sender has them.
    return (f"x264enc speed-preset=veryfast key-int-max={GOP} bframes={bframes} rc-lookahead=5 "
            f"threads=1 {extra}").strip()


def rtp_payload(data):
    """(sequence number, timestamp, payload) of an RTP packet, or None."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    seq, ts = struct.unpack_from("!HI", data, 2)
    offset = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= offset + 4:
        offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
    end = len(data) - (data[-1] if data[0] & 0x20 else 0)
    return seq, ts, bytes(data[offset:end])


class Relay(threading.Thread):
    """Forwards one sender's RTP from its own port to tessera's and notes what it carries. With
    once=True it leaves out every SPS and PPS packet after the first access unit that had them;
    with strip=True every one of them, the first access unit's too (noting what it left out). Either
    renumbers the sequence numbers so that tessera sees no gap."""

    def __init__(self, name, target_port, once=False, strip=False):
        super().__init__(daemon=True, name=f"relay {name}")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.target = ("127.0.0.1", target_port)
        self.once, self.strip = once, strip
        self.stripped = set()       # base64 of the SPS and PPS left out (strip=True)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.packets = 0
        self.kinds = set()          # "single", "stap-a", "fu-a"
        self.profile_idc = None     # of the first SPS
        self.reordered = False      # an access unit's timestamp below the previous one's
        self.idrs = 0               # access units with an IDR slice
        self.idrs_without_parameter_sets = 0  # of them, forwarded without SPS and PPS
        self.left_out = 0           # SPS/PPS packets not forwarded (once=True)
        self._first_ps_ts = None
        self._au_ts = None
        self._au_has_ps = False
        self._au_has_idr = False
        self._seq_offset = 0

    def stop(self):
        self.stopping.set()
        self.join(timeout=5)
        self.sock.close()

    def summary(self):
        with self.lock:
            return {"packets": self.packets, "kinds": sorted(self.kinds),
                    "profile_idc": self.profile_idc, "reordered": self.reordered,
                    "idrs": self.idrs, "idrs_without_parameter_sets":
                    self.idrs_without_parameter_sets, "left_out": self.left_out,
                    "stripped": sorted(self.stripped)}

    def run(self):
        while not self.stopping.is_set():
            try:
                data, source = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            # tessera's RTCP comes back here (the RTP's source): it is not the sender's to relay.
            if source == self.target or (len(data) >= 2 and 192 <= data[1] <= 223):
                continue
            with self.lock:
                out = self._handle(bytearray(data))
            if out is not None:
                try:
                    self.sock.sendto(out, self.target)
                except OSError:
                    pass

    @staticmethod
    def _nal_units(payload):
        """(type, bytes) of the NAL units a payload carries whole, and its packet kind."""
        t = payload[0] & 0x1F
        if 1 <= t <= 23:
            return "single", [(t, payload)]
        if t == 24:
            units, i = [], 1
            while i + 2 <= len(payload):
                size = struct.unpack_from("!H", payload, i)[0]
                unit = payload[i + 2:i + 2 + size]
                if unit:
                    units.append((unit[0] & 0x1F, unit))
                i += 2 + size
            return "stap-a", units
        if t == 28 and len(payload) > 1:
            # Only the start fragment says which NAL unit this is.
            inner = payload[1] & 0x1F if payload[1] & 0x80 else 0
            return "fu-a", [(inner, payload)] if inner else []
        return "other", []

    def _end_access_unit(self):
        if self._au_ts is not None and self._au_has_idr:
            self.idrs += 1
            if not self._au_has_ps:
                self.idrs_without_parameter_sets += 1

    def _handle(self, data):
        parsed = rtp_payload(data)
        if parsed is None:
            return None
        seq, ts, payload = parsed
        if not payload:
            return None
        if ts != self._au_ts:
            self._end_access_unit()
            if self._au_ts is not None and (self._au_ts - ts) % (1 << 32) < (1 << 31):
                self.reordered = True
            self._au_ts, self._au_has_ps, self._au_has_idr = ts, False, False
        kind, units = self._nal_units(payload)
        self.kinds.add(kind)
        types = {t for t, _ in units}
        for t, unit in units:
            if t == 7 and self.profile_idc is None and len(unit) > 1:
                self.profile_idc = unit[1]
        has_ps = bool(types & {7, 8})
        if has_ps and self._first_ps_ts is None:
            self._first_ps_ts = ts
        if self.strip and has_ps and kind == "single":
            self.stripped.add(base64.b64encode(payload).decode())
        leave_out = self.strip or (self.once and ts != self._first_ps_ts)
        if kind == "single" and has_ps and leave_out:
            self.left_out += 1
            self._seq_offset += 1
            return None
        self._au_has_ps |= has_ps
        self._au_has_idr |= 5 in types
        self.packets += 1
        struct.pack_into("!H", data, 2, (seq - self._seq_offset) & 0xFFFF)
        return bytes(data)


class GstSender(Sender):
    """A participant whose camera is a GStreamer pipeline: a solid-colour videotestsrc, x264enc,
    rtph264pay, sending through a Relay to tessera's video port."""

    def __init__(self, name, colour, encoder, raw_caps="format=I420", profile=None,
                 payloader="rtph264pay", once=False, strip=False, size=(320, 180)):
        super().__init__(name, "h264", colour, size)
        self.encoder, self.raw_caps, self.profile = encoder, raw_caps, profile
        self.payloader, self.once, self.strip = payloader, once, strip
        self.sprop = None  # its video.sprop_parameter_sets, when the scenario gives it some
        self.relay = None

    def config(self):
        sprop = f', sprop_parameter_sets: "{self.sprop}"' if self.sprop else ""
        return (f"      - name: {self.name}\n"
                f"        video: {{codec: H264, local_port: {self.port}{sprop}}}\n")

    def pipeline(self, port):
        w, h = self.size
        raw = ",".join(["video/x-raw"] + ([self.raw_caps] if self.raw_caps else [])
                       + [f"width={w}", f"height={h}", f"framerate={FPS}/1"])
        text = (f"videotestsrc is-live=true pattern=solid-color "
                f"foreground-color=0xff{COLOURS[self.colour]:06x} ! {raw} ! {self.encoder}")
        if self.profile:
            text += f" ! video/x-h264,profile={self.profile}"
        return text + f" ! {self.payloader} ! udpsink host=127.0.0.1 port={port}"

    def argv(self):
        # Called as the room starts the senders, once tessera has bound self.port.
        if self.relay:
            self.relay.stop()
        self.relay = Relay(self.name, self.port, self.once, self.strip)
        self.relay.start()
        return ["gst-launch-1.0", "-q"] + self.pipeline(self.relay.port).split()


def probe_sprop(sender, timeout_s=20):
    """sprop-parameter-sets for what `sender` sends: the first SPS and PPS of a short run of its
    pipeline into a socket of ours, base64. x264enc makes the same ones every run with the same
    settings; Relay(strip=True) notes what it left out, for the check that they were these."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    argv = ["gst-launch-1.0", "-q"] + sender.pipeline(sock.getsockname()[1]).split()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = {}
    deadline = time.monotonic() + timeout_s
    try:
        while not (7 in found and 8 in found) and time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            parsed = rtp_payload(data)
            if not parsed or not parsed[2]:
                continue
            kind, units = Relay._nal_units(parsed[2])
            if kind not in ("single", "stap-a"):
                continue  # an FU-A's units are fragments, not whole NAL units
            for t, unit in units:
                if t in (7, 8):
                    found.setdefault(t, bytes(unit))
    finally:
        proc.kill()
        proc.wait()
        sock.close()
    ensure(7 in found and 8 in found,
           f"{sender.name}: a probe run of its pipeline sent no SPS and PPS in {timeout_s} s")
    return ",".join(base64.b64encode(found[t]).decode() for t in (7, 8))


def gstreamer_missing():
    """Why the GStreamer senders cannot run here, or None."""
    if not shutil.which("gst-launch-1.0") or not shutil.which("gst-inspect-1.0"):
        return "gst-launch-1.0 is not installed (Debian: gstreamer1.0-tools)"
    for element, package in (("videotestsrc", "gstreamer1.0-plugins-base"),
                             ("rtph264pay", "gstreamer1.0-plugins-good"),
                             ("udpsink", "gstreamer1.0-plugins-good"),
                             ("x264enc", "gstreamer1.0-plugins-ugly")):
        p = subprocess.run(["gst-inspect-1.0", "--exists", element], capture_output=True)
        if p.returncode != 0:
            return f"GStreamer lacks {element} (Debian: {package})"
    return None


def run_room(args, work, senders, expectations, min_decoded_share=0.9, reorder_slack=0):
    """Runs the senders in a 2x2 grid until every tile shows its colour, then checks each
    input's decoder counters and what its relay saw (expectations: name -> check(relay summary)
    returning problems)."""
    viewer = Viewer("viewer", work)
    expected = grid_expectation(senders, 2, 2)
    with Room(args, work, senders, [viewer], quiet_video()) as room:
        rx = room.receivers[0]
        frame = rx.wait_for("every sender's tile", tiles_check(expected))
        print(f"every tile in place after {rx.frames} decoded frames: "
              f"{describe_tiles(frame, expected)}")
        print(f"composite: {rx.save(frame, 'tiles')}")
        # A few more seconds of stream: several IDRs (one a second) and, with B-frames, many
        # reordered access units.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            rx.next_frame(deadline - time.monotonic() + 5)
        summary = room.stop()
    relays = {}
    for s in senders:
        relays[s.name] = s.relay.summary()
        s.relay.stop()
    vroom, legs = video_summaries(summary)
    print(vroom)
    problems = []
    for s in senders:
        leg, relay = legs[s.name], relays[s.name]
        d = leg["decoder"]
        print(f"{s.name}: sent {relay}; tessera: frames_received {leg['frames_received']}, "
              f"decoder {d}")
        problems += [f"{s.name}: {p}" for p in expectations[s.name](relay)]
        if d.get("waiting_keyframe", 0) or d.get("bad_format", 0):
            problems.append(f"{s.name}: frames waited for a keyframe or had a bad format: {d}")
        # Every frame gives a picture, but for the last ones a B-frame stream's reorder buffer
        # holds at the end.
        want = int(min_decoded_share * leg["frames_received"]) - reorder_slack
        if d["decoded"] < want:
            problems.append(f"{s.name}: decoded {d['decoded']} pictures of "
                            f"{leg['frames_received']} frames received (want at least {want})")
    check_decoders(legs, senders)
    ensure(not problems, "; ".join(problems))


def expect(profile_idc=None, kinds=(), reordered=None, min_idrs=1, idrs_without_ps=None,
           stripped=None):
    """A check of a relay summary: what the sender must have sent for the scenario to mean
    anything. stripped: the sprop-parameter-sets the config gave; the relay must have left out
    every SPS and PPS (no IDR reached tessera with any), and they must have been these."""
    def check(r):
        problems = []
        if r["packets"] == 0:
            return ["sent nothing"]
        if profile_idc is not None and r["profile_idc"] != profile_idc:
            problems.append(f"profile_idc {r['profile_idc']}, want {profile_idc}")
        for k in kinds:
            if k not in r["kinds"]:
                problems.append(f"no {k} packets ({r['kinds']})")
        if reordered is not None and r["reordered"] != reordered:
            problems.append("B-frames expected" if reordered else "unexpected B-frames")
        if r["idrs"] < min_idrs:
            problems.append(f"{r['idrs']} IDRs, want at least {min_idrs}")
        if idrs_without_ps is not None and r["idrs_without_parameter_sets"] < idrs_without_ps:
            problems.append(f"{r['idrs_without_parameter_sets']} IDRs without parameter sets, "
                            f"want at least {idrs_without_ps}")
        if stripped is not None:
            if r["idrs_without_parameter_sets"] != r["idrs"]:
                problems.append(f"{r['idrs'] - r['idrs_without_parameter_sets']} IDRs reached "
                                f"tessera with parameter sets, want none")
            if set(r["stripped"]) != set(stripped.split(",")):
                problems.append(f"the relay left out {r['stripped']}, but the config gave "
                                f"{stripped}")
        return problems
    return check


def scenario_profiles(args, work):
    senders = [
        GstSender("baseline", "red", zero_latency(), profile="constrained-baseline"),
        GstSender("main", "lime", zero_latency(), profile="main"),
        GstSender("high", "blue", zero_latency(), profile="high"),
        # The pipeline of issue 15: no format asked for, so x264enc takes videotestsrc's Y444
        # (or Y444_10LE) and sends High 4:4:4 Predictive.
        GstSender("gst_default", "yellow", f"x264enc tune=zerolatency key-int-max={GOP}",
                  raw_caps=None),
    ]
    run_room(args, work, senders, {
        "baseline": expect(profile_idc=66, reordered=False),
        "main": expect(profile_idc=77, reordered=False),
        "high": expect(profile_idc=100, reordered=False),
        "gst_default": expect(profile_idc=244, reordered=False),
    })


def scenario_packetization(args, work):
    senders = [
        GstSender("stap_a", "red", zero_latency(), profile="high",
                  payloader="rtph264pay aggregate-mode=zero-latency config-interval=-1"),
        GstSender("fu_a", "lime", zero_latency(), profile="high", payloader="rtph264pay mtu=300"),
        GstSender("every_idr", "blue", zero_latency(), profile="high",
                  payloader="rtph264pay config-interval=-1"),
        GstSender("once", "yellow", zero_latency(), profile="high",
                  payloader="rtph264pay config-interval=0", once=True),
    ]
    run_room(args, work, senders, {
        "stap_a": expect(profile_idc=100, kinds=["stap-a"]),
        "fu_a": expect(profile_idc=100, kinds=["fu-a"]),
        "every_idr": expect(profile_idc=100, kinds=["single"], min_idrs=3),
        # The first IDR has them; later ones (one a second) do not.
        "once": expect(profile_idc=100, kinds=["single"], min_idrs=3, idrs_without_ps=2),
    })


def scenario_bframes(args, work):
    senders = [
        GstSender("main_b", "red", with_bframes(2), profile="main"),
        GstSender("high_pyramid", "lime", with_bframes(3, "b-pyramid=true"), profile="high"),
        GstSender("high444_b", "blue", with_bframes(2), raw_caps="format=Y444"),
        GstSender("zero_latency", "yellow", zero_latency(), profile="high"),
    ]
    run_room(args, work, senders, {
        "main_b": expect(profile_idc=77, reordered=True),
        "high_pyramid": expect(profile_idc=100, reordered=True),
        "high444_b": expect(profile_idc=244, reordered=True),
        "zero_latency": expect(profile_idc=100, reordered=False),
    }, reorder_slack=3)


def scenario_sprop(args, work):
    def stripped(name, colour, profile, payloader="rtph264pay config-interval=0"):
        return GstSender(name, colour, zero_latency(), profile=profile, payloader=payloader,
                         strip=True)

    senders = [
        stripped("sprop_high", "red", "high"),
        stripped("sprop_baseline", "lime", "constrained-baseline"),
        stripped("sprop_fu_a", "blue", "high", "rtph264pay mtu=300 config-interval=0"),
        GstSender("in_band_wins", "yellow", zero_latency(), profile="high",
                  payloader="rtph264pay config-interval=0", once=True),
    ]
    for s in senders[:3]:
        s.sprop = probe_sprop(s)
        print(f"{s.name}: sprop-parameter-sets {s.sprop}")
    # Another pipeline's parameter sets: were they put before its later IDRs (those without
    # their own), the decoder would take a constrained baseline PPS for a High stream.
    senders[3].sprop = senders[1].sprop
    ensure(senders[3].sprop != senders[0].sprop,
           "the High and constrained baseline pipelines made the same parameter sets")
    run_room(args, work, senders, {
        "sprop_high": expect(profile_idc=100, kinds=["single"], min_idrs=3,
                             stripped=senders[0].sprop),
        "sprop_baseline": expect(profile_idc=66, kinds=["single"], min_idrs=3,
                                 stripped=senders[1].sprop),
        "sprop_fu_a": expect(profile_idc=100, kinds=["fu-a"], min_idrs=3,
                             stripped=senders[2].sprop),
        "in_band_wins": expect(profile_idc=100, kinds=["single"], min_idrs=3, idrs_without_ps=2),
    })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--scenario", required=True,
                    choices=["profiles", "packetization", "bframes", "sprop"])
    args = ap.parse_args()
    missing = gstreamer_missing()
    if missing:
        print(f"SKIP: {missing}")
        sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix=f"tessera-gstreamer-{args.scenario}-")
    print(f"work directory: {work}")
    start = time.monotonic()
    {"profiles": scenario_profiles,
     "packetization": scenario_packetization,
     "bframes": scenario_bframes,
     "sprop": scenario_sprop}[args.scenario](args, work)
    print(f"PASS {args.scenario} ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    run_main(main)
