// The subword tokenizer of models/emoji-clip: Loupe's TextTokenizer (Node, @huggingface/tokenizers) must give the same
// ids as the Python tokenizer the towers were trained with (models/train/wordpiece.py), on names, keywords and names
// in other languages plus odd input (accents, CJK, punctuation, emoji, over-long words), written by export_family.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/models/tokenizer.js';

const dir = join(import.meta.dirname, '../../models/emoji-clip');
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/emoji-tokenizer.json'), 'utf8')) as {
  max_tokens: number;
  cases: { text: string; ids: number[] }[];
};

describe('emoji-clip WordPiece tokenizer', () => {
  const tokenizer = new TextTokenizer(dir, JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')), { maxLength: fixture.max_tokens });

  it('matches the training tokenizer on every fixture text', () => {
    expect(fixture.cases.length).toBeGreaterThan(100);
    const mismatches = fixture.cases.filter((c) => JSON.stringify(tokenizer.encode(c.text)) !== JSON.stringify(c.ids));
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('splits an unseen word into known pieces instead of one unknown token', () => {
    const ids = tokenizer.encode('duckling');
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(ids).not.toContain(1); // [UNK]
    expect(tokenizer.encode('Café')).toEqual(tokenizer.encode('cafe'));
  });
});
