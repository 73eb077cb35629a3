#!/usr/bin/env python3
"""Writes seed inputs for audio_decoder_fuzzer: byte 0 = codec | concealed-length bits, then one
payload. Opus payloads come from the system libopus; G.711 from audioop; G.722 from the
audio_depacketizer corpus."""
import audioop
import ctypes
import math
import os
import struct
import sys

OPUS, PCMU, PCMA, G722 = 0, 1, 2, 3
CONCEAL_960 = 8 << 2  # 8 x 120 = 960 samples


def sine16(rate, hz, n, amp=8000):
    return struct.pack("<%dh" % n, *(int(amp * math.sin(2 * math.pi * hz * i / rate)) for i in range(n)))


def opus_packets():
    lib = ctypes.CDLL("libopus.so.0")
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    err = ctypes.c_int()
    out = {}
    for name, channels, app, bitrate, frame in [
            ("silk_mono_20ms_fec", 1, 2048, 16000, 960),
            ("hybrid_mono_20ms", 1, 2048, 32000, 960),
            ("celt_stereo_10ms", 2, 2049, 64000, 480),
            ("celt_mono_60ms", 1, 2051, 48000, 2880)]:
        enc = lib.opus_encoder_create(48000, channels, app, ctypes.byref(err))
        lib.opus_encoder_ctl(ctypes.c_void_p(enc), 4002, bitrate)  # OPUS_SET_BITRATE
        lib.opus_encoder_ctl(ctypes.c_void_p(enc), 4012, 1)        # OPUS_SET_INBAND_FEC
        lib.opus_encoder_ctl(ctypes.c_void_p(enc), 4014, 20)       # OPUS_SET_PACKET_LOSS_PERC
        pcm = sine16(48000, 440, frame * channels)
        buf = ctypes.create_string_buffer(4000)
        for _ in range(3):  # a few frames in, so FEC and prediction are in use
            n = lib.opus_encode(ctypes.c_void_p(enc), pcm, frame, buf, 4000)
        lib.opus_encoder_destroy(ctypes.c_void_p(enc))
        out[name] = buf.raw[:n]
    return out


def main(outdir, depacketizer_corpus):
    os.makedirs(outdir, exist_ok=True)
    seeds = {"opus_" + k: bytes([OPUS | CONCEAL_960]) + v for k, v in opus_packets().items()}
    seeds["opus_plc_2ms"] = bytes([OPUS | (1 << 2) | 0x40]) + seeds["opus_hybrid_mono_20ms"][1:]
    tone8k = sine16(8000, 440, 160)
    seeds["pcmu_20ms"] = bytes([PCMU | CONCEAL_960]) + audioop.lin2ulaw(tone8k, 2)
    seeds["pcma_10ms"] = bytes([PCMA | CONCEAL_960]) + audioop.lin2alaw(tone8k[:160], 2)
    with open(os.path.join(depacketizer_corpus, "g722_20ms"), "rb") as f:
        seeds["g722_20ms"] = bytes([G722 | CONCEAL_960]) + f.read()
    for name, data in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "audio_decoder"),
         os.path.join(here, "corpus", "audio_depacketizer"))
