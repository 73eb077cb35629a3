#!/usr/bin/env bash
# Sets up everything, builds Tessera and runs it on its embedded default configuration: the room
# "demo-room" with nine participants. Each sends a moving test pattern over RTP (ffmpeg; H.264 or
# VP8); Tessera decodes them, composes a 3x3 grid with their names, encodes it once and
#   - records it to ./tessera-demo.mp4,
#   - sends it live to 127.0.0.1:6100, described by ./tessera-demo-watch.sdp (watch with ffplay).
# alice (Opus, 440 Hz) and bob (G.711, 660 Hz) also talk; what carol hears (both of them, mixed)
# is recorded to ./tessera-demo-mix.wav, and the speaking participant's tile is highlighted.
# Usage: bash scripts/demo.sh [SECONDS]    (default 30; Ctrl-C stops early)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${DEMO_SECONDS:-30}}

bash scripts/setup.sh
# Release, as scripts/test.sh builds it, so the two share one build folder.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target tessera

rm -f tessera-demo.mp4 tessera-demo-mix.wav tessera-demo-watch.sdp
coproc TESSERA { exec build/tessera; }
tessera_pid=$TESSERA_PID
pids=()
cleanup() {
  kill -TERM "${pids[@]}" 2>/dev/null || true
  kill -TERM "$tessera_pid" 2>/dev/null || true
}
trap cleanup EXIT
read -r line <&"${TESSERA[0]}"   # waits for "tessera: ready"
echo "$line"

# Nine cameras: the same moving pattern in nine hues, every third one VP8.
names=(alice bob carol dave erin frank grace heidi ivan)
for i in "${!names[@]}"; do
  port=$((5100 + 2 * i))
  if ((i % 3 == 1)); then
    codec=(-c:v libvpx -deadline realtime -cpu-used 8 -lag-in-frames 0 -auto-alt-ref 0 -b:v 400k
           -payload_type 97)
  else
    codec=(-c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline -bf 0 -g 30
           -b:v 400k -payload_type 96)
  fi
  ffmpeg -hide_banner -loglevel error -re -f lavfi \
    -i "testsrc2=size=480x270:rate=15,hue=h=$((i * 40))" -t "$secs" -pix_fmt yuv420p \
    "${codec[@]}" -f rtp "rtp://127.0.0.1:${port}?pkt_size=1200" >/dev/null &
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
wait "${pids[@]}" "$listener_pid" || true
pids=()
kill -TERM "$tessera_pid"
while read -r line <&"${TESSERA[0]}"; do
  # The rooms' summaries (audio, then video); every participant's line is in Tessera's full output.
  case "$line" in '{"room":'*) echo "tessera: $line" ;;
  esac
done
wait "$tessera_pid" || true
trap - EXIT

echo
echo "demo: recorded the 3x3 composite to ./tessera-demo.mp4:"
ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=codec_name,width,height,nb_read_frames -of default=noprint_wrappers=1 \
  tessera-demo.mp4
echo "demo: watch it with:  ffplay tessera-demo.mp4   (or any video player)"
echo
echo "demo: recorded what carol heard in demo-room: ./tessera-demo-mix.wav"
ffprobe -v error -show_entries format=duration -of default=noprint_wrappers=1 tessera-demo-mix.wav
echo "demo: listen with:  ffplay tessera-demo-mix.wav   (alice's 440 Hz and bob's 660 Hz together)"
