#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('switchboard: dist/ is missing; run `npm install` (or `npm run build`) first.');
    process.exit(1);
  }
  throw err;
});
