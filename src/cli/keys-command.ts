// `loupe keys create | list | revoke`: manages API keys directly in Loupe's database (the same DATABASE_URL or
// LOUPE_DATA_DIR as `loupe serve`; a running server sees changes within a few seconds). A key is printed once, at
// creation; only its SHA-256 is stored.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';

async function withAccess<T>(dataDir: string | undefined, fn: (access: import('../services/access-service.js').AccessService) => Promise<T>): Promise<T> {
  const { resolve } = await import('node:path');
  const loupe = await import('../services/loupe.js');
  const config = loadConfig(dataDir ? { dataDir: resolve(dataDir) } : {});
  return loupe.withAccess(config, createLogger({ service: 'loupe' }, 'warn'), fn);
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys (roles: admin = manage indexes and documents, read = search and read)');
  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--role <role>', 'admin | read')
    .option('--name <name>', 'a note saying who or what uses the key', '')
    .option('--rate <n>', 'requests per second for this key (default LOUPE_RATE_LIMIT)', (v) => Number(v))
    .option('--burst <n>', 'burst size for this key (default LOUPE_RATE_BURST)', (v) => Number(v))
    .option('--data-dir <dir>', 'state folder (LOUPE_DATA_DIR)')
    .option('--json', 'print {"id","prefix","role","key"}')
    .action(async (opts: { role: string; name: string; rate?: number; burst?: number; dataDir?: string; json?: boolean }) => {
      const { key, stored } = await withAccess(opts.dataDir, (a) =>
        a.createKey({ role: opts.role as 'admin' | 'read', name: opts.name, ratePerSec: opts.rate ?? null, burst: opts.burst ?? null }),
      );
      if (opts.json) process.stdout.write(`${JSON.stringify({ id: stored.id, prefix: stored.prefix, role: stored.role, key })}\n`);
      else {
        process.stdout.write(`${key}\n`);
        process.stderr.write(
          `created ${stored.role} key ${stored.id} (${stored.prefix}…); it is shown only now. Send it as \`x-api-key: <key>\` or \`Authorization: Bearer <key>\`.\n`,
        );
      }
    });
  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--data-dir <dir>', 'state folder (LOUPE_DATA_DIR)')
    .option('--json', 'print a JSON array')
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const list = await withAccess(opts.dataDir, (a) => a.listKeys());
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      if (!list.length) process.stdout.write('no keys\n');
      for (const k of list) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
        const rate = k.ratePerSec ? `${k.ratePerSec}/s burst ${k.burst ?? '-'}` : 'default rate';
        process.stdout.write(`${k.id}\t${k.prefix}…\t${k.role}\t${state}\t${rate}\tlast used ${k.lastUsedAt?.toISOString() ?? 'never'}\t${k.name}\n`);
      }
    });
  keys
    .command('revoke')
    .description('revoke a key by id or prefix')
    .argument('<key>', 'the id or the prefix shown by `keys list`')
    .option('--data-dir <dir>', 'state folder (LOUPE_DATA_DIR)')
    .action(async (idOrPrefix: string, opts: { dataDir?: string }) => {
      const revoked = await withAccess(opts.dataDir, (a) => a.revokeKey(idOrPrefix.replace(/…$/, '')));
      if (!revoked.length) {
        process.stderr.write(`loupe: no active key ${idOrPrefix}\n`);
        process.exit(1);
      }
      for (const k of revoked) process.stderr.write(`revoked key ${k.id} (${k.prefix}…, ${k.role})\n`);
    });
}
