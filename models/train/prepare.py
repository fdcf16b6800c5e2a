"""Fetches emoji artwork with `npm pack` into .cache/emoji (never a runtime dependency, never committed), and writes
.cache/train/: classes.json (names, captions, split) and sprites_<style>.npz (48x48 RGBA, uint8) per style.
Apple and Facebook sprites are written for evaluation only; training reads TRAIN_STYLES alone."""
import json
import os
import random
import subprocess
import tarfile

import numpy as np
from PIL import Image

from common import CACHE, HELDOUT_STYLES, ROOT, SPRITE, TRAIN_STYLES, captions, words

VERSION = '16.0.0'
EMOJI = os.path.join(ROOT, '.cache', 'emoji')
HOLDOUT_CLASSES = 100
SEED = 1234


def fetch(pkg):
    tgz = os.path.join(EMOJI, f'{pkg}-{VERSION}.tgz')
    if not os.path.exists(tgz):
        os.makedirs(EMOJI, exist_ok=True)
        subprocess.run(['npm', 'pack', f'{pkg}@{VERSION}', '--silent'], cwd=EMOJI, check=True)
    return tgz


def extract(style):
    out = os.path.join(EMOJI, style)
    img = os.path.join(out, 'package', 'img', style, '64')
    if not os.path.isdir(img):
        with tarfile.open(fetch(f'emoji-datasource-{style}')) as t:
            members = [m for m in t.getmembers() if m.name.startswith(f'package/img/{style}/64/')]
            t.extractall(out, members=members)
    return img


def main():
    meta = os.path.join(EMOJI, 'meta', 'package', 'emoji.json')
    if not os.path.exists(meta):
        with tarfile.open(fetch('emoji-datasource')) as t:
            t.extractall(os.path.join(EMOJI, 'meta'), members=[t.getmember('package/emoji.json')])
    with open(meta) as f:
        emoji = json.load(f)
    styles = TRAIN_STYLES + HELDOUT_STYLES
    dirs = {s: extract(s) for s in styles}
    usable = [e for e in emoji if e['category'] != 'Component' and all(e.get(f'has_img_{s}') and os.path.exists(os.path.join(dirs[s], e['image'])) for s in styles)]
    usable.sort(key=lambda e: e['sort_order'])
    rng = random.Random(SEED)
    unseen = set(rng.sample(range(len(usable)), HOLDOUT_CLASSES))
    classes = []
    for i, e in enumerate(usable):
        c = {'name': e['name'] or e['short_name'], 'short_names': e['short_names'], 'category': e['category'],
             'subcategory': e['subcategory'], 'image': e['image'], 'split': 'unseen' if i in unseen else 'train'}
        c['captions'] = captions(c)
        classes.append(c)
    os.makedirs(CACHE, exist_ok=True)
    # The vocabulary covers every class name (public metadata, no artwork): unseen classes' words that no training
    # caption uses keep their random initial embeddings.
    vocab = sorted({w for c in classes for t in c['captions'] for w in words(t)})
    with open(os.path.join(CACHE, 'classes.json'), 'w') as f:
        json.dump({'seed': SEED, 'classes': classes, 'vocab': vocab}, f)
    for s in styles:
        arr = np.zeros((len(classes), SPRITE, SPRITE, 4), np.uint8)
        for i, c in enumerate(classes):
            im = Image.open(os.path.join(dirs[s], c['image'])).convert('RGBA').resize((SPRITE, SPRITE), Image.BICUBIC)
            arr[i] = np.asarray(im)
        np.savez_compressed(os.path.join(CACHE, f'sprites_{s}.npz'), sprites=arr)
        print(f'{s}: {len(classes)} sprites')
    print(f'{len(classes)} classes, {HOLDOUT_CLASSES} unseen, vocabulary {len(vocab)} words')


if __name__ == '__main__':
    main()
