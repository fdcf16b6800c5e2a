#!/usr/bin/env bash
# npm run models:train — fetches the artwork (npm pack, into .cache/), then two 40-minute CPU runs (2 threads):
# the family run (shared backbone: DINO attention, YOLOX head, CLIP towers at 48 px) and a CLIP-only run (32 px
# crops, 2x the samples) whose towers become emoji-clip and the OWL head's classifier; calibrates the OWL-ViT head on
# training-style validation scenes and exports the four contract folders: models/emoji-clip, emoji-dino, emoji-yolox,
# emoji-owl. Debian's torch: apt-get install python3-torch
# python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-pthread. Never run in CI.
# Options pass through to both train_family.py runs (e.g. --minutes 40 --seed 1234).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
RUN=.cache/train/family-run
CLIP_RUN=.cache/train/clip-run
$PY models/train/prepare.py
$PY models/train/train_family.py --out "$RUN" "$@"
$PY models/train/train_family.py --clip-only --crop 32 --crops 256 --label-smoothing 0 --out "$CLIP_RUN" "$@"
$PY models/train/calibrate_owl.py --run "$RUN" --clip-run "$CLIP_RUN"
$PY models/train/export_family.py --run "$RUN" --clip-run "$CLIP_RUN"
