#!/usr/bin/env python3
"""End-to-end test of Tessera's WebRTC front door with a real browser: Debian's Chromium, headless,
driven by playwright-core (tests/integration/webrtc/browser.mjs), opens the join page Tessera
serves (GET /join/{room}), publishes a camera and a microphone fed from files (a solid colour,
a tone) with WHIP and plays the room's composite and mix with WHEP. An ffmpeg camera of another
colour and another tone is in the same room over plain RTP.

Scenarios:
  browser  the composite the browser receives shows the ffmpeg camera's colour in its grid tile
           and the browser's own colour in its tile (read from the <video> through a canvas);
           audio and video packets flow both ways (getStats); the mix it plays holds the
           camera's tone and not its own (WebAudio's analyser); an ICE restart (PATCH of both
           resources) keeps the participants and their tiles, and the browser's new candidate
           pairs are answered; the API lists the browser with transport webrtc; after the
           page's leave() (DELETE of both resources) it is gone.
  tcp      the same browser with only the node's ICE-TCP candidate (the UDP one taken out of the
           answer, as if UDP were blocked): live, both tiles, media both ways over TCP pairs.
  relay    the same browser allowed only relayed candidates (#relay=1), through a real coturn
           on loopback with the credentials Tessera's Link headers handed it: live, both tiles,
           media both ways over relay pairs, coturn's allocations succeeded.
  bottleneck  the same browser, its viewer's media through tessera-impair (the answer's UDP
           candidate pointed at the relay): behind a 500 kbit/s limit on what Tessera sends it,
           the send-side estimate (from the browser's transport-wide feedback) moves the viewer
           from the 640x360 profile to the 320x180 one and it plays on (frames decoded, no
           freeze); once the limit lifts a probe finds the room and it is moved back.
  simulcast  the browser sends a 1280x720 camera as three simulcast layers: Tessera decodes the
           one that covers its tile (640x360 for half the grid, 320x180 as a picture-in-picture
           inset, 640x360 pinned full frame), switching at keyframes, skipping the others.
  mobile   the browser's WHIP media through tessera-impair with 3 % loss and 30 ms of jitter,
           the room's audio jitter buffer allowed 200 ms: over 10 s its voice is played every
           20 ms with no late packet, no re-buffering and concealment no more than the loss.
  webrtcbin  a second WebRTC stack, GStreamer's webrtcbin (tests/integration/webrtc/
           webrtcbin_peer.py, Debian's python3): it publishes VP8 of a solid colour and an Opus
           tone over WHIP and plays the composite over WHEP next to the ffmpeg camera; the
           composite it decodes shows both colours in their tiles; its DELETEs are answered.
  firefox  Debian's Firefox ESR (puppeteer-core over WebDriver BiDi; its camera a canvas of one
           colour, its microphone Firefox's fake tone) joins through the join page beside the
           ffmpeg camera, in a room that sends its composite in VP8 too (Debian's Firefox has no
           H.264): both tiles in their places in what it decodes, it hears the camera and not
           itself (its received mix recorded and measured: no AudioContext runs headless), RTX
           answered and transport-wide feedback both ways; its DELETEs leave the room empty.
           Firefox gathers no loopback candidate, so this scenario runs in a user and network
           namespace of its own (unshare -rn, a veth pair, 10.200.0.1); skipped, saying why,
           where none can be made.
  mixed    three ways into one room: the ffmpeg camera (RTP), baresip dialling in over SIP and
           the browser: the browser's composite shows each in its 2x2 grid slot (baresip's
           three bars), it hears the camera and baresip and not itself, baresip hears the camera
           and the browser and not itself; the API lists rtp, sip and webrtc.
  refused  a participant token of another room gets 403, an expired token and a garbage one 401:
           the page says so in its status line (the problem's title and detail, as the server
           answered them) and nothing joins the room.
  console  the operator console (GET /console, tests/integration/webrtc/console.mjs) with an
           operator token, in a room of two ffmpeg cameras (red, lime): it lists the room and
           both cameras as the API does; its preview (WHEP with the operator's token) shows each
           camera's colour in its grid tile and its DELETE ends the viewer; mute, unmute, a
           layout switch and a kick clicked on the page are what the API then says; the token
           never reaches the address bar or tessera's log. A garbage token: the page's status
           line shows the server's 401 problem.

Each scenario starts its own tessera (control on a free port, a keys file made with
tessera-token, webrtc.udp_port 0) in a temporary directory (printed); the composite frame and a
screenshot of the page are saved there for a person to look at. Waits poll a condition (a log
line, a JSON line from the browser, an API answer) with a deadline; nothing sleeps to let
something happen. Exits 77 (skipped), saying why, where node, /usr/bin/chromium or the npm
packages (npm ci in tests/integration/webrtc; scripts/setup.sh does it) are missing.

usage: webrtc_test.py --tessera BIN --token TESSERA_TOKEN_BIN [--impair IMPAIR_BIN]
       --scenario browser|refused|console|relay|tcp|bottleneck|webrtcbin|mobile|simulcast|firefox|
                  mixed
       [--join-page web/join.html]  (serve this file as the join page instead of the built one)
       [--console-page web/console.html]  (the same for the operator console)
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, av_camera_argv, ensure,  # noqa: E402
                             free_port_pair, run, run_main)
from turn_server import Coturn, turnserver_path  # noqa: E402
from video_mix_test import (COLOURS, FPS, HEIGHT, WIDTH, colour_sender_argv,  # noqa: E402
                            grid_slots)
from control_test import (Tessera, browser_offer, claims, craft, expect_json,  # noqa: E402
                          expect_problem, expect_status, metric_samples, metric_value, new_keys)

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.join(HERE, "webrtc")
BROWSER_SCRIPT = os.path.join(BROWSER_DIR, "browser.mjs")
CONSOLE_SCRIPT = os.path.join(BROWSER_DIR, "console.mjs")
CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"
# Firefox gathers no loopback candidate (whatever media.peerconnection.ice.loopback says), so
# its scenario runs in a network namespace of its own (unshare -rn): a veth pair, this address
# on one end, a default route out of it (Firefox gathers nothing without one) that leads
# nowhere. Tessera's WebRTC port is on this address; the API and the camera stay on loopback.
FIREFOX_NETNS_ADDRESS = "10.200.0.1"
def firefox_netns_setup(ip):
    """The namespace's shell commands, with `ip` (its path)."""
    return (f"{ip} link set lo up && {ip} link add tsr0 type veth peer name tsr1 && "
            f"{ip} addr add {FIREFOX_NETNS_ADDRESS}/24 dev tsr0 && "
            f"{ip} link set tsr1 up && {ip} link set tsr0 up && "
            f"{ip} route add default via 10.200.0.2 dev tsr0")
ROOM = "webrtc-room"
BROWSER_NAME = "browser-guest"  # the token's sub: the browser's name in the room
CAMERA = "camera"
CAMERA_COLOUR, BROWSER_COLOUR = "red", "blue"
CAMERA_TONE_HZ, BROWSER_TONE_HZ = 440, 660
BITRATE_KBPS = 800  # the room's one profile: the REMB cap for publishers
# The bottleneck scenario's second, smaller profile, and the bottleneck.
SMALL_WIDTH, SMALL_HEIGHT, SMALL_KBPS = 320, 180, 150
BOTTLENECK = "500k"
GUEST, GUEST_COLOUR = "guest", "lime"  # the console scenario's second camera
OPERATOR = "ops-console"  # the console's token's sub: its preview is "ops-console.viewer"
# Per channel, in the browser's RGB: the colours went through two lossy encodes and two YUV
# conversions (BT.601 limited range here, whatever matrix the browser assumes there).
TOLERANCE = 48
# Chromium starts, the page gets its camera, ICE and DTLS, the first keyframe: on a loaded
# 2-core machine.
LIVE_TIMEOUT_S = 75
WEBRTC_PORT = re.compile(r"webrtc: browsers' media on UDP ([0-9.]+):(\d+)")


def skip_unless_browser(node):
    """Exits 77, saying why, where the browser tooling is missing."""
    why = None
    if not shutil.which(node):
        why = f"node ({node}) is not installed (Node.js 20 or later, with npm)"
    elif not os.access(CHROMIUM, os.X_OK):
        why = f"{CHROMIUM} is not installed (Debian package chromium: scripts/setup.sh)"
    elif not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        why = (f"playwright-core is not installed: npm ci in {BROWSER_DIR} (scripts/setup.sh "
               f"does it)")
    if why:
        print(f"SKIP: {why}")
        sys.exit(SKIP)


def room_config(camera_port, camera_audio=None, small=False, vp8=False, camera_hears=False):
    """One room: a 640x360 H.264 composite in a plain grid (no borders, labels or speaker
    frame), the ffmpeg camera joined from the config; camera_audio (its port, where its mix
    goes): it sends PCMU too. small: a second, 320x180 profile to adapt to. vp8: the same
    composite in VP8 too, for a browser without H.264 (Firefox without OpenH264). camera_hears:
    the camera's mix is sent (else it is deaf)."""
    profiles = [{"name": "hd", "codec": "H264", "width": WIDTH, "height": HEIGHT, "fps": FPS,
                 "bitrate_kbps": BITRATE_KBPS, "keyframe_interval_s": 1}]
    if small:
        profiles.append({"name": "small", "codec": "H264", "width": SMALL_WIDTH,
                         "height": SMALL_HEIGHT, "fps": FPS, "bitrate_kbps": SMALL_KBPS,
                         "keyframe_interval_s": 1})
    if vp8:
        profiles.append({"name": "vp8", "codec": "VP8", "width": WIDTH, "height": HEIGHT,
                         "fps": FPS, "bitrate_kbps": BITRATE_KBPS, "keyframe_interval_s": 1})
    room = {"name": ROOM,
            "video": {"layout": "grid", "fit": "crop", "border_px": 0,
                      "highlight_speaker": False, "name_labels": False,
                      "profiles": profiles},
            "participants": [{"name": CAMERA,
                              "video": {"codec": "H264", "local_port": camera_port}}]}
    if camera_audio:
        room["participants"][0].update({"local_port": camera_audio[0],
                                        "remote_rtp_port": camera_audio[1],
                                        "deaf": not camera_hears,
                                        "audio": {"codec": "PCMU"}})
    return room


class WebRtcTessera(Tessera):
    """tessera with the room above and WebRTC on a free UDP port (read from its log). Each start
    attempt takes a new port for the camera."""

    def __init__(self, args, work, keys, turn=None, small_profile=False, room_extra=None,
                 vp8_profile=False, media_address="127.0.0.1", sip_port=None,
                 camera_hears=False):
        webrtc = (f"webrtc:\n  enabled: true\n  bind_address: {media_address}\n"
                  f"  udp_port: 0\n")
        sip = ""
        if sip_port:  # SIP callers from loopback, as a trusted trunk
            sip = (f"sip:\n  listen:\n    - {{transport: udp, address: 127.0.0.1, "
                   f"port: {sip_port}}}\n  trunks:\n    - {{name: loopback, "
                   f"networks: [127.0.0.0/8]}}\n")
        if turn:  # a Coturn: browsers get it, with credentials
            webrtc += (f"  turn:\n    urls: [\"{turn.url()}\"]\n"
                       f"    secret_file: {turn.secret_file}\n")
        super().__init__(args, work, {"keys_file": keys.path}, extra_yaml=webrtc + sip)
        self.camera_port = self.camera_audio = None
        self.webrtc_port = None
        self.small_profile = small_profile
        self.vp8_profile = vp8_profile
        self.camera_hears = camera_hears
        self.room_extra = room_extra or {}

    def config_text(self):
        self.camera_port = free_port_pair()
        self.camera_audio = (free_port_pair(), free_port_pair())
        self.rooms = [dict(room_config(self.camera_port, self.camera_audio, self.small_profile,
                                       self.vp8_profile, self.camera_hears),
                           **self.room_extra)]
        return super().config_text()

    def camera(self, noisy=False):
        """The ffmpeg camera: CAMERA_COLOUR, and CAMERA_TONE_HZ as PCMU. noisy: with moving
        grain, which no encoder compresses (a composite that needs its profile's bitrate)."""
        grain = ",noise=alls=40:allf=t+u" if noisy else ""
        return Process(av_camera_argv(3600, f"color=c=0x{COLOURS[CAMERA_COLOUR]:06x}:s=320x180:"
                                            f"r={FPS}{grain}", f"0.5*sin(2*PI*{CAMERA_TONE_HZ}*t)", FPS,
                                      8000, self.camera_audio[0], self.camera_port),
                       "ffmpeg camera", die_with_parent=True)

    def start(self):
        super().start()
        line = self.proc.wait_for_log(lambda l: WEBRTC_PORT.search(l) is not None, 10)
        self.webrtc_port = int(WEBRTC_PORT.search(line).group(2))
        print(f"{self.name}: browsers' media on UDP 127.0.0.1:{self.webrtc_port}")
        return self

    def join_url(self):
        return f"http://127.0.0.1:{self.port}/join/{ROOM}"

    def console_url(self):
        return f"http://127.0.0.1:{self.port}/console"


def make_media(work, colour, tone_hz, size="640x360"):
    """The browser's fake camera (a y4m of a solid colour; Chromium loops it) and microphone (a
    16-bit wav tone)."""
    y4m, wav = (os.path.join(work, f"{colour}-{size}.y4m"),
                os.path.join(work, f"tone{tone_hz}.wav"))
    for argv in (["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                  f"color=c=0x{COLOURS[colour]:06x}:s={size}:r=15", "-t", "1",
                  "-pix_fmt", "yuv420p", y4m],
                 ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                  f"sine=frequency={tone_hz}:sample_rate=48000", "-t", "2", "-ac", "1",
                  "-c:a", "pcm_s16le", wav]):
        rc, _, err = run(argv)
        ensure(rc == 0, f"{' '.join(argv)} failed: {err}")
    return y4m, wav


def tile_points(rect):
    """Points (fractions of the composite) well inside a tile: its centre and the centres of
    its four corner patches (video_mix_test's Rect.corners, away from compression bleed)."""
    pts = [(rect.x + rect.w / 2, rect.y + rect.h / 2)]
    pts += [(p.x + p.w / 2, p.y + p.h / 2) for p in rect.corners(margin=12)]
    return [{"x": round(x / WIDTH, 4), "y": round(y / HEIGHT, 4)} for x, y in pts]


def expected_points(second=(BROWSER_COLOUR, "browser")):
    """Two inputs in a grid: two columns, one row (mixer/layout.cc GridShapeFor(2)); the camera
    joined first (the config), the second (colour, who) after it."""
    left, right = grid_slots(2, 1)
    points, labels = [], []
    for rect, (colour, who) in ((left, (CAMERA_COLOUR, CAMERA)), (right, second)):
        rgb = COLOURS[colour]
        for p in tile_points(rect):
            p["rgb"] = [(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF]
            points.append(p)
            labels.append(f"{who}'s tile ({colour}) at {rect}")
    return points, labels


class Browser:
    """browser.mjs: Chromium on the join page; its reports are JSON lines on stdout."""

    SCRIPT = BROWSER_SCRIPT

    def page_file(self, args):
        return args.join_page

    def __init__(self, args, url, token, extra, name="browser", commands=False):
        argv = [args.node, self.SCRIPT, "--url", url] + extra
        if commands:
            argv.append("--commands")
        if self.page_file(args):
            argv += ["--page-file", self.page_file(args)]
        # The token goes in the child's environment, not its argv (the process list shows it).
        os.environ["TESSERA_TOKEN"] = token
        try:
            self.proc = Process(argv, name, stdin=commands, die_with_parent=True)
        finally:
            del os.environ["TESSERA_TOKEN"]
        self.name = name

    def report(self, kind, timeout_s, start=0):
        """The next JSON report of `kind` (or an error report) from line `start` on."""
        def wanted(line):
            try:
                r = json.loads(line)
            except ValueError:
                return False
            return isinstance(r, dict) and (r.get("report") == kind or "error" in r)
        line = self.proc.wait_for_line(wanted, timeout_s, start)
        r = json.loads(line)
        ensure(r.get("report") == kind and "error" not in r,
               f"{self.name}: {r}; stderr:\n{self.proc.stderr()}")
        return r

    def ask(self, command, kind, timeout_s=30):
        seen = len(self.proc.lines)
        self.proc.send_line(command)
        return self.report(kind, timeout_s, start=seen)

    def finish(self, timeout_s=30):
        """Waits for the script to exit (after quit, or by itself; its stdin is closed: end
        of input is quit); its exit status."""
        return self.proc.wait_exit(timeout_s, "did not exit")

    def kill(self):
        """SIGTERM first: the driver then closes its browser (puppeteer's Firefox runs in a
        process group of its own and would outlive a SIGKILLed driver); SIGKILL after 5 s."""
        if self.proc.proc.poll() is None:
            self.proc.proc.terminate()
            try:
                self.proc.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.proc.kill()
                self.proc.proc.wait()

    def quit(self):
        """Ends the script (quit); fails unless it exits 0."""
        self.proc.send_line("quit")
        rc = self.finish()
        ensure(rc == 0, f"{self.name} exited {rc}; stderr:\n{self.proc.stderr()}")


def stop_all(browser, camera):
    """The end of a scenario, passed or failed: the browser (if it started) and the camera go."""
    if browser:
        browser.kill()
    camera.proc.kill()
    camera.proc.wait()


def participants(api, admin):
    return expect_json(api.get(f"/v1/rooms/{ROOM}/participants", admin), 200,
                       f"GET /v1/rooms/{ROOM}/participants")["participants"]


def webrtc_participants(api, admin):
    return [p for p in participants(api, admin) if p.get("transport") == "webrtc"]


def wait_until(what, fn, timeout_s):
    """fn() until it returns something truthy, every 100 ms up to the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise TestFailure(f"{what} not seen within {timeout_s}s")
        time.sleep(0.1)  # poll interval


def describe_points(report, labels):
    return "; ".join(f"{labels[i]} at ({p['x']:.2f}, {p['y']:.2f}) rgb {tuple(p['rgb'])}"
                     for i, p in enumerate(report.get("points", [])))


def colour_problems(report, points, labels):
    got = report.get("points", [])
    if len(got) != len(points):
        return [f"sampled {len(got)} points of {len(points)} (video "
                f"{report.get('videoWidth')}x{report.get('videoHeight')})"]
    out = []
    for want, seen, label in zip(points, got, labels):
        if any(abs(a - b) > TOLERANCE for a, b in zip(seen["rgb"], want["rgb"])):
            out.append(f"{label} at ({want['x']:.2f}, {want['y']:.2f}) is rgb "
                       f"{tuple(seen['rgb'])}, want {tuple(want['rgb'])} within {TOLERANCE}")
    return out


def check_picture(r, points, labels, what):
    """A sampled report shows the room's profile size and every expected colour."""
    ensure((r.get("videoWidth"), r.get("videoHeight")) == (WIDTH, HEIGHT),
           f"the picture is {r.get('videoWidth')}x{r.get('videoHeight')}, the room's profile "
           f"{WIDTH}x{HEIGHT}")
    problems = colour_problems(r, points, labels)
    ensure(r.get("matched") and not problems, f"{what}: " + "; ".join(problems))


def join_browser(args, work, t, keys, extra=(), name="browser", camera_size="640x360"):
    """The browser (BROWSER_COLOUR, BROWSER_TONE_HZ) joins as BROWSER_NAME through the join
    page, until it is live and its composite shows the camera's tile and its own where the grid
    puts them; its Browser (commands on)."""
    y4m, wav = make_media(work, BROWSER_COLOUR, BROWSER_TONE_HZ, camera_size)
    token = keys.mint("participant", room=ROOM, sub=BROWSER_NAME, ttl=300)
    points, labels = expected_points()
    frame_png, page_png = (os.path.join(work, "composite.png"), os.path.join(work, "page.png"))
    browser = Browser(args, t.join_url(), token,
                      ["--video", y4m, "--audio", wav, "--points", json.dumps(points),
                       "--tolerance", str(TOLERANCE), "--timeout", str(LIVE_TIMEOUT_S),
                       "--save-frame", frame_png, "--screenshot", page_png] + list(extra),
                      name=name, commands=True)
    try:
        r = browser.report("join", LIVE_TIMEOUT_S + 30)
        print(f"browser: state {r.get('state')}, status {r.get('status')!r}, video "
              f"{r.get('videoWidth')}x{r.get('videoHeight')}, requests {r.get('requests')}")
        print(f"browser saw: {describe_points(r, labels)}")
        print(f"composite as the browser decoded it: {r.get('frame')}; the page: "
              f"{r.get('screenshot')}")
        ensure(r.get("live"), f"the page never got to state live: state {r.get('state')}, "
                              f"status {r.get('status')!r}, requests {r.get('requests')}, "
                              f"stats {r.get('stats')}, console {r.get('console')}; "
                              f"tessera:\n{t.proc.stderr()}")
        check_picture(r, points, labels,
                      f"the browser's composite ({r.get('frame')}) does not show the two tiles "
                      f"of a 2x1 grid (the camera, then the browser; a receive-only viewer has "
                      f"none)")
        ensure(str(r.get("whipLocation", "")).startswith(f"http://127.0.0.1:{t.port}/whip/"
                                                        f"{ROOM}/") and
               str(r.get("whepLocation", "")).startswith(f"http://127.0.0.1:{t.port}/whep/"
                                                        f"{ROOM}/"),
               f"the page's resources: WHIP {r.get('whipLocation')!r}, WHEP "
               f"{r.get('whepLocation')!r}")
    except Exception:
        browser.kill()
        raise
    return browser, r


def check_hears_others_not_itself(browser):
    """The mix the browser's WHEP session plays holds the camera's tone and not the browser's
    own (its WHEP viewer is linked to its WHIP publisher by the token's subject)."""
    def measured():
        r = browser.ask(f"tones {CAMERA_TONE_HZ},{BROWSER_TONE_HZ}", "tones")
        measured.last = r
        db = r.get("aboveFloorDb") or {}
        return r if db.get(str(CAMERA_TONE_HZ), 0) >= 40 else None
    measured.last = None
    try:
        r = wait_until(f"the camera's {CAMERA_TONE_HZ} Hz in the browser's mix", measured, 30)
    except TestFailure as e:
        raise TestFailure(f"{e}: last measured {measured.last}")
    db = r["aboveFloorDb"]
    print(f"the browser's mix: {CAMERA_TONE_HZ} Hz (the camera) {db[str(CAMERA_TONE_HZ)]} dB, "
          f"{BROWSER_TONE_HZ} Hz (its own microphone) {db[str(BROWSER_TONE_HZ)]} dB above the "
          f"floor ({r.get('frames')} spectra)")
    # A tone in the mix stands 50-60 dB above the floor; codec noise and the analyser's window
    # leave 10-15 dB around a loud one.
    own, other = db[str(BROWSER_TONE_HZ)], db[str(CAMERA_TONE_HZ)]
    ensure(own < 25 and other - own >= 30,
           f"the browser hears itself: its own {BROWSER_TONE_HZ} Hz stands {own} dB above the "
           f"floor of its mix, the camera's {other} dB ({r})")


def check_ice_restart(t, browser, admin):
    """An ICE restart of both sessions (PATCH on each resource): the same participants, the
    same tiles, media again, and Tessera logged both restarts."""
    before = {p["name"]: p["id"] for p in participants(t.api, admin)}
    pairs = browser.ask("stats", "stats")["stats"]
    r = browser.ask("restart", "restart", LIVE_TIMEOUT_S + 10)
    patches = [q for q in r.get("requests", []) if q.get("method") == "PATCH"]
    print(f"ICE restart: answered {r.get('answered')}, live {r.get('live')}, PATCHes {patches}")
    ensure(r.get("answered") == {"whip": True, "whep": True} and r.get("live"),
           f"the ICE restart: answered {r.get('answered')}, live {r.get('live')}, state "
           f"{r.get('state')}, status {r.get('status')!r}, requests {r.get('requests')}, "
           f"console {r.get('console')}")
    ensure(sorted((q["path"].split("/")[1], q["status"]) for q in patches) ==
           [("whep", 200), ("whip", 200)],
           f"expected one PATCH of each resource answered 200, got {patches}")
    t.proc.wait_for_log(lambda l: "ICE restart" in l and ".viewer" in l, 10)
    t.proc.wait_for_log(lambda l: "ICE restart" in l and ".viewer" not in l, 10)
    after = {p["name"]: p["id"] for p in participants(t.api, admin)}
    ensure(after == before, f"the ICE restart changed the room: before {before}, after {after}")

    # The browser checks with the new credentials: a new pair (new candidates) that Tessera
    # answers.
    def new_pairs():
        s = browser.ask("stats", "stats")["stats"]
        new_pairs.last = s
        return all(s[k].get("selectedPair") and s[k]["selectedPair"] != pairs[k]["selectedPair"]
                   and s[k].get("pairResponses", 0) > 0 for k in ("whip", "whep"))
    new_pairs.last = None
    try:
        wait_until("new candidate pairs answered by Tessera", new_pairs, 20)
    except TestFailure as e:
        raise TestFailure(f"{e}: before {pairs}, now {new_pairs.last}")
    sampled = browser.ask("sample", "sample", LIVE_TIMEOUT_S + 10)
    ensure(sampled.get("matched"), f"after the ICE restart the composite does not show both "
                                   f"tiles: {sampled.get('points')}")
    print(f"after the ICE restart: the same participants {after}, both tiles in place")


def check_flowing(browser):
    """Media both ways, as the browser counts it; the browser's stats."""
    def flowing():
        s = browser.ask("stats", "stats")["stats"]
        whip, whep = s.get("whip") or {}, s.get("whep") or {}
        ok = ((whep.get("inbound_video") or {}).get("framesDecoded", 0) > 0
              and (whep.get("inbound_audio") or {}).get("packetsReceived", 0) > 0
              and (whip.get("outbound_video") or {}).get("bytesSent", 0) > 0
              and (whip.get("outbound_audio") or {}).get("bytesSent", 0) > 0)
        flowing.last = s
        return s if ok else None
    flowing.last = None
    try:
        s = wait_until("audio and video both ways", flowing, 20)
    except TestFailure as e:
        raise TestFailure(f"{e}: the browser's stats {flowing.last}")
    print(f"browser stats: {json.dumps(s)}")
    return s


def scenario_browser(args, work):
    """A browser and an ffmpeg camera in one room: each sees the other, and itself, where the
    grid puts them; the browser hears the camera and not itself; an ICE restart keeps
    everything; the API lists the browser with transport webrtc until it leaves."""
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    with WebRtcTessera(args, work, keys) as t:
        camera = t.camera()
        browser = None
        try:
            browser, r = join_browser(args, work, t, keys)

            s = check_flowing(browser)
            # Retransmissions on RTX streams (RFC 4588) both ways, as the browser negotiated.
            # (and the viewer's answer names Tessera's RTX stream)
            ensure(s["whip"].get("answeredRtx") and s["whep"].get("answeredRtx") and
                   s["whep"].get("rtxStream"),
                   f"RTX not answered: whip {s['whip']}, whep {s['whep']}")
            check_hears_others_not_itself(browser)
            check_ice_restart(t, browser, admin)

            # The API lists the browser, as a WebRTC participant.
            listed = participants(t.api, admin)
            names = {p.get("name"): p for p in listed}
            ensure(BROWSER_NAME in names and names[BROWSER_NAME].get("transport") == "webrtc",
                   f"GET /v1/rooms/{ROOM}/participants: expected {BROWSER_NAME} with transport "
                   f"webrtc, got {listed}")
            ensure(CAMERA in names, f"the camera is not listed: {listed}")
            # With its live statistics, as any participant's (its legs have no port of their
            # own): what Tessera received from the browser, what it sent to its viewer.
            published = names[BROWSER_NAME]
            viewing = names.get(f"{BROWSER_NAME}.viewer", {})
            # Tessera tells the publishing browser what it may send (REMB), under the room's
            # largest profile's bitrate, and the browser's estimate keeps under it.
            pv = published.get("video") or {}
            ensure(pv.get("rembs_sent", 0) > 0 and pv.get("remb_max_kbps") == BITRATE_KBPS,
                   f"no REMB to the publisher: {pv}")
            whip_rate = (browser.ask("stats", "stats")["stats"].get("whip") or {}).get(
                "availableOutgoingBitrate")
            print(f"REMB: {pv.get('rembs_sent')} sent, cap {pv.get('remb_max_kbps')} kbit/s; the "
                  f"browser's outgoing estimate {whip_rate}")
            # The REMB sets Chromium's estimate: it is the cap, not a rate of its own choosing.
            ensure(whip_rate is not None and
                   BITRATE_KBPS * 1000 * 0.5 <= whip_rate <= BITRATE_KBPS * 1000 * 1.05,
                   f"the browser's outgoing estimate {whip_rate} is not the REMB cap "
                   f"{BITRATE_KBPS} kbit/s")
            # Transport-wide feedback both ways: Tessera acknowledges what the publisher sends,
            # the viewer acknowledges what Tessera sends it (and Tessera estimates from that).
            samples = metric_samples(expect_status(t.api.get("/metrics", admin), 200,
                                                   "GET /metrics").body.decode())
            fb_sent = metric_value(samples, "tessera_webrtc_transport_feedback_sent_total")
            fb_received = metric_value(samples,
                                       "tessera_webrtc_transport_feedback_received_total")
            viewer_estimate = (viewing.get("video") or {}).get("send_estimate_kbps")
            print(f"transport-wide feedback: {fb_sent} sent to the publisher, {fb_received} "
                  f"received from the viewer; Tessera's estimate of the viewer's path "
                  f"{viewer_estimate} kbit/s")
            ensure(fb_sent and fb_sent > 0 and fb_received and fb_received > 0 and
                   viewer_estimate is not None,
                   f"transport-wide feedback: sent {fb_sent}, received {fb_received}, the "
                   f"viewer's statistics {viewing.get('video')}")
            ensure((published.get("audio") or {}).get("rtp_received", 0) > 0 and
                   (published.get("video") or {}).get("rtp_received", 0) > 0 and
                   (viewing.get("video") or {}).get("rtp_sent", 0) > 0,
                   f"the API's live statistics of the browser: publisher {published}, viewer "
                   f"{viewing}")
            print(f"listed: " + ", ".join(f"{p.get('name')} ({p.get('transport')})"
                                          for p in listed))

            # Leave: both resources deleted, the browser gone from the room.
            left = browser.ask("leave", "leave")
            print(f"leave: {left.get('leave')}, state {left.get('state')}, status "
                  f"{left.get('status')!r}")
            ensure(left.get("leave") == {"whip": 200, "whep": 200},
                   f"leave(): expected both DELETEs answered 200, got {left.get('leave')}; "
                   f"requests {left.get('requests')}")
            ensure(left.get("state") == "left", f"after leave() the page is in state "
                                                f"{left.get('state')}")
            deletes = [q for q in left.get("requests", []) if q.get("method") == "DELETE"]
            ensure(sorted(q["path"].split("/")[1] for q in deletes) == ["whep", "whip"],
                   f"expected one DELETE of each resource, got {left.get('requests')}")
            wait_until("the browser gone from the participant list",
                       lambda: not webrtc_participants(t.api, admin), 10)
            after = participants(t.api, admin)
            ensure([p.get("name") for p in after] == [CAMERA],
                   f"after leave(): expected only {CAMERA} in the room, got {after}")
            print(f"after leave: {[p.get('name') for p in after]}")
            browser.quit()
        finally:
            stop_all(browser, camera)
        t.stop()


def scenario_relay(args, work):
    """A browser that may only relay (iceTransportPolicy "relay", #relay=1) through a real
    coturn on loopback, with the credentials Tessera handed it: live, both tiles, media both
    ways over the relay, and the TURN server saw its allocations. Then the operator console's
    preview, also forced through the relay: it fetched the TURN servers itself, plays, and its
    selected pair is relayed."""
    if not turnserver_path():
        print("SKIP: coturn (turnserver) is not installed (Debian package coturn: "
              "scripts/setup.sh)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    with Coturn(work) as turn, WebRtcTessera(args, work, keys, turn=turn) as t:
        camera = t.camera()
        browser = None
        try:
            browser, r = join_browser(args, work, t, keys, extra=["--relay"])
            ensure(r.get("iceServers") == [turn.url()],
                   f"the page was handed {r.get('iceServers')}, expected [{turn.url()}]")
            s = check_flowing(browser)
            for kind in ("whip", "whep"):
                ensure(s[kind].get("localCandidateType") == "relay",
                       f"the {kind} session's selected pair is not relayed: {s[kind]}")
            log = turn.output(400)
            ensure("ALLOCATE processed, success" in log,
                   f"coturn logged no successful allocation: {log}")
            print(f"relayed: whip via {s['whip'].get('localCandidateType')} to "
                  f"{s['whip'].get('remoteCandidate')}, whep via "
                  f"{s['whep'].get('localCandidateType')} to {s['whep'].get('remoteCandidate')}")
            browser.quit()
            browser = None

            operator = keys.mint("operator", sub=OPERATOR, ttl=300)
            browser = ConsoleDriver(args, t.console_url(), operator,
                                    ["--room", ROOM, "--relay", "--timeout", str(LIVE_TIMEOUT_S)],
                                    name="console", commands=True)
            ready = browser.report("ready", LIVE_TIMEOUT_S + 30)
            ensure(ready.get("ok") and ready.get("opened"),
                   f"the console did not open room {ROOM}: {ready}")
            p = browser.ask("preview", "preview", LIVE_TIMEOUT_S + 15)
            print(f"console preview: live {p.get('live')}, path {p.get('path')}, handed "
                  f"{(p.get('preview') or {}).get('iceServers')}")
            ensure(p.get("live"), f"the relayed preview never played: {p.get('preview')}, "
                                  f"status {p.get('previewStatus')!r}, console {p.get('console')}")
            ensure((p.get("preview") or {}).get("iceServers") == [turn.url()],
                   f"the console was handed {(p.get('preview') or {}).get('iceServers')}, "
                   f"expected [{turn.url()}]")
            ensure((p.get("path") or {}).get("localCandidateType") == "relay",
                   f"the console's preview is not relayed: {p.get('path')}")
            browser.quit()
        finally:
            stop_all(browser, camera)
        t.stop()


def scenario_tcp(args, work):
    """A browser that may only use the node's ICE-TCP candidate (#transport=tcp: the UDP one is
    taken out of the answer, as if UDP were blocked): live, both tiles, media both ways over
    TCP pairs, and Tessera took the connections on its ICE-TCP port."""
    keys = new_keys(args, work)
    with WebRtcTessera(args, work, keys) as t:
        t.proc.wait_for_log(lambda l: "ICE-TCP (passive) on TCP" in l, 10)
        camera = t.camera()
        browser = None
        try:
            browser, r = join_browser(args, work, t, keys, extra=["--tcp"])
            s = check_flowing(browser)
            for kind in ("whip", "whep"):
                ensure(s[kind].get("protocol") == "tcp",
                       f"the {kind} session's selected pair is not over TCP: {s[kind]}")
            print(f"over ICE-TCP: whip to {s['whip'].get('remoteCandidate')}, whep to "
                  f"{s['whep'].get('remoteCandidate')}")
            browser.quit()
        finally:
            stop_all(browser, camera)
        t.stop()


def start_relay(args, t, impair=(), stdin=False):
    """tessera-impair in front of the node's WebRTC port (impair: its arguments, stdin: take
    commands); (the relay, the port browsers send to)."""
    port = free_port_pair()
    relay = Process([args.impair] + list(impair) + ["--map", f"{port}:{t.webrtc_port}"],
                    "tessera-impair", stdin=stdin, die_with_parent=True)
    relay.wait_for_line(lambda l: l == "ready", 10)
    return relay, port


def join_via_relay(args, work, t, keys, kind, relay_port):
    """The browser joins with its `kind` (whip or whep) session's media through the relay:
    live, both tiles, media both ways, that session's pair on the relay's port."""
    browser, _ = join_browser(args, work, t, keys, extra=[f"--{kind}-port", str(relay_port)])
    s = check_flowing(browser)
    ensure(s[kind].get("remoteCandidate") == f"127.0.0.1:{relay_port}",
           f"the {kind} session's media does not go through the relay: {s[kind]}")
    return browser


def profile_recipients(api, admin):
    """How many recipients each of the room's profiles has now."""
    room = expect_json(api.get(f"/v1/rooms/{ROOM}", admin), 200, "GET the room")
    profiles = ((room.get("stats") or {}).get("video") or {}).get("profiles") or {}
    return {name: p.get("recipients", 0) for name, p in profiles.items()}


def viewer_video(api, admin):
    """The browser's viewer's video statistics, as the API lists them."""
    for p in participants(api, admin):
        if p.get("name") == f"{BROWSER_NAME}.viewer":
            return p.get("video") or {}
    return {}


def watch_playback(browser, seconds):
    """What the browser's WHEP video did over the next `seconds` (a measurement window, polled
    until it has passed): frames decoded per second, freezes added and their seconds."""
    def whep():
        return ((browser.ask("stats", "stats")["stats"].get("whep") or {})
                .get("inbound_video") or {})
    first, start = whep(), time.monotonic()
    wait_until(f"a {seconds} s window", lambda: time.monotonic() - start >= seconds, seconds + 5)
    last = whep()
    elapsed = time.monotonic() - start
    return {"fps": (last.get("framesDecoded", 0) - first.get("framesDecoded", 0)) / elapsed,
            "freezes": last.get("freezeCount", 0) - first.get("freezeCount", 0),
            "frozen_s": (last.get("totalFreezesDuration", 0)
                         - first.get("totalFreezesDuration", 0)),
            "size": f"{last.get('frameWidth')}x{last.get('frameHeight')}"}


def scenario_bottleneck(args, work):
    """A viewer behind a 500 kbit/s bottleneck (tessera-impair in front of the node, limiting
    what Tessera sends the browser's WHEP session) ends on the room's small profile, moved by
    the send-side estimate its transport-wide feedback drives, and keeps playing; when the limit
    lifts, a probe finds the room and it is taken back up to hd."""
    if not args.impair:
        print("SKIP: no --impair (the tessera-impair relay)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    with WebRtcTessera(args, work, keys, small_profile=True) as t:
        relay, relay_port = start_relay(args, t, stdin=True)
        camera = t.camera(noisy=True)
        browser = None
        try:
            browser = join_via_relay(args, work, t, keys, "whep", relay_port)
            wait_until("the viewer on hd", lambda: profile_recipients(t.api, admin).get("hd") == 1,
                       10)
            before = watch_playback(browser, 3)
            print(f"unlimited: {before}, Tessera's estimate "
                  f"{viewer_video(t.api, admin).get('send_estimate_kbps')} kbit/s")

            mark = t.proc.log_mark()
            seen = len(relay.lines)
            relay.send_line(f"down rate={BOTTLENECK}")
            answer = relay.wait_for_line(lambda l: l == "ok" or l.startswith("error"), 5,
                                         start=seen)
            ensure(answer == "ok", f"tessera-impair refused the limit: {answer}")
            limited_at = time.monotonic()
            try:
                moved = t.proc.wait_for_log(
                    lambda l: "moves from profile hd to small" in l, 30, since=mark)
            except TestFailure:
                raise TestFailure(f"the viewer was not moved to the small profile within 30 s "
                                  f"behind {BOTTLENECK}: its video statistics "
                                  f"{viewer_video(t.api, admin)}, the browser's "
                                  f"{watch_playback(browser, 1)}")
            print(f"after {time.monotonic() - limited_at:.1f} s: {moved.strip()}")
            ensure("(estimate " in moved,
                   f"the viewer was moved, but not by the send-side estimate: {moved}")
            ensure(profile_recipients(t.api, admin) == {"hd": 0, "small": 1},
                   f"profiles after the move: {profile_recipients(t.api, admin)}")
            during = watch_playback(browser, 10)
            estimate = viewer_video(t.api, admin).get("send_estimate_kbps")
            print(f"behind {BOTTLENECK}: {during}, Tessera's estimate {estimate} kbit/s")
            ensure(during["fps"] >= FPS * 0.6 and during["frozen_s"] < 1.0 and
                   during["size"] == f"{SMALL_WIDTH}x{SMALL_HEIGHT}",
                   f"the viewer did not play the small profile smoothly behind the "
                   f"bottleneck: {during}")
            ensure(estimate is not None and estimate < 500,
                   f"Tessera's estimate of the viewer's path is {estimate} kbit/s behind a "
                   f"{BOTTLENECK} bottleneck")

            mark = t.proc.log_mark()
            seen = len(relay.lines)
            relay.send_line("down rate=0")
            answer = relay.wait_for_line(lambda l: l == "ok" or l.startswith("error"), 5,
                                         start=seen)
            ensure(answer == "ok", f"tessera-impair refused to lift the limit: {answer}")
            lifted_at = time.monotonic()
            back = t.proc.wait_for_log(lambda l: "moves from profile small to hd" in l, 60,
                                       since=mark)
            print(f"limit lifted; after {time.monotonic() - lifted_at:.1f} s: {back.strip()}")
            wait_until("the viewer playing hd again",
                       lambda: watch_playback(browser, 1)["size"] == f"{WIDTH}x{HEIGHT}", 15)
            browser.quit()
        finally:
            stop_all(browser, camera)
            relay.stop()
        t.stop()


def publisher_video(api, admin):
    """The browser's publisher's video statistics, as the API lists them."""
    for p in participants(api, admin):
        if p.get("name") == BROWSER_NAME:
            return p.get("video") or {}
    return {}


def scenario_simulcast(args, work):
    """The browser publishes a 1280x720 camera as three simulcast layers (q 320x180, h 640x360,
    f 1280x720). Tessera decodes only the layer that covers the browser's tile: h for its
    320x360 half of the 640x360 grid (its colour in its tile), q once a picture-in-picture layout
    makes it the 160x90 inset, h again when it is pinned full frame; each switch at the new
    layer's keyframe, its pictures decoded on, the other layers skipped."""
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    with WebRtcTessera(args, work, keys) as t:
        camera = t.camera()
        browser = None
        try:
            browser, _ = join_browser(args, work, t, keys, extra=["--simulcast"],
                                      camera_size="1280x720")

            def decoding(rid):
                def check():
                    v = publisher_video(t.api, admin)
                    sim = v.get("simulcast") or {}
                    check.last = v
                    return v if sim.get("decoding") == rid and not sim.get("switching_to") else None
                check.last = None
                try:
                    return wait_until(f"the browser's layer {rid} decoded", check, 20)
                except TestFailure as e:
                    raise TestFailure(f"{e}: its video statistics {check.last}")

            def decoded_on(v, what):
                # Frames of the layer assembled and handed to the decoder.
                first = v.get("frames_received", 0)
                wait_until(f"frames of {what} taken",
                           lambda: publisher_video(t.api, admin).get("frames_received", 0) >=
                           first + 10, 10)

            v = decoding("h")
            sim = v["simulcast"]
            sizes = {l["rid"]: (l["width"], l["height"]) for l in sim["layers"]}
            print(f"grid: decoding {sim['decoding']}, layers {sizes}, skipped {sim['skipped']}")
            ensure(sizes.get("h") == (640, 360) and sizes.get("q") == (320, 180),
                   f"the layers' sizes as their keyframes gave them: {sizes}")
            ensure(sim["skipped"] > 0, f"no packet of another layer was skipped: {sim}")
            decoded_on(v, "h")

            expect_json(t.api.patch(f"/v1/rooms/{ROOM}", admin,
                                    {"layout": "pip", "pin": [CAMERA]}), 200,
                        "PATCH the room: picture-in-picture, the camera pinned")
            v = decoding("q")
            print(f"pip inset: decoding {v['simulcast']['decoding']}, switches "
                  f"{v['simulcast']['switches']}")
            decoded_on(v, "q")

            expect_json(t.api.patch(f"/v1/rooms/{ROOM}", admin,
                                    {"pin": [BROWSER_NAME], "unpin": [CAMERA]}), 200,
                        "PATCH the room: the browser pinned")
            v = decoding("h")
            print(f"pinned full frame: decoding {v['simulcast']['decoding']}, switches "
                  f"{v['simulcast']['switches']}, skipped {v['simulcast']['skipped']}")
            decoded_on(v, "h again")
            ensure(v["simulcast"]["switches"] >= 2, f"two switches: {v['simulcast']}")
            log = t.proc.stderr()
            for rid in ("h", "q"):
                ensure(f"decoding simulcast layer {rid} (" in log,
                       f"tessera did not log the layer {rid}: {log[-2000:]}")
            browser.quit()
        finally:
            stop_all(browser, camera)
        t.stop()


MOBILE_LINK = "drop=0.03,jitter_ms=30,seed=7"  # what the browser's WHIP media goes through


def audio_jitter(api, admin, name):
    """The audio room's jitter buffer figures for one participant (API room stats)."""
    room = expect_json(api.get(f"/v1/rooms/{ROOM}", admin), 200, "GET the room")
    return ((((room.get("stats") or {}).get("audio") or {}).get("jitter") or {})
            .get(name) or {})


def scenario_mobile(args, work):
    """A browser on a mobile-like link: its WHIP media goes through tessera-impair with 3 %
    loss and 0-30 ms of jitter (packets reordered as the delays imply), in a room whose audio
    jitter buffer may grow to 200 ms. Its voice is heard without gaps: over 10 s the buffer
    played every 20 ms, concealing no more than the loss (Opus in-band FEC and PLC bridge a lost
    packet), with no packet arriving too late, no re-buffering silence and no reset; the buffer
    grew past the jitter. Its picture is repaired (NACK, RTX) and in its tile."""
    if not args.impair:
        print("SKIP: no --impair (the tessera-impair relay)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    room_extra = {"audio_jitter_min_ms": 20, "audio_jitter_max_ms": 200}
    with WebRtcTessera(args, work, keys, room_extra=room_extra) as t:
        relay, relay_port = start_relay(args, t, impair=["--impair", MOBILE_LINK])
        camera = t.camera()
        browser = None
        try:
            browser = join_via_relay(args, work, t, keys, "whip", relay_port)
            # Settled: the buffer has played a second of the browser's voice.
            wait_until("the browser's voice in the mix",
                       lambda: audio_jitter(t.api, admin, BROWSER_NAME).get("played", 0) > 50, 20)
            first, start = audio_jitter(t.api, admin, BROWSER_NAME), time.monotonic()
            wait_until("a 10 s window", lambda: time.monotonic() - start >= 10, 15)
            last = audio_jitter(t.api, admin, BROWSER_NAME)
            elapsed = time.monotonic() - start
            d = {k: last.get(k, 0) - first.get(k, 0)
                 for k in ("played", "concealed", "late", "silence", "resets")}
            print(f"the browser's voice over {elapsed:.1f} s through {MOBILE_LINK}: {d}, buffer "
                  f"target {last.get('target_ms')} ms, jitter {last.get('jitter_ms')} ms")
            frames = elapsed * 50  # 20 ms frames
            ensure(d["played"] + d["concealed"] >= frames * 0.9,
                   f"the buffer did not play the browser's voice every 20 ms: {d} in "
                   f"{elapsed:.1f} s")
            missing = [k for k in ("played", "concealed", "late", "silence", "resets",
                                   "target_ms") if k not in last]
            ensure(not missing, f"the room's jitter statistics lack {missing}: {last}")
            ensure(d["silence"] == 0 and d["resets"] == 0 and d["late"] <= frames * 0.01,
                   f"gaps in the browser's voice: {d}")
            ensure(d["concealed"] <= frames * 0.08,
                   f"more concealed than the link lost: {d}")
            ensure(30 <= last.get("target_ms", 0) <= 200,
                   f"the jitter buffer's target {last.get('target_ms')} ms: not grown past the "
                   f"30 ms of jitter, or over the room's 200 ms")
            browser.quit()
        finally:
            stop_all(browser, camera)
            relay.stop()
        stats = [json.loads(l) for l in relay.lines if l.startswith('{"map"')]
        up = next((x for x in stats if x.get("dir") == "up"), {})
        print(f"relay: {up}")
        ensure(up.get("dropped", 0) > 0 and up.get("delayed", 0) > 0,
               f"the relay did not impair the browser's media: {stats}")
        t.stop()


WEBRTCBIN_SCRIPT = os.path.join(BROWSER_DIR, "webrtcbin_peer.py")
WEBRTCBIN_NAME, WEBRTCBIN_COLOUR = "gst-peer", "yellow"


def skip_unless_webrtcbin():
    """Exits 77, saying why, where Debian's python3 cannot load GStreamer's webrtcbin."""
    probe = ["/usr/bin/python3", "-c",
             "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', "
             "'1.0'); gi.require_version('GstSdp', '1.0'); from gi.repository import Gst; "
             "Gst.init(None); assert Gst.ElementFactory.find('webrtcbin'), 'no webrtcbin'"]
    rc, _, err = run(probe)
    if rc != 0:
        print(f"SKIP: GStreamer's webrtcbin is not usable from /usr/bin/python3 (python3-gi, "
              f"gir1.2-gst-plugins-bad-1.0, gstreamer1.0-plugins-bad, gstreamer1.0-nice: "
              f"scripts/setup.sh): {err.strip()[-300:]}")
        sys.exit(SKIP)


def scenario_webrtcbin(args, work):
    """A second WebRTC stack: GStreamer's webrtcbin (libnice, its own DTLS/SRTP and SDP)
    publishes VP8 of a solid colour and an Opus tone over WHIP and plays the composite over
    WHEP, next to the ffmpeg camera: the composite it decodes shows the camera's colour and its
    own where the grid puts them (its picture went in through Tessera's VP8 path, the composite
    came out as H.264); its DELETEs end both sessions."""
    skip_unless_webrtcbin()
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    with WebRtcTessera(args, work, keys) as t:
        camera = t.camera()
        peer = None
        try:
            token = keys.mint("participant", room=ROOM, sub=WEBRTCBIN_NAME, ttl=300)
            points, labels = expected_points(second=(WEBRTCBIN_COLOUR, "webrtcbin"))
            frame = os.path.join(work, "webrtcbin-composite.png")
            os.environ["TESSERA_TOKEN"] = token
            try:
                peer = Process(["/usr/bin/python3", WEBRTCBIN_SCRIPT,
                                "--whip", f"http://127.0.0.1:{t.port}/whip/{ROOM}",
                                "--whep", f"http://127.0.0.1:{t.port}/whep/{ROOM}",
                                "--colour", f"0x{COLOURS[WEBRTCBIN_COLOUR]:06x}",
                                "--points", json.dumps(points), "--tolerance", str(TOLERANCE),
                                "--timeout", str(LIVE_TIMEOUT_S), "--save-frame", frame],
                               "webrtcbin", die_with_parent=True)
            finally:
                del os.environ["TESSERA_TOKEN"]
            line = peer.wait_for_line(lambda l: l.startswith("{"), LIVE_TIMEOUT_S + 30)
            r = json.loads(line)
            print(f"webrtcbin: whip {r.get('whip')}, whep {r.get('whep')}, "
                  f"{r.get('framesDecoded')} frames {r.get('videoWidth')}x"
                  f"{r.get('videoHeight')}, {r.get('audioBuffers')} audio buffers, errors "
                  f"{r.get('errors')}; composite: {r.get('frame')}")
            print(f"webrtcbin saw: {describe_points(r, labels)}")
            ensure(r.get("live"), f"webrtcbin did not see the room: {r}; its log:\n"
                                  f"{peer.stderr()[-3000:]}\ntessera:\n"
                                  f"{t.proc.stderr()}")
            ensure(r.get("leave") == {"whip": 200, "whep": 200},
                   f"webrtcbin's DELETEs: {r.get('leave')}")
            ensure(peer.wait_exit(30) == 0, "webrtcbin_peer.py failed")
            wait_until("webrtcbin gone from the participant list",
                       lambda: not webrtc_participants(t.api, admin), 10)
        finally:
            if peer and peer.proc.poll() is None:
                peer.proc.kill()
            stop_all(None, camera)
        t.stop()


def refused_cases(keys):
    """(label, token, status): a participant token of another room, an expired one of this room
    (made with the key's secret: tessera-token never writes one), and no token at all."""
    expired = craft(keys.secret("k1"), claims("participant", iat_offset=-900, lifetime=300,
                                              room=ROOM, sub="late-guest"))
    return [("another room's token", keys.mint("participant", room="another-room",
                                                sub="intruder", ttl=300), 403),
            ("an expired token", expired, 401),
            ("a garbage token", "not-a-token", 401)]


def scenario_refused(args, work):
    """Tokens the server refuses: the page shows the problem the server answered, in its status
    line, and nothing joins. Then offers whose DTLS fingerprint is not the browser's
    certificate's: both handshakes refused (counted, logged), no media."""
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    y4m, wav = make_media(work, BROWSER_COLOUR, 660)
    sdp = {"Content-Type": "application/sdp"}
    with WebRtcTessera(args, work, keys) as t:
        before = participants(t.api, admin)
        for label, token, status in refused_cases(keys):
            # What the server answers this token, asked directly: the page must show it.
            direct = t.api.request("POST", f"/whip/{ROOM}", token, browser_offer(), sdp)
            slug = "forbidden" if status == 403 else "unauthorized"
            problem = expect_problem(direct, status, slug, f"POST /whip/{ROOM} with {label}")
            browser = Browser(args, t.join_url(), token,
                              ["--video", y4m, "--audio", wav, "--expect-refusal",
                               "--timeout", "30"], name=f"browser ({label})")
            try:
                r = browser.report("refusal", 60)
                rc = browser.finish()
            finally:
                browser.kill()
            print(f"{label}: state {r.get('state')}, status line {r.get('status')!r}, "
                  f"requests {r.get('requests')}")
            ensure(rc == 0 and r.get("state") == "error",
                   f"{label}: expected the page in state error, got {r.get('state')} "
                   f"(exit {rc}): {r}")
            err = r.get("lastError") or {}
            ensure(err.get("status") == status,
                   f"{label}: expected the page to hold HTTP {status}, got {err}")
            posts = [q for q in r.get("requests", []) if q.get("method") == "POST"]
            ensure(posts and all(q.get("status") == status for q in posts),
                   f"{label}: expected the page's POSTs answered {status}, got "
                   f"{r.get('requests')}")
            ensure(not any(q.get("method") == "DELETE" for q in r.get("requests", [])),
                   f"{label}: a refused page deleted something: {r.get('requests')}")
            text = r.get("status") or ""
            ensure(str(status) in text and problem["title"] in text and problem["detail"] in text,
                   f"{label}: the status line {text!r} does not show the server's problem "
                   f"({status} {problem['title']!r}: {problem['detail']!r})")
            ensure(token not in text, f"{label}: the status line shows the token")
        after = participants(t.api, admin)
        ensure(after == before or [p.get("name") for p in after] == [p.get("name")
                                                                      for p in before],
               f"refused browsers changed the room: before {before}, after {after}")
        ensure(not webrtc_participants(t.api, admin), f"a refused browser joined: {after}")
        log = t.proc.log_text() + "\n".join(t.proc.lines)
        ensure(not re.search(r"webrtc: WH(IP|EP) .* joined room", log),
               f"tessera's log says a browser joined: {log[-2000:]}")

        # A valid token, but the offers name another certificate than the one the browser
        # shows in its handshake (a fingerprint changed on the way): both handshakes fail,
        # counted and logged, and no SRTP key, so no media, ever comes of them.
        mark = t.proc.log_mark()[0]
        token = keys.mint("participant", room=ROOM, sub=BROWSER_NAME, ttl=300)
        browser = Browser(args, t.join_url(), token,
                          ["--video", y4m, "--audio", wav, "--wrong-fingerprint", "--timeout",
                           "60"], name="browser (wrong fingerprint)")

        def mismatches():
            samples = metric_samples(expect_status(t.api.get("/metrics", admin), 200,
                                                   "GET /metrics").body.decode())
            n = metric_value(samples, "tessera_webrtc_dtls_failures_total",
                             reason="fingerprint_mismatch") or 0
            return n if n >= 2 else None
        try:
            n = wait_until("both handshakes refused for their fingerprint", mismatches,
                           LIVE_TIMEOUT_S)
        except TestFailure as e:
            lines = [x for x in t.proc.log_text(mark).splitlines() if "webrtc" in x]
            raise TestFailure(f"{e}; tessera's WebRTC log lines: {lines[-20:]}; the driver: "
                              f"{browser.proc.stderr()[-2000:]}")
        finally:
            browser.kill()
        log = t.proc.log_text(mark)
        print(f"wrong fingerprint: {n:g} handshakes refused (fingerprint_mismatch); the driver: "
              f"{browser.proc.stderr().strip()[-300:]}")
        for who in (BROWSER_NAME, f"{BROWSER_NAME}.viewer"):  # the WHIP and the WHEP session
            ensure(f"{ROOM}/{who}: DTLS failed (fingerprint_mismatch)" in log,
                   f"no fingerprint_mismatch for {who} in tessera's log: {log[-3000:]}")
        ensure("DTLS connected" not in log,
               f"a wrong-fingerprint handshake connected: {log[-3000:]}")
        t.stop()


class ConsoleTessera(WebRtcTessera):
    """WebRtcTessera whose room has a second ffmpeg camera, GUEST, joined from the config after
    the first."""

    def config_text(self):
        self.camera_port, self.guest_port = free_port_pair(), free_port_pair()
        room = room_config(self.camera_port)
        room["participants"].append({"name": GUEST,
                                     "video": {"codec": "H264", "local_port": self.guest_port}})
        self.rooms = [room]
        return Tessera.config_text(self)


class ConsoleDriver(Browser):
    """console.mjs: Chromium on the operator console; its reports are JSON lines on stdout."""

    SCRIPT = CONSOLE_SCRIPT

    def page_file(self, args):
        return args.console_page

    def __init__(self, args, url, token, extra, name="console", commands=False):
        super().__init__(args, url, token, extra, name, commands)


def check_console_page(t):
    """GET /console: the page, without a token, with the join page's headers (its CSP lets it
    load nothing from elsewhere and talk only to this origin)."""
    r = t.api.get("/console")
    ensure(r.status == 200 and r.media_type() == "text/html",
           f"GET /console: expected 200 text/html, got {r}")
    csp = r.header("content-security-policy")
    for directive in ("default-src 'self'", "script-src 'unsafe-inline'", "connect-src 'self'",
                      "media-src 'self' blob: mediastream:"):
        ensure(directive in csp, f"GET /console: Content-Security-Policy {csp!r} lacks "
                                 f"{directive!r}")
    ensure(r.header("cache-control") == "no-store" and
           r.header("referrer-policy") == "no-referrer",
           f"GET /console: expected Cache-Control no-store and Referrer-Policy no-referrer, got "
           f"{r.headers}")
    ensure(b"tesseraConsole" in r.body, "GET /console: not the console page")


def action_problems(r, what, status):
    """What is wrong with a console.mjs action report: refused, another status, or the page's
    table never showed it."""
    if not r.get("ok"):
        return [f"{what}: the page's request failed: status {r.get('httpStatus')}, problem "
                f"{r.get('problem')}, notice {r.get('notice')!r}, requests {r.get('requests')}"]
    out = []
    if r.get("httpStatus") != status:
        out.append(f"{what}: answered {r.get('httpStatus')}, expected {status}")
    if not r.get("shown"):
        out.append(f"{what}: the page's table never showed it: {r.get('participantsShown')}, "
                   f"rooms {r.get('roomsShown')}")
    return out


def scenario_console(args, work):
    """The operator console with an operator token drives the room through the API: what it
    shows and does is checked against the API itself."""
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    operator = keys.mint("operator", sub=OPERATOR, ttl=300)
    with ConsoleTessera(args, work, keys) as t:
        if args.console_page:
            print(f"the console page: {args.console_page} (served by the browser, not tessera)")
        else:
            check_console_page(t)
        senders = [Process(colour_sender_argv(colour, (320, 180), "h264", port), f"ffmpeg {who}",
                           die_with_parent=True)
                   for colour, port, who in ((CAMERA_COLOUR, t.camera_port, CAMERA),
                                             (GUEST_COLOUR, t.guest_port, GUEST))]
        console = None
        try:
            points, labels = expected_points((GUEST_COLOUR, GUEST))
            frame_png, page_png = (os.path.join(work, "preview.png"),
                                   os.path.join(work, "console.png"))
            console = ConsoleDriver(args, t.console_url(), operator,
                                    ["--room", ROOM, "--participants", f"{CAMERA},{GUEST}",
                                     "--points", json.dumps(points), "--tolerance", str(TOLERANCE),
                                     "--timeout", str(LIVE_TIMEOUT_S), "--save-frame", frame_png,
                                     "--screenshot", page_png], commands=True)
            ask_s = LIVE_TIMEOUT_S + 15

            # Listed: the room and both cameras, as the API lists them.
            r = console.report("ready", LIVE_TIMEOUT_S + 30)
            print(f"console: state {r.get('state')}, status {r.get('status')!r}, rooms "
                  f"{r.get('roomsShown')}, participants "
                  f"{[(p['id'], p['name']) for p in r.get('participantsShown', [])]}; the page: "
                  f"{r.get('screenshot')}")
            ensure(r.get("ok") and r.get("opened") and r.get("listed"),
                   f"the console never listed room {ROOM} with {CAMERA} and {GUEST}: state "
                   f"{r.get('state')}, status {r.get('status')!r}, rooms {r.get('roomsShown')}, "
                   f"participants {r.get('participantsShown')}, requests {r.get('requests')}, "
                   f"console {r.get('console')}; tessera:\n{t.proc.stderr()}")
            ensure(not r.get("urlHasToken"), "the token is still in the page's address")
            api_rooms = {x["name"]: x for x in expect_json(t.api.get("/v1/rooms", admin), 200,
                                                           "GET /v1/rooms")["rooms"]}
            shown_rooms = {x["room"]: x for x in r.get("roomsShown", [])}
            ensure(set(shown_rooms) == set(api_rooms) and
                   shown_rooms[ROOM]["participants"] == api_rooms[ROOM]["participants"] == 2 and
                   shown_rooms[ROOM]["layout"] == api_rooms[ROOM]["layout"] == "grid",
                   f"the console shows rooms {r.get('roomsShown')}, the API lists "
                   f"{list(api_rooms.values())}")
            ids = {p["name"]: p["id"] for p in participants(t.api, admin)}
            shown = {p["name"]: p["id"] for p in r.get("participantsShown", [])}
            ensure(shown == ids and set(ids) == {CAMERA, GUEST},
                   f"the console shows participants {shown}, the API lists {ids}")
            ensure(all(p.get("video") not in ("", "\u2014") for p in r["participantsShown"]),
                   f"the console shows no live video stats: {r['participantsShown']}")

            # The preview: WHEP with the operator's token, the grid as the cameras fill it.
            p = console.ask("preview", "preview", ask_s)
            print(f"preview: live {p.get('live')}, video {p.get('videoWidth')}x"
                  f"{p.get('videoHeight')}, frame {p.get('frame')}; saw "
                  f"{describe_points(p, labels)}")
            ensure(p.get("live"), f"the preview never played: {p.get('preview')}, status "
                                  f"{p.get('previewStatus')!r}, requests {p.get('requests')}, "
                                  f"console {p.get('console')}")
            check_picture(p, points, labels,
                          f"the preview ({p.get('frame')}) does not show the cameras' tiles")
            viewers = webrtc_participants(t.api, admin)
            ensure([(v.get("name"), v.get("sends")) for v in viewers] ==
                   [(f"{OPERATOR}.viewer", False)],
                   f"while the preview plays the API should list one receive-only WebRTC "
                   f"participant {OPERATOR}.viewer, got {viewers}")
            off = console.ask("preview-off", "preview-off", ask_s)
            ensure(off.get("off") and off.get("deleteStatus") == 200,
                   f"preview off: expected the WHEP resource DELETEd (200), got {off}")
            wait_until("the preview's viewer gone from the participant list",
                       lambda: not webrtc_participants(t.api, admin), 10)

            # Mute and unmute the guest: the API says so; the camera is left alone.
            def muted(name):
                got = expect_json(t.api.get(f"/v1/rooms/{ROOM}/participants/{ids[name]}", admin),
                                  200, f"GET participant {name}")
                return got.get("muted")
            m = console.ask(f"mute {GUEST}", "mute", ask_s)
            ensure(not action_problems(m, f"mute {GUEST}", 200),
                   "; ".join(action_problems(m, f"mute {GUEST}", 200)))
            ensure(muted(GUEST) is True and muted(CAMERA) is False,
                   f"after the console's mute: {GUEST} muted {muted(GUEST)}, {CAMERA} muted "
                   f"{muted(CAMERA)}")
            u = console.ask(f"unmute {ids[GUEST]}", "unmute", ask_s)
            ensure(not action_problems(u, f"unmute {GUEST}", 200),
                   "; ".join(action_problems(u, f"unmute {GUEST}", 200)))
            ensure(muted(GUEST) is False, f"after the console's unmute {GUEST} is still muted")
            print(f"mute and unmute of {GUEST}: "
                  f"{[q for q in u.get('requests', []) if q.get('method') != 'GET']}")

            # A layout switch.
            lay = console.ask("layout speaker", "layout", ask_s)
            ensure(not action_problems(lay, "layout speaker", 200),
                   "; ".join(action_problems(lay, "layout speaker", 200)))

            def layouts():
                one = expect_json(t.api.get(f"/v1/rooms/{ROOM}", admin), 200, "GET room")
                listed = {x["name"]: x for x in expect_json(t.api.get("/v1/rooms", admin), 200,
                                                            "GET /v1/rooms")["rooms"]}
                return (one["video"]["layout"], listed[ROOM]["layout"])
            wait_until("the API showing layout speaker", lambda: layouts() == ("speaker",) * 2,
                       10)

            # A kick: confirmed on the page, then gone from the API.
            k = console.ask(f"kick {GUEST}", "kick", ask_s)
            ensure(not action_problems(k, f"kick {GUEST}", 204),
                   "; ".join(action_problems(k, f"kick {GUEST}", 204)))
            ensure(any(GUEST in d.get("message", "") for d in k.get("dialogs", [])),
                   f"the kick was not confirmed first: dialogs {k.get('dialogs')}")
            after = [p.get("name") for p in participants(t.api, admin)]
            ensure(after == [CAMERA], f"after the console's kick the API lists {after}")
            expect_problem(t.api.get(f"/v1/rooms/{ROOM}/participants/{ids[GUEST]}", admin), 404,
                           "not-found", f"GET the kicked {GUEST}")
            s = console.ask("state", "state", ask_s)
            ensure(s.get("state") == "ok" and
                   [q["name"] for q in s.get("participantsShown", [])] == [CAMERA],
                   f"after the kick the console shows state {s.get('state')}, status "
                   f"{s.get('status')!r}, participants {s.get('participantsShown')}")
            print(f"console after the kick: status {s.get('status')!r}, notice "
                  f"{s.get('notice')!r}")
            console.proc.send_line("quit")
            rc = console.finish()
            ensure(rc == 0, f"console.mjs exited {rc}; stderr:\n{console.proc.stderr()}")
        finally:
            if console:
                console.kill()
            for sender in senders:
                sender.proc.kill()
                sender.proc.wait()

        # A token the server refuses: the page shows its problem and stops.
        bad = "not-a-token"
        problem = expect_problem(t.api.get("/v1/rooms", bad), 401, "unauthorized",
                                 "GET /v1/rooms with a garbage token")
        refused = ConsoleDriver(args, t.console_url(), bad, ["--expect-refusal", "--timeout", "30"],
                                name="console (garbage token)")
        try:
            r = refused.report("refusal", 60)
            rc = refused.finish()
        finally:
            refused.kill()
        text = r.get("status") or ""
        print(f"a garbage token: state {r.get('state')}, status line {text!r}, requests "
              f"{r.get('requests')}")
        ensure(rc == 0 and r.get("state") == "error",
               f"a garbage token: expected the console in state error, got {r.get('state')} "
               f"(exit {rc}): {r}")
        ensure((r.get("lastError") or {}).get("status") == 401,
               f"a garbage token: expected the page to hold HTTP 401, got {r.get('lastError')}")
        ensure("401" in text and problem["title"] in text and problem["detail"] in text,
               f"the status line {text!r} does not show the server's problem (401 "
               f"{problem['title']!r}: {problem['detail']!r})")
        reads = [q for q in r.get("requests", []) if q.get("path") == "/v1/rooms"]
        ensure(reads and all(q.get("status") == 401 for q in reads),
               f"a garbage token: expected the page's GET /v1/rooms answered 401, got "
               f"{r.get('requests')}")
        ensure(operator not in t.proc.log_text(), "tessera's log holds the console's token")
        t.stop()


def scenario_mixed(args, work):
    """Three ways into one room: the ffmpeg camera (RTP, from the config), baresip dialling in
    over SIP, and the browser over WHIP/WHEP. The browser's composite shows each where a 2x2
    grid puts them (the camera, baresip's three bars, itself); the browser hears the camera and
    baresip and not itself; baresip hears the camera and the browser and not itself (its decoded
    audio, recorded by its sndfile module); the API lists the three transports."""
    from audio_mix_test import db as decibels, goertzel_power  # noqa
    from sip_baresip_test import (BARESIP_TONE, Baresip, bars_expectation, free_port,  # noqa
                                  module_dir, read_wav_left)
    modules = module_dir()
    if not shutil.which("baresip") or not modules:
        print("SKIP: baresip or its modules are not installed (Debian: baresip baresip-ffmpeg)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    sip_port = free_port()
    with WebRtcTessera(args, work, keys, sip_port=sip_port) as t:
        camera = t.camera()
        browser = baresip = None
        try:
            baresip = Baresip(work, modules)
            baresip.connect()
            baresip.command("dial", f"sip:{ROOM}@127.0.0.1:{sip_port}")
            wait_until("baresip in the room", lambda: any(
                p.get("transport") == "sip" for p in participants(t.api, admin)), 25)

            # The 2x2 grid: the camera, baresip, then the browser.
            slots = grid_slots(2, 2)
            points, labels = [], []
            for rect, colour, who in ((slots[0], CAMERA_COLOUR, CAMERA),
                                      (slots[2], BROWSER_COLOUR, "browser")):
                rgb = COLOURS[colour]
                for p in tile_points(rect):
                    p["rgb"] = [(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF]
                    points.append(p)
                    labels.append(f"{who}'s tile ({colour}) at {rect}")
            for bar, _, name in bars_expectation(slots[1]):
                rgb = {"red": 0xFF0000, "green": 0x00FF00, "blue": 0x0000FF}[name.split()[-2]]
                points.append({"x": round((bar.x + bar.w / 2) / WIDTH, 4),
                               "y": round((bar.y + bar.h / 2) / HEIGHT, 4),
                               "rgb": [(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF]})
                labels.append(f"{name} at {bar}")
            y4m, wav = make_media(work, BROWSER_COLOUR, BROWSER_TONE_HZ)
            token = keys.mint("participant", room=ROOM, sub=BROWSER_NAME, ttl=300)
            browser = Browser(args, t.join_url(), token,
                              ["--video", y4m, "--audio", wav, "--points", json.dumps(points),
                               "--tolerance", str(TOLERANCE), "--timeout", str(LIVE_TIMEOUT_S),
                               "--save-frame", os.path.join(work, "composite.png")],
                              commands=True)
            r = browser.report("join", LIVE_TIMEOUT_S + 30)
            print(f"browser saw: {describe_points(r, labels)}; composite {r.get('frame')}")
            ensure(r.get("live"), f"the page never got live: {r.get('state')}, "
                                  f"{r.get('status')!r}, console {r.get('console')}")
            check_picture(r, points, labels,
                          f"the browser's composite ({r.get('frame')}) does not show the camera, "
                          f"baresip's bars and itself in the 2x2 grid")

            def heard():
                m = browser.ask(f"tones {CAMERA_TONE_HZ},{BARESIP_TONE},{BROWSER_TONE_HZ}",
                                "tones")
                heard.last = m
                db = m.get("aboveFloorDb") or {}
                return m if min(db.get(str(CAMERA_TONE_HZ), 0),
                                db.get(str(BARESIP_TONE), 0)) >= 40 else None
            heard.last = None
            try:
                m = wait_until("the camera's and baresip's tones in the browser's mix", heard, 30)
            except TestFailure as e:
                raise TestFailure(f"{e}: last measured {heard.last}")
            db = m["aboveFloorDb"]
            print(f"the browser's mix (dB above the floor): {db}")
            ensure(db[str(BROWSER_TONE_HZ)] < 25 and
                   min(db[str(CAMERA_TONE_HZ)], db[str(BARESIP_TONE)]) -
                   db[str(BROWSER_TONE_HZ)] >= 30, f"the browser hears itself: {db}")

            transports = sorted(p.get("transport") for p in participants(t.api, admin)
                                if p.get("sends", True))
            ensure(transports == ["rtp", "sip", "webrtc"],
                   f"the API lists transports {transports}, want rtp, sip and webrtc")

            baresip.command("hangup")
            wait_until("baresip gone from the room", lambda: not any(
                p.get("transport") == "sip" for p in participants(t.api, admin)), 25)
            baresip.stop()
            dumps = [os.path.join(baresip.dir, f) for f in os.listdir(baresip.dir)
                     if f.startswith("dump-") and f.endswith("-dec.wav")]
            ensure(len(dumps) == 1, f"want one decoded-audio dump from baresip, found {dumps}")
            samples, rate = read_wav_left(dumps[0])
            tail = samples[-3 * rate:-rate // 2]  # the call's last seconds, everyone talking
            ensure(len(tail) > rate, f"baresip recorded {len(samples) / rate:.1f} s")
            levels = {f: decibels(goertzel_power(tail, rate, f))
                      for f in (CAMERA_TONE_HZ, BROWSER_TONE_HZ, BARESIP_TONE)}
            print("baresip hears (dB): " + ", ".join(f"{f} Hz {v:.1f}" for f, v in levels.items()))
            # The browser's tone is the quietest source (Chromium's file at -18 dBFS, then its
            # own processing); baresip's own stays at the decoder's noise floor.
            ensure(min(levels[CAMERA_TONE_HZ], levels[BROWSER_TONE_HZ]) > -50 and
                   levels[BARESIP_TONE] < -60,
                   f"baresip should hear the camera and the browser (above -50 dB) and not "
                   f"itself (below -60 dB): {levels}")
            browser.quit()
            browser = None
        finally:
            if baresip:
                baresip.stop()
            stop_all(browser, camera)
        t.stop()


def in_own_netns():
    """This test again (with --in-netns), in a user and network namespace of its own set up for
    Firefox (firefox_netns_setup); its exit status. Exits 77, saying why, where the kernel or the
    machine refuses such a namespace; fails on any other trouble setting it up."""
    unshare = shutil.which("unshare")
    ip = shutil.which("ip", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin",
                                                  "/sbin"]))
    if not unshare or not ip:
        print(f"SKIP: no network namespace for Firefox: {'unshare' if not unshare else 'ip'} is "
              "not installed (util-linux, iproute2)")
        return SKIP
    setup = firefox_netns_setup(shlex.quote(ip))
    probe = subprocess.run([unshare, "-rn", "sh", "-c", setup], capture_output=True, text=True)
    if probe.returncode != 0:
        why = probe.stderr.strip()
        refused = re.search(r"Operation not permitted|Permission denied|not supported|"
                            r"Unknown device type", why)
        ensure(refused, f"setting up Firefox's network namespace failed: {why}")
        print(f"SKIP: no network namespace for Firefox (unshare -rn, a veth pair): {why}")
        return SKIP
    child = subprocess.Popen([unshare, "-rn", "sh", "-c", setup + ' && exec "$@"', "sh",
                              sys.executable] + sys.argv + ["--in-netns"])
    # A plain kill of this process ends the child's test too (it cleans up on SIGTERM).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    return child.wait()


def scenario_firefox(args, work):
    """Firefox (Debian's ESR, over WebDriver BiDi) and an ffmpeg camera in one room: Firefox's
    offer (VP8 first, its own extension ids and RTX payload types, transport-cc, its DTLS role)
    answered; each sees the other where the grid puts them; Firefox hears the camera and not
    itself; media both ways with RTX answered and transport-wide feedback both ways; the API
    lists it as a WebRTC participant until it leaves."""
    if not os.access(FIREFOX, os.X_OK):
        print(f"SKIP: {FIREFOX} is not installed (Debian package firefox-esr: scripts/setup.sh)")
        sys.exit(SKIP)
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "puppeteer-core")):
        print(f"SKIP: puppeteer-core is not installed: npm ci in {BROWSER_DIR} (scripts/setup.sh)")
        sys.exit(SKIP)
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    rgb = COLOURS[BROWSER_COLOUR]
    colour = f"{rgb >> 16},{(rgb >> 8) & 0xff},{rgb & 0xff}"
    # Debian's Firefox has no H.264 (OpenH264 is a download): the room's composite in VP8 too.
    with WebRtcTessera(args, work, keys, vp8_profile=True, media_address=FIREFOX_NETNS_ADDRESS,
                       camera_hears=True) as t:
        camera = t.camera()
        browser = None
        try:
            browser, r = join_browser(args, work, t, keys, name="firefox", extra=[
                "--browser", "firefox", "--firefox", FIREFOX, "--colour", colour,
                "--tone", str(BROWSER_TONE_HZ)])
            s = check_flowing(browser)
            codecs = {k: (s["whip"].get(f"outbound_{k}") or {}).get("codec") for k in
                      ("video", "audio")}
            print(f"firefox sends {codecs}, receives "
                  f"{(s['whep'].get('inbound_video') or {}).get('codec')}")
            ensure(s["whip"].get("answeredRtx") and s["whep"].get("answeredRtx") and
                   s["whep"].get("rtxStream"),
                   f"RTX not answered: whip {s['whip']}, whep {s['whep']}")
            check_hears_others_not_itself(browser)
            # Firefox's microphone reaches the room: the camera's mix (everyone but the camera)
            # holds Firefox's tone.
            sdp = os.path.join(work, "camera-mix.sdp")
            with open(sdp, "w") as f:
                f.write(f"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=mix\nc=IN IP4 127.0.0.1\nt=0 0\n"
                        f"m=audio {t.camera_audio[1]} RTP/AVP 0\na=rtpmap:0 PCMU/8000\n")
            mix_wav = os.path.join(work, "camera-mix.wav")
            rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error",
                              "-protocol_whitelist", "file,udp,rtp", "-i", sdp, "-t", "3",
                              "-ar", "8000", "-ac", "1", "-y", mix_wav], timeout_s=30)
            ensure(rc == 0, f"recording the camera's mix failed: {err}")
            from audio_mix_test import db as decibels, goertzel_power  # noqa
            from sip_baresip_test import read_wav_left  # noqa
            samples, rate = read_wav_left(mix_wav)
            ensure(len(samples) > 2 * rate, f"the camera's mix: {len(samples) / rate:.1f} s")
            levels = {f: decibels(goertzel_power(samples[rate // 2:], rate, f))
                      for f in (BROWSER_TONE_HZ, CAMERA_TONE_HZ)}
            print(f"the camera's mix (dB): Firefox's {BROWSER_TONE_HZ} Hz "
                  f"{levels[BROWSER_TONE_HZ]:.1f}, its own {CAMERA_TONE_HZ} Hz "
                  f"{levels[CAMERA_TONE_HZ]:.1f}")
            ensure(levels[BROWSER_TONE_HZ] > -50 and levels[CAMERA_TONE_HZ] < -60,
                   f"the camera should hear Firefox's microphone and not itself: {levels}")
            listed = participants(t.api, admin)
            names = {p.get("name"): p for p in listed}
            ensure(BROWSER_NAME in names and names[BROWSER_NAME].get("transport") == "webrtc",
                   f"expected {BROWSER_NAME} with transport webrtc, got {listed}")
            published = names[BROWSER_NAME]
            viewing = names.get(f"{BROWSER_NAME}.viewer", {})
            ensure((published.get("audio") or {}).get("rtp_received", 0) > 0 and
                   (published.get("video") or {}).get("rtp_received", 0) > 0 and
                   (viewing.get("video") or {}).get("rtp_sent", 0) > 0,
                   f"the API's live statistics of Firefox: publisher {published}, viewer "
                   f"{viewing}")
            samples = metric_samples(expect_status(t.api.get("/metrics", admin), 200,
                                                   "GET /metrics").body.decode())
            fb_sent = metric_value(samples, "tessera_webrtc_transport_feedback_sent_total")
            fb_received = metric_value(samples,
                                       "tessera_webrtc_transport_feedback_received_total")
            print(f"transport-wide feedback: {fb_sent} sent to Firefox's publisher, "
                  f"{fb_received} received from its viewer")
            ensure(fb_sent and fb_sent > 0 and fb_received and fb_received > 0,
                   f"transport-wide feedback with Firefox: sent {fb_sent}, received "
                   f"{fb_received}")
            left = browser.ask("leave", "leave")
            ensure(left.get("leave") == {"whip": 200, "whep": 200} and
                   left.get("state") == "left",
                   f"leave(): {left.get('leave')}, state {left.get('state')}")
            wait_until("Firefox gone from the participant list",
                       lambda: not webrtc_participants(t.api, admin), 10)
            browser.quit()
        finally:
            stop_all(browser, camera)
        t.stop()


SCENARIOS = {"browser": scenario_browser, "refused": scenario_refused, "relay": scenario_relay,
             "tcp": scenario_tcp, "bottleneck": scenario_bottleneck,
             "webrtcbin": scenario_webrtcbin, "mobile": scenario_mobile,
             "simulcast": scenario_simulcast, "firefox": scenario_firefox,
             "mixed": scenario_mixed,
             "console": scenario_console}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--token", required=True, help="the tessera-token binary")
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--node", default="node")
    ap.add_argument("--impair", help="the tessera-impair relay (the bottleneck scenario)")
    ap.add_argument("--join-page", help="serve this file as the join page (a page edit tried "
                                        "without rebuilding tessera)")
    ap.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--console-page", help="serve this file as the operator console (GET "
                                           "/console), likewise")
    args = ap.parse_args()
    skip_unless_browser(args.node)
    if args.scenario == "firefox" and not args.in_netns:
        sys.exit(in_own_netns())
    work = tempfile.mkdtemp(prefix=f"tessera-webrtc-{args.scenario}-")
    print(f"work directory: {work}")
    start = time.monotonic()
    SCENARIOS[args.scenario](args, work)
    print(f"PASS {args.scenario} ({time.monotonic() - start:.1f} s)")


if __name__ == "__main__":
    run_main(main)
