// Median wall time of an async or sync function, after warm-up; the time budget keeps slow baselines short.
export async function medianMs(fn: () => unknown, { warmup = 2, minRuns = 5, maxRuns = 50, budgetMs = 3000 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const started = performance.now();
  while (times.length < minRuns || (times.length < maxRuns && performance.now() - started < budgetMs)) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export interface Row {
  case: string;
  baseline: string;
  baselineMs: number;
  loupeMs: number;
  goal: number;
}

export function printRows(rows: Row[]): void {
  console.log('\n| case | baseline | baseline ms | Loupe native ms | ratio | goal |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = r.baselineMs / r.loupeMs;
    const mark = ratio >= r.goal ? 'met' : 'NOT met';
    console.log(`| ${r.case} | ${r.baseline} | ${r.baselineMs.toFixed(2)} | ${r.loupeMs.toFixed(2)} | ${ratio.toFixed(1)}x | ≥ ${r.goal}x (${mark}) |`);
  }
}
