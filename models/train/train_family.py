"""Trains Loupe's emoji model family (nets.py) in one multitask run on rendered scenes of the licence-clean styles only
(Google, Twitter, OpenMoji, Fluent flat/modern — never Apple or Facebook, never the 100 unseen classes):
- single-object crops (CROP px): full-softmax CLIP loss of the image tower against the text tower's embedding of every
  training class (a random caption each step), and BCE of the attention logits against the object's coverage;
- multi-object scenes (SCENE px, 1-5 objects at 8-70 % of the side, letterbox bands): BCE of the attention logits
  against the coverage of all objects, YOLOX-style objectness and box regression per grid cell (strides 8/16/32).

Text supervision (issue 11): each step every training class gets one caption — its English name or a short name, often
inside one of TRAIN_TEMPLATES ("a photo of a ...", "where is the ...?"), a specific English keyword ("puppy" -> dog face),
or its name in one of ~30 languages — for the full-softmax loss; and each crop gets one of its tags (English keywords,
localized CLDR tags) for a multi-positive text->image loss over the batch (a tag like "bird" is right for every bird).

  /usr/bin/python3 models/train/train_family.py --minutes 40          # CPU, 2 threads; the schedule follows the time budget
  ... --device cuda                                                   # the same run on a GPU host
Checkpoints (model, optimizer, step, elapsed time, random states) go to <out>/checkpoint.pt every few minutes; run the
same command again to resume (the time budget counts the time already spent).
"""
import argparse
import collections
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import CACHE, ORIGINAL_STYLES, STOPWORDS, TRAIN_STYLES, TRAIN_TEMPLATES, Vocab, load_classes, load_sprites, normalize
from nets import CROP, HEAD_THRESHOLDS, Family, grid_outputs
from scenes import proposal_crops, render_scenes

SCENE = 192


def jitter(sprites, g):
    """Colour, saturation and softness jitter of the sprites, so the towers do not lock onto one art style."""
    b = sprites.shape[0]
    r = lambda *s: torch.rand(*s, generator=g, device=sprites.device)
    rgb, a = sprites[:, :3], sprites[:, 3:]
    gain = 0.8 + 0.4 * r(b, 3, 1, 1)
    bias = (r(b, 3, 1, 1) - 0.5) * 0.16
    rgb = (rgb * gain + bias).clamp(0, 1)
    gray = rgb.mean(1, keepdim=True)
    sat = 0.6 + 0.7 * r(b, 1, 1, 1)
    rgb = (gray + (rgb - gray) * sat).clamp(0, 1)
    gamma = torch.exp((r(b, 1, 1, 1) - 0.5) * 0.6)
    rgb = rgb.clamp(min=1e-4) ** gamma
    blur = (r(b, 1, 1, 1) < 0.3).float()
    soft = F.avg_pool2d(torch.cat([rgb * a, a], 1), 3, 1, 1)
    soft_rgb = soft[:, :3] / soft[:, 3:].clamp(min=1e-3)
    rgb = rgb * (1 - blur) + soft_rgb.clamp(0, 1) * blur
    a = a * (1 - blur) + soft[:, 3:] * blur
    return torch.cat([rgb, a], 1)


class Picker:
    """Samples (class, style) pairs: classes uniformly among the training classes, styles among those drawing it."""

    def __init__(self, stacked, present, train_ids, g, hflip_p=0.0):
        self.stacked, self.g, self.hflip_p = stacked, g, hflip_p
        self.train_ids = torch.tensor(train_ids)
        self.present = present[:, self.train_ids].float()  # [styles, T]

    def __call__(self, n):
        k = torch.randint(0, len(self.train_ids), (n,), generator=self.g, device=self.g.device)
        style = torch.multinomial(self.present[:, k].t(), 1, generator=self.g).flatten()
        cls = self.train_ids[k]
        spr = jitter(self.stacked[style, cls], self.g)
        if self.hflip_p:  # styles disagree on which way a face, animal or vehicle looks: mirror some sprites
            flip = torch.rand(n, generator=self.g, device=self.g.device) < self.hflip_p
            spr = torch.where(flip.view(n, 1, 1, 1), spr.flip(-1), spr)
        return spr, k  # k: index among the training classes


class MixStyle:
    """MixStyle (Zhou et al., ICLR 2021) as a forward hook on a backbone stage, training only: with probability p the
    batch's per-channel feature means and deviations are mixed with those of a shuffled copy of the batch (Beta(a, a)
    weights), so the tower cannot key on a style's colour and texture statistics. Not part of any exported graph."""

    def __init__(self, p=0.5, alpha=0.1):
        self.p, self.beta = p, torch.distributions.Beta(alpha, alpha)

    def __call__(self, module, inputs, out):
        if not module.training or random.random() > self.p or out.shape[0] < 2:
            return out
        b = out.shape[0]
        mu = out.mean((2, 3), keepdim=True).detach()
        sig = (out.var((2, 3), keepdim=True) + 1e-6).sqrt().detach()
        lam = self.beta.sample((b, 1, 1, 1)).to(out.device)
        perm = torch.randperm(b, device=out.device)
        return (out - mu) / sig * (lam * sig + (1 - lam) * sig[perm]) + lam * mu + (1 - lam) * mu[perm]


class Captions:
    """The texts of the training classes (index k among them) and how one is drawn per step."""

    def __init__(self, classes, train_ids, rng, max_share=3, i18n_p=0.35, keyword_p=0.15, template_p=0.5):
        share = collections.Counter(kw for i in train_ids for kw in classes[i].get('keywords', []))
        self.rng, self.i18n_p, self.keyword_p, self.template_p = rng, i18n_p, keyword_p, template_p
        self.filler_p = 0.0  # share of captions with 1-3 stopwords inserted (common.STOPWORDS)
        self.names = [classes[i]['captions'] for i in train_ids]
        # A keyword stands in for the name only when it is specific (few classes have it): "puppy", not "animal".
        self.keywords = [[kw for kw in classes[i].get('keywords', []) if share[kw] <= max_share] for i in train_ids]
        self.i18n = [[v['label'] for v in classes[i].get('i18n', {}).values()] for i in train_ids]
        self.tags = [[('en', kw) for kw in classes[i].get('keywords', [])] +
                     [(loc, t) for loc, v in classes[i].get('i18n', {}).items() for t in v['tags']] for i in train_ids]
        self.tag_sets = [{f'{loc}:{t}' for loc, t in tags} for tags in self.tags]

    def caption(self, k):
        t = self._caption(k)
        if self.filler_p and self.rng.random() < self.filler_p:
            words = t.split()
            for _ in range(self.rng.randint(1, 3)):
                words.insert(self.rng.randint(0, len(words)), self.rng.choice(STOPWORDS))
            t = ' '.join(words)
        return t

    def _caption(self, k):
        r = self.rng.random()
        if r < self.i18n_p and self.i18n[k]:
            return self.rng.choice(self.i18n[k])
        if r < self.i18n_p + self.keyword_p and self.keywords[k]:
            t = self.rng.choice(self.keywords[k])
        else:
            t = self.rng.choice(self.names[k])
        return self.rng.choice(TRAIN_TEMPLATES).format(t) if self.rng.random() < self.template_p else t

    def tag_batch(self, labels):
        """One tag per crop (its class's, or its name) and the [B, B] positives: tag j fits crop i."""
        pairs = [self.rng.choice(self.tags[k]) if k >= 0 and self.tags[k] else ('en', self.names[max(k, 0)][0]) for k in labels]
        keys = [f'{loc}:{t}' for loc, t in pairs]
        pos = [[k >= 0 and labels[j] >= 0 and (k == labels[j] or keys[j] in self.tag_sets[k]) for k in labels] for j in range(len(labels))]
        return [t for _, t in pairs], torch.tensor(pos)


def embed_texts(tower, vocab, texts, dev, buckets=4):
    """The text tower over texts, in length buckets (sorted by token count) so short captions are not padded to the
    longest one; same result as one padded batch (padding is masked), a fraction of the work."""
    rows = [vocab.ids_of(t)[:vocab.max_tokens] or [1] for t in texts]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out = [None] * len(rows)
    size = max(1, -(-len(order) // buckets))
    for b in range(0, len(order), size):
        idx = order[b:b + size]
        length = max(len(rows[i]) for i in idx)
        ids = torch.tensor([rows[i] + [0] * (length - len(rows[i])) for i in idx], dtype=torch.long, device=dev)
        mask = torch.tensor([[1] * len(rows[i]) + [0] * (length - len(rows[i])) for i in idx], dtype=torch.long, device=dev)
        emb = tower(ids, mask)
        for j, i in enumerate(idx):
            out[i] = emb[j]
    return torch.stack(out)


def head_targets(coverage, side):
    """coverage [b,side,side] -> per-head token targets [b, H, T] (token = stride-8 cell, coverage = mean alpha)."""
    cov = F.avg_pool2d(coverage.unsqueeze(1), 8).flatten(1)
    return torch.stack([(cov > t).float() for t in HEAD_THRESHOLDS], 1)


def det_targets(objects, grid):
    """Per image: positives (cells near the object's centre, inside it, on the levels suited to its size; the smaller
    object wins a shared cell) with (dx, dy, log w, log h) targets in stride units."""
    n = grid.shape[0]
    gx, gy, s = grid[:, 0], grid[:, 1], grid[:, 2]
    ccx, ccy = (gx + 0.5) * s, (gy + 0.5) * s
    b = len(objects)
    pos = torch.zeros(b, n, dtype=torch.bool)
    box = torch.zeros(b, n, 4)
    best = torch.full((b, n), float('inf'))
    for i, objs in enumerate(objects):
        for _, (x1, y1, x2, y2) in objs:
            w, h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
            m = max(w, h)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            level = ((s == 8) & (m <= 56)) | ((s == 16) & (m >= 32) & (m <= 128)) | ((s == 32) & (m >= 88))
            inside = (ccx > x1) & (ccx < x2) & (ccy > y1) & (ccy < y2)
            near = ((ccx - cx).abs() < 1.5 * s) & ((ccy - cy).abs() < 1.5 * s)
            centre = (gx == torch.floor(cx / s)) & (gy == torch.floor(cy / s))
            cand = level & ((inside & near) | centre)
            area = w * h
            win = cand & (area < best[i])
            best[i][win] = area
            pos[i] |= win
            t = torch.stack([cx / s - gx, cy / s - gy, torch.log(w / s), torch.log(h / s)], 1)
            box[i][win] = t[win]
    return pos, box


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=CACHE)
    ap.add_argument('--out', default=os.path.join(CACHE, 'family-run'))
    ap.add_argument('--minutes', type=float, default=40.0)
    ap.add_argument('--max-steps', type=int, default=0)
    ap.add_argument('--crops', type=int, default=128, help='single-object crops per step')
    ap.add_argument('--scenes', type=int, default=6, help='multi-object scenes per step')
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--crop', type=int, default=CROP, help='side of the CLIP image tower input (multiple of 8)')
    ap.add_argument('--warmup-crop', type=int, default=0, help='train at this smaller crop side first (progressive resizing), then at --crop')
    ap.add_argument('--warmup-frac', type=float, default=0.6, help='share of the time budget spent at --warmup-crop')
    ap.add_argument('--init-image', default=None, help='start the image tower from a shipped CLIP folder of this family (its ONNX)')
    ap.add_argument('--init-text', default=None, help='start the text tower from this state dict (distill_text.py)')
    ap.add_argument('--distill-text', default=None, help='also pull the new text tower towards this shipped CLIP folder\'s embeddings of the English names')
    ap.add_argument('--distill-weight', type=float, default=1.0)
    ap.add_argument('--freeze-image-frac', type=float, default=0.0, help='share of the budget with the image tower frozen (text tower catches up)')
    ap.add_argument('--image-lr-mult', type=float, default=1.0, help='image tower lr relative to --lr')
    ap.add_argument('--clip-only', action='store_true', help='only the CLIP towers (crops); no scenes, no detector')
    ap.add_argument('--label-smoothing', type=float, default=0.1)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu', help='cpu or cuda')
    ap.add_argument('--styles', default='all', help="'all' (TRAIN_STYLES) or 'original' (the first runs' 5 styles, for ablations)")
    ap.add_argument('--text', default='full', choices=('full', 'names'), help="'names': names only (ablation: no templates, keywords, languages)")
    ap.add_argument('--tag-weight', type=float, default=0.5)
    ap.add_argument('--negatives', type=int, default=768, help='classes in the softmax per step (batch classes + random); 0 = all')
    ap.add_argument('--hflip-p', type=float, default=0.0, help='share of sprites mirrored left-right')
    ap.add_argument('--mixstyle-p', type=float, default=0.0, help='MixStyle on the image backbone\'s first two stages with this probability per step')
    ap.add_argument('--scene-crop-p', type=float, default=0.0, help='share of the crops cut from crowded scenes as the '
                    'engine cuts detector proposals (scenes.proposal_crops: jittered boxes, neighbours, junk proposals)')
    ap.add_argument('--junk-p', type=float, default=0.2, help='share of the scene crops that are junk proposals, trained '
                    'towards a learned "no object" embedding (training only) so they score low for every name')
    ap.add_argument('--no-bn-recalibration', action='store_true', help='with --init-image: leave the unfolded '
                    'BatchNorms as identities (train mode then drops the folded scale and shift; from_onnx.recalibrate_batchnorm)')
    ap.add_argument('--init-state', default=None, help='start the image tower from a run folder\'s family.pt (e.g. the run '
                    'behind the shipped tower; exact BatchNorm statistics, unlike --init-image)')
    ap.add_argument('--checkpoint-minutes', type=float, default=3.0)
    ap.add_argument('--fixed-text', default=None, help="train the image tower alone against this shipped CLIP folder's "
                    "(fixed) embeddings of the English names; the text tower (from --init-text) is frozen, so a text "
                    "tower distilled into the same space (distill_text.py) stays valid")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    g = torch.Generator(device=dev)
    g.manual_seed(args.seed)
    styles = TRAIN_STYLES if args.styles == 'all' else ORIGINAL_STYLES

    meta = load_classes(args.data)
    classes = meta['classes']
    vocab = Vocab(meta['vocab'])
    train_ids = [i for i, c in enumerate(classes) if c['split'] == 'train']
    loaded = [load_sprites(s, dev, args.data, with_present=True) for s in styles]
    stacked = torch.stack([sp for sp, _ in loaded])
    present = torch.stack([p for _, p in loaded])
    pick = Picker(stacked, present, train_ids, g, hflip_p=args.hflip_p)
    model = Family(len(vocab.tokens), detector=not args.clip_only)
    if args.init_image:
        from from_onnx import load_image_tower
        load_image_tower(model.image, args.init_image)
        print(f'image tower initialised from {args.init_image}', flush=True)
        if not args.no_bn_recalibration:
            from from_onnx import recalibrate_batchnorm
            cal = [normalize(render_scenes(pick, 128, args.crop, g, max_objects=1, scale=(0.5, 0.95), white_p=0.2, letterbox_p=0.0)[0])
                   for _ in range(4)]
            (b0, ref), (b1, _) = recalibrate_batchnorm(model.image, cal)
            print(f'BatchNorm recalibrated on {len(cal) * 128} crops: train-mode vs exported embedding max abs diff '
                  f'{b0:.3f} -> {b1:.3f} (embeddings up to {ref:.2f})', flush=True)
    if args.init_state:
        state = torch.load(os.path.join(args.init_state, 'family.pt'), map_location='cpu')
        model.image.load_state_dict({k[len('image.'):]: v for k, v in state.items() if k.startswith('image.')})
        print(f'image tower initialised from {args.init_state}/family.pt', flush=True)
    if args.init_text:
        model.text.load_state_dict(torch.load(args.init_text))
        print(f'text tower initialised from {args.init_text}', flush=True)
    fixed = None
    if args.fixed_text:
        from from_onnx import old_text_embeddings
        fixed = F.normalize(old_text_embeddings(args.fixed_text, [classes[i]['captions'][0] for i in train_ids]), dim=-1).to(dev)
        fixed_ok = (fixed.norm(dim=-1) > 0).tolist()
        for p_ in model.text.parameters():
            p_.requires_grad_(False)
        print(f'fixed targets: {args.fixed_text} English names ({int((fixed.norm(dim=-1) > 0).sum())} of {len(train_ids)} non-zero); text tower frozen', flush=True)
    if args.mixstyle_p:
        for stage in (1, 3):  # after the residual blocks at strides 2 and 4
            model.image.backbone.net[stage].register_forward_hook(MixStyle(args.mixstyle_p))
    model = model.to(dev)
    # The "no object" embedding junk proposals are pulled towards (a softmax column next to the class names).
    null = torch.nn.Parameter(torch.randn(256, device=dev) * 0.05)
    image_params = list(model.image.parameters()) + [null]
    ids_image = {id(p) for p in image_params}
    opt = torch.optim.AdamW([{'params': image_params, 'lr_mult': args.image_lr_mult, 'frozen_until': args.freeze_image_frac},
                             {'params': [p for p in model.parameters() if id(p) not in ids_image and p.requires_grad], 'lr_mult': 1.0, 'frozen_until': 0.0}],
                            lr=args.lr, weight_decay=0.05)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'{len(train_ids)} training classes x {len(styles)} styles ({int(present[:, train_ids].sum())} sprites), '
          f'vocab {len(vocab.tokens)}, {n_params / 1e6:.2f}M parameters, device {dev}, crop {args.crop}{" after " + str(args.warmup_crop) if args.warmup_crop else ""}', flush=True)
    caps = Captions(classes, train_ids, random.Random(args.seed + 1))
    if args.text == 'names':
        caps.i18n_p = caps.keyword_p = caps.template_p = 0.0

    distill = None
    if args.distill_text:
        from from_onnx import old_text_embeddings
        pairs = [(k, c) for k, i in enumerate(train_ids) for c in classes[i]['captions']]
        targets = old_text_embeddings(args.distill_text, [c for _, c in pairs]).to(dev)
        keep = targets.norm(dim=-1) > 0
        distill = ([c for (_, c), ok in zip(pairs, keep.tolist()) if ok], targets[keep])
        print(f'distilling {len(distill[0])} English names from {args.distill_text}', flush=True)

    budget = args.minutes * 60
    step, hist, spent = 0, [], 0.0
    ckpt_path = os.path.join(args.out, 'checkpoint.pt')
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=dev)
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        step, hist, spent = ck['step'], ck['hist'], ck['elapsed']
        if 'null' in ck:
            with torch.no_grad():
                null.copy_(ck['null'])
        g.set_state(ck['g'].to(g.get_state().device) if hasattr(ck['g'], 'to') else ck['g'])
        random.setstate(ck['py_random'])
        caps.rng.setstate(ck['caps_random'])
        torch.set_rng_state(ck['torch_random'])
        print(f'resumed {ckpt_path} at step {step}, {spent:.0f}s spent', flush=True)

    def save_checkpoint(elapsed):
        os.makedirs(args.out, exist_ok=True)
        torch.save({'model': model.state_dict(), 'null': null.detach(), 'opt': opt.state_dict(), 'step': step, 'hist': hist[-200:], 'elapsed': elapsed,
                    'g': g.get_state(), 'py_random': random.getstate(), 'caps_random': caps.rng.getstate(),
                    'torch_random': torch.get_rng_state()}, ckpt_path + '.tmp')
        os.replace(ckpt_path + '.tmp', ckpt_path)

    t0 = time.time() - spent
    last_ckpt = time.time()
    while True:
        elapsed = time.time() - t0
        if time.time() - last_ckpt > args.checkpoint_minutes * 60:
            save_checkpoint(elapsed)
            last_ckpt = time.time()
        frac = elapsed / budget if budget > 0 else 1.0  # --minutes 0: no training, just write the (initialised) towers
        if frac >= 1 or (args.max_steps and step >= args.max_steps):
            break
        lr = args.lr * min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        for group in opt.param_groups:
            group['lr'] = 0.0 if frac < group['frozen_until'] else lr * group['lr_mult']
        model.train()
        # --- crops: CLIP loss + attention
        side = args.warmup_crop if args.warmup_crop and frac < args.warmup_frac else args.crop
        n_scene = int(round(args.crops * args.scene_crop_p))
        crop_img, crop_objs, crop_cov = render_scenes(pick, args.crops - n_scene, side, g, max_objects=1, scale=(0.5, 0.95),
                                                      white_p=0.2, letterbox_p=0.0)
        label_list = [int(o[0][0]) if o else -100 for o in crop_objs]
        if n_scene:
            sc_crops, sc_labels, sc_cov = proposal_crops(pick, n_scene, side, g, neg_p=args.junk_p)
            crop_img, crop_cov = torch.cat([crop_img, sc_crops]), torch.cat([crop_cov, sc_cov])
            label_list += sc_labels.tolist()  # -1: junk proposal
        if fixed is not None:  # classes whose English name the teacher cannot embed have no target
            label_list = [k if (k >= 0 and fixed_ok[k]) or k == -1 else -100 for k in label_list]
        labels = torch.tensor(label_list, device=dev)
        feat = model.image.backbone(normalize(crop_img))
        emb, att = model.image.pool(feat)
        # Softmax over the batch's classes and random others (args.negatives in all; 0 = every training class).
        if args.negatives and args.negatives < len(train_ids):
            in_batch = sorted({k for k in label_list if k >= 0})
            rest = [k for k in random.sample(range(len(train_ids)), min(len(train_ids), args.negatives + len(in_batch))) if k not in set(in_batch)]
            cls_set = in_batch + rest[:max(0, args.negatives - len(in_batch))]
        else:
            cls_set = list(range(len(train_ids)))
        col = {k: j for j, k in enumerate(cls_set)}
        junk = len(cls_set) if n_scene and args.junk_p > 0 else -100  # the "no object" column, when there are junk crops
        labels = torch.tensor([col[k] if k >= 0 else (junk if k == -1 else -100) for k in label_list], device=dev)
        if fixed is not None:
            te = fixed[cls_set]
        else:
            texts = [caps.caption(k) for k in cls_set]
            te = F.normalize(embed_texts(model.text, vocab, texts, dev), dim=-1)
        ie = F.normalize(emb, dim=-1)
        scale = model.logit_scale.exp().clamp(max=100)
        cols = torch.cat([te, F.normalize(null, dim=0).unsqueeze(0)]) if junk >= 0 else te
        loss_clip = F.cross_entropy(scale * ie @ cols.t(), labels, label_smoothing=args.label_smoothing, ignore_index=-100)
        if args.text == 'full' and args.tag_weight > 0 and fixed is None:
            # Tags: text -> image over the batch's crops, every crop the tag fits is a positive.
            tag_texts, tag_pos = caps.tag_batch([k if k >= 0 else -1 for k in label_list])
            tag_pos = tag_pos.to(dev)
            tl = scale * F.normalize(embed_texts(model.text, vocab, tag_texts, dev), dim=-1) @ ie.t()
            rows = tag_pos.any(1)
            loss_tag = (torch.logsumexp(tl, 1) - torch.logsumexp(tl.masked_fill(~tag_pos, -1e4), 1))[rows].mean()
            loss_clip = loss_clip + args.tag_weight * loss_tag
        if distill is not None and fixed is None:
            pick_d = random.sample(range(len(distill[0])), min(512, len(distill[0])))
            de = F.normalize(embed_texts(model.text, vocab, [distill[0][i] for i in pick_d], dev), dim=-1)
            loss_clip = loss_clip + args.distill_weight * (1 - (de * distill[1][pick_d]).sum(-1)).mean()
        bias = model.head_bias.view(1, -1, 1)
        loss_att = F.binary_cross_entropy_with_logits(att + bias, head_targets(crop_cov, side))
        if args.clip_only:
            loss_obj = loss_box = torch.zeros(())
            loss = loss_clip + 0.5 * loss_att
        else:
            # --- scenes: attention over all objects + detection
            sc_img, sc_objs, sc_cov = render_scenes(pick, args.scenes, SCENE, g)
            feat = model.image.backbone(normalize(sc_img))
            loss_att = loss_att + F.binary_cross_entropy_with_logits(model.image.pool.logits(feat) + bias, head_targets(sc_cov, SCENE))
            raw, grid = grid_outputs(model.det(feat))
            pos, box_t = det_targets(sc_objs, grid.cpu())
            pos, box_t = pos.to(dev), box_t.to(dev)
            n_pos = max(int(pos.sum()), 1)
            loss_obj = F.binary_cross_entropy_with_logits(raw[..., 0], pos.float(), reduction='sum') / n_pos
            loss_box = F.smooth_l1_loss(raw[..., 1:][pos], box_t[pos], beta=0.1, reduction='sum') / n_pos
            loss = loss_clip + 0.5 * loss_att + loss_obj + 2.0 * loss_box
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        hist.append([loss.item(), loss_clip.item(), loss_att.item(), loss_obj.item(), loss_box.item()])
        step += 1
        if step % 50 == 0:
            m = np.mean(hist[-50:], 0)
            named = (labels >= 0) & (labels < len(cls_set))
            acc = (ie @ te.t()).argmax(1).eq(labels)[named].float().mean().item()
            print(f'step {step} {elapsed:.0f}s loss {m[0]:.3f} clip {m[1]:.3f} att {m[2]:.3f} obj {m[3]:.3f} box {m[4]:.3f} '
                  f'crop-acc {acc:.2f} lr {lr:.2e} scale {scale.item():.1f}', flush=True)

    seconds = time.time() - t0
    save_checkpoint(seconds)
    os.makedirs(args.out, exist_ok=True)
    model.cpu()
    torch.save(model.state_dict(), os.path.join(args.out, 'family.pt'))
    m = np.mean(hist[-100:], 0) if hist else [None] * 5
    run = {'seed': args.seed, 'device': str(dev), 'threads': args.threads, 'text_supervision': args.text, 'tag_weight': args.tag_weight, 'softmax_classes': args.negatives or 'all', 'torch': torch.__version__, 'steps': step,
           'crops_per_step': args.crops, 'scenes_per_step': args.scenes, 'scene_side': None if args.clip_only else SCENE, 'crop_side': args.crop, 'warmup_crop': args.warmup_crop or None, 'warmup_frac': args.warmup_frac if args.warmup_crop else None, 'clip_only': args.clip_only,
           'label_smoothing': args.label_smoothing, 'init_image': args.init_image, 'freeze_image_frac': args.freeze_image_frac,
           'image_lr_mult': args.image_lr_mult, 'scene_crop_p': args.scene_crop_p, 'junk_p': args.junk_p if args.scene_crop_p else None, 'init_state': args.init_state, 'bn_recalibration': bool(args.init_image) and not args.no_bn_recalibration, 'hflip_p': args.hflip_p, 'mixstyle_p': args.mixstyle_p, 'distill_text': args.distill_text, 'init_text': args.init_text, 'fixed_text': args.fixed_text,
           'seconds': round(seconds, 1), 'minutes_budget': args.minutes, 'params': n_params, 'lr': args.lr,
           'styles': list(styles), 'final_losses': dict(zip(['total', 'clip', 'attention', 'objectness', 'box'],
                                                                  [round(float(x), 4) for x in m])) if hist else None}
    with open(os.path.join(args.out, 'run.json'), 'w') as f:
        json.dump(run, f, indent=2)
    print(json.dumps(run), flush=True)


if __name__ == '__main__':
    main()
