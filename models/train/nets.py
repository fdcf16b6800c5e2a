"""Loupe's emoji model family: one small convolutional backbone (stride 8) shared by
- the CLIP-contract image tower (attention pooling over the stride-8 tokens, projected to the joint space),
- the DINO-contract attention model (the same attention logits, softmaxed over the tokens, one map per head),
- the YOLOX-contract class-agnostic detector (neck to strides 16/32, objectness + box per grid cell),
- and, composed in export_family.py, the OWL-ViT-contract detector (detector proposals -> crops -> image tower,
  scored against the text tower's query embeddings).
Inputs of the backbone are CLIP-normalised RGB."""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

CROP = 48           # the CLIP image tower's input side
HEADS = 4           # attention heads (DINO v2 gives one map per head)
HEAD_THRESHOLDS = (0.2, 0.45, 0.7, 0.9)  # token coverage above which head h's target is "object"
STRIDES = (8, 16, 32)


def cbr(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Res(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return F.relu(x + self.conv(x))


class Backbone(nn.Module):
    def __init__(self, width=(32, 64, 128, 256)):
        super().__init__()
        w = width
        self.net = nn.Sequential(cbr(3, w[0], 3, 2), Res(w[0]), cbr(w[0], w[1], 3, 2), Res(w[1]), cbr(w[1], w[2], 3, 2), Res(w[2]),
                                 cbr(w[2], w[3], 1, 1))
        self.channels = w[3]

    def forward(self, x):
        return self.net(x)


class AttentionPool(nn.Module):
    """Per head h: logits_h(t) = <q_h, token_t> (a learned CLS-style query), attention = softmax over tokens, pooled
    value per head, concatenated and projected."""

    def __init__(self, c, dim, heads=HEADS, value=256):
        super().__init__()
        self.heads = heads
        self.query = nn.Conv2d(c, heads, 1)
        self.value = nn.Conv2d(c, value, 1)
        self.proj = nn.Sequential(nn.Linear(value, value), nn.GELU(), nn.Linear(value, dim))

    def logits(self, feat):
        return self.query(feat).flatten(2)  # [B, H, T]

    def forward(self, feat):
        b = feat.shape[0]
        logits = self.logits(feat)
        attn = logits.softmax(-1)
        v = self.value(feat).flatten(2).view(b, self.heads, -1, logits.shape[-1])  # [B,H,E/H,T]
        pooled = (v * attn.unsqueeze(2)).sum(-1).reshape(b, -1)
        return self.proj(pooled), logits


class ImageTower(nn.Module):
    def __init__(self, dim=256):
        super().__init__()
        self.backbone = Backbone()
        self.pool = AttentionPool(self.backbone.channels, dim)

    def forward(self, pixel_values):
        emb, _ = self.pool(self.backbone(pixel_values))
        return emb


class TextTower(nn.Module):
    """Subword embeddings -> a depthwise width-3 convolution over the sequence (joins a word's pieces and neighbouring
    words cheaply) -> attention pooling (a learned weight per token, so filler such as "a photo of" can count for
    little) beside the masked mean -> MLP -> D. Cheap on purpose: every step embeds a caption of every class."""

    def __init__(self, vocab_size, dim=256, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, hidden)
        self.mix = nn.Conv1d(hidden, hidden, 3, padding=1, groups=hidden)
        self.score = nn.Linear(hidden, 1)
        self.mlp = nn.Sequential(nn.Linear(2 * hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, dim))

    def forward(self, input_ids, attention_mask):
        m = attention_mask.to(torch.float32).unsqueeze(-1)
        e = self.embed(input_ids) * m
        h = (e + F.gelu(self.mix(e.transpose(1, 2)).transpose(1, 2))) * m
        s = self.score(h) - (1 - m) * 1e4
        w = s.softmax(1)
        att = (h * w).sum(1)
        mean = h.sum(1) / m.sum(1).clamp(min=1.0)
        return self.mlp(torch.cat([att, mean], -1))


class DetHead(nn.Module):
    """Neck from the stride-8 features to strides 16 and 32; per level objectness + (dx, dy, log w, log h) per cell."""

    def __init__(self, c):
        super().__init__()
        self.reduce = cbr(c, 128, 1)
        self.down16 = nn.Sequential(cbr(128, 128, 3, 2), Res(128))
        self.down32 = nn.Sequential(cbr(128, 128, 3, 2), Res(128))
        self.heads = nn.ModuleList([nn.Sequential(cbr(128, 64, 3), nn.Conv2d(64, 5, 1)) for _ in STRIDES])
        for h in self.heads:
            nn.init.constant_(h[1].bias, 0.0)
            with torch.no_grad():
                h[1].bias[0] = -4.0  # objectness starts low (most cells are background)

    def forward(self, feat):
        """-> list per level of [B, 5, H_l, W_l] (objectness logit, dx, dy, log w, log h in stride units)."""
        x8 = self.reduce(feat)
        x16 = self.down16(x8)
        x32 = self.down32(x16)
        return [h(x) for h, x in zip(self.heads, (x8, x16, x32))]


class Family(nn.Module):
    def __init__(self, vocab_size, dim=256, detector=True):
        super().__init__()
        self.image = ImageTower(dim)
        self.text = TextTower(vocab_size, dim)
        if detector:
            self.det = DetHead(self.image.backbone.channels)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(20.0)))
        self.head_bias = nn.Parameter(torch.zeros(HEADS))  # BCE offset of the attention logits (not exported)


def grid_outputs(levels):
    """Flattens the levels in YOLOX anchor order: [B, N, 5] and per anchor (gx, gy, stride)."""
    outs, grids = [], []
    for out, s in zip(levels, STRIDES):
        b, _, h, w = out.shape
        outs.append(out.flatten(2).transpose(1, 2))
        gy, gx = torch.meshgrid(torch.arange(h, device=out.device), torch.arange(w, device=out.device), indexing='ij')
        grids.append(torch.stack([gx.flatten(), gy.flatten(), torch.full_like(gx.flatten(), s)], 1))
    return torch.cat(outs, 1), torch.cat(grids, 0).float()


def decode(raw, grid):
    """raw [B,N,5] -> objectness probability [B,N] and boxes [B,N,4] x1,y1,x2,y2 in input pixels."""
    s = grid[:, 2]
    cx = (raw[..., 1] + grid[:, 0]) * s
    cy = (raw[..., 2] + grid[:, 1]) * s
    w = raw[..., 3].clamp(max=8).exp() * s
    h = raw[..., 4].clamp(max=8).exp() * s
    return raw[..., 0].sigmoid(), torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


class OwlHead(nn.Module):
    """The OWL-ViT-contract second stage, per detector proposal (OWL-ViT's per-box class embedding and box bias): an
    image tower of its own (initialised from the CLIP run's, fine-tuned on crops of multi-object scenes, where
    neighbours intrude and proposals are off), the box's class embedding compared with the query's text embedding,
    plus a learned bias per box from its embedding and objectness. Trained with a sigmoid focal loss over present and
    absent queries (train_owl.py), so sigmoid(logit) reads as the probability that the box shows the query."""

    def __init__(self, image_tower, dim=256):
        super().__init__()
        self.image = copy.deepcopy(image_tower)
        self.box_bias = nn.Sequential(nn.Linear(dim + 1, 128), nn.GELU(), nn.Linear(128, 1))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(16.0)))
        self.shift = nn.Parameter(torch.tensor(-8.0))

    def forward(self, crops, log_objectness, text_embeds):
        """crops [N,3,c,c], log_objectness [N], text_embeds [Q,D] (L2-normalised) -> logits [N,Q]."""
        emb = self.image(crops)
        ce = F.normalize(emb, dim=-1)
        bias = self.box_bias(torch.cat([emb, log_objectness.unsqueeze(-1)], -1))
        return self.logit_scale.exp() * ce @ text_embeds.t() + bias + self.shift
