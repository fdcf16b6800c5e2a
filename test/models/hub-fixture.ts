// A local stand-in for the Hugging Face hub: serves a folder tree as repository `repo` with the hub's two endpoints
// (`/api/models/<repo>/tree/<rev>?recursive=true` and `/<repo>/resolve/<rev>/<path>` with Range support), and can cut a
// connection mid-file or advertise a wrong hash, so `models pull` is tested with no internet.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface HubRequest {
  url: string;
  range: string | null;
}

export interface HubFixture {
  endpoint: string;
  requests: HubRequest[];
  /** Cut the next response for `path` (repo path) after `bytes` bytes of body, `times` times. */
  cut(path: string, bytes: number, times?: number): void;
  /** Advertise a wrong sha256 for `path` in the listing. */
  corrupt(path: string): void;
  close(): Promise<void>;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Serves `root` as `repo`; files matching `lfs` are listed as LFS files (sha256), others with their git blob sha1. */
export async function startHubFixture(repo: string, root: string, lfs = (p: string) => p.endsWith('.onnx')): Promise<HubFixture> {
  const files = new Map(walk(root).map((f) => [relative(root, f).split('\\').join('/'), f]));
  const requests: HubRequest[] = [];
  const cuts = new Map<string, { bytes: number; times: number }>();
  const corrupted = new Set<string>();
  const listing = () =>
    [...files].map(([path, file]) => {
      const data = readFileSync(file);
      const gitSha1 = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
      const sha256 = corrupted.has(path) ? '0'.repeat(64) : createHash('sha256').update(data).digest('hex');
      return lfs(path)
        ? { type: 'file', path, size: data.length, oid: gitSha1.slice(0, 8) + 'lfspointer', lfs: { oid: sha256, size: data.length, pointerSize: 134 } }
        : { type: 'file', path, size: statSync(file).size, oid: gitSha1 };
    });
  const server: Server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ url: url.pathname, range: (req.headers.range as string | undefined) ?? null });
    const treePrefix = `/api/models/${repo}/tree/`;
    const resolvePrefix = `/${repo}/resolve/`;
    if (url.pathname.startsWith(treePrefix)) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing()));
      return;
    }
    if (!url.pathname.startsWith(resolvePrefix)) return void res.writeHead(404).end('not found');
    const rest = url.pathname.slice(resolvePrefix.length);
    const path = decodeURIComponent(rest.slice(rest.indexOf('/') + 1));
    const file = files.get(path);
    if (!file) return void res.writeHead(404).end('Entry not found');
    const data = readFileSync(file);
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec((req.headers.range as string | undefined) ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= data.length) return void res.writeHead(416).end();
    }
    const body = data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const cut = cuts.get(path);
    if (cut && cut.times > 0) {
      cut.times--;
      res.write(body.subarray(0, cut.bytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    cut: (path, bytes, times = 1) => void cuts.set(path, { bytes, times }),
    corrupt: (path) => void corrupted.add(path),
    close: () => new Promise((r) => server.close(() => r())),
  };
}
