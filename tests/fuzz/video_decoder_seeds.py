#!/usr/bin/env python3
"""Writes seed inputs for video_decoder_fuzzer: byte 0 = codec (0 H.264, 1 VP8, 2 VP9, 3 AV1), byte 1 =
keyframe flag, then one frame. The frames are small clips encoded by the ffmpeg command-line tool
(libx264 constrained baseline, libvpx and libvpx-vp9 realtime), as the MCU's own encoders
configure them, VP9 as other senders send it (profile 1: 4:4:4; profile 2: 10-bit), AV1 from
libaom (temporal units without their temporal delimiter, as the RTP depacketizer gives them), and
H.264 as other senders send it: Main with B-frames, High 10, High 4:2:2, High 4:4:4 Predictive
(GStreamer's x264enc default) and monochrome High."""
import os
import struct
import subprocess
import sys
import tempfile

H264, VP8, VP9, AV1 = 0, 1, 2, 3


def encode(args, size, frames, pix_fmt="yuv420p"):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc2=size=%s:rate=30" % size, "-frames:v", str(frames), "-pix_fmt",
                        pix_fmt] + args + [out], check=True)
        return open(out, "rb").read()


# Other senders' H.264: (name, pix_fmt, libx264 options).
H264_PROFILES = [
    ("main_bframes", "yuv420p", ["-profile:v", "main", "-bf", "2"]),
    ("high10", "yuv420p10le", ["-tune", "zerolatency"]),
    ("high422", "yuv422p", ["-tune", "zerolatency"]),
    ("high444", "yuv444p", ["-tune", "zerolatency"]),
    ("gray", "gray", ["-tune", "zerolatency"]),
]


def h264_frames(size, frames, pix_fmt="yuv420p", args=None):
    args = args or ["-tune", "zerolatency", "-profile:v", "baseline"]
    stream = encode(["-c:v", "libx264", "-preset", "veryfast"] + args + ["-f", "h264"], size,
                    frames, pix_fmt)
    # Split into access units at each slice that follows a slice or starts after SPS/PPS/SEI.
    units, start, i, seen_slice = [], 0, 0, False
    while True:
        i = stream.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        nal_type = stream[i + 3] & 0x1F
        begin = i - 1 if i > 0 and stream[i - 1] == 0 else i
        if nal_type in (1, 5, 7, 9) and seen_slice:
            units.append(stream[start:begin])
            start, seen_slice = begin, False
        if nal_type in (1, 5):
            seen_slice = True
        i += 3
    units.append(stream[start:])
    return units


def vp8_frames(size, frames, encoder="libvpx", pix_fmt="yuv420p"):
    ivf = encode(["-c:v", encoder, "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
                  "-f", "ivf"], size, frames, pix_fmt)
    out, pos = [], struct.unpack_from("<H", ivf, 6)[0]
    while pos + 12 <= len(ivf):
        n = struct.unpack_from("<I", ivf, pos)[0]
        out.append(ivf[pos + 12:pos + 12 + n])
        pos += 12 + n
    return out


def av1_frames(size, frames, pix_fmt="yuv420p"):
    """libaom realtime temporal units, each without its leading temporal delimiter (12 00)."""
    data = encode(["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8",
                   "-lag-in-frames", "0", "-b:v", "200k", "-f", "obu"], size, frames, pix_fmt)
    units, start = [], 0
    while True:
        nxt = data.find(b"\x12\x00", start + 2)
        # A temporal delimiter is where one unit ends; 12 00 inside a payload is rare enough
        # for seeds.
        units.append(data[start:nxt if nxt >= 0 else len(data)])
        if nxt < 0:
            break
        start = nxt
    return [u[2:] if u.startswith(b"\x12\x00") else u for u in units]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/video_decoder"
    os.makedirs(out_dir, exist_ok=True)
    seeds = {}
    for size in ("64x48", "96x64"):
        for n, au in enumerate(h264_frames(size, 3)):
            seeds["h264_%s_%d" % (size, n)] = bytes([H264, 1 if n == 0 else 0]) + au
        for n, f in enumerate(vp8_frames(size, 3)):
            seeds["vp8_%s_%d" % (size, n)] = bytes([VP8, 1 if n == 0 else 0]) + f
    for name, pix_fmt in (("", "yuv420p"), ("profile1_", "yuv444p"), ("profile2_", "yuv420p10le")):
        for n, f in enumerate(vp8_frames("64x48", 3, "libvpx-vp9", pix_fmt)):
            seeds["vp9_%s64x48_%d" % (name, n)] = bytes([VP9, 1 if n == 0 else 0]) + f
    for name, pix_fmt in (("", "yuv420p"), ("10bit_", "yuv420p10le")):
        for n, f in enumerate(av1_frames("64x48", 3, pix_fmt)):
            seeds["av1_%s64x48_%d" % (name, n)] = bytes([AV1, 1 if n == 0 else 0]) + f
    for name, pix_fmt, args in H264_PROFILES:
        for n, au in enumerate(h264_frames("64x48", 4, pix_fmt, args)):
            seeds["h264_%s_64x48_%d" % (name, n)] = bytes([H264, 1 if n == 0 else 0]) + au
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
