"""Writes the small, fixed evaluation set that CI's regression test (test/models/emoji-models.test.ts) runs on:
renders of the licence-clean Google (Apache-2.0) and Twitter (CC-BY 4.0) styles only — so they may be committed,
with attribution in test/models/fixtures/emoji-eval/NOTICE — with a seed of their own (never a training render):
- crops.png: 160 single-object 64x64 images of 160 seen classes (80 per style) in a 16 x 10 grid, crops.json;
- scenes/*.jpg: 16 multi-object 640x480 scenes (2-5 objects) with ground-truth boxes and names, scenes.json;
- queries.json: other wordings of each crop's query — a held-out template around the name (never trained on) and the
  name in German, French, Spanish and Japanese (emojibase-data / CLDR, MIT) — for the phrase and language floors.

  /usr/bin/python3 models/train/make_fixture.py            (--queries-only: rewrite queries.json alone)
"""
import sys
import json
import os
import random

import numpy as np
import torch
from PIL import Image

from common import HELDOUT_TEMPLATES, ROOT, load_classes, load_sprites, render_single
from scenes import render_scenes

OUT = os.path.join(ROOT, 'test', 'models', 'fixtures', 'emoji-eval')
SEED = 24680
STYLES = ('google', 'twitter')
CROPS_PER_STYLE, SCENES_PER_STYLE = 80, 8
W, H = 640, 480


FIXTURE_LANGUAGES = ('de', 'fr', 'es', 'ja')


def write_queries(classes):
    with open(os.path.join(OUT, 'crops.json')) as f:
        crops = json.load(f)['crops']
    rows = []
    for i, c in enumerate(crops):
        cls = classes[c['class']]
        row = {'templates': HELDOUT_TEMPLATES[i % len(HELDOUT_TEMPLATES)].format(c['name'])}
        for loc in FIXTURE_LANGUAGES:
            row[loc] = cls.get('i18n', {}).get(loc, {}).get('label')
        rows.append(row)
    with open(os.path.join(OUT, 'queries.json'), 'w') as f:
        json.dump({'note': 'per crop of crops.json, same order', 'languages': list(FIXTURE_LANGUAGES), 'queries': rows}, f, ensure_ascii=False, indent=0)
        f.write('\n')
    print(f'{len(rows)} query rows -> {OUT}/queries.json')


def main():
    if '--queries-only' in sys.argv:
        write_queries(load_classes()['classes'])
        return
    torch.set_num_threads(1)
    classes = load_classes()['classes']
    seen = [i for i, c in enumerate(classes) if c['split'] == 'train']
    rng = random.Random(SEED)
    picked = rng.sample(seen, CROPS_PER_STYLE * len(STYLES))
    os.makedirs(os.path.join(OUT, 'scenes'), exist_ok=True)
    tiles, crops, scenes = [], [], []
    for si, style in enumerate(STYLES):
        sprites = load_sprites(style, 'cpu')
        g = torch.Generator()
        g.manual_seed(SEED + si)
        ids = picked[si * CROPS_PER_STYLE:(si + 1) * CROPS_PER_STYLE]
        import common
        img = render_single(sprites[ids], g, white_p=0.25, scale=(0.5, 0.9))
        assert img.shape[-1] == common.IMAGE == 64
        tiles.append((img.permute(0, 2, 3, 1).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8))
        crops += [{'style': style, 'class': c, 'name': classes[c]['captions'][0]} for c in ids]
        for k in range(SCENES_PER_STYLE):
            def pick(n):
                cls = torch.tensor([rng.choice(seen) for _ in range(n)])
                return sprites[cls], cls
            for _ in range(20):
                im, objs, _ = render_scenes(pick, 1, W, g, max_objects=5, min_objects=2, scale=(0.08, 0.7), white_p=0.25,
                                            letterbox_p=0.0, fixed_band=1 - H / W)
                if len(objs[0]) >= 2:
                    break
            arr = (im[0, :, :H].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
            name = f'{style}-{k}.jpg'
            Image.fromarray(arr).save(os.path.join(OUT, 'scenes', name), quality=90)
            objects = [{'class': int(c), 'name': classes[c]['captions'][0], 'box': [round(v, 1) for v in b]} for c, b in objs[0]]
            absent = rng.choice([c for c in seen if c not in {o['class'] for o in objects}])
            scenes.append({'file': name, 'style': style, 'width': W, 'height': H, 'objects': objects,
                           'absent': {'class': absent, 'name': classes[absent]['captions'][0]}})
    allt = np.concatenate(tiles)  # [160,64,64,3]
    grid = allt.reshape(10, 16, 64, 64, 3).transpose(0, 2, 1, 3, 4).reshape(10 * 64, 16 * 64, 3)
    Image.fromarray(grid).save(os.path.join(OUT, 'crops.png'), optimize=True)
    with open(os.path.join(OUT, 'crops.json'), 'w') as f:
        json.dump({'seed': SEED, 'tile': 64, 'columns': 16, 'crops': crops}, f)
    with open(os.path.join(OUT, 'scenes.json'), 'w') as f:
        json.dump({'seed': SEED, 'images': scenes}, f)
    print(f'{len(crops)} crops, {len(scenes)} scenes -> {OUT}')
    write_queries(classes)


if __name__ == '__main__':
    main()
