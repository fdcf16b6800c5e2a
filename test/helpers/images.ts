// Test images made with sharp, and a tiny HTTP server that serves them.
import { createServer, type Server } from 'node:http';
import sharp from 'sharp';

export type Rgb = [number, number, number];

/** A w×h image of `background` with filled rectangles. */
export async function sceneImage(
  w: number,
  h: number,
  background: Rgb,
  rects: { x1: number; y1: number; x2: number; y2: number; colour: Rgb }[],
  format: 'png' | 'jpeg' = 'png',
): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(background, i * 3);
  for (const r of rects) {
    for (let y = r.y1; y < r.y2; y++) for (let x = r.x1; x < r.x2; x++) data.set(r.colour, (y * w + x) * 3);
  }
  const img = sharp(data, { raw: { width: w, height: h, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 92 }).toBuffer();
}

export interface ImageServer {
  url(path: string): string;
  close(): Promise<void>;
}

/** Serves `routes` (path → body + content type) on 127.0.0.1; anything else is a 404. */
export async function serveImages(routes: Record<string, { body: Buffer; type: string }>): Promise<ImageServer> {
  const server: Server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'content-length': route.body.length }).end(route.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function iou(a: { x1: number; y1: number; x2: number; y2: number }, b: { x1: number; y1: number; x2: number; y2: number }): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}
