"""Compares Loupe's CPU resampling with PIL's Image.resize(box=...) in float mode ('F'), channel by channel.

Inputs come from `LOUPE_DUMP_DIR=dir loupe_cuda_check` (see native/cuda/cuda_check.cc). PIL's float mode uses the same
antialiased coefficients as its 8-bit mode without the 8-bit rounding, so agreement to ~1e-3 grey levels shows that
Loupe's resize is PIL's (what transformers' CLIPImageProcessor uses in Python). Exit 1 on a mismatch.
"""
import sys

import numpy as np
from PIL import Image

d = sys.argv[1]
W, H, S = 257, 181, 48
img = np.fromfile(f"{d}/image.u8", dtype=np.uint8).reshape(H, W, 3)
boxes = np.fromfile(f"{d}/boxes.f32", dtype=np.float32).reshape(-1, 4)
worst = 0.0
for name, flt in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
    ours = np.fromfile(f"{d}/{name}.f32", dtype=np.float32).reshape(len(boxes), 3, S, S)
    for b, box in enumerate(boxes):
        for c in range(3):
            ch = Image.fromarray(np.ascontiguousarray(img[:, :, c]).astype(np.float32))  # float32 -> mode "F"
            pil = np.asarray(ch.resize((S, S), flt, box=tuple(float(v) for v in box)))
            diff = float(np.abs(np.clip(pil, 0, 255) - ours[b, c]).max())
            worst = max(worst, diff)
    print(f"pil_check {name}: max |Loupe - PIL float resize| so far = {worst:.2e} grey levels")
ok = worst < 1e-2
print(f"pil_check: {'ok' if ok else 'MISMATCH'} (max {worst:.2e} over {len(boxes)} boxes x 3 channels, bilinear + bicubic)")
sys.exit(0 if ok else 1)
