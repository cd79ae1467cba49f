import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/util/redact.js';

describe('Redactor', () => {
  it('removes known secrets wholly, not just their tail', () => {
    const r = new Redactor(['my-upstream-secret-value']);
    expect(r.redact('bad key my-upstream-secret-value given')).toBe('bad key [redacted] given');
    expect(r.redact('prefix my-upstream-secret-value-and-more')).not.toContain('my-upstream');
  });

  it('removes anything shaped like a credential', () => {
    const r = new Redactor();
    for (const leak of ['Incorrect API key provided: sk-proj-abcdef1234567890', 'Authorization: Bearer abc.def.ghi', 'key=AIzaSyA1234567890abcdefghijkl', 'api_key: "supersecret99"']) {
      const out = r.redact(leak);
      expect(out).toContain('[redacted]');
      expect(out).not.toMatch(/abcdef1234567890|abc\.def\.ghi|AIzaSyA1234567890|supersecret99/);
    }
    expect(r.redact('the model is overloaded, try later')).toBe('the model is overloaded, try later');
  });
});
