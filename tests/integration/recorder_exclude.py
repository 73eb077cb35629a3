"""The media checks of recorder_test.py's `exclude` scenario: cameras of one colour and one
tone each, and what the recording and a live participant decode of them (ffmpeg)."""
import math
import os
import statistics
import struct

from tessera_harness import av_camera_argv, ensure, run

# The composite (recorder_test.py's video_block) and the rate audio is decoded at.
WIDTH, HEIGHT = 320, 180
CAMERA, CAMERA_FPS = (320, 180), 15
CAMERA_AUDIO_RATE = 8000
DECODE_RATE = 48000
# Each camera a plain colour and a steady tone (8 kHz PCMU).
CAM_RGB, CAM_TONE_HZ = 0xFF0000, 500     # consent granted
SHY_RGB, SHY_TONE_HZ = 0x0000FF, 1300    # consent declined
PLACEHOLDER_YUV = (48, 128, 128)         # mixer::ComposeOptions::placeholder
TOL_Y, TOL_C = 14, 14
TONE_WINDOW_S = 0.1


def yuv_of(rgb):
    """BT.601 limited range, as ffmpeg's colour source and tessera convert RGB."""
    r, g, b = (rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF
    clamp = lambda v: max(0, min(255, int(v + 0.5)))  # noqa: E731
    return (clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
            clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
            clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255))


def colour_camera_argv(seconds, rgb, tone_hz, audio_port, video_port):
    """ffmpeg sending a plain `rgb` picture (H.264, pt 96) and a steady `tone_hz` tone (PCMU,
    pt 0), each with its RTCP on the same port."""
    video = f"color=c=0x{rgb:06x}:s={CAMERA[0]}x{CAMERA[1]}:r={CAMERA_FPS},format=yuv420p"
    tone = f"0.3*sin(2*PI*{tone_hz}*n/{CAMERA_AUDIO_RATE})"
    return av_camera_argv(seconds, video, tone, CAMERA_FPS, CAMERA_AUDIO_RATE, audio_port,
                          video_port)


def yuv_frames(path, work):
    """Every decoded WIDTHxHEIGHT yuv420p frame of the file's video, in order."""
    raw = os.path.join(work, "frames.yuv")
    rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:v:0",
                      "-fps_mode", "passthrough", "-s", f"{WIDTH}x{HEIGHT}", "-pix_fmt",
                      "yuv420p", "-f", "rawvideo", "-y", raw])
    ensure(rc == 0, f"ffmpeg could not decode the video of {path}: {err}")
    with open(raw, "rb") as f:
        data = f.read()
    os.unlink(raw)
    size = WIDTH * HEIGHT * 3 // 2
    return [data[k * size:(k + 1) * size] for k in range(len(data) // size)]


def patch_mean(frame, x0, y0, x1, y1):
    """Mean (Y, U, V) over [x0, x1) x [y0, y1) (even coordinates) of a yuv420p frame."""
    out = []
    for offset, stride, div in ((0, WIDTH, 1), (WIDTH * HEIGHT, WIDTH // 2, 2),
                                (WIDTH * HEIGHT * 5 // 4, WIDTH // 2, 2)):
        a, b = x0 // div, x1 // div
        total = sum(sum(frame[offset + row * stride + a:offset + row * stride + b])
                    for row in range(y0 // div, y1 // div))
        out.append(total / ((b - a) * (y1 // div - y0 // div)))
    return tuple(out)


# The grid of two: two tiles side by side (mixer/layout.cc), each WIDTH/2 x HEIGHT.
TILES = {"left": 0, "right": WIDTH // 2}


def tile_corners(frame, tile):
    """The mean colours of four corner patches of a tile, away from a card's centred text."""
    x, w, h, m = TILES[tile], WIDTH // 2, HEIGHT, 8
    pw, ph = 24, 24
    return [patch_mean(frame, px, py, px + pw, py + ph)
            for px in (x + m, x + w - m - pw) for py in (m, h - m - ph)]


def near(got, want):
    return (abs(got[0] - want[0]) <= TOL_Y and abs(got[1] - want[1]) <= TOL_C
            and abs(got[2] - want[2]) <= TOL_C)


def tile_is(frame, tile, want):
    return all(near(c, want) for c in tile_corners(frame, tile))


def tile_shows_text(frame, tile):
    """Bright pixels in the tile's middle band (the card's "not recorded")."""
    x = TILES[tile]
    band = [max(frame[row * WIDTH + x + 8:row * WIDTH + x + WIDTH // 2 - 8])
            for row in range(HEIGHT // 2 - 12, HEIGHT // 2 + 12)]
    return max(band) > 150


def tone_db(samples, rate, freq_hz):
    """Goertzel power of freq_hz in 16-bit samples, in dB (a full-scale sine: about 0)."""
    w = 2 * math.pi * freq_hz / rate
    coeff = 2 * math.cos(w)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x / 32768.0 + coeff * s1 - s2
        s2, s1 = s1, s0
    power = (s1 * s1 + s2 * s2 - coeff * s1 * s2) * 4 / (len(samples) ** 2)
    return 10 * math.log10(power + 1e-30)


def tone_windows(samples, rate, skip_s):
    """[(cam dB, shy dB)] over TONE_WINDOW_S windows, from skip_s on."""
    n = int(TONE_WINDOW_S * rate)
    return [(tone_db(samples[k:k + n], rate, CAM_TONE_HZ),
             tone_db(samples[k:k + n], rate, SHY_TONE_HZ))
            for k in range(int(skip_s * rate), len(samples) - n + 1, n)]


def audio_samples(path, work):
    """The file's audio as mono 16-bit at DECODE_RATE."""
    raw = os.path.join(work, "audio.s16")
    rc, _, err = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0",
                      "-af", f"aresample={DECODE_RATE}:async=1:first_pts=0", "-ac", "1",
                      "-f", "s16le", "-y", raw])
    ensure(rc == 0, f"ffmpeg could not decode the audio of {path}: {err}")
    with open(raw, "rb") as f:
        data = f.read()
    os.unlink(raw)
    return struct.unpack(f"<{len(data) // 2}h", data[:len(data) // 2 * 2])


def live_sdp(path, audio_port, video_port):
    """The live participant's mix (PCMU) and composite (H.264), each rtcp-mux."""
    with open(path, "w") as f:
        f.write("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=live\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                f"m=audio {audio_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                "a=rtcp-mux\r\na=recvonly\r\n"
                f"m=video {video_port} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;"
                "level-asymmetry-allowed=1\r\na=rtcp-mux\r\na=recvonly\r\n")
    return path


def check_live(path, work):
    """The live participant saw and heard both cameras."""
    frames = yuv_frames(path, work)
    ensure(frames, f"the live participant decoded no composite from {path}")
    red, blue = yuv_of(CAM_RGB), yuv_of(SHY_RGB)
    both = [k for k, f in enumerate(frames)
            if tile_is(f, "left", red) and tile_is(f, "right", blue)]
    print(f"live: {len(frames)} frames, {len(both)} with red left and blue right; last frame "
          f"corners: left {tile_corners(frames[-1], 'left')[0]}, "
          f"right {tile_corners(frames[-1], 'right')[0]}")
    ensure(len(both) >= len(frames) // 2,
           f"the live composite does not show both cameras (red left, blue right) in most "
           f"frames: {len(both)} of {len(frames)}")
    samples = audio_samples(path, work)
    windows = tone_windows(samples, DECODE_RATE, 0.5)
    heard = [w for w in windows if w[0] > -40 and w[1] > -40 and abs(w[0] - w[1]) < 10]
    print(f"live: {len(samples) / DECODE_RATE:.2f} s of audio, {len(heard)} of {len(windows)} "
          f"windows hold both tones; median cam {statistics.median(w[0] for w in windows):.1f} "
          f"dB, shy {statistics.median(w[1] for w in windows):.1f} dB")
    ensure(windows and len(heard) >= len(windows) * 3 // 4,
           f"the live mix lacks a tone: {len(heard)} of {len(windows)} windows hold both")


def video_times(path):
    """The pts (s) of every decoded video frame, in decode order (as yuv_frames gives them)."""
    rc, out, err = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
    ensure(rc == 0, f"ffprobe frames of {path}: exit {rc}: {err}")
    return [float(l.strip().rstrip(",")) for l in out.splitlines()
            if l.strip() and l.strip().rstrip(",") != "N/A"]


def check_recorded(path, work, granted_after, granted_by):
    """The recording: the declined camera never seen (its tile the card) nor heard until its
    consent was granted, at between granted_after and granted_by seconds after the recording's
    first picture; seen and heard from a little after granted_by on."""
    frames, times = yuv_frames(path, work), video_times(path)
    ensure(frames and len(frames) == len(times),
           f"decoded {len(frames)} video frames but ffprobe lists {len(times)} timestamps")
    start = times[0]
    red, blue = yuv_of(CAM_RGB), yuv_of(SHY_RGB)
    declined = [f for f, t in zip(frames, times) if t - start < granted_after]
    granted = [f for f, t in zip(frames, times) if t - start > granted_by + 2]
    ensure(len(declined) >= 30 and len(granted) >= 30,
           f"too little video on either side of the grant: {len(declined)} frames before "
           f"{granted_after:.1f} s, {len(granted)} after {granted_by + 2:.1f} s")
    blue_seen = [k for k, f in enumerate(declined)
                 if any(near(c, blue) for t in TILES for c in tile_corners(f, t))]
    ensure(not blue_seen, f"the declined camera is in the recording: {len(blue_seen)} of "
                          f"{len(declined)} frames show blue (first: frame {blue_seen[:1]})")
    carded = [f for f in declined if tile_is(f, "left", red)
              and tile_is(f, "right", PLACEHOLDER_YUV) and tile_shows_text(f, "right")]
    both = [f for f in granted if tile_is(f, "left", red) and tile_is(f, "right", blue)]
    print(f"recorded: {len(frames)} frames; while declined {len(declined)}, none blue, "
          f"{len(carded)} with red left and the card right; once granted {len(granted)}, "
          f"{len(both)} with red left and blue right")
    ensure(len(carded) >= len(declined) * 3 // 4,
           f"while declined the recording does not show red left and the \"not recorded\" card "
           f"right in most frames: {len(carded)} of {len(declined)}")
    ensure(len(both) >= len(granted) * 3 // 4,
           f"once granted the recording does not show both cameras in most frames: "
           f"{len(both)} of {len(granted)}")
    samples = audio_samples(path, work)  # sample 0 at container time 0
    windows = tone_windows(samples, DECODE_RATE, 0)
    at = [k * TONE_WINDOW_S - start for k in range(len(windows))]
    before = [w for w, t in zip(windows, at) if t + TONE_WINDOW_S < granted_after]
    after = [w for w, t in zip(windows, at) if t > granted_by + 2]
    loud = [w for w in before if w[0] > -40]
    leaks = [w for w in before if w[1] > -40 or (w[0] > -40 and w[1] > w[0] - 30)]
    heard = [w for w in after if w[0] > -40 and w[1] > -40]
    print(f"recorded: {len(samples) / DECODE_RATE:.2f} s of audio; while declined the cam tone "
          f"in {len(loud)} of {len(before)} windows, shy's loudest "
          f"{max((w[1] for w in before), default=-300):.1f} dB; once granted both tones in "
          f"{len(heard)} of {len(after)}")
    ensure(before and len(loud) >= len(before) // 2,
           f"the consenting camera's tone is missing from the recording: {len(loud)} of "
           f"{len(before)} windows")
    ensure(not leaks, f"the declined camera's tone is in the recording: {len(leaks)} windows, "
                      f"first {leaks[:3]}")
    ensure(after and len(heard) >= len(after) * 3 // 4,
           f"once granted the recording's mix lacks a tone: {len(heard)} of {len(after)} windows")
