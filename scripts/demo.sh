#!/usr/bin/env bash
# Sets up everything, builds Tessera and runs the transport demo on the embedded default config:
# an ffmpeg test-pattern camera sends H.264 over RTP to 127.0.0.1:5004, Tessera reassembles the
# frames (jitter buffer, NACK, keyframe requests) and records them to ./tessera-demo.mp4. At the
# same time alice (Opus, 440 Hz) and bob (G.711, 660 Hz) talk in the audio room "demo-room", and
# what carol hears (both of them, mixed) is recorded to ./tessera-demo-mix.wav.
# Usage: bash scripts/demo.sh [SECONDS]    (default 20; Ctrl-C stops early)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${DEMO_SECONDS:-20}}

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target tessera

rm -f tessera-demo.mp4
coproc TESSERA { exec build/tessera; }
tessera_pid=$TESSERA_PID
trap 'kill -TERM $tessera_pid 2>/dev/null || true' EXIT
read -r line <&"${TESSERA[0]}"   # waits for "tessera: ready"
echo "$line"

printf 'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=carol\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6014 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n' \
  > tessera-demo-carol.sdp
rm -f tessera-demo-mix.wav
ffmpeg -hide_banner -loglevel error -protocol_whitelist file,udp,rtp -i tessera-demo-carol.sdp \
  -t "$secs" -ac 1 -y tessera-demo-mix.wav &
listener_pid=$!
echo "demo: alice (Opus 440 Hz) and bob (G.711 660 Hz) talk in demo-room; carol listens"
ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -t "$secs" -ac 1 -c:a libopus -b:a 32k -payload_type 111 -f rtp "rtp://127.0.0.1:5010" \
  >/dev/null &
alice_pid=$!
ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=frequency=660:sample_rate=48000 \
  -t "$secs" -af aresample=8000,asetnsamples=n=160:p=0 -ar 8000 -ac 1 -c:a pcm_mulaw \
  -f rtp "rtp://127.0.0.1:5012" >/dev/null &
bob_pid=$!

echo "demo: sending a ${secs}s H.264 test pattern (640x360@30) to rtp://127.0.0.1:5004"
ffmpeg -hide_banner -loglevel error -re -f lavfi \
  -i "testsrc2=size=640x360:rate=30,drawtext=text='Tessera transport demo %{pts\\:hms}':fontsize=24:x=10:y=10:fontcolor=white:box=1:boxcolor=black@0.5" \
  -t "$secs" -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g 30 -bf 0 \
  -pix_fmt yuv420p -payload_type 96 -f rtp "rtp://127.0.0.1:5004?pkt_size=1200" >/dev/null

wait "$alice_pid" "$bob_pid" "$listener_pid" || true
kill -TERM "$tessera_pid"
while read -r line <&"${TESSERA[0]}"; do echo "tessera: $line"; done
wait "$tessera_pid" || true
trap - EXIT

echo
echo "demo: recorded ./tessera-demo.mp4:"
ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=codec_name,width,height,nb_read_frames -of default=noprint_wrappers=1 \
  tessera-demo.mp4
echo "demo: watch it with:  ffplay tessera-demo.mp4   (or any video player)"
echo
echo "demo: recorded what carol heard in demo-room: ./tessera-demo-mix.wav"
ffprobe -v error -show_entries format=duration -of default=noprint_wrappers=1 tessera-demo-mix.wav
echo "demo: listen with:  ffplay tessera-demo-mix.wav   (alice's 440 Hz and bob's 660 Hz together)"
