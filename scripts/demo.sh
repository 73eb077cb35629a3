#!/usr/bin/env bash
# Sets up everything, builds Tessera and runs it on its embedded default configuration: the room
# "demo-room" with nine participants. Each sends a moving test pattern over RTP (ffmpeg; H.264 or
# VP8); Tessera decodes them, composes a 3x3 grid with their names, encodes it once and
#   - records it to ./tessera-demo.mp4,
#   - sends it live to 127.0.0.1:6100, described by ./tessera-demo-watch.sdp (watch with ffplay).
# alice (Opus, 440 Hz) and bob (G.711, 660 Hz) also talk; what carol hears (both of them, mixed)
# is recorded to ./tessera-demo-mix.wav, and the speaking participant's tile is highlighted.
# The cameras' clips are encoded once, before Tessera starts, and sent looped without
# re-encoding, so the cameras leave Tessera the machine's CPU. At the end the demo reports what
# Tessera did (ticks run and skipped, tick cost, MCU-added latency, frames decoded per camera)
# from its summary lines, kept in ./tessera-demo-summary.jsonl.
# Usage: bash scripts/demo.sh [SECONDS]    (default 30; Ctrl-C stops early)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${DEMO_SECONDS:-30}}

bash scripts/setup.sh
# Release, as scripts/test.sh builds it, so the two share one build folder.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target tessera

summary=tessera-demo-summary.jsonl
rm -f tessera-demo.mp4 tessera-demo-mix.wav tessera-demo-watch.sdp "$summary"
clips=$(mktemp -d)
pids=()
tessera_pid=""
cleanup() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  if [[ -n $tessera_pid ]]; then kill -INT "$tessera_pid" 2>/dev/null || true; fi
  rm -rf "$clips"
}
trap cleanup EXIT

# Nine cameras: the same moving pattern in nine hues, every third one VP8. Each camera's clip is
# encoded once, here: 4 s at 15 fps, a keyframe at its start and 2 s in (H.264 with its SPS and
# PPS in band, which the RTP stream needs), in NUT, whose timestamps are exact frame steps. The
# cameras then send them looped with `-c copy`: ffmpeg carries timestamps on across loops (one
# SSRC, whole 1/15 s steps), and packetizing costs next to nothing. Nine live encoders (three of
# them VP8) took most of a 2-core machine and the room skipped a quarter of its ticks.
names=(alice bob carol dave erin frank grace heidi ivan)
echo "demo: encoding the nine cameras' clips (once)"
for i in "${!names[@]}"; do
  if ((i % 3 == 1)); then
    codec=(-c:v libvpx -deadline good -cpu-used 4 -lag-in-frames 0 -auto-alt-ref 0)
  else
    codec=(-c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -bf 0
           -x264-params repeat-headers=1)
  fi
  ffmpeg -hide_banner -loglevel error -nostdin -f lavfi \
    -i "testsrc2=size=480x270:rate=15,hue=h=$((i * 40))" -t 4 -pix_fmt yuv420p \
    "${codec[@]}" -g 30 -b:v 400k -y "$clips/${names[i]}.nut"
done

coproc TESSERA { exec build/tessera; }
tessera_pid=$TESSERA_PID
# Its stdout, on a descriptor of our own: bash drops the coproc's once the process has exited.
exec {tessera_out}<&"${TESSERA[0]}"
read -r line <&"$tessera_out"   # waits for "tessera: ready"
echo "$line"

for i in "${!names[@]}"; do
  port=$((5100 + 2 * i))
  pt=96
  if ((i % 3 == 1)); then pt=97; fi
  ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$clips/${names[i]}.nut" \
    -t "$secs" -c copy -payload_type "$pt" -f rtp "rtp://127.0.0.1:${port}?pkt_size=1200" \
    >/dev/null &
  pids+=($!)
done
echo "demo: nine cameras send to demo-room (ports 5100-5116) for ${secs}s"

# alice and bob talk; carol listens.
printf 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=carol\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6014 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n' \
  > tessera-demo-carol.sdp
ffmpeg -hide_banner -loglevel error -protocol_whitelist file,udp,rtp -i tessera-demo-carol.sdp \
  -t "$secs" -ac 1 -y tessera-demo-mix.wav &
listener_pid=$!
ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t "$secs" -ac 1 -c:a libopus -b:a 32k -payload_type 111 -f rtp "rtp://127.0.0.1:5010" \
  >/dev/null &
pids+=($!)
ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=frequency=660:sample_rate=48000 \
  -t "$secs" -af aresample=8000,asetnsamples=n=160:p=0 -ar 8000 -ac 1 -c:a pcm_mulaw \
  -f rtp "rtp://127.0.0.1:5012" >/dev/null &
pids+=($!)

echo "demo: watch the composite live, now, in another terminal:"
echo "        ffplay -protocol_whitelist file,udp,rtp -fflags nobuffer -i tessera-demo-watch.sdp"
# A browser joins over WebRTC (WHEP to watch, WHIP to send its own camera if it has one); the
# token lives 5 minutes (control.max_token_lifetime_s) and stays in the URL's fragment.
if token=$(build/tessera-token --keys tessera-keys.json --role participant --room demo-room \
             --sub "browser-guest" 2>/dev/null); then
  echo "demo: or open this in a browser on this machine (Chromium or Firefox):"
  echo "        http://127.0.0.1:8080/join/demo-room#token=$token"
fi
# The operator's view: rooms, participants and their live statistics, mute, kick, layout, a
# live preview of the room.
if token=$(build/tessera-token --keys tessera-keys.json --role operator \
             --sub "demo-operator" 2>/dev/null); then
  echo "demo: the operator console:"
  echo "        http://127.0.0.1:8080/console#token=$token"
fi
# Ctrl-C ends the run early; the report still comes.
trap 'echo; echo "demo: stopping early"' INT
wait "${pids[@]}" "$listener_pid" || true
trap - INT
kill -TERM "${pids[@]}" "$listener_pid" 2>/dev/null || true
wait "$listener_pid" 2>/dev/null || true  # the mix file is complete once its writer has exited
pids=()
# SIGINT: stop now (SIGTERM would drain the API's rooms for control.drain_grace_s first).
kill -INT "$tessera_pid" 2>/dev/null || true
# Its summary lines: one per participant leg, then each room's audio and video.
while read -r line <&"$tessera_out"; do
  case "$line" in '{'*) printf '%s\n' "$line" >>"$summary" ;;
  esac
done
exec {tessera_out}<&-
wait "$tessera_pid" || true
tessera_pid=""

echo
python3 scripts/demo_summary.py "$summary" "$secs" tessera-demo.mp4 tessera-demo-mix.wav
