#!/usr/bin/env bash
# npm run models:train — fetches the artwork and texts (npm pack, into .cache/), then trains on the CPU (or a GPU:
# pass --device cuda) and exports the contract folders:
#   1. (LOUPE_TRAIN_DETECTORS=1 only) the family run: shared backbone with DINO attention and the YOLOX head, 100 min;
#      exports models/emoji-dino and models/emoji-yolox. Default: keep the shipped ones.
#   2. the CLIP run: image tower at 48 px + subword text tower (names, templates, keywords, ~30 languages), 100 min;
#      becomes models/emoji-clip and the OWL head's starting point.
#   3. the OWL head (train_owl.py, 12 min) on proposals of the emoji-yolox detector (rebuilt in torch from its ONNX
#      file by from_onnx.py, so the exported graph proposes exactly what the shipped detector does); it also picks the
#      default rerank minScore on training-style validation scenes; exports models/emoji-owl.
# Every run checkpoints under .cache/train/ and resumes when started again. Debian's torch: apt-get install
# python3-torch python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-pthread. Never run in CI.
# Options pass through to the training runs (e.g. --minutes 40 --device cuda --threads 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
FAMILY=.cache/train/family-run
CLIP_RUN=.cache/train/clip-run
$PY models/train/prepare.py
if [ "${LOUPE_TRAIN_DETECTORS:-0}" = 1 ]; then
  $PY models/train/train_family.py --minutes 100 --out "$FAMILY" "$@"
  $PY models/train/export_family.py --run "$FAMILY" --only dino,yolox
fi
$PY models/train/from_onnx.py --yolox models/emoji-yolox --out .cache/train/family-shipped
$PY models/train/train_family.py --clip-only --crop 48 --crops 256 --label-smoothing 0 --minutes 100 --out "$CLIP_RUN" "$@"
$PY models/train/train_owl.py --run .cache/train/family-shipped --clip-run "$CLIP_RUN"
$PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$CLIP_RUN" --only clip,owl
