// Bundles the web page with esbuild into dist/public (index.html, app.js, app.css), served by src/api/server.ts.
// `npm run build:web`; tests call buildWebPage(outDir) to serve the current sources.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// Sources sit beside this file under src/web; when compiled into dist/web, read them from src/web.
const sourceDir = resolve(here, '..', '..', 'src', 'web');

export const DEFAULT_OUT_DIR = resolve(here, '..', '..', 'dist', 'public');

export async function buildWebPage(outDir = DEFAULT_OUT_DIR): Promise<{ outDir: string; bytes: number }> {
  // esbuild is a build-time tool (devDependency): loaded only here.
  const { build } = await import('esbuild');
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(sourceDir, 'main.ts') },
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  await copyFile(join(sourceDir, 'index.html'), join(outDir, 'index.html'));
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outDir, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, bytes } = await buildWebPage(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`web page built into ${outDir} (${Math.round(bytes / 1024)} KiB)\n`);
}
