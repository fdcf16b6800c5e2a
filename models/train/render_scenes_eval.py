"""Renders fixed, seeded multi-object evaluation scenes (640 x 480, 2-5 objects at 8-70 % of the short side, random
backgrounds incl. white) with ground-truth boxes, per style, into .cache/eval/scenes/<style>/ (PNG + scenes.json).
Apple and Facebook are the held-out styles (never trained on); their renders stay in the ignored cache.
Used by eval-detectors.ts (models:eval) and bench/localization (emoji source).

  /usr/bin/python3 models/train/render_scenes_eval.py [--count 150] [--styles apple,facebook,google]
"""
import argparse
import json
import os
import random

import numpy as np
import torch
from PIL import Image

from common import ROOT, load_classes, load_sprites
from scenes import render_scenes

EVAL = os.path.join(ROOT, '.cache', 'eval', 'scenes')
SEED = 8642
W, H = 640, 480


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--count', type=int, default=150)
    ap.add_argument('--styles', default='apple,facebook,google')
    ap.add_argument('--out', default=EVAL)
    ap.add_argument('--seed', type=int, default=SEED, help='scene seed (bench:localization renders training-style '
                    'validation scenes with another one)')
    args = ap.parse_args()
    torch.set_num_threads(1)
    meta = load_classes()
    classes = meta['classes']
    seen = [i for i, c in enumerate(classes) if c['split'] == 'train']
    unseen = [i for i, c in enumerate(classes) if c['split'] == 'unseen']
    for si, style in enumerate(args.styles.split(',')):
        sprites = load_sprites(style, 'cpu')
        g = torch.Generator()
        g.manual_seed(args.seed + si)
        rng = random.Random(args.seed + si)
        out = os.path.join(args.out, style)
        os.makedirs(out, exist_ok=True)
        images = []
        for i in range(args.count):
            # 10 % of the scenes use unseen classes only (reported separately).
            pool = unseen if i % 10 == 9 else seen

            def pick(n):
                ids = torch.tensor([rng.choice(pool) for _ in range(n)])
                return sprites[ids], ids

            # Render a W x W canvas whose bottom quarter is a band, then cut it away: objects stay in the W x H part.
            for _ in range(20):  # re-render the rare scene where overlaps hid all but one object
                img, objs, _ = render_scenes(pick, 1, W, g, max_objects=5, min_objects=2, scale=(0.08, 0.7),
                                             white_p=0.25, letterbox_p=0.0, fixed_band=1 - H / W)
                if len(objs[0]) >= 2:
                    break
            arr = (img[0, :, :H].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
            name = f'{i:04d}.png'
            Image.fromarray(arr).save(os.path.join(out, name))
            objects = [{'class': int(c), 'name': classes[c]['captions'][0], 'box': [round(v, 1) for v in b]} for c, b in objs[0]]
            present = {o['class'] for o in objects}
            absent = rng.choice([c for c in pool if c not in present])
            images.append({'file': name, 'width': W, 'height': H, 'objects': objects, 'split': 'unseen' if pool is unseen else 'seen',
                           'absent': {'class': absent, 'name': classes[absent]['captions'][0]}})
        with open(os.path.join(out, 'scenes.json'), 'w') as f:
            json.dump({'seed': args.seed + si, 'style': style, 'images': images}, f)
        print(f'{style}: {len(images)} scenes, {sum(len(x["objects"]) for x in images)} objects -> {out}')


if __name__ == '__main__':
    main()
