"""Text-only warm start of the new subword text tower (nets.TextTower) from a shipped bag-of-words one: every way of
saying a class — its English names, those names inside TRAIN_TEMPLATES, its specific keywords and its names in 26
other languages — is pulled (cosine) to the shipped tower's embedding of the class's English name. So the new tower
starts where the shipped image tower already is, and learns phrases and languages as paraphrases of the name; the
joint image-text run (train_family.py --init-text) then fine-tunes both. Minutes on a CPU: no images involved.

  /usr/bin/python3 models/train/distill_text.py --teacher models/emoji-clip --out .cache/train/text-distill --minutes 4
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

from common import CACHE, Vocab, load_classes
from from_onnx import old_text_embeddings
from nets import Family
from train_family import Captions, embed_texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--teacher', default='models/emoji-clip')
    ap.add_argument('--out', default=os.path.join(CACHE, 'text-distill'))
    ap.add_argument('--minutes', type=float, default=4.0)
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=1357)
    ap.add_argument('--init', default=None, help='continue from a text.pt of an earlier run')
    ap.add_argument('--contrast-weight', type=float, default=0.2, help='weight of the softmax over all classes (keeps classes apart)')
    ap.add_argument('--checkpoint-minutes', type=float, default=3.0)
    ap.add_argument('--filler-p', type=float, default=0.0, help='share of captions with 1-3 stopwords inserted (common.STOPWORDS)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    meta = load_classes()
    classes = meta['classes']
    vocab = Vocab(meta['vocab'])
    train_ids = [i for i, c in enumerate(classes) if c['split'] == 'train']
    teacher = old_text_embeddings(args.teacher, [classes[i]['captions'][0] for i in train_ids])
    ok = [k for k in range(len(train_ids)) if teacher[k].norm() > 0]
    pos_of = {k: j for j, k in enumerate(ok)}
    caps = Captions(classes, train_ids, random.Random(args.seed + 1), i18n_p=0.4, keyword_p=0.15, template_p=0.5)
    caps.filler_p = args.filler_p
    model = Family(len(vocab.tokens), detector=False)
    if args.init:
        model.text.load_state_dict(torch.load(args.init))
    opt = torch.optim.AdamW(model.text.parameters(), lr=args.lr, weight_decay=0.01)
    step, hist, spent = 0, [], 0.0
    ckpt_path = os.path.join(args.out, 'checkpoint.pt')
    if os.path.exists(ckpt_path):  # resume: same command again continues where the last run stopped
        ck = torch.load(ckpt_path)
        model.text.load_state_dict(ck['text'])
        opt.load_state_dict(ck['opt'])
        step, hist, spent = ck['step'], ck['hist'], ck['elapsed']
        rng.setstate(ck['rng'])
        caps.rng.setstate(ck['caps_rng'])
        torch.set_rng_state(ck['torch_rng'])
        print(f'resumed {ckpt_path} at step {step}, {spent:.0f}s spent', flush=True)

    def save_checkpoint(elapsed):
        os.makedirs(args.out, exist_ok=True)
        torch.save({'text': model.text.state_dict(), 'opt': opt.state_dict(), 'step': step, 'hist': hist[-200:], 'elapsed': elapsed,
                    'rng': rng.getstate(), 'caps_rng': caps.rng.getstate(), 'torch_rng': torch.get_rng_state()}, ckpt_path + '.tmp')
        os.replace(ckpt_path + '.tmp', ckpt_path)

    t0 = time.time() - spent
    last_ckpt = time.time()
    budget = args.minutes * 60
    while time.time() - t0 < budget:
        if time.time() - last_ckpt > args.checkpoint_minutes * 60:
            save_checkpoint(time.time() - t0)
            last_ckpt = time.time()
        frac = (time.time() - t0) / budget
        for grp in opt.param_groups:
            grp['lr'] = args.lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * frac))
        ks = [rng.choice(ok) for _ in range(args.batch)]
        e = F.normalize(embed_texts(model.text, vocab, [caps.caption(k) for k in ks], 'cpu'), dim=-1)
        target = teacher[ks]
        # Cosine to the teacher, plus a contrastive term so different classes stay apart.
        loss = (1 - (e * target).sum(-1)).mean() + args.contrast_weight * F.cross_entropy(20 * e @ teacher[ok].t(), torch.tensor([pos_of[k] for k in ks]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hist.append(loss.item())
        step += 1
        if step % 50 == 0:
            print(f'step {step} {time.time() - t0:.0f}s loss {np.mean(hist[-50:]):.4f}', flush=True)
    save_checkpoint(time.time() - t0)
    torch.save(model.text.state_dict(), os.path.join(args.out, 'text.pt'))
    run = {'teacher': args.teacher, 'init': args.init, 'steps': step, 'seconds': round(time.time() - t0, 1), 'batch': args.batch, 'seed': args.seed, 'contrast_weight': args.contrast_weight, 'filler_p': args.filler_p,
           'final_loss': round(float(np.mean(hist[-50:])), 4) if hist else None}
    with open(os.path.join(args.out, 'run.json'), 'w') as f:
        json.dump(run, f, indent=2)
    print(json.dumps(run), flush=True)


if __name__ == '__main__':
    main()
