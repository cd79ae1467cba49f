import { describe, expect, it } from 'vitest';
import { PAGES, hrefOf, parseHash } from './router';

describe('hash routes', () => {
  it('opens the overview by default and for anything unknown', () => {
    expect(parseHash('')).toEqual({ page: 'overview', param: '' });
    expect(parseHash('#/nowhere/x')).toEqual({ page: 'overview', param: '' });
  });

  it('reads a page and its parameter, and round-trips through hrefOf', () => {
    expect(parseHash('#/keys')).toEqual({ page: 'keys', param: '' });
    expect(parseHash(hrefOf('requests', 'req id/with slash'))).toEqual({ page: 'requests', param: 'req id/with slash' });
  });

  it('names the links as the public contract says', () => {
    expect(PAGES.map((p) => p.label)).toEqual(['Overview', 'Keys', 'Policies', 'Providers', 'Requests', 'Drill']);
  });
});
