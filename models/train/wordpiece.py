"""A subword (WordPiece) tokenizer for the emoji family's text tower, learned from the class texts (names, keywords and
names/tags in ~30 languages), written as a Hugging Face `tokenizer.json` (BertNormalizer + BertPreTokenizer +
WordPiece) so Loupe's tokenizer and transformers.js read it unchanged. This file re-implements the same normalizer,
pre-tokenizer and greedy longest-match-first encoding in Python for training; test/models/tokenizer-wordpiece.test.ts
checks that Node's tokenizer gives the same ids.

Why subwords: a word no caption used ("automobiles", "Entchen", a typo) still maps to pieces the tower learned,
instead of the single [UNK] of a word-level vocabulary (which made every unknown query embed to the same point).

Normalization: lowercase, accents stripped (NFD, combining marks dropped: "café" = "cafe", also for users who type
without accents), CJK ideographs split into single characters (BERT's rule), control characters removed."""
import collections
import unicodedata

PAD, UNK = '[PAD]', '[UNK]'
PREFIX = '##'
MAX_WORD = 100


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_control(c):
    if c in '\t\n\r':
        return False
    return unicodedata.category(c) in ('Cc', 'Cf')


def _is_whitespace(c):
    return c in ' \t\n\r' or unicodedata.category(c) == 'Zs'


def _is_punct(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith('P')


def normalize(text):
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        if _is_whitespace(c):
            out.append(' ')
        elif _is_cjk(cp):
            out.append(f' {c} ')
        else:
            out.append(c)
    t = unicodedata.normalize('NFD', ''.join(out))
    t = ''.join(c for c in t if unicodedata.category(c) != 'Mn')
    return t.lower()


def pre_tokenize(text):
    words, cur = [], []
    for c in text:
        if _is_whitespace(c):
            if cur:
                words.append(''.join(cur))
                cur = []
        elif _is_punct(c):
            if cur:
                words.append(''.join(cur))
                cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append(''.join(cur))
    return words


def words(text):
    return pre_tokenize(normalize(text))


def learn(texts, size=12000, max_piece=10, min_count=2):
    """A WordPiece vocabulary from texts: every character (as a word start and as a ## continuation), then the
    substrings (word starts and continuations, up to max_piece characters) that save the most characters, weighted by
    how often their words occur. Deterministic for the same texts."""
    freq = collections.Counter(w for t in texts for w in words(t))
    chars = set()
    cand = collections.Counter()
    for w, n in freq.items():
        if len(w) > MAX_WORD:
            continue
        for i, c in enumerate(w):
            chars.add(c if i == 0 else PREFIX + c)
        for i in range(len(w)):
            for j in range(i + 2, min(len(w), i + max_piece) + 1):
                piece = w[i:j] if i == 0 else PREFIX + w[i:j]
                cand[piece] += n
    chosen = sorted(chars)
    scored = sorted(((n * (len(p.replace(PREFIX, '')) - 1), p) for p, n in cand.items() if n >= min_count), key=lambda x: (-x[0], x[1]))
    room = max(0, size - 2 - len(chosen))
    chosen += [p for _, p in scored[:room]]
    return [PAD, UNK] + sorted(set(chosen))


class WordPiece:
    def __init__(self, tokens, max_tokens=24):
        self.tokens = list(tokens)
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.max_tokens = max_tokens
        assert self.tokens[0] == PAD and self.tokens[1] == UNK

    def word_ids(self, w):
        if len(w) > MAX_WORD:
            return [1]
        out, start = [], 0
        while start < len(w):
            end, hit = len(w), None
            while start < end:
                piece = w[start:end] if start == 0 else PREFIX + w[start:end]
                if piece in self.ids:
                    hit = self.ids[piece]
                    break
                end -= 1
            if hit is None:
                return [1]
            out.append(hit)
            start = end
        return out

    def ids_of(self, text):
        return [i for w in words(text) for i in self.word_ids(w)]

    def encode(self, text, length=None):
        length = length or self.max_tokens
        ids = self.ids_of(text)[:length] or [1]
        n = len(ids)
        return ids + [0] * (length - n), [1] * n + [0] * (length - n)

    def batch(self, texts, device):
        import torch
        rows = [self.ids_of(t)[:self.max_tokens] or [1] for t in texts]
        length = max(len(r) for r in rows)
        ids = torch.tensor([r + [0] * (length - len(r)) for r in rows], dtype=torch.long, device=device)
        mask = torch.tensor([[1] * len(r) + [0] * (length - len(r)) for r in rows], dtype=torch.long, device=device)
        return ids, mask

    def tokenizer_json(self):
        def special(i, t):
            return {'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
        return {
            'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [special(0, PAD), special(1, UNK)],
            'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': True, 'lowercase': True},
            'pre_tokenizer': {'type': 'BertPreTokenizer'}, 'post_processor': None,
            'decoder': {'type': 'WordPiece', 'prefix': PREFIX, 'cleanup': True},
            'model': {'type': 'WordPiece', 'unk_token': UNK, 'continuing_subword_prefix': PREFIX, 'max_input_chars_per_word': MAX_WORD,
                      'vocab': self.ids},
        }

    def tokenizer_config(self):
        def special(i, t):
            return {'content': t, 'lstrip': False, 'normalized': False, 'rstrip': False, 'single_word': False, 'special': True}
        return {'tokenizer_class': 'PreTrainedTokenizerFast', 'model_max_length': self.max_tokens, 'pad_token': PAD, 'unk_token': UNK,
                'do_lower_case': True, 'clean_up_tokenization_spaces': False,
                'added_tokens_decoder': {'0': special(0, PAD), '1': special(1, UNK)}}
