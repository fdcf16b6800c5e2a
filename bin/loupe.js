#!/usr/bin/env node
// Runs the compiled CLI (npm install builds dist/).
import('../dist/cli/main.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    process.stderr.write('loupe: not built yet; run `npm install` (or `npm run build`) first\n');
    process.exit(1);
  }
  throw e;
});
