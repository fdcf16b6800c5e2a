"""Renders the fixed evaluation images (seeded, independent of training) into .cache/eval/: per style one image of
every class on mixed backgrounds (plain incl. white, gradients, noise, textures), and one on white for 500 random seen
classes. Apple and Facebook are the held-out styles; these renders stay in the ignored cache, never committed.

  /usr/bin/python3 models/train/render_eval.py
"""
import json
import os
import random

import numpy as np
import torch

from common import HELDOUT_STYLES, HELDOUT_TEMPLATES, ROOT, load_classes, load_sprites, render_single

EVAL_LANGUAGES = ('de', 'fr', 'es', 'it', 'pt', 'nl', 'ja', 'zh')

EVAL = os.path.join(ROOT, '.cache', 'eval')
SEED = 4321
SEEN_SAMPLE = 500


def main():
    torch.set_num_threads(1)
    meta = load_classes()
    classes = meta['classes']
    rng = random.Random(SEED)
    seen = sorted(rng.sample([i for i, c in enumerate(classes) if c['split'] == 'train'], SEEN_SAMPLE))
    unseen = [i for i, c in enumerate(classes) if c['split'] == 'unseen']
    os.makedirs(EVAL, exist_ok=True)
    for si, style in enumerate(('google', 'twitter') + HELDOUT_STYLES):
        sprites = load_sprites(style, 'cpu')
        for name, idx, white in (('mixed', list(range(len(classes))), 0.25), ('white', seen, 1.0)):
            g = torch.Generator()
            g.manual_seed(SEED * 10 + si * 2 + (name == 'white'))
            img = render_single(sprites[idx], g, white_p=white, scale=(0.5, 0.9))
            arr = (img.permute(0, 2, 3, 1).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)
            arr.tofile(os.path.join(EVAL, f'clip_{style}_{name}.u8'))
            print(f'{style} {name}: {len(idx)} images')
    with open(os.path.join(EVAL, 'clip_eval.json'), 'w') as f:
        json.dump({'seed': SEED, 'size': 64, 'train_styles': ['google', 'twitter'], 'heldout_styles': list(HELDOUT_STYLES),
                   'queries': [c['captions'][0] for c in classes], 'seen': seen, 'unseen': unseen,
                   # Other wordings of the same queries (null: the class has none): held-out templates around the name
                   # (never trained on), and the class's CLDR name in other languages.
                   'query_sets': dict({'templates': [HELDOUT_TEMPLATES[i % len(HELDOUT_TEMPLATES)].format(c['captions'][0]) for i, c in enumerate(classes)]},
                                      **{f'lang_{loc}': [c.get('i18n', {}).get(loc, {}).get('label') for c in classes] for loc in EVAL_LANGUAGES}),
                   'sets': {'mixed': list(range(len(classes))), 'white': seen}}, f)


if __name__ == '__main__':
    main()
