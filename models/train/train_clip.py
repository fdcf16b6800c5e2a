"""Trains the CLIP-contract dual encoder on rendered Google + Twitter emoji scenes (never Apple/Facebook) and writes
its weights (npz) and a run record (json). `export_clip.py` turns them into the model folder.

  /usr/bin/python3 models/train/train_clip.py --minutes 40            # CPU (2 cores): stops after 40 minutes
  python3 models/train/train_clip.py --minutes 5.5 --device cuda      # what made the shipped weights (see MODEL_CARD)
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

from common import CACHE, TRAIN_STYLES, DualEncoder, Vocab, load_classes, load_sprites, normalize, render_single


def jitter(sprites, g):
    """Colour and shape-style jitter of the sprites themselves, so the towers do not lock onto one art style."""
    b = sprites.shape[0]
    r = lambda *s: torch.rand(*s, generator=g, device=sprites.device)
    rgb, a = sprites[:, :3], sprites[:, 3:]
    gain = 0.75 + 0.5 * r(b, 3, 1, 1)
    bias = (r(b, 3, 1, 1) - 0.5) * 0.2
    rgb = (rgb * gain + bias).clamp(0, 1)
    gray = rgb.mean(1, keepdim=True)
    sat = 0.6 + 0.8 * r(b, 1, 1, 1)
    rgb = (gray + (rgb - gray) * sat).clamp(0, 1)
    # Blur some sprites (softer outlines, as other styles draw them).
    blur = (r(b, 1, 1, 1) < 0.3).float()
    soft = F.avg_pool2d(torch.cat([rgb * a, a], 1), 3, 1, 1)
    soft_rgb = soft[:, :3] / soft[:, 3:].clamp(min=1e-3)
    rgb = rgb * (1 - blur) + soft_rgb.clamp(0, 1) * blur
    a = a * (1 - blur) + soft[:, 3:] * blur
    return torch.cat([rgb, a], 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=CACHE)
    ap.add_argument('--out', default=os.path.join(CACHE, 'clip-run'))
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--minutes', type=float, default=40.0, help='training time budget; the schedule follows elapsed time')
    ap.add_argument('--max-steps', type=int, default=0, help='stop after this many steps (0: time budget only)')
    ap.add_argument('--batch', type=int, default=0, help='classes per step (default: 768 on cuda, 128 on cpu)')
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--threads', type=int, default=2, help='CPU threads (the machine is shared: keep it at 2)')
    args = ap.parse_args()
    dev = torch.device(args.device)
    batch = args.batch or (768 if dev.type == 'cuda' else 128)
    if dev.type == 'cpu':
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    g = torch.Generator(device=dev)
    g.manual_seed(args.seed)

    meta = load_classes(args.data)
    classes = meta['classes']
    vocab = Vocab(meta['vocab'])
    train_ids = [i for i, c in enumerate(classes) if c['split'] == 'train']
    sprites = {s: load_sprites(s, dev, args.data) for s in TRAIN_STYLES}
    stacked = torch.stack([sprites[s] for s in TRAIN_STYLES], 0)  # [styles, N, 4, S, S]
    model = DualEncoder(len(vocab.tokens)).to(dev)
    if dev.type == 'cuda':
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    n_params = sum(p.numel() for p in model.parameters())
    print(f'{len(train_ids)} training classes, vocab {len(vocab.tokens)}, {n_params / 1e6:.2f}M parameters, batch {batch}, device {dev}', flush=True)

    budget = args.minutes * 60
    t0 = time.time()
    step, losses = 0, []
    warm = 20
    while True:
        elapsed = time.time() - t0
        frac = elapsed / budget
        if frac >= 1 or (args.max_steps and step >= args.max_steps):
            break
        lr = args.lr * min(1.0, (step + 1) / warm, max(frac, 1e-3) / 0.05) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        for group in opt.param_groups:
            group['lr'] = lr
        pick = random.sample(train_ids, batch)
        idx = torch.tensor(pick, device=dev)
        style = torch.randint(0, len(TRAIN_STYLES), (batch,), generator=g, device=dev)
        spr = jitter(stacked[style, idx], g)
        other = stacked[torch.randint(0, len(TRAIN_STYLES), (batch,), generator=g, device=dev), torch.tensor(random.choices(train_ids, k=batch), device=dev)]
        img = normalize(render_single(spr, g, white_p=0.2, distractors=other, distractor_p=0.3))
        texts = [random.choice(classes[i]['captions']) for i in pick]
        ids, mask = vocab.batch(texts, dev)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=dev.type == 'cuda'):
            if dev.type == 'cuda':
                img = img.contiguous(memory_format=torch.channels_last)
            ie = F.normalize(model.image(img).float(), dim=-1)
            te = F.normalize(model.text(ids, mask).float(), dim=-1)
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * ie @ te.t()
        target = torch.arange(batch, device=dev)
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % 100 == 0:
            print(f'step {step} {elapsed:.0f}s loss {np.mean(losses[-100:]):.3f} lr {lr:.2e} scale {scale.item():.1f}', flush=True)

    seconds = time.time() - t0
    os.makedirs(args.out, exist_ok=True)
    state = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    # Parts of at most ~10 MB: the device tool brings files back only up to 16 MB each.
    part, size, n = {}, 0, 0
    for k, v in state.items():
        part[k] = v
        size += v.nbytes
        if size > 10e6:
            np.savez(os.path.join(args.out, f'weights_{n}.npz'), **part)
            part, size, n = {}, 0, n + 1
    if part:
        np.savez(os.path.join(args.out, f'weights_{n}.npz'), **part)
    run = {'seed': args.seed, 'device': str(dev), 'device_name': torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu',
           'torch': torch.__version__, 'steps': step, 'batch': batch, 'seconds': round(seconds, 1), 'minutes_budget': args.minutes,
           'final_loss': round(float(np.mean(losses[-100:])), 4) if losses else None, 'params': n_params, 'lr': args.lr}
    with open(os.path.join(args.out, 'run.json'), 'w') as f:
        json.dump(run, f, indent=2)
    print(json.dumps(run), flush=True)


if __name__ == '__main__':
    main()
