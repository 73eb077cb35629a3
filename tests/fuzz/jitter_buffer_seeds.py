#!/usr/bin/env python3
"""Writes seed inputs for jitter_buffer_fuzzer (see the input format at the top of the .cc)."""
import os
import random
import struct
import sys

START, MARKER, KEY, PARAMS, SIZE = 1, 2, 4, 8, 16
TS_SAME, TS_NEXT = 0, 1 << 5


def header(max_packets=0x80, max_wait_4ms=75, h264=False, first_seq=1000, ts=90000):
    return bytes([max_packets, max_wait_4ms, 1 if h264 else 0]) + struct.pack(">HI", first_seq, ts)


def packet(step, flags, filler=2):
    return bytes([0, step & 0xFF, flags, filler])


def timer(ms):
    return bytes([6, ms // 2])


def frames(n_frames, per_frame, h264=False, lose=(), reorder=False, seed=1):
    rnd = random.Random(seed)
    pkts = []  # (absolute index, flags)
    idx = 0
    for f in range(n_frames):
        key = f % 30 == 0
        for i in range(per_frame):
            flags = (TS_SAME if i else TS_NEXT) if f or i else TS_SAME
            if i == 0:
                flags |= START
                if key:
                    flags |= KEY | SIZE | (PARAMS if h264 else 0)
            elif key:
                flags |= KEY
            if i == per_frame - 1:
                flags |= MARKER
            pkts.append((idx, flags))
            idx += 1
    if reorder:
        for i in range(len(pkts) - 1):
            if rnd.random() < 0.1:
                pkts[i], pkts[i + 1] = pkts[i + 1], pkts[i]
    out = b""
    prev = None
    sent = 0
    for n, (i, flags) in enumerate(pkts):
        if i in lose:
            continue
        step = 0 if prev is None else i - prev
        # Timestamp steps are relative to the previous packet sent; reordering makes them
        # approximate, which is fine for seeds.
        out += packet(step, flags)
        prev = i
        sent += 1
        if sent % 3 == 0:
            out += timer(10)
    return out


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    seeds = {
        "in_order_vp8": header() + frames(40, 3),
        "in_order_h264": header(h264=True) + frames(40, 3, h264=True),
        "reordered": header() + frames(40, 3, reorder=True),
        "loss_timeout": header() + frames(40, 3, lose={10, 50}) + timer(400),
        "seq_wrap": header(first_seq=65530, ts=0xFFFFF000) + frames(20, 4),
        "small_buffer": header(max_packets=5) + frames(20, 4, lose={7}),
        "padding": header() + frames(3, 2) + bytes([5, 1, 5, 1]) + packet(1, START | MARKER | TS_NEXT),
    }
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/jitter_buffer")
