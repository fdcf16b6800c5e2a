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


def proposal_crops(pick, n, out, g, scene_side=160, neg_p=0.2, jitter=0.12, context=0.1, scale=(0.22, 0.7), per_scene=4):
    """n region crops [n,3,out,out] as the engine embeds detector proposals (domain/region-crop.ts: squared, `context`
    of the side added on each side, shifted to stay inside the image), cut from crowded rendered scenes (2-5 objects,
    overlapping): so the image tower learns on what it meets at search time — a proposal box that is a little off
    (centre and size jittered by `jitter` of the side), neighbours cut in at the edges, a partly hidden object.
    per_scene crops come from each scene (its objects in turn). A share neg_p are junk proposals (random squares overlapping no object by IoU >= 0.3: background, parts of
    objects, two halves of neighbours), labelled -1; a random square that overlaps an object by IoU >= 0.3 or holds
    half of one is -100 (ignored: it shows an object). Returns (crops, labels [n] long, coverage [n,out,out])."""
    from torchvision.ops import box_iou, roi_align
    dev = g.device
    r = lambda *s: torch.rand(*s, generator=g, device=dev)
    rn = lambda *s: torch.randn(*s, generator=g, device=dev)
    m = -(-n // per_scene)  # per_scene crops from each scene (rendering is the costly part)
    img, objs, cov = render_scenes(pick, m, scene_side, g, max_objects=5, min_objects=2, scale=scale, white_p=0.2,
                                   letterbox_p=0.0)
    rois, labels = [], []
    neg = (r(n) < neg_p).tolist()
    offset = torch.randint(0, 5, (m,), generator=g, device=dev).tolist()
    for k in range(n):
        i = k % m
        gt = torch.tensor([b for _, b in objs[i]], device=dev).view(-1, 4)
        if objs[i] and not neg[k]:
            c, (x1, y1, x2, y2) = objs[i][(offset[i] + k // m) % len(objs[i])]  # the scene's objects in turn
            w, h = x2 - x1, y2 - y1
            d = rn(4) * jitter
            cx, cy = (x1 + x2) / 2 + float(d[0]) * w, (y1 + y2) / 2 + float(d[1]) * h
            w, h = w * math.exp(float(d[2])), h * math.exp(float(d[3]))
            label = c
        else:
            side = scene_side * (0.15 + 0.45 * float(r(1)))
            w = h = side
            cx, cy = side / 2 + float(r(1)) * (scene_side - side), side / 2 + float(r(1)) * (scene_side - side)
            label = -1
        s = max(w, h) * (1 + 2 * context)
        s = min(s, scene_side)
        x1 = min(max(cx - s / 2, 0.0), scene_side - s)
        y1 = min(max(cy - s / 2, 0.0), scene_side - s)
        box = [x1, y1, x1 + s, y1 + s]
        if label == -1 and len(gt):
            b = torch.tensor([box], device=dev)
            inter = (torch.minimum(b[:, 2:], gt[:, 2:]) - torch.maximum(b[:, :2], gt[:, :2])).clamp(min=0).prod(1)
            inside = inter / ((gt[:, 2:] - gt[:, :2]).prod(1)).clamp(min=1)
            if float(box_iou(b, gt).max()) >= 0.3 or float(inside.max()) >= 0.5:
                label = -100  # shows (most of) an object: not junk
        rois.append([float(i)] + box)
        labels.append(label)
    rois = torch.tensor(rois, device=dev)
    crops = roi_align(img, rois, out, spatial_scale=1.0, sampling_ratio=2, aligned=True)
    cov_c = roi_align(cov.unsqueeze(1), rois, out, spatial_scale=1.0, sampling_ratio=2, aligned=True)[:, 0]
    return crops.clamp(0, 1), torch.tensor(labels, device=dev), cov_c
