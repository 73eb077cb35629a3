#!/usr/bin/env python3
"""Writes seed inputs for text_renderer_fuzzer (input format: the reads in the .cc, in order)."""
import os
import struct
import sys


def seed(text, box=(0, 0, 160, 96), canvas=(160, 96), px=24, shadow=True, label=False,
         color=(235, 128, 128), limits=False):
    flags = (1 if shadow else 0) | (2 if label else 0) | (0x80 if limits else 0)
    out = bytes([flags, (canvas[0] - 1) % 256, (canvas[1] - 1) % 256])
    out += b"".join(struct.pack(">h", v) for v in box)
    out += bytes([px + 8, *color])
    return out + text


SEEDS = {
    "centered": seed(b"Alice"),
    "label": seed(b"Bob Smith", px=14, label=True),
    "overlong": seed(b"Maximilian Alexander von Hohenberg", box=(10, 10, 100, 40)),
    "utf8": seed("Zoë Łukasz €".encode()),
    "invalid_utf8": seed(b"A\x80\xc3\xe2\x82\xed\xa0\x80\xf4\x90\x80\x80\xff"),
    "odd_canvas": seed(b"W", box=(1, 1, 38, 28), canvas=(41, 31), px=20),
    "off_canvas": seed(b"Alice", box=(-120, -50, 200, 80), label=True),
    "clipped_tall": seed(b"Alice", box=(10, 40, 140, 8), px=40, shadow=False),
    "limits": seed(b"Alice", box=(-5, -5, 100, 100), limits=True),
}


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/text_renderer"
    os.makedirs(out_dir, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
