#!/usr/bin/env bash
# Memory under an INVITE flood (docs/performance.md): Tessera with one SIP UDP listener and the
# per-source limit raised, SIPp sending rounds of 5000 INVITEs at 500/s from one address to a room
# that does not exist; the resident size after each round, then for 60 s while the transactions
# expire (timer H, 32 s), with what the server logs about its heap.
#   bash benches/sip_flood_memory.sh [BINARY] [ROUNDS]     (build/tessera, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/tessera}")
rounds=${2:-2}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/flood.yaml" <<YAML
server: {bind_address: 127.0.0.1, rtp_ports: 21000-21099}
sip:
  listen: [{transport: udp, address: 127.0.0.1, port: $port}]
  new_calls_per_source_per_s: 10000
rooms: [{name: main, participants: []}]
YAML
"$bin" --config "$work/flood.yaml" --log-level info >/dev/null 2>"$work/log" &
pid=$!
for _ in $(seq 100); do grep -q "tessera started" "$work/log" && break; sleep 0.1; done
rss() { awk '/VmRSS/{printf "%.1f MB", $2/1024}' "/proc/$pid/status"; }
echo "start: $(rss)"
for r in $(seq "$rounds"); do
  sipp -sf tests/integration/sip/flood_uac.xml -s nowhere -r 500 -m 5000 -i 127.0.0.1 -p 0 \
    "127.0.0.1:$port" >/dev/null 2>&1 || true
  echo "after round $r: $(rss)"
done
for s in 10 20 30 40 50 60; do
  sleep 10  # sampling interval, not synchronisation
  echo "${s} s after the flood: $(rss)"
done
grep -o 'heap: .*' "$work/log" || echo "no heap trim logged"
kill -TERM "$pid"
wait "$pid" && echo "exit 0" || echo "exit $?"
