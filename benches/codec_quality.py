#!/usr/bin/env python3
"""Bits per quality and decode cost of the codecs a room can send its low profile in: H.264
(x264), VP8 and VP9 (libvpx), each with the settings Tessera's encoders use
(src/codec/video_encoder.cc: x264 veryfast zerolatency constrained baseline CBR with repeat
headers; libvpx realtime cpu-used 8, no lag, error resilient, CBR, one thread, VP9 with tile
columns), encoded by the ffmpeg CLI from the same raw clip at the same target bitrate.

For each codec and bitrate: the bitrate it really spent, SSIM against the source (ffmpeg's ssim
filter, the "All" figure), encode time per frame, and decode time per frame on one thread
(ffmpeg -benchmark, the CPU decoders Tessera's inputs use: libavcodec h264 and vp8, libvpx-vp9's
counterpart libavcodec vp9).

    python3 benches/codec_quality.py [--size 640x360] [--fps 15] [--seconds 10]
        [--bitrates 200,400] [--source testsrc2|mandelbrot]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ENCODERS = {
    "H264": ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
             "-profile:v", "baseline", "-x264-params", "repeat-headers=1"],
    "VP8": ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0",
            "-error-resilient", "default", "-auto-alt-ref", "0", "-qmin", "4", "-qmax", "56"],
    "VP9": ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
            "-lag-in-frames", "0", "-error-resilient", "default", "-auto-alt-ref", "0",
            "-qmin", "4", "-qmax", "56", "-row-mt", "0", "-tile-columns", "1"],
}
CONTAINER = {"H264": "h264", "VP8": "ivf", "VP9": "ivf"}
DECODER = {"H264": "h264", "VP8": "vp8", "VP9": "vp9"}


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"codec_quality: {' '.join(argv[:6])}... failed:\n{p.stderr[-2000:]}")
    return p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--bitrates", default="200,400", help="kbps, comma-separated")
    ap.add_argument("--source", default="testsrc2", choices=["testsrc2", "mandelbrot"])
    args = ap.parse_args()
    frames = args.fps * args.seconds
    with tempfile.TemporaryDirectory(prefix="tessera-codec-quality-") as work:
        src = os.path.join(work, "src.yuv")
        run(["ffmpeg", "-hide_banner", "-y", "-f", "lavfi", "-i",
             f"{args.source}=size={args.size}:rate={args.fps}", "-frames:v", str(frames),
             "-pix_fmt", "yuv420p", "-f", "rawvideo", src])
        raw_in = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", args.size, "-r", str(args.fps),
                  "-i", src]
        print(f"{args.source} {args.size} @ {args.fps} fps, {frames} frames, one thread each")
        print(f"{'codec':5} {'target':>7} {'spent':>7} {'SSIM':>7} {'enc ms/f':>9} {'dec ms/f':>9}")
        for kbps in [int(b) for b in args.bitrates.split(",")]:
            for codec, opts in ENCODERS.items():
                out = os.path.join(work, f"{codec}-{kbps}.{CONTAINER[codec]}")
                rate = [f"-b:v", f"{kbps}k", "-maxrate", f"{kbps}k",
                        "-bufsize", f"{kbps}k", "-g", str(args.fps * 10), "-threads", "1"]
                if codec != "H264":
                    rate += ["-minrate", f"{kbps}k"]
                t0 = time.monotonic()
                run(["ffmpeg", "-hide_banner", "-y", *raw_in, *opts, *rate,
                     "-f", CONTAINER[codec], out])
                enc_ms = (time.monotonic() - t0) * 1000 / frames
                spent = os.path.getsize(out) * 8 / args.seconds / 1000
                bench = run(["ffmpeg", "-hide_banner", "-benchmark", "-threads", "1",
                             "-c:v", DECODER[codec], "-i", out, "-f", "null", "-"])
                utime = re.search(r"utime=([\d.]+)s", bench)
                dec_ms = float(utime.group(1)) * 1000 / frames if utime else float("nan")
                ssim_log = run(["ffmpeg", "-hide_banner", "-i", out, *raw_in,
                                "-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"])
                ssim = re.search(r"All:([\d.]+)", ssim_log)
                print(f"{codec:5} {kbps:>6}k {spent:>6.0f}k {float(ssim.group(1)):>7.4f} "
                      f"{enc_ms:>9.2f} {dec_ms:>9.3f}")


if __name__ == "__main__":
    main()
