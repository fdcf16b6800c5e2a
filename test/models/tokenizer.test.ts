// TextTokenizer: padding, truncation that keeps an end-of-text token, pad id resolution, on small tokenizer.json files.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/models/folder.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';

const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** WordLevel over a few words; with `template`, a CLIP-like [BOS] ... [EOS] post-processor. */
function tokenizerJson(template: boolean): JsonObject {
  const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[BOS]': 2, '[EOS]': 3, red: 4, green: 5, blue: 6 };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[BOS]'), special(3, '[EOS]')],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: template
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '[BOS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[EOS]', type_id: 0 } }],
          pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { '[BOS]': { id: '[BOS]', ids: [2], tokens: ['[BOS]'] }, '[EOS]': { id: '[EOS]', ids: [3], tokens: ['[EOS]'] } },
        }
      : null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
  };
}

describe('TextTokenizer', () => {
  it('pads a batch to its longest text with the pad token and a zero mask', () => {
    const t = new TextTokenizer('m', tokenizerJson(false), { pad_token: '[PAD]' }, { maxLength: 8 });
    const b = t.encodeBatch(['Red blue', 'green', 'purple red green']);
    expect([b.count, b.length]).toEqual([3, 3]);
    expect(Array.from(b.inputIds, Number)).toEqual([4, 6, 0, 5, 0, 0, 1, 4, 5]);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 0, 1, 0, 0, 1, 1, 1]);
  });

  it('maps unknown words to the model\'s unk_token even when tokenizer_config names none', () => {
    const t = new TextTokenizer('m', tokenizerJson(false), {}, { maxLength: 8 });
    expect(t.encode('purple RED')).toEqual([1, 4]);
    const model = tokenizerJson(false).model as JsonObject;
    const noUnk = new TextTokenizer('m', { ...tokenizerJson(false), model: { ...model, unk_token: null } }, {}, { maxLength: 8 });
    expect(noUnk.encode('purple red')).toEqual([4]);
  });

  it('keeps length ≥ 1 for empty texts and pads to maxLength for fixed-length models', () => {
    const t = new TextTokenizer('m', tokenizerJson(false), {}, { maxLength: 4 });
    expect(t.encodeBatch(['', '']).length).toBe(1);
    const fixed = new TextTokenizer('m', tokenizerJson(false), {}, { maxLength: 4, padToMaxLength: true });
    expect(fixed.encodeBatch(['red']).length).toBe(4);
  });

  it('truncates to maxLength and keeps a trailing end-of-text token', () => {
    const plain = new TextTokenizer('m', tokenizerJson(false), {}, { maxLength: 2 });
    expect(plain.encode('red green blue')).toEqual([4, 5]);
    const clipLike = new TextTokenizer('m', tokenizerJson(true), {}, { maxLength: 4 });
    expect(clipLike.encode('red')).toEqual([2, 4, 3]);
    expect(clipLike.encode('red green blue red')).toEqual([2, 4, 5, 3]);
  });

  it('takes the pad id from tokenizer_config, else tokenizer.json padding, else 0', () => {
    expect(new TextTokenizer('m', tokenizerJson(true), { pad_token: '[EOS]' }, { maxLength: 8 }).padId).toBe(3);
    expect(new TextTokenizer('m', tokenizerJson(true), { pad_token: { content: '[BOS]' } }, { maxLength: 8 }).padId).toBe(2);
    expect(new TextTokenizer('m', { ...tokenizerJson(false), padding: { pad_id: 3, pad_token: '[EOS]' } }, {}, { maxLength: 8 }).padId).toBe(3);
    expect(new TextTokenizer('m', tokenizerJson(false), {}, { maxLength: 8 }).padId).toBe(0);
    expect(new TextTokenizer('m', tokenizerJson(false), {}, { maxLength: 8 }).maxId).toBe(6);
  });

  it('refuses a tokenizer.json the library cannot load with MODEL_INVALID', () => {
    expect(() => new TextTokenizer('/models/x', { ...tokenizerJson(false), model: { type: 'NoSuchModel' } }, {}, { maxLength: 8 })).toThrow(
      /Model folder "x" violates the model contract \(MODELS.md\): tokenizer.json cannot be loaded/,
    );
  });
});
