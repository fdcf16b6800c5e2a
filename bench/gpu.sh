#!/usr/bin/env bash
# GPU checks and timings for the CUDA kernels (preprocessBatch, NMS), meant for a machine with an NVIDIA GPU and nvcc.
# Builds native/cuda/*.cu with the CPU core they share (no FAISS, no Node needed) into loupe_cuda_check, which compares
# every GPU result with the CPU path (preprocess: max |diff| < 1e-3; NMS: identical indices) and prints timings.
# Also compares the CPU resampling with PIL when python3 has Pillow. Usage: bash bench/gpu.sh  (from the repo root)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT_DIR:-build/gpu}
mkdir -p "$OUT"
echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
nvcc --version | tail -2
nproc
ARCH=${CUDA_ARCH:-native}
echo "== build (nvcc -arch=$ARCH)"
build() {
  nvcc -O3 -std=c++17 -arch="$1" -Inative/core -Inative/cuda \
    -Xcompiler -fopenmp,-ffp-contract=off,-O3 \
    native/core/preprocess.cc native/core/nms.cc native/cuda/preprocess.cu native/cuda/nms.cu native/cuda/cuda_check.cc \
    -o "$OUT/loupe_cuda_check" -lgomp
}
t0=$(date +%s)
build "$ARCH" || { echo "retrying with -arch=sm_90"; build sm_90; } || { echo "BUILD FAILED"; exit 2; }
echo "built in $(( $(date +%s) - t0 )) s"
echo "== GPU vs CPU checks and timings"
LOUPE_DUMP_DIR="$OUT" OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)} "$OUT/loupe_cuda_check"
rc=$?
if python3 -c "import PIL, numpy" 2>/dev/null; then
  echo "== CPU resampling vs PIL"
  python3 bench/pil_check.py "$OUT" || rc=1
else
  echo "(Pillow not available: PIL comparison skipped)"
fi
exit $rc
