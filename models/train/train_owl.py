"""Trains the OWL-ViT-contract head (nets.OwlHead) on multi-object scenes of the TRAINING styles: per scene the family
detector's proposals (exactly as the exported graph makes them, export_family.Proposals) are cut out and scored against
a shared set of queries — the classes present in the batch's scenes and as many absent ones, worded as users type
(names, templates, keywords, other languages; common.TRAIN_TEMPLATES). Target of (proposal, query): the proposal overlaps
an object of the query's class with IoU >= 0.5. Sigmoid focal loss (OWL-ViT's), so scores are comparable across images
and "absent" has a meaning. The detector and the text tower stay frozen; the head's image tower starts from the CLIP run.

Then, on validation scenes of the training styles (fresh seed; never Apple/Facebook), it picks the default
`rerank.minScore`: the highest threshold that keeps 90 % of present queries' top boxes, and records how many absent
queries it rejects there. Writes owl_head.pt, owl_run.json next to the family run; export_family.py reads them.

  /usr/bin/python3 models/train/train_owl.py --run .cache/train/family-run --clip-run .cache/train/clip-run --minutes 12
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import CACHE, TRAIN_STYLES, Vocab, load_classes, load_sprites, normalize, render_single
from export_family import OWL_SIZE, Proposals, box_iou, load_models
from nets import OwlHead
from scenes import render_scenes
from train_family import Captions, jitter

VAL_SEED = 97531


def sigmoid_focal(logits, targets, alpha=0.25, gamma=2.0):
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    pt = p * targets + (1 - p) * (1 - targets)
    w = alpha * targets + (1 - alpha) * (1 - targets)
    return (w * ce * (1 - pt) ** gamma).sum()


class SceneSource:
    """Scenes of one training style at a time (objects of one scene share a style, as in real art), 2-5 objects."""

    def __init__(self, styles, pool_ids, g, rng, augment=False):
        self.styles, self.pool_ids, self.g, self.rng, self.augment = styles, pool_ids, g, rng, augment

    def __call__(self, n):
        st, pr = self.styles[self.rng.randrange(len(self.styles))]
        pool = [k for k, c in enumerate(self.pool_ids) if bool(pr[c])]

        def pick(m):
            ks = torch.tensor([self.rng.choice(pool) for _ in range(m)])
            spr = st[self.pool_ids[ks]]
            return (jitter(spr, self.g) if self.augment else spr), ks

        return render_scenes(pick, n, OWL_SIZE, self.g, max_objects=5, min_objects=2, letterbox_p=0.0)


def targets_for(objs, props, query_classes):
    """[S,K] proposals x queries -> [S,K,Q] 1 where the proposal overlaps (IoU >= 0.5) an object of the query's class."""
    s, k = props.shape[:2]
    t = torch.zeros(s, k, len(query_classes))
    col = {c: [j for j, q in enumerate(query_classes) if q == c] for c in set(query_classes)}
    for i, scene in enumerate(objs):
        for c, box in scene:
            if c not in col:
                continue
            iou = box_iou(props[i:i + 1], torch.tensor(box).view(1, 1, 4).expand(1, k, 4))[0, :, 0]
            for j in col[c]:
                t[i, :, j] = torch.maximum(t[i, :, j], (iou >= 0.5).float())
    return t


def query_image_embeds(clip, styles, train_ids, ks, crop, g, rng):
    """L2-normalised CLIP image embeddings of one render per class k (a style that draws it), as a query image."""
    sprites = []
    for k in ks:
        options = [st for st, pr in styles if bool(pr[train_ids[k]])]
        sprites.append(rng.choice(options)[train_ids[k]])
    img = render_single(torch.stack(sprites), g, white_p=0.5, scale=(0.6, 0.9))
    img = F.interpolate(img, size=(crop, crop), mode='bilinear', align_corners=False, antialias=True)
    return F.normalize(clip.image(normalize(img)), dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=os.path.join(CACHE, 'family-run'))
    ap.add_argument('--clip-run', default=os.path.join(CACHE, 'clip-run'))
    ap.add_argument('--minutes', type=float, default=12.0)
    ap.add_argument('--max-steps', type=int, default=0)
    ap.add_argument('--scenes', type=int, default=12)
    ap.add_argument('--absent', type=int, default=4, help='absent classes drawn per scene')
    ap.add_argument('--image-queries', type=float, default=0.3, help='share of queries given as an image of the thing (another style)')
    ap.add_argument('--lr', type=float, default=3e-4)
    ap.add_argument('--val-scenes', type=int, default=200)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=2468)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    meta = load_classes()
    classes = meta['classes']
    vocab = Vocab(meta['vocab'])
    model, clip, crop, _, _ = load_models(args.run, args.clip_run, len(vocab.tokens))
    for p in list(model.parameters()) + list(clip.parameters()):
        p.requires_grad_(False)
    proposals = Proposals(model, crop).eval()
    head = OwlHead(clip.image)
    head.train()
    # The head's tower keeps its BatchNorm statistics from the CLIP run (the exported graph runs in eval mode).
    for mod in head.image.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.eval()
    opt = torch.optim.AdamW([{'params': head.image.parameters(), 'lr': args.lr},
                             {'params': list(head.box_bias.parameters()) + [head.logit_scale, head.shift], 'lr': args.lr * 10}], weight_decay=0.01)
    train_ids = [i for i, c in enumerate(classes) if c['split'] == 'train']
    caps = Captions(classes, train_ids, random.Random(args.seed + 1))
    styles = [load_sprites(s, 'cpu', with_present=True) for s in TRAIN_STYLES]
    g = torch.Generator()
    g.manual_seed(args.seed)
    source = SceneSource(styles, torch.tensor(train_ids), g, rng, augment=True)
    base_lrs = [grp['lr'] for grp in opt.param_groups]
    budget, t0, step, hist = args.minutes * 60, time.time(), 0, []
    while time.time() - t0 < budget and not (args.max_steps and step >= args.max_steps):
        frac = (time.time() - t0) / budget
        for grp, lr in zip(opt.param_groups, base_lrs):
            grp['lr'] = lr * min(1.0, (step + 1) / 30) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        img, objs, _ = source(args.scenes)
        x = normalize(img)
        with torch.no_grad():
            props, pobj, crops = proposals(x)
        present = sorted({c for scene in objs for c, _ in scene})
        absent = [k for k in rng.sample(range(len(train_ids)), args.absent * args.scenes + len(present)) if k not in set(present)]
        absent = absent[:args.absent * args.scenes]
        query_classes = present + absent
        with torch.no_grad():
            ids, mask = vocab.batch([caps.caption(k) for k in query_classes], 'cpu')
            te = F.normalize(clip.text(ids, mask), dim=-1)
            # Image-guided queries (OWL-ViT's image conditioning): the query is a picture of the thing in a random style.
            use_image = torch.rand(len(query_classes), generator=g) < args.image_queries
            if use_image.any():
                qk = [k for k, u in zip(query_classes, use_image.tolist()) if u]
                te[use_image] = query_image_embeds(clip, styles, train_ids, qk, crop, g, rng)
        logits = head(crops, torch.log(pobj.clamp(min=1e-4)).reshape(-1), te).view(args.scenes, props.shape[1], -1)
        t = targets_for(objs, props, query_classes)
        loss = sigmoid_focal(logits, t) / max(float(t.sum()), 1.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 5.0)
        opt.step()
        hist.append(loss.item())
        step += 1
        if step % 25 == 0:
            print(f'step {step} {time.time() - t0:.0f}s focal {np.mean(hist[-25:]):.4f} scale {head.logit_scale.exp().item():.1f} '
                  f'shift {head.shift.item():.2f}', flush=True)
    seconds = time.time() - t0
    head.eval()
    torch.save(head.state_dict(), os.path.join(args.run, 'owl_head.pt'))
    validation = validate(proposals, clip, head, vocab, classes, train_ids, styles, args.val_scenes)
    run = {'seed': args.seed, 'steps': step, 'seconds': round(seconds, 1), 'scenes_per_step': args.scenes, 'absent_per_scene': args.absent,
           'lr': args.lr, 'styles': list(TRAIN_STYLES), 'final_focal': round(float(np.mean(hist[-50:])), 5) if hist else None,
           'min_score': validation['min_score'], 'validation': validation}
    with open(os.path.join(args.run, 'owl_run.json'), 'w') as f:
        json.dump(run, f, indent=2)
    print(json.dumps(run), flush=True)


def validate(proposals, clip, head, vocab, classes, train_ids, styles, n_scenes):
    """Top-box accuracy, and the default minScore: the highest threshold keeping 90 % of present queries' top boxes
    (training styles, fresh seed). Queries are plain names here (the eval of held-out styles is eval-detectors.ts)."""
    g = torch.Generator()
    g.manual_seed(VAL_SEED)
    rng = random.Random(VAL_SEED)
    source = SceneSource(styles, torch.tensor(train_ids), g, rng)
    top_p, hit_p, top_a = [], [], []
    with torch.no_grad():
        for _ in range(n_scenes // 4):
            img, objs, _ = source(4)
            props, pobj, crops = proposals(normalize(img))
            for i, scene in enumerate(objs):
                present = [c for c, _ in scene]
                absent = rng.choice([k for k in range(len(train_ids)) if k not in set(present)])
                ids, mask = vocab.batch([classes[train_ids[k]]['captions'][0] for k in present + [absent]], 'cpu')
                te = F.normalize(clip.text(ids, mask), dim=-1)
                sig = head(crops[i * props.shape[1]:(i + 1) * props.shape[1]], torch.log(pobj[i].clamp(min=1e-4)), te).sigmoid()
                for q, (_, box) in enumerate(scene):
                    j = int(sig[:, q].argmax())
                    iou = box_iou(props[i:i + 1, j:j + 1], torch.tensor(box).view(1, 1, 4))[0, 0, 0]
                    top_p.append(float(sig[j, q]))
                    hit_p.append(bool(iou >= 0.5))
                top_a.append(float(sig[:, -1].max()))
    top_p, hit_p, top_a = np.array(top_p), np.array(hit_p), np.array(top_a)
    min_score = float(np.percentile(top_p, 10))
    return {'scenes': n_scenes, 'present_queries': int(len(top_p)), 'absent_queries': int(len(top_a)),
            'top_box_iou50': round(float(hit_p.mean()), 4), 'min_score': round(min_score, 4),
            'present_kept_at_min_score': round(float((top_p >= min_score).mean()), 4),
            'absent_rejected_at_min_score': round(float((top_a < min_score).mean()), 4),
            'absent_rejected_at_0.5': round(float((top_a < 0.5).mean()), 4), 'present_kept_at_0.5': round(float((top_p >= 0.5).mean()), 4)}


if __name__ == '__main__':
    main()
