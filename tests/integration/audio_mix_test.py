#!/usr/bin/env python3
"""End-to-end audio mixing test: ffmpeg CLI peers send sines at their own frequencies (Opus and
G.711 mixed) to the real tessera binary; ffmpeg receivers record each participant's mix; the test
checks by Goertzel analysis that each hears every other tone and not its own.

usage: audio_mix_test.py --tessera BIN --impair BIN --scenario mix|loss|large
"""
import argparse
import math
import os
import sys
import tempfile
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tessera_harness import (run_main, Process, TestFailure, ensure, free_port_pair, run,  # noqa: E402
                             write_config)

SEND_SECONDS = 5
RECEIVE_SECONDS = 7


def goertzel_power(samples, rate, freq):
    """Power of one frequency over a block of samples (the Goertzel algorithm)."""
    k = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(samples)) ** 2


def read_wav(path):
    with wave.open(path, "rb") as w:
        rate, n, width = w.getframerate(), w.getnframes(), w.getsampwidth()
        ensure(width == 2 and w.getnchannels() == 1, f"{path}: expected 16-bit mono")
        raw = w.readframes(n)
    samples = [int.from_bytes(raw[i:i + 2], "little", signed=True) / 32768.0
               for i in range(0, len(raw), 2)]
    return samples, rate


def db(x):
    return 10 * math.log10(max(x, 1e-20))


class Peer:
    def __init__(self, name, codec, freq, sends=True, via_relay=None, readrate=None):
        self.readrate = readrate  # pace the sender's clock: 0.99 = a sender 1% slow
        self.name, self.codec, self.freq, self.sends, self.via_relay = name, codec, freq, sends, \
            via_relay
        self.local_port = free_port_pair()   # where tessera listens for this peer
        self.recv_port = free_port_pair()    # where this peer's ffmpeg receiver listens
        self.wav = None
        self.record = True  # run an ffmpeg receiver for this peer

    def config(self):
        audio = "{codec: opus, payload_type: 111}" if self.codec == "opus" else "{codec: PCMU}"
        return (f"      - name: {self.name}\n        local_port: {self.local_port}\n"
                f"        rtcp_mux: false\n        remote_rtp_port: {self.recv_port}\n"
                f"        audio: {audio}\n")

    def sdp(self):
        if self.codec == "opus":
            media = f"m=audio {self.recv_port} RTP/AVP 111\na=rtpmap:111 opus/48000/2\n"
        else:
            media = f"m=audio {self.recv_port} RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"
        return ("v=0\no=- 0 0 IN IP4 127.0.0.1\ns=tessera mix\nc=IN IP4 127.0.0.1\nt=0 0\n" +
                media)

    def sender_argv(self, port):
        pace = ["-readrate", str(self.readrate)] if self.readrate else ["-re"]
        argv = ["ffmpeg", "-hide_banner", "-loglevel", "error"] + pace + ["-f", "lavfi",
                "-i", f"sine=frequency={self.freq}:sample_rate=48000", "-t", str(SEND_SECONDS),
                "-ac", "1"]
        if self.codec == "opus":
            argv += ["-c:a", "libopus", "-b:a", "32k", "-payload_type", "111"]
        else:
            # 20 ms packets (160 samples), as SIP phones send them.
            argv += ["-af", "aresample=8000,asetnsamples=n=160:p=0", "-ar", "8000",
                     "-c:a", "pcm_mulaw"]
        return argv + ["-f", "rtp", f"rtp://127.0.0.1:{port}?rtcpport={port + 1}"]


def run_room(args, work, rooms, max_speakers=3):
    """rooms: {room name: [Peer]}. Returns tessera's JSON summary lines."""
    text = "server:\n  log_level: info\n  shards: 2\nrooms:\n"
    for name, peers in rooms.items():
        text += f"  - name: {name}\n    max_speakers: {max_speakers}\n    participants:\n"
        text += "".join(p.config() for p in peers)
    config = write_config(os.path.join(work, "tessera.yaml"), text)
    tessera = Process([args.tessera, "--config", config], "tessera")
    children = []
    try:
        tessera.wait_for_line(lambda l: "ready" in l, 30)
        receivers, senders = [], []
        for peers in rooms.values():
            for p in peers:
                if p.record:
                    sdp = os.path.join(work, f"{p.name}.sdp")
                    with open(sdp, "w") as f:
                        f.write(p.sdp())
                    p.wav = os.path.join(work, f"{p.name}.wav")
                    receivers.append(Process(
                        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-protocol_whitelist",
                         "file,udp,rtp", "-i", sdp, "-t", str(RECEIVE_SECONDS), "-ar", "48000",
                         "-ac", "1", "-y", p.wav], f"receiver {p.name}"))
        children += receivers
        relays = []
        for peers in rooms.values():
            for p in peers:
                if not p.sends:
                    continue
                port = p.local_port
                if p.via_relay:
                    rport = free_port_pair()
                    relay = Process([args.impair, "--impair", p.via_relay,
                                     "--map", f"{rport}:{p.local_port}",
                                     "--map", f"{rport + 1}:{p.local_port + 1}"], "relay")
                    relay.wait_for_line(lambda l: l.strip() == "ready", 30)
                    relays.append(relay)
                    children.append(relay)
                    port = rport
                senders.append(Process(p.sender_argv(port), f"sender {p.name}"))
        children += senders
        for s in senders:
            ensure(s.proc.wait(timeout=60) == 0, f"{s.name} failed: {s.stderr()}")
        for r in receivers:
            ensure(r.proc.wait(timeout=60) == 0, f"{r.name} failed: {r.stderr()}")
        for relay in relays:
            relay.stop()
        ensure(tessera.stop() == 0, f"tessera exited non-zero: {tessera.stderr()}")
    finally:
        for c in children + [tessera]:
            if c.proc.poll() is None:
                c.proc.kill()
    return tessera.json_lines()


def tone_report(peer, peers):
    samples, rate = read_wav(peer.wav)
    ensure(len(samples) > rate * 3, f"{peer.name} received only {len(samples) / rate:.1f} s")
    powers = {p.name: db(goertzel_power(samples, rate, p.freq)) for p in peers if p.sends}
    return powers, samples, rate


def check_everyone_but_self(peers):
    for p in peers:
        powers, _, _ = tone_report(p, peers)
        print(f"{p.name} hears (dB): " + ", ".join(f"{k}={v:.1f}" for k, v in powers.items()))
        others = [v for k, v in powers.items() if k != p.name]
        ensure(min(others) > -60, f"{p.name} does not hear every other participant: {powers}")
        if p.name in powers:
            ensure(min(others) - powers[p.name] >= 30,
                   f"{p.name} hears itself: own {powers[p.name]:.1f} dB vs others "
                   f"{min(others):.1f} dB")


def check_continuity(listener, lossy):
    """No gap longer than one packet time in the lossy sender's tone as this listener hears it."""
    samples, rate = read_wav(listener.wav)
    win, hop = rate // 50, rate // 100  # 20 ms windows, 10 ms apart
    powers = [goertzel_power(samples[i:i + win], rate, lossy.freq)
              for i in range(0, len(samples) - win, hop)]
    active = sorted(powers)[len(powers) // 2 if powers else 0]
    loud = [i for i, v in enumerate(powers) if v > active * 0.25]
    ensure(len(loud) > 100, f"{listener.name}: the lossy sender is barely audible")
    first, last = loud[0] + 5, loud[-1] - 5  # ignore the start and the end of the tone
    gaps = [i for i in range(first, last) if powers[i] < active * 0.01]
    print(f"{listener.name}: {last - first} windows of {lossy.name}'s tone, {len(gaps)} gaps")
    # A window lies entirely in a gap only when the gap exceeds one packet (20 ms) time.
    ensure(not gaps, f"{listener.name}: {len(gaps)} gaps in {lossy.name}'s audio")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", required=True)
    ap.add_argument("--impair", required=True)
    ap.add_argument("--scenario", required=True, choices=["mix", "loss", "drift", "large"])
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix=f"tessera-audio-{args.scenario}-")

    if args.scenario == "drift":
        # Sender clocks 2% slow and 2% fast against the mixer's (far worse than real crystals,
        # to show in 5 s what 47.99 kHz does over minutes): the slow one falls 100 ms behind
        # and the fast one runs 100 ms ahead; neither may starve audibly or grow the buffer.
        peers = [Peer("slow", "opus", 400, readrate=0.98), Peer("fast", "opus", 700,
                                                                readrate=1.02),
                 Peer("steady", "pcmu", 1100), Peer("listener", "pcmu", 1500, sends=False)]
        summary = run_room(args, work, {"drift": peers}, max_speakers=4)
        room = [s for s in summary if s.get("room") == "drift" and "ticks" in s][0]
        print(room)
        check_everyone_but_self(peers)
        for p in (peers[0], peers[1]):
            check_continuity(peers[3], p)
        jitter = room["jitter"]
        ensure(jitter["fast"]["level_ms"] <= 160, f"the fast sender's buffer grew: {jitter}")
        ensure(jitter["fast"]["drift_dropped"] > 0, "no frame was dropped for the fast sender")
        ensure(jitter["slow"]["drift_inserted"] > 0, "no frame was inserted for the slow sender")
        print("PASS drift")
        return
    if args.scenario in ("mix", "loss"):
        relay = "drop=0.1,seed=99" if args.scenario == "loss" else None
        peers = [Peer("alice", "opus", 400, via_relay=relay), Peer("bob", "opus", 700),
                 Peer("carol", "pcmu", 1100), Peer("dave", "pcmu", 1500)]
        # All four talk at once, so all four must be mixed (K = 4).
        summary = run_room(args, work, {"standup": peers}, max_speakers=4)
        print("\n".join(str(s) for s in summary))
        check_everyone_but_self(peers)
        if args.scenario == "loss":
            for p in peers[1:]:
                check_continuity(p, peers[0])
        room = [s for s in summary if s.get("room") == "standup" and "ticks" in s][0]
        ensure(room["skipped_ticks"] == 0, f"the room skipped ticks: {room}")
        print(f"tick lateness p50 {room['tick_lateness_p50_ms']} ms, "
              f"p99 {room['tick_lateness_p99_ms']} ms")
    else:
        small = [Peer(f"s{i}", "opus", 400 + 300 * i) for i in range(4)]
        small[3].sends = False
        large = [Peer(f"l{i}", "opus", 400 + 300 * i, sends=i < 3) for i in range(30)]
        for p in large[3:]:
            p.record = False
        for p in small:
            p.record = False
        large[0].record = True
        summary = run_room(args, work, {"small": small, "large": large})
        rooms = {s["room"]: s for s in summary if "ticks" in s}
        print(rooms)
        ensure(rooms["large"]["max_encodes_per_tick"] == rooms["small"]["max_encodes_per_tick"],
               "a 30-participant room with 3 speakers encodes more than a 4-participant room")
        ensure(rooms["large"]["max_encodes_per_tick"] == 4, "expected K + 1 = 4 Opus encodes")
        powers, _, _ = tone_report(large[0], large)
        print("l0 hears:", powers)
        ensure(powers["l1"] > -60 and powers["l2"] > -60, "l0 does not hear the other speakers")
        ensure(powers["l1"] - powers["l0"] >= 30, "l0 hears itself")
    print(f"PASS {args.scenario}")


if __name__ == "__main__":
    run_main(main)
