#!/usr/bin/env python3
"""Writes the browser offers of tests/unit/webrtc/browser_sdp_test_offers.h to
tests/fuzz/corpus/browser_sdp/ (CRLF), and a few variants of them that reach the refusals."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[2]
header = (root / "tests/unit/webrtc/browser_sdp_test_offers.h").read_text()
out = root / "tests/fuzz/corpus/browser_sdp"
out.mkdir(parents=True, exist_ok=True)


def write(name: str, body: str) -> None:
    (out / name).write_bytes(body.replace("\n", "\r\n").encode())
    print(name)


def without(body: str, prefix: str) -> str:
    return "".join(line for line in body.splitlines(True) if not line.startswith(prefix))


offers = {}
for name, body in re.findall(r'inline constexpr char (k\w+)\[\] = R"sdp\((.*?)\)sdp";', header, re.S):
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name[1:]).lower()
    offers[snake] = body
    write(snake, body)

chrome = offers["chrome_publish"]
write("no_bundle", without(chrome, "a=group:"))
write("no_rtcp_mux", without(chrome, "a=rtcp-mux"))
write("no_fingerprint", without(chrome, "a=fingerprint:"))
write("setup_passive", chrome.replace("a=setup:actpass", "a=setup:passive"))
write("plain_rtp", chrome.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"))
write("simulcast_paused", offers["chrome_simulcast"].replace("send q;h;f", "send q;~h;x,f recv r"))
