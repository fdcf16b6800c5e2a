// The indexing path's use-case (DocumentService over IndexingRun) with fakes for every port: image loading,
// decoding, upload storage, the document repository and the model. Real sharp, Postgres and ONNX Runtime are in the
// integration suites; here: what reaches storage, and how failures are labelled.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LoupeError } from '../../src/domain/errors.js';
import type { DecodedImage } from '../../src/domain/types.js';
import type { Logger } from '../../src/log.js';
import { RegionProposer } from '../../src/localize/proposers.js';
import type { NewDocument } from '../../src/repositories/document-repository.js';
import { DocumentService, type DocumentResult } from '../../src/services/document-service.js';
import type { EmbeddingModel, IndexingProgress } from '../../src/services/ports.js';
import { RECORD } from './fakes.js';

function fakeIndexing() {
  const written: NewDocument[] = [];
  const stored = new Map<string, Uint8Array>();
  const errors: { msg: string; extra?: Record<string, unknown> }[] = [];
  const model: EmbeddingModel = {
    id: RECORD.modelId,
    dimension: 2,
    preprocessing: { size: 2, mode: 'squash', mean: [0, 0, 0], std: [1, 1, 1] },
    embedImages: async (_pixels, n) => new Float32Array(n * 2).fill(0.5),
    embedTexts: async (texts) => new Float32Array(texts.length * 2).fill(0.25),
  };
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (msg, extra) => void errors.push({ msg, extra }), child: () => log };
  const image = (width: number, height: number): DecodedImage => ({ data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3 });
  const service = new DocumentService(
    {
      indexes: { get: async () => RECORD, modelFor: async () => model },
      documents: {
        replaceMany: async (_id, docs) => (written.push(...docs), docs.map(() => ({ replaced: false }))),
        delete: async (_id, ids) => ids,
        find: async () => null,
        chunksOf: async () => [],
      },
      loader: {
        load: async (source) => {
          if (source.kind === 'upload') return { bytes: Buffer.from(source.bytes), origin: `upload:${source.name}` };
          if (source.kind !== 'url') throw new LoupeError('PATH_NOT_ALLOWED', 'no files in this fake');
          if (source.url.includes('missing')) throw new LoupeError('IMAGE_FETCH_FAILED', `HTTP 404 for ${source.url}`);
          if (source.url.includes('boom')) throw new Error('ECONNRESET from 10.1.2.3 (secret internals)');
          return { bytes: Buffer.from(source.url), origin: source.url };
        },
      },
      decoder: { inspect: async () => ({ width: 40, height: 30, streams: true }), decode: async (_b, o) => image(o?.size?.width ?? 40, o?.size?.height ?? 30) },
      uploads: { store: async (hash, bytes) => void stored.set(hash, bytes), open: () => Promise.reject(new Error('unused')) },
      proposer: new RegionProposer({ yolox: () => Promise.reject(new Error('unused')), dino: () => Promise.reject(new Error('unused')) }),
    },
    { maxPixels: 1_000_000, fetchConcurrency: 2, decodeBudgetBytes: 64 * 1024 * 1024 },
    log,
  );
  return { service, written, stored, errors };
}

describe('DocumentService over fakes', () => {
  it('writes chunk 0 as the whole image in original pixels, text fields as text chunks, and the media record', async () => {
    const f = fakeIndexing();
    const results = await f.service.add('fake', [{ id: 'a', fields: { image: 'https://images.test/a.png', label: 'a red square', n: 3 } }]);
    expect(results).toEqual([{ id: 'a', ok: true, replaced: false }]);
    const [doc] = f.written;
    expect(doc!.externalId).toBe('a');
    expect(doc!.fields).toEqual({ image: 'https://images.test/a.png', label: 'a red square', n: 3 });
    expect(doc!.media).toEqual({ image: { source: 'url', ref: 'https://images.test/a.png', width: 40, height: 30 } });
    expect(doc!.chunks.map((c) => [c.field, c.kind, c.box, c.text])).toEqual([
      ['image', 'image', { x1: 0, y1: 0, x2: 40, y2: 30 }, null],
      ['label', 'text', null, 'a red square'],
    ]);
    expect(Array.from(doc!.chunks[0]!.vector)).toEqual([0.5, 0.5]);
    expect(Array.from(doc!.chunks[1]!.vector)).toEqual([0.25, 0.25]);
  });

  it('keeps an upload under its sha256 through the upload store and records that hash', async () => {
    const f = fakeIndexing();
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const [r] = await f.service.add('fake', [{ id: 'u', fields: {}, uploads: [['image', { name: 'u.png', bytes }]] }]);
    expect(r).toEqual({ id: 'u', ok: true, replaced: false });
    expect([...f.stored.keys()]).toEqual([hash]);
    expect(f.written[0]!.media.image).toEqual({ source: 'upload', ref: hash, width: 40, height: 30 });
    expect(f.written[0]!.fields).toEqual({ image: 'u.png' });
  });

  it('answers expected failures with their code, and an unexpected one as INTERNAL with the request id, logged once', async () => {
    const f = fakeIndexing();
    const progress: [IndexingProgress, DocumentResult][] = [];
    const results = await f.service.add(
      'fake',
      [
        { id: 'ok', fields: { image: 'https://images.test/ok.png' } },
        { id: 'gone', fields: { image: 'https://images.test/missing.png' } },
        { id: 'boom', fields: { image: 'https://images.test/boom.png' } },
        { id: 'bad', fields: { n: { nested: true } } },
      ],
      { requestId: 'req-42', onProgress: (p, item) => progress.push([p, item]) },
    );
    expect(results[0]).toEqual({ id: 'ok', ok: true, replaced: false });
    expect(results[1]).toEqual({ id: 'gone', ok: false, code: 'IMAGE_FETCH_FAILED', message: 'HTTP 404 for https://images.test/missing.png' });
    expect(results[2]).toMatchObject({ id: 'boom', ok: false, code: 'INTERNAL' });
    expect((results[2] as { message: string }).message).toContain('req-42');
    expect((results[2] as { message: string }).message).not.toMatch(/ECONNRESET|10\.1\.2\.3/);
    expect(results[3]).toMatchObject({ id: 'bad', ok: false, code: 'INVALID_INPUT' });
    expect((results[3] as { message: string }).message).toMatch(/^Expected a string, finite number, boolean or null for fields\.n but received/);
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]!.extra).toMatchObject({ requestId: 'req-42' });
    expect(f.written.map((d) => d.externalId)).toEqual(['ok']);
    expect(progress.at(-1)![0]).toEqual({ processed: 4, failed: 3, total: 4 });
  });
});
