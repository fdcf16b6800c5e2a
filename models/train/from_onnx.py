"""Rebuilds a trained family's backbone and detector head (nets.Family) in torch from a shipped emoji-yolox ONNX export,
so that a new OWL head (train_owl.py) can be trained on, and exported with, exactly the proposals of the shipped
detector without retraining it (checkpoints are not committed; the ONNX file is).

torch.onnx.export folds each BatchNorm into the preceding convolution; here the folded weight goes back into the
convolution and the folded bias into an identity BatchNorm (mean 0, var 1 - eps, weight 1), which is exact in eval mode.

  /usr/bin/python3 models/train/from_onnx.py --yolox models/emoji-yolox --out .cache/train/family-shipped
"""
import argparse
import json
import os

import onnx
import torch
from onnx import numpy_helper

from common import ROOT, Vocab, load_classes
from nets import Family


def read_onnx(path):
    """-> (initializers by name as tensors, the Conv nodes in graph order)."""
    graph = onnx.load(path).graph
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    return init, [n for n in graph.node if n.op_type == 'Conv']


def conv_bn_pairs(*parts):
    """(conv, bn or None) in forward order for the given modules."""
    pairs = []
    for part in parts:
        mods = list(part.modules())
        for i, m in enumerate(mods):
            if isinstance(m, torch.nn.Conv2d):
                bn = mods[i + 1] if i + 1 < len(mods) and isinstance(mods[i + 1], torch.nn.BatchNorm2d) else None
                pairs.append((m, bn))
    return pairs


def unfold_into(pairs, convs, init, where):
    """Copies each exported (BatchNorm-folded) Conv node into its (conv, bn) pair: the weight into the conv, the bias
    into the conv's bias or an identity BatchNorm's shift."""
    with torch.no_grad():
        for (conv, bn), node in zip(pairs, convs):
            w = init[node.input[1]]
            b = init[node.input[2]] if len(node.input) > 2 else torch.zeros(w.shape[0])
            if tuple(w.shape) != tuple(conv.weight.shape):
                raise SystemExit(f'{where}: {node.name} weight {tuple(w.shape)} does not fit {tuple(conv.weight.shape)}')
            conv.weight.copy_(w)
            if bn is None:
                conv.bias.copy_(b)
            else:
                bn.weight.fill_(1.0)
                bn.bias.copy_(b)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)


def load_detector(yolox_dir, vocab_size):
    init, convs = read_onnx(os.path.join(yolox_dir, 'onnx', 'model.onnx'))
    model = Family(vocab_size, detector=True)
    pairs = conv_bn_pairs(model.image.backbone, model.det)
    if len(pairs) != len(convs):
        raise SystemExit(f'{yolox_dir}: {len(convs)} Conv nodes, the family has {len(pairs)} convolutions: not this architecture')
    unfold_into(pairs, convs, init, yolox_dir)
    return model.eval()


def load_image_tower(tower, clip_dir):
    """Loads a shipped CLIP-contract vision_model.onnx of this family (BatchNorm folded) into `tower` (nets.ImageTower):
    the backbone's convolutions come first in the graph, then the pooling's query and value convolutions (by name)."""
    init, convs = read_onnx(os.path.join(clip_dir, 'onnx', 'vision_model.onnx'))
    pairs = conv_bn_pairs(tower.backbone)
    if len(convs) == 2 * (len(pairs) + 2) and any(k.startswith('ensemble.extra.') for k in init):
        # A two-tower vision graph (export_family.py --ensemble-image): the run's own tower is traced first.
        print(f'{clip_dir}: an ensemble vision graph; loading its first tower (the run\'s own)', flush=True)
        convs = convs[:len(pairs) + 2]
    if len(convs) != len(pairs) + 2:
        raise SystemExit(f'{clip_dir}: {len(convs)} Conv nodes, the image tower has {len(pairs) + 2}: not this architecture')
    unfold_into(pairs, convs, init, clip_dir)
    state = {k[len('m.image.'):]: v for k, v in init.items() if k.startswith('m.image.')}
    missing = [k for k in ('pool.query.weight', 'pool.value.weight', 'pool.proj.0.weight', 'pool.proj.2.weight') if k not in state]
    if missing:
        raise SystemExit(f'{clip_dir}: no initializer for {missing}')
    params = dict(tower.named_parameters())
    with torch.no_grad():
        for k, v in state.items():
            params[k].copy_(v)
    return tower


def recalibrate_batchnorm(tower, batches):
    """After load_image_tower the BatchNorms are identities: exact in eval mode, but in train mode each would normalize
    its input by the batch statistics and drop the scale and shift folded into the convolution, so fine-tuning would
    start from a different network. This measures every BatchNorm's input mean and variance over `batches` (lists of
    normalized image tensors, eval mode, so every upstream layer is the exported one) and moves them into the
    BatchNorm: running stats = the measured ones, weight = sqrt(var + eps), bias += mean. Eval mode stays exact; train
    mode (batch statistics close to the measured ones) starts close to the exported network. Returns the largest
    train-mode vs eval-mode difference of the embeddings on the first batch, before and after."""
    bns = [m for m in tower.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    def train_gap():
        with torch.no_grad():
            tower.eval()
            ref = tower(batches[0])
            tower.train()
            saved = [(bn.running_mean.clone(), bn.running_var.clone()) for bn in bns]
            out = tower(batches[0])
            for bn, (m, v) in zip(bns, saved):  # a train-mode forward moves the running stats: put them back
                bn.running_mean.copy_(m)
                bn.running_var.copy_(v)
            tower.eval()
            ref, out = ref[0] if isinstance(ref, tuple) else ref, out[0] if isinstance(out, tuple) else out
            return float((out - ref).abs().max()), float(ref.abs().max())
    before = train_gap()
    sums = {id(bn): [0.0, 0.0, 0] for bn in bns}
    def hook(bn, inp, _out):
        x = inp[0].detach().transpose(0, 1).flatten(1).double()
        acc = sums[id(bn)]
        acc[0] = acc[0] + x.sum(1)
        acc[1] = acc[1] + (x * x).sum(1)
        acc[2] += x.shape[1]
    handles = [bn.register_forward_hook(hook) for bn in bns]
    tower.eval()
    with torch.no_grad():
        for b in batches:
            tower(b)
    for h in handles:
        h.remove()
    with torch.no_grad():
        for bn in bns:
            s1, s2, n = sums[id(bn)]
            if abs(float(bn.running_mean.abs().max())) > 0 or abs(float(bn.weight.sub(1).abs().max())) > 0:
                raise SystemExit('recalibrate_batchnorm: expects the identity BatchNorms load_image_tower leaves')
            mean = (s1 / n).float()
            var = (s2 / n - (s1 / n) ** 2).clamp(min=0).float()
            # identity eval form: y + bias (running var 1 - eps); new form: (y - mean) / sqrt(var + eps) * w + b'
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_((var + bn.eps).sqrt())
            bn.bias.add_(mean)
    return before, train_gap()


def load_text_tower(tower, clip_dir):
    """Loads a shipped subword text tower (nets.TextTower; text_model.onnx of emoji-clip) into `tower`: every tensor
    keeps its name in the export except the token score's weight, which ONNX stores transposed as a MatMul operand."""
    graph = onnx.load(os.path.join(clip_dir, 'onnx', 'text_model.onnx')).graph
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    state = {k[len('m.text.'):]: v for k, v in init.items() if k.startswith('m.text.')}
    matmul = [v for k, v in init.items() if not k.startswith('m.') and tuple(v.shape) == (tower.score.in_features, 1)]
    if 'score.weight' not in state and len(matmul) == 1:
        state['score.weight'] = matmul[0].t()
    want = tower.state_dict()
    if set(state) != set(want) or any(tuple(state[k].shape) != tuple(want[k].shape) for k in want):
        raise SystemExit(f'{clip_dir}: text_model.onnx does not fit nets.TextTower ({sorted(set(want) ^ set(state))})')
    tower.load_state_dict(state)
    return tower


def old_text_embeddings(clip_dir, texts):
    """Embeddings of texts by a shipped bag-of-words text tower of this family (WordLevel tokenizer.json, masked mean of
    token embeddings -> MLP), computed from its ONNX initializers; L2-normalised [N, D]. Words it does not know are
    skipped (a text with none gets a zero row)."""
    import re
    import json as _json
    init, _ = read_onnx(os.path.join(clip_dir, 'onnx', 'text_model.onnx'))
    with open(os.path.join(clip_dir, 'tokenizer.json')) as f:
        tok = _json.load(f)
    if tok['model']['type'] != 'WordLevel':
        raise SystemExit(f'{clip_dir}: not a WordLevel tokenizer')
    vocab = tok['model']['vocab']
    emb = init['m.text.embed.weight']
    out = []
    with torch.no_grad():
        for t in texts:
            ids = [vocab[w] for w in re.findall(r"\w+|[^\w\s]+", t.lower()) if w in vocab and vocab[w] > 1]
            if not ids:
                out.append(torch.zeros(init['m.text.mlp.2.bias'].shape[0]))
                continue
            h = emb[ids].mean(0)
            h = torch.nn.functional.gelu(h @ init['m.text.mlp.0.weight'].t() + init['m.text.mlp.0.bias'])
            out.append(h @ init['m.text.mlp.2.weight'].t() + init['m.text.mlp.2.bias'])
    return torch.nn.functional.normalize(torch.stack(out), dim=-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--yolox', default=os.path.join(ROOT, 'models', 'emoji-yolox'))
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    vocab = Vocab(load_classes()['vocab'])
    model = load_detector(args.yolox, len(vocab.tokens))
    os.makedirs(args.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.out, 'family.pt'))
    with open(os.path.join(args.yolox, 'training_run.json')) as f:
        run = json.load(f)
    run['rebuilt_from'] = os.path.relpath(os.path.join(args.yolox, 'onnx', 'model.onnx'), ROOT)
    run['note'] = 'detector and backbone of the shipped emoji-yolox (not retrained); text tower and CLIP head unused'
    with open(os.path.join(args.out, 'run.json'), 'w') as f:
        json.dump(run, f, indent=2)
    print(f'rebuilt {args.yolox} -> {args.out}/family.pt')


if __name__ == '__main__':
    main()
