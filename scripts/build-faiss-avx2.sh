#!/usr/bin/env bash
# Builds FAISS with FAISS_OPT_LEVEL=avx2 from Debian's source package of the installed libfaiss-dev (same version,
# same Debian patches; MIT licence) and caches libfaiss_avx2.a, so a rerun takes no time. CMakeLists.txt then builds a
# second addon, loupe_avx2.node, against it; src/native/addon.ts loads it only on CPUs with AVX2/FMA/F16C/POPCNT,
# so the generic Debian build stays the fallback. Debian's binary libfaiss.a has no AVX code at all.
#   LOUPE_FAISS_AVX2=off skips it; LOUPE_CACHE_DIR (default ~/.cache/loupe) holds the result.
set -euo pipefail

CACHE=${LOUPE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/loupe}
OUT="$CACHE/faiss-1.7.3-avx2"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ "${LOUPE_FAISS_AVX2:-auto}" = "off" ]; then echo "loupe: LOUPE_FAISS_AVX2=off, generic FAISS only"; exit 0; fi
if [ "$(uname -m)" != "x86_64" ]; then echo "loupe: not x86-64, generic FAISS only"; exit 0; fi
VERSION=$(dpkg-query -W -f='${source:Version}' libfaiss-dev)  # the source version (a binNMU adds +bN)
case "$VERSION" in 1.7.3-*) ;; *) echo "loupe: libfaiss-dev $VERSION is not 1.7.3; generic FAISS only"; exit 0 ;; esac
if [ -f "$OUT/libfaiss_avx2.a" ] && grep -qx "source faiss $VERSION" "$OUT/BUILD-INFO" 2>/dev/null; then
  echo "loupe: FAISS $VERSION AVX2 build cached in $OUT"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# A deb-src entry for the same archive as the binary packages (deb822 or one-line format), added once.
if ! apt-get source --download-only "faiss=$VERSION" >/dev/null 2>&1; then
  echo "loupe: adding a deb-src entry for the Debian archive in use"
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      case "$f" in *loupe-deb-src.sources) continue ;; esac
      awk 'BEGIN { RS = ""; ORS = "\n\n" } /Types:[ \t]*deb([ \t\n]|$)/ && !/deb-src/ { sub(/Types:[ \t]*deb/, "Types: deb-src"); print }' "$f"
    done
  } > loupe-deb-src.sources
  if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > loupe-deb-src.list
    $SUDO cp loupe-deb-src.list /etc/apt/sources.list.d/loupe-deb-src.list
  fi
  if [ -s loupe-deb-src.sources ]; then $SUDO cp loupe-deb-src.sources /etc/apt/sources.list.d/loupe-deb-src.sources; fi
  $SUDO apt-get update -qq
  apt-get source --download-only "faiss=$VERSION" >/dev/null
fi

tar xzf faiss_*.orig.tar.gz
SRC=$(find . -maxdepth 1 -type d -name 'faiss-*' | head -1)
tar xJf faiss_*.debian.tar.xz -C "$SRC"
( cd "$SRC" && while read -r p; do [ -n "$p" ] && patch -p1 -s < "debian/patches/$p"; done < debian/patches/series )

JOBS=$(nproc)
echo "loupe: building FAISS $VERSION with FAISS_OPT_LEVEL=avx2 ($JOBS jobs; a few minutes, once)"
started=$(date +%s)
cmake -S "$SRC" -B "$SRC/build" -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF \
  -DFAISS_OPT_LEVEL=avx2 -DCMAKE_BUILD_TYPE=Release -DBLA_VENDOR=OpenBLAS >/dev/null
make -C "$SRC/build" -j "$JOBS" faiss_avx2 >/dev/null

mkdir -p "$CACHE"
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
cp "$SRC/build/faiss/libfaiss_avx2.a" "$OUT.tmp/"
printf 'source faiss %s\nopt_level avx2\nbuilt %s in %ss\n' "$VERSION" "$(date -u +%FT%TZ)" "$(( $(date +%s) - started ))" > "$OUT.tmp/BUILD-INFO"
head -1 "$OUT.tmp/BUILD-INFO" | grep -qx "source faiss $VERSION"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "loupe: FAISS AVX2 build in $OUT ($(( $(date +%s) - started )) s)"
