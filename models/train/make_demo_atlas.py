"""Writes the demo collection's artwork: src/demo/assets/emoji-atlas.png (64 px tiles) + emoji-atlas.json, from the
licence-clean styles only — Google/Noto (Apache-2.0), Twitter/Twemoji (CC-BY 4.0) and Fluent emoji "modern" (MIT) —
for 150 seen (trained) classes of everyday things (animals, food, travel, activities, objects). Attribution: NOTICE.

  /usr/bin/python3 models/train/make_demo_atlas.py      (after prepare.py)
"""
import json
import os
import random
import subprocess

import numpy as np
from PIL import Image

from common import CACHE, ROOT, load_classes

OUT = os.path.join(ROOT, 'src', 'demo', 'assets')
EMOJI = os.path.join(ROOT, '.cache', 'emoji')
TILE = 64
COUNT = 150
SEED = 777
CATEGORIES = {'Animals & Nature', 'Food & Drink', 'Travel & Places', 'Activities', 'Objects'}


def main():
    classes = load_classes()['classes']
    fluent = json.load(open(os.path.join(CACHE, 'svg_fluent-modern.json')))
    eligible = [i for i, c in enumerate(classes) if c['split'] == 'train' and c['category'] in CATEGORIES and fluent[i]]
    rng = random.Random(SEED)
    picked = sorted(rng.sample(eligible, COUNT))
    tiles, entries = [], []
    svg_list = os.path.join(CACHE, 'demo_fluent.json')
    with open(svg_list, 'w') as f:
        json.dump([fluent[i] for i in picked], f)
    raw = os.path.join(CACHE, 'demo_fluent.u8')
    subprocess.run(['node', os.path.join(ROOT, 'models', 'train', 'rasterize.mjs'), svg_list, raw, str(TILE)], check=True)
    fl = np.fromfile(raw, np.uint8).reshape(len(picked), TILE, TILE, 4)
    for k, i in enumerate(picked):
        c = classes[i]
        for style in ('google', 'twitter'):
            im = Image.open(os.path.join(EMOJI, style, 'package', 'img', style, '64', c['image'])).convert('RGBA').resize((TILE, TILE), Image.LANCZOS)
            tiles.append(np.asarray(im))
            entries.append({'name': c['captions'][0], 'style': style})
        tiles.append(fl[k])
        entries.append({'name': c['captions'][0], 'style': 'fluent'})
    cols = 30
    rows = (len(tiles) + cols - 1) // cols
    atlas = np.zeros((rows * TILE, cols * TILE, 4), np.uint8)
    for t, tile in enumerate(tiles):
        y, x = divmod(t, cols)
        atlas[y * TILE:(y + 1) * TILE, x * TILE:(x + 1) * TILE] = tile
    os.makedirs(OUT, exist_ok=True)
    Image.fromarray(atlas).save(os.path.join(OUT, 'emoji-atlas.png'), optimize=True)
    with open(os.path.join(OUT, 'emoji-atlas.json'), 'w') as f:
        json.dump({'tile': TILE, 'columns': cols, 'tiles': entries,
                   'licences': {'google': 'Apache-2.0 (Noto Emoji, Google)', 'twitter': 'CC-BY 4.0 (Twemoji, Twitter, Inc and other contributors)',
                                'fluent': 'MIT (Fluent Emoji, Microsoft)'}}, f, indent=0)
    print(f'{len(tiles)} tiles of {COUNT} classes -> {OUT}')


if __name__ == '__main__':
    main()
