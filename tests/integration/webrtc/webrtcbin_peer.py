#!/usr/bin/python3
"""A second WebRTC stack as Tessera's peer: GStreamer's webrtcbin (libnice, its own DTLS and
SRTP, its own SDP), not a browser. It publishes a solid colour (VP8) and a tone (Opus) over WHIP
and plays the room's composite over WHEP, then reports, as JSON lines on stdout, the colour at
given points of the composite it decoded, what each session's HTTP answer was, and what flowed.

Runs with Debian's python3 (python3-gi and GStreamer's introspection data: scripts/setup.sh).
Waits are GLib timeouts polling a condition with a deadline; nothing sleeps.

usage: webrtcbin_peer.py --whip URL --whep URL [--token T | env TESSERA_TOKEN]
         [--colour 0xRRGGBB] [--tone-hz 880] [--points JSON] [--tolerance 48] [--timeout 60]
         [--save-frame FILE.png]

Exit status: 0 when both sessions were answered 201, the composite was decoded and every
point with an "rgb" was seen within the tolerance; 1 when not (the report says what was seen); 2
for usage errors or a GStreamer without webrtcbin.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402
except (ImportError, ValueError) as e:
    print(json.dumps({"report": "error", "error": f"GStreamer introspection missing: {e}"}))
    sys.exit(2)

SENDONLY = GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY
RECVONLY = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY


def emit(obj):
    print(json.dumps(obj), flush=True)


def post_sdp(url, token, sdp):
    """POSTs an SDP offer as WHIP/WHEP say; (status, Location, answer or problem text)."""
    req = urllib.request.Request(url, data=sdp.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp",
                                          "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Location"), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, None, e.read().decode(errors="replace")


class Session:
    """One webrtcbin and its WHIP or WHEP exchange: the offer is sent once ICE gathering is
    complete (no trickle), the 201's answer becomes the remote description."""

    def __init__(self, kind, pipeline, webrtc, url, token, report):
        self.kind, self.pipeline, self.webrtc = kind, pipeline, webrtc
        self.url, self.token, self.report = url, token, report
        self.status = None
        self.location = None
        self.error = None
        self.offered = False
        webrtc.connect("on-negotiation-needed", self._on_negotiation_needed)
        webrtc.connect("notify::ice-gathering-state", self._on_gathering)

    def _on_negotiation_needed(self, webrtc):
        promise = Gst.Promise.new_with_change_func(self._on_offer, None)
        webrtc.emit("create-offer", None, promise)

    def _on_offer(self, promise, _):
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            self.error = f"{self.kind}: webrtcbin made no offer"
            return
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())
        self._maybe_send()

    def _on_gathering(self, webrtc, _):
        self._maybe_send()

    def _maybe_send(self):
        state = self.webrtc.get_property("ice-gathering-state")
        local = self.webrtc.get_property("local-description")
        if self.offered or local is None or state != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        self.offered = True
        sdp = local.sdp.as_text()
        self.status, self.location, body = post_sdp(self.url, self.token, sdp)
        if self.status != 201:
            self.error = f"{self.kind}: POST answered {self.status}: {body[:400]}"
            return
        ok, msg = GstSdp.SDPMessage.new_from_text(body)
        if ok != GstSdp.SDPResult.OK:
            self.error = f"{self.kind}: the answer does not parse as SDP"
            return
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit("set-remote-description", answer, Gst.Promise.new())

    def state(self):
        return {"status": self.status, "location": self.location,
                "connection": self.webrtc.get_property("connection-state").value_nick,
                "ice": self.webrtc.get_property("ice-connection-state").value_nick}


def build_publisher(colour, tone_hz):
    """VP8 of a solid colour and Opus of a tone into a send-only webrtcbin."""
    desc = (
        "webrtcbin name=pub bundle-policy=max-bundle "
        f"videotestsrc is-live=true pattern=solid-color foreground-color={0xFF000000 | colour} ! "
        "video/x-raw,width=320,height=180,framerate=15/1 ! videoconvert ! queue ! "
        "vp8enc deadline=1 target-bitrate=300000 keyframe-max-dist=15 ! rtpvp8pay pt=96 ! "
        "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! pub. "
        f"audiotestsrc is-live=true wave=sine freq={tone_hz} volume=0.5 ! audioconvert ! "
        "audioresample ! queue ! opusenc ! rtpopuspay pt=111 ! "
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! pub.")
    pipeline = Gst.parse_launch(desc)
    webrtc = pipeline.get_by_name("pub")
    return pipeline, webrtc


class Viewer:
    """A receive-only webrtcbin: H.264 video decoded to RGB into an appsink (the last frame is
    kept), Opus audio decoded and counted."""

    def __init__(self):
        self.pipeline = Gst.Pipeline.new("viewer")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "view")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipeline.add(self.webrtc)
        self.frame = None  # (width, height, bytes) of the last decoded frame, RGB
        self.frames = 0
        self.audio_buffers = 0
        video = Gst.Caps.from_string(
            "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
            "packetization-mode=(string)1,profile-level-id=(string)42e01f")
        audio = Gst.Caps.from_string(
            "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000")
        self.webrtc.emit("add-transceiver", RECVONLY, video)
        self.webrtc.emit("add-transceiver", RECVONLY, audio)
        self.webrtc.connect("pad-added", self._on_pad)

    def _on_pad(self, _, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_string("media")
        if media == "video":
            chain = ("queue ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! "
                     "video/x-raw,format=RGB ! appsink name=frames emit-signals=true "
                     "max-buffers=1 drop=true sync=false")
        else:
            chain = ("queue ! rtpopusdepay ! opusdec ! audioconvert ! appsink name=sound "
                     "emit-signals=true max-buffers=4 drop=true sync=false")
        bin_ = Gst.parse_bin_from_description(chain, True)
        self.pipeline.add(bin_)
        bin_.sync_state_with_parent()
        pad.link(bin_.get_static_pad("sink"))
        sink = bin_.get_by_name("frames" if media == "video" else "sound")
        sink.connect("new-sample", self._on_video if media == "video" else self._on_audio)

    def _on_video(self, sink):
        sample = sink.emit("pull-sample")
        s = sample.get_caps().get_structure(0)
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if ok:
            self.frame = (s.get_value("width"), s.get_value("height"), bytes(info.data))
            buf.unmap(info)
            self.frames += 1
        return Gst.FlowReturn.OK

    def _on_audio(self, sink):
        sink.emit("pull-sample")
        self.audio_buffers += 1
        return Gst.FlowReturn.OK

    def sample(self, points):
        """The mean colour of a small patch at each point (fractions of the frame)."""
        if not self.frame:
            return {"videoWidth": 0, "videoHeight": 0, "points": []}
        w, h, data = self.frame
        stride = (w * 3 + 3) // 4 * 4 if len(data) >= ((w * 3 + 3) // 4 * 4) * h else w * 3
        r = max(1, round(min(w, h) / 90))
        out = []
        for p in points:
            x = min(w - 1 - r, max(r, round(p["x"] * (w - 1))))
            y = min(h - 1 - r, max(r, round(p["y"] * (h - 1))))
            total, n = [0, 0, 0], 0
            for yy in range(y - r, y + r + 1):
                for xx in range(x - r, x + r + 1):
                    i = yy * stride + xx * 3
                    for c in range(3):
                        total[c] += data[i + c]
                    n += 1
            out.append({"x": p["x"], "y": p["y"], "rgb": [round(t / n) for t in total]})
        return {"videoWidth": w, "videoHeight": h, "points": out}


def matches(sampled, expected, tolerance):
    if len(sampled) != len(expected):
        return False
    for got, want in zip(sampled, expected):
        if "rgb" in want and any(abs(a - b) > tolerance for a, b in zip(got["rgb"], want["rgb"])):
            return False
    return True


def save_png(frame, path):
    """The decoded frame as a PNG (GStreamer's own encoder), for a person to look at."""
    w, h, data = frame
    pipeline = Gst.parse_launch(
        f"appsrc name=src caps=video/x-raw,format=RGB,width={w},height={h},framerate=0/1 "
        f"! videoconvert ! pngenc ! filesink location={path}")
    src = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
    src.emit("end-of-stream")
    pipeline.get_bus().timed_pop_filtered(5 * Gst.SECOND,
                                          Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--whip", required=True)
    ap.add_argument("--whep", required=True)
    ap.add_argument("--token", default=os.environ.get("TESSERA_TOKEN"))
    ap.add_argument("--colour", default="0xFFFF00")
    ap.add_argument("--tone-hz", type=int, default=880)
    ap.add_argument("--points", default="[]")
    ap.add_argument("--tolerance", type=int, default=48)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--save-frame")
    args = ap.parse_args()
    if not args.token:
        print("webrtcbin_peer.py: no --token and no TESSERA_TOKEN", file=sys.stderr)
        return 2
    Gst.init(None)
    if Gst.ElementFactory.find("webrtcbin") is None:
        emit({"report": "error", "error": "GStreamer has no webrtcbin (gstreamer1.0-plugins-bad, "
                                          "gstreamer1.0-nice)"})
        return 2
    points = json.loads(args.points)

    pub_pipeline, pub_webrtc = build_publisher(int(args.colour, 16), args.tone_hz)
    viewer = Viewer()
    loop = GLib.MainLoop()
    errors = []

    def on_message(_, message):
        if message.type == Gst.MessageType.ERROR:
            err, debug = message.parse_error()
            errors.append(f"{message.src.get_name()}: {err.message}")
            loop.quit()
        return True

    for p in (pub_pipeline, viewer.pipeline):
        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_message)
    whip = Session("whip", pub_pipeline, pub_webrtc, args.whip, args.token, emit)
    whep = Session("whep", viewer.pipeline, viewer.webrtc, args.whep, args.token, emit)
    # Send-only: webrtcbin made a transceiver for each linked pad, send-receive by default.
    for i in range(2):
        t = pub_webrtc.emit("get-transceiver", i)
        if t is not None:
            t.set_property("direction", SENDONLY)
    pub_pipeline.set_state(Gst.State.PLAYING)
    viewer.pipeline.set_state(Gst.State.PLAYING)

    deadline = time.monotonic() + args.timeout
    result = {}

    def poll(final=False):
        sampled = viewer.sample(points)
        done = (whip.status == 201 and whep.status == 201 and viewer.frames > 0
                and viewer.audio_buffers > 0 and matches(sampled["points"], points,
                                                         args.tolerance))
        failed = whip.error or whep.error or errors
        if final or done or failed or time.monotonic() > deadline:
            result.update({"report": "done", "live": bool(done), **sampled,
                           "whip": whip.state(), "whep": whep.state(),
                           "framesDecoded": viewer.frames, "audioBuffers": viewer.audio_buffers,
                           "errors": [e for e in (whip.error, whep.error) if e] + errors})
            loop.quit()
            return False
        return True

    GLib.timeout_add(200, poll)
    loop.run()
    if not result:  # ended by a pipeline error
        poll(final=True)
    if args.save_frame and viewer.frame:
        save_png(viewer.frame, args.save_frame)
        result["frame"] = args.save_frame
    # Leave: DELETE both resources, as a WHIP/WHEP client does.
    left = {}
    for s in (whip, whep):
        if s.location:
            url = urllib.parse.urljoin(s.url, s.location)
            req = urllib.request.Request(url, method="DELETE",
                                         headers={"Authorization": f"Bearer {args.token}"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    left[s.kind] = resp.status
            except urllib.error.HTTPError as e:
                left[s.kind] = e.code
    result["leave"] = left
    emit(result)
    for p in (pub_pipeline, viewer.pipeline):
        p.set_state(Gst.State.NULL)
    return 0 if result.get("live") else 1


if __name__ == "__main__":
    sys.exit(main())
