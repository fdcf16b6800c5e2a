// `loupe models pull <name> | list`: installs the real public models (Hugging Face hub or a mirror, LOUPE_HF_ENDPOINT)
// into the models folder and lists installed folders with their contract check.
import type { Command } from 'commander';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { resolve } from 'node:path';
import { loadConfig } from '../config.js';

function modelsDir(flag: string | undefined): string {
  return flag ? resolve(flag) : loadConfig().modelsDir;
}

const mb = (n: number) => (n / 1e6).toFixed(1);

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('public models: pull them from the Hugging Face hub, list installed ones');

  models
    .command('pull')
    .description('download a public model (resumable, sha256-verified) into the models folder')
    .argument('<name>', 'clip-vit-base-patch32 | owlvit-base-patch32 | yolox-s | dino-vits16')
    .addOption(new Option('--endpoint <url>', 'hub base URL').env('LOUPE_HF_ENDPOINT').default('https://huggingface.co'))
    .option('--repo <owner/name>', 'take the files from another repository (a mirror or re-export)')
    .option('--revision <rev>', 'branch, tag or commit')
    .option('--models-dir <dir>', 'models folder (LOUPE_MODELS_DIR)')
    .option('--force', 'replace an installed folder of the same name')
    .action(async (name: string, opts: { endpoint: string; repo?: string; revision?: string; modelsDir?: string; force?: boolean }) => {
      const { pullModel } = await import('../models/pull.js');
      const bar = new cliProgress.SingleBar(
        { format: 'pull [{bar}] {percentage}% | {mb}/{totalMb} MB | {file}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      const result = await pullModel(name, {
        modelsDir: modelsDir(opts.modelsDir),
        endpoint: opts.endpoint,
        ...(opts.repo ? { repo: opts.repo } : {}),
        ...(opts.revision ? { revision: opts.revision } : {}),
        ...(opts.force ? { force: true } : {}),
        onProgress: (p) => {
          const payload = { file: p.file, mb: mb(p.allReceived), totalMb: mb(p.allTotal) };
          if (!started) {
            bar.start(Math.max(1, p.allTotal), p.allReceived, payload);
            started = true;
          } else bar.update(p.allReceived, payload);
        },
      }).finally(() => started && bar.stop());
      for (const f of result.files)
        process.stderr.write(
          `  ${f.path}  ${f.size} bytes  sha256 ${f.sha256}${f.resumedFrom > 0 && f.resumedFrom < f.size ? ` (resumed at ${f.resumedFrom})` : ''}\n`,
        );
      if (result.report.ok) process.stdout.write(`installed ${result.name} (${result.report.kind}) in ${result.dir}: contract OK\n`);
      else process.stdout.write(`installed ${result.name} in ${result.dir}, but it violates the contract: ${result.report.error}\n`);
      if (result.note) process.stderr.write(`note: ${result.note}\n`);
      if (!result.report.ok) process.exitCode = 1;
    });

  models
    .command('list')
    .description('installed models, each loaded and checked against its contract')
    .option('--models-dir <dir>', 'models folder (LOUPE_MODELS_DIR)')
    .option('--json', 'print the reports as JSON')
    .action(async (opts: { modelsDir?: string; json?: boolean }) => {
      const { listModels } = await import('../models/inspect.js');
      const dir = modelsDir(opts.modelsDir);
      const reports = await listModels(dir);
      if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      else {
        if (!reports.length) process.stdout.write(`no models in ${dir}\n`);
        for (const r of reports) {
          const io = r.onnx.map((o) => `${o.file} (${o.inputs.join(',')} -> ${o.outputs.join(',')})`).join('; ');
          process.stdout.write(r.ok ? `${r.name}\t${r.kind}\tOK\t${io}\n` : `${r.name}\t${r.kind ?? '?'}\tINVALID\t${r.error}\n`);
        }
      }
      if (reports.some((r) => !r.ok)) process.exitCode = 1;
    });
}
