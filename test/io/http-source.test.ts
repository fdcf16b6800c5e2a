// URL sources against a real local server: status codes, types, caps, timeouts, redirects and address checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoupeError } from '../../src/domain/errors.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { loadImageBytes } from '../../src/repositories/image-source.js';
import type { HostResolver, ImageSourcePolicy } from '../../src/repositories/image-source.js';
import { closedPort, noisyJpeg, pixelBombPng, solidPng, startServer } from './fixtures.js';
import type { TestServer } from './fixtures.js';

let server: TestServer;
let png: Buffer;
let truncatedJpeg: Buffer;

/** Test policy: loopback explicitly allowed, short timeouts. */
const LOOPBACK: Partial<ImageSourcePolicy> = { allowLoopback: true, totalTimeoutMs: 3_000, connectTimeoutMs: 1_000 };

async function failure(promise: Promise<unknown>): Promise<LoupeError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LoupeError);
  return e as LoupeError;
}

function fetchUrl(url: string, policy: Partial<ImageSourcePolicy> = LOOPBACK) {
  return loadImageBytes({ kind: 'url', url }, policy);
}

/** Maps every name in `table` to its address; counts calls per name. */
function fakeResolver(table: Record<string, string[] | (() => string[])>) {
  const calls: Record<string, number> = {};
  const resolveHost: HostResolver = async (host) => {
    calls[host] = (calls[host] ?? 0) + 1;
    const entry = table[host];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const list = typeof entry === 'function' ? entry() : entry;
    return list.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
  return { resolveHost, calls };
}

beforeAll(async () => {
  png = await solidPng(32, 24);
  const jpeg = await noisyJpeg();
  truncatedJpeg = jpeg.subarray(0, Math.floor(jpeg.length / 2));
  const bomb = pixelBombPng();
  server = await startServer({
    '/ok.png': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png),
    '/octet': (_q, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(png),
    '/untyped': (_q, res) => res.writeHead(200).end(png),
    '/octet-text': (_q, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('hello'),
    '/html': (_q, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html></html>'),
    '/not-image': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('this is not a png'),
    '/truncated.jpg': (_q, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(truncatedJpeg),
    '/bomb.png': (_q, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(bomb),
    '/gone': (_q, res) => res.writeHead(410).end(),
    '/gzip': (_q, res) => res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' }).end(png),
    '/stall-headers': () => {},
    '/stall-body': (_q, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
      res.write(png.subarray(0, 10));
    },
    '/declared-huge': (_q, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(10 * 1024 * 1024) });
      res.write(png);
    },
    '/short': (_q, res) => {
      // Content-Length promises more than is sent, then the connection drops.
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length + 1000) });
      res.write(png, () => res.destroy());
    },
    '/endless': (_q, res, s) => {
      res.writeHead(200, { 'content-type': 'image/png' }); // chunked, no length: only the cap can stop it
      const block = Buffer.alloc(16 * 1024, 7);
      const pump = (): void => {
        while (!res.destroyed && s.endlessWritten.bytes < 50 * 1024 * 1024) {
          s.endlessWritten.bytes += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        s.endlessWritten.closed = true;
      });
      pump();
    },
    '/redirect': (req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/ok.png';
      res.writeHead(302, { location: to }).end();
    },
    '/loop': (_q, res) => res.writeHead(302, { location: '/loop' }).end(),
  });
});

afterAll(async () => {
  await server.close();
});

describe('loadImageBytes over http', () => {
  it('fetches an image and reports its type and origin', async () => {
    const got = await fetchUrl(`${server.base}/ok.png`);
    expect(got.bytes.equals(png)).toBe(true);
    expect(got.contentType).toBe('image/png');
    expect(got.origin).toBe(`${server.base}/ok.png`);
  });

  it('sniffs application/octet-stream and a missing Content-Type', async () => {
    expect((await fetchUrl(`${server.base}/octet`)).contentType).toBe('image/png');
    expect((await fetchUrl(`${server.base}/untyped`)).contentType).toBe('image/png');
    const e = await failure(fetchUrl(`${server.base}/octet-text`));
    expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a non-image Content-Type', async () => {
    const e = await failure(fetchUrl(`${server.base}/html`));
    expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(e.message).toContain('text/html');
  });

  it('turns HTTP errors into IMAGE_FETCH_FAILED with the status', async () => {
    const e404 = await failure(fetchUrl(`${server.base}/missing.png`));
    expect(e404.code).toBe('IMAGE_FETCH_FAILED');
    expect(e404.message).toContain('HTTP 404');
    expect((await failure(fetchUrl(`${server.base}/gone`))).message).toContain('HTTP 410');
  });

  it('reports an unreachable port', async () => {
    const port = await closedPort();
    const e = await failure(fetchUrl(`http://127.0.0.1:${port}/x.png`));
    expect(e.code).toBe('IMAGE_FETCH_FAILED');
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('refuses compressed bodies it would not decompress', async () => {
    const e = await failure(fetchUrl(`${server.base}/gzip`));
    expect(e.code).toBe('IMAGE_FETCH_FAILED');
    expect(e.message).toContain('gzip');
  });

  it('times out a server that never answers, and one that stalls mid-body', async () => {
    const policy = { ...LOOPBACK, totalTimeoutMs: 300 };
    for (const path of ['/stall-headers', '/stall-body']) {
      const started = Date.now();
      const e = await failure(fetchUrl(`${server.base}${path}`, policy));
      expect(e.code).toBe('IMAGE_FETCH_FAILED');
      expect(e.message).toContain('timed out after 300 ms');
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });

  it('refuses a declared Content-Length over the cap without reading the body', async () => {
    const e = await failure(fetchUrl(`${server.base}/declared-huge`, { ...LOOPBACK, maxBytes: 1024 * 1024 }));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    expect(e.message).toContain('declares 10485760 bytes');
  });

  it('aborts an undeclared body once it passes the cap', async () => {
    const e = await failure(fetchUrl(`${server.base}/endless`, { ...LOOPBACK, maxBytes: 256 * 1024 }));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    await expect.poll(() => server.endlessWritten.closed).toBe(true);
    // The server was cut off long before its 50 MB (socket buffers let a few MB through at most).
    expect(server.endlessWritten.bytes).toBeLessThan(20 * 1024 * 1024);
  });

  it('notices a body shorter than its Content-Length', async () => {
    const e = await failure(fetchUrl(`${server.base}/short`));
    expect(e.code).toBe('IMAGE_FETCH_FAILED');
  });

  it('stops after maxRedirects', async () => {
    const e = await failure(fetchUrl(`${server.base}/loop`, { ...LOOPBACK, maxRedirects: 3 }));
    expect(e.code).toBe('IMAGE_FETCH_FAILED');
    expect(e.message).toContain('Too many redirects');
    const ok = await fetchUrl(`${server.base}/redirect?to=/ok.png`);
    expect(ok.origin).toBe(`${server.base}/ok.png`);
  });

  it('delivers bytes the decoder then rejects with typed errors', async () => {
    const notImage = await fetchUrl(`${server.base}/not-image`);
    expect((await failure(decodeImage(notImage.bytes))).code).toBe('IMAGE_UNREADABLE');
    const truncated = await fetchUrl(`${server.base}/truncated.jpg`);
    expect((await failure(decodeImage(truncated.bytes))).code).toBe('IMAGE_UNREADABLE');
    const bomb = await fetchUrl(`${server.base}/bomb.png`);
    expect(bomb.bytes.length).toBeLessThan(1024);
    const e = await failure(decodeImage(bomb.bytes));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    expect(e.message).toContain('30000 × 30000');
  });
});

describe('address checks', () => {
  it('refuses loopback unless allowed, before connecting', async () => {
    const before = server.seen.length;
    const e = await failure(fetchUrl(`${server.base}/ok.png`, {}));
    expect(e.code).toBe('FORBIDDEN_ADDRESS');
    expect(e.message).toContain('loopback');
    expect(server.seen.length).toBe(before);
  });

  it('checks every redirect hop: a trusted host redirecting to 127.0.0.1 is refused', async () => {
    const { resolveHost } = fakeResolver({ 'images.trusted.test': ['127.0.0.1'] });
    const policy = { resolveHost, trustedHosts: ['images.trusted.test'], totalTimeoutMs: 3_000 };
    const first = `http://images.trusted.test:${server.port}`;
    // Without the redirect the trusted name itself is fetched…
    expect((await fetchUrl(`${first}/ok.png`, policy)).bytes.equals(png)).toBe(true);
    // …but its redirect to a loopback literal is not followed.
    const before = server.seen.length;
    const to = encodeURIComponent(`http://127.0.0.1:${server.port}/ok.png`);
    const e = await failure(fetchUrl(`${first}/redirect?to=${to}`, policy));
    expect(e.code).toBe('FORBIDDEN_ADDRESS');
    expect(server.seen.slice(before).map((r) => r.path.split('?')[0])).toEqual(['/redirect']);
  });

  it('checks names resolved on a redirect hop', async () => {
    const { resolveHost } = fakeResolver({ 'images.trusted.test': ['127.0.0.1'], 'sneaky.test': ['10.1.2.3'] });
    const policy = { resolveHost, trustedHosts: ['images.trusted.test'], allowLoopback: false };
    const to = encodeURIComponent(`http://sneaky.test:${server.port}/ok.png`);
    const e = await failure(fetchUrl(`http://images.trusted.test:${server.port}/redirect?to=${to}`, policy));
    expect(e.code).toBe('FORBIDDEN_ADDRESS');
    expect(e.message).toContain('sneaky.test resolves to 10.1.2.3');
  });

  it('never follows a redirect to link-local metadata, private ranges or other schemes', async () => {
    const everything = { ...LOOPBACK, allowPrivateNetwork: true };
    for (const target of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/x', 'http://0.0.0.0/x', 'file:///etc/passwd']) {
      const e = await failure(fetchUrl(`${server.base}/redirect?to=${encodeURIComponent(target)}`, everything));
      expect(e.code, target).toBe('FORBIDDEN_ADDRESS');
    }
    for (const target of ['http://10.0.0.1/x', 'http://192.168.1.1/x', 'http://100.64.0.1/x', 'http://[fd00::1]/x']) {
      const e = await failure(fetchUrl(`${server.base}/redirect?to=${encodeURIComponent(target)}`));
      expect(e.code, target).toBe('FORBIDDEN_ADDRESS');
      expect(e.message, target).toContain('private-network');
    }
  });

  it('refuses a name when any of its addresses is forbidden', async () => {
    const { resolveHost } = fakeResolver({ 'mixed.test': ['93.184.216.34', '10.0.0.5'] });
    const e = await failure(fetchUrl('http://mixed.test/x.png', { resolveHost }));
    expect(e.code).toBe('FORBIDDEN_ADDRESS');
    expect(e.message).toContain('10.0.0.5');
  });

  it('resolves each hop once and connects to that address (no DNS rebinding window)', async () => {
    let answer = 0;
    // First answer is the test server; any later lookup would point at cloud metadata.
    const { resolveHost, calls } = fakeResolver({
      'rebind.test': () => (answer++ === 0 ? ['127.0.0.1'] : ['169.254.169.254']),
    });
    const got = await fetchUrl(`http://rebind.test:${server.port}/ok.png`, { ...LOOPBACK, resolveHost });
    expect(got.bytes.equals(png)).toBe(true);
    expect(calls['rebind.test']).toBe(1);
    expect(server.seen.at(-1)?.host).toBe(`rebind.test:${server.port}`);
  });

  it('reports names that do not resolve', async () => {
    const { resolveHost } = fakeResolver({});
    const e = await failure(fetchUrl('http://nowhere.test/x.png', { resolveHost }));
    expect(e.code).toBe('IMAGE_FETCH_FAILED');
    expect(e.message).toContain('ENOTFOUND');
  });

  it('refuses non-http schemes and credentials in the URL', async () => {
    expect((await failure(fetchUrl('ftp://example.com/x.png'))).code).toBe('INVALID_INPUT');
    expect((await failure(fetchUrl('http://user:pw@example.com/x.png'))).code).toBe('INVALID_INPUT');
  });
});
