"""Writes the CLIP-contract folder (MODELS.md) from trained weights: onnx/vision_model.onnx, onnx/text_model.onnx,
a WordLevel tokenizer.json, config.json, preprocessor_config.json (CLIPImageProcessor), tokenizer_config.json.

  /usr/bin/python3 models/train/export_clip.py --run .cache/train/clip-run --out models/emoji-clip
"""
import argparse
import json
import os

import numpy as np
import torch

from common import CACHE, CLIP_MEAN, CLIP_STD, IMAGE, MAX_TOKENS, PAD, UNK, DualEncoder, Vocab, load_classes


class Vision(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.image(pixel_values)


class Text(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.text(input_ids, attention_mask)


def special(i, t):
    return {'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=os.path.join(CACHE, 'clip-run'))
    ap.add_argument('--data', default=CACHE)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    vocab = Vocab(load_classes(args.data)['vocab'])
    model = DualEncoder(len(vocab.tokens))
    w = {}
    for part in sorted(f for f in os.listdir(args.run) if f.startswith('weights_') and f.endswith('.npz')):
        w.update(np.load(os.path.join(args.run, part)))
    state = {k: torch.from_numpy(w[k]).to(v.dtype) for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    model.eval()
    dim = model.image.proj.out_features
    os.makedirs(os.path.join(args.out, 'onnx'), exist_ok=True)
    px = torch.zeros(2, 3, IMAGE, IMAGE)
    torch.onnx.export(Vision(model), (px,), os.path.join(args.out, 'onnx', 'vision_model.onnx'), input_names=['pixel_values'],
                      output_names=['image_embeds'], dynamic_axes={'pixel_values': {0: 'batch'}, 'image_embeds': {0: 'batch'}}, opset_version=14)
    model.eval()  # export may leave modules in training mode (MODELS.md)
    ids = torch.ones(2, 4, dtype=torch.long)
    torch.onnx.export(Text(model), (ids, torch.ones_like(ids)), os.path.join(args.out, 'onnx', 'text_model.onnx'),
                      input_names=['input_ids', 'attention_mask'], output_names=['text_embeds'],
                      dynamic_axes={'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence'}, 'text_embeds': {0: 'batch'}},
                      opset_version=14)
    model.eval()
    hidden = model.text.embed.embedding_dim
    config = {
        '_name_or_path': 'loupe/emoji-clip', 'architectures': ['CLIPModel'], 'model_type': 'clip', 'projection_dim': dim,
        'logit_scale_init_value': float(model.logit_scale.item()),
        'text_config': {'model_type': 'clip_text_model', 'vocab_size': len(vocab.tokens), 'hidden_size': hidden, 'projection_dim': dim,
                        'max_position_embeddings': MAX_TOKENS, 'pad_token_id': 0},
        'vision_config': {'model_type': 'clip_vision_model', 'image_size': IMAGE, 'num_channels': 3, 'hidden_size': model.image.proj.in_features,
                          'projection_dim': dim, 'patch_size': IMAGE},
        'loupe': {'kind': 'trained CNN image tower + bag-of-words text tower', 'training': 'models/train (see MODEL_CARD.md)'},
    }
    pre = {'image_processor_type': 'CLIPImageProcessor', 'feature_extractor_type': 'CLIPFeatureExtractor', 'do_resize': True,
           'size': {'shortest_edge': IMAGE}, 'resample': 3, 'do_center_crop': True, 'crop_size': {'height': IMAGE, 'width': IMAGE},
           'do_rescale': True, 'rescale_factor': 1 / 255, 'do_normalize': True, 'image_mean': list(CLIP_MEAN), 'image_std': list(CLIP_STD),
           'do_convert_rgb': True}
    tokenizer = {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [special(0, PAD), special(1, UNK)],
        'normalizer': {'type': 'Lowercase'}, 'pre_tokenizer': {'type': 'Whitespace'}, 'post_processor': None, 'decoder': None,
        'model': {'type': 'WordLevel', 'vocab': vocab.ids, 'unk_token': UNK},
    }
    tok_config = {'tokenizer_class': 'PreTrainedTokenizerFast', 'model_max_length': MAX_TOKENS, 'pad_token': PAD, 'unk_token': UNK,
                  'do_lower_case': True, 'clean_up_tokenization_spaces': False,
                  'added_tokens_decoder': {'0': special(0, PAD), '1': special(1, UNK)}}
    for name, obj in [('config.json', config), ('preprocessor_config.json', pre), ('tokenizer.json', tokenizer), ('tokenizer_config.json', tok_config)]:
        with open(os.path.join(args.out, name), 'w') as f:
            json.dump(obj, f, indent=2)
            f.write('\n')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
