#!/usr/bin/env python3
"""Writes seeds for recording_file_fuzzer: real recording files (chunk_file.h's layout) under the
fuzzer's fixed data key (bytes 0..31), so that mutations reach past chunk 0: a clean file, one
without its final chunk, one with a cut chunk, one with an empty final chunk.

usage: recording_file_seeds.py OUT_DIR   (needs python3-cryptography; the seeds are committed)
"""
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes(range(32))
PREFIX = b"\x01\x02\x03\x04"


def header():
    j = {"recording_id": "seed", "room": "main", "profile": "hd", "region": "eu",
         "container": "matroska", "started": "2026-12-06T20:00:00Z", "kek_id": "k1",
         "nonce_prefix": "AQIDBA==", "chunk_size": 64}
    text = json.dumps(j, separators=(",", ":")).encode()
    return b"TESSERAREC1\n" + struct.pack(">I", len(text)) + text


def chunk(head, index, plaintext, final):
    flags = 1 if final else 0
    aad = hashlib.sha256(head).digest() + struct.pack(">QB", index, flags)
    nonce = PREFIX + struct.pack(">Q", index)
    sealed = AESGCM(KEY).encrypt(nonce, plaintext, aad)  # ciphertext || tag
    return struct.pack(">IQB", len(sealed) - 16, index, flags) + sealed


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    head = header()
    body = [b"\x1a\x45\xdf\xa3 matroska " * 3, b"cluster one", b"cluster two"]
    clean = head + b"".join(chunk(head, i, p, i == len(body) - 1) for i, p in enumerate(body))
    unclosed = head + b"".join(chunk(head, i, p, False) for i, p in enumerate(body))
    cut = unclosed[:-7]
    empty_final = head + chunk(head, 0, body[0], False) + chunk(head, 1, b"", True)
    for name, data in [("clean", clean), ("no_final", unclosed), ("cut", cut),
                       ("empty_final", empty_final), ("header_only", head)]:
        with open(os.path.join(out, name + ".tsrec"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
