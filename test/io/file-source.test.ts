// Local files under the allowed root (traversal and symlink escapes refused), uploads, and reference classification.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoupeError } from '../../src/domain/errors.js';
import { classifyImageReference, loadImageBytes } from '../../src/repositories/image-source.js';
import { solidPng } from './fixtures.js';

let dir: string;
let root: string;
let png: Buffer;

async function failure(promise: Promise<unknown>): Promise<LoupeError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LoupeError);
  return e as LoupeError;
}

const readFile = (path: string, allowedRoot: string | null = root, maxBytes?: number) =>
  loadImageBytes({ kind: 'file', path }, { allowedRoot, ...(maxBytes === undefined ? {} : { maxBytes }) });

beforeAll(async () => {
  png = await solidPng(4, 4);
  dir = mkdtempSync(join(tmpdir(), 'loupe-io-'));
  root = join(dir, 'images');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  mkdirSync(join(dir, 'images-evil')); // shares the root's name as a prefix
  writeFileSync(join(root, 'a.png'), png);
  writeFileSync(join(root, 'sub', 'b.png'), png);
  writeFileSync(join(dir, 'outside', 'secret.png'), png);
  writeFileSync(join(dir, 'images-evil', 'c.png'), png);
  symlinkSync(join(dir, 'outside', 'secret.png'), join(root, 'escape.png'));
  symlinkSync(join(dir, 'outside'), join(root, 'escape-dir'));
  symlinkSync('a.png', join(root, 'alias.png')); // a link that stays inside is fine
  execFileSync('mkfifo', [join(root, 'pipe.png')]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('local image files', () => {
  it('reads files inside the root, by relative or absolute path', async () => {
    const rel = await readFile('a.png');
    expect(rel.bytes.equals(png)).toBe(true);
    expect(rel.contentType).toBe('image/png');
    expect((await readFile(join(root, 'sub', 'b.png'))).bytes.equals(png)).toBe(true);
    expect((await readFile('sub/../a.png')).bytes.equals(png)).toBe(true);
    expect((await readFile('alias.png')).origin.endsWith(join('images', 'a.png'))).toBe(true);
  });

  it('refuses .. traversal and absolute paths outside the root', async () => {
    for (const path of [
      '../outside/secret.png',
      'sub/../../outside/secret.png',
      join(dir, 'outside', 'secret.png'),
      '../images-evil/c.png',
      '/etc/passwd',
      '.',
    ]) {
      const e = await failure(readFile(path));
      expect(e.code, path).toBe('PATH_NOT_ALLOWED');
    }
  });

  it('refuses symbolic links that lead outside the root', async () => {
    for (const path of ['escape.png', 'escape-dir/secret.png']) {
      const e = await failure(readFile(path));
      expect(e.code, path).toBe('PATH_NOT_ALLOWED');
      expect(e.message, path).toContain('symbolic link');
    }
  });

  it('refuses every path when no root is configured', async () => {
    const e = await failure(readFile('a.png', null));
    expect(e.code).toBe('PATH_NOT_ALLOWED');
    expect(e.message).toContain('disabled');
  });

  it('reports missing files, folders and FIFOs as fetch failures', async () => {
    const missing = await failure(readFile('nope.png'));
    expect([missing.code, missing.message]).toEqual(['IMAGE_FETCH_FAILED', 'No such image file: "nope.png"']);
    expect((await failure(readFile('sub'))).code).toBe('IMAGE_FETCH_FAILED');
    expect((await failure(readFile('pipe.png'))).message).toContain('Not a regular file');
  });

  it('applies the byte cap to files', async () => {
    const e = await failure(readFile('a.png', root, png.length - 1));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    expect((await readFile('a.png', root, png.length)).bytes.length).toBe(png.length);
  });
});

describe('uploads', () => {
  it('accepts a Uint8Array, sniffs its type and caps its size', async () => {
    const u8 = new Uint8Array(png);
    const got = await loadImageBytes({ kind: 'upload', name: 'x.png', bytes: u8 });
    expect(Buffer.isBuffer(got.bytes)).toBe(true);
    expect([got.contentType, got.origin]).toEqual(['image/png', 'upload:x.png']);
    const declared = await loadImageBytes({ kind: 'upload', name: 'x', bytes: png, type: 'image/webp' });
    expect(declared.contentType).toBe('image/webp');
    const e = await failure(loadImageBytes({ kind: 'upload', name: 'x.png', bytes: png }, { maxBytes: 10 }));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
  });

  it('checks the source and policy with the standard message', async () => {
    const bad = await failure(loadImageBytes({ kind: 'ftp' } as never));
    expect(bad.message).toBe('Expected one of "url", "file", "upload" for source.kind but received "ftp" of type string');
    const policy = await failure(loadImageBytes({ kind: 'upload', name: 'x', bytes: png }, { maxBytes: -1 }));
    expect(policy.message).toBe('Expected a positive integer for policy.maxBytes but received -1 of type number');
  });
});

describe('classifyImageReference', () => {
  it('tells URLs from paths', () => {
    expect(classifyImageReference('https://example.com/a.jpg')).toEqual({ kind: 'url', url: 'https://example.com/a.jpg' });
    expect(classifyImageReference('HTTP://example.com/a.jpg').kind).toBe('url');
    expect(classifyImageReference('photos/a.jpg')).toEqual({ kind: 'file', path: 'photos/a.jpg' });
    expect(classifyImageReference('/data/a.jpg')).toEqual({ kind: 'file', path: '/data/a.jpg' });
    expect(classifyImageReference('file:///data/a%20b.jpg')).toEqual({ kind: 'file', path: '/data/a b.jpg' });
  });

  it('refuses other schemes and empty input', () => {
    for (const value of ['ftp://example.com/a.jpg', 'data:image/png;base64,AAAA', 'javascript:alert(1)', '', '  ']) {
      expect(() => classifyImageReference(value), value).toThrow(/^Expected an http\(s\) URL or a local file path for image/);
    }
  });
});
