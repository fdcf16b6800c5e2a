#!/usr/bin/env bash
# Installs everything Loupe needs on Debian/Ubuntu with Node 20: system packages (apt) and npm dependencies,
# builds the native addon and the TypeScript. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(cmake g++ make patch xz-utils python3 libfaiss-dev libopenblas-dev libopenblas0-pthread chromium fonts-dejavu-core fonts-dejavu-extra)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "loupe: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node -e 'const [maj, min] = process.versions.node.split(".").map(Number); if (maj < 20 || (maj === 20 && min < 10)) { console.error("loupe: Node >= 20.10 is required, found " + process.version); process.exit(1); }'

# FAISS compiled for AVX2 from Debian's source package, cached (minutes once, instant after); the addon build below
# picks it up, and the generic Debian FAISS stays the run-time fallback on CPUs without AVX2.
./scripts/build-faiss-avx2.sh || echo "loupe: warning: the FAISS AVX2 build failed; the generic FAISS will be used"

# onnxruntime-node's install script would fetch CUDA files from outside the npm registry: skip it (CPU is bundled).
export ONNXRUNTIME_NODE_INSTALL=skip
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
echo "loupe: installed. Start it with: npm start"
