#!/usr/bin/env python3
"""Writes seeds for stun_fuzzer to tests/fuzz/corpus/stun/ and for tcp_framing_fuzzer to
tests/fuzz/corpus/tcp_framing/.

stun_fuzzer's input is a flags byte (bit 0: sign again, bit 1: IPv6 source), then the datagram.
The checks are signed with the fuzzer's fixed credentials (kLocal, kRemote in stun_fuzzer.cc), so
the valid ones pass and the fuzzer starts from the paths after authentication. RFC 5769's vectors
are there too.
"""
import hashlib
import hmac
import os
import struct
import zlib

LOCAL_UFRAG, LOCAL_PASSWORD = "fuzzLoc1", "fuzz-local-password-0123"  # as kLocal
REMOTE_UFRAG = "fuzzRem1"  # as kRemote
COOKIE = 0x2112A442
TXID = bytes(range(1, 13))

USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, UNKNOWN_ATTRIBUTES = 0x0006, 0x0008, 0x0009, 0x000A
XOR_MAPPED_ADDRESS, PRIORITY, USE_CANDIDATE = 0x0020, 0x0024, 0x0025
SOFTWARE, FINGERPRINT, ICE_CONTROLLED, ICE_CONTROLLING = 0x8022, 0x8028, 0x8029, 0x802A


def attribute(kind, value):
    return struct.pack(">HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def message(kind, attributes, key=None, fingerprint=True, txid=TXID):
    body = b"".join(attributes)

    def header(length):
        return struct.pack(">HHI", kind, length, COOKIE) + txid

    if key is not None:
        covered = header(len(body) + 24) + body
        body += attribute(MESSAGE_INTEGRITY,
                          hmac.new(key.encode(), covered, hashlib.sha1).digest())
    if fingerprint:
        crc = (zlib.crc32(header(len(body) + 8) + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attribute(FINGERPRINT, struct.pack(">I", crc))
    return header(len(body)) + body


def check(nominate=False, role=ICE_CONTROLLING, priority=True, extra=(), key=LOCAL_PASSWORD,
          fingerprint=True, username=LOCAL_UFRAG + ":" + REMOTE_UFRAG):
    attrs = [attribute(USERNAME, username.encode())]
    if priority:
        attrs.append(attribute(PRIORITY, struct.pack(">I", 0x6E7F1EFF)))
    if role is not None:
        attrs.append(attribute(role, struct.pack(">Q", 0x1122334455667788)))
    if nominate:
        attrs.append(attribute(USE_CANDIDATE, b""))
    attrs.extend(extra)
    return message(0x0001, attrs, key=key, fingerprint=fingerprint)


def h(text):
    return bytes.fromhex(text)


RFC5769_REQUEST = h(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
    "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf")
RFC5769_IPV4_RESPONSE = h(
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96")
RFC5769_IPV6_RESPONSE = h(
    "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c")

for vector in (RFC5769_REQUEST, RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE):
    assert len(vector) == 20 + struct.unpack(">H", vector[2:4])[0]

unsigned = bytearray(check(nominate=True))
unsigned[-32:-8] = attribute(MESSAGE_INTEGRITY, b"\0" * 20)  # zeros: the fuzzer signs it

stun_seeds = {
    "rfc5769_request": b"\0" + RFC5769_REQUEST,
    "rfc5769_ipv4_response": b"\0" + RFC5769_IPV4_RESPONSE,
    "rfc5769_ipv6_response": b"\0" + RFC5769_IPV6_RESPONSE,
    "check": b"\0" + check(),
    "check_nominated": b"\0" + check(nominate=True),
    "check_nominated_ipv6": b"\2" + check(nominate=True),
    "check_to_sign": b"\1" + bytes(unsigned),
    "check_controlled": b"\0" + check(role=ICE_CONTROLLED),
    "check_no_role": b"\0" + check(role=None),
    "check_no_priority": b"\0" + check(priority=False),
    "check_unknown_attribute": b"\0" + check(extra=[attribute(0x0003, b"\0\0\0\0")]),
    "check_software": b"\0" + check(extra=[attribute(SOFTWARE, b"tessera seed")]),
    "check_wrong_password": b"\0" + check(nominate=True, key="not-the-password-at-all!"),
    "check_wrong_username": b"\0" + check(username="someone1:" + REMOTE_UFRAG),
    "check_no_integrity": b"\0" + check(key=None),
    "check_no_fingerprint": b"\0" + check(fingerprint=False),
    "binding_indication": b"\0" + message(0x0011, [], fingerprint=True),
    "error_420": b"\0" + message(0x0111, [
        attribute(ERROR_CODE, b"\0\0\x04\x14Unknown Attribute"),
        attribute(UNKNOWN_ATTRIBUTES, struct.pack(">HH", 0x0003, 0x7777))], key=LOCAL_PASSWORD),
    "empty": b"",
}


def frame(packet):
    return struct.pack(">H", len(packet)) + packet


def chunks(stream, size):
    out = b""
    for i in range(0, len(stream), size):
        piece = stream[i:i + size]
        out += bytes([len(piece)]) + piece
    return out


dtls_hello = h("16fefd0000000000000000002f010000230000000000000023fefd") + bytes(32)
two_checks = frame(check()) + frame(check(nominate=True))
tcp_seeds = {
    "one_check": b"\0\0" + chunks(frame(check()), 255),
    "two_checks_split": b"\0\0" + chunks(two_checks, 7),
    "dtls_and_empty_frames": b"\0\0" + chunks(frame(b"") + frame(dtls_hello) + frame(b""), 13),
    "over_limit": b"\x00\x40" + chunks(frame(bytes(100)) + frame(bytes(10)), 50),
    "partial": b"\0\0" + chunks(frame(bytes(300))[:200], 100),
}

base = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
for corpus, seeds in (("stun", stun_seeds), ("tcp_framing", tcp_seeds)):
    out = os.path.join(base, corpus)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(corpus + "/" + name)
