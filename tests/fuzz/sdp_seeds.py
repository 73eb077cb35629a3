#!/usr/bin/env python3
"""Writes the SDP offers of tests/unit/sip/sdp_test_offers.h to tests/fuzz/corpus/sdp/ (CRLF)."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[2]
header = (root / "tests/unit/sip/sdp_test_offers.h").read_text()
out = root / "tests/fuzz/corpus/sdp"
out.mkdir(parents=True, exist_ok=True)
for name, body in re.findall(r'inline constexpr char (k\w+)\[\] = R"sdp\((.*?)\)sdp";', header, re.S):
    (out / name[1:].lower()).write_bytes(body.replace("\n", "\r\n").encode())
    print(name)
