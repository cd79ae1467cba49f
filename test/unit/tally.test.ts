import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TallyCounter } from '../../src/server/tally.js';

describe('TallyCounter', () => {
  it('adds on the request path and shows the totals at every scrape, never counting twice', async () => {
    const registry = new Registry();
    const tally = new TallyCounter({ name: 'sb_test_total', help: 'test', labelNames: ['provider', 'kind'], registers: [registry] });
    tally.inc(['deepseek', 'input'], 120);
    tally.inc(['deepseek', 'input'], 30);
    tally.inc(['groq', 'output']);
    const first = await registry.metrics();
    expect(first).toContain('sb_test_total{provider="deepseek",kind="input"} 150');
    expect(first).toContain('sb_test_total{provider="groq",kind="output"} 1');
    tally.inc(['groq', 'output'], 2);
    const second = await registry.metrics();
    expect(second).toContain('sb_test_total{provider="deepseek",kind="input"} 150');
    expect(second).toContain('sb_test_total{provider="groq",kind="output"} 3');
  });

  it('keeps series apart whose label values would run together', async () => {
    const registry = new Registry();
    const tally = new TallyCounter({ name: 'sb_apart_total', help: 'test', labelNames: ['a', 'b'], registers: [registry] });
    tally.inc(['x', 'yz']);
    tally.inc(['xy', 'z']);
    const text = await registry.metrics();
    expect(text).toContain('sb_apart_total{a="x",b="yz"} 1');
    expect(text).toContain('sb_apart_total{a="xy",b="z"} 1');
  });
});
