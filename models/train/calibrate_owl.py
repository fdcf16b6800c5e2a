"""Calibrates the cosine form of the OWL-ViT contract (export_family.OwlCosine: the emoji-yolox proposals scored by the
CLIP towers, logit = a * (cosine + beta * log(objectness) - c)) on validation scenes of the TRAINING styles (fresh
seed; never the held-out Apple/Facebook styles). Queries are worded as users type: half plain English names, half
drawn like training captions (templates, keywords, other languages). beta is chosen by grid search
(with an offset) maximising P(top box IoU >= 0.5 and above the offset | present) + P(below it | absent); then a and c
are fitted by logistic regression (Platt scaling) on each query's top box, so sigmoid(logit) is the probability that
the box shows the query (expected calibration error reported). The default rerank minScore is chosen for the question
users ask of a collection, "is it in any of my top 10 hits?": it maximises right top hits kept + absent queries whose
best box over 10 scenes without them stays below it. Writes owl_calibration.json into the CLIP run folder;
export_family.py --owl-form cosine reads it.

  /usr/bin/python3 models/train/calibrate_owl.py --run .cache/train/family-shipped --clip-run .cache/train/clip-run
"""
import argparse
import json
import os
import random

import numpy as np
import torch

from common import CACHE, ROOT, TRAIN_STYLES, Vocab, load_classes, load_sprites, normalize
from export_family import OWL_DET_SIZE, OWL_SIZE, OwlCosine, load_models, with_ensemble
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
    ap.add_argument('--ensemble-image', default=None, help='score crops with the CLIP run\'s image tower ensembled with this '
                    'shipped folder\'s (export_family.EnsembleImage); recorded in owl_calibration.json for the export')
    args = ap.parse_args()
    torch.set_num_threads(2)
    meta = load_classes()
    classes = meta['classes']
    vocab = Vocab(meta['vocab'])
    model, clip, crop, _, _ = load_models(args.run, args.clip_run, len(vocab.tokens))
    owl = OwlCosine(model, with_ensemble(clip, args.ensemble_image, len(vocab.tokens), crop), crop)
    seen = [i for i, c in enumerate(classes) if c['split'] == 'train']
    sprites = [load_sprites(s, 'cpu', with_present=True) for s in TRAIN_STYLES]
    g = torch.Generator()
    g.manual_seed(SEED)
    rng = random.Random(SEED)
    caps = Captions(classes, seen, random.Random(SEED + 1))
    k_of = {c: k for k, c in enumerate(seen)}

    def wording(c):
        return classes[c]['captions'][0] if rng.random() < 0.5 else caps.caption(k_of[c])
    present, absent, scene_parts = [], [], []  # per query: cosines [K], log objectness [K], IoU of each proposal with the object
    absent_texts, scene_labels = [], []
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
            absent_texts.append((absent_cls, texts[-1]))
            scene_labels.append({c for c, _ in objs})
            scene_parts.append(normalize(img))
        # Every absent query against every scene that does not show it: "is it in the collection?" takes the best
        # box over several reranked images, so the default cutoff is chosen on that, not on one image.
        ids, mask = vocab.batch([t for _, t in absent_texts], 'cpu')
        cross = []  # [scenes] of (cosines [K, A], log objectness [K])
        for img in scene_parts:
            cos, pobj, _ = owl.parts(ids, mask, img)
            cross.append((cos[0].numpy(), torch.log(pobj[0].clamp(min=1e-4)).numpy()))
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
                best = (ok_p + ok_a, beta, float(c), ok_p, ok_a, float(hit_p.mean()), top_p, top_a, hit_p)
    _, beta, c_sep, ok_p, ok_a, hit, top_p, top_a, hit_p = best
    # Platt scaling: sigmoid(a * (raw - c)) = P(the image's top box shows the queried thing), fitted by logistic
    # regression on every query's top box (present queries: right iff IoU >= 0.5; absent queries: never right).
    x = torch.tensor(np.concatenate([top_p, top_a]), dtype=torch.float64)
    y = torch.tensor(np.concatenate([hit_p.astype(np.float64), np.zeros(len(top_a))]))
    w = torch.tensor([6.0 / max(float(x.std()), 1e-3), -6.0 * c_sep / max(float(x.std()), 1e-3)], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=200, line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(w[0] * x + w[1], y)
        loss.backward()
        return loss
    opt.step(closure)
    a = float(w[0].detach())
    c = float(-w[1].detach() / w[0].detach())
    prob = 1 / (1 + np.exp(-a * (x.numpy() - c)))
    bins = np.minimum((prob * 10).astype(int), 9)
    ece = float(sum(abs(prob[bins == b].mean() - y.numpy()[bins == b].mean()) * (bins == b).mean() for b in range(10) if (bins == b).any()))

    def score(raw):
        return 1 / (1 + np.exp(-a * (raw - c)))
    # Collection level: a present query keeps its right top hit if its score clears the cutoff; an absent query is
    # rejected if no box in any of `depth` scenes without it does (rerank's default depth is 10).
    depth = 10
    absent_best = []
    for j, (cls, _) in enumerate(absent_texts):
        others = [i for i in range(len(cross)) if cls not in scene_labels[i]]
        chosen = rng.sample(others, min(depth, len(others)))
        absent_best.append(max(float((cross[i][0][:, j] + beta * cross[i][1]).max()) for i in chosen))
    absent_best = score(np.array(absent_best))
    right = score(top_p[hit_p])
    options = []
    for t in np.arange(0.05, 0.96, 0.01):
        keep, reject = float(np.mean(right >= t)), float(np.mean(absent_best < t))
        options.append((keep + reject, round(float(t), 2), keep, reject))
    _, min_score, keep, reject = max(options)
    cal = {'a': round(a, 4), 'c': round(c, 4), 'beta': beta,
           'note': 'logit = a * (cosine + beta * log(objectness) - c): Platt-scaled probability that an image\'s top box shows '
                   'the query; calibrated on training-style validation scenes (seed %d)' % SEED,
           'validation': {'scenes': args.scenes, 'present_queries': len(present), 'absent_queries': len(absent),
                          'top_box_iou50': round(hit, 4), 'expected_calibration_error': round(ece, 4),
                          'single_image': {'present_hit_and_above_0.5': round(float(np.mean((score(top_p) >= 0.5) & hit_p)), 4),
                                           'absent_below_0.5': round(float(np.mean(score(top_a) < 0.5)), 4)},
                          'collection_depth_10': {'min_score': min_score, 'right_top_hits_kept': round(keep, 4),
                                                  'absent_rejected': round(reject, 4),
                                                  'curve': {f'{t:.1f}': [round(k, 3), round(r, 3)] for _, t, k, r in options
                                                            if abs(t * 10 - round(t * 10)) < 1e-6}}}}
    cal['min_score'] = min_score
    cal['detector_side'] = OWL_DET_SIZE
    if args.ensemble_image:
        cal['ensemble_image'] = os.path.relpath(os.path.abspath(args.ensemble_image), ROOT)
    with open(os.path.join(args.clip_run or args.run, 'owl_calibration.json'), 'w') as f:
        json.dump(cal, f, indent=2)
    print(json.dumps(cal))


if __name__ == '__main__':
    main()
