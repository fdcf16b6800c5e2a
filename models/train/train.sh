#!/usr/bin/env bash
# npm run models:train — fetches the artwork (npm pack, into .cache/), trains the CLIP-contract model and exports it
# to models/emoji-clip. Debian's torch: apt-get install python3-torch python3-torchvision python3-onnx python3-numpy
# python3-pil libopenblas0-pthread. Never run in CI. Options pass through to train_clip.py (e.g. --minutes 40).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
$PY models/train/prepare.py
$PY models/train/train_clip.py --out .cache/train/clip-run "$@"
$PY models/train/export_clip.py --run .cache/train/clip-run --out models/emoji-clip
cp .cache/train/clip-run/run.json models/emoji-clip/training_run.json
