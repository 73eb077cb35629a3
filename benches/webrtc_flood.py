#!/usr/bin/env python3
"""Floods at the WebRTC port while a browser is in the room: do other participants' media go on,
what does the flood cost Tessera, and is every datagram counted as dropped?

A headless Chromium joins the WebRTC test's room (an ffmpeg camera and tone, the browser
publishing and viewing). Then, --seconds each, at --pps datagrams per second from one socket:

  baseline     no flood
  stun-unknown STUN binding requests whose USERNAME names no session (random ufrag)
  stun-forged  binding requests for the browser's own session (Tessera's ufrag from its
               answer) with a forged MESSAGE-INTEGRITY and a valid FINGERPRINT: each costs an
               HMAC-SHA1 and is answered 401, as RFC 8489 asks
  dtls-hello   DTLS ClientHello records from an address no ICE check validated

For each: tessera's CPU (utime+stime, % of one core), the frames the browser decoded and the audio
packets it received per second (its getStats), and how the flood was counted in /metrics.

usage: benches/webrtc_flood.py --tessera build/tessera --token build/tessera-token
           [--pps 20000] [--seconds 5] [--node node] [--json out.json]
"""
import argparse
import json
import os
import secrets
import socket
import struct
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from tessera_harness import ensure, run_main  # noqa: E402
from control_test import metric_samples, metric_value, new_keys  # noqa: E402
from webrtc_test import (WebRtcTessera, join_browser, skip_unless_browser,  # noqa: E402
                         stop_all)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def stun_request(username):
    """A binding request with USERNAME username, a forged MESSAGE-INTEGRITY and a valid
    FINGERPRINT."""
    user = username.encode()
    attrs = struct.pack("!HH", 0x0006, len(user)) + user + b"\0" * (-len(user) % 4)
    attrs += struct.pack("!HH", 0x0008, 20) + secrets.token_bytes(20)
    head = lambda n: struct.pack("!HHI", 0x0001, n, 0x2112A442) + secrets.token_bytes(12)  # noqa
    msg = head(len(attrs) + 8)
    msg = msg + attrs
    crc = (zlib.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF
    return msg + struct.pack("!HHI", 0x8028, 4, crc)


def dtls_hello():
    body = secrets.token_bytes(120)
    hs = struct.pack("!B", 1) + len(body).to_bytes(3, "big") + b"\0\0" + b"\0\0\0" + \
        len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0xFEFF, 0) + b"\0" * 6 + struct.pack("!H", len(hs)) + hs


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def flood(port, make, pps, seconds):
    """Sends make() datagrams at pps for seconds (batches of 1 ms); how many were sent."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    pool = [make() for _ in range(256)]
    sent, start = 0, time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        due = int(elapsed * pps) - sent
        for _ in range(min(due, 2000)):
            try:
                s.sendto(pool[sent % len(pool)], ("127.0.0.1", port))
            except OSError:
                pass
            sent += 1
        if due <= 0:
            time.sleep(0.001)  # pacing: the next batch is due in a millisecond
    s.close()
    return sent


def counters(t, admin):
    r = t.api.get("/metrics", admin)
    ensure(r.status == 200, f"/metrics: {r.status}")
    samples = metric_samples(r.body.decode())
    out = {"unrouted": metric_value(samples, "tessera_webrtc_unrouted_datagrams_total") or 0}
    for name, labels, value in samples:
        if name == "tessera_webrtc_ice_checks_dropped_total":
            out[f"ice_{labels.get('reason')}"] = value
    return out


def media(browser):
    s = browser.ask("stats", "stats")["stats"]
    whep = s.get("whep") or {}
    return ((whep.get("inbound_video") or {}).get("framesDecoded", 0),
            (whep.get("inbound_audio") or {}).get("packetsReceived", 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--token", required=True, help="the tessera-token binary")
    ap.add_argument("--pps", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--node", default="node")
    ap.add_argument("--json")
    args = ap.parse_args()
    args.join_page = args.console_page = None
    skip_unless_browser(args.node)
    work = tempfile.mkdtemp(prefix="tessera-webrtc-flood-")
    keys = new_keys(args, work)
    admin = keys.mint("admin")
    rows = []
    with WebRtcTessera(args, work, keys) as t:
        camera = t.camera()
        browser = None
        try:
            browser, r = join_browser(args, work, t, keys)
            username = f"{r.get('serverUfrag')}:{r.get('browserUfrag')}"
            ensure(r.get("serverUfrag") and r.get("browserUfrag"),
                   f"no ICE ufrags in the page's state: {r}")
            kinds = [("baseline", None),
                     ("stun-unknown", lambda: stun_request(f"{secrets.token_hex(4)}:x")),
                     ("stun-forged", lambda: stun_request(username)),
                     ("dtls-hello", dtls_hello)]
            for name, make in kinds:
                c0, m0, cpu0, t0 = counters(t, admin), media(browser), cpu_s(t.proc.proc.pid), \
                    time.monotonic()
                if make:
                    sent = flood(t.webrtc_port, make, args.pps, args.seconds)
                else:
                    time.sleep(args.seconds)  # the baseline window: nothing to wait for
                    sent = 0
                elapsed = time.monotonic() - t0
                cpu1, m1, c1 = cpu_s(t.proc.proc.pid), media(browser), counters(t, admin)
                row = {"flood": name, "sent": sent, "pps": round(sent / elapsed),
                       "tessera_cpu_pct": round(100 * (cpu1 - cpu0) / elapsed, 1),
                       "frames_decoded_per_s": round((m1[0] - m0[0]) / elapsed, 1),
                       "audio_packets_per_s": round((m1[1] - m0[1]) / elapsed, 1),
                       "counted": {k: c1[k] - c0.get(k, 0) for k in c1
                                   if c1[k] - c0.get(k, 0)}}
                rows.append(row)
                print(json.dumps(row), flush=True)
            browser.quit()
        finally:
            stop_all(browser, camera)
        t.stop()
    print(f"{'flood':<13} {'pps':>7} {'tessera CPU %':>14} {'frames/s':>9} {'audio pkts/s':>13}  "
          "counted")
    for r in rows:
        print(f"{r['flood']:<13} {r['pps']:>7} {r['tessera_cpu_pct']:>14} "
              f"{r['frames_decoded_per_s']:>9} {r['audio_packets_per_s']:>13}  {r['counted']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    run_main(main)
