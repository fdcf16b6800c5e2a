#!/usr/bin/env bash
# npm run models:eval — renders the fixed evaluation images (held-out Apple/Facebook styles included, all kept in the
# ignored .cache/) and prints text->image recall of models/emoji-clip through Loupe's own loader.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f .cache/train/classes.json ] || /usr/bin/python3 models/train/prepare.py
[ -f .cache/eval/clip_eval.json ] || /usr/bin/python3 models/train/render_eval.py
npx tsx models/train/eval-clip.ts "${1:-models/emoji-clip}"
