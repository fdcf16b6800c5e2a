// Marqo's model names → installed folders: the pulled ViT-B/32 folders when present, else the defaults with a note;
// Loupe folder names as themselves; anything else refused.
import { describe, expect, it } from 'vitest';
import { MarqoModelTable } from '../../src/services/marqo-models.js';

const table = (installed: string[]) => new MarqoModelTable({ installed: () => installed, defaultModel: 'emoji-clip', defaultReranker: 'emoji-owl' });

describe('MarqoModelTable', () => {
  it('maps every Marqo ViT-B/32 name to the pulled clip-vit-base-patch32 folder when it is installed, without a note', () => {
    const t = table(['emoji-clip', 'clip-vit-base-patch32', 'owlvit-base-patch32']);
    for (const name of [
      'ViT-B/32',
      'open_clip/ViT-B-32/laion2b_s34b_b79k',
      'open_clip/ViT-B-32/openai',
      'open_clip/ViT-B-32-quickgelu/metaclip_400m',
      'hf/openai/clip-vit-base-patch32',
      'openai/clip-vit-base-patch32',
    ])
      expect(t.clip(name), name).toEqual({ folder: 'clip-vit-base-patch32', note: null });
    expect(t.owl('owl/ViT-B/32')).toEqual({ folder: 'owlvit-base-patch32', note: null });
    expect(t.owl('google/owlvit-base-patch32')).toEqual({ folder: 'owlvit-base-patch32', note: null });
  });

  it('falls back to the server defaults with a note that says it is a different model', () => {
    const t = table(['emoji-clip', 'emoji-owl']);
    const clip = t.clip('open_clip/ViT-B-32/laion2b_s34b_b79k');
    expect(clip.folder).toBe('emoji-clip');
    expect(clip.note).toMatch(
      /clip-vit-base-patch32, which is not installed \(loupe models pull clip-vit-base-patch32\); using the server default "emoji-clip" instead, a different model/,
    );
    expect(t.owl('owl/ViT-B/32')).toMatchObject({ folder: 'emoji-owl', note: expect.stringMatching(/owlvit-base-patch32/) });
    expect(t.clip(undefined)).toEqual({ folder: 'emoji-clip', note: null });
  });

  it('accepts installed Loupe folders as themselves and refuses every other name', () => {
    const t = table(['emoji-clip', 'color-clip']);
    expect(t.clip('color-clip')).toEqual({ folder: 'color-clip', note: null });
    expect(() => t.clip('open_clip/ViT-L-14/laion2b_s32b_b82k')).toThrow(/^Unknown model "open_clip\/ViT-L-14\/laion2b_s32b_b82k": Loupe maps CLIP ViT-B\/32/);
    expect(() => t.clip('hf/e5-base-v2')).toThrow(/installed model folders \(emoji-clip, color-clip\)/);
    expect(() => t.owl('owl/ViT-L/14')).toThrow(/^Unknown reRanker/);
    expect(() => t.clip('constructor')).toThrow(/^Unknown model/);
  });
});
