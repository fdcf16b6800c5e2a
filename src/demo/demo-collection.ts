// The demo collection that `loupe serve --demo` indexes on first start, so search works out of the box: emoji scenes
// (src/demo/emoji-scenes.ts, YOLOX regions) for the trained emoji models, or the colour scenes (src/demo/scenes.ts,
// a 3×3 grid) when the default model is the hand-weighted colour CLIP.
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import { renderEmojiScene } from './emoji-scenes.js';
import { renderScene } from './scenes.js';

export const DEMO_INDEX = 'demo';
export const DEMO_SIZE = 240;

interface DemoDoc {
  id: string;
  caption: string;
  objects: number;
  png: Buffer;
}

export async function ensureDemoCollection(loupe: Loupe, log: Logger, size = DEMO_SIZE): Promise<void> {
  const existing = await loupe.indexes.list();
  if (existing.some((i) => i.name === DEMO_INDEX)) return;
  const colour = loupe.config.defaultModel === 'color-clip';
  const render = async (seed: number): Promise<DemoDoc> => {
    if (colour) {
      const s = await renderScene(seed);
      return { id: s.id, caption: s.caption, objects: s.objects.length, png: s.png };
    }
    const s = await renderEmojiScene(seed);
    return { id: s.id, caption: s.caption, objects: s.objects.length, png: s.png };
  };
  const regionMethod = colour ? 'simple?hn=3&wn=3' : 'yolox';
  log.info('indexing the demo collection', { index: DEMO_INDEX, scenes: size, regionMethod, kind: colour ? 'colour shapes' : 'emoji' });
  await loupe.indexes.create({ name: DEMO_INDEX, regionMethod });
  let done = 0;
  let failed = 0;
  for (let start = 0; start < size; start += 20) {
    const docs = await Promise.all(Array.from({ length: Math.min(20, size - start) }, (_, i) => render(start + i + 1)));
    const results = await loupe.documents.add(
      DEMO_INDEX,
      docs.map((d) => ({
        id: d.id,
        fields: { caption: d.caption, objects: d.objects },
        uploads: { image: { name: `${d.id}.png`, bytes: d.png, type: 'image/png' } },
      })),
    );
    done += results.filter((r) => r.ok).length;
    failed += results.filter((r) => !r.ok).length;
    process.stderr.write(`\rdemo collection: ${done}/${size} scenes indexed${failed ? `, ${failed} failed` : ''}`);
  }
  process.stderr.write('\n');
  log.info('demo collection ready', { index: DEMO_INDEX, documents: done, failed });
}
