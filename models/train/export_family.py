"""Writes the four contract folders (MODELS.md) from one trained family (train_family.py):
  models/emoji-clip   CLIP:   vision_model.onnx (pixel_values [B,3,48,48] -> image_embeds), text_model.onnx
  models/emoji-dino   DINO:   model.onnx (pixel_values [B,3,224,224] -> attentions [B,4,28*28])
  models/emoji-yolox  YOLOX:  model.onnx (images [1,3,320,320] BGR 0..255 letterboxed -> output [1,2100,6])
  models/emoji-owl    OWL-ViT: model.onnx (input_ids, attention_mask [Q,L], pixel_values [B,3,320,320] -> logits [B,16,Q],
                      pred_boxes [B,16,4]): the detector's 16 best proposals after fast NMS, cut out of the input with
                      RoIAlign, embedded by the image tower and scored against the text tower's query embeddings.

  /usr/bin/python3 models/train/export_family.py --run .cache/train/family-run
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

from common import CACHE, CLIP_MEAN, CLIP_STD, MAX_TOKENS, ROOT, Vocab, load_classes
from nets import CROP, HEADS, STRIDES, Family, OwlHead, decode, grid_outputs

DINO_SIZE, DINO_PATCH = 224, 8
YOLOX_SIZE = 320
OWL_SIZE, OWL_PROPOSALS, OWL_CANDIDATES = 256, 16, 64
# The detector runs on the input resized to this side; crops come from the full 256 px input. 192 and 160 were tried
# 2026-12-04 (LOUPE_OWL_DET_SIZE overrides it): as good as 256 on training-style validation scenes and 0.75x / 0.60x
# the rerank latency, but the top box on held-out art fell from 72.3 to 69.9 / 66.1 % (emoji-owl's MODEL_CARD), and 256
# already reranks 10 hits in about 120 ms on 2 quiet cores: kept at 256.
OWL_DET_SIZE = int(os.environ.get('LOUPE_OWL_DET_SIZE', 256))
OWL_CROP_CONTEXT = 0.1  # as emoji-clip's region_crop: square crops with 10 % context, so objects are not squashed
OPSET = 16


def resample_matrix(src, dst):
    """[dst, src] antialiased linear (triangle filter, support scaled by the ratio, like PIL's bilinear) resampling
    matrix: x [.., src, src] -> R @ x @ R^T. Exports as two MatMuls (opset 16's Resize has no antialiasing)."""
    scale = src / dst
    support = max(scale, 1.0)
    r = torch.zeros(dst, src)
    for i in range(dst):
        center = (i + 0.5) * scale
        for j in range(src):
            w = max(0.0, 1.0 - abs((j + 0.5 - center) / support))
            r[i, j] = w
        r[i] /= r[i].sum()
    return r


class EnsembleImage(torch.nn.Module):
    """Two image towers of this family trained towards the same fixed targets, as one: the sum of their L2-normalised
    embeddings, the second on the input resampled to its side (resample_matrix)."""

    def __init__(self, main, extra, side, extra_side):
        super().__init__()
        self.main, self.extra = main, extra
        self.register_buffer('resample', resample_matrix(side, extra_side))

    def forward(self, x):
        small = self.resample @ x @ self.resample.t()
        return F.normalize(self.main(x), dim=-1) + F.normalize(self.extra(small), dim=-1)


def load_ensemble_tower(folder, vocab_size):
    """-> (image tower of a shipped CLIP folder of this family, its input side)."""
    from from_onnx import load_image_tower
    with open(os.path.join(folder, 'preprocessor_config.json')) as f:
        pre = json.load(f)
    side = pre.get('crop_size', {}).get('height') or pre['size']['shortest_edge']
    return load_image_tower(Family(vocab_size, detector=False).image, folder).eval(), side


class ClipParts(torch.nn.Module):
    """A CLIP run's text tower beside another image module (an EnsembleImage): what OwlCosine needs of `clip`."""

    def __init__(self, image, text):
        super().__init__()
        self.image, self.text = image, text


def with_ensemble(clip, folder, vocab_size, crop):
    """The CLIP run as is, or (folder given) with its image tower ensembled with that shipped folder's."""
    if not folder:
        return clip
    extra, side = load_ensemble_tower(folder, vocab_size)
    return ClipParts(EnsembleImage(clip.image, extra, crop, side), clip.text)


class Vision(torch.nn.Module):
    """The CLIP image tower, or with `ensemble` (an EnsembleImage around it) the ensemble; with flip=True the mean of the
    L2-normalised embeddings of the input and its mirror image (test-time flip: a crop and its mirror get the same
    embedding, at twice the cost of a tiny tower). The tower's weights keep their `m.image.` names in the ONNX graph
    (registered first), which from_onnx.load_image_tower reads back."""

    def __init__(self, m, flip=False, ensemble=None):
        super().__init__()
        self.m, self.flip = m, flip
        self.ensemble = ensemble

    def forward(self, pixel_values):
        image = self.ensemble if self.ensemble is not None else self.m.image
        if not self.flip:
            return image(pixel_values)
        b = pixel_values.shape[0]
        e = F.normalize(image(torch.cat([pixel_values, pixel_values.flip(-1)], 0)), dim=-1)
        return e[:b] + e[b:]


class Text(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.text(input_ids, attention_mask)


class Dino(torch.nn.Module):
    """CLS-style query attention over the stride-8 tokens, per head: softmax(logits / temperature). The temperature
    (chosen on training-style scenes, see MODEL_CARD) flattens the map inside objects so Otsu keeps them whole."""

    def __init__(self, m, temperature=1.0):
        super().__init__()
        self.m, self.t = m, temperature

    def forward(self, pixel_values):
        return (self.m.image.pool.logits(self.m.image.backbone(pixel_values)) / self.t).softmax(-1)


class Yolox(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        self.register_buffer('mean', torch.tensor(CLIP_MEAN).view(1, 3, 1, 1) * 255)
        self.register_buffer('std', torch.tensor(CLIP_STD).view(1, 3, 1, 1) * 255)

    def forward(self, images):
        x = (images.flip(1) - self.mean) / self.std  # BGR 0..255 -> normalised RGB
        raw, _ = grid_outputs(self.m.det(self.m.image.backbone(x)))
        return torch.cat([raw[..., 1:5], raw[..., :1].sigmoid(), torch.ones_like(raw[..., :1])], -1)


def box_iou(a, b):
    """[B,M,4] x [B,M,4] -> [B,M,M]."""
    area_a = (a[..., 2] - a[..., 0]).clamp(min=0) * (a[..., 3] - a[..., 1]).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
    lt = torch.maximum(a[:, :, None, :2], b[:, None, :, :2])
    rb = torch.minimum(a[:, :, None, 2:], b[:, None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, :, None] + area_b[:, None, :] - inter + 1e-6)


class Proposals(torch.nn.Module):
    """The OWL graph's first half: the family detector's OWL_PROPOSALS best boxes after fast NMS (on the input resized to
    OWL_DET_SIZE) and a square crop with context around each, cut out of the full input with RoIAlign."""

    def __init__(self, m, crop=CROP, nms_iou=0.5):
        super().__init__()
        self.m, self.crop, self.nms_iou = m, crop, nms_iou

    def forward(self, pixel_values):
        """-> proposals [B,K,4] (x1,y1,x2,y2 input pixels), objectness [B,K], crops [B*K,3,crop,crop]."""
        b = pixel_values.shape[0]
        small = pixel_values if OWL_DET_SIZE == OWL_SIZE else F.interpolate(pixel_values, size=(OWL_DET_SIZE, OWL_DET_SIZE), mode='bilinear', align_corners=False, antialias=False)
        raw, grid = grid_outputs(self.m.det(self.m.image.backbone(small)))
        obj, boxes = decode(raw, grid)
        boxes = (boxes * (OWL_SIZE / OWL_DET_SIZE)).clamp(0, OWL_SIZE)
        score, idx = obj.topk(OWL_CANDIDATES, dim=1)
        cand = torch.gather(boxes, 1, idx.unsqueeze(-1).expand(-1, -1, 4))
        # Fast NMS: a candidate is dropped if a better one overlaps it by more than nms_iou.
        iou = box_iou(cand, cand).triu(1)
        keep = (iou.max(dim=1).values < self.nms_iou).float()
        _, idx2 = (score * keep - (1 - keep)).topk(OWL_PROPOSALS, dim=1)
        props = torch.gather(cand, 1, idx2.unsqueeze(-1).expand(-1, -1, 4))
        pobj = torch.gather(score, 1, idx2)
        batch_idx = torch.arange(b, dtype=props.dtype).view(b, 1, 1).expand(b, OWL_PROPOSALS, 1)
        # Square crop around each proposal with context (the crops the CLIP towers were trained on), shifted inside.
        side = torch.maximum(props[..., 2] - props[..., 0], props[..., 3] - props[..., 1]).unsqueeze(-1) * (1 + 2 * OWL_CROP_CONTEXT)
        side = side.clamp(max=OWL_SIZE)
        centre = (props[..., :2] + props[..., 2:]) / 2
        lo = torch.minimum(torch.clamp(centre - side / 2, min=0.0), OWL_SIZE - side)
        rois = torch.cat([batch_idx, lo, lo + side], -1).reshape(-1, 5)
        crops = roi_align(pixel_values, rois, output_size=self.crop, spatial_scale=1.0, sampling_ratio=2, aligned=True)
        return props, pobj, crops


def owl_boxes(props):
    """Proposals [B,K,4] (x1,y1,x2,y2 input pixels) -> OWL-ViT's pred_boxes (cx, cy, w, h as fractions of the input)."""
    wh = props[..., 2:] - props[..., :2]
    centre = (props[..., 2:] + props[..., :2]) / 2
    return torch.cat([centre, wh], -1) / OWL_SIZE


class Owl(torch.nn.Module):
    """Open-vocabulary detection: detector proposals -> crops -> the OWL head's per-box class embeddings and box bias
    (nets.OwlHead, trained by train_owl.py with a sigmoid focal loss on scenes with present and absent queries), scored
    against the text tower's query embeddings. The logits are calibrated: sigmoid(logit) is the probability that the box
    shows the queried thing."""

    def __init__(self, m, clip, head, crop=CROP):
        super().__init__()
        self.proposals, self.clip, self.head = Proposals(m, crop), clip, head

    def forward(self, input_ids, attention_mask, pixel_values):
        b = pixel_values.shape[0]
        props, pobj, crops = self.proposals(pixel_values)
        te = F.normalize(self.clip.text(input_ids, attention_mask), dim=-1)
        logits = self.head(crops, torch.log(pobj.clamp(min=1e-4)).reshape(-1), te).view(b, OWL_PROPOSALS, -1)
        return logits, owl_boxes(props)


class OwlCosine(torch.nn.Module):
    """Open-vocabulary detection with the CLIP towers themselves (no trained head): detector proposals -> crops -> the
    CLIP image tower, scored against the CLIP text tower's query embeddings.
    logit = a * (cosine + beta * log(objectness) - c), with (a, beta, c) from calibrate_owl.py on training-style
    validation scenes, so sigmoid(logit) reads as the probability that the box shows the queried thing."""

    def __init__(self, m, clip, crop=CROP, a=20.0, c=0.3, beta=0.1):
        super().__init__()
        self.proposals, self.clip = Proposals(m, crop), clip
        self.a, self.c, self.beta = a, c, beta

    def parts(self, input_ids, attention_mask, pixel_values):
        """-> cosines [B,K,Q], proposal objectness [B,K], proposals [B,K,4] (x1,y1,x2,y2 input pixels)."""
        b = pixel_values.shape[0]
        props, pobj, crops = self.proposals(pixel_values)
        ie = F.normalize(self.clip.image(crops), dim=-1).view(b, OWL_PROPOSALS, -1)
        te = F.normalize(self.clip.text(input_ids, attention_mask), dim=-1)
        return ie @ te.t(), pobj, props

    def forward(self, input_ids, attention_mask, pixel_values):
        cos, pobj, props = self.parts(input_ids, attention_mask, pixel_values)
        logits = self.a * (cos + self.beta * torch.log(pobj.clamp(min=1e-4)).unsqueeze(-1) - self.c)
        return logits, owl_boxes(props)


class OwlCosineImageGuided(torch.nn.Module):
    """Image-guided form of OwlCosine: the queries are pictures (query_pixel_values [Q,3,crop,crop], CLIP-normalised)
    embedded by the CLIP image tower in place of the text tower; same calibration."""

    def __init__(self, owl):
        super().__init__()
        self.owl = owl

    def forward(self, query_pixel_values, pixel_values):
        b = pixel_values.shape[0]
        props, pobj, crops = self.owl.proposals(pixel_values)
        ie = F.normalize(self.owl.clip.image(crops), dim=-1).view(b, OWL_PROPOSALS, -1)
        qe = F.normalize(self.owl.clip.image(query_pixel_values), dim=-1)
        logits = self.owl.a * (ie @ qe.t() + self.owl.beta * torch.log(pobj.clamp(min=1e-4)).unsqueeze(-1) - self.owl.c)
        return logits, owl_boxes(props)


class OwlImageGuided(torch.nn.Module):
    """Image-guided detection (OWL-ViT's image conditioning): the queries are pictures of the thing
    (query_pixel_values [Q,3,crop,crop], CLIP-normalised), embedded by the CLIP image tower in place of the text tower."""

    def __init__(self, owl):
        super().__init__()
        self.owl = owl

    def forward(self, query_pixel_values, pixel_values):
        b = pixel_values.shape[0]
        props, pobj, crops = self.owl.proposals(pixel_values)
        qe = F.normalize(self.owl.clip.image(query_pixel_values), dim=-1)
        logits = self.owl.head(crops, torch.log(pobj.clamp(min=1e-4)).reshape(-1), qe).view(b, OWL_PROPOSALS, -1)
        return logits, owl_boxes(props)


def owl_kind(clip_run, crop):
    """config.json loupe.kind of the cosine OWL graph, from the CLIP run's record (which towers score the crops)."""
    def of(path):
        name = os.path.basename(os.path.normpath(path))
        return name + ("'" if name.endswith('s') else "'s")
    image = of(clip_run['init_image']) if clip_run.get('init_image') and not clip_run.get('steps') else "the CLIP run's"
    text = clip_run.get('composed', {}).get('text')
    text = of(text) if text else "the CLIP run's"
    return (f'two-stage: emoji-yolox proposals (detector on a {OWL_DET_SIZE} px copy) -> RoIAlign crops -> {image} {crop} px image '
            f'tower vs {text} text tower (calibrated cosine)')


def tokenizer_files(vocab, max_len):
    """tokenizer.json (BertNormalizer + BertPreTokenizer + WordPiece) and tokenizer_config.json of the subword vocabulary."""
    assert max_len == vocab.max_tokens
    return vocab.tokenizer_json(), vocab.tokenizer_config()


TOKENIZER_FIXTURE = os.path.join(ROOT, 'test', 'models', 'fixtures', 'emoji-tokenizer.json')
ODD_TEXTS = ['Café crème', 'ÉLAN', 'naïve', 'Straße', 'ﬁsh', 'tab\there', '日本語のテキスト', 'がぎぐ', '한국어', "don't-stop!!", '¿qué?',
             '«Ente»', '🦆 duck', 'x' * 150, '', '   ', 'U.S.A.', 'ＡＢＣ full width', 'where is the duck?', 'a photo of a polar bear']


def write_tokenizer_fixture(vocab, classes):
    """Texts and the ids this Python tokenizer gives them (the ids training saw), for the Node parity test."""
    texts = list(ODD_TEXTS)
    for c in classes[::37]:
        texts += c['captions'][:1] + c.get('keywords', [])[:1] + [v['label'] for v in c.get('i18n', {}).values()][::5]
    with open(TOKENIZER_FIXTURE, 'w') as f:
        json.dump({'note': 'written by models/train/export_family.py with models/emoji-clip/tokenizer.json', 'max_tokens': vocab.max_tokens,
                   'cases': [{'text': t, 'ids': vocab.ids_of(t)[:vocab.max_tokens]} for t in texts]}, f, ensure_ascii=False, indent=0)
        f.write('\n')


def write(out, files):
    os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
    for name, obj in files.items():
        with open(os.path.join(out, name), 'w') as f:
            json.dump(obj, f, indent=2)
            f.write('\n')


def export(module, args, path, inputs, outputs, dynamic):
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic, opset_version=OPSET)
    module.eval()  # export may leave modules in training mode (MODELS.md)


def clip_normalize(kind, size):
    return {'image_processor_type': kind, 'do_resize': True, 'size': {'height': size, 'width': size}, 'resample': 2,
            'do_center_crop': False, 'do_rescale': True, 'rescale_factor': 1 / 255, 'do_normalize': True,
            'image_mean': list(CLIP_MEAN), 'image_std': list(CLIP_STD), 'do_convert_rgb': True}


def load_models(run_dir, clip_run_dir, vocab_size):
    """-> (family model, CLIP model, CLIP crop side, family run record, CLIP run record)."""
    def one(d, detector):
        m = Family(vocab_size, detector=detector)
        m.load_state_dict(torch.load(os.path.join(d, 'family.pt')))
        m.eval()
        with open(os.path.join(d, 'run.json')) as f:
            return m, json.load(f)
    model, run = one(run_dir, True)
    if not clip_run_dir:
        return model, model, run.get('crop_side', CROP), run, run
    clip, clip_run = one(clip_run_dir, False)
    return model, clip, clip_run['crop_side'], run, clip_run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=os.path.join(CACHE, 'family-run'))
    ap.add_argument('--data', default=CACHE)
    ap.add_argument('--models', default=os.path.join(ROOT, 'models'))
    ap.add_argument('--clip-run', default=None, help='take the CLIP towers from this run (train_family.py --clip-only)')
    ap.add_argument('--dino-temperature', type=float, default=3.0, help='chosen on Google (training-style) scenes: v1/v2 recall peak at 2-4')
    ap.add_argument('--tta-flip', action='store_true', help='the CLIP vision graph averages each crop with its mirror image')
    ap.add_argument('--only', default='clip,dino,yolox,owl', help='which folders to write')
    ap.add_argument('--ensemble-image', default=None, help='a shipped CLIP folder of this family whose image tower joins '
                    'the exported one in the vision graph (sum of the normalised embeddings; both must be trained towards '
                    'the same targets, e.g. models/emoji-clip-words)')
    ap.add_argument('--clip-name', default='emoji-clip', help='folder name of the CLIP export (e.g. a candidate name beside the shipped one)')
    ap.add_argument('--owl-form', default='head', choices=('head', 'cosine'),
                    help="'head': the trained OWL head (train_owl.py, owl_head.pt in --run); 'cosine': the CLIP towers "
                         "scored by calibrated cosine (calibrate_owl.py, owl_calibration.json in --clip-run)")
    args = ap.parse_args()
    vocab = Vocab(load_classes(args.data)['vocab'])
    model, clip, crop, run, clip_run = load_models(args.run, args.clip_run, len(vocab.tokens))
    dim = clip.image.pool.proj[-1].out_features
    hidden = clip.text.embed.embedding_dim
    tokenizer, tok_config = tokenizer_files(vocab, MAX_TOKENS)
    family = {'family': 'loupe emoji family (models/train/train_family.py)', 'run': 'training_run.json', 'card': 'MODEL_CARD.md'}

    only = set(args.only.split(','))
    # CLIP
    if 'clip' in only:
        out = os.path.join(args.models, args.clip_name)
        ensemble = with_ensemble(clip, args.ensemble_image, len(vocab.tokens), crop).image if args.ensemble_image else None
        if ensemble is not None:
            side = ensemble.resample.shape[0]
            clip_run = dict(clip_run, ensemble_image={'folder': os.path.basename(os.path.normpath(args.ensemble_image)), 'side': side,
                                                      'note': 'vision graph = normalize(this run\'s tower(x)) + normalize(that tower(x resampled to its side))'})
        write(out, {
            'config.json': {'_name_or_path': f'loupe/{args.clip_name}', 'architectures': ['CLIPModel'], 'model_type': 'clip', 'projection_dim': dim,
                            'logit_scale_init_value': float(clip.logit_scale.item()),
                            'text_config': {'model_type': 'clip_text_model', 'vocab_size': len(vocab.tokens), 'hidden_size': hidden,
                                            'projection_dim': dim, 'max_position_embeddings': MAX_TOKENS, 'pad_token_id': 0},
                            'vision_config': {'model_type': 'clip_vision_model', 'image_size': crop, 'num_channels': 3,
                                              'hidden_size': clip.image.backbone.channels, 'projection_dim': dim, 'patch_size': 8},
                            'loupe': dict(family, kind='CNN image tower with attention pooling + subword text tower (conv + attention pooling)'
                                          + (f"; vision graph: ensemble with the image tower of {os.path.basename(os.path.normpath(args.ensemble_image))} "
                                             f"({clip_run['ensemble_image']['side']} px)" if args.ensemble_image else ''),
                                          # trained on objects filling 50-95 % of the crop: proposals are embedded squared, with context
                                          region_crop={'context': 0.1, 'square': True})},
            'preprocessor_config.json': {'image_processor_type': 'CLIPImageProcessor', 'feature_extractor_type': 'CLIPFeatureExtractor',
                                         'do_resize': True, 'size': {'shortest_edge': crop}, 'resample': 3, 'do_center_crop': True,
                                         'crop_size': {'height': crop, 'width': crop}, 'do_rescale': True, 'rescale_factor': 1 / 255,
                                         'do_normalize': True, 'image_mean': list(CLIP_MEAN), 'image_std': list(CLIP_STD), 'do_convert_rgb': True},
            'tokenizer.json': tokenizer, 'tokenizer_config.json': tok_config, 'training_run.json': clip_run})
        for stale in ('vision_model.onnx', 'text_model.onnx'):
            if os.path.exists(os.path.join(out, 'onnx', stale)):
                os.remove(os.path.join(out, 'onnx', stale))
        write_tokenizer_fixture(vocab, load_classes(args.data)['classes'])
        export(Vision(clip, flip=args.tta_flip, ensemble=ensemble), (torch.zeros(2, 3, crop, crop),), os.path.join(out, 'onnx', 'vision_model.onnx'), ['pixel_values'], ['image_embeds'],
               {'pixel_values': {0: 'batch'}, 'image_embeds': {0: 'batch'}})
        ids = torch.ones(2, 4, dtype=torch.long)
        export(Text(clip), (ids, torch.ones_like(ids)), os.path.join(out, 'onnx', 'text_model.onnx'), ['input_ids', 'attention_mask'], ['text_embeds'],
               {'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence'}, 'text_embeds': {0: 'batch'}})

    # DINO
    if 'dino' in only:
        out = os.path.join(args.models, 'emoji-dino')
        write(out, {
            'config.json': {'_name_or_path': 'loupe/emoji-dino', 'architectures': ['ViTModel'], 'model_type': 'dino', 'image_size': DINO_SIZE,
                            'patch_size': DINO_PATCH, 'num_channels': 3, 'num_heads': HEADS, 'num_attention_heads': HEADS, 'num_hidden_layers': 1,
                            'loupe': dict(family, kind='attention pooling of the family backbone (CLS-style learned query per head)',
                                          temperature=args.dino_temperature)},
            'preprocessor_config.json': clip_normalize('ViTImageProcessor', DINO_SIZE), 'training_run.json': run})
        export(Dino(model, args.dino_temperature), (torch.zeros(1, 3, DINO_SIZE, DINO_SIZE),), os.path.join(out, 'onnx', 'model.onnx'), ['pixel_values'], ['attentions'],
               {'pixel_values': {0: 'batch'}, 'attentions': {0: 'batch'}})

    # YOLOX
    if 'yolox' in only:
        out = os.path.join(args.models, 'emoji-yolox')
        n = sum((YOLOX_SIZE // s) ** 2 for s in STRIDES)
        write(out, {
            'config.json': {'_name_or_path': 'loupe/emoji-yolox', 'architectures': ['YOLOX'], 'model_type': 'yolox', 'num_classes': 1,
                            'id2label': {'0': 'object'}, 'label2id': {'object': 0}, 'input_size': [YOLOX_SIZE, YOLOX_SIZE], 'strides': list(STRIDES),
                            'loupe': dict(family, kind='class-agnostic detector head on the emoji-clip backbone', anchors=n)},
            'preprocessor_config.json': {'image_processor_type': 'YoloxLetterbox', 'size': {'height': YOLOX_SIZE, 'width': YOLOX_SIZE},
                                         'letterbox': f'top-left, scale = min({YOLOX_SIZE}/H, {YOLOX_SIZE}/W), bilinear', 'pad_value': 114,
                                         'channel_order': 'BGR', 'do_rescale': False, 'do_normalize': False},
            'training_run.json': run})
        export(Yolox(model), (torch.full((1, 3, YOLOX_SIZE, YOLOX_SIZE), 114.0),), os.path.join(out, 'onnx', 'model.onnx'), ['images'], ['output'], None)

    # OWL-ViT
    if 'owl' in only and args.owl_form == 'cosine':
        out = os.path.join(args.models, 'emoji-owl')
        with open(os.path.join(args.clip_run or args.run, 'owl_calibration.json')) as f:
            cal = json.load(f)
        tokenizer16, tok_config16 = tokenizer_files(vocab, MAX_TOKENS)
        write(out, {
            'config.json': {'_name_or_path': 'loupe/emoji-owl', 'architectures': ['OwlViTForObjectDetection'], 'model_type': 'owlvit',
                            'text_config': {'model_type': 'owlvit_text_model', 'vocab_size': len(vocab.tokens), 'max_position_embeddings': MAX_TOKENS,
                                            'pad_token_id': 0},
                            'vision_config': {'model_type': 'owlvit_vision_model', 'image_size': OWL_SIZE, 'patch_size': 16, 'num_channels': 3},
                            'loupe': dict(family, kind=owl_kind(clip_run, crop),
                                          proposals=OWL_PROPOSALS, candidates=OWL_CANDIDATES, detector_side=OWL_DET_SIZE,
                                          logit=f"{cal['a']:.4f} * (cosine + {cal['beta']:.3f} * log(objectness) - {cal['c']:.4f})",
                                          min_score=cal['min_score'], calibration=cal)},
            'preprocessor_config.json': clip_normalize('OwlViTImageProcessor', OWL_SIZE),
            'tokenizer.json': tokenizer16, 'tokenizer_config.json': tok_config16,
            'training_run.json': {'detector': run, 'clip': clip_run, 'calibration': cal}})
        ids = torch.ones(2, MAX_TOKENS, dtype=torch.long)
        owl = OwlCosine(model, with_ensemble(clip, cal.get('ensemble_image') and os.path.join(ROOT, cal['ensemble_image']), len(vocab.tokens), crop), crop, cal['a'], cal['c'], cal['beta'])
        export(owl, (ids, torch.ones_like(ids), torch.zeros(1, 3, OWL_SIZE, OWL_SIZE)), os.path.join(out, 'onnx', 'model.onnx'),
               ['input_ids', 'attention_mask', 'pixel_values'], ['logits', 'pred_boxes'],
               {'input_ids': {0: 'queries', 1: 'sequence'}, 'attention_mask': {0: 'queries', 1: 'sequence'}, 'pixel_values': {0: 'batch'},
                'logits': {0: 'batch', 2: 'queries'}, 'pred_boxes': {0: 'batch'}})
        export(OwlCosineImageGuided(owl), (torch.zeros(1, 3, crop, crop), torch.zeros(1, 3, OWL_SIZE, OWL_SIZE)), os.path.join(out, 'onnx', 'image_guided.onnx'),
               ['query_pixel_values', 'pixel_values'], ['logits', 'pred_boxes'],
               {'query_pixel_values': {0: 'queries'}, 'pixel_values': {0: 'batch'}, 'logits': {0: 'batch', 2: 'queries'}, 'pred_boxes': {0: 'batch'}})
    elif 'owl' in only:
        out = os.path.join(args.models, 'emoji-owl')
        head_path = os.path.join(args.run, 'owl_head.pt')
        head = OwlHead(clip.image)
        head.load_state_dict(torch.load(head_path))
        head.eval()
        with open(os.path.join(args.run, 'owl_run.json')) as f:
            owl_run = json.load(f)
        tokenizer16, tok_config16 = tokenizer_files(vocab, MAX_TOKENS)
        write(out, {
            'config.json': {'_name_or_path': 'loupe/emoji-owl', 'architectures': ['OwlViTForObjectDetection'], 'model_type': 'owlvit',
                            'text_config': {'model_type': 'owlvit_text_model', 'vocab_size': len(vocab.tokens), 'max_position_embeddings': MAX_TOKENS,
                                            'pad_token_id': 0},
                            'vision_config': {'model_type': 'owlvit_vision_model', 'image_size': OWL_SIZE, 'patch_size': 16, 'num_channels': 3},
                            'loupe': dict(family, kind='two-stage: emoji-yolox proposals -> RoIAlign crops -> own image tower + box head '
                                                       '(sigmoid focal loss, present and absent queries) vs emoji-clip text tower',
                                          proposals=OWL_PROPOSALS, candidates=OWL_CANDIDATES, detector_side=OWL_DET_SIZE, min_score=owl_run['min_score'],
                                          calibration=owl_run['validation'])},
            'preprocessor_config.json': clip_normalize('OwlViTImageProcessor', OWL_SIZE),
            'tokenizer.json': tokenizer16, 'tokenizer_config.json': tok_config16,
            'training_run.json': {'detector': run, 'clip': clip_run, 'owl_head': owl_run}})
        ids = torch.ones(2, MAX_TOKENS, dtype=torch.long)
        owl = Owl(model, clip, head, crop)
        export(owl, (ids, torch.ones_like(ids), torch.zeros(1, 3, OWL_SIZE, OWL_SIZE)), os.path.join(out, 'onnx', 'model.onnx'),
               ['input_ids', 'attention_mask', 'pixel_values'], ['logits', 'pred_boxes'],
               {'input_ids': {0: 'queries', 1: 'sequence'}, 'attention_mask': {0: 'queries', 1: 'sequence'}, 'pixel_values': {0: 'batch'},
                'logits': {0: 'batch', 2: 'queries'}, 'pred_boxes': {0: 'batch'}})
        export(OwlImageGuided(owl), (torch.zeros(1, 3, crop, crop), torch.zeros(1, 3, OWL_SIZE, OWL_SIZE)), os.path.join(out, 'onnx', 'image_guided.onnx'),
               ['query_pixel_values', 'pixel_values'], ['logits', 'pred_boxes'],
               {'query_pixel_values': {0: 'queries'}, 'pixel_values': {0: 'batch'}, 'logits': {0: 'batch', 2: 'queries'}, 'pred_boxes': {0: 'batch'}})
    print('wrote emoji-clip, emoji-dino, emoji-yolox, emoji-owl under', args.models)


if __name__ == '__main__':
    main()
