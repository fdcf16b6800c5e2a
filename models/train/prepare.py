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

import wordpiece
from common import CACHE, EXTRA_STYLES, HELDOUT_STYLES, ROOT, SPRITE, TRAIN_TEMPLATES, VOCAB_SIZE, captions

VERSION = '16.0.0'
EMOJI = os.path.join(ROOT, '.cache', 'emoji')
HOLDOUT_CLASSES = 100
SEED = 1234


def fetch(pkg, version=VERSION):
    tgz = os.path.join(EMOJI, f"{pkg.lstrip('@').replace('/', '-')}-{version}.tgz")
    if not os.path.exists(tgz):
        os.makedirs(EMOJI, exist_ok=True)
        subprocess.run(['npm', 'pack', f'{pkg}@{version}', '--silent'], cwd=EMOJI, check=True)
    return tgz


# Further licence-clean styles (SVG, rasterized with sharp): OpenMoji 17 (CC-BY-SA 4.0) by code point, Fluent emoji
# (MIT, © Microsoft; npm fluentui-emoji 1.3.0) "flat" and "modern" by CLDR name.
OPENMOJI = ('openmoji', '17.0.0')
FLUENT = ('fluentui-emoji', '1.3.0')
# Added for issue 11 (licences read from each package, recorded in NOTICE): Fluent 3D (MIT, WebP 256 px by code
# point), EmojiOne v2 (CC-BY 4.0), EmojiOne v1 (CC-BY-SA 4.0), Firefox OS emoji (Apache-2.0), Noto v1 (Apache-2.0), the
# last four as Iconify JSON sets of SVG bodies named by CLDR name (fxemoji: by short name without separators).
# nodebb-plugin-emoji-android ships no images (it downloads them at run time): not usable.
FLUENT3D = ('@lobehub/fluent-emoji-3d', '1.1.0')
ICONIFY = {'emojione': ('@iconify-json/emojione', '1.2.3'), 'emojione-v1': ('@iconify-json/emojione-v1', '1.2.3'),
           'fxemoji': ('@iconify-json/fxemoji', '1.2.2'), 'noto-v1': ('@iconify-json/noto-v1', '1.2.5')}
# Texts: English keywords (emojilib 4.0.3, MIT) and CLDR-derived names and tags in ~30 languages (emojibase-data 17.0.0, MIT).
EMOJILIB = ('emojilib', '4.0.3')
EMOJIBASE = ('emojibase-data', '17.0.0')


def untar(pkg, version, prefixes):
    out = os.path.join(EMOJI, f"{pkg.lstrip('@').replace('/', '-')}-{version}")
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
    f3 = untar(*FLUENT3D, ('package/assets/',))
    for c in classes:
        hexes = [c['image'][:-4].lower(), c['image'][:-4].lower().replace('-fe0f', '')]
        out['fluent-3d'].append(next((os.path.join(f3, 'assets', f'{h}.webp') for h in hexes
                                      if os.path.exists(os.path.join(f3, 'assets', f'{h}.webp'))), None))
    for style, (pkg, version) in ICONIFY.items():
        out[style] = iconify_paths(style, pkg, version, classes, annotation)
    return out


def iconify_paths(style, pkg, version, classes, annotation):
    """Writes each matched icon of an Iconify JSON set as an SVG file (body wrapped in its view box) and returns one path
    (or None) per class. Icons are matched by slugs of the class's CLDR annotation, name and short names."""
    root = untar(pkg, version, ('package/icons.json', 'package/info.json'))
    with open(os.path.join(root, 'icons.json')) as f:
        data = json.load(f)
    icons, aliases = data['icons'], data.get('aliases', {})
    svg_dir = os.path.join(EMOJI, 'svg', style)
    os.makedirs(svg_dir, exist_ok=True)
    compact = style == 'fxemoji'  # fxemoji names drop the separators: 'alarmclock', '2hearts'

    def resolve(name):
        seen = 0
        while name not in icons and name in aliases and seen < 5:
            name, seen = aliases[name]['parent'], seen + 1
        return name if name in icons else None

    out = []
    for c in classes:
        hexes = [c['image'][:-4].upper(), c['image'][:-4].upper().replace('-FE0F', '')]
        names = [annotation[h] for h in hexes if h in annotation] + [c['name']] + [s.replace('_', ' ') for s in c['short_names']]
        keys = [slug(n) for n in names]
        if compact:
            keys = [k.replace('-', '') for k in keys]
        hit = next((r for r in (resolve(k) for k in keys) if r), None)
        if hit is None:
            out.append(None)
            continue
        icon = icons[hit]
        left, top = icon.get('left', data.get('left', 0)), icon.get('top', data.get('top', 0))
        w, h = icon.get('width', data.get('width', 16)), icon.get('height', data.get('height', 16))
        path = os.path.join(svg_dir, f'{hit}.svg')
        if not os.path.exists(path):
            with open(path, 'w') as f:
                f.write(f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="{left} {top} {w} {h}" '
                        f'width="{w}" height="{h}">{icon["body"]}</svg>')
        out.append(path)
    return out


def texts_of(classes):
    """Per class: English keywords (emojilib + emojibase en tags) and per locale the CLDR label and tags."""
    lib = untar(*EMOJILIB, ('package/dist/',))
    base = untar(*EMOJIBASE, ('package/',))
    with open(os.path.join(lib, 'dist', 'emoji-en-US.json')) as f:
        emojilib = json.load(f)
    locales = sorted(d for d in os.listdir(base) if os.path.exists(os.path.join(base, d, 'data.json')))
    by_locale = {}
    for loc in locales:
        with open(os.path.join(base, loc, 'data.json')) as f:
            by_locale[loc] = {e['hexcode'].upper(): e for e in json.load(f)}
    for c in classes:
        hexes = [c['image'][:-4].upper(), c['image'][:-4].upper().replace('-FE0F', '')]
        chars = [''.join(chr(int(x, 16)) for x in h.split('-')) for h in hexes]
        kw = []
        for ch in chars:
            kw += [k.replace('_', ' ') for k in emojilib.get(ch, [])]
        en = next((by_locale['en'][h] for h in hexes if h in by_locale.get('en', {})), None)
        if en:
            kw += en.get('tags', []) + [en['label']]
        names = set(c['captions'])
        c['keywords'] = sorted({k.lower() for k in kw if k.lower() not in names and re.search(r'\w', k)})
        c['i18n'] = {}
        for loc in locales:
            if loc.startswith('en'):
                continue
            e = next((by_locale[loc][h] for h in hexes if h in by_locale[loc]), None)
            if e and e.get('label'):
                c['i18n'][loc] = {'label': e['label'], 'tags': sorted(set(e.get('tags', [])) - {e['label']})}
    return [l for l in locales if not l.startswith('en')]


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
    locales = texts_of(classes)
    # The subword vocabulary is learned from every class text (public metadata, no artwork) and the query templates.
    corpus = [t for c in classes for t in c['captions'] + c['keywords']]
    corpus += [t for c in classes for v in c['i18n'].values() for t in [v['label']] + v['tags']]
    corpus += [t.replace('{}', '') for t in TRAIN_TEMPLATES]
    vocab = wordpiece.learn(corpus, size=VOCAB_SIZE)
    with open(os.path.join(CACHE, 'classes.json'), 'w') as f:
        json.dump({'seed': SEED, 'classes': classes, 'vocab': vocab, 'tokenizer': 'wordpiece', 'locales': locales}, f)
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
    print(f'{len(classes)} classes, {HOLDOUT_CLASSES} unseen, {len(locales)} other languages, vocabulary {len(vocab)} word pieces')


if __name__ == '__main__':
    main()
