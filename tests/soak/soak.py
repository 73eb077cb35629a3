#!/usr/bin/env python3
"""The churn soak: one tessera server under an hour (--minutes) of churn, its memory sampled, and
its LeakSanitizer report read when it exits. What docs/testing.md, "Churn soak under
LeakSanitizer", describes; scripts/soak.sh builds the LeakSanitizer binaries and runs this.

Against ONE server it starts on a generated config (in the output directory):

- steady media: two static video rooms of three participants (H.264 and VP8 cameras, Opus)
  and a viewer each, played by tessera-loadgen --config in back-to-back runs of a few minutes;
  half of the participants send through tessera-impair (loss, duplicates, reordering);
- room churn over the HTTP API: rooms created and deleted, participants joined and kicked, layouts
  changed, with G.711 audio sent to the joined participants and their mix read back; joins and
  leaves also in the long-lived SIP room;
- SIP call churn with SIPp: calls the caller ends with BYE over UDP and over TCP, and calls the
  server ends (kicked over the API, so the server sends the BYE), a few at a time, continuously;
- every few minutes an INVITE flood (flood_uac.xml, -r 300 -m 3000) at a room that does not
  exist, from an address of its own;
- a webhook receiver for the rooms' events;
- every 10 s: the server's VmRSS, threads and open fds (/proc), with figures from /metrics, into
  samples.csv.

At the end the churn stops, the script waits until the server is idle (no calls, only the static
rooms, no SIP message for longer than the SIP transaction timers' 32 s), samples the final RSS,
sends SIGTERM and reads the LeakSanitizer report from the server's stderr. The verdict goes to
stdout and result.json:

  PASS        the server exited 0, LeakSanitizer ran and found no leak, RSS is flat (the end RSS
              within max(8 MB, 10%) of the warm-up RSS; the slope over the second half under
              5 MB/hour), and every churn action that should have worked did;
  FAIL        any of those failed (exit status 1);
  INCOMPLETE  nothing failed, but a check could not be made: the binary has no LeakSanitizer,
              the churn was too short to judge RSS (under 30 minutes), or it was interrupted
              (exit status 2).

Waits poll a condition with a deadline (a log line, an HTTP answer, a metric, a process exit);
the churn's own pacing is time-based. Every child runs in its own process group (so Ctrl-C
reaches only this script, which then stops them in order) and is killed if this script dies.
A first Ctrl-C (or SIGTERM) ends the churn early and still shuts down cleanly, leak check
included; a second one kills everything at once.

usage: soak.py [--minutes 60] [--build-dir build-lsan | --tessera BIN --loadgen BIN ...] [--out DIR]
"""
import argparse
import csv
import datetime
import http.client
import http.server
import json
import math
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from tessera_harness import _binds  # noqa: E402

SCENARIOS = os.path.join(ROOT, "tests", "integration", "sip")
UDP, TCP = socket.SOCK_DGRAM, socket.SOCK_STREAM

# Verdict bounds (docs/testing.md explains them).
RSS_END_MB = 8.0          # the end RSS may exceed the warm-up RSS by max(this, RSS_END_PCT)
RSS_END_PCT = 10.0
MAX_SLOPE_MB_H = 5.0      # least-squares slope of RSS over the churn's second half
MIN_JUDGED_MIN = 30.0     # a shorter churn cannot show a flat RSS: its warm-up is too short and
#                           its second half too short for a slope; its RSS figures are reported,
#                           not judged
SIP_QUIET_S = 40          # no SIP message for this long: every transaction timer (64*T1 = 32 s) ran
IDLE_DEADLINE_S = 300
EXIT_DEADLINE_S = 300     # SIGTERM -> exit, the leak check at exit included
LSAN_EXITCODE = 23

STATIC_ROOMS = ["media-0", "media-1", "main"]
SIP_ROOM, SIP_NUMBER = "main", "4000"
SMALL_PROFILE = {"name": "small", "codec": "H264", "width": 160, "height": 96, "fps": 5,
                 "bitrate_kbps": 100}


def now():
    return time.monotonic()


def utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tail_file(path, n=3000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode(errors="replace")
    except OSError:
        return "(none)"


def mmss(seconds):
    seconds = int(seconds)
    return f"{seconds // 60:3d}:{seconds % 60:02d}"


# --- Bookkeeping ---------------------------------------------------------------------------------

class Context:
    """What every part shares: the counters, the error log, the stop events, the ports."""

    def __init__(self, args, out):
        self.args, self.out = args, out
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []
        self.error_log = open(os.path.join(out, "errors.log"), "a")
        self.event_log = open(os.path.join(out, "events.log"), "a")
        self.start = now()
        self.churn_stop = threading.Event()   # the churn ends (time is up, or interrupted)
        self.abort = threading.Event()        # something broke that ends the run early
        self.interrupted = False
        self.ports = PortPool(*args.port_range)
        # The helpers (load generator, relay, tessera-token, SIPp) of a sanitizer build check no
        # leaks of their own: the verdict is about the server.
        self.helper_env = dict(os.environ)
        for var in ("LSAN_OPTIONS", "ASAN_OPTIONS"):
            self.helper_env[var] = ":".join(filter(None, [os.environ.get(var, ""),
                                                          "detect_leaks=0"]))
        self.children = set()
        self.rng = random.Random(args.seed)

    def elapsed(self):
        return now() - self.start

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def get(self, key):
        with self.lock:
            return self.counts.get(key, 0)

    def event(self, text):
        with self.lock:
            self.event_log.write(f"{mmss(self.elapsed())} {text}\n")
            self.event_log.flush()

    def error(self, source, message, detail=""):
        """A churn action that should have worked and did not: counted, logged with its detail
        (a process's output tail), and printed in one line."""
        with self.lock:
            self.errors.append({"t_s": round(self.elapsed(), 1), "source": source,
                                "message": message})
            self.error_log.write(f"=== {mmss(self.elapsed())} [{source}] {message}\n")
            if detail:
                self.error_log.write(detail.rstrip() + "\n")
            self.error_log.flush()
        print(f"[{mmss(self.elapsed())}] ERROR [{source}] {message.splitlines()[0][:300]}"
              + (" (details in errors.log)" if detail else ""), flush=True)

    def rand(self):
        with self.lock:
            return self.rng.random()

    def choice(self, seq):
        with self.lock:
            return self.rng.choice(seq)

    def uniform(self, a, b):
        with self.lock:
            return self.rng.uniform(a, b)


class PortPool:
    """Ports of --port-range (30000-39999) handed out walking through the range, each block
    checked free on 127.0.0.1 first and held until released; a released block comes back only
    after the walk wraps around, so a port is not reused while the kernel may hold it
    (TIME_WAIT)."""

    def __init__(self, low, high):
        self.low, self.high = low, high
        self.next = random.randrange(low, high) & ~1
        self.held = set()
        self.lock = threading.Lock()

    def take(self, count, kinds=(UDP,)):
        with self.lock:
            for _ in range((self.high - self.low) // 2):
                p = self.next
                if p + count > self.high + 1:
                    p = self.low + (self.low & 1)
                self.next = p + count + (count & 1)
                if self.next > self.high:
                    self.next = self.low + (self.low & 1)
                block = range(p, p + count)
                if self.held.isdisjoint(block) and all(_binds(x, kinds) for x in block):
                    self.held.update(block)
                    return p
        raise RuntimeError(f"no {count} free consecutive ports in {self.low}-{self.high}")

    def release(self, start, count=1):
        with self.lock:
            self.held.difference_update(range(start, start + count))


# --- Child processes -----------------------------------------------------------------------------

SETPRIV = shutil.which("setpriv")


class Child:
    """A child process in its own process group (Ctrl-C on the terminal reaches only this
    script), killed by the kernel if this script dies (setpriv --pdeathsig: no preexec_fn, which
    is unsafe with threads). stdout and stderr go to files; with watch=True stdout is also read
    line by line (wait_line)."""

    def __init__(self, ctx, argv, name, stdout_path, stderr_path=None, env=None, cwd=None,
                 watch=False):
        self.ctx, self.name, self.argv = ctx, name, argv
        self.stdout_path, self.stderr_path = stdout_path, stderr_path or stdout_path
        wrapped = ([SETPRIV, "--pdeathsig", "KILL", "--"] if SETPRIV else []) + argv
        env = env if env is not None else ctx.helper_env
        self.out = open(stdout_path, "ab")
        self.err = open(stderr_path, "ab") if stderr_path else None
        self.lines = []
        self.cond = threading.Condition()
        self.eof = False
        self.proc = subprocess.Popen(wrapped, stdout=subprocess.PIPE if watch else self.out,
                                     stderr=self.err or subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                     start_new_session=True)
        with ctx.lock:
            ctx.children.add(self)
        self.reader = None
        if watch:
            self.reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
            self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.out.write(raw)
            self.out.flush()
            with self.cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def wait_line(self, predicate, timeout_s):
        """The first stdout line satisfying predicate; None if the child's stdout ended or the
        deadline passed first."""
        deadline = now() + timeout_s
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                remaining = deadline - now()
                if self.eof or remaining <= 0:
                    return None
                self.cond.wait(remaining)

    def send(self, sig):
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout_s):
        """The exit status, or None if it is still running at the deadline."""
        try:
            rc = self.proc.wait(timeout=max(0.0, timeout_s))
        except subprocess.TimeoutExpired:
            return None
        self._finish()
        return rc

    def stop(self, sig=signal.SIGTERM, timeout_s=30):
        """Signals, waits; past the deadline kills the group. Returns (status, killed)."""
        self.send(sig)
        rc = self.wait(timeout_s)
        if rc is not None:
            return rc, False
        self.kill()
        return self.proc.returncode, True

    def kill(self):
        self.send(signal.SIGKILL)
        self.proc.wait()
        self._finish()

    def _finish(self):
        if self.reader:
            self.reader.join(10)
        for f in (self.out, self.err):
            if f and not f.closed:
                f.close()
        with self.ctx.lock:
            self.ctx.children.discard(self)

    def tail(self, n=3000):
        text = tail_file(self.stdout_path, n)
        if self.stderr_path != self.stdout_path:
            text += f"\n--- stderr ({self.stderr_path}):\n" + tail_file(self.stderr_path, n)
        return f"$ {' '.join(self.argv)}\n--- output ({self.stdout_path}):\n{text}"


def kill_all(ctx):
    with ctx.lock:
        children = list(ctx.children)
    for c in children:
        if c.alive():
            print(f"killing {c.name} (pid {c.pid})", flush=True)
        c.send(signal.SIGKILL)
    for c in children:
        try:
            c.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass


# --- HTTP API ------------------------------------------------------------------------------------

class Api:
    """The control plane: one connection per request; answers (status, parsed JSON or None,
    body text); status 0 when no HTTP answer came."""

    def __init__(self, ctx, port, tokens):
        self.ctx, self.port, self.tokens = ctx, port, tokens

    def request(self, method, path, body=None, auth=True, timeout_s=15):
        headers = {}
        if auth:
            try:
                headers["Authorization"] = f"Bearer {self.tokens.get()}"
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                return 0, None, f"no token: {e}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            status = r.status
        except (OSError, http.client.HTTPException) as e:
            return 0, None, f"no HTTP answer: {e!r}"
        finally:
            conn.close()
        self.ctx.count("api_requests")
        text = raw.decode(errors="replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, parsed, text

    def expect(self, source, method, path, want, body=None):
        """The parsed answer when the status is `want`; else an error is counted and None
        returned."""
        status, parsed, text = self.request(method, path, body)
        if status != want:
            self.ctx.error(source, f"{method} {path}: expected {want}, got {status or 'none'}: "
                                   f"{text[:400]}",
                           f"request body: {json.dumps(body)[:2000]}" if body else "")
            return None
        return parsed if parsed is not None else {}


class Tokens:
    """Admin tokens from tessera-token, minted again before the 300 s the server allows run
    out."""

    def __init__(self, binary, keys, env):
        self.binary, self.keys, self.env = binary, keys, env
        self.lock = threading.Lock()
        self.token, self.minted = None, 0.0

    def get(self):
        with self.lock:
            if self.token is None or now() - self.minted > 200:
                p = subprocess.run([self.binary, "--keys", self.keys, "--role", "admin", "--sub",
                                    "soak", "--ttl", "300"], capture_output=True, text=True,
                                   timeout=30, env=self.env)
                lines = [l.strip() for l in p.stdout.splitlines() if l.strip()]
                if p.returncode != 0 or not lines:
                    raise RuntimeError(f"tessera-token failed ({p.returncode}): {p.stderr}")
                self.token, self.minted = lines[-1], now()
            return self.token


def metric_totals(text):
    """{family: sum of its samples} and {family{labels}: value} of a Prometheus exposition."""
    totals, series = {}, {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)", line)
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        totals[m.group(1)] = totals.get(m.group(1), 0.0) + value
        series[m.group(1) + (m.group(2) or "")] = value
    return totals, series


def scrape(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read().decode(errors="replace")
        if r.status != 200:
            raise OSError(f"/metrics answered {r.status}")
        return metric_totals(body)
    finally:
        conn.close()


# --- Threads ------------------------------------------------------------------------------------

class Worker(threading.Thread):
    """A churn thread: an exception in it is an error of the run, never silent."""

    def __init__(self, ctx, name):
        super().__init__(name=name, daemon=True)
        self.ctx = ctx

    def run(self):
        try:
            self.work()
        except Exception as e:  # noqa: BLE001: reported, and the run ends
            import traceback
            self.ctx.error(self.name, f"crashed: {e!r}", traceback.format_exc())
            self.ctx.abort.set()
            self.ctx.churn_stop.set()


# --- Media for the API's participants ------------------------------------------------------------

def ulaw(sample):
    """G.711 mu-law of a 16-bit sample."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, 32635) + 0x84
    exponent = max(0, min(7, magnitude.bit_length() - 8))
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def tone_frame(freq, amplitude):
    """20 ms of a tone at 8 kHz (a whole number of periods for 400 and 800 Hz)."""
    return bytes(ulaw(int(amplitude * 32767 * math.sin(2 * math.pi * freq * n / 8000)))
                 for n in range(160))


class Pump(Worker):
    """Sends 20 ms PCMU packets (a tone) from each joined participant's socket to its audio port
    and reads the room's mix that comes back to the same socket (its remote_rtp_port). Sinks
    (a viewer's video port) are only read."""

    FRAMES = [tone_frame(400, 0.3), tone_frame(800, 0.05)]

    def __init__(self, ctx):
        super().__init__(ctx, "pump")
        self.lock = threading.Lock()
        self.targets = {}  # key -> dict(sock, port, dest, seq, ts, ssrc, frame, received)
        self.stop_event = threading.Event()

    def open(self):
        """A socket bound to a port of the pool: the participant's remote_rtp_port."""
        port = self.ctx.ports.take(1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.setblocking(False)
        return s, port

    def add(self, key, sock, port, dest=None):
        with self.lock:
            self.targets[key] = {"sock": sock, "port": port, "dest": dest, "seq": 0, "ts": 0,
                                 "ssrc": random.getrandbits(32),
                                 "frame": self.FRAMES[len(self.targets) % 2], "received": 0,
                                 "since": now()}

    def remove(self, key):
        with self.lock:
            t = self.targets.pop(key, None)
        if t:
            self.close(t["sock"], t["port"])
            return t
        return None

    def close(self, sock, port):
        sock.close()
        self.ctx.ports.release(port)

    def work(self):
        period = 0.02
        due = now()
        while not self.stop_event.is_set():
            with self.lock:
                targets = list(self.targets.values())
            for t in targets:
                if t["dest"] is None:
                    continue
                header = struct.pack("!BBHII", 0x80, 0, t["seq"] & 0xFFFF, t["ts"] & 0xFFFFFFFF,
                                     t["ssrc"])
                t["seq"] += 1
                t["ts"] += 160
                try:
                    t["sock"].sendto(header + t["frame"], ("127.0.0.1", t["dest"]))
                    self.ctx.count("pump_packets_sent")
                except OSError:
                    pass  # closed under us by remove(), or ICMP from a port just closed
            due += period
            if due < now() - 1:
                due = now()  # a stall: go on from now rather than bursting
            # Until the next packet is due: read what came back (the mixes, the composites).
            while True:
                remaining = due - now()
                if remaining <= 0:
                    break
                socks = [t["sock"] for t in targets if t["sock"].fileno() >= 0]
                if not socks:
                    self.stop_event.wait(remaining)  # the pacing: nobody to read from
                    break
                try:
                    ready, _, _ = select.select(socks, [], [], remaining)
                except (OSError, ValueError):
                    break  # a socket closed by remove() meanwhile
                if not ready:
                    break
                for s in ready:
                    for t in targets:
                        if t["sock"] is s:
                            try:
                                while True:
                                    s.recv(2048)
                                    t["received"] += 1
                                    self.ctx.count("pump_packets_received")
                            except (BlockingIOError, OSError):
                                pass
            if self.stop_event.is_set():
                break
        with self.lock:
            for t in self.targets.values():
                self.close(t["sock"], t["port"])
            self.targets.clear()


# --- Webhooks ------------------------------------------------------------------------------------

class Webhooks:
    """A webhook receiver: counts the events the server posts, answers 200."""

    def __init__(self, ctx, port):
        self.ctx = ctx
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    kind = json.loads(body).get("type", "unknown")
                except ValueError:
                    kind = "unparseable"
                outer.ctx.count(f"webhook_{kind}")
                outer.ctx.count("webhook_deliveries")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhooks",
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- The server's config -------------------------------------------------------------------------

class Layout:
    """Every fixed port of the run and the two configs: the server's, and the load generator's
    (the same media rooms, with the impaired participants' server ports replaced by the relay's
    ports)."""

    PARTICIPANTS = 3  # cameras per media room, plus a viewer

    def __init__(self, ctx, out):
        self.ctx, self.out = ctx, out
        take = ctx.ports.take
        self.sip = take(1, (UDP, TCP))
        self.api = take(1, (TCP,))
        self.metrics = take(1, (TCP,))
        self.webhook = take(1, (TCP,))
        self.rtp_count = 200
        self.rtp = take(self.rtp_count)
        self.rooms = []       # (server room dict, loadgen room dict)
        self.impair_maps = []  # (listen, target)
        for r in range(2):
            server_ps, lg_ps = [], []
            for i in range(self.PARTICIPANTS):
                codec = "VP8" if i == 1 else "H264"
                pt = 97 if codec == "VP8" else 96
                audio_in, video_in = take(1), take(1)
                mix_out, composite_out = take(1), take(1)
                server_p = {"name": f"m{r}p{i}", "local_port": audio_in,
                            "remote_rtp_port": mix_out,
                            "audio": {"codec": "opus", "payload_type": 111},
                            "video": {"codec": codec, "payload_type": pt, "local_port": video_in,
                                      "remote_rtp_port": composite_out}}
                lg_p = json.loads(json.dumps(server_p))
                if (r + i) % 2 == 1:  # half of the cameras send through the impairment relay
                    relay_audio, relay_video = take(1), take(1)
                    self.impair_maps += [(relay_audio, audio_in), (relay_video, video_in)]
                    lg_p["local_port"] = relay_audio
                    lg_p["video"]["local_port"] = relay_video
                server_ps.append(server_p)
                lg_ps.append(lg_p)
            viewer = {"name": f"m{r}view", "video": {"send": False, "local_port": take(1),
                                                     "remote_rtp_port": take(1)}}
            server_ps.append(viewer)
            lg_ps.append(viewer)
            video = {"layout": "grid", "fit": "crop", "border_px": 2,
                     "profiles": [{"name": "out", "codec": "H264", "width": 640, "height": 360,
                                   "fps": 15, "bitrate_kbps": 500, "keyframe_interval_s": 2}]}
            self.rooms.append(({"name": f"media-{r}", "video": video, "participants": server_ps},
                               {"name": f"media-{r}", "video": video, "participants": lg_ps}))

    def write(self, keys, secret):
        control = {"enabled": True, "listen_address": "127.0.0.1", "port": self.api,
                   "metrics_port": self.metrics, "keys_file": keys, "drain_grace_s": 2,
                   "webhooks": [{"url": f"http://127.0.0.1:{self.webhook}/hooks",
                                 "secret_file": secret}]}
        sip_room = {"name": SIP_ROOM, "sip": {"numbers": [SIP_NUMBER]}, "max_participants": 60,
                    "video": {"profiles": [{"name": "phone", "codec": "H264", "width": 320,
                                            "height": 180, "fps": 10, "bitrate_kbps": 200}]},
                    "participants": []}
        server = ("# Written by tests/soak/soak.py\n"
                  "server:\n  log_level: info\n  shards: 2\n  bind_address: 127.0.0.1\n"
                  f"  rtp_ports: {self.rtp}-{self.rtp + self.rtp_count - 1}\n"
                  f"control: {json.dumps(control)}\n"
                  "sip:\n  listen:\n"
                  f"    - {{transport: udp, address: 127.0.0.1, port: {self.sip}}}\n"
                  f"    - {{transport: tcp, address: 127.0.0.1, port: {self.sip}}}\n"
                  "  trunks: [{name: soak, networks: [\"127.0.0.0/8\"]}]\n"
                  "  max_calls: 50\n"
                  f"rooms: {json.dumps([s for s, _ in self.rooms] + [sip_room])}\n")
        loadgen = ("# The media rooms as tessera-loadgen plays them (tests/soak/soak.py)\n"
                   f"rooms: {json.dumps([l for _, l in self.rooms])}\n")
        paths = (os.path.join(self.out, "tessera.yaml"), os.path.join(self.out, "loadgen.yaml"))
        for path, text in zip(paths, (server, loadgen)):
            with open(path, "w") as f:
                f.write(text)
        return paths


# --- The churn -----------------------------------------------------------------------------------

class Loadgen(Worker):
    """tessera-loadgen --config in back-to-back runs until the churn stops."""

    def __init__(self, ctx, binaries, config, pid):
        super().__init__(ctx, "loadgen")
        self.binaries, self.config, self.pid = binaries, config, pid
        self.dir = os.path.join(ctx.out, "loadgen")
        os.makedirs(self.dir, exist_ok=True)
        self.delivered = []

    def work(self):
        ctx, n = self.ctx, 0
        while not ctx.churn_stop.is_set():
            left = ctx.args.churn_s - ctx.elapsed()
            seconds = int(min(ctx.args.loadgen_seconds, left))
            if seconds < 15:
                break
            n += 1
            run_dir = os.path.join(self.dir, f"run-{n:03d}")
            argv = [self.binaries["loadgen"], "--config", self.config, "--pid", str(self.pid),
                    "--seconds", str(seconds), "--warmup", "3", "--drain-ms", "500",
                    "--input", "320x180@15", "--input-kbps", "250", "--quiet",
                    "--out-dir", run_dir]
            child = Child(ctx, argv, f"loadgen-{n}", os.path.join(self.dir, f"run-{n:03d}.out"))
            ctx.event(f"loadgen run {n}: {seconds} s (pid {child.pid})")
            signalled = False
            deadline = now() + seconds + 90
            while True:
                rc = child.wait(1.0)
                if rc is not None:
                    break
                if ctx.churn_stop.is_set() and not signalled:
                    child.send(signal.SIGINT)  # ends the sending early, still drains
                    signalled = True
                    deadline = min(deadline, now() + 60)
                if now() > deadline:
                    child.kill()
                    rc = None
                    break
            if rc is None:
                ctx.error("loadgen", f"run {n} did not end in time: killed", child.tail())
                continue
            if rc != 0:
                ctx.error("loadgen", f"run {n} exited {rc}", child.tail())
                continue
            ctx.count("loadgen_runs")
            self.check(n, run_dir, child)

    def check(self, n, run_dir, child):
        """The server answered: every room's composite arrived and was decoded."""
        try:
            with open(os.path.join(run_dir, "result.json")) as f:
                result = json.load(f)
        except (OSError, ValueError) as e:
            self.ctx.error("loadgen", f"run {n}: no result.json ({e})", child.tail())
            return
        rooms = result.get("rooms", [])
        if len(rooms) != 2:
            self.ctx.error("loadgen", f"run {n}: {len(rooms)} rooms in its result, expected 2",
                           child.tail())
        for room in rooms:
            if not room.get("decoded") or not room.get("composites"):
                self.ctx.error("loadgen", f"run {n}: room {room.get('room')}: no composite "
                                          f"decoded", json.dumps(room)[:3000])
                continue
            self.delivered.append(round(100 * room.get("delivered_ratio", 0), 1))
            self.ctx.count("loadgen_composites", room["composites"])
            self.ctx.count("loadgen_nacks_answered", room.get("retransmitted", 0))


class SipStream(Worker):
    """SIPp batches of one scenario from one source address, back to back: -m calls, -l at a
    time. caller_bye: the caller ends each call with BYE after -d ms. basic_call: the caller
    waits for the server's BYE (the API churn kicks the call)."""

    def __init__(self, ctx, binaries, name, scenario, transport, ip, service, target,
                 concurrent, calls, hold_ms):
        super().__init__(ctx, f"sip-{name}")
        self.binaries, self.label, self.scenario = binaries, name, scenario
        self.transport, self.ip, self.service, self.target = transport, ip, service, target
        self.concurrent, self.calls, self.hold_ms = concurrent, calls, hold_ms
        self.dir = os.path.join(ctx.out, "sipp")
        os.makedirs(self.dir, exist_ok=True)
        self.done = threading.Event()

    def work(self):
        try:
            n = 0
            while not self.ctx.churn_stop.is_set():
                n += 1
                self.batch(n)
        finally:
            self.done.set()

    def batch(self, n):
        ctx = self.ctx
        port = ctx.ports.take(1, (UDP, TCP))
        media = ctx.ports.take(4)
        control = ctx.ports.take(1)
        hold = int(ctx.uniform(*self.hold_ms))
        if self.scenario == "basic_call":
            period_ms = 3000  # one call every 3 s; the kick ends each a few seconds later
            limit_s = self.calls * 3 + 60
        else:
            period_ms = max(1000, hold // self.concurrent)  # about `concurrent` calls up at once
            limit_s = self.calls * period_ms // 1000 + hold // 1000 + 60
        base = os.path.join(self.dir, f"{self.label}-{n:03d}")
        stat = base + "_stat.csv"
        errors = base + "_errors.log"
        argv = [self.binaries["sipp"], "-sf", os.path.join(SCENARIOS, f"{self.scenario}.xml"),
                "-m", str(self.calls), "-l", str(self.concurrent), "-r", "1",
                "-rp", str(period_ms), "-d", str(hold), "-nostdin", "-t", self.transport,
                "-i", self.ip, "-p", str(port), "-mi", self.ip, "-mp", str(media),
                "-cp", str(control), "-timeout", f"{limit_s}s", "-timeout_error",
                "-recv_timeout", "20000", "-trace_err", "-error_file", errors,
                "-trace_stat", "-stf", stat, "-fd", "5", "-s", self.service, self.target]
        child = Child(ctx, argv, f"sipp-{self.label}-{n}", base + "_screen.txt", cwd=self.dir)
        ctx.event(f"sipp {self.label} batch {n}: {self.calls} calls, {self.concurrent} at a "
                  f"time, hold {hold} ms (pid {child.pid})")
        soft_exit = False
        rc = None
        deadline = now() + limit_s + 30
        while rc is None:
            rc = child.wait(1.0)
            if rc is not None:
                break
            if ctx.churn_stop.is_set() and not soft_exit:
                child.send(signal.SIGUSR1)  # no new calls; the ones up finish as written
                soft_exit = True
            if now() > deadline:
                child.kill()
                break
        ok, failed = sipp_stat(stat)
        ctx.count(f"sip_calls_{self.label}", ok)
        ctx.count("sip_calls", ok)
        if rc is None:
            ctx.error(self.name, f"batch {n} did not end within {limit_s + 30} s: killed "
                                 f"({ok} calls done, {failed} failed)",
                      child.tail() + f"\n--- errors ({errors}):\n" + tail_file(errors))
        elif rc != 0 or failed:
            ctx.count("sip_calls_failed", failed)
            ctx.error(self.name, f"batch {n}: sipp exited {rc}, {failed} failed calls "
                                 f"({ok} succeeded)",
                      child.tail() + f"\n--- errors ({errors}):\n" + tail_file(errors))
        else:
            for path in (errors,):  # empty on success
                if os.path.exists(path) and os.path.getsize(path) == 0:
                    os.unlink(path)
        ctx.ports.release(port)
        ctx.ports.release(media, 4)
        ctx.ports.release(control)


def sipp_stat(path):
    """(successful, failed) calls from the last line of SIPp's -trace_stat CSV."""
    try:
        with open(path, errors="replace") as f:
            rows = [l.rstrip("\n").split(";") for l in f if l.strip()]
    except OSError:
        return 0, 0
    if len(rows) < 2:
        return 0, 0
    head, last = rows[0], rows[-1]

    def col(name):
        try:
            return int(last[head.index(name)])
        except (ValueError, IndexError):
            return 0
    return col("SuccessfulCall(C)"), col("FailedCall(C)")


class Flood(Worker):
    """Every --flood-every-s seconds, an INVITE flood (3000 at 300/s) at a room that does not
    exist, from 127.0.0.9: what the per-source limit and the transaction table must absorb
    while the calls from other addresses go on."""

    def __init__(self, ctx, binaries, target):
        super().__init__(ctx, "flood")
        self.binaries, self.target = binaries, target
        self.dir = os.path.join(ctx.out, "sipp")
        os.makedirs(self.dir, exist_ok=True)

    def work(self):
        ctx, n = self.ctx, 0
        every = ctx.args.flood_every_s
        next_at = every / 2
        while not ctx.churn_stop.wait(max(0.0, next_at - ctx.elapsed())):
            if ctx.args.churn_s - ctx.elapsed() < 20:
                break
            n += 1
            next_at += every
            self.burst(n)

    def burst(self, n):
        ctx = self.ctx
        port, media, control = ctx.ports.take(1, (UDP, TCP)), ctx.ports.take(4), ctx.ports.take(1)
        base = os.path.join(self.dir, f"flood-{n:03d}")
        argv = [self.binaries["sipp"], "-sf", os.path.join(SCENARIOS, "flood_uac.xml"),
                "-m", "3000", "-r", "300", "-l", "100000", "-nostdin", "-t", "u1",
                "-i", "127.0.0.9", "-p", str(port), "-mi", "127.0.0.9", "-mp", str(media),
                "-cp", str(control), "-timeout", "60s", "-s", "nowhere",
                "-trace_stat", "-stf", base + "_stat.csv", "-fd", "5", self.target]
        child = Child(ctx, argv, f"flood-{n}", base + "_screen.txt", cwd=self.dir)
        ctx.event(f"flood {n}: 3000 INVITEs at 300/s (pid {child.pid})")
        rc = child.wait(90)
        if rc is None:
            child.kill()
            ctx.error("flood", f"flood {n} did not end within 90 s: killed", child.tail())
        elif rc != 0:
            ctx.error("flood", f"flood {n}: sipp exited {rc}", child.tail())
        else:
            sent, _ = sipp_stat(base + "_stat.csv")
            ctx.count("floods")
            ctx.count("flood_invites", sent)
        ctx.ports.release(port)
        ctx.ports.release(media, 4)
        ctx.ports.release(control)


class ApiChurn(Worker):
    """Over the HTTP API, a step every --api-step-s: rooms created (two audio participants the
    pump feeds and a video viewer, so the room encodes) and deleted after --room-life-s,
    participants joined and kicked in them and in the SIP room, layouts changed; and each
    second, the calls of the kicked-call stream seen active for a few seconds are kicked (the
    server sends the BYE)."""

    def __init__(self, ctx, api, pump, kick_stream):
        super().__init__(ctx, "api")
        self.api, self.pump, self.kick_stream = api, pump, kick_stream
        self.rooms = {}         # name -> {"created": t, "members": {id: member}, "life": s}
        self.main_members = {}  # id -> member, in the SIP room
        self.names_in_use = set()
        self.room_serial = 0
        self.name_serial = 0
        self.kick_at = {}       # call_id -> when to kick
        self.kicked = set()

    # Names: a new one for every participant by default, as callers come in real life (the
    # server must not keep anything per name once its participant left); --reuse-names takes
    # them from a pool of 64.
    def new_name(self):
        if not self.ctx.args.reuse_names:
            self.name_serial += 1
            return f"g{self.name_serial}"
        for i in range(64):
            if f"g{i}" not in self.names_in_use:
                self.names_in_use.add(f"g{i}")
                return f"g{i}"
        raise RuntimeError("the name pool is exhausted")

    def free_name(self, name):
        self.names_in_use.discard(name)

    def work(self):
        ctx = self.ctx
        next_step = ctx.elapsed() + 2
        while not ctx.churn_stop.is_set():
            self.kick_pass()
            if ctx.elapsed() >= next_step:
                self.step()
                next_step += ctx.args.api_step_s
            ctx.churn_stop.wait(1.0)
        # The churn is over: what the API made goes, and the kicked-call stream's last calls are
        # kicked until its SIPp ends.
        for name in list(self.rooms):
            self.delete_room(name)
        for member in list(self.main_members.values()):
            self.leave_room(SIP_ROOM, member)
        deadline = now() + 120
        while not self.kick_stream.done.is_set() and now() < deadline:
            self.kick_pass()
            self.kick_stream.done.wait(1.0)

    def step(self):
        ctx = self.ctx
        for name, room in list(self.rooms.items()):
            if ctx.elapsed() - room["created"] > room["life"]:
                self.delete_room(name)
        if len(self.rooms) < 2:
            self.create_room()
            return
        actions = ["join", "leave", "join_main", "leave_main", "layout", "read"]
        action = ctx.choice(actions)
        if action == "join":
            name = ctx.choice(sorted(self.rooms))
            if len(self.rooms[name]["members"]) < 6:
                self.join_room(name)
        elif action == "leave":
            name = ctx.choice(sorted(self.rooms))
            members = self.rooms[name]["members"]
            if len(members) > 1:
                self.leave_room(name, members[ctx.choice(sorted(members))])
        elif action == "join_main":
            if len(self.main_members) < 3:
                self.join_room(SIP_ROOM)
            elif self.main_members:
                self.leave_room(SIP_ROOM, self.main_members[ctx.choice(sorted(self.main_members))])
        elif action == "leave_main":
            if self.main_members:
                self.leave_room(SIP_ROOM, self.main_members[ctx.choice(sorted(self.main_members))])
        elif action == "layout":
            name = ctx.choice(sorted(self.rooms))
            layout = ctx.choice(["grid", "speaker", "pip"])
            if self.api.expect("api", "PATCH", f"/v1/rooms/{name}", 200,
                               {"layout": layout}) is not None:
                ctx.count("layout_changes")
        else:
            if self.api.expect("api", "GET", "/v1/rooms", 200) is not None:
                ctx.count("reads")

    def audio_member(self, room):
        """A participant body with a pump socket as its remote_rtp_port."""
        sock, port = self.pump.open()
        name = self.new_name()
        return {"name": name, "room": room, "sock": sock, "port": port,
                "body": {"name": name, "remote_rtp_port": port, "audio": {"codec": "PCMU"}}}

    def create_room(self):
        ctx = self.ctx
        self.room_serial += 1
        name = f"churn-{self.room_serial}"
        members = [self.audio_member(name), self.audio_member(name)]
        sink_sock, sink_port = self.pump.open()
        viewer_name = self.new_name()
        body = {"name": name, "max_participants": 10,
                "video": {"layout": "grid", "profiles": [dict(SMALL_PROFILE)]},
                "participants": [m["body"] for m in members] + [
                    {"name": viewer_name, "video": {"send": False, "profile": "small",
                                                    "remote_rtp_port": sink_port}}]}
        created = self.api.expect("api", "POST", "/v1/rooms", 201, body)
        listed = created is not None and self.api.expect(
            "api", "GET", f"/v1/rooms/{name}/participants", 200)
        if not listed:
            for m in members:
                self.pump.close(m["sock"], m["port"])
                self.free_name(m["name"])
            self.pump.close(sink_sock, sink_port)
            self.free_name(viewer_name)
            if created is not None:
                self.api.expect("api", "DELETE", f"/v1/rooms/{name}", 204)
            return
        ctx.count("rooms_created")
        ctx.event(f"api: room {name} created")
        by_name = {p["name"]: p for p in listed.get("participants", [])}
        room = {"created": ctx.elapsed(), "life": ctx.uniform(0.7, 1.3) * ctx.args.room_life_s,
                "members": {}}
        for m in members + [{"name": viewer_name, "room": name, "sock": sink_sock,
                             "port": sink_port, "viewer": True}]:
            p = by_name.get(m["name"])
            if not p or "id" not in p:
                ctx.error("api", f"room {name}: participant {m['name']} is not listed: {listed}")
                self.pump.close(m["sock"], m["port"])
                self.free_name(m["name"])
                continue
            m["id"] = p["id"]
            self.pump.add(f"{name}/{m['id']}", m["sock"], m["port"],
                          None if m.get("viewer") else p.get("audio_port"))
            room["members"][p["id"]] = m
        self.rooms[name] = room

    def delete_room(self, name):
        room = self.rooms.pop(name)
        if self.api.expect("api", "DELETE", f"/v1/rooms/{name}", 204) is not None:
            self.ctx.count("rooms_deleted")
            self.ctx.event(f"api: room {name} deleted")
            self.api.expect("api", "GET", f"/v1/rooms/{name}", 404)
        for pid, m in room["members"].items():
            self.pump.remove(f"{name}/{pid}")
            self.free_name(m["name"])

    def join_room(self, room_name):
        m = self.audio_member(room_name)
        joined = self.api.expect("api", "POST", f"/v1/rooms/{room_name}/participants", 201,
                                 m["body"])
        if joined is None or "id" not in joined or "audio_port" not in joined:
            if joined is not None:
                self.ctx.error("api", f"join {room_name}: no id or audio_port in {joined}")
            self.pump.close(m["sock"], m["port"])
            self.free_name(m["name"])
            return
        m["id"] = joined["id"]
        self.pump.add(f"{room_name}/{m['id']}", m["sock"], m["port"], joined["audio_port"])
        members = self.main_members if room_name == SIP_ROOM else self.rooms[room_name]["members"]
        members[m["id"]] = m
        self.ctx.count("joins")

    def leave_room(self, room_name, m):
        members = self.main_members if room_name == SIP_ROOM else self.rooms[room_name]["members"]
        members.pop(m["id"], None)
        path = f"/v1/rooms/{room_name}/participants/{m['id']}"
        if self.api.expect("api", "DELETE", path, 204) is not None:
            self.ctx.count("leaves")
            if self.ctx.rand() < 0.3:
                self.api.expect("api", "GET", path, 404)
        t = self.pump.remove(f"{room_name}/{m['id']}")
        if t:
            self.ctx.count("pump_members")
            if t["received"] > 0:
                self.ctx.count("pump_members_heard_mix")
        self.free_name(m["name"])

    def kick_pass(self):
        """Kicks the kicked-call stream's calls a few seconds after they are active."""
        listed = self.api.expect("api", "GET", "/v1/sip/calls", 200)
        if listed is None:
            return
        calls = listed.get("calls", [])
        self.ctx.count("max_calls_seen", 0)
        with self.ctx.lock:
            self.ctx.counts["max_calls_seen"] = max(self.ctx.counts["max_calls_seen"], len(calls))
        live = set()
        for c in calls:
            cid = c.get("call_id")
            live.add(cid)
            if self.kick_stream.ip not in str(c.get("remote", "")) or c.get("state") != "active":
                continue
            if cid not in self.kick_at:
                self.kick_at[cid] = now() + self.ctx.uniform(2, 6)
            elif cid not in self.kicked and now() >= self.kick_at[cid]:
                path = f"/v1/rooms/{c['room']}/participants/{c['participant_id']}"
                if self.api.expect("api", "DELETE", path, 204) is not None:
                    self.ctx.count("calls_kicked")
                self.kicked.add(cid)
        for cid in list(self.kick_at):
            if cid not in live:
                self.kick_at.pop(cid)
                self.kicked.discard(cid)


# --- Sampling and the verdict --------------------------------------------------------------------

class Sampler:
    """VmRSS, threads and fds of the server from /proc, CPU time, and figures from /metrics,
    a row of samples.csv each --sample-s."""

    FIELDS = ["t_s", "time_utc", "phase", "rss_kb", "threads", "fds", "cpu_s", "rooms",
              "participants", "sip_calls", "heap_in_use_kb", "heap_free_kb", "errors"]

    def __init__(self, ctx, pid, metrics_port):
        self.ctx, self.pid, self.metrics_port = ctx, pid, metrics_port
        self.path = os.path.join(ctx.out, "samples.csv")
        self.file = open(self.path, "w", newline="")
        self.writer = csv.DictWriter(self.file, self.FIELDS)
        self.writer.writeheader()
        self.rows = []
        self.scrape_failures = 0

    def proc(self):
        status = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                status[k] = v.strip()
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return (int(status["VmRSS"].split()[0]), int(status["Threads"]),
                len(os.listdir(f"/proc/{self.pid}/fd")), cpu)

    def sample(self, phase):
        try:
            rss, threads, fds, cpu = self.proc()
        except (OSError, KeyError, ValueError, IndexError):
            return None  # the server is gone: the caller sees it exit
        row = {"t_s": round(self.ctx.elapsed(), 1), "time_utc": utc(), "phase": phase,
               "rss_kb": rss, "threads": threads, "fds": fds, "cpu_s": round(cpu, 2),
               "errors": len(self.ctx.errors)}
        try:
            totals, series = scrape(self.metrics_port)
            row["rooms"] = int(totals.get("tessera_rooms", 0))
            row["participants"] = int(totals.get("tessera_participants", 0))
            row["sip_calls"] = int(totals.get("tessera_sip_active_calls", 0))
            heap_in = series.get('tessera_process_heap_bytes{state="in_use"}')
            heap_free = series.get('tessera_process_heap_bytes{state="free"}')
            # Blank where the server does not say (an older binary; LeakSanitizer's allocator,
            # which the C library's figures do not see, reads 0).
            if heap_in and heap_free is not None:
                row["heap_in_use_kb"] = int(heap_in / 1024)
                row["heap_free_kb"] = int(heap_free / 1024)
        except (OSError, http.client.HTTPException) as e:
            self.scrape_failures += 1
            self.ctx.error("metrics", f"GET /metrics on port {self.metrics_port}: {e!r}")
        self.writer.writerow(row)
        self.file.flush()
        self.rows.append(row)
        return row

    def close(self):
        self.file.close()


def slope_mb_per_hour(points):
    """Least-squares slope of (seconds, kB) points, in MB per hour."""
    if len(points) < 3:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] / 1024 for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx * 3600


LEAK_LINE = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\)")
LEAK_SUMMARY = re.compile(r"SUMMARY: \w+Sanitizer: (\d+) byte\(s\) leaked in (\d+) allocation")


def leak_report(stderr_path):
    """What LeakSanitizer (or another sanitizer) wrote to the server's stderr."""
    r = {"reports": 0, "direct_leaks": 0, "indirect_leaks": 0, "leaked_bytes": 0,
         "leaked_allocations": 0, "other_sanitizer_errors": 0, "first_leaks": []}
    try:
        f = open(stderr_path, errors="replace")
    except OSError:
        return r
    with f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        if "ERROR: LeakSanitizer" in line:
            r["reports"] += 1
        elif re.search(r"ERROR: (Address|Thread|UndefinedBehavior|Memory)Sanitizer", line) \
                or "runtime error:" in line:
            r["other_sanitizer_errors"] += 1
        m = LEAK_LINE.match(line.strip())
        if m:
            key = "direct_leaks" if m.group(1) == "Direct" else "indirect_leaks"
            r[key] += 1
            if len(r["first_leaks"]) < 5:  # the leak line and its stack, to the blank line
                end = i + 1
                while end < len(lines) and end < i + 40 and lines[end].strip():
                    end += 1
                r["first_leaks"].append("".join(lines[i:end]).strip())
        m = LEAK_SUMMARY.search(line)
        if m:
            r["leaked_bytes"] += int(m.group(1))
            r["leaked_allocations"] += int(m.group(2))
    return r


def has_leak_sanitizer(binary):
    """Whether the binary carries LeakSanitizer: linked to liblsan or libasan (GCC), or with the
    runtime inside it (clang), or neither (None: no LeakSanitizer)."""
    try:
        p = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30)
        for lib in ("liblsan", "libasan"):
            if lib in p.stdout:
                return lib
    except (OSError, subprocess.SubprocessError):
        pass
    needle, overlap = b"__lsan_", 16
    with open(binary, "rb") as f:
        prev = b""
        while True:
            chunk = f.read(1 << 22)
            if not chunk:
                break
            if needle in prev[-overlap:] + chunk:
                return "static"
            prev = chunk
    return None


def leak_check_disabled(env):
    for var in ("LSAN_OPTIONS", "ASAN_OPTIONS"):
        if re.search(r"(^|:)detect_leaks=(0|false)", env.get(var, "")):
            return var
    return None


# --- The run -------------------------------------------------------------------------------------

def find_binaries(args):
    build = args.build_dir
    if build and not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    b = {}
    for key, name in (("tessera", "tessera"), ("loadgen", "tessera-loadgen"),
                      ("impair", "tessera-impair"), ("token", "tessera-token")):
        path = getattr(args, key) or (os.path.join(build, name) if build else None)
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"soak: no {name} binary ({path}); give --build-dir or --{key}")
        b[key] = os.path.abspath(path)
    b["sipp"] = args.sipp or shutil.which("sipp")
    if not b["sipp"]:
        sys.exit("soak: sipp is not installed (Debian: sip-tester; scripts/setup.sh installs it)")
    return b


def start_server(ctx, binaries, env):
    """tessera on a generated config, started until `tessera: ready` and /healthz answers; new
    ports when one was taken between the check and the bind."""
    out = ctx.out
    keys = os.path.join(out, "keys.json")
    if not os.path.exists(keys):
        p = subprocess.run([binaries["token"], "--new-key", keys, "--alg", "HS256", "--kid",
                            "soak"], capture_output=True, text=True, timeout=30,
                           env=ctx.helper_env)
        if p.returncode != 0:
            sys.exit(f"soak: tessera-token --new-key failed ({p.returncode}): {p.stderr}")
    secret = os.path.join(out, "webhook.secret")
    with open(secret, "w") as f:
        f.write(f"{random.getrandbits(128):032x}\n")
    os.chmod(secret, 0o600)
    for attempt in range(3):
        layout = Layout(ctx, out)
        config, lg_config = layout.write(keys, secret)
        check = subprocess.run([binaries["tessera"], "--check-config", config],
                               capture_output=True, text=True, timeout=60,
                               env=ctx.helper_env)
        if check.returncode != 0:
            sys.exit(f"soak: the generated config is refused:\n{check.stdout}{check.stderr}")
        for name in ("tessera.stdout", "tessera.stderr"):
            open(os.path.join(out, name), "w").close()
        server = Child(ctx, [binaries["tessera"], "--config", config], "tessera",
                       os.path.join(out, "tessera.stdout"), os.path.join(out, "tessera.stderr"),
                       env=env, watch=True)
        ready = server.wait_line(lambda l: l.strip() == "tessera: ready", 60)
        if ready:
            break
        server.stop(signal.SIGKILL, 10)
        log = tail_file(os.path.join(out, "tessera.stderr"), 4000)
        if attempt == 2 or "Address already in use" not in log:
            sys.exit(f"soak: tessera did not start:\n{log}")
        print("tessera could not bind a port: again with others", flush=True)
    tokens = Tokens(binaries["token"], keys, ctx.helper_env)
    api = Api(ctx, layout.api, tokens)
    deadline = now() + 30
    while True:
        status, _, text = api.request("GET", "/healthz", auth=False)
        if status == 200:
            break
        if now() > deadline or not server.alive():
            sys.exit(f"soak: the API does not answer /healthz on port {layout.api}: {text}\n"
                     f"{tail_file(os.path.join(out, 'tessera.stderr'))}")
        time.sleep(0.1)  # poll interval
    return server, layout, lg_config, api


def wait_idle(ctx, api, layout, sampler, server):
    """Until the server holds no call, no room but the static ones, and no SIP message went
    either way for SIP_QUIET_S (longer than every transaction timer). Returns (idle, detail)."""
    deadline = now() + IDLE_DEADLINE_S
    last_sip, quiet_since, detail = None, now(), ""
    next_sample = now()
    while now() < deadline:
        if not server.alive():
            return False, "the server exited"
        if now() >= next_sample:
            sampler.sample("idle-wait")
            next_sample += ctx.args.sample_s
        try:
            totals, _ = scrape(layout.metrics)
        except (OSError, http.client.HTTPException) as e:
            detail = f"/metrics: {e!r}"
            time.sleep(1)  # poll interval
            continue
        sip = (totals.get("tessera_sip_messages_received_total", 0)
               + totals.get("tessera_sip_messages_sent_total", 0))
        if sip != last_sip:
            last_sip, quiet_since = sip, now()
        calls = totals.get("tessera_sip_active_calls", 0)
        rooms = totals.get("tessera_rooms", 0)
        status, listed, _ = api.request("GET", f"/v1/rooms/{SIP_ROOM}/participants")
        in_main = len((listed or {}).get("participants", [])) if status == 200 else -1
        quiet = now() - quiet_since
        detail = (f"{calls:.0f} calls, {rooms:.0f} rooms (static: {len(STATIC_ROOMS)}), "
                  f"{in_main} participants in {SIP_ROOM}, no SIP message for {quiet:.0f} s")
        if calls == 0 and rooms == len(STATIC_ROOMS) and in_main == 0 and quiet >= SIP_QUIET_S:
            return True, detail
        time.sleep(1)  # poll interval
    return False, detail


def verdict(ctx, sampler, facts):
    args = ctx.args
    rows = [r for r in sampler.rows if r.get("rss_kb")]
    churn = [r for r in rows if r["phase"] == "churn"]
    w0, w1 = args.warmup_window
    warm = [r["rss_kb"] for r in churn if w0 <= r["t_s"] <= w1]
    checks, reasons, incomplete = {}, [], []

    def check(name, ok, text, judged=True):
        checks[name] = {"ok": bool(ok) if judged else None, "detail": text}
        if not judged:
            incomplete.append(f"{name}: {text}")
        elif not ok:
            reasons.append(f"{name}: {text}")

    rss = {"warmup_window_s": [w0, w1], "warmup_samples": len(warm)}
    final = facts.get("final_rss_kb")
    if warm:
        rss["warmup_median_mb"] = round(statistics.median(warm) / 1024, 1)
    if final:
        rss["end_mb"] = round(final / 1024, 1)
    after = [r["rss_kb"] for r in rows if r["t_s"] > w1]
    if after:
        rss["max_after_warmup_mb"] = round(max(after) / 1024, 1)
    if rows:
        rss["first_mb"] = round(rows[0]["rss_kb"] / 1024, 1)
        rss["max_mb"] = round(max(r["rss_kb"] for r in rows) / 1024, 1)
    churn_end = facts.get("churn_end_s") or max((r["t_s"] for r in churn), default=0)
    second = [(r["t_s"], r["rss_kb"]) for r in churn if r["t_s"] >= churn_end / 2]
    span_min = (second[-1][0] - second[0][0]) / 60 if len(second) > 1 else 0
    slope = slope_mb_per_hour(second)
    rss["second_half_s"] = [round(second[0][0]), round(second[-1][0])] if second else None
    rss["slope_second_half_mb_per_h"] = round(slope, 2) if slope is not None else None
    allowed = None
    if warm:
        allowed = max(RSS_END_MB, statistics.median(warm) / 1024 * RSS_END_PCT / 100)
        rss["end_bound_mb"] = round(statistics.median(warm) / 1024 + allowed, 1)
    rss["bounds"] = {"end_over_warmup_mb": f"max({RSS_END_MB}, {RSS_END_PCT}% of warm-up)",
                     "slope_mb_per_h": MAX_SLOPE_MB_H, "judged_from_churn_min": MIN_JUDGED_MIN}
    long_enough = churn_end / 60 >= MIN_JUDGED_MIN - 0.5
    short = f"; a churn of {churn_end / 60:.1f} min is too short to judge (needs " \
            f"{MIN_JUDGED_MIN:.0f})"
    if not warm or not final:
        check("rss_end", False, "no warm-up samples or no final sample",
              judged=bool(warm) and long_enough)
    else:
        grew = final / 1024 - statistics.median(warm) / 1024
        check("rss_end", grew <= allowed,
              f"end {final / 1024:.1f} MB, warm-up {statistics.median(warm) / 1024:.1f} MB: "
              f"{grew:+.1f} MB (bound +{allowed:.1f} MB)" + ("" if long_enough else short),
              judged=long_enough)
    if slope is None:
        check("rss_slope", False, "too few samples in the second half", judged=False)
    else:
        check("rss_slope", slope <= MAX_SLOPE_MB_H,
              f"{slope:+.2f} MB/h over the last {span_min:.1f} min (bound {MAX_SLOPE_MB_H})"
              + ("" if long_enough else short), judged=long_enough)

    rc = facts.get("server_exit")
    killed = facts.get("server_killed")
    leak = facts["leak"]
    lsan = facts.get("lsan")
    disabled = facts.get("lsan_disabled")
    if killed or rc is None:
        check("server_exit", False, f"did not exit within {EXIT_DEADLINE_S} s of SIGTERM: killed")
    elif rc < 0:
        check("server_exit", False, f"ended by signal {-rc}")
    elif rc == LSAN_EXITCODE and lsan:
        check("server_exit", False, f"exit {rc}: LeakSanitizer found leaks")
    else:
        check("server_exit", rc == 0, f"exit {rc}")
    leak_ran = bool(lsan) and not disabled and not killed and rc is not None and rc >= 0
    leak["ran"] = leak_ran
    if not lsan:
        leak["why_not"] = ("the binary has no LeakSanitizer (not built with "
                           "-DTESSERA_SANITIZER=leak or ASan): no leak check was made")
    elif disabled:
        leak["why_not"] = f"detect_leaks=0 in {disabled}"
    elif not leak_ran:
        leak["why_not"] = "the server did not exit by itself, so the check at exit did not run"
    if leak_ran:
        found = leak["reports"] or leak["direct_leaks"] or leak["indirect_leaks"] \
            or rc == LSAN_EXITCODE
        check("leaks", not found,
              "none" if not found else
              f"{leak['direct_leaks']} direct, {leak['indirect_leaks']} indirect leaks, "
              f"{leak['leaked_bytes']} bytes in {leak['leaked_allocations']} allocations")
    else:
        check("leaks", False, "not checked: " + leak["why_not"], judged=False)
    if leak["other_sanitizer_errors"]:
        check("sanitizer_errors", False,
              f"{leak['other_sanitizer_errors']} other sanitizer errors in the server's stderr")
    check("idle", facts.get("idle"), facts.get("idle_detail", ""))
    check("churn_errors", not ctx.errors, f"{len(ctx.errors)} errors" +
          (f"; first: {ctx.errors[0]['source']}: {ctx.errors[0]['message'][:200]}"
           if ctx.errors else ""))
    if ctx.interrupted:
        incomplete.append("interrupted before the end")

    result = "FAIL" if reasons else ("INCOMPLETE" if incomplete else "PASS")
    counts = dict(sorted(ctx.counts.items()))
    return {"result": result, "reasons": reasons, "incomplete": incomplete, "checks": checks,
            "rss": rss, "threads": facts.get("threads"), "fds": facts.get("fds"),
            "counts": counts, "errors": len(ctx.errors), "first_errors": ctx.errors[:20],
            "server_exit_code": rc, "leak_check": leak, "impair": facts.get("impair"),
            "loadgen_delivered_pct_min": facts.get("delivered_min"),
            "minutes": args.minutes, "churn_s": round(facts.get("churn_end_s", 0), 1),
            "duration_s": round(ctx.elapsed(), 1), "binary": facts["binary"],
            "lsan_options": facts.get("lsan_options", ""), "started_utc": facts["started"],
            "out_dir": ctx.out, "interrupted": ctx.interrupted}


def progress(ctx, row):
    c = ctx.get
    rss = f"{row['rss_kb'] / 1024:6.1f} MB" if row else "   ?"
    print(f"[{mmss(ctx.elapsed())}] rss {rss} thr {row['threads'] if row else '?'} "
          f"fds {row['fds'] if row else '?'} | calls {c('sip_calls')} (udp {c('sip_calls_udp')} "
          f"tcp {c('sip_calls_tcp')} kicked {c('calls_kicked')}) | rooms +{c('rooms_created')} "
          f"-{c('rooms_deleted')} joins {c('joins')} leaves {c('leaves')} | floods {c('floods')} "
          f"| loadgen runs {c('loadgen_runs')} | errors {len(ctx.errors)}", flush=True)


def run(args):
    binaries = find_binaries(args)
    out = args.out or os.path.join("/tmp", "tessera-soak-" +
                                   datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if os.path.isdir(out) and os.listdir(out):
        sys.exit(f"soak: the output directory {out} is not empty: give a new one")
    os.makedirs(out, exist_ok=True)
    out = os.path.abspath(out)
    ctx = Context(args, out)
    env = dict(os.environ)
    for var in ("LSAN_OPTIONS", "ASAN_OPTIONS"):  # as scripts/soak.sh sets them
        env.setdefault(var, f"detect_leaks=1:exitcode={LSAN_EXITCODE}")
    lsan = has_leak_sanitizer(binaries["tessera"])
    facts = {"binary": binaries["tessera"], "started": utc(), "lsan": lsan,
             "lsan_disabled": leak_check_disabled(env), "lsan_options": env["LSAN_OPTIONS"]}
    print(f"soak: {args.minutes} min against {binaries['tessera']} "
          f"(LeakSanitizer: {lsan or 'no'}); output in {out}", flush=True)

    interrupts = []

    def on_signal(signum, _frame):
        interrupts.append(signum)
        if len(interrupts) > 1:
            raise KeyboardInterrupt
        print(f"\n[{mmss(ctx.elapsed())}] {signal.Signals(signum).name}: ending the churn and "
              f"shutting down (again to kill everything)", flush=True)
        ctx.interrupted = True
        ctx.churn_stop.set()
        ctx.abort.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    threads, webhooks, impair, pump, sampler = [], None, None, None, None
    try:
        server, layout, lg_config, api = start_server(ctx, binaries, env)
        ctx.event(f"tessera pid {server.pid}: SIP {layout.sip}, API {layout.api}, metrics "
                  f"{layout.metrics}, rtp {layout.rtp}-{layout.rtp + layout.rtp_count - 1}")
        print(f"tessera pid {server.pid}: SIP 127.0.0.1:{layout.sip} (udp, tcp), API "
              f":{layout.api}, metrics :{layout.metrics}", flush=True)
        sampler = Sampler(ctx, server.pid, layout.metrics)
        sampler.sample("start")
        webhooks = Webhooks(ctx, layout.webhook)
        impair_argv = [binaries["impair"], "--impair", args.impairment]
        for listen, target in layout.impair_maps:
            impair_argv += ["--map", f"{listen}:{target}"]
        impair = Child(ctx, impair_argv, "impair", os.path.join(out, "impair.out"),
                       os.path.join(out, "impair.err"), watch=True)
        if not impair.wait_line(lambda l: l.strip() == "ready", 30):
            raise RuntimeError(f"tessera-impair did not start:\n{impair.tail()}")

        target = f"127.0.0.1:{layout.sip}"
        pump = Pump(ctx)
        pump.start()
        c = args.sip_concurrency
        kick = SipStream(ctx, binaries, "kick", "basic_call", "u1", "127.0.0.4", SIP_ROOM,
                         target, max(1, c - 1), 6, (0, 0))
        threads = [
            Loadgen(ctx, binaries, lg_config, server.pid),
            SipStream(ctx, binaries, "udp", "caller_bye", "u1", "127.0.0.2", SIP_ROOM, target,
                      c, 12, (4000, 12000)),
            SipStream(ctx, binaries, "tcp", "caller_bye", "t1", "127.0.0.3", SIP_NUMBER, target,
                      c, 12, (4000, 12000)),
            kick,
            Flood(ctx, binaries, target),
            ApiChurn(ctx, api, pump, kick),
        ]
        for t in threads:
            t.start()

        # The churn: a sample each --sample-s, a progress line each minute.
        next_sample, next_progress = ctx.elapsed(), 60.0
        while ctx.elapsed() < args.churn_s and not ctx.churn_stop.is_set():
            if not server.alive():
                ctx.error("tessera", f"the server exited ({server.proc.returncode}) during the "
                                     f"churn", tail_file(os.path.join(out, "tessera.stderr")))
                ctx.abort.set()
                break
            if not impair.alive():
                ctx.error("impair", f"tessera-impair exited ({impair.proc.returncode})",
                          impair.tail())
                ctx.abort.set()
                break
            row = None
            if ctx.elapsed() >= next_sample:
                row = sampler.sample("churn")
                next_sample += args.sample_s
            if ctx.elapsed() >= next_progress:
                progress(ctx, row or (sampler.rows[-1] if sampler.rows else None))
                next_progress += 60
            ctx.churn_stop.wait(max(0.05, min(next_sample, next_progress) - ctx.elapsed()))
        facts["churn_end_s"] = ctx.elapsed()
        ctx.churn_stop.set()
        print(f"[{mmss(ctx.elapsed())}] churn over: waiting for the load generator, SIPp and "
              f"the API churn to finish", flush=True)
        deadline = now() + 240
        next_sample = ctx.elapsed()
        while any(t.is_alive() for t in threads) and now() < deadline:
            if ctx.elapsed() >= next_sample:
                sampler.sample("stopping")
                next_sample += args.sample_s
            for t in threads:
                t.join(0.5)
        for t in threads:
            if t.is_alive():
                ctx.error(t.name, "did not finish within 240 s of the end of the churn")
        pump.stop_event.set()
        pump.join(10)

        alive = server.alive()
        if alive:
            print(f"[{mmss(ctx.elapsed())}] waiting for the server to be idle (no calls, the "
                  f"static rooms only, no SIP message for {SIP_QUIET_S} s)", flush=True)
            facts["idle"], facts["idle_detail"] = wait_idle(ctx, api, layout, sampler, server)
            if not facts["idle"]:
                ctx.error("idle", f"the server is not idle after {IDLE_DEADLINE_S} s: "
                                  f"{facts['idle_detail']}")
            final = sampler.sample("final")
            facts["final_rss_kb"] = final["rss_kb"] if final else None
            first = sampler.rows[0]
            facts["threads"] = {"start": first["threads"],
                                "final": final["threads"] if final else None,
                                "max": max(r["threads"] for r in sampler.rows)}
            facts["fds"] = {"start": first["fds"], "final": final["fds"] if final else None,
                            "max": max(r["fds"] for r in sampler.rows)}
            if final:
                print(f"[{mmss(ctx.elapsed())}] idle: rss {final['rss_kb'] / 1024:.1f} MB, "
                      f"{final['threads']} threads, {final['fds']} fds; SIGTERM", flush=True)
        else:
            facts["idle"], facts["idle_detail"] = False, "the server exited before the end"
        rc, killed = server.stop(signal.SIGTERM, EXIT_DEADLINE_S)
        facts["server_exit"], facts["server_killed"] = rc, killed
        print(f"[{mmss(ctx.elapsed())}] tessera exited {rc}" + (" (killed)" if killed else ""),
              flush=True)
        irc, _ = impair.stop(signal.SIGTERM, 20)
        impair_stats = [json.loads(l) for l in impair.lines if l.startswith("{")]
        facts["impair"] = {"exit": irc, "maps": impair_stats}
        if irc != 0:
            ctx.error("impair", f"tessera-impair exited {irc}", impair.tail())
        delivered = threads[0].delivered if threads else []
        facts["delivered_min"] = min(delivered) if delivered else None
    except KeyboardInterrupt:
        print("\nsoak: interrupted twice: killing everything", flush=True)
        kill_all(ctx)
        return 130
    except Exception as e:  # noqa: BLE001: the setup failed; nothing to judge
        import traceback
        traceback.print_exc()
        print(f"soak: the run broke off: {e}", flush=True)
        kill_all(ctx)
        return 1
    finally:
        kill_all(ctx)
        if webhooks:
            webhooks.close()
        if sampler:
            sampler.close()

    facts["leak"] = leak_report(os.path.join(out, "tessera.stderr"))
    v = verdict(ctx, sampler, facts)
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(v, f, indent=2)
        f.write("\n")
    print_verdict(v)
    return {"PASS": 0, "FAIL": 1}.get(v["result"], 2)


def print_verdict(v):
    rss = v["rss"]
    lk = v["leak_check"]
    print("\n=== soak verdict: " + v["result"])
    print(f"RSS: warm-up {rss.get('warmup_median_mb')} MB (median of {rss['warmup_samples']} "
          f"samples, {rss['warmup_window_s'][0]:.0f}-{rss['warmup_window_s'][1]:.0f} s), end "
          f"{rss.get('end_mb')} MB (bound {rss.get('end_bound_mb')}), max after warm-up "
          f"{rss.get('max_after_warmup_mb')} MB, slope over the second half "
          f"{rss.get('slope_second_half_mb_per_h')} MB/h")
    if lk["ran"]:
        print(f"leaks: {lk['direct_leaks']} direct, {lk['indirect_leaks']} indirect, "
              f"{lk['leaked_bytes']} bytes ({lk['reports']} LeakSanitizer reports)")
    else:
        print(f"leaks: NOT CHECKED: {lk.get('why_not')}")
    print(f"server exit: {v['server_exit_code']}; errors: {v['errors']}")
    print("counts: " + ", ".join(f"{k} {n}" for k, n in v["counts"].items()))
    for name, c in v["checks"].items():
        mark = {True: "ok  ", False: "FAIL", None: "n/a "}[c["ok"]]
        print(f"  {mark} {name}: {c['detail']}")
    print(f"result: {os.path.join(v['out_dir'], 'result.json')}")
    print(json.dumps({k: v[k] for k in ("result", "reasons", "incomplete")}))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60, help="length of the churn (60)")
    ap.add_argument("--build-dir", default="build-lsan",
                    help="where the binaries are (build-lsan; relative to the repository)")
    for key in ("tessera", "loadgen", "impair", "token"):
        ap.add_argument(f"--{key}", help=f"the {key} binary (default: from --build-dir)")
    ap.add_argument("--sipp", help="the sipp binary (default: sipp on the PATH)")
    ap.add_argument("--out", help="output directory (/tmp/tessera-soak-<time>)")
    ap.add_argument("--port-range", default="30000-39999",
                    help="the UDP/TCP ports every process of the run uses (30000-39999)")
    ap.add_argument("--sample-s", type=float, default=10)
    ap.add_argument("--warmup", help="warm-up window in minutes, A-B (5-10 of an hour, scaled)")
    ap.add_argument("--loadgen-seconds", type=int, help="one load generator run (240)")
    ap.add_argument("--flood-every-s", type=float, help="INVITE flood interval (240)")
    ap.add_argument("--api-step-s", type=float, default=3, help="one API churn action (3)")
    ap.add_argument("--room-life-s", type=float, help="a churn room's life (60)")
    ap.add_argument("--sip-concurrency", type=int, default=3, help="calls up at once per stream")
    ap.add_argument("--impairment", default="drop=0.02,duplicate=0.01,reorder=0.05,depth=3,seed=7",
                    help="tessera-impair's --impair for the impaired cameras")
    ap.add_argument("--reuse-names", action="store_true",
                    help="names from a pool of 64, not a new name for every joined participant")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    args.churn_s = args.minutes * 60
    lo, _, hi = args.port_range.partition("-")
    args.port_range = (int(lo), int(hi))
    if args.warmup:
        a, _, b = args.warmup.partition("-")
        args.warmup_window = (float(a) * 60, float(b) * 60)
    else:
        args.warmup_window = (args.churn_s * 5 / 60, args.churn_s * 10 / 60)
    if args.loadgen_seconds is None:
        args.loadgen_seconds = int(min(240, max(30, args.churn_s / 4)))
    if args.flood_every_s is None:
        args.flood_every_s = min(240.0, max(60.0, args.churn_s / 3))
    if args.room_life_s is None:
        args.room_life_s = min(60.0, max(20.0, args.churn_s / 6))
    return args


if __name__ == "__main__":
    sys.exit(run(parse_args()))
