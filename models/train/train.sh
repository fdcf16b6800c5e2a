#!/usr/bin/env bash
# npm run models:train — fetches the artwork (npm pack, into .cache/), trains the emoji model family in one 40-minute
# CPU run (2 threads), calibrates the OWL-ViT head on training-style validation scenes and exports the four contract
# folders: models/emoji-clip, emoji-dino, emoji-yolox, emoji-owl. Debian's torch: apt-get install python3-torch
# python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-pthread. Never run in CI.
# Options pass through to train_family.py (e.g. --minutes 40 --seed 1234).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
RUN=.cache/train/family-run
$PY models/train/prepare.py
$PY models/train/train_family.py --out "$RUN" "$@"
$PY models/train/calibrate_owl.py --run "$RUN"
$PY models/train/export_family.py --run "$RUN"
