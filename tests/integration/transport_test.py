#!/usr/bin/env python3
"""End-to-end transport test: the ffmpeg CLI sends H.264 over RTP (or SRTP, or through the
seeded impairment relay) to the real tessera binary, which reassembles the frames and records them;
the recording is then decoded by ffprobe/ffmpeg.

usage: transport_test.py --tessera BIN --impair BIN --scenario plain|srtp|impaired
"""
import argparse
import base64
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (run_main, Process, TestFailure, ensure, free_port_pair, probe_frames,  # noqa
                             run, write_config)

FPS = 30


def sender_argv(target_url, frames, gop, srtp_key_b64=None):
    argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}",
            "-frames:v", str(frames), "-c:v", "libx264", "-preset", "veryfast",
            "-tune", "zerolatency", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
            "-g", str(gop), "-keyint_min", str(gop), "-bf", "0",
            "-payload_type", "96", "-ssrc", "287454020"]
    if srtp_key_b64:
        argv += ["-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", srtp_key_b64]
    argv += ["-f", "rtp", target_url]
    return argv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--impair", required=True)
    ap.add_argument("--scenario", required=True, choices=["plain", "srtp", "impaired"])
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix=f"tessera-{args.scenario}-")
    port = free_port_pair()
    recording = os.path.join(work, "camera.mp4")
    srtp_key = base64.b64encode(os.urandom(30)).decode() if args.scenario == "srtp" else None
    srtp_block = (f"    srtp:\n      suite: AES_CM_128_HMAC_SHA1_80\n"
                  f"      key: inline:{srtp_key}\n") if srtp_key else ""
    config = write_config(os.path.join(work, "tessera.yaml"), f"""
server:
  log_level: info
  shards: 2
  recording_dir: {work}
participants:
  - name: camera
    local_port: {port}
    rtcp_mux: false
    video:
      codec: H264
      payload_type: 96
{srtp_block}    record: camera.mp4
""")

    frames, gop = (150, 10) if args.scenario == "impaired" else (90, 30)
    tessera = Process([args.tessera, "--config", config], "tessera")
    relay = None
    try:
        tessera.wait_for_line(lambda l: "ready" in l, 30)
        target_port = port
        if args.scenario == "impaired":
            relay_port = free_port_pair()
            relay = Process([args.impair, "--impair",
                             "drop=0.01,reorder=0.05,duplicate=0.03,depth=3,seed=1234",
                             "--map", f"{relay_port}:{port}",
                             "--map", f"{relay_port + 1}:{port + 1}"], "tessera-impair")
            relay.wait_for_line(lambda l: l.strip() == "ready", 30)
            target_port = relay_port
        scheme = "srtp" if srtp_key else "rtp"
        url = f"{scheme}://127.0.0.1:{target_port}?pkt_size=1200&rtcpport={target_port + 1}"
        rc, _, err = run(sender_argv(url, frames, gop, srtp_key), timeout_s=120)
        ensure(rc == 0, f"ffmpeg sender failed: {err}")
        if relay:
            ensure(relay.stop() == 0, "relay failed")
        ensure(tessera.stop() == 0, f"tessera exited non-zero; stderr:\n{tessera.stderr()}")
    finally:
        for p in (relay, tessera):
            if p and p.proc.poll() is None:
                p.proc.kill()

    summaries = [j for j in tessera.json_lines() if j.get("participant") == "camera"]
    ensure(summaries, f"tessera printed no summary for the camera; stdout: {tessera.lines}")
    summary = summaries[-1]
    print("tessera summary:", summary)
    stream, decode_errors = probe_frames(recording)
    print("recording:", stream, "decode errors:", decode_errors or "none")
    ensure(decode_errors == "", f"the recording does not decode cleanly: {decode_errors}")
    ensure(stream.get("codec_name") == "h264", f"unexpected codec {stream.get('codec_name')}")
    ensure((stream.get("width"), stream.get("height")) == (640, 360),
           f"unexpected size {stream.get('width')}x{stream.get('height')}")
    decoded = int(stream.get("nb_read_frames", 0))
    ensure(decoded == summary["frames_recorded"],
           f"ffprobe decoded {decoded} frames, tessera says it recorded "
           f"{summary['frames_recorded']}")

    if args.scenario in ("plain", "srtp"):
        ensure(decoded == frames, f"expected all {frames} frames, decoded {decoded}")
        ensure(summary["dropped"].get("malformed", 0) == 0, "malformed drops on a clean link")
        if srtp_key:
            ensure(summary["dropped"].get("srtp_auth", 0) == 0, "SRTP auth failures")
            ensure(summary["srtcp_received"] > 0, "no SRTCP sender report was accepted")
    else:
        relay_stats = [j for j in relay.json_lines() if j.get("map") == 0][0]
        print("relay:", relay_stats)
        ensure(relay_stats["dropped"] > 0 and relay_stats["reordered"] > 0 and
               relay_stats["duplicated"] > 0, "the relay did not impair the stream")
        ensure(summary["dropped"].get("duplicate", 0) > 0, "duplicates were not detected")
        ensure(summary["nacks_sent"] > 0, "no NACK was sent for lost packets")
        ensure(summary["keyframe_requests"] > 0, "no keyframe was requested after loss")
        # The sender answers neither NACK nor PLI, so each loss costs the rest of its GOP (10
        # frames); reordering and duplication must cost nothing.
        ensure(decoded >= frames * 0.4, f"only {decoded} of {frames} frames survived")
        ensure(decoded < frames, "no frame was lost although packets were dropped")
    print(f"PASS {args.scenario}: {decoded}/{frames} frames decoded")


if __name__ == "__main__":
    run_main(main)
