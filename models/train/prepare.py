"""Fetches emoji artwork with `npm pack` into .cache/emoji (never a runtime dependency, never committed), and writes
.cache/train/: classes.json (names, captions, split) and sprites_<style>.npz (48x48 RGBA, uint8) per style.
Apple and Facebook sprites are written for evaluation only; training reads TRAIN_STYLES alone."""
import csv
import json
import re
import os
import random
import subprocess
import tarfile

import numpy as np
from PIL import Image

from common import CACHE, EXTRA_STYLES, HELDOUT_STYLES, ROOT, SPRITE, captions, words

VERSION = '16.0.0'
EMOJI = os.path.join(ROOT, '.cache', 'emoji')
HOLDOUT_CLASSES = 100
SEED = 1234


def fetch(pkg, version=VERSION):
    tgz = os.path.join(EMOJI, f'{pkg}-{version}.tgz')
    if not os.path.exists(tgz):
        os.makedirs(EMOJI, exist_ok=True)
        subprocess.run(['npm', 'pack', f'{pkg}@{version}', '--silent'], cwd=EMOJI, check=True)
    return tgz


# Further licence-clean styles (SVG, rasterized with sharp): OpenMoji 17 (CC-BY-SA 4.0) by code point, Fluent emoji
# (MIT, © Microsoft; npm fluentui-emoji 1.3.0) "flat" and "modern" by CLDR name.
OPENMOJI = ('openmoji', '17.0.0')
FLUENT = ('fluentui-emoji', '1.3.0')


def untar(pkg, version, prefixes):
    out = os.path.join(EMOJI, f'{pkg}-{version}')
    stamp = os.path.join(out, '.done')
    if not os.path.exists(stamp):
        with tarfile.open(fetch(pkg, version)) as t:
            t.extractall(out, members=[m for m in t.getmembers() if m.name.startswith(prefixes)])
        open(stamp, 'w').close()
    return os.path.join(out, 'package')


def slug(name):
    return re.sub(r'[^a-z0-9]+', '-', name.lower().replace('’', '').replace("'", '')).strip('-')


def extra_paths(classes):
    """Per extra style, one SVG path (or None) per class."""
    om = untar(*OPENMOJI, ('package/color/svg/', 'package/data/openmoji.csv'))
    fl = untar(*FLUENT, ('package/icons/flat/', 'package/icons/modern/'))
    with open(os.path.join(om, 'data', 'openmoji.csv'), newline='') as f:
        annotation = {r['hexcode'].upper(): r['annotation'] for r in csv.DictReader(f)}
    out = {s: [] for s in EXTRA_STYLES}
    for c in classes:
        hexes = [c['image'][:-4].upper()]
        hexes.append(hexes[0].replace('-FE0F', ''))
        om_path = next((os.path.join(om, 'color', 'svg', f'{h}.svg') for h in hexes
                        if os.path.exists(os.path.join(om, 'color', 'svg', f'{h}.svg'))), None)
        out['openmoji'].append(om_path)
        names = [annotation[h] for h in hexes if h in annotation] + [c['name']]
        for style, sub in (('fluent-flat', 'flat'), ('fluent-modern', 'modern')):
            path = next((os.path.join(fl, 'icons', sub, f'{slug(n)}.svg') for n in names
                         if os.path.exists(os.path.join(fl, 'icons', sub, f'{slug(n)}.svg'))), None)
            out[style].append(path)
    return out


def rasterize(paths, style):
    lst = os.path.join(CACHE, f'svg_{style}.json')
    raw = os.path.join(CACHE, f'svg_{style}.u8')
    with open(lst, 'w') as f:
        json.dump(paths, f)
    subprocess.run(['node', os.path.join(ROOT, 'models', 'train', 'rasterize.mjs'), lst, raw, str(SPRITE)], check=True)
    arr = np.fromfile(raw, np.uint8).reshape(len(paths), SPRITE, SPRITE, 4)
    os.remove(raw)
    return arr


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
    styles = ('google', 'twitter') + HELDOUT_STYLES  # emoji-datasource styles (PNG); every class has all four
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
        np.savez_compressed(os.path.join(CACHE, f'sprites_{s}.npz'), sprites=arr, present=np.ones(len(classes), bool))
        print(f'{s}: {len(classes)} sprites')
    for s, paths in extra_paths(classes).items():
        arr = rasterize(paths, s)
        present = np.array([p is not None for p in paths]) & (arr[..., 3].reshape(len(paths), -1).max(1) > 0)
        np.savez_compressed(os.path.join(CACHE, f'sprites_{s}.npz'), sprites=arr, present=present)
        print(f'{s}: {int(present.sum())} of {len(classes)} classes')
    print(f'{len(classes)} classes, {HOLDOUT_CLASSES} unseen, vocabulary {len(vocab)} words')


if __name__ == '__main__':
    main()
