#!/usr/bin/env python3
"""Writes seed inputs for sip_transaction_fuzzer (the event format is in the .cc)."""
import os
import struct
import sys

INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER = range(6)
CODES = [100, 180, 183, 200, 202, 302, 401, 486, 487, 500, 503, 603]


def request(method, branch=0, flags=0, source=0):
    return bytes([0, method, branch, flags, source])


def response(index, code, tag=1, source=0):
    return bytes([1, index, CODES.index(code), tag, source])


def wait(ms):
    return bytes([2]) + struct.pack(">H", ms)


def answer(index, code, retransmit=0):
    return bytes([3, index, CODES.index(code), retransmit])


def send(method, branch=0, flags=0, dest=0):
    return bytes([4, method, branch, flags, dest])


def raw(text):
    data = text.encode()[:255]
    return bytes([5, len(data)]) + data + bytes([0])


SEEDS = {
    "invite_rejected": request(INVITE) + wait(200) + answer(0, 180) + answer(0, 486)
    + request(INVITE) + request(ACK) + wait(5000),
    "invite_accepted": request(INVITE) + answer(0, 200, 1) + wait(600) + request(ACK, 1) + wait(1),
    "invite_cancelled": request(INVITE) + answer(0, 180) + request(CANCEL) + answer(0, 487)
    + request(ACK),
    "client_options": send(OPTIONS) + wait(500) + response(0, 100) + response(0, 200) + wait(5000),
    "client_invite": send(INVITE, 1) + wait(500) + response(0, 180) + response(0, 486)
    + response(0, 486) + wait(32000),
    "client_invite_tcp": send(INVITE, 2, 1, 1) + response(0, 200),
    "flood": b"".join(request(OPTIONS, b % 5, 0, 2) for b in range(20)) + answer(0, 200),
    "rfc2543": request(OPTIONS, 5) + request(INVITE, 5),
    "send_failure": bytes([6, 0]) + send(REGISTER) + request(OPTIONS) + answer(0, 200),
    "raw_options": raw("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
                       "To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\n"
                       "CSeq: 1 OPTIONS\r\n\r\n") + answer(0, 200),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                         "corpus", "sip_transaction")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
