// Which native build is loaded: the AVX2 FAISS build on CPUs that have the flags, the generic one otherwise.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addon, addonVariant, chooseAddon, cpuHasAvx2 } from '../../src/native/addon.js';

const FLAGS = 'processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt avx f16c fma avx2 bmi2\n';

describe('addon choice', () => {
  it('reads the AVX2 build flags from /proc/cpuinfo text', () => {
    expect(cpuHasAvx2(FLAGS)).toBe(true);
    expect(cpuHasAvx2(FLAGS.replace(' avx2', ''))).toBe(false);
    expect(cpuHasAvx2(FLAGS.replace(' fma', ''))).toBe(false);
    expect(cpuHasAvx2('')).toBe(false);
    expect(cpuHasAvx2(null)).toBe(false);
  });

  it('picks loupe_avx2.node only when it exists, the CPU has AVX2 and nothing forces generic', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-addon-'));
    try {
      writeFileSync(join(dir, 'loupe.node'), '');
      expect(chooseAddon(dir, true, undefined)).toEqual({ path: join(dir, 'loupe.node'), variant: 'generic' });
      writeFileSync(join(dir, 'loupe_avx2.node'), '');
      expect(chooseAddon(dir, true, undefined)).toEqual({ path: join(dir, 'loupe_avx2.node'), variant: 'avx2' });
      expect(chooseAddon(dir, false, undefined).variant).toBe('generic');
      expect(chooseAddon(dir, true, 'generic').variant).toBe('generic');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loaded the build this machine should run, as FAISS itself reports it', () => {
    const built = existsSync(join(process.cwd(), 'build', 'Release', 'loupe_avx2.node'));
    const want = !process.env.LOUPE_ADDON_PATH && built && cpuHasAvx2() && process.env.LOUPE_FAISS_SIMD !== 'generic' ? 'avx2' : 'generic';
    expect(addonVariant).toBe(want);
    expect(addon.faissCompileOptions()).toContain(want === 'avx2' ? 'AVX2' : 'GENERIC');
  });
});
