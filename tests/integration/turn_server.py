"""A real TURN server for the tests: Debian's coturn (turnserver), on loopback, with the TURN
REST API's shared secret (use-auth-secret), as an operator runs it beside Tessera
(docs/operations.md, "webrtc: the block"). Started and stopped by the test; ready once it answers
a STUN binding request (no sleeps)."""
import os
import secrets
import shutil
import socket
import struct
import time

from tessera_harness import Process, TestFailure, ensure, free_port_pair

TURNSERVER = "/usr/sbin/turnserver" if os.path.exists("/usr/sbin/turnserver") else "turnserver"


def turnserver_path():
    """The turnserver binary, or None where coturn is not installed."""
    return shutil.which("turnserver") or (TURNSERVER if os.path.exists(TURNSERVER) else None)


def stun_answers(port, timeout_s=0.2):
    """Whether something on 127.0.0.1:port answers a STUN binding request (RFC 8489)."""
    tid = secrets.token_bytes(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + tid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout_s)
        try:
            s.sendto(request, ("127.0.0.1", port))
            data, _ = s.recvfrom(2048)
        except OSError:
            return False
    return len(data) >= 20 and struct.unpack("!H", data[:2])[0] == 0x0101 and data[8:20] == tid


class Coturn:
    """coturn on 127.0.0.1: a free port, relay ports of its own, allowed to relay to loopback
    peers (Tessera here), the shared secret in a 0600 file Tessera reads."""

    def __init__(self, work):
        self.work = work
        self.port = free_port_pair()
        relay = free_port_pair()  # the first of its relay ports (it skips any in use)
        self.secret = secrets.token_hex(16)
        self.secret_file = os.path.join(work, "turn-secret")
        with open(os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                  "w") as f:
            f.write(self.secret + "\n")
        self.log = os.path.join(work, "turnserver.log")  # simple-log: this very name
        self.config = os.path.join(work, "turnserver.conf")
        with open(os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("\n".join([
                "listening-ip=127.0.0.1", f"listening-port={self.port}", "relay-ip=127.0.0.1",
                f"min-port={relay}", f"max-port={min(relay + 99, 65535)}", "use-auth-secret",
                f"static-auth-secret={self.secret}", "realm=tessera.test",
                "allow-loopback-peers", "no-cli", "no-tls", "no-dtls", "no-tcp-relay",
                "fingerprint", f"log-file={self.log}", "simple-log", "verbose",
                "no-software-attribute",
                f"pidfile={os.path.join(work, 'turnserver.pid')}",
                f"userdb={os.path.join(work, 'turndb')}", ""]))
        self.proc = None

    def url(self):
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def start(self, timeout_s=15):
        self.proc = Process([turnserver_path(), "-c", self.config], "coturn",
                            die_with_parent=True)
        deadline = time.monotonic() + timeout_s
        while not stun_answers(self.port):
            ensure(self.proc.proc.poll() is None,
                   f"coturn exited: {self.proc.stderr()}\n{self.output()}")
            if time.monotonic() > deadline:
                raise TestFailure(f"coturn did not answer STUN on 127.0.0.1:{self.port} within "
                                  f"{timeout_s}s: {self.output()}")
        print(f"coturn: TURN on {self.url()}")
        return self

    def output(self, last=40):
        """The end of coturn's log."""
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-last:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.proc.poll() is None:
            self.proc.proc.terminate()
            try:
                self.proc.proc.wait(10)
            except Exception:  # noqa: BLE001
                self.proc.proc.kill()
                self.proc.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
