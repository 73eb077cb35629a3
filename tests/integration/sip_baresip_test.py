#!/usr/bin/env python3
"""End-to-end SIP interop test: baresip, a real SIP video softphone, dials into a Tessera room over
SIP/UDP from a trusted trunk (127.0.0.0/8) and takes part like any other participant.

The room `main` (grid, H.264 640x360) has two participants fed by ffmpeg as in the audio and
video mix tests: red (H.264 red picture, Opus 400 Hz) and lime (VP8 lime picture, PCMU 700 Hz),
and a receive-only viewer whose composite ffmpeg decodes. baresip runs headless from a config
directory written here: fakevideo (three vertical bars, red, green and blue) as its camera,
ausine (1300 Hz) as its microphone, Opus and H.264 (avcodec), driven over its ctrl_tcp socket.
The test checks that
  (a) the composite baresip receives (its `snapshot` module saves decoded pictures as PNG) shows
      red and lime in their grid slots;
  (b) baresip's bars appear in its slot of the composite the viewer decodes;
  (c) red hears baresip's 1300 Hz tone, and baresip (its `sndfile` module records what it
      decodes) hears 400 Hz and 700 Hz but not its own tone.
Every wait polls with a deadline: `calls` on tessera's stdin, decoded frames, files appearing.

usage: sip_baresip_test.py --tessera BIN   (exits 77, skipped, without baresip)
"""
import argparse
import glob
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, ensure, free_port_pair, run_main,  # noqa: E402
                             write_config)
from audio_mix_test import db, goertzel_power  # noqa: E402
from video_mix_test import (BLACK, COLOURS, FPS, HEIGHT, WIDTH, Frame, Receiver,  # noqa: E402
                            Rect, Viewer, colour_sender_argv, describe_tiles, grid_slots,
                            logged_summaries, tiles_check, yuv)

SKIP = 77
ROOM = "main"
BARESIP_TONE = 1300
MODULES = ["opus.so", "avcodec.so", "fakevideo.so", "ausine.so", "aubridge.so", "snapshot.so",
           "sndfile.so", "menu.so", "ctrl_tcp.so", "account.so"]
DEADLINE_S = 25  # each wait below; the whole test takes about 15 s


def module_dir():
    for d in ("/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules",
              "/usr/lib64/baresip/modules"):
        if all(os.path.exists(os.path.join(d, m)) for m in MODULES):
            return d
    return None


def free_port():
    """A port free for UDP (and its odd neighbour) and for TCP: baresip binds both for SIP."""
    for _ in range(50):
        port = free_port_pair()
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", port))
            s.close()
            return port
        except OSError:
            continue
    raise TestFailure("no free TCP+UDP port")


class AvSender:
    """A configured participant with a coloured picture (ffmpeg, as video_mix_test's Sender) and
    a tone (ffmpeg, as audio_mix_test's Peer); it receives its audio mix on mix_port."""

    def __init__(self, name, colour, video_codec, tone, audio_codec):
        self.name, self.colour, self.video_codec = name, colour, video_codec
        self.tone, self.audio_codec = tone, audio_codec
        self.yuv = yuv(COLOURS[colour])
        self.audio_port, self.mix_port, self.video_port = (free_port_pair() for _ in range(3))

    def config(self):
        audio = "{codec: opus, payload_type: 111}" if self.audio_codec == "opus" else \
            "{codec: PCMU}"
        video = "H264" if self.video_codec == "h264" else "VP8"
        return (f"      - name: {self.name}\n        local_port: {self.audio_port}\n"
                f"        rtcp_mux: false\n        remote_rtp_port: {self.mix_port}\n"
                f"        audio: {audio}\n"
                f"        video: {{codec: {video}, local_port: {self.video_port}}}\n")

    def video_argv(self):
        return colour_sender_argv(self.colour, (320, 180), self.video_codec, self.video_port)

    def audio_argv(self):
        argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                f"sine=frequency={self.tone}:sample_rate=48000", "-ac", "1"]
        if self.audio_codec == "opus":
            argv += ["-c:a", "libopus", "-b:a", "32k", "-payload_type", "111"]
        else:
            argv += ["-af", "aresample=8000,asetnsamples=n=160:p=0", "-ar", "8000",
                     "-c:a", "pcm_mulaw"]
        return argv + ["-f", "rtp",
                       f"rtp://127.0.0.1:{self.audio_port}?rtcpport={self.audio_port + 1}"]

    def mix_sdp(self):
        media = (f"m=audio {self.mix_port} RTP/AVP 111\na=rtpmap:111 opus/48000/2\n"
                 if self.audio_codec == "opus" else
                 f"m=audio {self.mix_port} RTP/AVP 0\na=rtpmap:0 PCMU/8000\n")
        return "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=mix\nc=IN IP4 127.0.0.1\nt=0 0\n" + media


class Baresip:
    """baresip with its own config directory, driven through ctrl_tcp (netstring JSON)."""

    def __init__(self, work, modules, srtp=False, audio_codecs="opus/48000/2", name="baresip",
                 extra_modules=(), extra_config=(), audio_source=f"ausine,{BARESIP_TONE}"):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.sip_port, self.ctrl_port = free_port(), free_port()
        write_config(os.path.join(self.dir, "config"), "\n".join([
            "poll_method epoll",
            f"sip_listen 127.0.0.1:{self.sip_port}",
            "net_interface 127.0.0.1",
            "audio_player aubridge,nil", "audio_alert aubridge,nil",  # no sound card
            f"audio_source {audio_source}",
            "video_source fakevideo,nil", "video_display fakevideo,nil",
            "video_size 320x180", "video_bitrate 300000", f"video_fps {FPS}",
            "jitter_buffer_delay 1-5", "statmode_default off",
            f"module_path {modules}",
            "module opus.so", "module avcodec.so", "module fakevideo.so", "module ausine.so",
            "module aubridge.so", "module snapshot.so", "module sndfile.so",
            "module srtp.so" if srtp else "",
            *(f"module {m}" for m in extra_modules),
            "module_tmp account.so", "module_app menu.so", "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"snd_path {self.dir}", *extra_config, ""]))
        # Opus unless told; every avcodec video codec is offered (baresip names both H.264 packetization
        # modes "H264", and video_codecs=H264 would keep only mode 0, which tessera declines).
        write_config(os.path.join(self.dir, "accounts"),
                     f"<sip:baresip@127.0.0.1>;regint=0;audio_codecs={audio_codecs};"
                     "answermode=manual" + (";mediaenc=srtp-mand" if srtp else "") + "\n")
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["baresip", "-f", self.dir], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.sock, self.buf, self.events, self.token = None, b"", [], 0

    def tail(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def connect(self):
        deadline = time.monotonic() + DEADLINE_S
        while self.sock is None:
            ensure(self.proc.poll() is None, f"baresip exited ({self.proc.returncode}):\n"
                   f"{self.tail()}")
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                ensure(time.monotonic() < deadline, f"no ctrl_tcp socket:\n{self.tail()}")
                time.sleep(0.05)  # polling for the listening socket

    def _read_message(self, deadline):
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + n + 2:
                    msg = json.loads(self.buf[colon + 1:colon + 1 + n])
                    self.buf = self.buf[colon + n + 2:]
                    return msg
            remaining = deadline - time.monotonic()
            ensure(remaining > 0, f"baresip did not answer in time:\n{self.tail()}")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            ensure(chunk, f"baresip closed ctrl_tcp:\n{self.tail()}")
            self.buf += chunk

    def command(self, command, params=""):
        """Runs a baresip command (as typed after '/'); returns its response object."""
        self.token += 1
        body = json.dumps({"command": command, "params": params,
                           "token": str(self.token)}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        deadline = time.monotonic() + DEADLINE_S
        while True:
            msg = self._read_message(deadline)
            if msg.get("response") and msg.get("token") == str(self.token):
                ensure(msg.get("ok"), f"baresip refused '{command} {params}': {msg}")
                return msg
            self.events.append(msg)

    def stop(self):
        if self.sock:
            self.sock.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def tessera_config(work, sip_port, senders, viewer, srtp=False):
    text = (f"server:\n  log_level: info\n  shards: 2\n  bind_address: 127.0.0.1\n"
            f"sip:\n  listen:\n    - {{transport: udp, address: 127.0.0.1, port: {sip_port}}}\n"
            + ("  srtp: required\n" if srtp else "")
            + f"  trunks:\n    - {{name: loopback, networks: [127.0.0.0/8]}}\n"
            f"rooms:\n  - name: {ROOM}\n    max_speakers: 3\n    video:\n      profiles:\n"
            f"        - {{name: hd, codec: H264, width: {WIDTH}, height: {HEIGHT}, fps: {FPS}, "
            f"bitrate_kbps: 800, keyframe_interval_s: 1}}\n"
            f"      layout: grid\n      fit: crop\n      border_px: 0\n"
            f"      highlight_speaker: false\n      name_labels: false\n    participants:\n"
            + "".join(s.config() for s in senders) + viewer.config())
    return write_config(os.path.join(work, "tessera.yaml"), text)


def command(tessera, line, timeout_s=10):
    seen = len(tessera.lines)
    tessera.send_line(line)
    return tessera.wait_for_line(lambda l: l.startswith("ok ") or l.startswith("error:"),
                                 timeout_s, start=seen)


def wait_for_calls(tessera, want, what):
    """Polls `calls` until want(list of calls) holds; returns the list."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        calls = json.loads(command(tessera, "calls")[len("ok calls "):])
        if want(calls):
            return calls
        ensure(time.monotonic() < deadline, f"{what} not seen within {DEADLINE_S}s: {calls}")
        time.sleep(0.1)  # polling interval of `calls`


def bars_expectation(slot):
    """fakevideo's picture: red, green and blue vertical thirds, each checked away from its
    edges."""
    third = slot.w // 3
    return [(Rect(slot.x + k * third + 8, slot.y + 8, third - 16, slot.h - 16), yuv(rgb),
             f"baresip's {name} bar") for k, (name, rgb) in
            enumerate([("red", 0xFF0000), ("green", 0x00FF00), ("blue", 0x0000FF)])]


def png_frame(path):
    """A PNG baresip saved, as a yuv420p Frame of the composite's size. baresip turns the decoded
    (limited-range) picture into RGB with the full-range equations (its black is RGB 16,16,16),
    so converting back with the full-range ones recovers the YUV it decoded."""
    p = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-vf",
                        f"scale={WIDTH}:{HEIGHT}:out_range=full", "-pix_fmt", "yuv420p",
                        "-f", "rawvideo", "pipe:1"], capture_output=True, timeout=30)
    ensure(p.returncode == 0 and len(p.stdout) == WIDTH * HEIGHT * 3 // 2,
           f"could not decode {path}: {p.stderr.decode(errors='replace')}")
    return Frame(p.stdout, time.monotonic())


def snapshot_until(baresip, work, check):
    """Asks baresip for snapshots of the video it receives until one passes check."""
    deadline = time.monotonic() + DEADLINE_S
    problems, n = ["no snapshot written"], 0
    while time.monotonic() < deadline:
        n += 1
        path = os.path.join(work, f"baresip-recv-{n:02d}.png")
        baresip.command("snapshot_recv", path)
        shot_deadline = min(deadline, time.monotonic() + 5)
        while time.monotonic() < shot_deadline:
            # Written on the next decoded frame; complete once the IEND chunk is there.
            if os.path.exists(path) and open(path, "rb").read()[-8:-4] == b"IEND":
                break
            time.sleep(0.05)  # polling for the file
        else:
            problems = [f"snapshot {path} not written (no picture decoded?)"]
            continue
        frame = png_frame(path)
        problems = check(frame)
        if not problems:
            return path, frame
    raise TestFailure(f"baresip's received video: {'; '.join(problems)}\n{baresip.tail()}")


def read_wav_left(path):
    """Samples of the first channel of a 16-bit WAV, and its rate."""
    with wave.open(path, "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        ensure(width == 2, f"{path}: expected 16-bit samples")
        raw = w.readframes(w.getnframes())
    step = 2 * ch
    return [int.from_bytes(raw[i:i + 2], "little", signed=True) / 32768.0
            for i in range(0, len(raw) - step + 1, step)], rate


def tones(samples, rate, freqs):
    return {f: db(goertzel_power(samples, rate, f)) for f in freqs}


def check_hears(who, samples, rate, others, own):
    ensure(len(samples) > rate * 2, f"{who} recorded only {len(samples) / rate:.1f} s")
    powers = tones(samples, rate, others + [own])
    print(f"{who} hears (dB): " + ", ".join(f"{f} Hz {p:.1f}" for f, p in powers.items()))
    ensure(min(powers[f] for f in others) > -60, f"{who} does not hear {others}: {powers}")
    ensure(min(powers[f] for f in others) - powers[own] >= 30,
           f"{who} hears its own {own} Hz tone: {powers}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--srtp", action="store_true",
                    help="SDES-SRTP on both streams (baresip mediaenc=srtp-mand, "
                    "sip.srtp: required)")
    args = ap.parse_args()
    modules = module_dir()
    if not shutil.which("baresip") or not modules:
        print(f"SKIP: baresip or its modules ({', '.join(MODULES)}) are not installed "
              "(Debian: baresip baresip-ffmpeg)")
        sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix="tessera-sip-baresip-")
    print(f"work directory: {work}")
    red = AvSender("red", "red", "h264", 400, "opus")
    lime = AvSender("lime", "lime", "vp8", 700, "pcmu")
    viewer = Viewer("viewer", work)
    sip_port = free_port()
    tessera = Process([args.tessera, "--config", tessera_config(work, sip_port, [red, lime],
                                                                  viewer, args.srtp),
                       "--control-stdin"],
                      "tessera", stdin=True, die_with_parent=True)
    children, baresip = [], None
    try:
        tessera.wait_for_line(lambda l: l.strip() == "tessera: ready", 30)
        rx = Receiver(viewer, work)
        children.append(rx.proc)
        for s in (red, lime):
            children.append(Process(s.video_argv(), f"video {s.name}", die_with_parent=True))
            children.append(Process(s.audio_argv(), f"audio {s.name}", die_with_parent=True))
        baresip = Baresip(work, modules, args.srtp)
        baresip.connect()
        baresip.command("dial", f"sip:{ROOM}@127.0.0.1:{sip_port}")
        calls = wait_for_calls(tessera, lambda c: len(c) == 1 and c[0]["state"] == "active",
                               "baresip's call active")
        print(f"call: {calls[0]}")
        name = calls[0]["participant"]
        ensure(calls[0]["room"] == ROOM and calls[0]["direction"] == "in"
               and calls[0]["transport"].lower() == "udp", f"unexpected call {calls[0]}")
        # red's mix, recorded while everyone talks.
        sdp = write_config(os.path.join(work, "red-mix.sdp"), red.mix_sdp())
        red_wav = os.path.join(work, "red-mix.wav")
        recorder = Process(["ffmpeg", "-hide_banner", "-loglevel", "error", "-protocol_whitelist",
                            "file,udp,rtp", "-i", sdp, "-t", "3", "-ar", "48000", "-ac", "1",
                            "-y", red_wav], "recorder red", die_with_parent=True)
        children.append(recorder)

        slots = grid_slots(2, 2)
        others = [(slots[0], red.yuv, "red's tile"), (slots[1], lime.yuv, "lime's tile")]
        # (b) baresip's camera in the composite the viewer decodes: red, lime, baresip, empty.
        expected = others + bars_expectation(slots[2]) + [(slots[3], BLACK, "the empty slot")]
        try:
            frame = rx.wait_for("red, lime and baresip's bars in the 2x2 grid",
                                tiles_check(expected), timeout_s=DEADLINE_S)
        except TestFailure as e:
            tessera.stop()  # its summary says what became of baresip's packets
            video = [s for s in logged_summaries(tessera, name) if s.get("media") == "video"]
            raise TestFailure(f"{e}\nbaresip's video leg in tessera: {video}")
        print(f"viewer's composite: {describe_tiles(frame, expected)}; "
              f"{rx.save(frame, 'with-baresip')}")
        # (a) the composite baresip receives shows the other participants (and itself).
        path, frame = snapshot_until(baresip, work, tiles_check(expected))
        print(f"baresip's composite: {describe_tiles(frame, expected)}; {path}")

        ensure(recorder.proc.wait(timeout=DEADLINE_S) == 0,
               f"recording red's mix failed: {recorder.stderr()}")
        baresip.command("hangup")
        wait_for_calls(tessera, lambda c: not c, "the call's end after baresip's BYE")
        listed = json.loads(command(tessera, f"participants {ROOM}")[len(f"ok participants "
                                                                          f"{ROOM} "):])
        ensure(name not in [m["name"] for m in listed], f"{name} still listed: {listed}")
        baresip.stop()
        # (c) red hears baresip; baresip hears red and lime but not itself.
        samples, rate = read_wav_left(red_wav)
        check_hears("red", samples[rate // 2:], rate, [lime.tone, BARESIP_TONE], red.tone)
        dumps = glob.glob(os.path.join(baresip.dir, "dump-*-dec.wav"))
        ensure(len(dumps) == 1, f"want one decoded-audio dump from baresip, found {dumps}")
        samples, rate = read_wav_left(dumps[0])
        tail = samples[-3 * rate:-rate // 2]  # the last seconds of the call, everyone talking
        check_hears("baresip", tail, rate, [red.tone, lime.tone], BARESIP_TONE)

        for c in children:
            if c.proc.poll() is None:
                c.proc.kill()
        ensure(tessera.stop() == 0, f"tessera exited non-zero: {tessera.stderr()}")
        legs = [s for s in tessera.json_lines() if s.get("participant") == name]
        ensure(not legs, f"{name} is in the summary at stop although the call ended: {legs}")
    finally:
        if baresip:
            baresip.stop()
        for c in children + [tessera]:
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
    print("PASS sip baresip")


if __name__ == "__main__":
    run_main(main)
