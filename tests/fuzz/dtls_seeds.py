#!/usr/bin/env python3
"""Writes seeds for dtls_record_fuzzer and dtls_transport_fuzzer to tests/fuzz/corpus/.

The ClientHello is built field by field as a browser sends it for DTLS-SRTP: DTLS 1.2,
ECDHE-ECDSA suites, X25519 and P-256, and use_srtp offering AEAD_AES_128_GCM and
AES128_CM_SHA1_80. The server in dtls_transport_fuzzer answers it with its whole first flight, so
the fuzzer starts deep in OpenSSL's handshake code. dtls_transport_fuzzer reads datagrams as
[2-byte length][bytes]; the length 0xFFFF fires OnTimer.
"""
import pathlib
import struct

root = pathlib.Path(__file__).resolve().parents[2]


def record(content_type, body, version=0xFEFD, epoch=0, seq=0):
    return (struct.pack(">BHH", content_type, version, epoch) + seq.to_bytes(6, "big") +
            struct.pack(">H", len(body)) + body)


def handshake(msg_type, body, message_seq=0):
    length = len(body).to_bytes(3, "big")
    return (bytes([msg_type]) + length + struct.pack(">H", message_seq) + (0).to_bytes(3, "big") +
            length + body)


def extension(ext_type, data):
    return struct.pack(">HH", ext_type, len(data)) + data


def client_hello():
    suites = [0xC02B, 0xC02C, 0xCCA9, 0xC02F, 0xC030, 0xCCA8]
    extensions = b"".join([
        extension(0x0017, b""),                                  # extended_master_secret
        extension(0xFF01, b"\x00"),                              # renegotiation_info
        extension(0x000A, struct.pack(">HHH", 4, 0x001D, 0x0017)),  # groups: x25519, P-256
        extension(0x000B, b"\x01\x00"),                          # ec_point_formats: uncompressed
        extension(0x000D, struct.pack(">HHHH", 6, 0x0403, 0x0804, 0x0401)),  # signature_algorithms
        extension(0x000E, struct.pack(">HHH", 4, 0x0007, 0x0001) + b"\x00"),  # use_srtp, no MKI
    ])
    body = (struct.pack(">H", 0xFEFD) + bytes(range(32)) + b"\x00" + b"\x00" +
            struct.pack(">H", 2 * len(suites)) + b"".join(struct.pack(">H", s) for s in suites) +
            b"\x01\x00" + struct.pack(">H", len(extensions)) + extensions)
    return record(22, handshake(1, body), version=0xFEFF)


def framed(*datagrams):
    out = b""
    for d in datagrams:
        out += struct.pack(">H", 0xFFFF) if d is None else struct.pack(">H", len(d)) + d
    return out


hello = client_hello()
ccs = record(20, b"\x01", seq=5)
fatal_alert = record(21, b"\x02\x28", seq=1)  # handshake_failure
app_data = record(23, bytes(range(48)), epoch=1, seq=2)
dtls13 = record(22, handshake(1, b"\x00" * 8), version=0xFEFC)

seeds = {
    "dtls_record": {
        "client_hello": hello,
        "ccs_and_alert": ccs + fatal_alert,
        "application_data": app_data,
        "dtls13_record": dtls13,
    },
    "dtls_transport": {
        "client_hello": framed(hello),
        "client_hello_timer_repeat": framed(hello, None, hello, None),
        "client_hello_then_alert": framed(hello, fatal_alert),
        "garbage_then_hello": framed(b"\x16\xfe\xfd\x00", dtls13, app_data, hello),
    },
}
for corpus, files in seeds.items():
    out = root / "tests/fuzz/corpus" / corpus
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
        print(corpus, name, len(data))
