#!/usr/bin/env bash
# npm run models:train — fetches the artwork and texts (npm pack, into .cache/), then trains on the CPU (or a GPU:
# pass --device cuda) and exports the contract folders:
#   1. (LOUPE_TRAIN_DETECTORS=1 only) the family run: shared backbone with DINO attention and the YOLOX head, 100 min;
#      exports models/emoji-dino and models/emoji-yolox. Default: keep the shipped ones.
#   2. the CLIP towers of the default models/emoji-clip: (a) distill_text.py, 40 min, then 25 more with stopword filler
#      (30 % of the captions get 1-3 stopwords): a subword text tower learns, from text alone, to put every way of
#      saying a class (names, templates, keywords, 26 other languages) where the bag-of-words tower of
#      models/emoji-clip-words puts its English name; (b) the image tower: emoji-clip-words' fine-tuned on all 10
#      training styles at 48 px against the same fixed English-name targets (train_family.py --fixed-text), sprites
#      mirrored half the time, 52 min on one thread (CLIP_IMAGE_MINUTES=0: keep emoji-clip-words' tower unchanged);
#      (d) that tower exported, then continued from its ONNX for 70 min (full softmax over all classes, lr 1e-3;
#      CLIP_CONTINUE_MINUTES=0 skips it); (c) compose_clip.py joins image and text towers (both were trained towards
#      the same targets, so they fit together); (e) the export's vision graph is an ensemble of that tower and
#      emoji-clip-words' 32 px one (CLIP_ENSEMBLE=0: without).
#   3. emoji-owl: calibrate_owl.py fits the cosine-form OWL graph (yolox proposals, crops scored by emoji-clip-words'
#      32 px image tower against emoji-clip's text tower) on
#      training-style validation scenes (Platt-scaled probabilities; the default minScore chosen for "is it in my top
#      10 hits?"); export_family.py --owl-form cosine writes models/emoji-owl.
#   (LOUPE_TRAIN_OWL=1: the trained OWL head of train_owl.py instead, tried 2026-12-02 and not shipped.)
# Every run checkpoints under .cache/train/ and resumes when started again. Debian's torch: apt-get install
# python3-torch python3-torchvision python3-onnx python3-numpy python3-pil libopenblas0-pthread. Never run in CI.
# Options pass through to the detector family run and the image-tower run (e.g. --device cuda --threads 2).
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
# The teacher and the image tower: the bag-of-words (WordLevel) CLIP folder of this family.
TEACHER=$(realpath "${CLIP_TEACHER:-models/emoji-clip-words}")
T=$PWD/.cache/train
(cd models/train && $PY distill_text.py --teacher "$TEACHER" --out "$T/text-distill" --minutes 40 --threads 1)
(cd models/train && $PY distill_text.py --teacher "$TEACHER" --init "$T/text-distill/text.pt" --out "$T/text-filler" --filler-p 0.3 --lr 1.5e-3 --minutes 25 --threads 1)
# emoji-clip-words' image tower unchanged (--minutes 0 only loads it): the OWL graph's crops, and the first stage when
# CLIP_IMAGE_MINUTES=0.
$PY models/train/train_family.py --clip-only --fixed-text "$TEACHER" --init-image "$TEACHER" --crop 32 --minutes 0 --out "$T/image-shipped"
$PY models/train/compose_clip.py --image-run "$T/image-shipped" --text "$T/text-filler" --out "$T/clip-owl"
IMAGE_RUN="$T/image-shipped"
if [ "${CLIP_IMAGE_MINUTES:-52}" != 0 ]; then
  $PY models/train/train_family.py --clip-only --fixed-text "$TEACHER" --init-image "$TEACHER" --crop 48 --crops 256 --label-smoothing 0 \
    --hflip-p 0.5 --lr 2e-3 --minutes "${CLIP_IMAGE_MINUTES:-52}" --threads 1 --out "$T/image-hf48" "$@"
  IMAGE_RUN="$T/image-hf48"
  if [ "${CLIP_CONTINUE_MINUTES:-70}" != 0 ]; then
    # (d) The shipped tower went through an export in between: the 52-min run was exported (BatchNorm folded), then
    # continued from that ONNX (BatchNorm unfolded and recalibrated, from_onnx.py) with the full softmax over all
    # 1,752 classes at half the learning rate. Done the same way here.
    $PY models/train/compose_clip.py --image-run "$T/image-hf48" --text "$T/text-filler" --out "$T/clip-hf48"
    $PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$T/clip-hf48" --only clip --models "$T/export-hf48"
    $PY models/train/train_family.py --clip-only --fixed-text "$TEACHER" --init-image "$T/export-hf48/emoji-clip" --crop 48 --crops 256 \
      --label-smoothing 0 --hflip-p 0.5 --lr 1e-3 --negatives 0 --minutes "${CLIP_CONTINUE_MINUTES:-70}" --threads 1 --out "$T/image-ctr70" "$@"
    IMAGE_RUN="$T/image-ctr70"
  fi
fi
$PY models/train/compose_clip.py --image-run "$IMAGE_RUN" --text "$T/text-filler" --out "$CLIP_RUN"
# (e) The vision graph is an ensemble: this tower plus emoji-clip-words' 32 px tower on the input resampled to 32 px
# (both trained towards the same fixed name embeddings; sum of the normalised embeddings; CLIP_ENSEMBLE=0: without).
ENSEMBLE=()
if [ "${CLIP_ENSEMBLE:-1}" = 1 ]; then ENSEMBLE=(--ensemble-image "$TEACHER"); fi
$PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$CLIP_RUN" --only clip --clip-name emoji-clip "${ENSEMBLE[@]}"
# emoji-owl scores crops with the 32 px tower: the 48 px one ranked fewer right boxes first in bench:localization
# (MODEL_CARD of emoji-owl).
if [ "${LOUPE_TRAIN_OWL:-0}" = 1 ]; then
  $PY models/train/train_owl.py --run .cache/train/family-shipped --clip-run "$T/clip-owl" --minutes 10
  $PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$T/clip-owl" --only owl
else
  $PY models/train/calibrate_owl.py --run .cache/train/family-shipped --clip-run "$T/clip-owl"
  $PY models/train/export_family.py --run .cache/train/family-shipped --clip-run "$T/clip-owl" --only owl --owl-form cosine
fi
