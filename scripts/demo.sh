#!/usr/bin/env bash
# Sets up everything, builds Tessera and runs the transport demo on the embedded default config:
# an ffmpeg test-pattern camera sends H.264 over RTP to 127.0.0.1:5004, Tessera reassembles the
# frames (jitter buffer, NACK, keyframe requests) and records them to ./tessera-demo.mp4.
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

echo "demo: sending a ${secs}s H.264 test pattern (640x360@30) to rtp://127.0.0.1:5004"
ffmpeg -hide_banner -loglevel error -re -f lavfi \
  -i "testsrc2=size=640x360:rate=30,drawtext=text='Tessera transport demo %{pts\\:hms}':fontsize=24:x=10:y=10:fontcolor=white:box=1:boxcolor=black@0.5" \
  -t "$secs" -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -g 30 -bf 0 \
  -pix_fmt yuv420p -payload_type 96 -f rtp "rtp://127.0.0.1:5004?pkt_size=1200" >/dev/null

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
