#!/usr/bin/env python3
"""Writes seed inputs for video_layout_fuzzer (input format: the reads in the .cc, in order)."""
import os
import struct
import sys


def u16(v):
    return struct.pack(">H", v)


def fraction(f):
    return u16(round(f * 1000) + 150)


def seed(kind, crop=False, speaker=None, stale=False, box=False, highlight=4, border=0, thumbs=6,
         canvas=(320, 180), inputs=(), extra_tiles=(), regions=None, flags=None):
    mode = kind | (4 if crop else 0) | (8 if speaker is not None else 0) | (16 if stale else 0)
    mode |= (highlight % 4) << 5 | (128 if box else 0)
    out = bytes([mode]) + u16(border + 2) + u16(thumbs + 1)
    out += u16(canvas[0] + 4) + u16(canvas[1] + 4) + u16(len(inputs))
    for w, h in inputs:
        out += u16(w + 2) + u16(h + 2)
    if speaker is not None:
        out += bytes([speaker])
    # Custom layout: regions are (x, y, w, h, z, rule byte); flags: per input, 1 pinned, 2 presenter.
    custom_mode = (1 | len(regions) << 2 if regions is not None else 0) | (2 if flags else 0)
    out += bytes([custom_mode])
    for x, y, w, h, z, rule in regions or ():
        out += fraction(x) + fraction(y) + fraction(w) + fraction(h) + bytes([z + 3, rule])
    if flags:
        out += bytes(flags)
    for t in extra_tiles:  # (id, region, dest, src, z, highlight)
        pid, region, dest, src, z, hl = t
        out += bytes([pid])
        out += b"".join(u16(v + 40) for v in region)
        out += b"".join(u16(v + 40) for v in dest)
        out += b"".join(u16(v + 20) for v in src)
        out += bytes([z, hl])
    return out


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    q = [(160, 90)] * 4
    seeds = {
        "grid4": seed(0, inputs=q),
        "grid9_mixed": seed(0, speaker=3, inputs=[(160, 90), (120, 90), (90, 160), (0, 0)] * 2 + [(2, 198)]),
        "grid26_crop": seed(0, crop=True, inputs=[(64, 36)] * 26),
        "speaker_focus": seed(1, speaker=2, border=2, inputs=q + [(120, 90)]),
        "presentation_box": seed(2, box=True, canvas=(300, 200), inputs=[(198, 110)] + q),
        "pip_stale": seed(3, stale=True, speaker=1, inputs=q[:2]),
        "odd_canvas": seed(0, canvas=(161, 91), border=5, inputs=q[:3]),
        "hand_tiles": seed(0, inputs=q[:1], extra_tiles=[
            (1, (-10, -10, 400, 300), (3, 5, 101, 77), (1, 1, 39, 41), 1, 1),
            (2, (100, 50, 30, 30), (100, 50, 30, 30), (0, 0, 200, 200), 2, 0)]),
        "presenter_pinned": seed(2, speaker=1, inputs=q, flags=[0, 1, 2, 0]),
        "custom_stage": seed(0, speaker=2, border=2, inputs=q + [(120, 90)], flags=[0, 2, 1, 0, 0],
                             regions=[(0, 0, 0.75, 1, 0, 3), (0.75, 0, 0.25, 0.5, 0, 1 | 4 | 8 | 16),
                                      (0.75, 0.5, 0.25, 0.5, 1, 2), (0.7, 0.7, 0.3, 0.3, 2, 0)]),
        "custom_thirds": seed(0, crop=True, inputs=q * 2, regions=[
            (c / 3, r / 3, 1 / 3, 1 / 3, 0, 0) for r in range(3) for c in range(3)]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "video_layout"))
