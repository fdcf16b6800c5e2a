"""Calibrates the cosine form of the OWL-ViT contract (export_family.OwlCosine: the emoji-yolox proposals scored by the
CLIP towers, logit = a * (cosine + beta * log(objectness) - c)) on validation scenes of the TRAINING styles (fresh
seed; never the held-out Apple/Facebook styles). Queries are worded as users type: half plain English names, half
drawn like training captions (templates, keywords, other languages). Grid search of (beta, c) maximising
  P(top box IoU >= 0.5 and score >= 0.5 | query present) + P(score < 0.5 | query absent),
so 0.5 is the default rerank minScore; a sets the slope. Writes owl_calibration.json into the CLIP run folder;
export_family.py --owl-form cosine reads it.

  /usr/bin/python3 models/train/calibrate_owl.py --run .cache/train/family-shipped --clip-run .cache/train/clip-run
"""
import argparse
import json
import os
import random

import numpy as np
import torch

from common import CACHE, TRAIN_STYLES, Vocab, load_classes, load_sprites, normalize
from export_family import OWL_SIZE, OwlCosine, load_models
from train_family import Captions
from scenes import render_scenes

SEED = 97531


def box_iou1(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=os.path.join(CACHE, 'family-run'))
    ap.add_argument('--clip-run', default=None)
    ap.add_argument('--scenes', type=int, default=160)
    args = ap.parse_args()
    torch.set_num_threads(2)
    meta = load_classes()
    classes = meta['classes']
    vocab = Vocab(meta['vocab'])
    model, clip, crop, _, _ = load_models(args.run, args.clip_run, len(vocab.tokens))
    owl = OwlCosine(model, clip, crop)
    seen = [i for i, c in enumerate(classes) if c['split'] == 'train']
    sprites = [load_sprites(s, 'cpu', with_present=True) for s in TRAIN_STYLES]
    g = torch.Generator()
    g.manual_seed(SEED)
    rng = random.Random(SEED)
    caps = Captions(classes, seen, random.Random(SEED + 1))
    k_of = {c: k for k, c in enumerate(seen)}

    def wording(c):
        return classes[c]['captions'][0] if rng.random() < 0.5 else caps.caption(k_of[c])
    present, absent = [], []  # per query: cosines [K], log objectness [K], IoU of each proposal with the object
    with torch.no_grad():
        for i in range(args.scenes):
            st, pr = sprites[i % len(sprites)]
            pool = [c for c in seen if bool(pr[c])]

            def pick(n):
                ids = torch.tensor([rng.choice(pool) for _ in range(n)])
                return st[ids], ids

            img, objs, _ = render_scenes(pick, 1, OWL_SIZE, g, max_objects=5, min_objects=2, letterbox_p=0.0)
            objs = objs[0]
            absent_cls = rng.choice([c for c in pool if c not in {o[0] for o in objs}])
            texts = [wording(c) for c, _ in objs] + [wording(absent_cls)]
            ids, mask = vocab.batch(texts, 'cpu')
            cos, pobj, props = owl.parts(ids, mask, normalize(img))
            lobj = torch.log(pobj[0].clamp(min=1e-4)).numpy()
            corners = props[0].tolist()
            for q, (_, box) in enumerate(objs):
                present.append((cos[0, :, q].numpy(), lobj, np.array([box_iou1(cb, box) for cb in corners])))
            absent.append((cos[0, :, -1].numpy(), lobj, None))
    best = None
    for beta in (0.0, 0.05, 0.1, 0.2, 0.4):
        raw_p = [(cs + beta * lo, ious) for cs, lo, ious in present]
        raw_a = [cs + beta * lo for cs, lo, _ in absent]
        top_p = np.array([r.max() for r, _ in raw_p])
        hit_p = np.array([ious[int(r.argmax())] >= 0.5 for r, ious in raw_p])
        top_a = np.array([r.max() for r in raw_a])
        for c in np.arange(-1.0, 1.0, 0.005):
            ok_p = float(np.mean((top_p > c) & hit_p))
            ok_a = float(np.mean(top_a <= c))
            if best is None or ok_p + ok_a > best[0]:
                best = (ok_p + ok_a, beta, float(c), ok_p, ok_a, float(hit_p.mean()), top_p, top_a)
    _, beta, c, ok_p, ok_a, hit, top_p, top_a = best
    # a: the sigmoid's slope, so that the spread of top scores maps onto 0..1 (10th..90th percentile -> logit +-3).
    spread = max(np.percentile(np.concatenate([top_p, top_a]), 90) - np.percentile(np.concatenate([top_p, top_a]), 10), 1e-3)
    a = float(round(6.0 / spread, 2))
    cal = {'a': a, 'c': round(c, 4), 'beta': beta, 'note': 'logit = a * (cosine + beta * log(objectness) - c); calibrated on training-style validation scenes (seed %d)' % SEED,
           'validation': {'scenes': args.scenes, 'present_queries': len(present), 'absent_queries': len(absent),
                          'top_box_iou50': round(hit, 4), 'present_hit_and_above_0.5': round(ok_p, 4), 'absent_below_0.5': round(ok_a, 4)}}
    cal['min_score'] = 0.5
    with open(os.path.join(args.clip_run or args.run, 'owl_calibration.json'), 'w') as f:
        json.dump(cal, f, indent=2)
    print(json.dumps(cal))


if __name__ == '__main__':
    main()
