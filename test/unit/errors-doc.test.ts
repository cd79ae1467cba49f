import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/canonical/errors.js';

describe('docs/errors.md', () => {
  it('lists every error code with the catalogue’s status, types and retry advice', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of doc.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const code = /^`([a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
      if (code && /^\d{3}$/.test(cells[2] ?? '')) rows.set(code, cells.slice(2, 6));
    }
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(rows.get(code)).toEqual([String(entry.status), `\`${entry.openaiType}\``, `\`${entry.anthropicType}\``, entry.clientRetry ? 'yes' : 'no']);
    }
  });
});
