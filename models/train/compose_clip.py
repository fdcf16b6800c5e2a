"""Joins an image tower trained against fixed text targets (train_family.py --fixed-text) with a text tower distilled
into the same space (distill_text.py): the two were trained apart, against the same shipped embeddings of the English
names, so they fit together. Writes <out>/family.pt and run.json in the layout export_family.py --clip-run reads.

  /usr/bin/python3 models/train/compose_clip.py --image-run .cache/train/image-fixed --text .cache/train/text-distill --out .cache/train/clip-run
"""
import argparse
import json
import os

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--image-run', required=True, help='a train_family.py --clip-only run folder (family.pt, run.json)')
    ap.add_argument('--text', help='a distill_text.py output folder (text.pt, run.json)')
    ap.add_argument('--text-onnx', help='or a shipped CLIP folder of this family whose subword text tower to keep (its ONNX)')
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    state = torch.load(os.path.join(args.image_run, 'family.pt'))
    if bool(args.text) == bool(args.text_onnx):
        raise SystemExit('give one of --text and --text-onnx')
    if args.text_onnx:
        from common import Vocab, load_classes
        from from_onnx import load_text_tower
        from nets import TextTower
        dim = state['text.mlp.2.bias'].shape[0]
        text = load_text_tower(TextTower(len(Vocab(load_classes()['vocab']).tokens), dim), args.text_onnx).state_dict()
    else:
        text = torch.load(os.path.join(args.text, 'text.pt'))
    missing = [k for k in text if f'text.{k}' not in state]
    if missing:
        raise SystemExit(f'text tower does not fit the image run ({len(missing)} unknown tensors, e.g. {missing[0]})')
    for k, v in text.items():
        if state[f'text.{k}'].shape != v.shape:
            raise SystemExit(f'text.{k}: shape {tuple(v.shape)} vs {tuple(state[f"text.{k}"].shape)} in the image run')
        state[f'text.{k}'] = v
    with open(os.path.join(args.image_run, 'run.json')) as f:
        run = json.load(f)
    if args.text_onnx:
        with open(os.path.join(args.text_onnx, 'training_run.json')) as f:
            shipped = json.load(f)
        run['text_tower'] = shipped.get('text_tower', {'from': args.text_onnx})
    else:
        with open(os.path.join(args.text, 'run.json')) as f:
            run['text_tower'] = json.load(f)
    run['composed'] = {'image_run': args.image_run, 'text': args.text or os.path.relpath(args.text_onnx)}
    os.makedirs(args.out, exist_ok=True)
    torch.save(state, os.path.join(args.out, 'family.pt'))
    with open(os.path.join(args.out, 'run.json'), 'w') as f:
        json.dump(run, f, indent=2)
    print(f'wrote {args.out}/family.pt: image tower of {args.image_run}, text tower of {args.text or args.text_onnx}')


if __name__ == '__main__':
    main()
