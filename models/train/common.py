"""Shared pieces of Loupe's model training: class list and tokenizer, backgrounds and the single-object renderer
(pure torch, CPU or GPU); the networks are in nets.py. Artwork never leaves .cache/ (see README.md)."""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from wordpiece import WordPiece

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CACHE = os.path.join(ROOT, '.cache', 'train')
# Not every style draws every class. Licences: OpenMoji CC-BY-SA 4.0, Fluent flat/modern/3D MIT, EmojiOne v2 CC-BY 4.0,
# EmojiOne v1 CC-BY-SA 4.0, Firefox OS emoji Apache-2.0, Noto v1 Apache-2.0 (NOTICE).
EXTRA_STYLES = ('openmoji', 'fluent-flat', 'fluent-modern', 'fluent-3d', 'emojione', 'emojione-v1', 'fxemoji', 'noto-v1')
ORIGINAL_STYLES = ('google', 'twitter', 'openmoji', 'fluent-flat', 'fluent-modern')  # the styles of the first runs (ablation)
TRAIN_STYLES = ('google', 'twitter') + EXTRA_STYLES  # the only styles trained on (Google Apache-2.0, Twitter CC-BY 4.0, above)
HELDOUT_STYLES = ('apple', 'facebook')    # evaluation only, never trained on, never committed
SPRITE = 48                               # sprites are stored at 48x48 RGBA
IMAGE = 64                                # model input side
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PAD, UNK = '[PAD]', '[UNK]'
MAX_TOKENS = 24
VOCAB_SIZE = 12000
# Query wordings. Training uses TRAIN_TEMPLATES; HELDOUT_TEMPLATES are never trained on (models:eval reports them).
TRAIN_TEMPLATES = (
    '{}', 'a {}', 'the {}', 'an {}', 'a photo of a {}', 'a photo of the {}', 'a picture of a {}', 'an image of a {}',
    'a drawing of a {}', 'an emoji of a {}', '{} emoji', 'the {} emoji', 'find the {}', 'where is the {}?', 'where is the {}',
    'show me the {}', 'show me a {}', 'i am looking for a {}', 'a {} on a table', 'two {}s', 'two {} on a table', 'some {}s',
    'a cute {}', 'a small {}', 'a big {}', '{} icon', 'the {} in the picture', 'is there a {}?', 'look at the {}', 'my {}',
    'a {} in the scene', 'photo of {}', 'a cartoon {}', 'a {} sticker', 'an illustration of a {}', 'a close-up of a {}',
    'pictures with a {}', 'a {} next to a tree', 'three {}s', 'the {} is here', '{}?', '{} please', 'any {}')
# Filler-word augmentation (distill_text.py --filler-p): random words of a standard English stopword list (NLTK's,
# without the words that can carry meaning in an emoji name: directions, quantities, negations, places, times) inserted
# at random places, so that words around the name which no template taught still count for little. Generic on
# purpose: chosen without looking at HELDOUT_TEMPLATES.
STOPWORDS = tuple('''i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing a an the and but if or because as of at by for with about to from
can will just should'''.split())
HELDOUT_TEMPLATES = (
    'can you find a {}?', 'a picture with a {} in it', 'i want to see the {}', 'there is a {} here', 'a nice image of a {}',
    'search for {}', 'an image showing a {}', 'one {} among other things')


def load_classes(data=CACHE):
    with open(os.path.join(data, 'classes.json')) as f:
        return json.load(f)


def captions(c):
    """Every caption of a class: its name and its short names with _ and - as spaces."""
    out = [c['name'].lower()]
    for s in c['short_names']:
        t = s.replace('_', ' ').replace('-', ' ').lower()
        if t not in out:
            out.append(t)
    return out


def Vocab(tokens):
    """The text tower's tokenizer (wordpiece.py): a WordPiece vocabulary as written by prepare.py."""
    return WordPiece(tokens, MAX_TOKENS)


def load_sprites(style, device, data=CACHE, with_present=False):
    """[N, 4, S, S] float 0..1 sprites of one style, in classes.json order (and [N] bool: the style draws the class)."""
    npz = np.load(os.path.join(data, f'sprites_{style}.npz'))
    sprites = torch.from_numpy(npz['sprites']).to(device).permute(0, 3, 1, 2).float().div_(255)
    if not with_present:
        return sprites
    present = npz['present'] if 'present' in npz.files else np.ones(len(sprites), bool)
    return sprites, torch.from_numpy(present).to(device)


# ---------------------------------------------------------------- rendering (batched, on the training device)

def backgrounds(b, g, white_p=0.2, side=None):
    """b random backgrounds [b,3,side,side] (default IMAGE): plain (white with probability white_p), gradients, noise,
    textures."""
    size = side or IMAGE
    dev = g.device if isinstance(g, torch.Generator) else 'cpu'
    r = lambda *s: torch.rand(*s, generator=g, device=dev)
    kind = (r(b) * 4).long()
    c1, c2 = r(b, 3, 1, 1), r(b, 3, 1, 1)
    ys = torch.linspace(0, 1, size, device=dev).view(1, 1, size, 1)
    xs = torch.linspace(0, 1, size, device=dev).view(1, 1, 1, size)
    ang = r(b, 1, 1, 1) * 2 * math.pi
    t = (xs * torch.cos(ang) + ys * torch.sin(ang))
    t = (t - t.amin(dim=(2, 3), keepdim=True)) / (t.amax(dim=(2, 3), keepdim=True) - t.amin(dim=(2, 3), keepdim=True) + 1e-6)
    plain = c1.expand(b, 3, size, size)
    grad = c1 * (1 - t) + c2 * t
    low = F.interpolate(r(b, 3, 8, 8), size=size, mode='bilinear', align_corners=False)
    noise = (low * 0.7 + r(b, 3, size, size) * 0.3) * (0.5 + c1)
    freq = 4 + r(b, 1, 1, 1) * 20
    stripes = 0.5 + 0.5 * torch.sin(2 * math.pi * freq * t)
    checker = ((xs * freq).floor() + (ys * freq).floor()) % 2
    tex = torch.where(r(b, 1, 1, 1) < 0.5, stripes, checker)
    texture = c1 * (1 - tex) + c2 * tex
    out = torch.stack([plain, grad, noise.clamp(0, 1), texture], 1)
    out = out[torch.arange(b, device=dev), kind]
    return torch.where(r(b, 1, 1, 1) < white_p, torch.ones_like(out), out)


def place(sprites, scale, cx, cy, angle):
    """Warps sprites [b,4,S,S] onto IMAGE x IMAGE canvases: side `scale` (fraction of IMAGE), centre (cx, cy) in 0..1,
    rotation `angle` radians. Returns [b,4,IMAGE,IMAGE] (premultiplied rgb and alpha)."""
    b = sprites.shape[0]
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output coords (-1..1) to input coords: inverse of scale+rotate+translate.
    inv = 1 / scale
    theta = torch.zeros(b, 2, 3, device=sprites.device)
    theta[:, 0, 0], theta[:, 0, 1] = cos * inv, sin * inv
    theta[:, 1, 0], theta[:, 1, 1] = -sin * inv, cos * inv
    tx, ty = cx * 2 - 1, cy * 2 - 1
    theta[:, 0, 2] = -(theta[:, 0, 0] * tx + theta[:, 0, 1] * ty)
    theta[:, 1, 2] = -(theta[:, 1, 0] * tx + theta[:, 1, 1] * ty)
    grid = F.affine_grid(theta, (b, 4, IMAGE, IMAGE), align_corners=False)
    pm = torch.cat([sprites[:, :3] * sprites[:, 3:], sprites[:, 3:]], 1)
    return F.grid_sample(pm, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def composite(bg, layer):
    return layer[:, :3] + bg * (1 - layer[:, 3:])


def alpha_box(alpha, thr=0.3):
    """[b,IMAGE,IMAGE] alpha -> [b,4] x1,y1,x2,y2 in 0..1 of the pixels above thr."""
    m = alpha > thr
    ys = m.any(2).float()
    xs = m.any(1).float()
    idx = torch.arange(IMAGE, device=alpha.device).float()
    big = IMAGE + 1
    x1 = torch.where(xs > 0, idx, torch.full_like(idx, big)).amin(1)
    x2 = torch.where(xs > 0, idx, torch.full_like(idx, -1)).amax(1) + 1
    y1 = torch.where(ys > 0, idx, torch.full_like(idx, big)).amin(1)
    y2 = torch.where(ys > 0, idx, torch.full_like(idx, -1)).amax(1) + 1
    return torch.stack([x1, y1, x2, y2], 1) / IMAGE


def render_single(sprites, g, white_p=0.2, scale=(0.45, 0.95), distractors=None, distractor_p=0.0):
    """One object per image (plus, with probability distractor_p, a smaller partly hidden one behind it)."""
    b = sprites.shape[0]
    dev = sprites.device
    r = lambda *s: torch.rand(*s, generator=g, device=dev)
    img = backgrounds(b, g, white_p)
    if distractors is not None and distractor_p > 0:
        s2 = 0.25 + r(b) * 0.25
        layer = place(distractors, s2, 0.15 + r(b) * 0.7, 0.15 + r(b) * 0.7, (r(b) - 0.5) * 1.0)
        keep = (r(b, 1, 1, 1) < distractor_p).float()
        img = composite(img, layer * keep)
    s = scale[0] + r(b) * (scale[1] - scale[0])
    margin = s / 2 * 0.8
    cx = margin + r(b) * (1 - 2 * margin).clamp(min=0)
    cy = margin + r(b) * (1 - 2 * margin).clamp(min=0)
    layer = place(sprites, s, cx, cy, (r(b) - 0.5) * 0.8)
    return composite(img, layer).clamp(0, 1)


def normalize(img):
    mean = torch.tensor(CLIP_MEAN, device=img.device).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=img.device).view(1, 3, 1, 1)
    return (img - mean) / std
