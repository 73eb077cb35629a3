#!/usr/bin/env python3
"""Writes seed inputs for audio_jitter_buffer_fuzzer (see the op format in the fuzzer)."""
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "corpus", "audio_jitter_buffer")


def insert(step=1, mode=0):
    return bytes([0, step & 0xFF, mode])


def advance(ms):
    return bytes([2, ms])


def pull():
    return bytes([3])


def stream(n, loss=0.0, reorder=0.0, dtx_every=0, ptime_mode=0, seed=1):
    rng = random.Random(seed)
    out = bytearray([63])
    pending = []
    for i in range(n):
        if dtx_every and i % dtx_every == dtx_every - 1:
            out += insert(1, 2 + 4 * 25)  # +100 ms timestamp jump
        elif rng.random() < loss:
            out += insert(2, ptime_mode)
        elif rng.random() < reorder:
            out += insert(2, ptime_mode) + insert(-1, 0xEA)  # ts -22 ms
            out += insert(2, 1)
        else:
            out += insert(1, ptime_mode)
        out += pull() + (pull() if ptime_mode == 1 else b"")
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "steady": stream(60),
        "loss": stream(80, loss=0.1, seed=2),
        "reorder": stream(80, reorder=0.1, seed=3),
        "dtx": stream(80, dtx_every=10),
        "ptime40": stream(40, ptime_mode=1),
        "pause": stream(20) + advance(250) + bytes([3] * 20) + stream(20)[1:],
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
