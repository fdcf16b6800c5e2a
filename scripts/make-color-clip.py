#!/usr/bin/python3
"""Writes models/color-clip/: a hand-weighted colour-matching dual encoder in the CLIP folder contract (MODELS.md).

    /usr/bin/python3 scripts/make-color-clip.py          (needs numpy and onnx; deterministic: same bytes every run)

Image tower (onnx/vision_model.onnx, pixel_values f32 [B,3,S,S] -> image_embeds f32 [B,D]):
  undo the CLIP normalisation -> RGB in 0..1 -> per pixel, softmax over prototype colours of -|rgb - p|^2 / T
  (T small: nearly a hard nearest-prototype assignment) -> mean over pixels -> P prototype shares -> summed into the
  K colour names (a fixed 0/1 matrix) -> D dims (names first, zero padding).
Text tower (onnx/text_model.onnx, input_ids i64 [B,L] + attention_mask i64 [B,L] -> text_embeds f32 [B,D]):
  a Gather over an embedding table whose colour-word rows are one-hot on their colour name (synonyms share a row's
  colour), every other row zero, then the attention-masked sum over tokens.
So cos(text "red", image) = red share / |shares|: a crop filled with red scores 1, a large image with a small red
object scores little, and a text without colour words embeds to the zero vector.

The script also checks the graphs with onnx.checker, computes every output with a numpy reference, asserts that the
palette names the demo colours, and writes test/models/fixtures/color-clip-reference.json (inputs and numpy outputs)
that the TypeScript tests compare with onnxruntime-node.
"""
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "models", "color-clip")
FIXTURE = os.path.join(ROOT, "test", "models", "fixtures", "color-clip-reference.json")

SIZE = 64  # S: input side; small because colour shares need no detail
DIM = 16  # D: embedding size (K named colours, then zero padding)
MAX_LENGTH = 64  # text tokens kept
TEMPERATURE = 0.002  # in squared 0..1 RGB distance; ~1/500: nearly hard assignment
OPSET = 13
MEAN = [0.48145466, 0.4578275, 0.40821073]  # OpenAI CLIP
STD = [0.26862954, 0.26130258, 0.27577711]

# Colour names (embedding dims 0..K-1) and their RGB prototypes (0..255). Several shades per name so that a
# nearest-prototype rule in plain RGB names dark, light and saturated variants sensibly. Includes the demo
# scene colours (src/demo/scenes.ts) and its backgrounds.
PALETTE = [
    ("red", [(255, 0, 0), (224, 32, 32), (190, 20, 30), (150, 15, 20), (235, 80, 70)]),
    ("orange", [(255, 128, 0), (242, 140, 24), (255, 165, 0), (230, 110, 20), (250, 160, 90)]),
    ("yellow", [(255, 255, 0), (245, 217, 10), (255, 230, 80), (220, 200, 40), (255, 245, 150)]),
    ("green", [(0, 255, 0), (42, 168, 69), (0, 128, 0), (100, 200, 60), (30, 90, 40), (110, 120, 30), (150, 230, 150)]),
    ("cyan", [(0, 255, 255), (30, 200, 216), (0, 170, 180), (120, 230, 240), (0, 128, 128)]),
    ("blue", [(0, 0, 255), (37, 70, 224), (0, 0, 139), (70, 130, 230), (20, 40, 120), (140, 180, 240)]),
    ("purple", [(138, 43, 226), (128, 0, 128), (100, 40, 160), (75, 0, 130), (180, 130, 230)]),
    ("pink", [(240, 110, 180), (255, 192, 203), (255, 20, 147), (255, 0, 255), (220, 80, 140)]),
    ("brown", [(139, 90, 43), (101, 67, 33), (160, 110, 60), (120, 70, 30), (190, 150, 100), (80, 50, 30)]),
    ("white", [(255, 255, 255), (245, 245, 240), (253, 251, 240)]),
    ("gray", [(128, 128, 128), (184, 184, 184), (90, 90, 90), (215, 215, 215), (160, 160, 160)]),
    ("black", [(0, 0, 0), (21, 21, 21), (45, 45, 45)]),
]
NAMES = [n for n, _ in PALETTE]
K = len(NAMES)

# Words (after lowercasing) -> colour name. Everything else is [UNK] (a zero row).
SYNONYMS = {
    "red": ["red", "crimson", "scarlet", "ruby", "cherry", "maroon"],
    "orange": ["orange", "tangerine", "apricot", "amber"],
    "yellow": ["yellow", "gold", "golden", "lemon", "mustard"],
    "green": ["green", "lime", "emerald", "olive", "jade"],
    "cyan": ["cyan", "aqua", "turquoise", "teal"],
    "blue": ["blue", "navy", "azure", "cobalt", "sapphire", "indigo"],
    "purple": ["purple", "violet", "lavender", "lilac", "plum", "mauve"],
    "pink": ["pink", "magenta", "fuchsia", "rose"],
    "brown": ["brown", "tan", "chocolate", "coffee", "bronze", "beige"],
    "white": ["white", "ivory", "snow"],
    "gray": ["gray", "grey", "silver", "ash"],
    "black": ["black", "ebony", "jet"],
}
# Non-colour words the vocabulary lists explicitly (zero rows, like [UNK]); they document that the tower ignores them.
FUNCTION_WORDS = ["a", "an", "the", "of", "and", "on", "in", "with", "photo", "picture", "image"]


def build_vocab():
    vocab = {"[PAD]": 0, "[UNK]": 1}
    rows = [None, None]  # colour index per row (None: zero row)
    for name in NAMES:
        for word in SYNONYMS[name]:
            assert word not in vocab, word
            vocab[word] = len(rows)
            rows.append(NAMES.index(name))
    for word in FUNCTION_WORDS:
        vocab[word] = len(rows)
        rows.append(None)
    table = np.zeros((len(rows), DIM), dtype=np.float32)
    for i, k in enumerate(rows):
        if k is not None:
            table[i, k] = 1.0
    return vocab, table


def prototypes():
    protos = np.array([c for _, cs in PALETTE for c in cs], dtype=np.float64) / 255.0  # [P,3]
    owner = np.array([k for k, (_, cs) in enumerate(PALETTE) for _ in cs])
    to_dim = np.zeros((len(protos), DIM), dtype=np.float32)  # [P,D]: prototype share -> its name's dim
    to_dim[np.arange(len(protos)), owner] = 1.0
    return protos, to_dim


def vision_graph():
    protos, to_dim = prototypes()
    p = len(protos)
    # softmax_k(-|x-c_k|^2/T) = softmax_k((2 x.c_k - |c_k|^2)/T): |x|^2 is common to every k, so a 1x1 Conv does it.
    weight = (2.0 * protos / TEMPERATURE).astype(np.float32).reshape(p, 3, 1, 1)
    bias = (-(protos ** 2).sum(axis=1) / TEMPERATURE).astype(np.float32)
    inits = [
        numpy_helper.from_array(np.array(STD, dtype=np.float32).reshape(1, 3, 1, 1), "std"),
        numpy_helper.from_array(np.array(MEAN, dtype=np.float32).reshape(1, 3, 1, 1), "mean"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(weight, "prototype_weight"),
        numpy_helper.from_array(bias, "prototype_bias"),
        numpy_helper.from_array(to_dim, "prototype_to_embedding"),
    ]
    nodes = [
        helper.make_node("Mul", ["pixel_values", "std"], ["scaled"], name="undo_std"),
        helper.make_node("Add", ["scaled", "mean"], ["rgb_raw"], name="undo_mean"),
        helper.make_node("Clip", ["rgb_raw", "zero", "one"], ["rgb"], name="clamp_rgb"),
        helper.make_node("Conv", ["rgb", "prototype_weight", "prototype_bias"], ["logits"], name="prototype_logits"),
        helper.make_node("Softmax", ["logits"], ["assignment"], axis=1, name="soft_assignment"),
        helper.make_node("GlobalAveragePool", ["assignment"], ["shares4d"], name="mean_over_pixels"),
        helper.make_node("Flatten", ["shares4d"], ["shares"], axis=1, name="flatten"),
        helper.make_node("MatMul", ["shares", "prototype_to_embedding"], ["image_embeds"], name="to_embedding"),
    ]
    graph = helper.make_graph(
        nodes, "color_clip_vision",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch_size", DIM])],
        inits,
    )
    return finish(graph), weight, bias, to_dim


def text_graph(table):
    inits = [
        numpy_helper.from_array(table, "word_embeddings"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "token_axis_unsqueeze"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "token_axis"),
    ]
    nodes = [
        helper.make_node("Gather", ["word_embeddings", "input_ids"], ["token_embeds"], axis=0, name="lookup"),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT, name="mask_to_float"),
        helper.make_node("Unsqueeze", ["mask_f", "token_axis_unsqueeze"], ["mask3d"], name="mask_unsqueeze"),
        helper.make_node("Mul", ["token_embeds", "mask3d"], ["masked"], name="apply_mask"),
        helper.make_node("ReduceSum", ["masked", "token_axis"], ["text_embeds"], keepdims=0, name="sum_tokens"),
    ]
    graph = helper.make_graph(
        nodes, "color_clip_text",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"]),
        ],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch_size", DIM])],
        inits,
    )
    return finish(graph)


def finish(graph):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="loupe-make-color-clip",
                              producer_version="1")
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


# ---- numpy reference (float64) ------------------------------------------------------------------------------------

def ref_image_embeds(pixel_values, weight, bias, to_dim):
    rgb = np.clip(pixel_values.astype(np.float64) * np.array(STD).reshape(1, 3, 1, 1) + np.array(MEAN).reshape(1, 3, 1, 1), 0, 1)
    logits = np.einsum("bchw,pc->bphw", rgb, weight.reshape(len(bias), 3).astype(np.float64)) + bias.reshape(1, -1, 1, 1)
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    assign = e / e.sum(axis=1, keepdims=True)
    return assign.mean(axis=(2, 3)) @ to_dim.astype(np.float64)


def ref_tokenize(text, vocab):
    # tokenizer.json: Lowercase normalizer, Whitespace pre-tokenizer (\w+|[^\w\s]+), WordLevel with [UNK].
    return [vocab.get(w, vocab["[UNK]"]) for w in re.findall(r"\w+|[^\w\s]+", text.lower())][:MAX_LENGTH]


def normalise(rgb255):
    """uint8 RGB [..., 3] -> CLIP-normalised float32 channel values (as Loupe's preprocess computes them)."""
    return ((rgb255.astype(np.float64) / 255.0 - np.array(MEAN)) / np.array(STD)).astype(np.float32)


def block_image(blocks):
    """8x8 blocks of RGB (0..255) -> [3,S,S] normalised tensor, each block SIZE/8 pixels square."""
    side = SIZE // 8
    img = np.repeat(np.repeat(np.array(blocks, dtype=np.uint8).reshape(8, 8, 3), side, axis=0), side, axis=1)
    return normalise(img).transpose(2, 0, 1)


def check_palette(weight, bias, to_dim):
    demo = {"red": "#e02020", "orange": "#f28c18", "yellow": "#f5d90a", "green": "#2aa845", "cyan": "#1ec8d8",
            "blue": "#2546e0", "purple": "#8a2be2", "pink": "#f06eb4", "brown": "#8b5a2b", "black": "#151515",
            "white": "#ffffff", "gray": "#b8b8b8"}
    named = {"red": (200, 30, 40), "green": (60, 180, 75), "blue": (40, 90, 200), "white": (250, 250, 250),
             "gray": (120, 120, 125), "black": (10, 10, 10), "yellow": (250, 230, 30), "orange": (250, 140, 20)}
    cases = [(n, tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))) for n, h in demo.items()] + list(named.items())
    for name, rgb in cases:
        px = normalise(np.array(rgb, dtype=np.uint8)).reshape(1, 3, 1, 1) * np.ones((1, 3, SIZE, SIZE), np.float32)
        share = ref_image_embeds(px, weight, bias, to_dim)[0]
        k = int(share.argmax())
        assert NAMES[k] == name and share[k] > 0.99, f"palette names {rgb} {NAMES[k]} ({share[k]:.3f}), expected {name}"


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    vocab, table = build_vocab()
    vision, weight, bias, to_dim = vision_graph()
    text = text_graph(table)
    check_palette(weight, bias, to_dim)
    onnx.save(vision, os.path.join(OUT, "onnx", "vision_model.onnx"))
    onnx.save(text, os.path.join(OUT, "onnx", "text_model.onnx"))

    write_json(os.path.join(OUT, "config.json"), {
        "_name_or_path": "loupe/color-clip",
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": DIM,
        "logit_scale_init_value": 2.6592,
        "text_config": {"model_type": "clip_text_model", "vocab_size": len(vocab), "hidden_size": DIM,
                        "projection_dim": DIM, "max_position_embeddings": MAX_LENGTH, "pad_token_id": 0},
        "vision_config": {"model_type": "clip_vision_model", "image_size": SIZE, "num_channels": 3, "hidden_size": DIM,
                          "projection_dim": DIM, "patch_size": SIZE},
        "loupe": {"kind": "hand-weighted colour matcher", "colour_names": NAMES, "temperature": TEMPERATURE},
    })
    write_json(os.path.join(OUT, "preprocessor_config.json"), {
        "image_processor_type": "CLIPImageProcessor",
        "feature_extractor_type": "CLIPFeatureExtractor",
        "do_resize": True,
        "size": {"shortest_edge": SIZE},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": SIZE, "width": SIZE},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": MEAN,
        "image_std": STD,
        "do_convert_rgb": True,
    })
    special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                            "normalized": False, "special": True}
    write_json(os.path.join(OUT, "tokenizer.json"), {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(0, "[PAD]"), special(1, "[UNK]")],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    })
    write_json(os.path.join(OUT, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_LENGTH,
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "do_lower_case": True,
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {"0": special(0, "[PAD]"), "1": special(1, "[UNK]")},
    })
    write_card(vocab)

    # Reference fixture: block images (random and palette colours) and texts with their numpy outputs.
    rs = np.random.RandomState(20240601)
    images = [rs.randint(0, 256, size=(64, 3)).tolist() for _ in range(3)]
    images.append([[224, 32, 32]] * 64)
    images.append([[255, 255, 255]] * 60 + [[37, 70, 224]] * 4)
    pixels = np.stack([block_image(b) for b in images])
    image_embeds = ref_image_embeds(pixels, weight, bias, to_dim)
    texts = ["red", "A RED square", "violet and grey", "grey, grey, blue!", "a photo of a dog", "", "Crimson-teal zebra"]
    token_ids = [ref_tokenize(t, vocab) for t in texts]
    text_embeds = [table[ids].astype(np.float64).sum(axis=0) if ids else np.zeros(DIM) for ids in token_ids]
    write_json(FIXTURE, {
        "note": "written by scripts/make-color-clip.py; numpy float64 reference outputs (not L2-normalised)",
        "size": SIZE, "dimension": DIM, "mean": MEAN, "std": STD, "colour_names": NAMES,
        "images": [{"blocks8x8": b, "image_embeds": [round(float(v), 7) for v in e]} for b, e in zip(images, image_embeds)],
        "texts": [{"text": t, "input_ids": ids, "text_embeds": [float(v) for v in e]}
                  for t, ids, e in zip(texts, token_ids, text_embeds)],
    })
    print(f"wrote {OUT} (K={K} colours, {len(weight)} prototypes, D={DIM}, S={SIZE}, vocab {len(vocab)}) and {FIXTURE}")


def write_card(vocab):
    rows = "\n".join(f"| {i} | {n} | {', '.join(SYNONYMS[n])} | {len(cs)} |" for i, (n, cs) in enumerate(PALETTE))
    card = f"""# color-clip — Loupe's hand-weighted colour-matching CLIP-contract model

**What it is.** A dual encoder in Loupe's CLIP folder contract (MODELS.md; the Xenova/transformers.js layout: `onnx/vision_model.onnx`, `onnx/text_model.onnx`, `config.json` with
`model_type: "clip"`, `preprocessor_config.json` with `CLIPImageProcessor`, a WordLevel `tokenizer.json`). It is not
trained: every weight is set by hand in `scripts/make-color-clip.py`, which rewrites this folder byte for byte
(`/usr/bin/python3 scripts/make-color-clip.py`; needs numpy and onnx). It is Loupe's default model until the trained
models exist, and the tests rely on its exact behaviour.

**What it understands.** Colours, and nothing else. Text embedding = sum of one-hot colour rows of the words it knows;
image embedding = the share of the image's pixels nearest to each colour. Cosine similarity of the text `red` with an
image is `red share / |shares|`, so a grid cell filled by a red object scores near 1, while a whole image holding a
small red object on a white background scores low — exactly the signal region search needs to show *where* a match is.
A text with no colour word embeds to the zero vector (every score 0).

## Image tower — `pixel_values` f32 [B,3,{SIZE},{SIZE}] → `image_embeds` f32 [B,{DIM}]
1. Undo the CLIP normalisation (`x * std + mean`, OpenAI CLIP mean/std) and clamp to 0..1.
2. Per pixel, a softmax over {sum(len(cs) for _, cs in PALETTE)} RGB prototypes of `-|rgb - prototype|² / T` with
   T = {TEMPERATURE} (nearly a hard nearest-prototype choice). Implemented as a 1×1 `Conv` (`2·p/T`, bias `-|p|²/T`)
   because `|rgb|²` is the same for every prototype.
3. `GlobalAveragePool` → prototype shares; a fixed 0/1 `MatMul` sums the shades of each colour name into dims
   0..{K - 1}; dims {K}..{DIM - 1} are zero padding.

## Text tower — `input_ids`, `attention_mask` i64 [B,L] → `text_embeds` f32 [B,{DIM}]
`Gather` over a {len(vocab)}×{DIM} table (colour words and synonyms: one-hot on their colour; `[PAD]`=0, `[UNK]`=1 and
function words: zero rows), multiplied by the attention mask and summed over tokens. Tokenizer: `Lowercase`
normalizer, `Whitespace` pre-tokenizer (`\\w+|[^\\w\\s]+`), WordLevel; at most {MAX_LENGTH} tokens.

| dim | colour | words | RGB prototypes |
|---|---|---|---|
{rows}

## Preprocessing
CLIP's: shortest edge resized to {SIZE} (bicubic), centre crop {SIZE}×{SIZE}, rescale 1/255, OpenAI CLIP mean/std.

## Data, licence, metrics
No training data. Licence: Apache-2.0, like Loupe. Verified by the generator (numpy reference; the palette must name
the demo scene colours with share > 0.99) and by `test/models/*.test.ts` (onnxruntime-node outputs equal the numpy
reference in `test/models/fixtures/color-clip-reference.json`; text `red` ranks a red image far above a blue one).
Limits: plain RGB nearest-prototype naming, so unusual shades can land on a neighbouring name (e.g. very dark colours
read as black); no shapes, objects or words beyond colours.
"""
    with open(os.path.join(OUT, "MODEL_CARD.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(card)


if __name__ == "__main__":
    sys.exit(main())
