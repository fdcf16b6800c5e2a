#!/usr/bin/env bash
# Runs the native code under AddressSanitizer + UndefinedBehaviorSanitizer:
#  1. the C++ unit tests (ctest) built with -DLOUPE_SANITIZE=ON;
#  2. the addon built the same way, loaded into Node with libasan preloaded, under the native vitest suite
#     (property tests and every bad-input case go through the N-API layer).
# CUDA is left out (LOUPE_CUDA=OFF): the sanitizers do not instrument device code. Usage: npm run asan:native
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
OUT=build/asan

echo "== C++ unit tests under ASan/UBSan"
cmake -S . -B "$OUT/tests" -DLOUPE_BUILD_TESTS=ON -DLOUPE_SANITIZE=ON -DLOUPE_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$OUT/tests" -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir "$OUT/tests" --output-on-failure

echo "== addon under ASan/UBSan with the native vitest suite"
npx cmake-js compile --out "$OUT/addon" --CDLOUPE_SANITIZE=ON --CDLOUPE_CUDA=OFF --CDCMAKE_BUILD_TYPE=RelWithDebInfo
LIBASAN=$(gcc -print-file-name=libasan.so)
LIBUBSAN=$(gcc -print-file-name=libubsan.so)
# Node itself is not instrumented and keeps memory until exit: leak detection is only meaningful for the ctest run.
LD_PRELOAD="$LIBASAN $LIBUBSAN" \
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  LOUPE_ADDON_PATH="$PWD/$OUT/addon/Release/loupe.node" LOUPE_TEST_DATABASE_URL=${LOUPE_TEST_DATABASE_URL:-postgres://unused} \
  npx vitest run test/native
echo "asan-native: passed"
