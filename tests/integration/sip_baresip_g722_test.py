#!/usr/bin/env python3
"""G.722 level against a real peer. baresip (its g722 module is spandsp's G.722 without scaling:
the 16-bit convention, docs/architecture.md, "G.722 level") dials into an audio room twice from
the loopback trunk: once offering only PCMU, the reference, and once only G722. The room's other
participant, ref, sends a 700 Hz tone over PCMU (ffmpeg) and receives its mix over PCMU. Each call
measures
  - the level of ref's tone in what baresip decodes (its sndfile dump): Tessera's encoder;
  - the level of baresip's 1300 Hz tone in ref's mix (recorded by ffmpeg): Tessera's decoder.
With the trunk's g722_pcm_bits at its default, 16, both G.722 levels are within 2 dB of the PCMU call's. With
--g722-pcm-bits 14 (the convention of pjsip and linphone, which baresip does not follow) they are
the factor of 2 off that the option applies: baresip hears 6 dB less and is heard 6 dB more.

usage: sip_baresip_g722_test.py --tessera BIN [--g722-pcm-bits 14]   (exits 77 without baresip)
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, ensure, free_port_pair, run_main,  # noqa: E402
                             write_config)
from audio_mix_test import db, goertzel_power  # noqa: E402
from sip_baresip_test import (BARESIP_TONE, DEADLINE_S, Baresip, free_port,  # noqa: E402
                              module_dir, read_wav_left, wait_for_calls)

SKIP = 77
ROOM = "main"
REF_TONE = 700
CODEC_MODULES = ["g711.so", "g722.so", "aufile.so"]
TOLERANCE_DB = 2.0
SIX_DB = 6.02  # 20 log10(2)


class Ref:
    """The configured PCMU participant: ffmpeg sends its tone, another ffmpeg records its mix."""

    def __init__(self):
        self.audio_port, self.mix_port = free_port_pair(), free_port_pair()

    def config(self):
        return (f"      - name: ref\n        local_port: {self.audio_port}\n"
                f"        rtcp_mux: false\n        remote_rtp_port: {self.mix_port}\n"
                f"        audio: {{codec: PCMU}}\n")

    def sender_argv(self):
        # lavfi's sine peaks at 1/8 (-18 dBFS): far from clipping, even 6 dB up.
        return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                f"sine=frequency={REF_TONE}:sample_rate=48000", "-ac", "1",
                "-af", "aresample=8000,asetnsamples=n=160:p=0", "-ar", "8000",
                "-c:a", "pcm_mulaw", "-f", "rtp",
                f"rtp://127.0.0.1:{self.audio_port}?rtcpport={self.audio_port + 1}"]

    def recorder_argv(self, work, tag):
        sdp = write_config(os.path.join(work, f"ref-mix-{tag}.sdp"),
                           "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=mix\nc=IN IP4 127.0.0.1\nt=0 0\n"
                           f"m=audio {self.mix_port} RTP/AVP 0\na=rtpmap:0 PCMU/8000\n")
        wav = os.path.join(work, f"ref-mix-{tag}.wav")
        return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-protocol_whitelist",
                "file,udp,rtp", "-i", sdp, "-t", "4", "-ar", "48000", "-ac", "1", "-y", wav], wav


def tessera_config(work, sip_port, ref, bits):
    # 16 is the default: left out, so that scenario checks the default.
    key = "" if bits == 16 else f", g722_pcm_bits: {bits}"
    text = (f"server:\n  log_level: info\n  shards: 2\n  bind_address: 127.0.0.1\n"
            f"sip:\n  listen:\n    - {{transport: udp, address: 127.0.0.1, port: {sip_port}}}\n"
            f"  trunks:\n    - {{name: loopback, networks: [127.0.0.0/8]{key}}}\n"
            f"rooms:\n  - name: {ROOM}\n    participants:\n" + ref.config())
    return write_config(os.path.join(work, "tessera.yaml"), text)


def tone_wav(work):
    """baresip's tone, peaking at 1/8 (-18 dBFS) like ref's: 6 dB up is still far from full
    scale (ausine's 0.55 peak would reach the limiter)."""
    path = os.path.join(work, "baresip-tone.wav")
    if not os.path.exists(path):
        p = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                            f"sine=frequency={BARESIP_TONE}:sample_rate=48000:duration=60",
                            "-ac", "2", "-c:a", "pcm_s16le", "-y", path],
                           capture_output=True, timeout=60)
        ensure(p.returncode == 0, f"could not write {path}: {p.stderr.decode(errors='replace')}")
    return path


def tone_db(samples, rate, freq):
    return db(goertzel_power(samples, rate, freq))


def call_levels(tessera, work, modules, sip_port, ref, codec, children):
    """One call from baresip offering only `codec`: (level of ref's tone baresip hears, level of
    baresip's tone ref hears), in dB."""
    # Its microphone: a WAV of its tone at 48 kHz stereo, which baresip resamples to the codec.
    # baresip names codecs with their sampling rate ("G722" alone would mean G722/8000/1, which
    # no module registers, and baresip would then offer every codec it has).
    full_name = {"PCMU": "PCMU/8000/1", "G722": "G722/16000/1"}[codec]
    baresip = Baresip(work, modules, audio_codecs=full_name, name=f"baresip-{codec}",
                      extra_modules=CODEC_MODULES,
                      extra_config=["ausrc_srate 48000", "ausrc_channels 2"],
                      audio_source=f"aufile,{tone_wav(work)}")
    try:
        baresip.connect()
        baresip.command("dial", f"sip:{ROOM}@127.0.0.1:{sip_port}")
        calls = wait_for_calls(tessera, lambda c: len(c) == 1 and c[0]["state"] == "active",
                               f"baresip's {codec} call active")
        ensure("audio codec not found" not in baresip.tail(),
               f"baresip does not know {full_name} and offers every codec:\n{baresip.tail()}")
        print(f"{codec} call: {calls[0]}")
        argv, wav = ref.recorder_argv(work, codec)
        recorder = Process(argv, f"recorder {codec}", die_with_parent=True)
        children.append(recorder)
        ensure(recorder.proc.wait(timeout=DEADLINE_S) == 0,
               f"recording ref's mix failed: {recorder.stderr()}")
        baresip.command("hangup")
        wait_for_calls(tessera, lambda c: not c, f"the {codec} call's end")
    finally:
        baresip.stop()
    samples, rate = read_wav_left(wav)
    ensure(len(samples) > 3 * rate, f"ref recorded only {len(samples) / rate:.1f} s of {codec}")
    heard_by_ref = tone_db(samples[rate // 2:], rate, BARESIP_TONE)
    dumps = glob.glob(os.path.join(baresip.dir, "dump-*-dec.wav"))
    ensure(len(dumps) == 1, f"want one decoded-audio dump from baresip, found {dumps}")
    samples, rate = read_wav_left(dumps[0])
    ensure(len(samples) > 3 * rate, f"baresip decoded only {len(samples) / rate:.1f} s")
    heard_by_baresip = tone_db(samples[-3 * rate:-rate // 2], rate, REF_TONE)
    print(f"{codec}: baresip hears ref's {REF_TONE} Hz at {heard_by_baresip:.1f} dB, "
          f"ref hears baresip's {BARESIP_TONE} Hz at {heard_by_ref:.1f} dB")
    ensure(heard_by_baresip > -60 and heard_by_ref > -60,
           f"{codec}: a tone is missing ({heard_by_baresip:.1f} dB, {heard_by_ref:.1f} dB)\n"
           f"{baresip.tail()}")
    return heard_by_baresip, heard_by_ref


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--g722-pcm-bits", type=int, choices=[14, 16], default=16,
                    help="the loopback trunk's g722_pcm_bits")
    args = ap.parse_args()
    modules = module_dir()
    if not shutil.which("baresip") or not modules or not all(
            os.path.exists(os.path.join(modules, m)) for m in CODEC_MODULES):
        print(f"SKIP: baresip or its modules ({', '.join(CODEC_MODULES)} and the others "
              "sip_baresip_test.py uses) are not installed (Debian: baresip baresip-ffmpeg)")
        sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix="tessera-sip-baresip-g722-")
    print(f"work directory: {work}")
    ref = Ref()
    sip_port = free_port()
    tessera = Process([args.tessera, "--config",
                       tessera_config(work, sip_port, ref, args.g722_pcm_bits),
                       "--control-stdin"], "tessera", stdin=True, die_with_parent=True)
    children = []
    try:
        tessera.wait_for_line(lambda l: l.strip() == "tessera: ready", 30)
        children.append(Process(ref.sender_argv(), "audio ref", die_with_parent=True))
        pcmu = call_levels(tessera, work, modules, sip_port, ref, "PCMU", children)
        g722 = call_levels(tessera, work, modules, sip_port, ref, "G722", children)
        # Tessera's encoder (what baresip hears) and decoder (what ref hears) for G.722, against
        # PCMU: 0 dB where the conventions match; with 14 set, -6 dB and +6 dB.
        want = (0.0, 0.0) if args.g722_pcm_bits == 16 else (-SIX_DB, SIX_DB)
        for what, got, ref_db, expected in (
                ("baresip hears tessera", g722[0], pcmu[0], want[0]),
                ("tessera hears baresip", g722[1], pcmu[1], want[1])):
            diff = got - ref_db
            print(f"{what}: G722 {diff:+.1f} dB against PCMU (want {expected:+.1f} "
                  f"+-{TOLERANCE_DB})")
            ensure(abs(diff - expected) <= TOLERANCE_DB,
                   f"{what}: G722 is {diff:+.1f} dB against PCMU, want {expected:+.1f} dB "
                   f"(g722_pcm_bits {args.g722_pcm_bits})")
        for c in children:
            if c.proc.poll() is None:
                c.proc.kill()
        ensure(tessera.stop() == 0, f"tessera exited non-zero: {tessera.stderr()}")
    finally:
        for c in children + [tessera]:
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
    print(f"PASS sip baresip g722 (g722_pcm_bits {args.g722_pcm_bits})")


if __name__ == "__main__":
    run_main(main)
