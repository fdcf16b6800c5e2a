#!/usr/bin/env bash
# npm run models:eval — renders the fixed evaluation sets (held-out Apple/Facebook styles included, all kept in the
# ignored .cache/) and prints, through Loupe's own loaders and native code: text->image recall of models/emoji-clip,
# the same folder on held-out multi-object scenes with perfect proposals (eval-scene-oracle.ts: ground-truth boxes,
# jittered, with junk squares), and the detector metrics of models/emoji-yolox, emoji-dino (v1/v2) and emoji-owl on
# held-out multi-object scenes.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f .cache/train/classes.json ] || /usr/bin/python3 models/train/prepare.py
[ -f .cache/eval/clip_eval.json ] || /usr/bin/python3 models/train/render_eval.py
[ -f .cache/eval/scenes/facebook/scenes.json ] || /usr/bin/python3 models/train/render_scenes_eval.py
npx tsx models/train/eval-clip.ts "${1:-models/emoji-clip}"
npx tsx models/train/eval-scene-oracle.ts "${1:-models/emoji-clip}" 300
npx tsx models/train/eval-detectors.ts
