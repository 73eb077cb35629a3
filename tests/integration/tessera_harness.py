"""Helpers for driving the real tessera binary and real peers (ffmpeg, ffprobe) on loopback.

No sleeps: every wait is on a line a process prints or on a process exiting, with a deadline.
"""
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time


class TestFailure(Exception):
    pass


_handed_out = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(v) for v in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _port_range_from_env():
    """TESSERA_TEST_PORTS=LOW-HIGH: pick every port in this range (a machine where a test may use
    only some ports); unset: the default below."""
    spec = os.environ.get("TESSERA_TEST_PORTS", "")
    if not spec:
        return None
    try:
        low, high = (int(v) for v in spec.split("-"))
    except ValueError:
        raise TestFailure(f"TESSERA_TEST_PORTS={spec}: expected LOW-HIGH")
    if not 1024 <= low < high <= 65535:
        raise TestFailure(f"TESSERA_TEST_PORTS={spec}: expected 1024 <= LOW < HIGH <= 65535")
    return low, high


def _candidate_port():
    """A random port below the kernel's ephemeral range, where no socket bound to port 0 (every
    ffmpeg, in this test or one running beside it) can take it between our check and tessera's
    bind; and above tessera's default rtp_ports (20000-20999). From the ephemeral range only
    when there is no room below it; from TESSERA_TEST_PORTS when it is set."""
    chosen = _port_range_from_env()
    if chosen:
        return random.randrange(chosen[0], chosen[1] - 1)
    low, _ = _ephemeral_range()
    if low > 22000:
        return random.randrange(21000, low - 2)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_port_pair():
    """An even port whose odd neighbour is also free (RTP + RTCP), on every address. Never the same
    pair twice in one test (a config with 60 of them would otherwise list one twice now and
    then)."""
    for _ in range(200):
        port = _candidate_port()
        if port % 2 or port > 65000 or port in _handed_out or {port, port + 1} & _taken:
            continue
        try:
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            # Free on every address: a receiver (ffmpeg) binds the wildcard, and a node of a
            # cluster test binds 127.0.0.2 or .3.
            a.bind(("", port))
            b.bind(("", port + 1))
            a.close()
            b.close()
            _handed_out.add(port)
            return port
        except OSError:
            continue
    raise TestFailure("no free port pair")


def _binds(port, kinds):
    socks = []
    try:
        for kind in kinds:
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind(("", port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


_taken = set()  # every block handed out in this test: none is handed out twice


def free_port_block(count, kinds=(socket.SOCK_DGRAM,)):
    """The first of `count` consecutive ports free on every address (for each socket kind), none of
    them handed out before (the processes given earlier ones may not have bound them yet)."""
    for _ in range(100):
        port = free_port_pair()
        block = range(port, port + count)
        if _taken.isdisjoint(block) and all(_binds(p, kinds) for p in block):
            _taken.update(block)
            return port
    raise TestFailure(f"no {count} free consecutive ports")


def _die_with_parent():
    """Runs in the child before exec: the kernel kills it when the test process dies, so a test
    killed by a timeout (or anyone) leaves no peer streaming forever (Linux; else nothing)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Process:
    """A child process whose stdout is read line by line with deadlines."""

    def __init__(self, argv, name, cwd=None, stdin=False, die_with_parent=False):
        """stdin=True gives the child a pipe on stdin, written with send_line();
        die_with_parent=True has it killed when the test process dies."""
        self.name = name
        self.argv = argv
        self.stderr_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr_file,
                                     stdin=subprocess.PIPE if stdin else None, cwd=cwd,
                                     preexec_fn=_die_with_parent if die_with_parent else None)
        self.lines = []
        self._pending = b""

    def _read_lines(self, timeout_s):
        """Reads what the pipe holds (waiting up to timeout_s); False at end of file."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout_s)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        self._pending += chunk
        *complete, self._pending = self._pending.split(b"\n")
        self.lines.extend(line.decode(errors="replace") for line in complete)
        return True

    def wait_for_line(self, predicate, timeout_s, start=0):
        """The first line (from line index `start` on) that satisfies predicate."""
        deadline = time.monotonic() + timeout_s
        checked = start
        while True:
            for line in self.lines[checked:]:
                if predicate(line):
                    return line
            checked = len(self.lines)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"{self.name}: timed out waiting for output; stderr:\n"
                                  f"{self.stderr()}")
            if not self._read_lines(remaining):
                raise TestFailure(f"{self.name} exited ({self.proc.wait()}) before the expected "
                                  f"line; stderr:\n{self.stderr()}")

    def send_line(self, text):
        """Writes one line to the child's stdin (a Process made with stdin=True)."""
        if self.proc.stdin is None:
            raise TestFailure(f"{self.name}: started without a stdin pipe")
        try:
            self.proc.stdin.write(text.encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise TestFailure(f"{self.name} exited ({self.proc.wait()}) before reading "
                              f"'{text}'; stderr:\n{self.stderr()}")

    def read_exact(self, n, timeout_s):
        """The next n bytes of stdout, for binary output (raw video): waits up to timeout_s."""
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while len(self._pending) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"{self.name}: timed out after {timeout_s:.1f}s waiting for "
                                  f"{n} bytes of output (have {len(self._pending)}); stderr:\n"
                                  f"{self.stderr()}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, max(65536, n - len(self._pending)))
            if not chunk:
                raise TestFailure(f"{self.name} exited ({self.proc.wait()}) after "
                                  f"{len(self._pending)} of {n} bytes; stderr:\n{self.stderr()}")
            self._pending += chunk
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    def stop(self, timeout_s=20):
        """SIGTERM, then collect the rest of stdout. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout_s, f"did not stop within {timeout_s}s")

    def wait_exit(self, timeout_s, failure=None):
        """Waits for the child to exit by itself (no signal sent), collecting the rest of stdout;
        returns the exit code. Past the deadline it is killed and the test fails."""
        try:
            out, _ = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise TestFailure(f"{self.name} " +
                              (failure or f"did not exit within {timeout_s:.1f}s") +
                              f"; stderr:\n{self.stderr()}")
        rest = (self._pending + (out or b"")).decode(errors="replace")
        self._pending = b""
        self.lines.extend(rest.splitlines())
        return self.proc.returncode

    def log_mark(self):
        """Where the output stands now: pass it to wait_for_log as `since` to see only what comes
        after an action (a signal, a request)."""
        return os.fstat(self.stderr_file.fileno()).st_size, len(self.lines)

    def log_text(self, since=0):
        """stderr from byte offset `since` on (pread: the file offset is the one the child
        writes at)."""
        fd = self.stderr_file.fileno()
        size = os.fstat(fd).st_size
        return os.pread(fd, max(0, size - since), since).decode(errors="replace")

    def _drain_stdout(self, timeout_s=0):
        """Reads what stdout holds now, without waiting (the child never blocks on a full pipe
        while the test polls its log)."""
        for _ in range(100):
            if (self.proc.stdout is None or self.proc.stdout.closed
                    or not self._read_lines(timeout_s)):
                return
            if timeout_s == 0:
                return

    def wait_for_log(self, predicate, timeout_s, since=(0, 0)):
        """The first line of the log (stderr) or of stdout, written after the mark `since`
        (log_mark()), that satisfies predicate; polls both until the deadline. Fails at once
        when the child exits without writing it."""
        deadline = time.monotonic() + timeout_s
        while True:
            exited = self.proc.poll() is not None
            # After an exit, read stdout to its end (what it wrote just before).
            self._drain_stdout(0.05 if exited else 0)
            for line in self.log_text(since[0]).splitlines() + self.lines[since[1]:]:
                if predicate(line):
                    return line
            if exited:
                raise TestFailure(f"{self.name} exited ({self.proc.returncode}) before the "
                                  f"expected log line; stderr:\n{self.stderr()}")
            if time.monotonic() > deadline:
                raise TestFailure(f"{self.name}: timed out after {timeout_s}s waiting for a log "
                                  f"line; stderr:\n{self.stderr()}")
            time.sleep(0.02)  # poll interval

    def stderr(self):
        # pread, not seek + read: the child writes at the file offset this would move.
        return self.log_text()[-4000:]

    def json_lines(self):
        out = []
        for line in self.lines:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        return out


def run(argv, timeout_s=120):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    return p.returncode, p.stdout, p.stderr


def probe_frames(path):
    """(frame count, decode errors) of the first video stream, decoded by ffmpeg/ffprobe."""
    rc, out, err = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=nb_read_frames,codec_name,width,height",
                        "-of", "json", path])
    if rc != 0:
        raise TestFailure(f"ffprobe failed on {path}: {err}")
    streams = json.loads(out).get("streams", [])
    if not streams:
        raise TestFailure(f"{path} has no video stream")
    rc, _, decode_err = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", path, "-f", "null",
                             "-"])
    return streams[0], decode_err.strip() if rc == 0 else f"exit {rc}: {decode_err}"


def write_video_sdp(path, port, codec="H264", payload_type=96):
    """An SDP file for ffmpeg to receive a composite on 127.0.0.1:port, as Tessera writes for a
    participant's sdp_file (session/sdp_file.cc): rtcp-mux, recvonly."""
    rtpmap = {"H264": f"a=rtpmap:{payload_type} H264/90000\r\n"
                      f"a=fmtp:{payload_type} packetization-mode=1;profile-level-id=42e01f;"
                      f"level-asymmetry-allowed=1\r\n",
              "VP8": f"a=rtpmap:{payload_type} VP8/90000\r\n",
              "VP9": f"a=rtpmap:{payload_type} VP9/90000\r\na=fmtp:{payload_type} "
                     f"profile-id=0\r\n"}[codec]
    with open(path, "w") as f:
        f.write(f"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=composite\r\nc=IN IP4 127.0.0.1\r\n"
                f"t=0 0\r\nm=video {port} RTP/AVP {payload_type}\r\n{rtpmap}"
                f"a=rtcp-mux\r\na=recvonly\r\n")
    return path


def write_config(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def ensure(cond, message):
    if not cond:
        raise TestFailure(message)


def run_main(main):
    """Runs a test's main, turning a TestFailure into a FAIL line and exit status 1."""
    try:
        main()
    except TestFailure as e:
        print(f"FAIL: {e}")
        sys.exit(1)


def av_camera_argv(seconds, video_filter, audio_expr, gop, audio_rate, audio_port, video_port):
    """One ffmpeg camera and microphone: the lavfi `video_filter` as H.264 (pt 96) to video_port,
    the aevalsrc expression `audio_expr` at `audio_rate` as PCMU (pt 0, 20 ms packets) to
    audio_port, each with its RTCP SRs on its own port (rtcp-mux). Two lavfi inputs, each paced by
    itself (-re): one graph with both outputs makes ffmpeg pace each stream by the other, and its
    video then leaves about 20 ms after the audio of the same instant (lipsync_test.py)."""
    audio = f"aevalsrc='{audio_expr}':s={audio_rate}:n={audio_rate // 50}"
    return ["ffmpeg", "-hide_banner", "-loglevel", "error",
            "-re", "-t", str(seconds), "-f", "lavfi", "-i", video_filter,
            "-re", "-t", str(seconds), "-f", "lavfi", "-i", audio,
            "-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-profile:v", "baseline", "-bf", "0", "-g", str(gop), "-pix_fmt", "yuv420p",
            "-payload_type", "96", "-f", "rtp",
            f"rtp://127.0.0.1:{video_port}?rtcpport={video_port}&pkt_size=1200",
            "-map", "1:a", "-c:a", "pcm_mulaw", "-ar", str(audio_rate), "-ac", "1",
            "-payload_type", "0", "-f", "rtp",
            f"rtp://127.0.0.1:{audio_port}?rtcpport={audio_port}"]
