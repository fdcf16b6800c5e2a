#!/usr/bin/python3
"""Writes models/color-owl/, models/color-yolox/ and models/color-dino/: hand-weighted colour detectors in Loupe's
OWL-ViT, YOLOX and DINO-attention folder contracts (/work/shared/MODELS.md, src/models/contract.ts).

    /usr/bin/python3 scripts/make-color-detectors.py     (needs numpy and onnx; deterministic: same bytes every run)

All three share color-clip's palette (scripts/make-color-clip.py, imported): per pixel, a softmax over RGB prototypes
of -|rgb - p|^2 / T (T = 0.002, nearly a hard nearest-prototype choice), summed into 12 colour names.
White and gray are background; the other ten names (black included: the demo scenes draw black objects) are object
colours. Every model card says what its model does and how well (numbers measured by
test/models/color-detectors.test.ts on rendered demo scenes).

  color-owl   (S=96, squash): colour shares averaged over 4 px cells (24x24) -> for P fixed windows of whole cells,
              the sum of each colour (band matrices: R @ cells @ R^T, then a Gather of the windows) -> per query
              colour set q (the color-clip text tower, clipped to 0..1): fraction f = window's query-colour share,
              captured c = window's query-colour sum / image's; score = f * c^2; logit = 12 * score - 3.
  color-yolox (640x640 BGR letterbox): 4x4 px block means -> foreground = 1 - (white + gray share) -> for each stride
              s and each window shape (side pairs tied to s) centred on the anchor: f = foreground fraction,
              c = window sum / sum over the window twice as large (local context); objectness = f * c^2, the best
              shape per anchor gives log_w/log_h; offsets 0.5; class score 1.
  color-dino  (224, squash, ImageNet mean/std): per 16 px patch the share of foreground (head 0) and of each object
              colour (heads 1..10); a head is on when some patch is >= 0.5 its colour (else its shares count 0);
              attention = (share + 1e-4) normalised over the 196 patches (an off head is exactly uniform).

The script asserts the behaviour of its numpy reference (float64, the same computation as each graph) on synthetic
scenes, checks the graphs with onnx.checker, and writes test/models/fixtures/color-detectors-reference.json (inputs
and reference outputs) that the TypeScript test compares with onnxruntime-node.
"""
import importlib.util
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "test", "models", "fixtures", "color-detectors-reference.json")
_spec = importlib.util.spec_from_file_location("make_color_clip", os.path.join(ROOT, "scripts", "make-color-clip.py"))
clip = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clip)

OPSET = 13
NAMES, K, T = clip.NAMES, clip.K, clip.TEMPERATURE
BACKGROUND = ["white", "gray"]
OBJECT_COLOURS = [n for n in NAMES if n not in BACKGROUND]
CLIP_MEAN, CLIP_STD = clip.MEAN, clip.STD
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]

# color-owl
OWL_SIZE, OWL_CELL = 96, 4
OWL_GRID = OWL_SIZE // OWL_CELL  # 24
OWL_LENGTHS = [2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24]  # window sides in cells (8..96 px of the input)
OWL_START_STEP = 2  # window starts every 2 cells (8 px), plus the last position flush with the edge
OWL_MAX_ASPECT = 2.0
OWL_A, OWL_B = 12.0, 3.0  # logit = A * score - B: sigmoid >= 0.5 exactly when score >= 0.25; at most 9 (no float32 saturation)
OWL_EPS = 1e-6
# color-yolox
YOLOX_SIZE, YOLOX_CELL, YOLOX_STRIDES, YOLOX_PAD = 640, 4, [8, 16, 32], 114
YOLOX_GRID = YOLOX_SIZE // YOLOX_CELL  # 160
YOLOX_SIDES = {8: [16, 24, 32, 40, 48], 16: [48, 64, 80, 96, 112, 128],
               32: [128, 160, 192, 224, 256, 320, 384, 448, 512, 640]}  # box sides in input px per stride
YOLOX_CONTEXT, YOLOX_MAX_ASPECT, YOLOX_EPS = 2, 2.0, 1e-6
# color-dino
DINO_SIZE, DINO_PATCH = 224, 16
DINO_GRID = DINO_SIZE // DINO_PATCH  # 14
DINO_HEADS = ["foreground"] + OBJECT_COLOURS
DINO_HEAD_ON, DINO_EPS = 0.5, 1e-4  # a head is on when some patch is >= half its colour


# ---- shared pieces ------------------------------------------------------------------------------------------------

class Graph:
    """Collects nodes and initializers (names must be unique; onnx.checker verifies)."""

    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, name, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def model(self, name, inputs, outputs, producer):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=producer,
                                  producer_version="1")
        model.ir_version = 7
        onnx.checker.check_model(model)
        return model


def name_matrix(channels):
    """[C, prototypes]: 0/1, channel c sums the prototypes of the colour names in channels[c]."""
    protos, to_dim = clip.prototypes()
    owner = to_dim[:, :K].argmax(axis=1)
    m = np.zeros((len(channels), len(protos)), dtype=np.float32)
    for c, names in enumerate(channels):
        for n in names:
            m[c, owner == NAMES.index(n)] = 1.0
    return m


def colour_channels(g, rgb, channels, prefix, input_scale=1.0, bgr=False):
    """rgb [B,3,H,W] (0..1 RGB, or 0..255 BGR with input_scale=1/255, bgr=True) -> [B,len(channels),H,W] name shares."""
    protos, _ = clip.prototypes()
    p = len(protos)
    w = 2.0 * protos / T * input_scale
    if bgr:
        w = w[:, ::-1]
    weight = w.astype(np.float32).reshape(p, 3, 1, 1)
    bias = (-(protos ** 2).sum(axis=1) / T).astype(np.float32)
    logits = g.op("Conv", [rgb, g.const(f"{prefix}_prototype_weight", weight), g.const(f"{prefix}_prototype_bias", bias)],
                  f"{prefix}_prototype_logits")
    soft = g.op("Softmax", [logits], f"{prefix}_assignment", axis=1)
    names = name_matrix(channels).reshape(len(channels), p, 1, 1)
    return g.op("Conv", [soft, g.const(f"{prefix}_names", names)], f"{prefix}_name_shares")


def undo_normalisation(g, mean, std):
    g.const("std", np.array(std, dtype=np.float32).reshape(1, 3, 1, 1))
    g.const("mean", np.array(mean, dtype=np.float32).reshape(1, 3, 1, 1))
    g.const("zero", np.array(0.0, dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    scaled = g.op("Mul", ["pixel_values", "std"], "undo_std")
    raw = g.op("Add", [scaled, "mean"], "undo_mean")
    return g.op("Clip", [raw, "zero", "one"], "rgb")


def ref_channels(rgb, channels):
    """numpy: rgb [B,3,H,W] in 0..1 -> [B,C,H,W] shares of the channels' colour names (float64)."""
    protos, _ = clip.prototypes()
    logits = np.einsum("bchw,pc->bphw", rgb, 2.0 * protos / T) - ((protos ** 2).sum(axis=1) / T).reshape(1, -1, 1, 1)
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    a = e / e.sum(axis=1, keepdims=True)
    return np.einsum("bphw,cp->bchw", a, name_matrix(channels).astype(np.float64))


def ref_unnormalise(pixel_values, mean, std):
    return np.clip(pixel_values.astype(np.float64) * np.reshape(std, (1, 3, 1, 1)) + np.reshape(mean, (1, 3, 1, 1)), 0, 1)


def block_mean(x, cell):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // cell, cell, w // cell, cell).mean(axis=(3, 5))


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def paint(height, width, background, shapes):
    """uint8 RGB [H,W,3]: background colour, then ('square'|'disc', (x1,y1,x2,y2), rgb) shapes."""
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:] = background
    yy, xx = np.mgrid[0:height, 0:width] + 0.5
    for kind, (x1, y1, x2, y2), rgb in shapes:
        if kind == "square":
            inside = (xx >= x1) & (xx < x2) & (yy >= y1) & (yy < y2)
        else:
            inside = ((xx - (x1 + x2) / 2) / ((x2 - x1) / 2)) ** 2 + ((yy - (y1 + y2) / 2) / ((y2 - y1) / 2)) ** 2 <= 1
        img[inside] = rgb
    return img


def normalised(img, mean, std):
    """uint8 RGB [H,W,3] -> [1,3,H,W] float32 (rescale 1/255, then mean/std), as Loupe's preprocess computes it."""
    x = (img.astype(np.float64) / 255.0 - np.array(mean)) / np.array(std)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def blocks_image(blocks, side):
    """8x8 RGB blocks -> uint8 [8*side, 8*side, 3]."""
    return np.repeat(np.repeat(np.array(blocks, dtype=np.uint8).reshape(8, 8, 3), side, axis=0), side, axis=1)


RED, BLUE, GREEN, BLACK = (224, 32, 32), (37, 70, 224), (42, 168, 69), (21, 21, 21)
WHITE, GREY = (255, 255, 255), (184, 184, 184)


# ---- color-owl ----------------------------------------------------------------------------------------------------

def owl_windows():
    """Row/column intervals of cells and the kept (row interval, column interval) pairs."""
    intervals = []
    for length in OWL_LENGTHS:
        starts = list(range(0, OWL_GRID - length + 1, OWL_START_STEP))
        if starts[-1] != OWL_GRID - length:
            starts.append(OWL_GRID - length)
        intervals += [(s, s + length) for s in starts]
    lengths = [e - s for s, e in intervals]
    pairs = [(a, b) for a in range(len(intervals)) for b in range(len(intervals))
             if max(lengths[a] / lengths[b], lengths[b] / lengths[a]) <= OWL_MAX_ASPECT]
    band = np.zeros((len(intervals), OWL_GRID), dtype=np.float32)
    for i, (s, e) in enumerate(intervals):
        band[i, s:e] = 1.0
    index = np.array([a * len(intervals) + b for a, b in pairs], dtype=np.int64)
    area = np.array([lengths[a] * lengths[b] for a, b in pairs], dtype=np.float32).reshape(-1, 1)
    boxes = np.array([[(intervals[b][0] + intervals[b][1]) / 2, (intervals[a][0] + intervals[a][1]) / 2,
                       lengths[b], lengths[a]] for a, b in pairs], dtype=np.float32) / OWL_GRID  # cx, cy, w, h
    return band, index, area, boxes


def owl_graph(table):
    band, index, area, boxes = owl_windows()
    p = len(index)
    g = Graph()
    # text: masked sum of one-hot colour rows, clipped to 0..1 -> q [Q,K]; transposed [K,Q]
    g.const("word_colours", table[:, :K])
    g.const("token_axis", np.array([1], dtype=np.int64))
    tokens = g.op("Gather", ["word_colours", "input_ids"], "token_colours", axis=0)
    mask = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask3 = g.op("Unsqueeze", [mask, g.const("mask_axis", np.array([2], dtype=np.int64))], "mask3d")
    summed = g.op("ReduceSum", [g.op("Mul", [tokens, mask3], "masked_tokens"), "token_axis"], "query_sum", keepdims=0)
    g.const("zero_q", np.array(0.0, dtype=np.float32))
    g.const("one_q", np.array(1.0, dtype=np.float32))
    query = g.op("Clip", [summed, "zero_q", "one_q"], "query_colours")
    query_t = g.op("Transpose", [query], "query_colours_t", perm=[1, 0])
    # image: colour shares per 4 px cell [B,K,24,24]
    rgb = undo_normalisation(g, CLIP_MEAN, CLIP_STD)
    shares = colour_channels(g, rgb, [[n] for n in NAMES], "pixel")
    cells = g.op("AveragePool", [shares], "cell_shares", kernel_shape=[OWL_CELL, OWL_CELL], strides=[OWL_CELL, OWL_CELL])
    # window sums: band @ cells @ band^T -> [B,K,I,I] -> the kept windows [B,K,P] -> [B,P,K]
    rows = g.op("MatMul", [g.const("window_band", band), cells], "row_interval_sums")
    all_windows = g.op("MatMul", [rows, g.const("window_band_t", band.T.copy())], "interval_pair_sums")
    flat = g.op("Reshape", [all_windows, g.const("flat_shape", np.array([0, 0, -1], dtype=np.int64))], "interval_pair_flat")
    kept = g.op("Gather", [flat, g.const("window_index", index)], "window_sums", axis=2)
    window_colours = g.op("Transpose", [kept], "window_colours", perm=[0, 2, 1])
    inside = g.op("MatMul", [window_colours, query_t], "window_query_sum")  # [B,P,Q]
    total = g.op("ReduceSum", [cells, g.const("cell_axes", np.array([2, 3], dtype=np.int64))], "image_colour_sum", keepdims=0)
    total_q = g.op("MatMul", [total, query_t], "image_query_sum")  # [B,Q]
    total_q3 = g.op("Unsqueeze", [total_q, "token_axis"], "image_query_sum3")  # [B,1,Q]
    fraction = g.op("Div", [inside, g.const("window_area", area)], "fraction")
    denom = g.op("Add", [total_q3, g.const("owl_eps", np.array(OWL_EPS, dtype=np.float32))], "captured_denominator")
    captured = g.op("Div", [inside, denom], "captured")
    score = g.op("Mul", [g.op("Mul", [fraction, captured], "fraction_captured"), captured], "score")
    scaled = g.op("Mul", [score, g.const("logit_scale", np.array(OWL_A, dtype=np.float32))], "scaled_score")
    g.op("Sub", [scaled, g.const("logit_bias", np.array(OWL_B, dtype=np.float32))], "logits")
    batch = g.op("Gather", [g.op("Shape", ["pixel_values"], "pixel_shape"), g.const("first", np.array([0], dtype=np.int64))], "batch")
    box_shape = g.op("Concat", [batch, g.const("box_dims", np.array([p, 4], dtype=np.int64))], "box_shape", axis=0)
    g.op("Expand", [g.const("window_boxes", boxes[None]), box_shape], "pred_boxes")
    return g.model("color_owl", [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["num_queries", "sequence_length"]),
        helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", 3, OWL_SIZE, OWL_SIZE]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["num_queries", "sequence_length"]),
    ], [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", p, "num_queries"]),
        helper.make_tensor_value_info("pred_boxes", TensorProto.FLOAT, ["batch_size", p, 4]),
    ], "loupe-make-color-detectors")


def ref_owl(pixel_values, input_ids, attention_mask, table):
    band, index, area, boxes = owl_windows()
    q = np.clip((table[input_ids][:, :, :K].astype(np.float64) * attention_mask[:, :, None]).sum(axis=1), 0, 1)
    cells = block_mean(ref_channels(ref_unnormalise(pixel_values, CLIP_MEAN, CLIP_STD), [[n] for n in NAMES]), OWL_CELL)
    pairs = np.einsum("ay,bkyx,cx->bkac", band, cells, band).reshape(cells.shape[0], K, -1)[:, :, index]
    inside = np.einsum("bkp,qk->bpq", pairs, q)
    total = np.einsum("bkyx,qk->bq", cells, q)[:, None, :]
    captured = inside / (total + OWL_EPS)
    score = inside / area.astype(np.float64).reshape(1, -1, 1) * captured * captured
    return OWL_A * score - OWL_B, np.broadcast_to(boxes, (cells.shape[0],) + boxes.shape)


def owl_corners(box, width, height):
    cx, cy, w, h = box
    return [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height]


def check_owl(table, vocab):
    ids = lambda word: [vocab[word]]
    squares = [("square", (16, 24, 48, 56), RED), ("disc", (56, 40, 88, 80), BLUE)]
    img = paint(OWL_SIZE, OWL_SIZE, WHITE, squares)
    words = ["red", "blue", "green", "a"]
    input_ids = np.array([ids(w) for w in words], dtype=np.int64)
    logits, boxes = ref_owl(normalised(img, CLIP_MEAN, CLIP_STD), input_ids, np.ones_like(input_ids), table)
    sig = 1 / (1 + np.exp(-logits[0]))
    for q, (_, box, _) in enumerate(squares):
        best = int(logits[0, :, q].argmax())
        overlap = iou(owl_corners(boxes[0, best], OWL_SIZE, OWL_SIZE), box)
        assert sig[best, q] > 0.99 and overlap > 0.75, f"owl query {words[q]}: score {sig[best, q]:.3f} IoU {overlap:.3f}"
    assert sig[:, 2].max() < 0.05 and np.all(logits[0, :, 3] == -OWL_B), "owl: absent / colourless queries must stay low"
    assert len(boxes[0]) <= 7000


# ---- color-yolox --------------------------------------------------------------------------------------------------

def yolox_plan(stride):
    """Side lengths (cells) whose band matrices are built, the [gs, 160] bands, and the kept (inner, context) shapes."""
    gs, step, centre = YOLOX_SIZE // stride, stride // YOLOX_CELL, stride // 8  # centre: half a stride, in cells
    inner = [s // YOLOX_CELL for s in YOLOX_SIDES[stride]]
    assert all(s % 2 == 0 for s in inner), "sides must be even in cells to centre windows on anchors"
    sides = sorted(set(inner) | {YOLOX_CONTEXT * s for s in inner})
    band = np.zeros((len(sides), gs, YOLOX_GRID), dtype=np.float32)
    for i, side in enumerate(sides):
        for g in range(gs):
            lo, hi = g * step + centre - side // 2, g * step + centre + side // 2
            band[i, g, max(0, lo):min(YOLOX_GRID, hi)] = 1.0
    shapes = [(h, w) for h in inner for w in inner if max(h / w, w / h) <= YOLOX_MAX_ASPECT]
    n = len(sides)
    inner_index = np.array([sides.index(h) * n + sides.index(w) for h, w in shapes], dtype=np.int64)
    context_index = np.array([sides.index(YOLOX_CONTEXT * h) * n + sides.index(YOLOX_CONTEXT * w) for h, w in shapes],
                             dtype=np.int64)
    area = np.array([h * w for h, w in shapes], dtype=np.float32).reshape(-1, 1, 1)
    log_w = np.log(np.array([w * YOLOX_CELL / stride for _, w in shapes])).astype(np.float32)
    log_h = np.log(np.array([h * YOLOX_CELL / stride for h, _ in shapes])).astype(np.float32)
    return gs, band, inner_index, context_index, area, log_w, log_h


def yolox_graph():
    g = Graph()
    blocks = g.op("AveragePool", ["images"], "block_means", kernel_shape=[YOLOX_CELL] * 2, strides=[YOLOX_CELL] * 2)
    fg = colour_channels(g, blocks, [OBJECT_COLOURS], "block", input_scale=1 / 255, bgr=True)  # [1,1,160,160]
    fg2 = g.op("Reshape", [fg, g.const("grid_shape", np.array([YOLOX_GRID, YOLOX_GRID], dtype=np.int64))], "foreground")
    g.const("eps", np.array(YOLOX_EPS, dtype=np.float32))
    g.const("axis0", np.array([0], dtype=np.int64))
    g.const("axis1", np.array([1], dtype=np.int64))
    per_stride = []
    for s in YOLOX_STRIDES:
        gs, band, inner_index, context_index, area, log_w, log_h = yolox_plan(s)
        p = f"s{s}_"
        rows = g.op("MatMul", [g.const(p + "band", band), fg2], p + "row_sums")  # [n,gs,160]
        rows4 = g.op("Unsqueeze", [rows, "axis1"], p + "row_sums4")  # [n,1,gs,160]
        band_t = g.op("Unsqueeze", [g.op("Transpose", [p + "band"], p + "band_t", perm=[0, 2, 1]), "axis0"], p + "band_t4")
        sums = g.op("MatMul", [rows4, band_t], p + "window_sums")  # [n(h), n(w), gs, gs]
        flat = g.op("Reshape", [sums, g.const(p + "flat_shape", np.array([-1, gs, gs], dtype=np.int64))], p + "flat")
        inner = g.op("Gather", [flat, g.const(p + "inner_index", inner_index)], p + "inner", axis=0)
        context = g.op("Gather", [flat, g.const(p + "context_index", context_index)], p + "context", axis=0)
        fraction = g.op("Div", [inner, g.const(p + "area", area)], p + "fraction")
        captured = g.op("Div", [inner, g.op("Add", [context, "eps"], p + "context_eps")], p + "captured")
        obj = g.op("Mul", [g.op("Mul", [fraction, captured], p + "fc"), captured], p + "objectness_per_shape")
        best = g.op("ReduceMax", [obj], p + "objectness", axes=[0], keepdims=0)  # [gs,gs]
        which = g.op("ArgMax", [obj], p + "best_shape", axis=0, keepdims=0)
        lw = g.op("Gather", [g.const(p + "log_w_table", log_w), which], p + "log_w")
        lh = g.op("Gather", [g.const(p + "log_h_table", log_h), which], p + "log_h")
        col = np.array([gs * gs, 1], dtype=np.int64)
        g.const(p + "col_shape", col)
        half = g.const(p + "half", np.full((gs * gs, 1), 0.5, dtype=np.float32))
        one = g.const(p + "class_score", np.ones((gs * gs, 1), dtype=np.float32))
        cols = [g.op("Reshape", [t, p + "col_shape"], t + "_col") for t in (lw, lh, best)]
        per_stride.append(g.op("Concat", [half, half, cols[0], cols[1], cols[2], one], p + "rows", axis=1))
    rows = g.op("Concat", per_stride, "anchor_rows", axis=0)
    g.op("Unsqueeze", [rows, "axis0"], "output")
    n = sum((YOLOX_SIZE // s) ** 2 for s in YOLOX_STRIDES)
    return g.model("color_yolox", [
        helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, YOLOX_SIZE, YOLOX_SIZE]),
    ], [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, n, 6])], "loupe-make-color-detectors")


def ref_yolox(images, margins=None):
    """images [1,3,640,640] BGR 0..255 -> output [1,8400,6] (float64); appends to `margins` each anchor's best minus
    second-best shape objectness (near-ties may pick another shape in float32)."""
    rgb = block_mean(images.astype(np.float64), YOLOX_CELL)[:, ::-1] / 255.0
    fg = ref_channels(rgb, [OBJECT_COLOURS])[0, 0]
    out = []
    for s in YOLOX_STRIDES:
        gs, band, inner_index, context_index, area, log_w, log_h = yolox_plan(s)
        band = band.astype(np.float64)
        sums = np.einsum("ayx,bgx->abyg", band @ fg, band).reshape(-1, gs, gs)
        inner, context = sums[inner_index], sums[context_index]
        captured = inner / (context + YOLOX_EPS)
        obj = inner / area * captured * captured
        which = obj.argmax(axis=0)
        if margins is not None:
            top2 = np.sort(obj, axis=0)[-2:]
            margins.extend((top2[1] - top2[0]).ravel().tolist())
        rows = np.stack([np.full((gs, gs), 0.5), np.full((gs, gs), 0.5), log_w[which], log_h[which], obj.max(axis=0),
                         np.ones((gs, gs))], axis=-1)
        out.append(rows.reshape(-1, 6))
    return np.concatenate(out)[None]


def decode_yolox(output, scale=1.0):
    """As native/core/decode.cc: centre = (offset + cell) * stride, size = exp(log) * stride; score = obj * class."""
    boxes, a = [], 0
    for s in YOLOX_STRIDES:
        gs = YOLOX_SIZE // s
        for gy in range(gs):
            for gx in range(gs):
                o = output[0, a]
                cx, cy, w, h = (o[0] + gx) * s, (o[1] + gy) * s, np.exp(o[2]) * s, np.exp(o[3]) * s
                boxes.append([(cx - w / 2) / scale, (cy - h / 2) / scale, (cx + w / 2) / scale, (cy + h / 2) / scale, o[4] * o[5]])
                a += 1
    return np.array(boxes)


def nms(dets, threshold, keep_at_most):
    kept = []
    for i in np.argsort(-dets[:, 4], kind="stable"):
        if all(iou(dets[i, :4], dets[j, :4]) <= threshold for j in kept):
            kept.append(int(i))
        if len(kept) == keep_at_most:
            break
    return kept


def letterboxed(img):
    """uint8 RGB whose long side is 640 -> [1,3,640,640] BGR 0..255 with pad 114 (already at scale 1)."""
    canvas = np.full((YOLOX_SIZE, YOLOX_SIZE, 3), YOLOX_PAD, dtype=np.float32)
    canvas[:img.shape[0], :img.shape[1]] = img
    return canvas[:, :, ::-1].transpose(2, 0, 1)[None].copy()


def check_yolox():
    shapes = [("square", (64, 96, 224, 256), RED), ("disc", (352, 160, 448, 256), BLUE), ("square", (480, 320, 560, 400), BLACK)]
    out = ref_yolox(letterboxed(paint(480, 640, WHITE, shapes)))
    dets = decode_yolox(out)
    kept = nms(dets, 0.6, 10)
    for _, box, _ in shapes:
        best = max(iou(dets[i, :4], box) for i in kept)
        assert best > 0.7, f"yolox: best IoU {best:.3f} for {box}"
    assert len(out[0]) == 8400 and out[0, :, 4].max() <= 1.0 + 1e-9
    empty = ref_yolox(letterboxed(paint(480, 640, GREY, [])))
    assert empty[0, :, 4].max() < 1e-3, "yolox: background and padding are not objects"


# ---- color-dino ---------------------------------------------------------------------------------------------------

def dino_graph():
    g = Graph()
    rgb = undo_normalisation(g, IMAGENET_MEAN, IMAGENET_STD)
    shares = colour_channels(g, rgb, [OBJECT_COLOURS] + [[n] for n in OBJECT_COLOURS], "pixel")
    patches = g.op("AveragePool", [shares], "patch_shares", kernel_shape=[DINO_PATCH] * 2, strides=[DINO_PATCH] * 2)
    flat = g.op("Reshape", [patches, g.const("heads_shape", np.array([0, len(DINO_HEADS), -1], dtype=np.int64))], "patch_flat")
    peak = g.op("ReduceMax", [flat], "head_peak", axes=[2], keepdims=1)
    off = g.op("Less", [peak, g.const("head_on_share", np.array(DINO_HEAD_ON, dtype=np.float32))], "head_off")
    off_f = g.op("Cast", [off], "head_off_f", to=TensorProto.FLOAT)
    gate = g.op("Sub", [g.const("one_gate", np.array(1.0, dtype=np.float32)), off_f], "head_on")  # peak >= 0.5
    above = g.op("Mul", [flat, gate], "gated_shares")
    weight = g.op("Add", [above, g.const("eps", np.array(DINO_EPS, dtype=np.float32))], "weight")
    total = g.op("ReduceSum", [weight, g.const("patch_axis", np.array([2], dtype=np.int64))], "weight_sum", keepdims=1)
    g.op("Div", [weight, total], "attentions")
    return g.model("color_dino", [
        helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", 3, DINO_SIZE, DINO_SIZE]),
    ], [helper.make_tensor_value_info("attentions", TensorProto.FLOAT, ["batch_size", len(DINO_HEADS), DINO_GRID ** 2])],
        "loupe-make-color-detectors")


def ref_dino(pixel_values):
    shares = ref_channels(ref_unnormalise(pixel_values, IMAGENET_MEAN, IMAGENET_STD), [OBJECT_COLOURS] + [[n] for n in OBJECT_COLOURS])
    patches = block_mean(shares, DINO_PATCH).reshape(shares.shape[0], len(DINO_HEADS), -1)
    w = patches * (patches.max(axis=2, keepdims=True) >= DINO_HEAD_ON) + DINO_EPS
    return w / w.sum(axis=2, keepdims=True)


def check_dino():
    img = paint(DINO_SIZE, DINO_SIZE, WHITE, [("square", (32, 32, 96, 96), RED), ("disc", (128, 112, 208, 192), GREEN)])
    att = ref_dino(normalised(img, IMAGENET_MEAN, IMAGENET_STD))[0]
    assert np.allclose(att.sum(axis=1), 1)
    for name, (x1, y1, x2, y2) in [("red", (32, 32, 96, 96)), ("green", (128, 112, 208, 192))]:
        grid = att[DINO_HEADS.index(name)].reshape(DINO_GRID, DINO_GRID)
        py, px = np.unravel_index(grid.argmax(), grid.shape)
        assert x1 <= (px + 0.5) * DINO_PATCH <= x2 and y1 <= (py + 0.5) * DINO_PATCH <= y2, f"dino head {name}"
        assert grid.max() > 50 * grid.min()
    assert np.ptp(att[DINO_HEADS.index("blue")]) == 0, "dino: an absent colour's head is exactly flat"
    fg = att[0].reshape(DINO_GRID, DINO_GRID)
    assert fg[3, 3] > 1000 * fg[0, 13] and abs(fg[3, 3] - fg[10, 10]) < 1e-9, "dino: the foreground head weighs objects alike"


# ---- files --------------------------------------------------------------------------------------------------------

def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def image_processor(kind, size, mean, std, resample):
    return {"image_processor_type": kind, "do_resize": True, "size": {"height": size, "width": size}, "resample": resample,
            "do_center_crop": False, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": mean, "image_std": std, "do_convert_rgb": True}


def fixture(table, vocab):
    """Small inputs (8x8 colour blocks) and reference outputs for the onnxruntime-node comparison."""
    rs = np.random.RandomState(20240607)
    palette = [WHITE, WHITE, WHITE, GREY, RED, BLUE, GREEN, BLACK, (245, 217, 10), (138, 43, 226)]
    blocks = lambda: [list(palette[i]) for i in rs.randint(0, len(palette), size=64)]
    owl_blocks = blocks()
    texts = ["red", "a blue square", "grey and green", "a photo of a dog", "crimson"]
    ids = [clip.ref_tokenize(t, vocab) for t in texts]
    length = max(len(i) for i in ids)
    input_ids = np.array([i + [0] * (length - len(i)) for i in ids], dtype=np.int64)
    mask = np.array([[1] * len(i) + [0] * (length - len(i)) for i in ids], dtype=np.int64)
    logits, boxes = ref_owl(normalised(blocks_image(owl_blocks, OWL_SIZE // 8), CLIP_MEAN, CLIP_STD), input_ids, mask, table)
    picks = sorted(set(np.argsort(-logits[0].max(axis=1), kind="stable")[:12].tolist() + list(range(0, logits.shape[1], 500))))
    yolox_blocks = blocks()
    margins = []
    out = ref_yolox(letterboxed(blocks_image(yolox_blocks, YOLOX_SIZE // 8)), margins)[0]
    anchors = sorted(set(np.argsort(-out[:, 4], kind="stable")[:24].tolist() + list(range(0, len(out), 700))))
    dino_blocks = blocks()
    att = ref_dino(normalised(blocks_image(dino_blocks, DINO_SIZE // 8), IMAGENET_MEAN, IMAGENET_STD))[0]
    r = lambda a: [round(float(v), 6) for v in np.ravel(a)]
    write_json(FIXTURE, {
        "note": "written by scripts/make-color-detectors.py; numpy float64 reference outputs of the three graphs",
        "owl": {"blocks8x8": owl_blocks, "texts": texts, "input_ids": input_ids.tolist(), "attention_mask": mask.tolist(),
                "patches": int(logits.shape[1]), "picks": picks, "logits": [r(logits[0, i]) for i in picks],
                "pred_boxes": [r(boxes[0, i]) for i in picks], "max_logit": r(logits[0].max(axis=0))},
        "yolox": {"blocks8x8": yolox_blocks, "anchors": anchors, "rows": [r(out[i]) for i in anchors],
                  "shape_clear": [bool(margins[i] > 1e-4) for i in anchors]},
        "dino": {"blocks8x8": dino_blocks, "heads": len(DINO_HEADS), "attentions": r(att)},
    })


def main():
    vocab, table = clip.build_vocab()
    owl, yolox, dino = owl_graph(table), yolox_graph(), dino_graph()
    check_owl(table, vocab)
    check_yolox()
    check_dino()
    clip_dir = os.path.join(ROOT, "models", "color-clip")
    with open(os.path.join(clip_dir, "tokenizer.json"), encoding="utf-8") as f:
        assert json.load(f)["model"]["vocab"] == vocab, "models/color-clip/tokenizer.json is stale: run make-color-clip.py"
    p = len(owl_windows()[1])
    folders = {
        "color-owl": (owl, {
            "_name_or_path": "loupe/color-owl", "architectures": ["OwlViTForObjectDetection"], "model_type": "owlvit",
            "text_config": {"model_type": "owlvit_text_model", "vocab_size": len(vocab), "max_position_embeddings": clip.MAX_LENGTH,
                            "pad_token_id": 0},
            "vision_config": {"model_type": "owlvit_vision_model", "image_size": OWL_SIZE, "patch_size": OWL_CELL, "num_channels": 3},
            "loupe": {"kind": "hand-weighted colour detector", "colour_names": NAMES, "temperature": T, "cell": OWL_CELL,
                      "window_lengths_cells": OWL_LENGTHS, "window_start_step_cells": OWL_START_STEP,
                      "max_aspect": OWL_MAX_ASPECT, "windows": p, "logit": f"{OWL_A:g} * fraction * captured^2 - {OWL_B:g}"},
        }, image_processor("OwlViTImageProcessor", OWL_SIZE, CLIP_MEAN, CLIP_STD, 3)),
        "color-yolox": (yolox, {
            "_name_or_path": "loupe/color-yolox", "architectures": ["YOLOX"], "model_type": "yolox", "num_classes": 1,
            "id2label": {"0": "object"}, "label2id": {"object": 0}, "input_size": [YOLOX_SIZE, YOLOX_SIZE],
            "strides": YOLOX_STRIDES,
            "loupe": {"kind": "hand-weighted colour detector", "background_colours": BACKGROUND, "temperature": T,
                      "cell": YOLOX_CELL, "box_sides_px": {str(k): v for k, v in YOLOX_SIDES.items()},
                      "context_factor": YOLOX_CONTEXT, "max_aspect": YOLOX_MAX_ASPECT,
                      "objectness": "fraction * captured^2 (captured: window sum / sum in the window twice as large)"},
        }, {"image_processor_type": "YoloxLetterbox", "size": {"height": YOLOX_SIZE, "width": YOLOX_SIZE},
            "letterbox": "top-left, scale = min(640/H, 640/W), bilinear", "pad_value": YOLOX_PAD, "channel_order": "BGR",
            "do_rescale": False, "do_normalize": False}),
        "color-dino": (dino, {
            "_name_or_path": "loupe/color-dino", "architectures": ["ViTModel"], "model_type": "dino",
            "image_size": DINO_SIZE, "patch_size": DINO_PATCH, "num_channels": 3, "num_heads": len(DINO_HEADS),
            "num_attention_heads": len(DINO_HEADS), "num_hidden_layers": 1,
            "loupe": {"kind": "hand-weighted colour attention", "heads": DINO_HEADS, "temperature": T,
                      "head_on_share": DINO_HEAD_ON, "eps": DINO_EPS},
        }, image_processor("ViTImageProcessor", DINO_SIZE, IMAGENET_MEAN, IMAGENET_STD, 2)),
    }
    for name, (model, config, preprocessor) in folders.items():
        out = os.path.join(ROOT, "models", name)
        os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
        onnx.save(model, os.path.join(out, "onnx", "model.onnx"))
        write_json(os.path.join(out, "config.json"), config)
        write_json(os.path.join(out, "preprocessor_config.json"), preprocessor)
        write_text(os.path.join(out, "MODEL_CARD.md"), CARDS[name](p))
        if name == "color-owl":
            for f in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copyfile(os.path.join(clip_dir, f), os.path.join(out, f))
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    fixture(table, vocab)
    print(f"wrote models/color-owl ({p} windows), models/color-yolox (8400 anchors), models/color-dino "
          f"({len(DINO_HEADS)} heads) and {os.path.relpath(FIXTURE, ROOT)}")


# Measured after writing these files (they go into the model cards): "test" = test/models/color-detectors.test.ts,
# which prints them; "wider" = the same steps run once over more demo seeds; the proposer numbers through
# src/localize/proposers.ts RegionProposer. Rerun and update them whenever a weight above changes.
MEASURED = {
    "owl": """- test (seeds 1–20, 26 objects; one call per 4 images with the 10 object colours as queries): the top box for
  the object's colour has IoU ≥ 0.5 with it for 26/26 (mean IoU 0.72, worst 0.51); present colours score ≥ 0.96,
  the 174 absent-colour queries ≤ 0.075. The test asserts ≥ 90%, every present colour ≥ 0.5, every absent one < 0.5.
- wider (seeds 101–300, 304 objects): 300/304 = 98.7% (squares 97/97, discs 106/106, triangles 97/101), mean IoU
  0.73; present colours ≥ 0.80, absent colours ≤ 0.11 (none of 1,696 at 0.5 or above).""",
    "yolox": """- test (seeds 1–20, 26 objects; `decodeYolox` with score ≥ 0.05, class-agnostic NMS at IoU 0.6, top 10): every
  object matched at IoU ≥ 0.5, 26/26 (mean best IoU 0.78, worst 0.65); within the top N (N = objects in the scene)
  25/26. The test asserts ≥ 90% and ≥ 60%, and no proposal at all on blank white or gray images.
- wider (seeds 101–300, 304 objects): top-10 302/304 = 99.3% (mean best IoU 0.78; triangles 99/101), top-N 280/304.
- Loupe's `yolox` proposer with the region-method defaults (maxProposals 10, nmsIou 0.6, minArea 0.0625, maxAspect 4),
  seeds 500–599, 146 objects: 127/146; with minArea=0: 145/146. The 0.0625 default drops objects smaller than about
  104×104 px in a 480×360 scene, roughly a third of the demo objects.""",
    "dino": """- test (seeds 1–20, 26 objects; `attentionToBoxes` at its defaults): recall at IoU 0.5 v2 26/26 (mean best IoU
  0.84), v1 26/26, a box from the object's own colour head 26/26; 2.6 v2 boxes and 1.3 v1 boxes per image; no box
  from the head of an absent colour. The test asserts ≥ 90% (v2, own head), ≥ 80% (v1) and no stray-head box.
- wider (seeds 101–300, 304 objects): v2 304/304 (mean IoU 0.84; squares 0.84, discs 0.87, triangles 0.81), own
  colour head 304/304, v1 296/304 (v1 merges touching objects).
- Loupe's proposer with the region-method defaults, seeds 500–599: v2 107/146, v1 102/146; with minArea=0: v2
  146/146, v1 138/146.""",
    "speed": "Model run only, per 480×360 image, onnxruntime-node CPU on 2 shared cores: color-owl 8 ms (10 queries), "
             "color-yolox 21 ms, color-dino 37 ms.",
}

COMMON_LIMITS = """It sees colour and nothing else: no shapes, no object classes, no texture. Colours are named by the nearest of
color-clip's RGB prototypes (plain RGB, so unusual shades can take a neighbouring name; very dark colours read as
black). White and gray are background, so white or gray objects are invisible to the class-agnostic detectors, and
black counts as an object colour (a dark photo is mostly "object"). Touching objects of one colour are one blob.
Real photographs break these assumptions; use a trained model there."""

HEADER = """It is not trained: every weight is set by hand in `scripts/make-color-detectors.py`, which rewrites this folder
byte for byte (`/usr/bin/python3 scripts/make-color-detectors.py`; numpy + onnx; it asserts its numpy reference on
synthetic scenes and writes `test/models/fixtures/color-detectors-reference.json`, which the tests compare with
onnxruntime-node). Colours come from color-clip's palette (the same prototypes and temperature T = {t}). Licence:
Apache-2.0, like Loupe; no data."""


def owl_card(p):
    return f"""# color-owl — hand-weighted colour detector in the OWL-ViT contract

**What it is.** Loupe's default search-time reranker (`rerank`): an open-vocabulary detector in the OWL-ViT folder
contract (`config.json` `model_type: "owlvit"`, `OwlViTImageProcessor`, color-clip's WordLevel tokenizer) whose
vocabulary is colour words. Given a query such as `red` it returns, for {p} fixed windows, a logit for "this window is
the red thing" and the window's box.

{HEADER.format(t=T)}

## I/O (`onnx/model.onnx`, opset {OPSET})
- `input_ids` i64 [Q, L], `attention_mask` i64 [Q, L] (Q queries, any L), `pixel_values` f32 [B, 3, {OWL_SIZE}, {OWL_SIZE}].
- `logits` f32 [B, {p}, Q]; `pred_boxes` f32 [B, {p}, 4] = (cx, cy, w, h) in 0..1 of the input (the same for every image).

## Preprocessing
Squash (no crop) to {OWL_SIZE}×{OWL_SIZE}, bicubic, rescale 1/255, OpenAI CLIP mean/std. Tokenizer: byte-identical to
color-clip's (lowercase, `\\w+|[^\\w\\s]+` words, WordLevel), at most {clip.MAX_LENGTH} tokens.

## How it works
1. Undo the normalisation; per pixel a softmax over color-clip's prototypes → shares of the 12 colour names.
2. Average over {OWL_CELL}×{OWL_CELL} px cells → a {OWL_GRID}×{OWL_GRID} grid of colour shares.
3. Windows: rows × columns of cell intervals with lengths {OWL_LENGTHS} cells, starting every {OWL_START_STEP} cells
   (plus flush with the far edge), aspect ≤ {OWL_MAX_ASPECT:g} → {p} windows. All interval-pair sums come from two
   MatMuls with a 0/1 band matrix (`band @ cells @ bandᵀ`), then a Gather keeps the windows.
4. Query colours q = clip(masked sum of the tokens' one-hot colour rows, 0, 1) (color-clip's text tower).
5. For each window and query: fraction f = query-colour share of the window, captured c = window's query-colour
   pixels / the image's; score = f·c² (c² rather than c so a half-filled shape such as a triangle still prefers its
   whole box over its densest part); **logit = {OWL_A:g}·score − {OWL_B:g}**, so sigmoid ≥ 0.5 exactly when score ≥ 0.25,
   the tight window around a one-colour object scores about 0.6–1 (sigmoid 0.98–0.9999), and a query with no colour
   word gives −{OWL_B:g} everywhere (sigmoid 0.047).

## Measured
Through Loupe's own preprocessing (`preprocessBatch` / `letterbox`) and native decoders, onnxruntime-node 1.30 CPU:
{MEASURED["owl"]}

{MEASURED["speed"]}
transformers.js 4.3.2's `zero-shot-object-detection` pipeline also runs this folder (local files
only) and labels the demo objects with their colours.

## Limits
Boxes are quantised to the window set (edges every 8 px of the 96 px input, i.e. 1/12 of the image; sizes from
1/12 of the image), so the best IoU is about 0.75 for squares and discs and lower for triangles (mean 0.64; worst
0.35). c is relative to all of the image's pixels of the queried colour, so several objects of that colour share
it: with two equal objects each tight box scores at most 0.25 (sigmoid 0.5) and a window spanning both may win
when they are close; likewise a query naming two colours looks for one region holding both. The demo scenes never
repeat a colour, so the numbers above do not measure this.

{COMMON_LIMITS}
"""


def yolox_card(p):
    n = sum((YOLOX_SIZE // s) ** 2 for s in YOLOX_STRIDES)
    return f"""# color-yolox — hand-weighted class-agnostic colour-blob detector in the YOLOX contract

**What it is.** Loupe's default `yolox` region proposer: the Megvii YOLOX ONNX export contract (`images` → `output`
with strides 8/16/32) with one class, "object" = a compact blob of non-background colour.

{HEADER.format(t=T)}

## I/O (`onnx/model.onnx`, opset {OPSET})
- `images` f32 [1, 3, {YOLOX_SIZE}, {YOLOX_SIZE}]: BGR planes, 0..255, letterboxed (see below).
- `output` f32 [1, {n}, 6]: per anchor (strides 8, 16, 32 in that order; rows of each grid top to bottom, left to
  right) `x_offset, y_offset, log_w, log_h, objectness, class_score`, YOLOX's raw convention as decoded by
  `decodeYolox` (native/core/decode.cc): centre = (offset + cell) · stride, size = exp(log) · stride; objectness and
  class score are probabilities already (as the public export's sigmoid outputs); score = objectness × class score.

## Preprocessing (`preprocessor_config.json` describes it; Loupe's `letterbox`)
Resize keeping the aspect ratio (scale = min(640/H, 640/W), bilinear) into the top-left corner of a 640×640 canvas
filled with {YOLOX_PAD}; BGR; no rescale, no normalisation. Padding is gray, i.e. background.

## How it works
1. 4×4 px block means (AveragePool) → per block a softmax over color-clip's prototypes (the BGR flip and 1/255 are
   folded into the 1×1 Conv) → foreground = 1 − (white + gray share), a 160×160 map.
2. For each stride s, windows centred on the anchors (offsets 0.5) with heights and widths from
   {YOLOX_SIDES} px (by stride), aspect ≤ {YOLOX_MAX_ASPECT:g}: window sums for every (height, width) pair by two MatMuls
   with 0/1 band matrices; fraction f = foreground share of the window; captured c = window sum / sum over the window
   {YOLOX_CONTEXT}× as tall and wide (local context, so distant objects do not compete); objectness = f·c² (max 1, for a
   filled box with empty surroundings).
3. Per anchor the best shape: objectness = its value, log_w/log_h = log(side / s). Class score 1.

## Measured
Through Loupe's own preprocessing and native decoders, onnxruntime-node 1.30 CPU:
{MEASURED["yolox"]}

{MEASURED["speed"]}

## Limits
One box per anchor, always centred on it (position error up to half a stride); sizes from a fixed list (16–640 px).
Shifted and enlarged copies of a large object can outrank a small or half-filled object (triangles), so keep 10
proposals rather than 2–3. Blank white or gray images propose nothing.

{COMMON_LIMITS}
"""


def dino_card(p):
    heads = ", ".join(f"{i}: {h}" for i, h in enumerate(DINO_HEADS))
    return f"""# color-dino — hand-weighted colour attention in the DINO contract

**What it is.** Loupe's default `dino-v1` / `dino-v2` region proposer: the output of a DINO ViT-S/16 attention export
(`attentions` = last layer's CLS→patch attention per head) computed from colour instead of learned features; each
head attends to one colour.

{HEADER.format(t=T)}

## I/O (`onnx/model.onnx`, opset {OPSET})
- `pixel_values` f32 [B, 3, {DINO_SIZE}, {DINO_SIZE}].
- `attentions` f32 [B, {len(DINO_HEADS)}, {DINO_GRID ** 2}]: {DINO_GRID}×{DINO_GRID} patches of {DINO_PATCH} px, row-major; each head's row sums to 1.
  Heads: {heads}.

## Preprocessing
Squash (no crop) to {DINO_SIZE}×{DINO_SIZE}, bilinear, rescale 1/255, ImageNet mean/std (as `facebook/dino-vits16`).

## How it works
1. Undo the normalisation; per pixel a softmax over color-clip's prototypes; channel 0 = foreground (every name but
   white and gray), channels 1–10 = each object colour.
2. Average over each {DINO_PATCH}×{DINO_PATCH} patch → shares per patch.
3. A head is on when at least one patch is ≥ {DINO_HEAD_ON:g} its colour; otherwise its shares count as zero (so
   anti-aliased edges, which blend into neighbouring colour names, never make a head of their own).
4. attention = (share + {DINO_EPS:g}) / Σ over patches: linear in the share, so Otsu's threshold on the upsampled map
   falls near the object edges. An off head is exactly uniform, which `attentionToBoxes` treats as "no foreground".
So `v1` (mean of heads) highlights every object, and `v2` (each head) separates objects of different colours (the
foreground head gives one box per separate blob as well).

## Measured
Through Loupe's own preprocessing and native decoders, onnxruntime-node 1.30 CPU:
{MEASURED["dino"]}

{MEASURED["speed"]}

## Limits
Patch resolution: box edges are good to about half a patch (1/28 of the image side). A head switches on only when
some patch is at least half its colour, so an object smaller than about 1.5 patches (1/10 of the side) can be missed
when it straddles patches, and one under a patch mostly is. v1 merges touching objects; v2 separates them only when
their colours differ. More heads (11) than DINO ViT-S (6).

{COMMON_LIMITS}
"""


CARDS = {"color-owl": owl_card, "color-yolox": yolox_card, "color-dino": dino_card}

if __name__ == "__main__":
    sys.exit(main())
