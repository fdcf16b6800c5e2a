// The demo collection that `loupe serve --demo` indexes on first start, so search works out of the box.
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import { renderScene } from './scenes.js';

export const DEMO_INDEX = 'demo';
export const DEMO_SIZE = 120;

export async function ensureDemoCollection(loupe: Loupe, log: Logger, size = DEMO_SIZE): Promise<void> {
  const existing = await loupe.indexes.list();
  if (existing.some((i) => i.name === DEMO_INDEX)) return;
  log.info('indexing the demo collection', { index: DEMO_INDEX, scenes: size });
  await loupe.indexes.create({ name: DEMO_INDEX, regionMethod: 'simple?hn=3&wn=3' });
  let done = 0;
  for (let start = 0; start < size; start += 20) {
    const scenes = await Promise.all(Array.from({ length: Math.min(20, size - start) }, (_, i) => renderScene(start + i + 1)));
    const results = await loupe.documents.add(
      DEMO_INDEX,
      scenes.map((s) => ({
        id: s.id,
        fields: { caption: s.caption, objects: s.objects.length },
        uploads: { image: { name: `${s.id}.png`, bytes: s.png, type: 'image/png' } },
      })),
    );
    done += results.filter((r) => r.ok).length;
    process.stderr.write(`\rdemo collection: ${done}/${size} scenes indexed`);
  }
  process.stderr.write('\n');
  log.info('demo collection ready', { index: DEMO_INDEX, documents: done });
}
