#!/usr/bin/env python3
"""End-to-end tests of the recorder tier with real processes: tessera (the MCU, its HTTP API with
`control.recorder` and an `audit` block), tessera-recorder (`run`, then `verify` and `decrypt`),
tessera-audit (`keygen`, `verify`), tessera-token for the API's tokens, and ffmpeg as the camera
and, with ffprobe, as the judge of the decrypted recording.

The flow: `POST /v1/rooms/{room}/recordings` on the MCU (202, starting), the MCU asks the recorder,
the recorder joins the room through the MCU's API as a receive-only SRTP participant and writes the
composite and the mix, encrypted, to <storage>/<id>.tsrec; GET .../recordings/{id} goes to
`recording`; DELETE stops it. Waits poll a process's output, its exit or an API state, each with
a deadline; nothing sleeps to let something happen.

Scenarios (--scenario NAME):
  sync      one ffmpeg camera that flashes and beeps together once a second (lipsync_test.py's
            sender) is recorded while it sends; verify (exit 0, final chunk), decrypt, an audio and
            a video stream; flash (luma jump, with its pts) against beep (audio onset) in the
            decrypted file: every offset printed, median |offset| < 40 ms over >= 6 events. Then
            one byte flipped in a copy: verify exit 1 naming a changed chunk, decrypt refuses and
            leaves no output (the `tamper` checks).
  kill9     a recording running with the camera sending; once chunks are on disk the recorder is
            killed with SIGKILL: verify exits 1, the final chunk missing and every complete chunk
            intact; decrypt keeps its output, and ffprobe decodes a video stream with frames.
  refusals  the recording API refused without the right role (viewer: 403), for another room's
            token (403) and without a token (401), and nothing starts; a participant without
            consent blocks the start (409 naming them); granted, the start works; declined
            again, the running recording stops with a reason naming them. The MCU's audit log
            verifies (tessera-audit verify, exit 0), holds consent.changed and recording.*
            events, and a copy with one line's content changed fails verification naming it.
  tamper    the tamper checks alone, on a short recording.
  exclude   a room with `recording: {consent: exclude}`: two cameras, a red one with a 500 Hz
            tone (consent granted) and a blue one with a 1300 Hz tone (declined), and a live
            receive-only participant. The recording starts (202, no 409) and stays on; in the
            decrypted file no frame shows the blue camera: its tile is the "not recorded" card
            (placeholder grey, text in the middle) while the red one is there, and its tone is
            absent from the recorded audio (>= 30 dB under the red one's in every window) while
            the red one's is present. The live participant's composite shows red and blue and
            its mix holds both tones.
  reconnect the room and its camera in the MCU's config, the MCU's API on a fixed port; once the
            recording has media the MCU is killed (SIGKILL) and, once the recorder has noticed,
            started again with the same config while the camera keeps sending. The recorder
            re-joins by itself (its GET /v1/recordings: joins >= 2, gaps >= 1); the restarted MCU
            adopts the running recording from the recorder (GET .../recordings/{id}: recording);
            a few seconds later it is stopped through the recorder's own API. In the decrypted
            file: video (and audio) from before and after the restart, one jump of the timeline
            at least as long as the outage (wall clock: no stretch), and the "recording gaps"
            subtitle track with an entry for it.
  retention retention per room and per request, and erasure of one participant's recordings,
            through the MCU's API (recorder_retention.py says what is checked).

Exits 77 (skipped), saying why, where ffmpeg or ffprobe is missing.

usage: recorder_test.py --tessera BIN --recorder BIN --audit BIN --token BIN --scenario NAME
                        [--keep]
"""
import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, av_camera_argv, ensure,  # noqa: E402
                             free_port_block, free_port_pair, run, run_main,
                             write_config)
from recorder_exclude import (CAM_RGB, CAM_TONE_HZ, SHY_RGB, SHY_TONE_HZ,  # noqa: E402
                              check_live, check_recorded, colour_camera_argv, live_sdp)

SKIP = 77
LISTENING = re.compile(r"control: listening on (https?)://([0-9.]+):(\d+)")
RECORDER_API = re.compile(r"tessera-recorder: API on ([0-9.]+):(\d+)")
RTP_PORTS = 40
START_TIMEOUT_S = 30
ROOM = "recroom"
OTHER_ROOM = "otherroom"

# The composite: small for a loaded 2-core machine; 30 fps so that each 15 fps camera picture
# (the white one too) is in at least one composite frame.
WIDTH, HEIGHT, FPS = 320, 180, 30
CAMERA, CAMERA_FPS = (320, 180), 15
CAMERA_AUDIO_RATE = 8000
BEEP_SAMPLES = 320        # 40 ms at 8 kHz
QUIET_BEFORE_S = 0.3      # an onset follows at least this much silence (or darkness)
DECODE_RATE = 48000       # the recording's Opus audio, decoded at its own rate

SYNC_SECONDS = 13         # the camera's media time in `sync`

# `exclude` (recorder_exclude.py judges its media).
EXCLUDE_SECONDS = 16      # the cameras' media time
LIVE_CAPTURE_S = 4        # of the live participant's composite and mix

RECONNECT_BEFORE_S = 3    # `reconnect`: seconds of composite recorded before the kill
RECONNECT_AFTER_S = 4     # and after the re-join
REJOIN_TIMEOUT_S = 45     # notice (3 s) + backoff (2, 4, 8 s ..) + a loaded machine
MEDIAN_LIMIT_MS = 40
MIN_EVENTS = 6

# The .tsrec layout (src/recorder/chunk_file_format.h): magic, u32 header length, header JSON,
# then chunks of u32 plaintext length, u64 index, u8 flags, ciphertext, 16-byte tag.
MAGIC = b"TESSERAREC1\n"
CHUNK_HEADER = 4 + 8 + 1
TAG = 16


# --- HTTP ----------------------------------------------------------------------------------------

class Answer:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path, self.status, self.headers, self.body = (method, path, status,
                                                                       headers, body)

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise TestFailure(f"{self.method} {self.path}: expected JSON, got {self} ({e})")

    def __str__(self):
        return f"{self.status} {self.body[:600].decode(errors='replace')!r}"


def http_request(port, method, path, token=None, body=None, timeout_s=15):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        return Answer(method, path, r.status, {k.lower(): v for k, v in r.getheaders()},
                      r.read())
    except (OSError, http.client.HTTPException) as e:
        raise TestFailure(f"{method} {path} on port {port}: no HTTP answer ({e!r})")
    finally:
        conn.close()


def expect(answer, status, what):
    ensure(answer.status == status, f"{what}: expected {status}, got {answer}")
    return answer


def poll(what, fetch, done, timeout_s, interval_s=0.1):
    """Calls fetch() until done(value) holds; returns that value. Fails past the deadline with
    the last value."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        last = fetch()
        if done(last):
            return last
        if time.monotonic() > deadline:
            raise TestFailure(f"timed out after {timeout_s}s waiting for {what}; last: {last}")
        time.sleep(interval_s)  # poll interval


# --- The processes -------------------------------------------------------------------------------

def sender_argv(seconds, audio_port, video_port, size=CAMERA, fps=CAMERA_FPS, pattern="flash"):
    """lipsync_test.py's camera: frame n white when n % 15 == 0, sample n beeps when
    n % 8000 < 320, so event k is at exactly k seconds on both streams; H.264 and PCMU, each with
    its RTCP SRs (rtcp-mux); two lavfi inputs, each paced by itself (see lipsync_test.py).
    pattern="testsrc2": a moving test picture instead of the flashes (a picture an encoder
    spends its bitrate on, for benches), the same beeps."""
    if pattern == "testsrc2":
        video = f"testsrc2=s={size[0]}x{size[1]}:r={fps},format=yuv420p"
    else:
        video = (f"color=c=black:s={size[0]}x{size[1]}:r={fps},format=yuv420p,"
                 "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:"
                 f"enable='eq(mod(n,{fps}),0)'")
    beep = (f"lt(mod(n,{CAMERA_AUDIO_RATE}),{BEEP_SAMPLES})*0.5*"
            f"sin(2*PI*1000*n/{CAMERA_AUDIO_RATE})")
    return av_camera_argv(seconds, video, beep, fps, CAMERA_AUDIO_RATE, audio_port, video_port)


def video_block(width=WIDTH, height=HEIGHT, fps=FPS, kbps=600, name="small"):
    """A room's video: one H.264 profile, a keyframe a second, the grid without decorations."""
    return {"layout": "grid", "fit": "crop", "border_px": 0, "highlight_speaker": False,
            "name_labels": False,
            "profiles": [{"name": name, "codec": "H264", "width": width, "height": height,
                          "fps": fps, "bitrate_kbps": kbps, "keyframe_interval_s": 1}]}


class Stack:
    """Key files, tokens and configs in `work`; the MCU and the recorder, started and stopped."""

    def __init__(self, args, work, participants, rooms=None, fixed_api_port=False):
        """rooms: the config's rooms[] (default: ROOM with `participants` and the small profile,
        and an empty OTHER_ROOM); fixed_api_port: the MCU's API on a port chosen here rather than
        port 0, so that a restarted MCU (restart_mcu) is where the recorder looks for it."""
        self.args, self.work = args, work
        self.participants = participants
        self.rooms = rooms
        self.fixed_api_port = fixed_api_port
        self.mcu = self.recorder = None
        self.mcu_port = self.recorder_port = None
        self.mcu_config_path = None
        self.storage = os.path.join(work, "recordings")
        self.key_store = os.path.join(work, "keystore")
        self.rec_keys = os.path.join(work, "recording-keys.json")
        self.audit_log = os.path.join(work, "audit.log")
        self.audit_key = os.path.join(work, "audit.pem")
        self.audit_pub = os.path.join(work, "audit.pub.pem")
        self.keys = os.path.join(work, "keys.json")
        os.makedirs(self.storage)
        os.makedirs(self.key_store, mode=0o700)
        self._tool([args.token, "--new-key", self.keys, "--kid", "k1"], "tessera-token --new-key")
        self._tool([args.audit, "keygen", "--private", self.audit_key, "--public", self.audit_pub],
                   "tessera-audit keygen")
        self._tool([args.recorder, "keygen", "--keys", self.rec_keys, "--id", "kek1"],
                   "tessera-recorder keygen")
        # The bearer secret the MCU presents to the recorder, and the recorder checks.
        self.recorder_token = self._secret_file("recorder-api.token", secrets.token_hex(32))
        self.operator = self.mint("operator", sub="test-operator")
        self.admin = self.mint("admin", sub="test-admin")

    def _tool(self, argv, what):
        rc, out, err = run(argv)
        ensure(rc == 0, f"{what}: exit {rc}; stdout {out!r}; stderr {err!r}")
        return out

    def _secret_file(self, name, text):
        path = os.path.join(self.work, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        return path

    def mint(self, role, room=None, sub=None, ttl=300):
        argv = [self.args.token, "--keys", self.keys, "--role", role, "--ttl", str(ttl)]
        if room:
            argv += ["--room", room]
        if sub:
            argv += ["--sub", sub]
        out = self._tool(argv, " ".join(argv))
        lines = [l.strip() for l in out.splitlines() if l.strip()]
        ensure(lines and lines[-1].count(".") == 2, f"{' '.join(argv)}: no token in {out!r}")
        return lines[-1]

    # -- the MCU --

    def mcu_config(self, rtp_base):
        control = {"enabled": True, "listen_address": "127.0.0.1",
                   "port": self.mcu_port if self.fixed_api_port else 0, "drain_grace_s": 1,
                   "keys_file": self.keys,
                   "recorder": {"url": f"http://127.0.0.1:{self.recorder_port}",
                                "token_file": self.recorder_token}}
        audit = {"path": self.audit_log, "key_file": self.audit_key, "checkpoint_every": 10}
        rooms = self.rooms
        if rooms is None:
            rooms = [{"name": ROOM, "video": video_block(), "participants": self.participants},
                     {"name": OTHER_ROOM, "participants": []}]
        return ("server:\n  log_level: info\n  shards: 2\n"
                f"  rtp_ports: {rtp_base}-{rtp_base + RTP_PORTS - 1}\n"
                f"control: {json.dumps(control)}\naudit: {json.dumps(audit)}\n"
                f"rooms: {json.dumps(rooms)}\n")

    def start(self):
        """The MCU (its API on port 0), then the recorder on a port chosen here (the MCU's
        config names it). A port taken by a test beside this one between the check and the bind:
        again with new ones."""
        for attempt in range(3):
            self.recorder_port = free_port_block(1, (socket.SOCK_STREAM,))
            if self.fixed_api_port:
                self.mcu_port = free_port_block(1, (socket.SOCK_STREAM,))
            rtp_base = free_port_block(RTP_PORTS)
            self.mcu_config_path = write_config(os.path.join(self.work, "tessera.yaml"),
                                                self.mcu_config(rtp_base))
            try:
                self.launch_mcu()
                break
            except TestFailure:
                if attempt == 2 or "Address already in use" not in self.mcu.stderr():
                    raise
                self.kill(self.mcu)
                print("tessera could not bind a port; again with new ones")
        self.start_recorder()
        return self

    def launch_mcu(self):
        """tessera with the config written by start(), up to `tessera: ready` and its API's
        port (the same one again where fixed_api_port)."""
        self.mcu = Process([self.args.tessera, "--config", self.mcu_config_path], "tessera",
                           die_with_parent=True)
        self.mcu.wait_for_line(lambda l: l.strip() == "tessera: ready", START_TIMEOUT_S)
        line = self.mcu.wait_for_log(lambda l: LISTENING.search(l) is not None, 10)
        port = int(LISTENING.search(line).group(3))
        ensure(not self.fixed_api_port or port == self.mcu_port,
               f"tessera listens on {port}, expected {self.mcu_port}: {line}")
        self.mcu_port = port
        print(f"tessera: API on http://127.0.0.1:{self.mcu_port}")

    def restart_mcu(self):
        """SIGKILL to the MCU, then the same binary with the same config (same ports). Returns
        (monotonic time of the kill, monotonic time the new one was ready)."""
        ensure(self.fixed_api_port, "restart_mcu needs Stack(fixed_api_port=True)")
        killed = time.monotonic()
        self.kill(self.mcu)
        print(f"killed tessera (-9); starting it again with {self.mcu_config_path}")
        self.launch_mcu()
        return killed, time.monotonic()

    def recorder_config(self):
        mcu_token = self._secret_file("recorder-mcu.token", self.mint("operator", sub="recorder"))
        return write_config(os.path.join(self.work, "recorder.yaml"), (
            "listen_address: 127.0.0.1\n"
            f"port: {self.recorder_port}\n"
            f"api_token_file: {self.recorder_token}\n"
            f"mcu: {{url: 'http://127.0.0.1:{self.mcu_port}', token_file: {mcu_token}}}\n"
            "media: {bind_address: 127.0.0.1, advertise_address: 127.0.0.1}\n"
            f"key_file: {self.rec_keys}\n"
            f"key_store_dir: {self.key_store}\n"
            f"storage: {{local: {self.storage}}}\n"
            "log_level: info\n"))

    def start_recorder(self):
        self.recorder = Process([self.args.recorder, "run", "--config", self.recorder_config()],
                                "tessera-recorder", die_with_parent=True)
        try:
            line = self.recorder.wait_for_log(lambda l: RECORDER_API.search(l) is not None,
                                              START_TIMEOUT_S)
        except TestFailure as e:
            # Its log (spdlog's default sink) is on stdout: show it with the failure.
            self.recorder._drain_stdout(0.1)
            raise TestFailure(f"{e}\ntessera-recorder run's stdout:\n" +
                              "\n".join(self.recorder.lines[-40:]))
        port = int(RECORDER_API.search(line).group(2))
        ensure(port == self.recorder_port, f"the recorder listens on {port}, expected "
                                           f"{self.recorder_port}: {line}")
        print(f"tessera-recorder: API on http://127.0.0.1:{port}")

    @staticmethod
    def kill(p):
        if p and p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()

    def close(self):
        self.kill(self.recorder)
        self.kill(self.mcu)

    def stop_all(self):
        """SIGTERM to the recorder, then the MCU: both exit 0 (the MCU's audit log is sealed by a
        last checkpoint on a clean stop)."""
        if self.recorder and self.recorder.proc.poll() is None:
            rc = self.recorder.stop(20)
            ensure(rc == 0, f"tessera-recorder exited {rc} on SIGTERM; stderr:\n"
                            f"{self.recorder.stderr()}")
        rc = self.mcu.stop(20)
        ensure(rc == 0, f"tessera exited {rc} on SIGTERM; stderr:\n{self.mcu.stderr()}")

    # -- the APIs --

    def api(self, method, path, token="operator", body=None):
        tok = {"operator": self.operator, "admin": self.admin}.get(token, token)
        return http_request(self.mcu_port, method, path, tok, body)

    def recorder_list(self):
        a = expect(http_request(self.recorder_port, "GET", "/v1/recordings",
                                open(self.recorder_token).read().strip()), 200,
                   "the recorder's GET /v1/recordings")
        return a.json()["recordings"]

    def recording(self, rec_id, room=ROOM):
        return expect(self.api("GET", f"/v1/rooms/{room}/recordings/{rec_id}"), 200,
                      f"GET recording {rec_id}").json()

    def start_recording(self, room=ROOM):
        a = expect(self.api("POST", f"/v1/rooms/{room}/recordings", body={}), 202,
                   "POST recordings")
        rec = a.json()
        ensure(rec.get("state") == "starting" and rec.get("id"),
               f"POST recordings: expected state starting and an id, got {rec}")
        ensure(a.headers.get("location", "").endswith(f"/recordings/{rec['id']}"),
               f"POST recordings: Location {a.headers.get('location')!r}")
        rec = poll(f"recording {rec['id']} to leave starting",
                   lambda: self.recording(rec["id"], room), lambda r: r["state"] != "starting",
                   20)
        ensure(rec["state"] == "recording", f"the recording did not start: {rec}; recorder log:\n"
                                            f"{self.recorder.stderr()}")
        print(f"recording {rec['id']}: {rec['state']} (profile {rec.get('profile')!r}, "
              f"requested by {rec.get('requested_by')!r})")
        return rec["id"]

    def recorder_entry(self, rec_id):
        for r in self.recorder_list():
            if r["id"] == rec_id:
                return r
        return None

    def wait_media(self, rec_id, what, done, timeout_s=45):
        return poll(f"the recorder's {what}", lambda: self.recorder_entry(rec_id),
                    lambda r: r is not None and done(r), timeout_s, 0.25)

    def recorder_stop(self, rec_id):
        """DELETE on the recorder's own API (not through the MCU): 204."""
        expect(http_request(self.recorder_port, "DELETE", f"/v1/recordings/{rec_id}",
                            open(self.recorder_token).read().strip()), 204,
               f"the recorder's DELETE /v1/recordings/{rec_id}")

    def stop_recording(self, rec_id, room=ROOM):
        a = expect(self.api("DELETE", f"/v1/rooms/{room}/recordings/{rec_id}"), 200,
                   f"DELETE recording {rec_id}")
        ensure(a.json().get("state") in ("stopping", "stopped"),
               f"DELETE recording: expected stopping, got {a}")
        rec = poll(f"recording {rec_id} to stop", lambda: self.recording(rec_id, room),
                   lambda r: r["state"] not in ("stopping",), 30)
        ensure(rec["state"] == "stopped", f"the recording did not stop cleanly: {rec}")
        return rec

    def tsrec(self, rec_id):
        return os.path.join(self.storage, rec_id + ".tsrec")

    def verify(self, path):
        return run([self.args.recorder, "verify", path, "--keys", self.rec_keys, "--store",
                    self.key_store])

    def decrypt(self, path, out):
        return run([self.args.recorder, "decrypt", path, "--keys", self.rec_keys, "--store",
                    self.key_store, "-o", out])


# --- The recording file, and what ffmpeg makes of it ---------------------------------------------

def complete_chunks(path):
    """(complete chunks, offsets of their first bytes, final seen) of a .tsrec as it stands on
    disk: the writer's layout read here, to know what a crash left."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < len(MAGIC) + 4 or not data.startswith(MAGIC):
        return 0, [], False
    header_len = struct.unpack_from("!I", data, len(MAGIC))[0]
    off = len(MAGIC) + 4 + header_len
    count, offsets, final = 0, [], False
    while off + CHUNK_HEADER <= len(data):
        length, _index, flags = struct.unpack_from("!IQB", data, off)
        end = off + CHUNK_HEADER + length + TAG
        if end > len(data):
            break
        offsets.append(off)
        count += 1
        final = bool(flags & 1)
        off = end
    return count, offsets, final


def frame_times(path, selector):
    """The pts (s) of every frame of stream `selector` ("v:0", "a:0") that ffprobe decodes."""
    rc, out, err = run(["ffprobe", "-v", "error", "-select_streams", selector, "-show_entries",
                        "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
    ensure(rc == 0, f"ffprobe frames of {path} ({selector}): exit {rc}: {err}")
    return sorted(float(l.strip().rstrip(",")) for l in out.splitlines()
                  if l.strip() and l.strip().rstrip(",") != "N/A")


GAP_ENTRY = re.compile(r"gap (-?[0-9.]+)-(-?[0-9.]+) s: (.*)")


def gap_entries(path):
    """[(from s, to s, reason)] of the "recording gaps" subtitle track, as ffmpeg dumps it (SRT);
    None when the file has no subtitle track."""
    info = probe_streams(path)
    subs = [s for s in info["streams"] if s["codec_type"] == "subtitle"]
    if not subs:
        return None
    rc, out, err = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", path, "-map", "0:s:0",
                        "-f", "srt", "-"])
    ensure(rc == 0, f"ffmpeg could not dump the gaps track of {path}: exit {rc}: {err}")
    return [(float(m.group(1)), float(m.group(2)), m.group(3).strip())
            for m in GAP_ENTRY.finditer(out)], out


def probe_streams(path):
    rc, out, err = run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=index,codec_type,codec_name,width,height,sample_rate,channels,"
                        "start_time,duration", "-show_entries", "format=duration,format_name",
                        "-of", "json", path])
    ensure(rc == 0, f"ffprobe {path}: exit {rc}: {err}")
    return json.loads(out)


def count_video_frames(path):
    rc, out, err = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=nb_read_frames", "-of", "json", path])
    ensure(rc == 0, f"ffprobe -count_frames {path}: exit {rc}: {err}")
    streams = json.loads(out).get("streams", [])
    ensure(streams, f"{path}: no video stream")
    return int(streams[0].get("nb_read_frames", 0))


def video_lumas(path, work):
    """[(pts in s, mean luma)] of every decoded video frame, in order (passthrough: no frame made
    up or dropped)."""
    rc, out, err = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
    ensure(rc == 0, f"ffprobe frames of {path}: exit {rc}: {err}")
    times = [float(l.strip().rstrip(",")) for l in out.splitlines()
             if l.strip() and l.strip() != "N/A"]
    w, h = 80, 45
    raw = os.path.join(work, "video.gray")
    rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0",
                      "-fps_mode", "passthrough", "-vf", f"scale={w}:{h}", "-pix_fmt", "gray",
                      "-f", "rawvideo", "-y", raw])
    ensure(rc == 0, f"ffmpeg could not decode the recording's video: {err}")
    with open(raw, "rb") as f:
        data = f.read()
    os.unlink(raw)
    count = len(data) // (w * h)
    ensure(count == len(times), f"decoded {count} video frames but ffprobe lists {len(times)} "
                                "timestamps: cannot tell which frame had which time")
    return [(times[k], sum(data[k * w * h:(k + 1) * w * h]) / (w * h)) for k in range(count)]


def audio_samples(path, work):
    """The recording's audio as mono 16-bit at DECODE_RATE, sample 0 at container time 0 (a late
    start or a gap padded with silence), so sample i is at i / DECODE_RATE s."""
    raw = os.path.join(work, "audio.s16")
    rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0",
                      "-af", f"aresample={DECODE_RATE}:async=1:first_pts=0", "-ac", "1",
                      "-f", "s16le", "-y", raw])
    ensure(rc == 0, f"ffmpeg could not decode the recording's audio: {err}")
    with open(raw, "rb") as f:
        data = f.read()
    os.unlink(raw)
    return struct.unpack(f"<{len(data) // 2}h", data[:len(data) // 2 * 2])


def flash_onsets(lumas):
    values = [l for _, l in lumas]
    usual, brightest = statistics.median(values), max(values)
    ensure(brightest - usual > 30, f"no flash in the recording's video (median luma "
                                   f"{usual:.0f}, brightest {brightest:.0f})")
    threshold = (usual + brightest) / 2
    onsets, last_bright = [], None
    for t, l in lumas:
        if l < threshold:
            continue
        if last_bright is None or t - last_bright >= QUIET_BEFORE_S:
            onsets.append(t)
        last_bright = t
    return onsets


def beep_onsets(samples):
    peak = max(abs(s) for s in samples) if samples else 0
    ensure(peak > 1000, f"the recording's audio is silent (peak {peak}): no beep came through")
    threshold = peak / 4
    quiet = int(QUIET_BEFORE_S * DECODE_RATE)
    onsets, last_loud = [], None
    for i, s in enumerate(samples):
        if abs(s) < threshold:
            continue
        if last_loud is None or i - last_loud >= quiet:
            onsets.append(i / DECODE_RATE)
        last_loud = i
    return onsets


# --- Scenarios -----------------------------------------------------------------------------------

def camera_participant(consent="granted"):
    audio, video, back = free_port_pair(), free_port_pair(), free_port_pair()
    p = {"name": "cam", "local_port": audio, "remote_rtp_port": back, "deaf": True,
         "audio": {"codec": "PCMU"}, "video": {"codec": "H264", "local_port": video},
         "consent": consent}
    return p, audio, video


def verified_chunks(text):
    """The `chunks: N good` figure of verify's or decrypt's report."""
    m = re.search(r"chunks: (\d+) good", text)
    ensure(m is not None, f"no 'chunks: N good' in the report: {text}")
    return int(m.group(1))


def check_verify_ok(stack, path):
    """verify of a finished recording: exit 0, every chunk on disk good, the final one there."""
    rc, out, err = stack.verify(path)
    text = out + err
    print(f"verify: exit {rc}: {text.strip()}")
    ensure(rc == 0, f"tessera-recorder verify {path}: expected exit 0, got {rc}: {text}")
    ensure(re.search(r"final chunk: yes", text),
           f"verify does not say the final chunk is there: {text}")
    count, _, _ = complete_chunks(path)
    ensure(verified_chunks(text) == count,
           f"verify counts {verified_chunks(text)} good chunks, the file has {count}: {text}")
    return text


def tamper_checks(stack, path, work):
    """One byte flipped in the middle of a copy of a finished recording: verify exit 1 naming a
    chunk as changed; decrypt refuses and leaves no output."""
    copy = os.path.join(work, "tampered.tsrec")
    shutil.copyfile(path, copy)
    count, offsets, final = complete_chunks(copy)
    ensure(final and count >= 3, f"{path}: {count} chunks, final {final}: too short to tamper")
    size = os.path.getsize(copy)
    # The chunk holding the file's middle byte; a byte of its ciphertext (not of its length or
    # index, which verify would call malformed or reordered rather than changed).
    chunk = max(k for k, o in enumerate(offsets) if o <= size // 2)
    with open(copy, "rb") as f:
        f.seek(offsets[chunk])
        length = struct.unpack("!I", f.read(4))[0]
    ensure(length > 0, f"chunk {chunk} of {path} is empty")
    middle = offsets[chunk] + CHUNK_HEADER + length // 2
    with open(copy, "r+b") as f:
        f.seek(middle)
        b = f.read(1)
        f.seek(middle)
        f.write(bytes([b[0] ^ 0x01]))
    print(f"tamper: flipped byte {middle} of {size} (in chunk {chunk} of {count})")
    rc, out, err = stack.verify(copy)
    print(f"tamper: verify exit {rc}: {(out + err).strip()}")
    ensure(rc == 1, f"verify of a tampered copy: expected exit 1, got {rc}: {out}{err}")
    ensure("changed" in out + err and "chunk" in out + err,
           f"verify of a tampered copy does not name a changed chunk: {out}{err}")
    ensure(re.search(rf"changed: chunk {chunk}\b", out + err),
           f"verify of a tampered copy does not name chunk {chunk} as changed: {out}{err}")
    out_path = os.path.join(work, "tampered.mkv")
    rc, dout, derr = stack.decrypt(copy, out_path)
    print(f"tamper: decrypt exit {rc}: {(dout + derr).strip()}")
    ensure(rc == 1, f"decrypt of a tampered copy: expected exit 1, got {rc}: {dout}{derr}")
    ensure(not os.path.exists(out_path), f"decrypt of a tampered copy left {out_path}")
    os.unlink(copy)


def scenario_sync(args, work, tamper_only=False):
    cam, cam_audio, cam_video = camera_participant()
    stack = Stack(args, work, [cam])
    sender = None
    try:
        stack.start()
        rec_id = stack.start_recording()
        entry = stack.wait_media(rec_id, "join and first video frames",
                                 lambda r: r["joined"] and r["video_frames"] > 0)
        print(f"recorder joined: {entry}")
        seconds = 4 if tamper_only else SYNC_SECONDS
        sender = Process(sender_argv(seconds, cam_audio, cam_video), "camera",
                         die_with_parent=True)
        ensure(sender.wait_exit(seconds + 40) == 0, f"the camera failed: {sender.stderr()}")
        before = stack.recorder_entry(rec_id)
        print(f"recorder after the camera's {seconds} s: {before}")
        ensure(before and before["srtp_failures"] == 0 and before["malformed"] == 0,
               f"the recorder refused some of the MCU's packets: {before}")
        ensure(before["audio_frames"] > 0 and before["video_frames"] > 0,
               f"the recorder wrote no audio or no video: {before}")
        rec = stack.stop_recording(rec_id)
        print(f"recording stopped: {rec}")
        ensure(stack.recorder_entry(rec_id) is None, "the recorder still lists the recording")
        path = stack.tsrec(rec_id)
        ensure(os.path.exists(path), f"no recording file {path}")
        count, _, final = complete_chunks(path)
        print(f"{path}: {os.path.getsize(path)} bytes, {count} chunks, final chunk: {final}")
        ensure(final, "the finished recording has no final chunk")
        check_verify_ok(stack, path)
        out = os.path.join(work, "out.mkv")
        rc, dout, derr = stack.decrypt(path, out)
        print(f"decrypt: exit {rc}: {(dout + derr).strip()}")
        ensure(rc == 0 and os.path.exists(out), f"decrypt: exit {rc}: {dout}{derr}")
        info = probe_streams(out)
        kinds = {s["codec_type"]: s for s in info["streams"]}
        print("decrypted streams: " + "; ".join(
            f"{s['codec_type']} {s.get('codec_name')} "
            + (f"{s.get('width')}x{s.get('height')}" if s["codec_type"] == "video"
               else f"{s.get('sample_rate')} Hz x{s.get('channels')}")
            + f" start {s.get('start_time')}" for s in info["streams"])
            + f"; duration {info['format'].get('duration')} s")
        ensure("audio" in kinds and "video" in kinds,
               f"the decrypted recording lacks an audio or a video stream: {info}")
        if tamper_only:
            tamper_checks(stack, path, work)
            stack.stop_all()
            print("PASS tamper")
            return
        lumas = video_lumas(out, work)
        samples = audio_samples(out, work)
        print(f"decoded {len(lumas)} video frames, {len(samples) / DECODE_RATE:.2f} s of audio")
        flashes, beeps = flash_onsets(lumas), beep_onsets(samples)
        print(f"{len(flashes)} flashes at " + " ".join(f"{t:.3f}" for t in flashes))
        print(f"{len(beeps)} beeps at " + " ".join(f"{t:.3f}" for t in beeps))
        offsets = []
        for f in flashes:
            near = [b for b in beeps if abs(b - f) < 0.4]
            if near:
                b = min(near, key=lambda b: abs(b - f))
                offsets.append((b - f) * 1000)
                print(f"  flash at {f:8.3f} s, beep {offsets[-1]:+6.1f} ms after it")
        ensure(len(offsets) >= MIN_EVENTS, f"only {len(offsets)} events paired (want "
                                           f"{MIN_EVENTS})")
        median_abs = statistics.median(abs(o) for o in offsets)
        print(f"offset (beep after flash): median {statistics.median(offsets):+.1f} ms, "
              f"median |offset| {median_abs:.1f} ms, min {min(offsets):+.1f}, "
              f"max {max(offsets):+.1f} ms over {len(offsets)} events")
        ensure(median_abs < MEDIAN_LIMIT_MS, f"lip sync in the recording: median |offset| "
                                             f"{median_abs:.1f} ms (limit {MEDIAN_LIMIT_MS})")
        tamper_checks(stack, path, work)
        stack.stop_all()
    finally:
        Stack.kill(sender)
        stack.close()
    print("PASS sync")


def scenario_kill9(args, work):
    cam, cam_audio, cam_video = camera_participant()
    stack = Stack(args, work, [cam])
    sender = None
    try:
        stack.start()
        sender = Process(sender_argv(60, cam_audio, cam_video), "camera", die_with_parent=True)
        rec_id = stack.start_recording()
        path = stack.tsrec(rec_id)
        entry = stack.wait_media(
            rec_id, "bytes written and chunks on disk",
            lambda r: r["video_frames"] > 30 and r["bytes_written"] > 0
            and os.path.exists(path) and complete_chunks(path)[0] >= 3)
        ensure(sender.proc.poll() is None, f"the camera exited early: {sender.stderr()}")
        stack.recorder.proc.kill()   # SIGKILL
        stack.recorder.proc.wait()
        count, _, final = complete_chunks(path)
        size = os.path.getsize(path)
        print(f"killed the recorder (-9) at {entry}; {path}: {size} bytes, {count} complete "
              f"chunks, final: {final}")
        ensure(not final, "a final chunk after kill -9?")
        rc, out, err = stack.verify(path)
        text = out + err
        print(f"verify: exit {rc}: {text.strip()}")
        ensure(rc == 1, f"verify after kill -9: expected exit 1, got {rc}: {text}")
        ensure("no final chunk" in text or "truncated" in text,
               f"verify after kill -9 does not say the final chunk is missing: {text}")
        ensure("changed" not in text and "reordered" not in text and "malformed" not in text,
               f"verify after kill -9 finds a complete chunk damaged: {text}")
        ensure(verified_chunks(text) == count,
               f"verify after kill -9: {verified_chunks(text)} good chunks, but {count} complete "
               f"ones are on disk: every complete chunk must be intact: {text}")
        out_path = os.path.join(work, "crashed.mkv")
        rc, dout, derr = stack.decrypt(path, out_path)
        print(f"decrypt: exit {rc}: {(dout + derr).strip()}")
        ensure(os.path.exists(out_path) and os.path.getsize(out_path) > 0,
               f"decrypt after kill -9 kept no output (exit {rc}): {dout}{derr}")
        info = probe_streams(out_path)
        ensure(any(s["codec_type"] == "video" for s in info["streams"]),
               f"no video stream in the crashed recording: {info}")
        frames = count_video_frames(out_path)
        rc2, _, decode_err = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", out_path,
                                  "-map", "0:v:0", "-f", "null", "-"])
        decode_note = f": {decode_err.strip()[:300]}" if decode_err.strip() else ""
        print(f"crashed recording: {os.path.getsize(out_path)} bytes decrypted, {frames} video "
              f"frames decoded, ffmpeg exit {rc2}{decode_note}")
        ensure(frames > 0, "no decodable video frame in the crashed recording")
        # The MCU cannot reach the dead recorder: the stop fails, and the recording stays
        # `recording` with a reason saying so (DELETE again).
        expect(stack.api("DELETE", f"/v1/rooms/{ROOM}/recordings/{rec_id}"), 200,
               "DELETE after the recorder died")
        rec = poll("the MCU to give up the stop", lambda: stack.recording(rec_id),
                   lambda r: r["state"] != "stopping", 30)
        print(f"DELETE with the recorder dead: {rec}")
        ensure(rec["state"] == "recording" and "did not reach" in rec.get("reason", ""),
               f"DELETE with the recorder dead: expected state recording with a reason, "
               f"got {rec}")
        Stack.kill(sender)
        stack.stop_all()
    finally:
        Stack.kill(sender)
        stack.close()
    print("PASS kill9")


def scenario_reconnect(args, work):
    cam, cam_audio, cam_video = camera_participant()
    stack = Stack(args, work, [cam], fixed_api_port=True)
    sender = None
    try:
        stack.start()
        # The camera sends through the whole scenario, the MCU's restart included.
        sender = Process(sender_argv(120, cam_audio, cam_video), "camera", die_with_parent=True)
        rec_id = stack.start_recording()
        entry = stack.wait_media(rec_id, f"first {RECONNECT_BEFORE_S} s of video",
                                 lambda r: r["joined"] and
                                 r["video_frames"] >= RECONNECT_BEFORE_S * FPS)
        print(f"recorder before the restart: {entry}")
        ensure(entry["joins"] == 1 and entry["gaps"] == 0,
               f"a re-join or a gap before the MCU's restart: {entry}")
        frames_before = entry["video_frames"]
        mark = stack.recorder.log_mark()
        killed = time.monotonic()
        Stack.kill(stack.mcu)
        print("killed tessera (-9)")
        # The recorder notices by itself (no media for 3 s, or its check refused): a re-join
        # against a dead MCU, then backoff; the MCU comes back while it backs off.
        line = stack.recorder.wait_for_log(lambda l: "re-joining room" in l, 20, since=mark)
        print(f"the recorder noticed after {time.monotonic() - killed:.1f} s: {line.strip()}")
        # No media can flow before the new process exists: from the kill to its start is a lower
        # bound of the outage the timeline must jump over.
        outage = time.monotonic() - killed
        stack.launch_mcu()
        print(f"tessera started again {outage:.2f} s after the kill, ready "
              f"{time.monotonic() - killed:.2f} s after it (same config, API on {stack.mcu_port})")
        entry = stack.wait_media(rec_id, f"re-join and {RECONNECT_AFTER_S} s of video after it",
                                 lambda r: r["joins"] >= 2 and r["joined"] and
                                 r["video_frames"] >= frames_before
                                 + RECONNECT_AFTER_S * FPS, REJOIN_TIMEOUT_S)
        stack.recorder._drain_stdout()   # its log (stdout) up to now
        rejoin_log = [l.strip() for l in (stack.recorder.log_text(mark[0]).splitlines()
                                          + stack.recorder.lines[mark[1]:])
                      if "join" in l or "gap" in l or "no media" in l or "replaces" in l]
        print("recorder's log since the kill:\n  " + "\n  ".join(rejoin_log[-20:]))
        print(f"recorder after the re-join: {entry}")
        ensure(entry["joins"] >= 2, f"the recorder did not re-join: {entry}")
        ensure(entry["gaps"] >= 1, f"the recorder marked no gap: {entry}")
        ensure(entry["srtp_failures"] == 0 and entry["malformed"] == 0,
               f"the recorder refused some of the restarted MCU's packets: {entry}")
        ensure(sender.proc.poll() is None, f"the camera exited during the restart: "
                                           f"{sender.stderr()}")
        # The restarted MCU asks the recorder what it records and adopts it.
        answer = poll("the restarted MCU to know the recording",
                      lambda: stack.api("GET", f"/v1/rooms/{ROOM}/recordings/{rec_id}"),
                      lambda a: a.status == 200, 10, 0.25)
        mcu_view = answer.json()
        print(f"the restarted MCU's GET .../recordings/{rec_id}: {mcu_view}")
        ensure(mcu_view.get("state") == "recording",
               f"the restarted MCU does not list the running recording as recording: {mcu_view}")
        # Stopped through the recorder's own API.
        stack.recorder_stop(rec_id)
        ensure(stack.recorder_entry(rec_id) is None, "the recorder still lists the recording")
        # The MCU is not told of a stop made on the recorder: it still says `recording` (and
        # would refuse another start in the room) until a DELETE through it finds the recorder
        # answering 404, which it takes as stopped.
        after_stop = stack.recording(rec_id)
        print(f"the MCU's view after the recorder's own stop: {after_stop}")
        rec = stack.stop_recording(rec_id)
        print(f"after a DELETE through the MCU: {rec}")
        path = stack.tsrec(rec_id)
        check_verify_ok(stack, path)
        out = os.path.join(work, "out.mkv")
        rc, dout, derr = stack.decrypt(path, out)
        print(f"decrypt: exit {rc}: {(dout + derr).strip()}")
        ensure(rc == 0 and os.path.exists(out), f"decrypt: exit {rc}: {dout}{derr}")
        video = frame_times(out, "v:0")
        audio = frame_times(out, "a:0")
        ensure(len(video) >= 2, f"{len(video)} video frames in the recording")
        steps = [(video[k + 1] - video[k], k) for k in range(len(video) - 1)]
        jump, at = max(steps)
        before, after = video[:at + 1], video[at + 1:]
        print(f"video: {len(video)} frames, {video[0]:.3f}-{video[-1]:.3f} s; the longest step "
              f"{jump:.3f} s, from {video[at]:.3f} to {video[at + 1]:.3f} s; {len(before)} "
              f"frames before it, {len(after)} after")
        ensure(len(before) >= (RECONNECT_BEFORE_S - 1) * FPS and
               len(after) >= (RECONNECT_AFTER_S - 1) * FPS,
               f"the video does not span the restart: {len(before)} frames before the gap, "
               f"{len(after)} after")
        ensure(jump >= outage - 0.1,
               f"the timeline does not jump over the outage: the longest video step is "
               f"{jump:.3f} s, the MCU was down {outage:.3f} s")
        others = sorted((d for d, k in steps if k != at), reverse=True)[:1]
        ensure(not others or others[0] < 1.0,
               f"a second video step of {others[0]:.3f} s besides the gap")
        a_steps = [(audio[k + 1] - audio[k], k) for k in range(len(audio) - 1)]
        ensure(a_steps, f"{len(audio)} audio frames in the recording")
        a_jump, a_at = max(a_steps)
        print(f"audio: {len(audio)} frames, {audio[0]:.3f}-{audio[-1]:.3f} s; the longest step "
              f"{a_jump:.3f} s, from {audio[a_at]:.3f} to {audio[a_at + 1]:.3f} s")
        ensure(a_jump >= outage - 0.1 and audio[a_at] < video[at + 1] and
               audio[a_at + 1] > video[at],
               f"the audio does not jump over the same outage: {a_jump:.3f} s at "
               f"{audio[a_at]:.3f}")
        dumped = gap_entries(out)
        ensure(dumped is not None, f"no subtitle (gaps) track in {out}: {probe_streams(out)}")
        gaps, srt = dumped
        print("gaps track (SRT):\n  " + "\n  ".join(srt.strip().splitlines()))
        ensure(gaps, f"the gaps track has no entry: {srt!r}")
        g_from, g_to, reason = max(gaps, key=lambda g: g[1] - g[0])
        ensure(g_to - g_from >= outage - 0.1,
               f"the gap entry ({g_from:.3f}-{g_to:.3f} s) is shorter than the outage "
               f"({outage:.3f} s)")
        ensure(g_from <= video[at] + 0.5 and g_to <= video[at + 1] + 0.05,
               f"the gap entry ({g_from:.3f}-{g_to:.3f} s) is not where the video jumps "
               f"({video[at]:.3f}-{video[at + 1]:.3f} s)")
        Stack.kill(sender)
        stack.stop_all()
    finally:
        Stack.kill(sender)
        stack.close()
    print("PASS reconnect")


def scenario_refusals(args, work):
    # "quiet": sends audio (seen or heard), consent left at the default, unknown.
    quiet_audio, quiet_back = free_port_pair(), free_port_pair()
    quiet = {"name": "quiet", "local_port": quiet_audio, "remote_rtp_port": quiet_back,
             "deaf": True, "audio": {"codec": "PCMU"}}
    stack = Stack(args, work, [quiet])
    try:
        stack.start()
        base = f"/v1/rooms/{ROOM}/recordings"
        viewer = stack.mint("viewer", sub="a-viewer")
        other = stack.mint("operator", room=OTHER_ROOM, sub="other-room")
        expect(stack.api("POST", base, token=viewer, body={}), 403, "POST with a viewer token")
        expect(stack.api("POST", base, token=other, body={}), 403,
               "POST with another room's operator token")
        no_token = http_request(stack.mcu_port, "POST", base, None, {})
        expect(no_token, 401, "POST without a token")
        ensure("bearer" in no_token.headers.get("www-authenticate", "").lower(),
               f"401 without WWW-Authenticate: Bearer: {no_token.headers}")
        expect(stack.api("GET", base, token=other), 403, "GET with another room's token")
        listed = expect(stack.api("GET", base, token=viewer), 200, "GET list (viewer)").json()
        ensure(listed == {"recordings": []}, f"after refusals the list is not empty: {listed}")
        ensure(stack.recorder_list() == [], "the recorder records after refusals")
        ensure(os.listdir(stack.storage) == [], f"files after refusals: "
                                                f"{os.listdir(stack.storage)}")
        # Consent: "quiet" has none (unknown).
        a = expect(stack.api("POST", base, body={}), 409, "POST without everyone's consent")
        problem = a.json()
        print(f"start without consent: {a.status} {problem.get('detail')}")
        ensure(problem.get("type") == "urn:tessera:problem:consent-missing",
               f"409 of type {problem.get('type')}, expected consent-missing")
        ensure("quiet" in problem.get("detail", ""), f"409 does not name 'quiet': {problem}")
        ensure(stack.recorder_list() == [] and os.listdir(stack.storage) == [],
               "a recording began without consent")
        parts = expect(stack.api("GET", f"/v1/rooms/{ROOM}/participants"), 200,
                       "GET participants").json()["participants"]
        quiet_id = next(p["id"] for p in parts if p["name"] == "quiet")
        ensure(next(p for p in parts if p["name"] == "quiet").get("consent") == "unknown",
               f"quiet's consent is not unknown by default: {parts}")
        p = expect(stack.api("PATCH", f"/v1/rooms/{ROOM}/participants/{quiet_id}",
                             body={"consent": "granted"}), 200, "PATCH consent granted").json()
        ensure(p.get("consent") == "granted", f"PATCH answered {p}")
        rec_id = stack.start_recording()
        stack.wait_media(rec_id, "join", lambda r: r["joined"])
        ensure(os.path.exists(stack.tsrec(rec_id)), "no .tsrec for a running recording")
        # Withdrawn: the recording stops, naming who.
        expect(stack.api("PATCH", f"/v1/rooms/{ROOM}/participants/{quiet_id}",
                         body={"consent": "declined"}), 200, "PATCH consent declined")
        rec = poll("the recording to stop after consent was declined",
                   lambda: stack.recording(rec_id), lambda r: r["state"] == "stopped", 30)
        print(f"after the withdrawal: {rec}")
        ensure("quiet" in rec.get("reason", ""), f"the stop's reason does not name quiet: {rec}")
        poll("the recorder to drop the recording", stack.recorder_list, lambda l: l == [], 15)
        rc, out, err = stack.verify(stack.tsrec(rec_id))
        print(f"verify of the stopped recording: exit {rc}: {(out + err).strip()}")
        ensure(rc == 0, f"verify of the recording stopped by the withdrawal: {out}{err}")
        stack.stop_all()
        # The audit trail.
        rc, out, err = run([args.audit, "verify", stack.audit_log, "--public-key",
                            stack.audit_pub])
        print(f"tessera-audit verify: exit {rc}: {(out + err).strip()}")
        ensure(rc == 0, f"tessera-audit verify: expected exit 0, got {rc}: {out}{err}")
        ensure("checkpoint signatures verified" in out + err,
               f"tessera-audit verify did not check the checkpoints' signatures: {out}{err}")
        with open(stack.audit_log) as f:
            lines = f.read().splitlines()
        events = [json.loads(l) for l in lines]
        names = [e.get("event") for e in events if e.get("type") == "event"]
        print(f"audit: {len(lines)} lines; events: " + ", ".join(
            f"{n} x{names.count(n)}" for n in sorted(set(names), key=str)))
        consent = [e for e in events if e.get("event") == "consent.changed"]
        ensure(any(e.get("consent") == "granted" and e.get("participant") == "quiet"
                   for e in consent)
               and any(e.get("consent") == "declined" for e in consent),
               f"audit: no consent.changed to granted and declined for quiet: {consent}")
        for want in ("recording.starting", "recording.started", "recording.stopping",
                     "recording.stopped"):
            ensure(want in names, f"audit: no {want} event (events: {sorted(set(names), key=str)})")
        stopped = next(e for e in events if e.get("event") == "recording.stopped")
        ensure("quiet" in stopped.get("reason", ""), f"audit: recording.stopped without the "
                                                     f"reason: {stopped}")
        refused = [e for e in events if e.get("event") == "api.request"
                   and e.get("path") == base and e.get("status") in (401, 403)]
        ensure(len(refused) >= 3, f"audit: the refused requests are not all there: {refused}")
        # One line's content changed in a copy.
        target = next(k for k, e in enumerate(events) if e.get("event") == "consent.changed")
        tampered = lines[:]
        tampered[target] = tampered[target].replace('"consent":"granted"', '"consent":"declined"',
                                                    1)
        ensure(tampered[target] != lines[target], f"could not edit line {target + 1}: "
                                                  f"{lines[target]}")
        copy = os.path.join(work, "audit-tampered.log")
        with open(copy, "w") as f:
            f.write("\n".join(tampered) + "\n")
        rc, out, err = run([args.audit, "verify", copy, "--public-key", stack.audit_pub])
        print(f"tessera-audit verify (line {target + 1} edited): exit {rc}: "
              f"{(out + err).strip()}")
        ensure(rc == 1, f"tessera-audit verify of an edited copy: expected 1, got {rc}")
        ensure(re.search(rf"\bline {target + 1}\b", out + err),
               f"tessera-audit verify does not name line {target + 1}: {out}{err}")
    finally:
        stack.close()
    print("PASS refusals")


def scenario_exclude(args, work):
    cam, cam_audio, cam_video = camera_participant("granted")
    shy, shy_audio, shy_video = camera_participant("declined")
    shy["name"] = "shy"
    live_audio, live_video = free_port_pair(), free_port_pair()
    live = {"name": "live", "receive_only": True, "remote_rtp_port": live_audio,
            "audio": {"codec": "PCMU"},
            "video": {"send": False, "remote_rtp_port": live_video, "profile": "small"}}
    rooms = [{"name": ROOM, "video": video_block(), "recording": {"consent": "exclude"},
              "participants": [cam, shy, live]}]
    stack = Stack(args, work, None, rooms=rooms)
    senders = []
    try:
        stack.start()
        room = expect(stack.api("GET", f"/v1/rooms/{ROOM}"), 200, "GET the room").json()
        ensure((room.get("recording") or {}).get("consent") == "exclude",
               f"the room's recording policy is not exclude: {room.get('recording')}")
        cameras = (("cam", CAM_RGB, CAM_TONE_HZ, cam_audio, cam_video),
                   ("shy", SHY_RGB, SHY_TONE_HZ, shy_audio, shy_video))
        senders = [Process(colour_camera_argv(EXCLUDE_SECONDS, rgb, tone, a, v), name,
                           die_with_parent=True) for name, rgb, tone, a, v in cameras]
        # Not refused although "shy" declined (start_recording expects 202 and `recording`).
        asked = time.monotonic()  # the recording's first picture is after this
        rec_id = stack.start_recording()
        stack.wait_media(rec_id, "join and video frames",
                         lambda r: r["joined"] and r["video_frames"] > 30)
        had_media = time.monotonic()  # and before this
        live_out = os.path.join(work, "live.nut")
        receiver = Process(["ffmpeg", "-hide_banner", "-loglevel", "error",
                            "-protocol_whitelist", "file,udp,rtp",
                            "-i", live_sdp(os.path.join(work, "live.sdp"), live_audio,
                                           live_video),
                            "-t", str(LIVE_CAPTURE_S), "-c:v", "rawvideo", "-pix_fmt", "yuv420p",
                            "-c:a", "pcm_s16le", "-ar", str(DECODE_RATE), "-y", live_out],
                           "live receiver", die_with_parent=True)
        ensure(receiver.wait_exit(EXCLUDE_SECONDS + 30) == 0,
               f"the live receiver failed: {receiver.stderr()}")
        # "shy" grants consent while recorded: in the recording from then on.
        listed = expect(stack.api("GET", f"/v1/rooms/{ROOM}/participants"), 200,
                        "GET participants").json()["participants"]
        shy_entry = next(p for p in listed if p["name"] == "shy")
        ensure(shy_entry.get("recorded") is False,
               f"shy is not listed as left out of the recording: {shy_entry}")
        granting = time.monotonic()
        expect(stack.api("PATCH", f"/v1/rooms/{ROOM}/participants/{shy_entry['id']}",
                         body={"consent": "granted"}), 200, "PATCH shy's consent")
        granted = time.monotonic()
        for sender in senders:
            ensure(sender.wait_exit(EXCLUDE_SECONDS + 40) == 0,
                   f"a camera failed: {sender.stderr()}")
        rec = stack.recording(rec_id)
        ensure(rec["state"] == "recording",
               f"the recording did not go on under the exclude policy: {rec}")
        stack.stop_recording(rec_id)
        path = stack.tsrec(rec_id)
        check_verify_ok(stack, path)
        out = os.path.join(work, "out.mkv")
        rc, dout, derr = stack.decrypt(path, out)
        ensure(rc == 0 and os.path.exists(out), f"decrypt: exit {rc}: {dout}{derr}")
        check_live(live_out, work)
        # The grant is at least (granting - had_media) and at most (granted - asked) seconds
        # after the recording's first picture.
        check_recorded(out, work, granting - had_media, granted - asked)
        stack.stop_all()
    finally:
        for sender in senders:
            Stack.kill(sender)
        stack.close()
    print("PASS exclude")


def scenario_retention(args, work):
    # Its own module (this file is long enough); it imports this one for the Stack.
    from recorder_retention import scenario_retention as run_it
    run_it(args, work)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--recorder", required=True, help="the tessera-recorder binary")
    ap.add_argument("--audit", required=True, help="the tessera-audit binary")
    ap.add_argument("--token", required=True, help="the tessera-token binary")
    ap.add_argument("--scenario", required=True, choices=["sync", "kill9", "refusals", "tamper",
                                                      "reconnect", "exclude", "retention"])
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} is not installed")
            sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix=f"tessera-recorder-{args.scenario}-")
    print(f"work directory: {work}")
    started = time.monotonic()
    try:
        {"sync": scenario_sync, "kill9": scenario_kill9, "refusals": scenario_refusals,
         "reconnect": scenario_reconnect, "exclude": scenario_exclude,
         "retention": scenario_retention,
         "tamper": lambda a, w: scenario_sync(a, w, tamper_only=True)}[args.scenario](args, work)
    finally:
        print(f"{args.scenario}: {time.monotonic() - started:.1f} s")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
