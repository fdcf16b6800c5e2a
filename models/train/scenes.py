"""Multi-object scene renderer (pure torch, batched): 1-5 emoji at 8-70 % of the side, random position, rotation and
partial overlap, optional letterbox band (pad 114), on the backgrounds of common.py. Returns images, per-object boxes
(from the alpha of each object, clipped to the visible canvas) and the per-pixel object coverage."""
import math

import torch
import torch.nn.functional as F

from common import backgrounds


def _place(sprites, side, scale_x, scale_y, cx, cy, angle):
    """Warps sprites [b,4,S,S] onto side x side canvases (premultiplied rgb + alpha). scale_*: fraction of the side."""
    b = sprites.shape[0]
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(b, 2, 3, device=sprites.device)
    theta[:, 0, 0], theta[:, 0, 1] = cos / scale_x, sin / scale_x
    theta[:, 1, 0], theta[:, 1, 1] = -sin / scale_y, cos / scale_y
    tx, ty = cx * 2 - 1, cy * 2 - 1
    theta[:, 0, 2] = -(theta[:, 0, 0] * tx + theta[:, 0, 1] * ty)
    theta[:, 1, 2] = -(theta[:, 1, 0] * tx + theta[:, 1, 1] * ty)
    grid = F.affine_grid(theta, (b, 4, side, side), align_corners=False)
    pm = torch.cat([sprites[:, :3] * sprites[:, 3:], sprites[:, 3:]], 1)
    return F.grid_sample(pm, grid, mode='bilinear', padding_mode='zeros', align_corners=False)


def render_scenes(pick, b, side, g, max_objects=5, scale=(0.08, 0.7), white_p=0.2, letterbox_p=0.5, min_objects=1, fixed_band=None):
    """b scenes; pick(n) -> sprites [n,4,S,S] and class ids [n]. Returns (img [b,3,side,side] 0..1, objects: list per image of
    (class id, [x1,y1,x2,y2] in pixels), coverage [b,side,side] (max alpha of any object))."""
    dev = g.device
    r = lambda *s: torch.rand(*s, generator=g, device=dev)
    n_obj = torch.randint(min_objects, max_objects + 1, (b,), generator=g, device=dev)
    img = backgrounds(b, g, white_p, side)
    # Letterbox band: bottom or right strip of grey 114 (as YOLOX letterboxing pads), objects stay out of it.
    band = torch.where(r(b) < letterbox_p, r(b) * 0.35, torch.zeros(b, device=dev))
    band_right = r(b) < 0.5
    if fixed_band is not None:  # a fixed bottom band (evaluation renders cut it away)
        band, band_right = torch.full((b,), float(fixed_band), device=dev), torch.zeros(b, dtype=torch.bool, device=dev)
    w_avail = torch.where(band_right, 1 - band, torch.ones_like(band))
    h_avail = torch.where(band_right, torch.ones_like(band), 1 - band)
    ys = torch.arange(side, device=dev).view(1, side, 1).float() / side
    xs = torch.arange(side, device=dev).view(1, 1, side).float() / side
    in_band = torch.where(band_right.view(b, 1, 1), xs >= (1 - band).view(b, 1, 1), ys >= (1 - band).view(b, 1, 1))
    in_band = in_band & (band.view(b, 1, 1) > 0)
    coverage = torch.zeros(b, side, side, device=dev)
    objects = [[] for _ in range(b)]
    for k in range(max_objects):
        active = n_obj > k
        if not active.any():
            break
        spr, cls = pick(b)
        avail = torch.minimum(w_avail, h_avail)
        # Log-uniform scale so small objects are as common as large ones.
        s = torch.exp(math.log(scale[0]) + r(b) * (math.log(scale[1]) - math.log(scale[0]))) * avail
        aspect = torch.exp((r(b) - 0.5) * 0.3)
        sx, sy = s * aspect, s / aspect
        cx = sx / 2 * 0.7 + r(b) * (w_avail - sx * 0.7).clamp(min=0)
        cy = sy / 2 * 0.7 + r(b) * (h_avail - sy * 0.7).clamp(min=0)
        layer = _place(spr, side, sx, sy, cx, cy, (r(b) - 0.5) * 0.7)
        layer = layer * active.view(b, 1, 1, 1).float()
        img = layer[:, :3] + img * (1 - layer[:, 3:])
        # Later objects hide earlier ones: reduce earlier coverage under the new object.
        a = layer[:, 3] * (~in_band).float()  # boxes and coverage only where the object is visible
        coverage = torch.maximum(coverage * (1 - a), a)
        m = a > 0.3
        for i in torch.nonzero(active).flatten().tolist():
            ys = torch.nonzero(m[i].any(1)).flatten()
            xs = torch.nonzero(m[i].any(0)).flatten()
            if len(xs) == 0:
                continue
            objects[i].append([int(cls[i]), [float(xs[0]), float(ys[0]), float(xs[-1] + 1), float(ys[-1] + 1)], a[i]])
    # Drop objects mostly hidden by later ones (visible alpha < 35 % of their own).
    final = []
    for i in range(b):
        keep = []
        for j, (c, box, a) in enumerate(objects[i]):
            own = a.sum()
            vis = a.clone()
            for (_, _, a2) in objects[i][j + 1:]:
                vis = vis * (1 - a2)
            if own > 0 and vis.sum() / own >= 0.35:
                keep.append((c, box))
        final.append(keep)
    # Paint the letterbox band.
    img = torch.where(in_band.unsqueeze(1), torch.full_like(img, 114 / 255), img)
    coverage = torch.where(in_band, torch.zeros_like(coverage), coverage)
    return img.clamp(0, 1), final, coverage
