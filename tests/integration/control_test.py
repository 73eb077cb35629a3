#!/usr/bin/env python3
"""End-to-end tests of Tessera's HTTP API (the `control` block): the real tessera binary on
loopback, driven with Python's http.client, raw sockets where a client must misbehave, ffmpeg
cameras and an ffmpeg receiver where the API changes a picture, Python's http.server as the
webhook receiver, openssl for certificates, jsonschema for the OpenAPI document and promtool for
/metrics. Tokens come from tessera-token (built next to tessera), or are made here with the key
file's secret where a test needs claims the tool would never write.

Each case starts its own tessera with a config in a temporary directory (printed), the API on
port 0: the real port is read from the log line `control: listening on http(s)://ADDR:PORT`.
Waits poll a condition (a log line, an answer, a decoded picture, a delivery) with a deadline;
nothing sleeps to let something happen. The slow client's pace and the wait a 429's Retry-After
asks for are the test's input, not synchronisation.

Cases: rooms auth ratelimit limits openapi metrics webhooks drain tls. Exits 77 (skipped),
saying why, where a tool a case needs is missing (openssl for tls, python3-jsonschema for
openapi); promtool missing only skips that one check of `metrics`, saying so.

usage: control_test.py --tessera BIN --token TESSERA_TOKEN_BIN --case NAME
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, ensure, free_port_block,  # noqa: E402
                             free_port_pair, run, run_main, write_config, write_video_sdp)
from video_mix_test import (BLACK, FPS, HEIGHT, WIDTH, Receiver, Rect, Sender,  # noqa: E402
                            Viewer, describe_tiles, even, grid_expectation, tiles_check)

SKIP = 77
LISTENING = re.compile(r"control: listening on (https?)://(\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d+)")
RTP_PORTS = 40  # each server's own server.rtp_ports range: parallel tests never collide
START_TIMEOUT_S = 30
# The rooms case: the API's room with two cameras and a receive-only viewer of the composite.
ROOM = "api-room"
# A video room that costs nothing: its profile is encoded only while someone receives it.
SMALL_PROFILE = {"name": "small", "codec": "H264", "width": 160, "height": 96, "fps": 5,
                 "bitrate_kbps": 100}


# --- HTTP --------------------------------------------------------------------------------------

class Response:
    """One HTTP answer, with what was asked, for assertion messages."""

    def __init__(self, method, path, status, headers, body):
        self.method, self.path, self.status = method, path, status
        self.headers = headers  # names lower-case
        self.body = body
        self._json = None

    def header(self, name):
        return self.headers.get(name.lower(), "")

    def media_type(self):
        return self.header("content-type").split(";")[0].strip().lower()

    def json(self, what=None):
        if self._json is None:
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError) as e:
                raise TestFailure(f"{what or self.method + ' ' + self.path}: expected a JSON body, "
                                  f"got {self} ({e})")
        return self._json

    def __str__(self):
        text = self.body[:600].decode(errors="replace")
        return (f"{self.status} ({self.header('content-type') or 'no Content-Type'}) "
                f"{text!r}{'...' if len(self.body) > 600 else ''}")


class Api:
    """A client of the API: one connection per request (http.client), from any loopback
    address (source)."""

    def __init__(self, port, scheme="http", host="127.0.0.1", context=None):
        self.port, self.scheme, self.host, self.context = port, scheme, host, context

    def connection(self, source=None, timeout_s=15, context=None):
        source_address = (source, 0) if source else None
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout_s,
                                               context=context or self.context,
                                               source_address=source_address)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout_s,
                                          source_address=source_address)

    def request(self, method, path, token=None, body=None, headers=None, source=None,
                timeout_s=15):
        """body: a dict or list (sent as JSON), str or bytes (sent as they are)."""
        hdrs = {}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn = self.connection(source, timeout_s)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            answer = Response(method, path, r.status,
                              {k.lower(): v for k, v in r.getheaders()}, data)
        except (OSError, http.client.HTTPException) as e:
            raise TestFailure(f"{method} {path}{' from ' + source if source else ''}: no HTTP "
                              f"answer ({e!r})")
        finally:
            conn.close()
        return answer

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token=None, body=None, **kw):
        return self.request("POST", path, token, body, **kw)

    def patch(self, path, token=None, body=None, **kw):
        return self.request("PATCH", path, token, body, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token, **kw)


def expect_status(resp, status, what):
    ensure(resp.status == status, f"{what}: expected {status}, got {resp}")
    return resp


def expect_json(resp, status, what):
    """The parsed JSON body of an answer that must be `status` with application/json."""
    expect_status(resp, status, what)
    ensure(resp.media_type() == "application/json",
           f"{what}: expected Content-Type application/json, got {resp}")
    return resp.json(what)


def expect_problem(resp, status, slug, what):
    """An RFC 9457 problem: application/problem+json, type urn:tessera:problem:<slug>, the
    status, a title and a detail; a 422 lists its errors."""
    expect_status(resp, status, what)
    ensure(resp.media_type() == "application/problem+json",
           f"{what}: expected Content-Type application/problem+json, got {resp}")
    p = resp.json(what)
    ensure(isinstance(p, dict) and p.get("type") == f"urn:tessera:problem:{slug}"
           and p.get("status") == status and isinstance(p.get("title"), str) and p["title"]
           and isinstance(p.get("detail"), str) and p["detail"],
           f"{what}: expected a problem with type urn:tessera:problem:{slug}, status {status}, "
           f"a title and a detail; got {p}")
    if status == 422:
        errors = p.get("errors")
        ensure(isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors),
               f"{what}: expected a 422 problem with a non-empty list of errors, got {p}")
    return p


def retry_after(resp, what):
    value = resp.header("retry-after")
    ensure(value.isdigit() and int(value) >= 1,
           f"{what}: expected a Retry-After of whole seconds >= 1, got {value!r} ({resp})")
    return int(value)


def room_names(api, token):
    listed = expect_json(api.get("/v1/rooms", token), 200, "GET /v1/rooms")
    ensure(isinstance(listed.get("rooms"), list), f"GET /v1/rooms: no rooms list in {listed}")
    return [r["name"] for r in listed["rooms"]]


class RawAnswer:
    """What a raw socket got: kind is response, closed, reset, timeout or garbage."""

    def __init__(self, kind, status=None, headers=None, body=b"", raw=b""):
        self.kind, self.status, self.headers, self.body, self.raw = (kind, status, headers or {},
                                                                     body, raw)

    def __str__(self):
        if self.kind == "response":
            return f"{self.status} {self.body[:300]!r}"
        return f"{self.kind} after {len(self.raw)} bytes {self.raw[:200]!r}"


def parse_http(data):
    """A RawAnswer from bytes received, or None while the response is incomplete."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    lines = data[:head_end].decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        return RawAnswer("garbage", raw=data)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if len(data) < head_end + 4 + length:
        return None
    return RawAnswer("response", int(m.group(1)), headers,
                     data[head_end + 4:head_end + 4 + length], data)


def read_http(sock, timeout_s):
    """One HTTP response on a raw socket, or how the connection ended without one."""
    deadline = time.monotonic() + timeout_s
    data = b""
    while True:
        answer = parse_http(data)
        if answer:
            return answer
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return RawAnswer("timeout", raw=data)
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return RawAnswer("timeout", raw=data)
        except ConnectionResetError:
            return RawAnswer("reset", raw=data)
        if not chunk:
            return RawAnswer("closed", raw=data)
        data += chunk


def raw_problem_type(answer):
    """The problem type of a RawAnswer's JSON body, or None."""
    try:
        return json.loads(answer.body).get("type")
    except (ValueError, AttributeError):
        return None


def raw_request(port, data, timeout_s, source="127.0.0.1"):
    """Sends `data` as it is on a new connection; returns the RawAnswer."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(timeout_s)
        sock.connect(("127.0.0.1", port))
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before all of it went out: read what came
        return read_http(sock, timeout_s)


def metric_samples(text):
    """[(name, {label: value}, float)] of a Prometheus text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$", line)
        if not m:
            raise TestFailure(f"/metrics: a line that is not a sample: {line!r}")
        labels = dict(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                 m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def metric_value(samples, name, **labels):
    """The sum of `name`'s samples whose labels include `labels`; None when there is none."""
    values = [v for n, l, v in samples if n == name and all(l.get(k) == w
                                                            for k, w in labels.items())]
    return sum(values) if values else None


# --- Tokens ------------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keys:
    """The key file (control.keys_file), made and read as an operator would: tessera-token."""

    def __init__(self, args, work, name="keys.json"):
        self.args, self.path = args, os.path.join(work, name)

    def add(self, kid, alg="HS256"):
        rc, out, err = run([self.args.token, "--new-key", self.path, "--alg", alg, "--kid", kid])
        ensure(rc == 0 and kid in out,
               f"tessera-token --new-key {self.path} --alg {alg} --kid {kid}: expected exit 0 "
               f"printing the kid, got exit {rc}, stdout {out!r}, stderr {err!r}")
        mode = os.stat(self.path).st_mode & 0o777
        ensure(mode == 0o600, f"tessera-token made {self.path} with mode {mode:o}, expected 600")

    def mint(self, role, room=None, kid="k1", ttl=None, sub=None):
        argv = [self.args.token, "--keys", self.path, "--role", role]
        for flag, value in (("--room", room), ("--kid", kid), ("--ttl", ttl), ("--sub", sub)):
            if value is not None:
                argv += [flag, str(value)]
        rc, out, err = run(argv)
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        ensure(rc == 0 and lines and lines[-1].count(".") == 2,
               f"{' '.join(argv)}: expected exit 0 and a token, got exit {rc}, stdout {out!r}, "
               f"stderr {err!r}")
        return lines[-1]

    def document(self):
        with open(self.path) as f:
            return json.load(f)

    def secret(self, kid):
        for key in self.document()["keys"]:
            if key.get("kid") == kid:
                return b64url_decode(key["secret"])
        raise TestFailure(f"{self.path} has no key {kid}")

    def remove(self, kid):
        """Rewrites the file without `kid`, atomically and 0600, as an operator rotating keys."""
        doc = self.document()
        doc["keys"] = [k for k in doc["keys"] if k.get("kid") != kid]
        tmp = self.path + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.path)


def claims(role="admin", iat_offset=0, lifetime=300, **extra):
    """Claims a token for this server's defaults carries (iss and aud "tessera"); iat now plus
    iat_offset, exp lifetime after it. extra overrides (None removes a claim)."""
    now = int(time.time()) + iat_offset
    c = {"iss": "tessera", "aud": "tessera", "role": role, "iat": now, "exp": now + lifetime}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def craft(secret, body, kid="k1", alg="HS256"):
    """A JWT made here with an HS256 (or another HMAC) key's secret: the claims a test needs
    that tessera-token would never write. alg "none": no signature."""
    header = {"alg": alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(body).encode()))
    if alg == "none":
        return signing_input + "."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return signing_input + "." + b64url(hmac.new(secret, signing_input.encode(), digest).digest())


# --- The server --------------------------------------------------------------------------------

class Tessera:
    """tessera with a `control` block (JSON is YAML), rooms from the config, and an Api on the
    port its log names."""

    def __init__(self, args, work, control, rooms=(), extra_yaml="", name="tessera",
                 context=None, metrics_port=False, bind_address=None):
        self.args, self.work, self.name = args, work, name
        self.bind_address = bind_address  # server.bind_address (media); None: the default
        self.control, self.rooms, self.extra_yaml = dict(control), list(rooms), extra_yaml
        self.context = context  # for https: trusts the server's certificate
        self.want_metrics_port = metrics_port
        self.proc = self.api = self.port = self.scheme = None
        self.rtp_base = self.metrics_port = None

    def control_block(self):
        block = {"enabled": True, "listen_address": "127.0.0.1", "port": 0, "drain_grace_s": 1}
        block.update(self.control)
        if self.metrics_port:
            block["metrics_port"] = self.metrics_port
        return block

    def config_text(self):
        text = ("server:\n  log_level: info\n  shards: 2\n"
                + (f"  bind_address: {self.bind_address}\n" if self.bind_address else "")
                + f"  rtp_ports: {self.rtp_base}-{self.rtp_base + RTP_PORTS - 1}\n"
                f"control: {json.dumps(self.control_block())}\n")
        if self.rooms:
            text += f"rooms: {json.dumps(self.rooms)}\n"
        return text + self.extra_yaml

    def start(self):
        """Starts tessera and waits for `tessera: ready` and the API's listening line. A port
        found free may be taken by a test beside this one before tessera binds it: then again
        with new ones."""
        for attempt in range(3):
            self.rtp_base = free_port_block(RTP_PORTS)
            if self.want_metrics_port:
                self.metrics_port = free_port_block(1, (socket.SOCK_STREAM,))
            path = write_config(os.path.join(self.work, f"{self.name}.yaml"), self.config_text())
            self.proc = Process([self.args.tessera, "--config", path], self.name,
                                die_with_parent=True)
            try:
                self.proc.wait_for_line(lambda l: l.strip() == "tessera: ready", START_TIMEOUT_S)
                break
            except TestFailure:
                if attempt == 2 or "Address already in use" not in self.proc.stderr():
                    raise
                self.kill()
                print(f"{self.name} could not bind a port; again with new ones")

        def api_line(line):
            m = LISTENING.search(line)
            return bool(m) and int(m.group(3)) != self.metrics_port
        line = self.proc.wait_for_log(api_line, 10)
        m = LISTENING.search(line)
        self.scheme, self.port = m.group(1), int(m.group(3))
        ensure(m.group(2) == self.control_block()["listen_address"],
               f"the API listens on {m.group(2)}, expected the configured "
               f"{self.control_block()['listen_address']}: {line}")
        self.api = Api(self.port, self.scheme, context=self.context)
        print(f"{self.name}: API on {self.scheme}://127.0.0.1:{self.port}"
              + (f", metrics on port {self.metrics_port}" if self.metrics_port else ""))
        return self

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.kill()
            raise

    def __exit__(self, *exc):
        self.kill()

    def alive(self):
        ensure(self.proc.proc.poll() is None,
               f"{self.name} exited ({self.proc.proc.returncode}); stderr:\n{self.proc.stderr()}")

    def signal(self, sig):
        self.alive()
        self.proc.proc.send_signal(sig)

    def stop(self, timeout_s=20):
        """SIGTERM; drains for control.drain_grace_s (1 s unless a case sets it), then exits 0."""
        self.alive()
        rc = self.proc.stop(timeout_s)
        ensure(rc == 0, f"{self.name} exited {rc} on SIGTERM, expected 0; stderr:\n"
                        f"{self.proc.stderr()}")

    def kill(self):
        if self.proc and self.proc.proc.poll() is None:
            self.proc.proc.kill()
            self.proc.proc.wait()

    def in_rtp_range(self, port):
        return isinstance(port, int) and self.rtp_base <= port < self.rtp_base + RTP_PORTS


def small_room(name, participants=()):
    return {"name": name, "video": {"profiles": [dict(SMALL_PROFILE)]},
            "participants": list(participants)}


def audio_participant(name):
    """A participant with audio only (its mix goes to a port nobody reads); its local port is
    allocated from the server's rtp_ports."""
    return {"name": name, "remote_rtp_port": free_port_pair(), "audio": {"codec": "PCMU"}}


def browser_offer(bundle=True):
    """An offer as a browser makes it for WHIP/WHEP: audio (Opus) and video (H.264 constrained
    baseline), BUNDLE, rtcp-mux, ICE credentials and a DTLS fingerprint. No browser answers it:
    the API's answers are what is checked."""
    fp = ":".join(["AB"] * 32)
    lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    if bundle:
        lines.append("a=group:BUNDLE 0 1")
    for mid, m in (("0", ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=rtpmap:111 opus/48000/2",
                          "a=fmtp:111 minptime=10;useinbandfec=1"]),
                   ("1", ["m=video 9 UDP/TLS/RTP/SAVPF 96", "a=rtpmap:96 H264/90000",
                          "a=rtcp-fb:96 nack pli",
                          "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;"
                          "profile-level-id=42e01f"])):
        lines += [m[0], "c=IN IP4 0.0.0.0", "a=ice-ufrag:oaUf", "a=ice-pwd:oaPasswordOfTwentyFour24",
                  f"a=fingerprint:sha-256 {fp}", "a=setup:actpass", f"a=mid:{mid}",
                  "a=sendrecv", "a=rtcp-mux"] + m[1:]
    return "\r\n".join(lines) + "\r\n"


def video_room(name, participants):
    """A 640x360 room whose tiles are plain colour: no borders, labels or speaker frame."""
    return {"name": name,
            "video": {"layout": "grid", "fit": "crop", "border_px": 0,
                      "highlight_speaker": False, "name_labels": False,
                      "profiles": [{"name": "hd", "codec": "H264", "width": WIDTH,
                                    "height": HEIGHT, "fps": FPS, "bitrate_kbps": 800,
                                    "keyframe_interval_s": 1}]},
            "participants": participants}


def without_live_figures(room):
    """A Room without what changes by itself while it runs (stats, legs' live summaries)."""
    out = {k: v for k, v in room.items() if k != "stats"}
    out["participants"] = [{k: v for k, v in p.items() if k not in ("audio", "video")}
                           for p in room.get("participants", [])]
    return out


def new_keys(args, work):
    keys = Keys(args, work)
    keys.add("k1")
    return keys


# --- rooms -------------------------------------------------------------------------------------

def case_rooms(args, work):
    """A video room made over the API: two ffmpeg cameras on the ports GET .../participants
    gives, the composite decoded by ffmpeg: each camera in its grid tile; PATCH to speaker with
    p2 as the speaker puts p2 large; refused PATCHes change nothing; a kick reflows the grid and
    the participant is gone from the roster; DELETE ends the room and frees its ports."""
    keys = new_keys(args, work)
    admin, viewer_token = keys.mint("admin"), keys.mint("viewer")
    with Tessera(args, work, {"keys_file": keys.path}) as t:
        api = t.api
        p1, p2 = Sender("p1", "h264", "red"), Sender("p2", "vp8", "blue")
        viewer = Viewer("viewer", work)  # viewer.port: where the composite goes
        write_video_sdp(viewer.sdp, viewer.port)
        body = video_room(ROOM, [{"name": "p1", "video": {"codec": "H264"}},
                                 {"name": "p2", "video": {"codec": "VP8"}},
                                 {"name": "viewer", "video": {"send": False, "profile": "hd",
                                                              "remote_rtp_port": viewer.port}}])
        resp = api.post("/v1/rooms", admin, body)
        created = expect_json(resp, 201, "POST /v1/rooms (two cameras and a viewer)")
        ensure(resp.header("location") == f"/v1/rooms/{ROOM}",
               f"POST /v1/rooms: expected Location /v1/rooms/{ROOM}, got "
               f"{resp.header('location')!r}")
        ensure(created.get("name") == ROOM and (created.get("video") or {}).get("layout") == "grid",
               f"POST /v1/rooms: expected the Room {ROOM} in layout grid, got {created}")
        ensure(ROOM in room_names(api, viewer_token), f"GET /v1/rooms does not list {ROOM}")

        listed = expect_json(api.get(f"/v1/rooms/{ROOM}/participants", viewer_token), 200,
                             f"GET /v1/rooms/{ROOM}/participants")["participants"]
        by_name = {p["name"]: p for p in listed}
        ensure(sorted(by_name) == ["p1", "p2", "viewer"],
               f"expected participants p1, p2, viewer, got {listed}")
        for name in ("p1", "p2", "viewer"):
            p = by_name[name]
            ensure(t.in_rtp_range(p.get("video_port")) and "audio_port" not in p,
                   f"{name}: expected a video_port from server.rtp_ports {t.rtp_base}-"
                   f"{t.rtp_base + RTP_PORTS - 1} and no audio_port, got {p}")
        p1.port, p2.port = by_name["p1"]["video_port"], by_name["p2"]["video_port"]
        print(f"ports from the API: p1 {p1.port}, p2 {p2.port}, viewer {by_name['viewer']}")

        children = []
        try:
            rx = Receiver(viewer, work)
            children.append(rx.proc)
            for s in (p1, p2):
                s.proc = Process(s.argv(), f"sender {s.name}", die_with_parent=True)
                children.append(s.proc)

            grid = grid_expectation([p1, p2], 2, 1)
            frame = rx.wait_for("p1 (red) and p2 (blue) side by side in the 2x1 grid",
                                tiles_check(grid))
            print(f"grid: {describe_tiles(frame, grid)}; {rx.save(frame, 'grid')}")

            patched = expect_json(
                api.patch(f"/v1/rooms/{ROOM}", admin, {"layout": "speaker", "speaker": "p2"}),
                200, f"PATCH /v1/rooms/{ROOM} layout speaker, speaker p2")
            ensure((patched.get("video") or {}).get("layout") == "speaker",
                   f"PATCH answered a Room whose layout is not speaker: {patched}")
            # Speaker focus (src/mixer/layout.cc): the top three quarters for the speaker; the
            # one thumbnail as wide as one of four, centred in the strip below.
            main_h, step = even(HEIGHT * 3 // 4), even(WIDTH // 4)
            left = even((WIDTH - step) // 2)
            strip_h = HEIGHT - main_h
            speaker = [(Rect(0, 0, WIDTH, main_h), p2.yuv, "p2 (the speaker) in the large tile"),
                       (Rect(left, main_h, step, strip_h), p1.yuv, "p1's thumbnail"),
                       (Rect(0, main_h, left, strip_h), BLACK, "the strip left of it"),
                       (Rect(left + step, main_h, WIDTH - left - step, strip_h), BLACK,
                        "the strip right of it")]
            frame = rx.wait_for("p2 large with p1's thumbnail below", tiles_check(speaker))
            print(f"speaker: {describe_tiles(frame, speaker)}; {rx.save(frame, 'speaker')}")

            # Refused changes leave everything as it was, whatever part of them was valid.
            for change, label, allowed in [
                    ({"layout": "nosuch"}, "an unknown layout", (404, 422)),
                    ({"layout": "grid", "speaker": "nobody"}, "grid with an unknown speaker",
                     (404, 422)),
                    ({"layout": "grid", "colour": "red"}, "grid with an unknown key", (422,))]:
                r = api.patch(f"/v1/rooms/{ROOM}", admin, change)
                ensure(r.status in allowed, f"PATCH with {label} {change}: expected "
                                            f"{' or '.join(map(str, allowed))}, got {r}")
                expect_problem(r, r.status, "validation" if r.status == 422 else "not-found",
                               f"PATCH with {label}")
                room = expect_json(api.get(f"/v1/rooms/{ROOM}", viewer_token), 200,
                                   f"GET /v1/rooms/{ROOM}")
                ensure(room["video"]["layout"] == "speaker",
                       f"after the refused PATCH with {label}, expected layout speaker, got "
                       f"{room['video']}")
            frame = rx.wait_for("still p2 large after the refused PATCHes", tiles_check(speaker))

            expect_json(api.patch(f"/v1/rooms/{ROOM}", admin, {"layout": "grid"}), 200,
                        f"PATCH /v1/rooms/{ROOM} layout grid")
            rx.wait_for("the 2x1 grid again", tiles_check(grid))

            p2_id = by_name["p2"]["id"]
            r = expect_status(api.delete(f"/v1/rooms/{ROOM}/participants/{p2_id}", admin), 204,
                              f"DELETE /v1/rooms/{ROOM}/participants/{p2_id} (kick p2)")
            ensure(r.body == b"", f"a 204 with a body: {r}")
            kicked = time.monotonic()
            alone = [(Rect(0, 0, WIDTH, HEIGHT), p1.yuv,
                      "p1 over the whole picture (p2's tile gone)")]
            frame = rx.wait_for("the grid reflowed to p1 alone", tiles_check(alone))
            print(f"the grid reflowed {frame.arrival - kicked:.2f} s after the kick: "
                  f"{describe_tiles(frame, alone)}; {rx.save(frame, 'kicked')}")
            left_over = expect_json(api.get(f"/v1/rooms/{ROOM}/participants", viewer_token), 200,
                                    "GET participants after the kick")["participants"]
            ensure(sorted(p["name"] for p in left_over) == ["p1", "viewer"],
                   f"after kicking p2 expected p1 and viewer, got {left_over}")
            expect_problem(api.get(f"/v1/rooms/{ROOM}/participants/{p2_id}", viewer_token), 404,
                           "not-found", f"GET the kicked participant {p2_id}")

            # The ports the room holds are taken: a room on them is refused, with nothing left.
            ports = {n: by_name[n]["video_port"] for n in ("p1", "p2", "viewer")}
            again = video_room("rooms-again", [
                {"name": "q1", "video": {"codec": "H264", "local_port": ports["p1"]}},
                {"name": "q2", "video": {"codec": "VP8", "local_port": ports["p2"]}},
                {"name": "qv", "video": {"send": False, "local_port": ports["viewer"],
                                         "profile": "hd", "remote_rtp_port": viewer.port}}])
            expect_problem(api.post("/v1/rooms", admin, again), 409, "conflict",
                           f"POST a room on {ROOM}'s ports {ports} while it runs")
            expect_problem(api.get("/v1/rooms/rooms-again", viewer_token), 404, "not-found",
                           "GET the room whose creation was refused")
        finally:
            for c in children:
                if c.proc.poll() is None:
                    c.proc.kill()
                c.proc.wait()

        r = expect_status(api.delete(f"/v1/rooms/{ROOM}", admin), 204, f"DELETE /v1/rooms/{ROOM}")
        ensure(r.body == b"", f"a 204 with a body: {r}")
        expect_problem(api.get(f"/v1/rooms/{ROOM}", viewer_token), 404, "not-found",
                       f"GET /v1/rooms/{ROOM} after DELETE")
        ensure(ROOM not in room_names(api, viewer_token), f"{ROOM} is listed after DELETE")
        # Its ports are closed: the same fixed ports now make a room.
        expect_json(api.post("/v1/rooms", admin, again), 201,
                    f"POST a room on the deleted room's ports {ports}")
        expect_status(api.delete("/v1/rooms/rooms-again", admin), 204, "DELETE rooms-again")
        t.stop()


# --- auth --------------------------------------------------------------------------------------

def refused_401(api, token, label):
    """GET /v1/rooms with a token that must be refused; returns its error_description."""
    r = api.get("/v1/rooms", token)
    expect_problem(r, 401, "unauthorized", f"GET /v1/rooms with a token refused for: {label}")
    www = r.header("www-authenticate")
    ensure(www.startswith('Bearer realm="tessera"') and 'error="invalid_token"' in www,
           f"{label}: expected WWW-Authenticate: Bearer realm=\"tessera\", "
           f"error=\"invalid_token\", ...; got {www!r}")
    m = re.search(r'error_description="([^"]*)"', www)
    ensure(m and m.group(1), f"{label}: no error_description in WWW-Authenticate {www!r}")
    return m.group(1)


def refused_403(resp, what):
    expect_problem(resp, 403, "forbidden", what)
    www = resp.header("www-authenticate")
    ensure(www.startswith('Bearer realm="tessera"') and 'error="insufficient_scope"' in www,
           f"{what}: expected WWW-Authenticate: Bearer realm=\"tessera\", "
           f"error=\"insufficient_scope\"; got {www!r}")


def case_auth(args, work):
    """401 for every kind of bad token (each with its own error_description), 403 for a role or
    room scope that does not reach, and keys reloaded on SIGHUP."""
    keys = Keys(args, work)
    keys.add("k1", "HS256")
    keys.add("k2", "ES256")
    # Many refusals from one address: its auth-failure bucket must not answer 429 here.
    control = {"keys_file": keys.path, "auth_failure_per_second": 1000,
               "auth_failure_burst": 1000}
    with Tessera(args, work, control, [small_room("room-a"), small_room("room-b")]) as t:
        api = t.api
        admin = keys.mint("admin")

        r = api.get("/v1/rooms")
        expect_problem(r, 401, "unauthorized", "GET /v1/rooms without a token")
        www = r.header("www-authenticate")
        ensure(www.startswith('Bearer realm="tessera"') and "error=" not in www,
               f"without a token expected WWW-Authenticate: Bearer realm=\"tessera\" and no "
               f"error (RFC 6750 3.1), got {www!r}")
        r = api.get("/v1/rooms", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
        expect_problem(r, 401, "unauthorized", "GET /v1/rooms with Basic credentials")

        # The control: a token made here from k1's secret with good claims is accepted, so the
        # refusals below are for what each changes, not for how it was made.
        secret = keys.secret("k1")
        expect_json(api.get("/v1/rooms", craft(secret, claims("viewer"))), 200,
                    "GET /v1/rooms with a token made here from k1's secret and valid claims")

        now = int(time.time())
        distinct = [  # each its own error_description (docs/operations.md, "HTTP API")
            ("alg none", craft(secret, claims(), alg="none")),
            ("alg HS384", craft(secret, claims(), alg="HS384")),
            ("HS256 under k2, an ES256 key", craft(secret, claims(), kid="k2")),
            ("unknown kid k9", craft(secret, claims(), kid="k9")),
            ("bad signature", craft(b"not-the-key-" * 4, claims())),
            ("expired 100 s ago", craft(secret, claims(iat_offset=-400))),
            ("not valid for 2 more minutes (nbf)", craft(secret, claims(nbf=now + 120))),
            ("lifetime 600 s, max_token_lifetime_s 300", craft(secret, claims(lifetime=600))),
            ("wrong issuer", craft(secret, claims(iss="someone-else"))),
            ("wrong audience", craft(secret, claims(aud="someone-else"))),
            ("no role", craft(secret, claims(role=None))),
        ]
        others = [
            ("garbage", "garbage"),
            ("three parts of garbage", "a.b.c"),
            ("unknown role", craft(secret, claims(role="superuser"))),
            ("no exp", craft(secret, claims(exp=None))),
            ("aud list without tessera", craft(secret, claims(aud=["x", "y"]))),
        ]
        descriptions = {}
        for label, token in distinct + others:
            descriptions[label] = refused_401(api, token, label)
            print(f"401 {label}: {descriptions[label]}")
        expect_json(api.get("/v1/rooms", craft(secret, claims(aud=["x", "tessera"]))), 200,
                    "a token whose aud is a list holding tessera")
        seen = {}
        for label, _ in distinct:
            d = descriptions[label]
            ensure(d not in seen, f"'{label}' and '{seen.get(d)}' are refused with the same "
                                  f"error_description {d!r}; expected one of its own each")
            seen[d] = label

        # Roles.
        viewer = keys.mint("viewer")
        expect_json(api.get("/v1/rooms", viewer), 200, "GET /v1/rooms as a viewer")
        refused_403(api.post("/v1/rooms", viewer, small_room("viewer-room")),
                    "POST /v1/rooms as a viewer")
        refused_403(api.patch("/v1/rooms/room-b", viewer, {"layout": "speaker"}),
                    "PATCH /v1/rooms/room-b as a viewer")
        refused_403(api.get("/v1/rooms", keys.mint("participant")),
                    "GET /v1/rooms as a participant")

        # An operator scoped to room-a: only room-a exists for it; room-b stays as it was.
        op_a = keys.mint("operator", room="room-a")
        names = room_names(api, op_a)
        ensure(names == ["room-a"], f"GET /v1/rooms with a token for room-a listed {names}")
        b_before = expect_json(api.get("/v1/rooms/room-b", admin), 200, "GET room-b as admin")
        for method, path, body in [
                ("GET", "/v1/rooms/room-b", None),
                ("PATCH", "/v1/rooms/room-b", {"layout": "speaker"}),
                ("DELETE", "/v1/rooms/room-b", None),
                ("GET", "/v1/rooms/room-b/participants", None),
                ("POST", "/v1/rooms/room-b/participants", audio_participant("intruder")),
                ("POST", "/v1/rooms", small_room("room-c"))]:
            refused_403(api.request(method, path, op_a, body),
                        f"{method} {path} with an operator token scoped to room-a")
        b_after = expect_json(api.get("/v1/rooms/room-b", admin), 200, "GET room-b as admin")
        ensure(without_live_figures(b_after) == without_live_figures(b_before),
               f"room-b changed under refused requests: before {b_before}, after {b_after}")
        expect_problem(api.get("/v1/rooms/room-c", admin), 404, "not-found",
                       "GET room-c that a scoped operator was refused")
        changed = expect_json(api.patch("/v1/rooms/room-a", op_a, {"layout": "speaker"}), 200,
                              "PATCH its own room-a with the scoped operator token")
        ensure(changed["video"]["layout"] == "speaker", f"room-a after PATCH: {changed}")
        guest = expect_json(api.post("/v1/rooms/room-a/participants", op_a,
                                     audio_participant("a-guest")), 201,
                            "POST a participant into room-a with the scoped operator token")
        ensure(guest.get("name") == "a-guest" and t.in_rtp_range(guest.get("audio_port")),
               f"the joined participant: {guest}")

        resp = api.post("/v1/rooms", admin, small_room("room-admin"))
        expect_json(resp, 201, "POST /v1/rooms as admin")
        ensure(resp.header("location") == "/v1/rooms/room-admin",
               f"expected Location /v1/rooms/room-admin, got {resp.header('location')!r}")

        # The second key (ES256) works until it leaves the file and SIGHUP reloads it.
        from_k2 = keys.mint("admin", kid="k2")
        expect_json(api.get("/v1/rooms", from_k2), 200, "GET /v1/rooms with a token from k2")
        keys.remove("k2")
        mark = t.proc.log_mark()
        t.signal(signal.SIGHUP)
        line = t.proc.wait_for_log(lambda l: "reload" in l.lower() and "key" in l.lower(), 10,
                                   since=mark)
        print(f"after SIGHUP: {line.strip()}")
        refused_401(api, from_k2, "a k2 token after k2 left the key file and SIGHUP")
        expect_json(api.get("/v1/rooms", admin), 200, "a k1 token after the reload")
        expect_json(api.get("/v1/rooms", keys.mint("viewer")), 200,
                    "a k1 token minted after the reload")
        t.stop()


# --- ratelimit ---------------------------------------------------------------------------------

def case_ratelimit(args, work):
    """Per source address: 127.0.0.1 past its request burst gets 429 with a Retry-After that
    holds, while 127.0.0.2 is served and health checks are never limited; 127.0.0.3 out of
    failed authentications gets 429 even with a good token, 127.0.0.4 is not affected; both are
    counted in /metrics."""
    rate, burst = 0.2, 8            # a token every 5 s: nothing refills within the checks
    auth_rate, auth_burst = 0.2, 3
    keys = new_keys(args, work)
    control = {"keys_file": keys.path, "rate_per_second": rate, "rate_burst": burst,
               "auth_failure_per_second": auth_rate, "auth_failure_burst": auth_burst}
    with Tessera(args, work, control, [small_room("limited")]) as t:
        api = t.api
        viewer = keys.mint("viewer")

        started = time.monotonic()
        statuses = []
        limited = None
        while len(statuses) < burst + 10:
            r = api.get("/v1/rooms", viewer, source="127.0.0.1")
            statuses.append(r.status)
            if r.status == 429:
                limited = r
                break
            expect_status(r, 200, f"request {len(statuses)} from 127.0.0.1 within its burst")
        elapsed = time.monotonic() - started
        refilled = int(elapsed * rate) + 1
        print(f"127.0.0.1: {statuses} in {elapsed:.2f} s (burst {burst}, {rate}/s)")
        ensure(limited is not None, f"127.0.0.1 was never answered 429 in {len(statuses)} "
                                    f"requests (burst {burst}): {statuses}")
        ensure(burst <= len(statuses) - 1 <= burst + refilled,
               f"expected the first 429 after {burst} (+{refilled} refilled) requests, got it "
               f"after {len(statuses) - 1}")
        expect_problem(limited, 429, "too-many-requests", "the request past the burst")
        wait_s = retry_after(limited, "the request past the burst")
        limited_at = time.monotonic()

        # Another address has its own bucket; health checks have none.
        for i in range(3):
            expect_json(api.get("/v1/rooms", viewer, source="127.0.0.2"), 200,
                        f"request {i + 1} from 127.0.0.2 while 127.0.0.1 is limited")
            expect_status(api.get("/v1/rooms", viewer, source="127.0.0.1"), 429,
                          f"127.0.0.1 again ({i + 1}) while its bucket is empty")
        for i in range(3 * burst):
            for path in ("/healthz", "/readyz"):
                expect_status(api.get(path, source="127.0.0.1"), 200,
                              f"GET {path} ({i + 1}) from the limited 127.0.0.1")
        ensure(time.monotonic() - limited_at < 1 / rate,
               "the checks above took longer than one refill; the machine is too slow for them")

        # The Retry-After holds: after waiting it (the test's input, what a client does), the
        # next request is served.
        time.sleep(max(0.0, limited_at + wait_s - time.monotonic()))
        expect_json(api.get("/v1/rooms", viewer, source="127.0.0.1"), 200,
                    f"127.0.0.1 after waiting the Retry-After of {wait_s} s")

        # Failed authentications: a bucket of their own; once empty, requests needing a token
        # are answered 429 unverified, good token or not.
        statuses = []
        limited = None
        while len(statuses) < auth_burst + 5:
            r = api.get("/v1/rooms", "garbage", source="127.0.0.3")
            statuses.append(r.status)
            if r.status == 429:
                limited = r
                break
            expect_status(r, 401, f"bad token {len(statuses)} from 127.0.0.3")
        print(f"127.0.0.3 with bad tokens: {statuses}")
        ensure(limited is not None and len(statuses) - 1 == auth_burst,
               f"expected {auth_burst} answers 401 then 429 (auth_failure_burst {auth_burst}), "
               f"got {statuses}")
        expect_problem(limited, 429, "too-many-requests", "a bad token past the failure burst")
        retry_after(limited, "a bad token past the failure burst")
        r = api.get("/v1/rooms", viewer, source="127.0.0.3")
        expect_problem(r, 429, "too-many-requests",
                       "a good token from 127.0.0.3 once its auth-failure bucket is empty")
        expect_status(api.get("/healthz", source="127.0.0.3"), 200,
                      "GET /healthz from 127.0.0.3 with its auth-failure bucket empty")
        expect_status(api.get("/v1/rooms", "garbage", source="127.0.0.4"), 401,
                      "a bad token from 127.0.0.4")
        expect_json(api.get("/v1/rooms", viewer, source="127.0.0.4"), 200,
                    "a good token from 127.0.0.4")

        samples = metric_samples(expect_status(api.get("/metrics", viewer, source="127.0.0.5"),
                                               200, "GET /metrics").body.decode())
        for bucket in ("requests", "auth_failures"):
            value = metric_value(samples, "tessera_api_rate_limited_total", bucket=bucket)
            ensure(value is not None and value >= 1,
                   f"expected tessera_api_rate_limited_total{{bucket=\"{bucket}\"}} >= 1, got "
                   f"{value}")
        t.stop()


# --- limits ------------------------------------------------------------------------------------

def case_limits(args, work):
    """408 for a slow client, 413 for a large body (announced or sent), 431 for a large header,
    400/422 for bad JSON with nothing created, and connections past the per-source limit
    refused while another address is served."""
    request_timeout, max_header, max_body, per_source = 2, 2048, 4096, 3
    keys = new_keys(args, work)
    control = {"keys_file": keys.path, "request_timeout_s": request_timeout,
               "max_header_bytes": max_header, "max_body_bytes": max_body,
               "max_connections_per_source": per_source}
    with Tessera(args, work, control, [small_room("lim-room")]) as t:
        api, port = t.api, t.port
        admin, viewer = keys.mint("admin"), keys.mint("viewer")

        # A slowloris: the request line and a header, one byte every 0.3 s.
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.connect(("127.0.0.1", port))
            opened = time.monotonic()
            sent, data, closed_at = 0, b"", None
            while time.monotonic() < opened + request_timeout + 5:
                if sent < len(request) and not data:
                    try:
                        sock.send(request[sent:sent + 1])
                        sent += 1
                    except (BrokenPipeError, ConnectionResetError):
                        sent = len(request)
                ready, _, _ = select.select([sock], [], [], 0.3)  # the client's pace
                if ready:
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:
                        chunk = b""
                    if not chunk:
                        closed_at = time.monotonic()
                        break
                    data += chunk
        answer = parse_http(data) or RawAnswer("incomplete", raw=data)
        took = (closed_at or time.monotonic()) - opened
        print(f"slow client: {sent} bytes sent; answered {answer}; closed after {took:.2f} s")
        ensure(answer.kind == "response" and answer.status == 408,
               f"slow client: expected a 408 answer, got {answer}")
        ensure(closed_at is not None and request_timeout - 0.5 <= took <= request_timeout + 1,
               f"slow client: expected the connection closed {request_timeout}..."
               f"{request_timeout + 1} s after it opened (request_timeout_s {request_timeout}), "
               f"{'closed' if closed_at else 'still open'} after {took:.2f} s")
        ensure(answer.headers.get("content-type", "").startswith("application/problem+json")
               and raw_problem_type(answer) == "urn:tessera:problem:request-timeout",
               f"slow client: expected a request-timeout problem, got {answer}")

        # Bodies above max_body_bytes: announced (answered from the header, before the request
        # timeout) and sent.
        head = (f"POST /v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {admin}\r\n"
                f"Content-Type: application/json\r\n")
        began = time.monotonic()
        answer = raw_request(port, (head + "Content-Length: 104857600\r\n\r\n").encode(),
                             request_timeout - 0.5)
        ensure(answer.kind == "response" and answer.status == 413,
               f"POST announcing a 100 MB body: expected 413 within {request_timeout - 0.5} s, "
               f"got {answer} after {time.monotonic() - began:.2f} s")
        body = b"x" * (max_body + 1)
        answer = raw_request(port, (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body,
                             5)
        ensure(answer.kind == "response" and answer.status == 413 and
               raw_problem_type(answer) == "urn:tessera:problem:payload-too-large",
               f"POST with a {len(body)}-byte body (max_body_bytes {max_body}): expected a 413 "
               f"payload-too-large problem, got {answer}")

        # A header above max_header_bytes.
        answer = raw_request(port, (f"GET /v1/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    f"Authorization: Bearer {viewer}\r\n"
                                    f"X-Padding: {'a' * (2 * max_header)}\r\n\r\n").encode(), 5)
        ensure(answer.kind == "response" and answer.status == 431 and
               raw_problem_type(answer) == "urn:tessera:problem:header-too-large",
               f"a {2 * max_header}-byte header (max_header_bytes {max_header}): expected a 431 "
               f"header-too-large problem, got {answer}")

        # Bad JSON creates nothing.
        before = room_names(api, viewer)
        expect_problem(api.post("/v1/rooms", admin, "{not json"), 400, "bad-request",
                       "POST /v1/rooms with malformed JSON")
        expect_problem(api.post("/v1/rooms", admin, "[1, 2]"), 400, "bad-request",
                       "POST /v1/rooms with a JSON array")
        p = expect_problem(api.post("/v1/rooms", admin, dict(small_room("lim-new"), colour="red")),
                           422, "validation", "POST /v1/rooms with an unknown field")
        ensure(any("colour" in e for e in p["errors"]),
               f"the 422 does not name the unknown field colour: {p['errors']}")
        p = expect_problem(api.post("/v1/rooms", admin, {"name": "", "participants": "none"}),
                           422, "validation", "POST /v1/rooms with two errors")
        ensure(len(p["errors"]) >= 2, f"expected every validation error (an empty name and "
                                      f"participants not a list), got {p['errors']}")
        after = room_names(api, viewer)
        ensure(after == before, f"the refused bodies changed the rooms: {before} -> {after}")

        # Connections per source, from an address that has had none before (a closed one may
        # still be counted until the server reads its end): per_source held (keep-alive, after
        # one request each) ...
        crowded, other = "127.0.0.6", "127.0.0.7"
        healthz = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

        def served_again(conn, what):
            try:
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
            except (OSError, http.client.HTTPException) as e:
                raise TestFailure(f"{what}: no answer ({e!r})")
            return r

        held = []
        try:
            for i in range(per_source):
                conn = api.connection(crowded)
                r = served_again(conn, f"held connection {i + 1} from {crowded}")
                ensure(r.status == 200 and not r.will_close,
                       f"held connection {i + 1}: expected 200 kept alive, got {r.status} "
                       f"(closing: {r.will_close})")
                held.append(conn)
            # ... one more from that address is not served ...
            try:
                answer = raw_request(port, healthz, 3, source=crowded)
            except ConnectionResetError:
                answer = RawAnswer("reset")
            print(f"connection {per_source + 1} from {crowded}: {answer}")
            ensure(answer.kind != "response" or answer.status >= 400,
                   f"connection {per_source + 1} from {crowded} (max_connections_per_source "
                   f"{per_source}) was served: {answer}")
            # ... while another address is, and the held ones still are.
            expect_json(api.get("/healthz", source=other), 200,
                        f"GET /healthz from {other} while {crowded} is at its limit")
            for i, conn in enumerate(held):
                r = served_again(conn, f"held connection {i + 1}, second request")
                ensure(r.status == 200, f"held connection {i + 1}, second request: {r.status}")
            # One closed: the address may open one again.
            held.pop().close()
            deadline = time.monotonic() + 5
            while True:
                answer = raw_request(port, healthz, 3, source=crowded)
                if answer.kind == "response" and answer.status == 200:
                    break
                ensure(time.monotonic() < deadline,
                       f"after closing a held connection, {crowded} was still refused: {answer}")
                time.sleep(0.05)  # poll interval
        finally:
            for conn in held:
                conn.close()

        samples = metric_samples(expect_status(api.get("/metrics", viewer, source="127.0.0.2"),
                                               200, "GET /metrics").body.decode())
        for name, labels in [("tessera_api_connections_refused_total", {"reason": "per_source"}),
                             ("tessera_api_timeouts_total", {"kind": "request"})]:
            value = metric_value(samples, name, **labels)
            ensure(value is not None and value >= 1,
                   f"expected {name}{labels} >= 1, got {value}")
        t.stop()


# --- openapi -----------------------------------------------------------------------------------

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def json_pointer(doc, ref):
    ensure(ref.startswith("#/"), f"a $ref outside the document: {ref}")
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        ensure(isinstance(node, dict) and part in node, f"$ref {ref} does not resolve")
        node = node[part]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


class OpenApiChecker:
    """Checks answers against the OpenAPI document: the status must be one the operation
    documents, and the body must validate against that response's schema for its media type.
    $refs into components resolve against the document: each schema is validated with the
    document's components beside it, so "#/components/..." points into them whatever
    jsonschema's resolver API (RefResolver in Debian 12's 4.10, referencing from 4.18)."""

    def __init__(self, doc, validator_for, default_validator):
        self.doc = doc
        self.validator_for, self.default_validator = validator_for, default_validator
        self.operations = {}  # (template, METHOD) -> operation
        for template, item in doc["paths"].items():
            for method, op in item.items():
                if method in HTTP_METHODS:
                    self.operations[(template, method.upper())] = op
        self.exercised = set()

    def template_for(self, method, path):
        matches = []
        for template, m in self.operations:
            if m != method:
                continue
            pattern = "^" + re.sub(r"\\\{[^}\\]*\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path):
                matches.append(template)
        ensure(matches, f"{method} {path} is not an operation of the OpenAPI document")
        return min(matches, key=lambda tpl: tpl.count("{"))  # literal segments win

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = json_pointer(self.doc, node["$ref"])
        return node

    def validate(self, schema, instance):
        wrapped = dict(schema)
        wrapped["components"] = self.doc.get("components", {})
        cls = self.validator_for(wrapped, default=self.default_validator)
        return sorted(cls(wrapped).iter_errors(instance), key=lambda e: list(e.absolute_path))

    def check(self, resp):
        template = self.template_for(resp.method, resp.path)
        what = f"{resp.method} {resp.path} ({template})"
        responses = self.operations[(template, resp.method)].get("responses", {})
        spec = (responses.get(str(resp.status)) or responses.get(f"{resp.status // 100}XX")
                or responses.get("default"))
        ensure(spec is not None, f"{what} answered {resp.status}, which the document does not "
                                 f"list for it (it lists {sorted(responses)}): {resp}")
        spec = self.deref(spec)
        self.exercised.add((template, resp.method))
        content = spec.get("content") or {}
        if not resp.body:
            ensure(resp.status == 204 or not content,
                   f"{what} answered {resp.status} with no body; the document gives it "
                   f"{sorted(content)}")
            return resp
        ensure(resp.status != 204, f"{what}: a 204 with a body: {resp}")
        media = resp.media_type()
        match = [c for k, c in content.items() if k.split(";")[0].strip().lower() == media]
        ensure(match, f"{what} answered {resp.status} as {media!r}; the document lists "
                      f"{sorted(content)} for it")
        schema = self.deref(match[0]).get("schema")
        if schema is None:
            return resp
        instance = resp.json(what) if media.endswith("json") else resp.body.decode()
        errors = self.validate(schema, instance)
        ensure(not errors, f"{what} answered {resp.status} with a body that does not match the "
                           f"document's schema: " + "; ".join(
                               f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}"
                               for e in errors[:5]) + f"\nbody: {resp}")
        return resp

    def unexercised(self):
        return sorted(f"{m} {tpl}" for tpl, m in self.operations
                      if (tpl, m) not in self.exercised)


def check_openapi_document(doc, default_validator):
    ensure(isinstance(doc, dict) and str(doc.get("openapi", "")).startswith("3.1"),
           f"expected an OpenAPI 3.1 document, got openapi {doc.get('openapi')!r}")
    info = doc.get("info")
    ensure(isinstance(info, dict) and info.get("title") and info.get("version"),
           f"the document's info needs title and version, got {info}")
    paths = doc.get("paths")
    ensure(isinstance(paths, dict) and paths, "the document has no paths")
    for p in ("/healthz", "/readyz", "/v1/openapi.json", "/metrics", "/v1/rooms",
              "/v1/sip/calls"):
        ensure(p in paths, f"the document has no path {p}: {sorted(paths)}")
    for ref in set(all_refs(doc)):
        json_pointer(doc, ref)
    for name, schema in (doc.get("components", {}).get("schemas") or {}).items():
        try:
            default_validator.check_schema(schema)
        except Exception as e:  # jsonschema.SchemaError; its module path changed across versions
            raise TestFailure(f"components/schemas/{name} is not a valid JSON Schema: {e}")


def case_openapi(args, work):
    """GET /v1/openapi.json is an OpenAPI 3.1 document; every operation in it is exercised here,
    and every answer (errors too) is a status the document lists with a body its schema
    accepts."""
    try:
        from jsonschema import Draft202012Validator
        from jsonschema.validators import validator_for
    except ImportError:
        print("SKIP: python3-jsonschema (Draft 2020-12, jsonschema >= 4) is not installed "
              "(scripts/setup.sh installs it)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    sip_port = free_port_block(1, (socket.SOCK_DGRAM, socket.SOCK_STREAM))
    sip = (f"sip:\n  listen:\n    - {{transport: udp, address: 127.0.0.1, port: {sip_port}}}\n"
           "webrtc:\n  udp_port: 0\n")
    # The callee of the dial-out: a socket that never answers, so the call stays until deleted.
    callee = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee.bind(("127.0.0.1", 0))
    try:
        with Tessera(args, work, {"keys_file": keys.path}, extra_yaml=sip) as t:
            api = t.api
            admin, viewer = keys.mint("admin"), keys.mint("viewer")
            doc_resp = api.get("/v1/openapi.json")
            doc = expect_json(doc_resp, 200, "GET /v1/openapi.json")
            check_openapi_document(doc, Draft202012Validator)
            oa = OpenApiChecker(doc, validator_for, Draft202012Validator)
            print(f"the document lists {len(oa.operations)} operations")
            c = oa.check

            c(doc_resp)
            ensure(c(api.get("/healthz")).json() == {"status": "ok"}, "GET /healthz body")
            ensure(c(api.get("/readyz")).json() == {"status": "ready"}, "GET /readyz body")
            expect_status(c(api.get("/metrics", viewer)), 200, "GET /metrics as viewer")
            expect_status(c(api.get("/metrics")), 401, "GET /metrics without a token")
            expect_status(c(api.get("/v1/rooms", viewer)), 200, "GET /v1/rooms")
            expect_status(c(api.get("/v1/rooms")), 401, "GET /v1/rooms without a token")

            room = small_room("oa-room")
            expect_status(c(api.post("/v1/rooms", admin, room)), 201, "POST /v1/rooms")
            expect_status(c(api.post("/v1/rooms", admin, room)), 409, "POST the same room again")
            expect_status(c(api.post("/v1/rooms", admin, dict(small_room("oa-x"), bogus=1))),
                          422, "POST /v1/rooms with an unknown key")
            expect_status(c(api.post("/v1/rooms", admin, "{")), 400, "POST /v1/rooms, not JSON")
            expect_status(c(api.post("/v1/rooms", viewer, small_room("oa-y"))), 403,
                          "POST /v1/rooms as viewer")
            expect_status(c(api.get("/v1/rooms/oa-room", viewer)), 200, "GET /v1/rooms/oa-room")
            expect_status(c(api.get("/v1/rooms/oa-nosuch", viewer)), 404, "GET an unknown room")
            expect_status(c(api.patch("/v1/rooms/oa-room", admin, {"layout": "speaker"})), 200,
                          "PATCH /v1/rooms/oa-room")
            expect_status(c(api.patch("/v1/rooms/oa-room", admin, {"zoom": 2})), 422,
                          "PATCH /v1/rooms/oa-room with an unknown key")

            base = "/v1/rooms/oa-room/participants"
            joined = c(api.post(base, admin, audio_participant("oa-guest")))
            pid = expect_json(joined, 201, f"POST {base}")["id"]
            expect_status(c(api.post(base, admin, audio_participant("oa-guest"))), 409,
                          f"POST {base} with a name taken")
            expect_status(c(api.get(base, viewer)), 200, f"GET {base}")
            expect_status(c(api.get(f"{base}/{pid}", viewer)), 200, f"GET {base}/{pid}")
            expect_status(c(api.get(f"{base}/999999", viewer)), 404, f"GET {base}/999999")
            muted = expect_json(c(api.patch(f"{base}/{pid}", admin, {"muted": True})), 200,
                                f"PATCH {base}/{pid} muted")
            ensure(muted.get("muted") is True, f"PATCH muted answered {muted}")
            expect_status(c(api.patch(f"{base}/{pid}", admin, {"volume": 3})), 422,
                          f"PATCH {base}/{pid} with an unknown key")

            # Recordings: this node has no recorder (control.recorder), so each is a 409 that
            # says so (the recorder tier itself: recorder_test.py).
            recs = "/v1/rooms/oa-room/recordings"
            for method, path, who in (("GET", recs, viewer), ("POST", recs, admin),
                                      ("GET", f"{recs}/rec-1", viewer),
                                      ("DELETE", f"{recs}/rec-1", admin)):
                r = c(api.request(method, path, who, {} if method == "POST" else None))
                expect_problem(r, 409, "recording-unavailable", f"{method} {path}")
            expect_status(c(api.post(recs, viewer, {})), 403, f"POST {recs} as viewer")
            # Erasures go to the recorder too: 409 here; an admin's only (403 before the body).
            expect_problem(c(api.post("/v1/erasures", admin, {"identity": "oa-guest"})), 409,
                           "recording-unavailable", "POST /v1/erasures")
            expect_problem(c(api.get("/v1/erasures/era-1", admin)), 409,
                           "recording-unavailable", "GET /v1/erasures/era-1")
            expect_status(c(api.post("/v1/erasures", viewer, {"identity": "oa-guest"})), 403,
                          "POST /v1/erasures as viewer")

            expect_status(c(api.get("/v1/sip/calls", viewer)), 200, "GET /v1/sip/calls")
            uri = f"sip:4711@127.0.0.1:{callee.getsockname()[1]}"
            dialled = c(api.post("/v1/sip/calls", admin,
                                 {"room": "oa-room", "uri": uri, "name": "oa-callee"}))
            call_id = expect_json(dialled, 201, f"POST /v1/sip/calls to {uri}")["call_id"]
            calls = expect_json(c(api.get("/v1/sip/calls", viewer)), 200, "GET /v1/sip/calls")
            ensure(any(x.get("call_id") == call_id and x.get("room") == "oa-room"
                       for x in calls["calls"]), f"the dialled call {call_id} is not listed: "
                                                 f"{calls}")
            expect_status(c(api.delete(f"/v1/sip/calls/{call_id}", admin)), 204,
                          f"DELETE /v1/sip/calls/{call_id}")
            expect_status(c(api.delete("/v1/sip/calls/no-such-call", admin)), 404,
                          "DELETE an unknown call")

            # WHIP and WHEP: a browser's offer becomes a participant (no browser answers here).
            sdp = {"Content-Type": "application/sdp"}
            guest = keys.mint("participant", room="oa-room", sub="oa-browser")
            for kind in ("whip", "whep"):
                pre = c(api.request("OPTIONS", f"/{kind}/oa-room"))
                expect_status(pre, 204, f"OPTIONS /{kind}/oa-room")
                ensure("POST" in pre.header("access-control-allow-methods"),
                       f"OPTIONS /{kind}/oa-room: {pre}")
            published = c(api.request("POST", "/whip/oa-room", guest, browser_offer(), sdp))
            expect_status(published, 201, "POST /whip/oa-room")
            ensure(published.media_type() == "application/sdp" and
                   "a=ice-lite" in published.body.decode(), f"POST /whip answer: {published}")
            whip = published.header("location")
            ensure(whip.startswith("/whip/oa-room/"), f"POST /whip/oa-room: Location {whip!r}")
            expect_status(c(api.request("POST", "/whip/oa-room", guest, browser_offer(), sdp)),
                          409, "POST /whip/oa-room again under the same name")
            expect_status(c(api.request("POST", "/whip/oa-room", guest, browser_offer(False),
                                        sdp)), 406, "POST /whip/oa-room without BUNDLE")
            expect_status(c(api.request("POST", "/whip/oa-room", guest, "v=0\r\nbogus\r\n",
                                        sdp)), 400, "POST /whip/oa-room, not SDP")
            expect_status(c(api.post("/whip/oa-room", guest, {"sdp": "?"})), 415,
                          "POST /whip/oa-room as JSON")
            expect_status(c(api.request("POST", "/whip/oa-nosuch", admin, browser_offer(), sdp)),
                          404, "POST /whip to an unknown room")
            expect_status(c(api.request("POST", "/whip/oa-room", viewer, browser_offer(), sdp)),
                          403, "POST /whip/oa-room as viewer")
            watcher = keys.mint("viewer", room="oa-room", sub="oa-watcher")
            expect_status(c(api.request("POST", "/whep/oa-room", watcher, browser_offer(), sdp)),
                          201, "POST /whep/oa-room as viewer")
            viewed = c(api.request("POST", "/whep/oa-room", admin, browser_offer(), sdp))
            whep = expect_status(viewed, 201, "POST /whep/oa-room").header("location")
            listed = expect_json(c(api.get(base, viewer)), 200, f"GET {base}")["participants"]
            ensure(any(p.get("name") == "oa-browser" and p.get("transport") == "webrtc"
                       for p in listed), f"the WHIP participant is not listed: {listed}")
            frag = {"Content-Type": "application/trickle-ice-sdpfrag"}
            restart = ("a=ice-ufrag:oaNew1\r\na=ice-pwd:oaNewPassword0123456789\r\n"
                       "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n")
            for loc in (whip, whep):
                c(api.request("OPTIONS", loc))
                who = guest if loc == whip else admin
                # An ICE restart (If-Match *): the node's new credentials and a new ETag.
                r = c(api.request("PATCH", loc, who, restart, dict(frag, **{"If-Match": "*"})))
                expect_status(r, 200, f"PATCH {loc} (ICE restart)")
                ensure(r.media_type() == "application/trickle-ice-sdpfrag" and
                       "a=ice-ufrag:" in r.body.decode() and r.header("etag"),
                       f"PATCH {loc}: {r}")
                etag = r.header("etag")
                trickle = "a=mid:0\r\na=candidate:2 1 udp 1 127.0.0.1 10 typ host\r\n"
                expect_status(c(api.request("PATCH", loc, who, trickle,
                                            dict(frag, **{"If-Match": etag}))), 204,
                              f"PATCH {loc} (a trickled candidate)")
                expect_status(c(api.request("PATCH", loc, who, trickle,
                                            dict(frag, **{"If-Match": '"stale"'}))), 412,
                              f"PATCH {loc} with a stale ETag")
                expect_status(c(api.request("PATCH", loc, who, trickle, frag)), 428,
                              f"PATCH {loc} without If-Match")
                expect_status(c(api.delete(loc, guest if loc == whip else admin)), 200,
                              f"DELETE {loc}")
                expect_status(c(api.delete(loc, admin)), 404, f"DELETE {loc} again")
            page = c(api.get("/join/oa-room"))
            ensure(page.status == 200 and page.media_type() == "text/html",
                   f"GET /join/oa-room: {page}")
            console = c(api.get("/console"))
            ensure(console.status == 200 and console.media_type() == "text/html",
                   f"GET /console: {console}")

            expect_status(c(api.delete(f"{base}/{pid}", admin)), 204, f"DELETE {base}/{pid}")
            expect_status(c(api.delete(f"{base}/{pid}", admin)), 404, f"DELETE {base}/{pid} again")
            expect_status(c(api.delete("/v1/rooms/oa-room", admin)), 204, "DELETE oa-room")
            expect_status(c(api.delete("/v1/rooms/oa-room", admin)), 404, "DELETE oa-room again")

            # Outside the documented operations: an unknown path and a wrong method.
            expect_problem(api.get("/v1/nowhere", viewer), 404, "not-found", "GET /v1/nowhere")
            r = api.request("PUT", "/v1/rooms", admin, {})
            expect_problem(r, 405, "method-not-allowed", "PUT /v1/rooms")
            allow = {m.strip().upper() for m in r.header("allow").split(",")}
            ensure({"GET", "POST"} <= allow and "PUT" not in allow,
                   f"PUT /v1/rooms: expected Allow with GET and POST, got {r.header('allow')!r}")

            # A lone node has no cluster to show (the 200 is checked by cluster_test.py).
            expect_problem(c(api.get("/v1/cluster", admin)), 404, "not-found",
                           "GET /v1/cluster on a lone node")

            missing = oa.unexercised()
            ensure(not missing, f"operations of the document this test did not exercise: "
                                f"{missing}")
            print(f"all {len(oa.operations)} documented operations exercised and their answers "
                  f"valid against the document")
            t.stop()
    finally:
        callee.close()


# --- metrics -----------------------------------------------------------------------------------

def case_metrics(args, work):
    """/metrics with a viewer token (401 without), and without a token on metrics_port, which
    serves nothing else; promtool accepts it; the families operators need are there."""
    keys = new_keys(args, work)
    room = small_room("metered", [audio_participant("metered-1")])  # it ticks
    with Tessera(args, work, {"keys_file": keys.path}, [room], metrics_port=True) as t:
        api = t.api
        viewer = keys.mint("viewer")
        expect_problem(api.get("/metrics"), 401, "unauthorized", "GET /metrics without a token")
        metrics_api = Api(t.metrics_port)

        def scrape():
            r = expect_status(api.get("/metrics", viewer), 200, "GET /metrics with a viewer token")
            ensure(r.media_type() == "text/plain" and "version=0.0.4" in r.header("content-type"),
                   f"GET /metrics: expected Content-Type text/plain; version=0.0.4, got "
                   f"{r.header('content-type')!r}")
            return r.body.decode()
        deadline = time.monotonic() + 15
        while True:
            ticks = metric_value(metric_samples(scrape()), "tessera_room_tick_duration_seconds_count")
            if ticks:
                break
            ensure(time.monotonic() < deadline,
                   f"no room tick in tessera_room_tick_duration_seconds_count within 15 s "
                   f"(got {ticks}); the room 'metered' runs")
            time.sleep(0.1)  # poll interval
        # A scrape counts the requests before it: this one has the ones above.
        body = scrape()
        samples = metric_samples(body)
        for family in ("tessera_rooms", "tessera_api_requests_total",
                       "tessera_process_resident_memory_bytes",
                       "tessera_room_tick_duration_seconds_bucket"):
            ensure(metric_value(samples, family) is not None,
                   f"/metrics has no {family}; families: "
                   f"{sorted({n for n, _, _ in samples})}")
        ensure(metric_value(samples, "tessera_rooms") >= 1,
               f"tessera_rooms: expected >= 1 with the room 'metered' running, got "
               f"{metric_value(samples, 'tessera_rooms')}")
        rss = metric_value(samples, "tessera_process_resident_memory_bytes")
        ensure(rss > 1 << 20, f"tessera_process_resident_memory_bytes is {rss}")
        for code in ("200", "401"):
            value = metric_value(samples, "tessera_api_requests_total", route="/metrics",
                                 method="GET", code=code)
            ensure(value is not None and value >= 1,
                   f"expected tessera_api_requests_total{{route=\"/metrics\",method=\"GET\","
                   f"code=\"{code}\"}} >= 1 after such requests, got {value}")

        plain = expect_status(metrics_api.get("/metrics"), 200,
                              f"GET /metrics without a token on metrics_port {t.metrics_port}")
        ensure(metric_value(metric_samples(plain.body.decode()), "tessera_rooms") is not None,
               f"metrics_port's /metrics has no tessera_rooms: {plain}")
        for path in ("/v1/rooms", "/v1/rooms/metered", "/healthz/../v1/rooms"):
            r = metrics_api.get(path)
            ensure(r.status != 200 or b"metered" not in r.body,
                   f"GET {path} on metrics_port (no token) answered the API: {r}")

        promtool = shutil.which("promtool")
        if not promtool:
            print("promtool (Debian: prometheus) is not installed: the format check skipped")
        else:
            for label, text in (("token", body), ("metrics_port", plain.body.decode())):
                p = subprocess.run([promtool, "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=60)
                ensure(p.returncode == 0, f"promtool check metrics on /metrics ({label}) exited "
                                          f"{p.returncode}: {p.stdout}{p.stderr}")
            print("promtool check metrics: OK")
        t.stop()


# --- webhooks ----------------------------------------------------------------------------------

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


class HookReceiver:
    """A webhook receiver (Python's http.server on 127.0.0.1): records every delivery and
    answers 500 to the first one, 200 to the rest."""

    def __init__(self):
        self.deliveries = []  # {"at", "answered", "headers", "body"} in arrival order
        self.cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.cond:
                    answered = 500 if not receiver.deliveries else 200
                    receiver.deliveries.append({
                        "at": time.monotonic(), "answered": answered, "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body})
                    receiver.cond.notify_all()
                self.send_response(answered)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self, room=None):
        """The events answered 200, in arrival order (of one room)."""
        out = []
        for d in self.deliveries:
            if d["answered"] == 200:
                try:
                    event = json.loads(d["body"])
                except ValueError:
                    event = {"type": None, "body": d["body"]}  # check_delivery says what
                if room is None or event.get("room") == room:
                    out.append(event)
        return out

    def wait(self, what, predicate, timeout_s=20):
        with self.cond:
            ok = self.cond.wait_for(lambda: predicate(self), timeout_s)
            ensure(ok, f"webhooks: {what} not received within {timeout_s} s; received: "
                       + "; ".join(f"{d['answered']} {d['body'][:200]!r}"
                                   for d in self.deliveries))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def check_delivery(d, secret):
    """A delivery as docs/operations.md promises: JSON, signed, its id in a header."""
    h, body = d["headers"], d["body"]
    ensure(h.get("content-type", "").split(";")[0] == "application/json",
           f"a webhook with Content-Type {h.get('content-type')!r}: {body!r}")
    want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    got = h.get("x-tessera-signature", "")
    ensure(hmac.compare_digest(got, want),
           f"X-Tessera-Signature: expected {want} (HMAC-SHA256 of the body with the secret "
           f"file's bytes), got {got!r} for {body!r}")
    event = json.loads(body)
    ensure(event.get("type") in ("room.started", "room.ended", "participant.joined",
                                 "participant.left") and isinstance(event.get("room"), str)
           and isinstance(event.get("id"), str) and event["id"]
           and ISO_UTC.match(str(event.get("time", ""))),
           f"a webhook event without type, room, id or an ISO 8601 UTC time: {event}")
    ensure(h.get("x-tessera-event-id") == event["id"],
           f"X-Tessera-Event-Id {h.get('x-tessera-event-id')!r}, the event's id {event['id']!r}")
    if event["type"].startswith("participant."):
        p = event.get("participant") or {}
        ensure(isinstance(p.get("id"), int) and isinstance(p.get("name"), str),
               f"a participant event without participant id and name: {event}")
    return event


def case_webhooks(args, work):
    """Events of rooms made over the API reach a webhook, signed, in order per room; a delivery
    answered 500 comes again."""
    keys = new_keys(args, work)
    secret = b"webhook-secret-4f1c9e0b7a"
    secret_file = os.path.join(work, "webhook.secret")
    with open(secret_file, "wb") as f:
        f.write(secret)
    receiver = HookReceiver()
    try:
        hook = {"url": f"http://127.0.0.1:{receiver.port}/hooks/tessera",
                "secret_file": secret_file}
        with Tessera(args, work, {"keys_file": keys.path, "webhooks": [hook]}) as t:
            api, admin = t.api, keys.mint("admin")

            # The first delivery is answered 500: it comes again, the same event.
            expect_status(api.post("/v1/rooms", admin, small_room("hook-a")), 201, "POST hook-a")
            receiver.wait("room.started for hook-a after a 500",
                          lambda r: any(e["type"] == "room.started" for e in r.accepted("hook-a")))
            first, retried = receiver.deliveries[0], None
            ensure(first["answered"] == 500, f"the first delivery: {first}")
            first_event = check_delivery(first, secret)
            for d in receiver.deliveries[1:]:
                if d["answered"] == 200 and check_delivery(d, secret) == first_event:
                    retried = d
                    break
            ensure(retried is not None, f"the event answered 500 did not come again unchanged: "
                                        f"{first['body']!r}; then "
                                        f"{[d['body'] for d in receiver.deliveries[1:]]}")
            delay = retried["at"] - first["at"]
            print(f"room.started answered 500, delivered again {delay:.2f} s later")
            ensure(delay >= 0.25, f"the retry came {delay:.2f} s after the failure: expected "
                                  f"backoff (0.5 s first)")

            # One room's life: started, a participant joins and leaves (the room is deleted),
            # ended; in that order.
            expect_status(api.post("/v1/rooms", admin, small_room("hook-b")), 201, "POST hook-b")
            guest = expect_json(api.post("/v1/rooms/hook-b/participants", admin,
                                         audio_participant("hb-guest")), 201,
                                "POST a participant into hook-b")
            expect_status(api.delete("/v1/rooms/hook-b", admin), 204, "DELETE hook-b")
            receiver.wait("room.ended for hook-b",
                          lambda r: any(e["type"] == "room.ended" for e in r.accepted("hook-b")))
            expect_status(api.delete("/v1/rooms/hook-a", admin), 204, "DELETE hook-a")
            receiver.wait("room.ended for hook-a",
                          lambda r: any(e["type"] == "room.ended" for e in r.accepted("hook-a")))

            with receiver.cond:
                deliveries = list(receiver.deliveries)
            events = [check_delivery(d, secret) for d in deliveries]
            for d in deliveries:
                ensure(d["path"] == "/hooks/tessera", f"a delivery to {d['path']}")
            b = receiver.accepted("hook-b")
            ensure([e["type"] for e in b] == ["room.started", "participant.joined",
                                              "participant.left", "room.ended"],
                   f"hook-b's events in arrival order: expected room.started, "
                   f"participant.joined, participant.left, room.ended; got "
                   f"{[e['type'] for e in b]}")
            for e in b[1:3]:
                ensure(e["participant"] == {"id": guest["id"], "name": "hb-guest"},
                       f"{e['type']}: expected participant {{id: {guest['id']}, name: "
                       f"hb-guest}}, got {e['participant']}")
            a = receiver.accepted("hook-a")
            ensure([e["type"] for e in a] == ["room.started", "room.ended"],
                   f"hook-a's events: {[e['type'] for e in a]}")
            ids = [e["id"] for e in receiver.accepted()]
            ensure(len(ids) == len(set(ids)), f"an event delivered twice after a 200: {ids}")
            print(f"{len(events)} deliveries, all signed; hook-b: "
                  + ", ".join(e["type"] for e in b))
            t.stop()
    finally:
        receiver.close()


# --- drain -------------------------------------------------------------------------------------

def case_drain(args, work):
    """SIGTERM: /readyz 503 at once, no new rooms or joins (503), the running room still
    answers; the process exits 0 once drain_grace_s has passed."""
    grace = 2
    keys = new_keys(args, work)
    room = small_room("steady", [audio_participant("steady-1")])
    with Tessera(args, work, {"keys_file": keys.path, "drain_grace_s": grace}, [room]) as t:
        api = t.api
        admin, viewer = keys.mint("admin"), keys.mint("viewer")
        expect_json(api.get("/readyz"), 200, "GET /readyz before SIGTERM")
        t.signal(signal.SIGTERM)
        signalled = time.monotonic()
        while True:
            r = api.get("/readyz")
            if r.status == 503:
                break
            ensure(time.monotonic() - signalled < 1.0,
                   f"GET /readyz 1 s after SIGTERM: expected 503, got {r}")
            time.sleep(0.01)  # poll interval
        ensure(r.json() == {"status": "draining"}, f"GET /readyz while draining: {r}")
        print(f"/readyz 503 {time.monotonic() - signalled:.3f} s after SIGTERM")
        expect_problem(api.post("/v1/rooms", admin, small_room("late")), 503, "unavailable",
                       "POST /v1/rooms while draining")
        expect_problem(api.post("/v1/rooms/steady/participants", admin,
                                audio_participant("late-joiner")), 503, "unavailable",
                       "POST a participant while draining")
        expect_json(api.get("/healthz"), 200, "GET /healthz while draining")
        steady = expect_json(api.get("/v1/rooms/steady", viewer), 200,
                             "GET the running room while draining")
        ensure([p["name"] for p in steady["participants"]] == ["steady-1"],
               f"the running room while draining: {steady}")
        answered = time.monotonic() - signalled
        ensure(answered < grace, f"the checks took {answered:.2f} s, longer than the grace")
        rc = t.proc.wait_exit(grace + 5 - (time.monotonic() - signalled),
                              f"did not exit within drain_grace_s + 5 ({grace + 5} s) of SIGTERM")
        took = time.monotonic() - signalled
        print(f"exited {rc} {took:.2f} s after SIGTERM (drain_grace_s {grace})")
        ensure(rc == 0, f"tessera exited {rc} after draining, expected 0; stderr:\n"
                        f"{t.proc.stderr()}")
        ensure(took >= grace - 0.5, f"tessera exited {took:.2f} s after SIGTERM: the running "
                                    f"room did not get its drain_grace_s of {grace} s")


# --- tls ---------------------------------------------------------------------------------------

def make_certificate(work, name):
    """A self-signed P-256 certificate for 127.0.0.1 and its key."""
    cert, key = os.path.join(work, f"{name}-cert.pem"), os.path.join(work, f"{name}-key.pem")
    rc, out, err = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-keyout", key, "-out", cert, "-days", "2",
                        "-nodes", "-subj", "/CN=127.0.0.1", "-addext",
                        "subjectAltName=IP:127.0.0.1"])
    ensure(rc == 0, f"openssl req failed ({rc}): {err}")
    return cert, key


def trusting(cert):
    return ssl.create_default_context(cafile=cert)


def case_tls(args, work):
    """With tls_cert_file/tls_key_file: HTTPS only (TLS 1.2+), a client trusting the certificate
    is served; SIGHUP takes new certificate files. Plain HTTP on a non-loopback address without
    allow_plain_http: tessera refuses the config, naming control.listen_address."""
    if not shutil.which("openssl"):
        print("SKIP: openssl is not installed (scripts/setup.sh installs it)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    cert, key = make_certificate(work, "served")
    first = os.path.join(work, "first-cert.pem")
    shutil.copy(cert, first)
    control = {"keys_file": keys.path, "tls_cert_file": cert, "tls_key_file": key}
    with Tessera(args, work, control, context=trusting(first)) as t:
        ensure(t.scheme == "https", f"with TLS files the log says {t.scheme}://, expected https")
        api = t.api
        conn = api.connection()
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        body = r.read()
        version = conn.sock.version()
        conn.close()
        ensure(r.status == 200 and json.loads(body) == {"status": "ok"},
               f"https GET /healthz: expected 200 {{\"status\":\"ok\"}}, got {r.status} {body!r}")
        ensure(version in ("TLSv1.2", "TLSv1.3"), f"negotiated {version}, expected TLS 1.2+")
        print(f"https GET /healthz: 200 over {version}")
        expect_json(api.get("/v1/rooms", keys.mint("viewer")), 200, "https GET /v1/rooms")
        answer = raw_request(t.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 5)
        ensure(not (answer.kind == "response" and answer.status == 200),
               f"plain HTTP on the HTTPS port was served: {answer}")

        # New files, SIGHUP: new handshakes use them.
        new_cert, new_key = make_certificate(work, "renewed")
        second = os.path.join(work, "second-cert.pem")
        shutil.copy(new_cert, second)
        os.replace(new_key, key)
        os.replace(new_cert, cert)
        t.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:
            try:
                r = Api(t.port, "https", context=trusting(second)).get("/healthz")
                last = str(r)
                if r.status == 200:
                    break
            except TestFailure as e:
                last = str(e)
            ensure(time.monotonic() < deadline, f"10 s after SIGHUP a client trusting only the "
                                                f"renewed certificate is not served: {last}")
            time.sleep(0.05)  # poll interval
        refusal = None
        try:
            r = Api(t.port, "https", context=trusting(first)).get("/healthz")
        except TestFailure as e:
            refusal = str(e)
        ensure(refusal is not None and "CERTIFICATE_VERIFY_FAILED" in refusal,
               f"after the reload, a client trusting only the old certificate: expected a "
               f"failed verification, got {refusal or r}")
        print("SIGHUP: the renewed certificate is served")
        t.stop()

    # Plain HTTP on an address other than loopback needs allow_plain_http.
    for allow in (False, True):
        plain = Tessera(args, work, {"keys_file": keys.path, "listen_address": "0.0.0.0",
                                     "allow_plain_http": allow}, name=f"plain-{allow}".lower())
        plain.rtp_base = free_port_block(RTP_PORTS)
        path = write_config(os.path.join(work, f"{plain.name}.yaml"), plain.config_text())
        rc, out, err = run([args.tessera, "--check-config", path])
        if allow:
            ensure(rc == 0, f"--check-config with listen_address 0.0.0.0 and allow_plain_http: "
                            f"expected exit 0, got {rc}: {out}{err}")
            continue
        ensure(rc != 0 and "control.listen_address" in out + err,
               f"--check-config with plain HTTP on 0.0.0.0: expected a non-zero exit and an "
               f"error naming control.listen_address, got exit {rc}: {out}{err}")
        print(f"--check-config: {(out + err).strip().splitlines()[-1]}")
        proc = Process([args.tessera, "--config", path], "tessera (plain HTTP on 0.0.0.0)",
                       die_with_parent=True)
        try:
            rc = proc.wait_exit(START_TIMEOUT_S, "kept running with plain HTTP on 0.0.0.0")
        finally:
            if proc.proc.poll() is None:
                proc.proc.kill()
        log = proc.log_text() + "\n".join(proc.lines)
        ensure(rc != 0 and "control.listen_address" in log and not LISTENING.search(log),
               f"tessera with plain HTTP on 0.0.0.0: expected a non-zero exit naming "
               f"control.listen_address and no listener, got exit {rc}: {log[-2000:]}")


CASES = {"rooms": case_rooms, "auth": case_auth, "ratelimit": case_ratelimit,
         "limits": case_limits, "openapi": case_openapi, "metrics": case_metrics,
         "webhooks": case_webhooks, "drain": case_drain, "tls": case_tls}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--token", required=True, help="the tessera-token binary")
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix=f"tessera-control-{args.case}-")
    print(f"work directory: {work}")
    start = time.monotonic()
    CASES[args.case](args, work)
    print(f"PASS {args.case} ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    run_main(main)
