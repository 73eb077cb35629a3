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
  # the cluster's node directory: hiredis for the client, Redis itself for the cluster tests
  libhiredis-dev redis-server
  # participant names drawn on video tiles
  libfreetype-dev fonts-dejavu-core
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers used by the integration tests and the demo
  ffmpeg python3
  # GStreamer senders (videotestsrc, x264enc, rtph264pay) for the H.264 interoperability test
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  # a second WebRTC stack as Tessera's peer (webrtcbin, libnice, avdec_h264) driven from Debian's
  # python3 (tests/integration/webrtc/webrtcbin_peer.py)
  gstreamer1.0-plugins-bad gstreamer1.0-nice gstreamer1.0-libav python3-gi gir1.2-gstreamer-1.0
  gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0
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
  # a real browser for the WebRTC test (tests/integration/webrtc_test.py): Debian's Chromium,
  # driven headless by playwright-core (npm, below) through /usr/bin/chromium
  chromium
  # the WebRTC test's second browser: Debian's Firefox ESR, driven headless by puppeteer-core
  # (npm, below) over WebDriver BiDi
  firefox-esr
  # a TURN server for the WebRTC test's relayed browser (started by the test, on loopback)
  coturn
  # the packaging test (tests/integration/packaging_test.py): the Debian package's dependencies
  # (cpack's dpkg-shlibdeps needs file), the systemd units' checks (systemd-analyze) and the
  # Kubernetes manifests and container configs read as YAML
  file systemd python3-yaml
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
else
  echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The browser test's npm packages, exactly as package-lock.json has them: playwright-core, which
# drives the chromium above, and puppeteer-core, which drives the firefox-esr above; neither
# downloads a browser of its own. Node.js and npm are the
# machine's (Debian 12's nodejs is too old for playwright-core; its npm package conflicts with
# the machine's). Without npm the WebRTC test skips itself, saying why.
webrtc_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/integration/webrtc"
locked_matches_installed() {
  (cd "$webrtc_dir" && node -e '
    const lock = require("./package-lock.json").packages;
    const ok = Object.entries(lock).every(([path, p]) => {
      if (!path || p.optional) return true;  // "": the project itself
      try { return require(`./${path}/package.json`).version === p.version; } catch { return false; }
    });
    process.exit(ok ? 0 : 1);' 2>/dev/null)
}
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "setup: no node/npm: tests/integration/webrtc's packages not installed (its test skips)"
elif locked_matches_installed; then
  echo "setup: tests/integration/webrtc: npm packages already installed"
else
  echo "setup: tests/integration/webrtc: npm ci"
  (cd "$webrtc_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
