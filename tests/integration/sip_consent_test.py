#!/usr/bin/env python3
"""Consent to being recorded by a key press: baresip, a real SIP softphone, dials into a room from
a trunk that asserts nothing (sip.consent_prompt is on), hears the recording notice over the
meeting and answers with its keypad (RFC 4733 telephone-event).

The room `main` (audio only) has one participant fed by ffmpeg: lime, PCMU 700 Hz. baresip's
microphone is ausine (1300 Hz); its sndfile module records what it decodes.

--case keys: the call is asked ("asking" in `calls`, consent unknown in `participants`); once the
    room has played 3 s of the notice to it, baresip presses 1: consent granted, the prompt
    "answered"; 3 s later no notice frame was added; baresip presses 2 (a withdrawal): declined.
    What baresip heard: 1400 Hz beeps over lime's 700 Hz in the call's first seconds, lime and no
    beeps in its last ones. The audit trail verifies (tessera-audit verify) and holds both
    consent.changed events with source sip-dtmf; sipstats counts one grant and one decline.
--case timeout: nobody presses; after consent_prompt.timeout_s (5 s) the prompt is "timed_out",
    the notice stops (no frame added over the next 3 s) and the consent stays unknown.
Every wait polls with a deadline.

usage: sip_consent_test.py --tessera BIN --audit BIN --case keys|timeout  (exits 77, skipped,
       without baresip)
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (Process, TestFailure, ensure, free_port_pair, run_main,  # noqa: E402
                             write_config)
from audio_mix_test import db, goertzel_power  # noqa: E402
from sip_baresip_test import (BARESIP_TONE, SKIP, Baresip, command, free_port,  # noqa: E402
                              module_dir, read_wav_left, wait_for_calls)

ROOM = "main"
LIME_TONE = 700
NOTICE_TONE = 1400
DEADLINE_S = 25
TIMEOUT_S = 5  # consent_prompt.timeout_s of the timeout case


def tessera_config(work, sip_port, lime_port, lime_mix_port, timeout_s, audit_key):
    text = (f"server:\n  log_level: info\n  shards: 1\n  bind_address: 127.0.0.1\n"
            f"sip:\n  listen:\n    - {{transport: udp, address: 127.0.0.1, port: {sip_port}}}\n"
            f"  trunks:\n    - {{name: loopback, networks: [127.0.0.0/8]}}\n"
            f"  consent_prompt: {{grant: \"1\", decline: \"2\", timeout_s: {timeout_s}}}\n"
            f"audit: {{path: {os.path.join(work, 'audit.log')}, key_file: {audit_key}, "
            f"checkpoint_every: 5}}\n"
            f"rooms:\n  - name: {ROOM}\n    participants:\n"
            f"      - name: lime\n        local_port: {lime_port}\n        rtcp_mux: false\n"
            f"        remote_rtp_port: {lime_mix_port}\n        audio: {{codec: PCMU}}\n")
    return write_config(os.path.join(work, "tessera.yaml"), text)


def lime_argv(port):
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
            f"sine=frequency={LIME_TONE}:sample_rate=48000", "-ac", "1",
            "-af", "aresample=8000,asetnsamples=n=160:p=0", "-ar", "8000", "-c:a", "pcm_mulaw",
            "-f", "rtp", f"rtp://127.0.0.1:{port}?rtcpport={port + 1}"]


def audio_stats(tessera):
    stats = json.loads(command(tessera, f"stats {ROOM}")[len("ok stats "):])
    rooms = stats if isinstance(stats, list) else stats.get("rooms", [stats])
    for r in rooms:
        if isinstance(r, dict) and r.get("room") == ROOM and "notice_frames" in r:
            return r  # the room's audio summary
    raise TestFailure(f"no audio statistics with notice_frames in `stats {ROOM}`: {stats}")


def wait_audio(tessera, want, what):
    deadline = time.monotonic() + DEADLINE_S
    while True:
        a = audio_stats(tessera)
        if want(a):
            return a
        ensure(time.monotonic() < deadline, f"{what} not seen within {DEADLINE_S}s: {a}")
        time.sleep(0.1)  # polling interval of `stats`


def participant(tessera, name):
    listed = json.loads(command(tessera, f"participants {ROOM}")[len(f"ok participants {ROOM} "):])
    for m in listed:
        if m["name"] == name:
            return m
    raise TestFailure(f"{name} not in the roster: {listed}")


def wait_consent(tessera, name, consent, prompt):
    deadline = time.monotonic() + DEADLINE_S
    while True:
        calls = json.loads(command(tessera, "calls")[len("ok calls "):])
        m = participant(tessera, name)
        if m.get("consent") == consent and calls and calls[0].get("consent_prompt") == prompt:
            return
        ensure(time.monotonic() < deadline,
               f"consent {consent} / prompt {prompt} not seen in {DEADLINE_S}s: {m}, {calls}")
        time.sleep(0.1)  # polling interval


def heard(samples, rate, start_s, end_s):
    n = len(samples)
    a = int(start_s * rate) if start_s >= 0 else n + int(start_s * rate)
    b = int(end_s * rate) if end_s > 0 else n + int(end_s * rate)
    block = samples[max(a, 0):min(b, n)]
    ensure(len(block) > rate, f"only {len(block) / rate:.1f} s recorded in [{start_s}, {end_s}]")
    return {f: db(goertzel_power(block, rate, f)) for f in (NOTICE_TONE, LIME_TONE, BARESIP_TONE)}


def audit_events(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return [e for e in lines if e.get("type") == "event"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--audit", required=True)
    ap.add_argument("--case", choices=["keys", "timeout"], required=True)
    args = ap.parse_args()
    modules = module_dir()
    if not shutil.which("baresip") or not modules:
        print("SKIP: baresip or its modules are not installed (Debian: baresip baresip-ffmpeg)")
        sys.exit(SKIP)
    work = tempfile.mkdtemp(prefix="tessera-sip-consent-")
    print(f"work directory: {work}")
    key, pub = os.path.join(work, "audit.pem"), os.path.join(work, "audit.pub.pem")
    subprocess.run([args.audit, "keygen", "--private", key, "--public", pub], check=True,
                   capture_output=True, timeout=30)
    sip_port, lime_port, lime_mix_port = free_port(), free_port_pair(), free_port_pair()
    timeout_s = TIMEOUT_S if args.case == "timeout" else 120
    config = tessera_config(work, sip_port, lime_port, lime_mix_port, timeout_s, key)
    tessera = Process([args.tessera, "--config", config, "--control-stdin"], "tessera",
                      stdin=True, die_with_parent=True)
    children, baresip = [], None
    try:
        tessera.wait_for_line(lambda l: l.strip() == "tessera: ready", 30)
        children.append(Process(lime_argv(lime_port), "audio lime", die_with_parent=True))
        baresip = Baresip(work, modules)
        baresip.connect()
        baresip.command("dial", f"sip:{ROOM}@127.0.0.1:{sip_port}")
        calls = wait_for_calls(tessera, lambda c: len(c) == 1 and c[0]["state"] == "active",
                               "baresip's call active")
        name = calls[0]["participant"]
        ensure(calls[0].get("consent_prompt") == "asking", f"the call is not asked: {calls[0]}")
        ensure(participant(tessera, name).get("consent") == "unknown",
               f"consent before any key: {participant(tessera, name)}")
        asked = wait_audio(tessera, lambda a: a["notice_frames"] >= 150,
                           "3 s of the notice played to the caller")
        print(f"asked: {calls[0]}; notice frames {asked['notice_frames']}")

        if args.case == "keys":
            baresip.command("sndcode", "1")
            wait_consent(tessera, name, "granted", "answered")
            at_answer = audio_stats(tessera)
            # 3 s of the room's ticks after the answer: no notice frame among them.
            later = wait_audio(tessera, lambda a: a["ticks"] >= at_answer["ticks"] + 150,
                               "3 s of ticks after the answer")
            ensure(later["notice_frames"] <= at_answer["notice_frames"] + 1,
                   f"the notice went on after the key: {at_answer['notice_frames']} -> "
                   f"{later['notice_frames']}")
            baresip.command("sndcode", "2")
            wait_consent(tessera, name, "declined", "answered")
            sip = json.loads(command(tessera, "sipstats")[len("ok sipstats "):])
            ensure(sip.get("consent_granted") == 1 and sip.get("consent_declined") == 1,
                   f"sipstats: {sip}")
        else:
            deadline = time.monotonic() + DEADLINE_S
            while True:
                calls = json.loads(command(tessera, "calls")[len("ok calls "):])
                if calls and calls[0].get("consent_prompt") == "timed_out":
                    break
                ensure(time.monotonic() < deadline, f"the prompt did not time out: {calls}")
                time.sleep(0.1)  # polling interval of `calls`
            at_timeout = audio_stats(tessera)
            later = wait_audio(tessera, lambda a: a["ticks"] >= at_timeout["ticks"] + 150,
                               "3 s of ticks after the timeout")
            ensure(later["notice_frames"] <= at_timeout["notice_frames"] + 1,
                   f"the notice went on after the timeout: {at_timeout['notice_frames']} -> "
                   f"{later['notice_frames']}")
            ensure(participant(tessera, name).get("consent") == "unknown",
                   f"consent after the timeout: {participant(tessera, name)}")
            sip = json.loads(command(tessera, "sipstats")[len("ok sipstats "):])
            ensure(sip.get("consent_timeouts") == 1, f"sipstats: {sip}")

        baresip.command("hangup")
        wait_for_calls(tessera, lambda c: not c, "the call's end after baresip's BYE")
        baresip.stop()
        dumps = glob.glob(os.path.join(baresip.dir, "dump-*-dec.wav"))
        ensure(len(dumps) == 1, f"want one decoded-audio dump from baresip, found {dumps}")
        samples, rate = read_wav_left(dumps[0])
        first = heard(samples, rate, 0.5, 2.5)   # a whole pattern (2 s) of the notice
        last = heard(samples, rate, -2.5, -0.5)  # after the answer (keys) or the timeout
        print(f"baresip heard, first seconds (dB): {first}; last seconds: {last}")
        ensure(first[NOTICE_TONE] > -50, f"no notice in the call's first seconds: {first}")
        ensure(first[LIME_TONE] > -50, f"the notice hid the meeting: {first}")
        ensure(last[NOTICE_TONE] < first[NOTICE_TONE] - 30,
               f"the notice is still heard at the end: {first} / {last}")
        ensure(last[LIME_TONE] > -50, f"lime is not heard at the end: {last}")

        for c in children:
            if c.proc.poll() is None:
                c.proc.kill()
        ensure(tessera.stop() == 0, f"tessera exited non-zero: {tessera.stderr()}")
        rc = subprocess.run([args.audit, "verify", os.path.join(work, "audit.log"),
                             "--public-key", pub], capture_output=True, text=True, timeout=60)
        ensure(rc.returncode == 0, f"tessera-audit verify: {rc.stdout}{rc.stderr}")
        consent = [(e.get("consent"), e.get("source")) for e in audit_events(
            os.path.join(work, "audit.log")) if e.get("event") == "consent.changed"]
        print(f"audit: consent.changed {consent}")
        want = [("granted", "sip-dtmf"), ("declined", "sip-dtmf")] if args.case == "keys" else []
        ensure(consent == want, f"audit: consent.changed events {consent}, want {want}")
    finally:
        if baresip:
            baresip.stop()
        for c in children + [tessera]:
            if c.proc.poll() is None:
                c.proc.kill()
                c.proc.wait()
    print(f"PASS sip consent {args.case}")


if __name__ == "__main__":
    run_main(main)
