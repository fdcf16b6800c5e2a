// Test images made on the fly (small and fast) and a local HTTP server whose routes misbehave on purpose.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const RED = { r: 255, g: 0, b: 0 };
export const BLUE = { r: 0, g: 0, b: 255 };

export async function solidPng(width: number, height: number, colour = RED): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/** A JPEG of noise (so truncating it really loses data). */
export async function noisyJpeg(width = 256, height = 256): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG header declaring width × height RGB pixels, with a tiny IDAT: a pixel bomb of a few hundred bytes. */
export function pixelBombPng(width = 30_000, height = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const firstRows = deflateSync(Buffer.alloc((width * 3 + 1) * 2)); // two black rows, compress to ~200 bytes
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', firstRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface SeenRequest {
  path: string;
  host: string | undefined;
}

export interface TestServer {
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  seen: SeenRequest[];
  /** Bytes the /endless route managed to write before the client went away. */
  endlessWritten: { bytes: number; closed: boolean };
  close(): Promise<void>;
}

export type Routes = Record<string, (req: http.IncomingMessage, res: http.ServerResponse, server: TestServer) => void>;

export async function startServer(routes: Routes): Promise<TestServer> {
  const server = http.createServer();
  const state: TestServer = {
    port: 0,
    base: '',
    seen: [],
    endlessWritten: { bytes: 0, closed: false },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    state.seen.push({ path: req.url ?? '/', host: req.headers.host });
    const route = routes[path];
    if (route) route(req, res, state);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  state.base = `http://127.0.0.1:${state.port}`;
  return state;
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  s.close();
  await once(s, 'close');
  return port;
}
