#!/usr/bin/env bash
# npm run models:train — fetches the artwork and texts (npm pack, into .cache/), then trains on the CPU (or a GPU:
# pass --device cuda) and exports the contract folders:
#   1. (LOUPE_TRAIN_DETECTORS=1 only) the family run: shared backbone with DINO attention and the YOLOX head, 100 min;
#      exports models/emoji-dino and models/emoji-yolox. Default: keep the shipped ones.
#   2. the CLIP towers: (a) distill_text.py, 4 min: the new subword text tower learns, from text alone, to put every
#      way of saying a class (names, templates, keywords, 26 other languages) where the shipped emoji-clip puts its
#      English name; (b) the joint run, 24 min: both towers on renders of the 10 training styles, 32 px then 48 px, the
#      image tower continuing from the shipped models/emoji-clip (CLIP_INIT; empty = both towers from scratch, which
#      needs far longer on a CPU: see its MODEL_CARD). Becomes models/emoji-clip-multilingual (not the default).
#   3. (LOUPE_TRAIN_OWL=1 only; the 2026-12-02 attempt was not shipped) the OWL head (train_owl.py, 10 min) on proposals of the emoji-yolox detector (rebuilt in torch from its ONNX
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
CLIP_INIT=${CLIP_INIT-models/emoji-clip}
# The teacher (and the image tower's start) must be a bag-of-words (WordLevel) CLIP folder of this family: the shipped
# default models/emoji-clip is one.
if [ -n "$CLIP_INIT" ]; then
  CLIP_INIT=$(realpath "$CLIP_INIT")
  (cd models/train && $PY distill_text.py --teacher "$CLIP_INIT" --out "$PWD/../../.cache/train/text-distill" --minutes 4)
  WARM=(--init-image "$CLIP_INIT" --init-text .cache/train/text-distill/text.pt --distill-text "$CLIP_INIT" --freeze-image-frac 0.1 --image-lr-mult 0.5 --lr 2e-3 --minutes 24)
else
  WARM=(--minutes 100)
fi
$PY models/train/train_family.py --clip-only --crop 48 --warmup-crop 32 --warmup-frac 0.4 --crops 256 --label-smoothing 0 "${WARM[@]}" --out "$CLIP_RUN" "$@"
$PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$CLIP_RUN" --only clip --clip-name emoji-clip-multilingual
if [ "${LOUPE_TRAIN_OWL:-0}" = 1 ]; then
  $PY models/train/train_owl.py --run .cache/train/family-shipped --clip-run "$CLIP_RUN" --minutes 10
  $PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$CLIP_RUN" --only owl
fi
