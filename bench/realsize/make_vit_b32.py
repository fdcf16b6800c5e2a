#!/usr/bin/env python3
"""Writes a CLIP ViT-B/32-shaped model folder with random weights (no weights are downloaded or committed).

The vision tower follows Hugging Face's CLIPVisionModelWithProjection (as exported to ONNX for
Xenova/clip-vit-base-patch32): patch 32 conv embedding, class token, 50 positions, pre-LayerNorm, 12 pre-norm encoder
layers (768 wide, 12 heads, MLP 3072 with quick_gelu), post-LayerNorm on the class token, 768 -> 512 projection.
ONNX input `pixel_values` [batch, 3, 224, 224]; outputs `image_embeds` [batch, 512] and `last_hidden_state`
[batch, 50, 768]; opset 14. preprocessor_config.json is that export's CLIP processor config (224 shortest edge,
bicubic, centre crop 224, OpenAI mean/std). The text tower is a small stand-in with the contract's names (Loupe
loads both towers; the benchmark embeds images only).
Usage: make_vit_b32.py OUT_DIR TOKENIZER_DIR
"""
import json
import os
import shutil
import sys

import torch
from torch import nn

WIDTH, LAYERS, HEADS, MLP, PATCH, SIZE, PROJ = 768, 12, 12, 3072, 32, 224, 512


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(WIDTH, WIDTH) for _ in range(4))
        self.scale = (WIDTH // HEADS) ** -0.5

    def forward(self, x):
        b, n, _ = x.shape
        shape = lambda t: t.reshape(b, n, HEADS, WIDTH // HEADS).transpose(1, 2)
        q, k, v = shape(self.q_proj(x) * self.scale), shape(self.k_proj(x)), shape(self.v_proj(x))
        a = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return self.out_proj((a @ v).transpose(1, 2).reshape(b, n, WIDTH))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer_norm1, self.layer_norm2 = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.self_attn = Attention()
        self.mlp = nn.Sequential(nn.Linear(WIDTH, MLP), QuickGELU(), nn.Linear(MLP, WIDTH))

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class VisionTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, WIDTH, PATCH, PATCH, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(WIDTH) * 0.02)
        self.position_embedding = nn.Parameter(torch.randn((SIZE // PATCH) ** 2 + 1, WIDTH) * 0.02)
        self.pre_layrnorm, self.post_layernorm = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.visual_projection = nn.Linear(WIDTH, PROJ, bias=False)

    def forward(self, pixel_values):
        p = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(p.shape[0], 1, WIDTH)
        x = self.pre_layrnorm(torch.cat([cls, p], dim=1) + self.position_embedding)
        for layer in self.layers:
            x = layer(x)
        return self.visual_projection(self.post_layernorm(x[:, 0])), x


class TextTower(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, PROJ)

    def forward(self, input_ids):
        return self.embed(input_ids).mean(dim=1)


def main():
    out, tok_dir = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    torch.manual_seed(32)
    vision = VisionTower().eval()
    with torch.no_grad():
        torch.onnx.export(vision, torch.zeros(2, 3, SIZE, SIZE), os.path.join(out, "onnx", "vision_model.onnx"),
                          input_names=["pixel_values"], output_names=["image_embeds", "last_hidden_state"],
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"},
                                        "last_hidden_state": {0: "batch_size"}}, opset_version=14)
    tok = json.load(open(os.path.join(tok_dir, "tokenizer.json")))
    vocab = len(tok["model"]["vocab"]) + len(tok.get("added_tokens", [])) + 8
    text = TextTower(vocab).eval()
    with torch.no_grad():
        torch.onnx.export(text, torch.zeros(1, 8, dtype=torch.int64), os.path.join(out, "onnx", "text_model.onnx"),
                          input_names=["input_ids"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"}},
                          opset_version=14)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok_dir, f), os.path.join(out, f))
    config = {
        "_name_or_path": "loupe/bench-vit-b32-random", "architectures": ["CLIPModel"], "model_type": "clip",
        "projection_dim": PROJ, "logit_scale_init_value": 2.6592,
        "text_config": {"model_type": "clip_text_model", "vocab_size": vocab, "hidden_size": PROJ, "projection_dim": PROJ,
                        "max_position_embeddings": 77},
        "vision_config": {"model_type": "clip_vision_model", "image_size": SIZE, "num_channels": 3, "hidden_size": WIDTH,
                          "intermediate_size": MLP, "num_attention_heads": HEADS, "num_hidden_layers": LAYERS,
                          "patch_size": PATCH, "projection_dim": PROJ, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05},
    }
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    pre = {
        "image_processor_type": "CLIPImageProcessor", "feature_extractor_type": "CLIPFeatureExtractor",
        "do_resize": True, "size": {"shortest_edge": SIZE}, "resample": 3, "do_center_crop": True,
        "crop_size": {"height": SIZE, "width": SIZE}, "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711], "do_convert_rgb": True,
    }
    json.dump(pre, open(os.path.join(out, "preprocessor_config.json"), "w"), indent=2)
    params = sum(p.numel() for p in vision.parameters())
    print(json.dumps({"folder": out, "vision_parameters": params}))


if __name__ == "__main__":
    main()
