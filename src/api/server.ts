// Listens on HTTP and shuts down gracefully: stop accepting, finish in-flight requests, flush snapshots.
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import { createApi } from './yoga.js';

export interface RunningServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export async function startServer(loupe: Loupe, log: Logger): Promise<RunningServer> {
  const yoga = createApi(loupe, log);
  const server = createServer(async (req, res) => {
    if (req.url === '/' || req.url === '') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    await yoga.handle(req, res);
  });
  server.requestTimeout = 10 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(loupe.config.port, loupe.config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : loupe.config.port;
  const url = `http://${loupe.config.host.includes(':') ? `[${loupe.config.host}]` : loupe.config.host}:${port}`;
  let stopping: Promise<void> | null = null;
  return {
    url,
    server,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await loupe.close();
      })();
      return stopping;
    },
  };
}
