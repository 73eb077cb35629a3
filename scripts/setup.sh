#!/usr/bin/env bash
# Installs every Debian 12 package Tessera needs to build, test, fuzz, bench and run its demo.
# Idempotent: safe to run again. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang clang-format libclang-rt-14-dev
  # libraries
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libyuv-dev libsrtp2-dev libboost-dev libboost-system-dev libssl-dev
  libopus-dev libx264-dev libvpx-dev libvpl-dev libffmpeg-nvenc-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  # participant names drawn on video tiles
  libfreetype-dev fonts-dejavu-core
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers used by the integration tests and the demo
  ffmpeg python3
  # GStreamer senders (videotestsrc, x264enc, rtph264pay) for the H.264 interoperability test
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  # the SIP over TLS test makes its own self-signed certificate
  openssl
  # SIPp: the SIP integration tests and benches/sip_cps.py
  sip-tester
  # a SIP video softphone for the SIP integration test (installed without GTK/X11 recommends)
  baresip baresip-ffmpeg
  # the HTTP API's integration tests: the OpenAPI document's schemas (python3-jsonschema), the
  # /metrics format (promtool; Debian ships it in prometheus, whose server service comes with it),
  # requests as an operator types them (curl)
  python3-jsonschema prometheus curl
  # HTTP load for benches/api_latency.py --client wrk
  wrk
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
