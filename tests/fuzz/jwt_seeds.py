#!/usr/bin/env python3
"""Writes Authorization headers for jwt_fuzzer to tests/fuzz/corpus/jwt/.

The HS256 tokens are signed with the fuzzer's fixed secret and dated around its fixed clock, so the
valid ones pass the signature check and the fuzzer reaches the claims checks. The ES256 ones are
signed with a throwaway key (the fuzzer's own ES256 key is made at start-up): they look right and
exercise the JOSE signature path, and are refused.
"""
import base64
import hashlib
import hmac
import json
import pathlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = 1767225600  # as kNow in jwt_fuzzer.cc
SECRET = b"tessera-jwt-fuzzer-fixed-secret!"  # as kSecret in jwt_fuzzer.cc
assert len(SECRET) == 32


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def claims(**extra):
    c = {"iss": "tessera", "aud": "tessera", "iat": NOW, "exp": NOW + 300, "role": "operator",
         "sub": "alice"}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def hs256(body, header=None, secret=SECRET):
    header = header or {"alg": "HS256", "typ": "JWT", "kid": "fuzz-hs"}
    signing_input = segment(header) + "." + segment(body)
    return signing_input + "." + b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def es256(body):
    key = ec.generate_private_key(ec.SECP256R1())
    signing_input = segment({"alg": "ES256", "typ": "JWT", "kid": "fuzz-es"}) + "." + segment(body)
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


seeds = {
    "hs256_valid": "Bearer " + hs256(claims()),
    "hs256_room": "bearer " + hs256(claims(room="main", role="admin")),
    "hs256_aud_array": "Bearer " + hs256(claims(aud=["other", "tessera"], nbf=NOW - 10)),
    "hs256_expired": "Bearer " + hs256(claims(iat=NOW - 400, exp=NOW - 100)),
    "hs256_lifetime": "Bearer " + hs256(claims(exp=NOW + 600)),
    "hs256_no_role": "Bearer " + hs256(claims(role=None)),
    "hs256_float_dates": "Bearer " + hs256(claims(iat=NOW + 0.5, exp=NOW + 299.5)),
    "hs256_wrong_secret": "Bearer " + hs256(claims(), secret=b"x" * 32),
    "hs256_unknown_kid": "Bearer " + hs256(claims(), header={"alg": "HS256", "kid": "nobody"}),
    "hs256_as_es_key": "Bearer " + hs256(claims(), header={"alg": "HS256", "kid": "fuzz-es"}),
    "es256_foreign_key": "Bearer " + es256(claims()),
    "alg_none": "Bearer " + segment({"alg": "none", "typ": "JWT"}) + "." + segment(claims()) + ".",
    "garbage_segments": "Bearer ...",
    "basic_scheme": "Basic dXNlcjpwYXNzd29yZA==",
    "empty": "",
}

out = pathlib.Path(__file__).resolve().parent / "corpus" / "jwt"
out.mkdir(parents=True, exist_ok=True)
for name, text in seeds.items():
    (out / name).write_text(text)
    print(name)
