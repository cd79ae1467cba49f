import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TallyCounter, TallyHistogram } from '../../src/server/tally.js';

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

describe('TallyHistogram', () => {
  it('scrapes exactly as prom-client\'s Histogram would for the same observations, and keeps adding', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const buckets = [0.005, 0.025, 0.1, 1, 10];
    const tally = new TallyHistogram({ name: 'sb_dur_seconds', help: 'test', labelNames: ['route', 'stream'], buckets, registers: [ours] });
    const reference = new Histogram({ name: 'sb_dur_seconds', help: 'test', labelNames: ['route', 'stream'], buckets, registers: [theirs] });
    const seen: [string, string, number][] = [
      ['chat', 'false', 0.003],
      ['chat', 'false', 0.005],
      ['chat', 'false', 0.03],
      ['chat', 'true', 2.5],
      ['messages', 'true', 100],
      ['chat', 'false', 0],
    ];
    for (const [route, stream, v] of seen) {
      tally.observe([route, stream], v);
      reference.observe({ route, stream }, v);
    }
    tally.observe(['chat', 'false'], Number.NaN);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    tally.observe(['chat', 'false'], 0.2);
    reference.observe({ route: 'chat', stream: 'false' }, 0.2);
    const again = await ours.metrics();
    expect(again).toBe(await theirs.metrics());
    expect(again).toContain('sb_dur_seconds_bucket{le="0.1",route="chat",stream="false"} 4');
    expect(again).toContain('sb_dur_seconds_count{route="chat",stream="false"} 5');
  });
});
