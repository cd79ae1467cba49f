// Planner microbenchmark: plans requests over a synthetic registry of 500 hosts and reports the per-plan time
// distribution. Token estimation is measured separately (test/tokens/measure.test.ts): the planner receives the
// estimate as input. Run after `npm run build`: node bench/planner.mjs
import { ModelRegistry } from '../dist/catalog/registry.js';
import { planRoute } from '../dist/routing/planner.js';
import { requestFeatures } from '../dist/routing/features.js';
import { DEFAULT_TIMEOUTS } from '../dist/catalog/types.js';

const ITERATIONS = Number(process.env.ITERATIONS ?? 200_000);

function provider(i) {
  return { id: `p${i}`, type: 'openai-compatible', baseURL: `http://127.0.0.1:9/${i}`, apiKeys: [], headers: {}, jurisdiction: 'US', selfHosted: false, timeouts: DEFAULT_TIMEOUTS, maxConnections: 1, trainsOnPrompts: false, dataRetentionDays: 0 };
}

function registry(models, hostsPerModel) {
  const providers = new Map();
  const list = [];
  let h = 0;
  for (let m = 0; m < models; m++) {
    const hosts = [];
    for (let k = 0; k < hostsPerModel; k++, h++) {
      const p = provider(h % 100);
      providers.set(p.id, p);
      hosts.push({ provider: p, upstreamModel: `m${m}-h${k}`, pricing: { input: 100_000 + ((h * 7919) % 900_000), output: 400_000 + ((h * 104729) % 1_600_000) }, contextLength: 131072, maxOutput: 16384, supportedParameters: ['tools', 'temperature', 'max_tokens'] });
    }
    list.push({ id: `lab/model-${m}`, name: `Model ${m}`, origin: 'US', openWeights: true, contextLength: 131072, capabilities: { tools: true, jsonSchema: true, reasoning: false, vision: false }, aliases: [], inCatalogue: true, hosts });
  }
  return new ModelRegistry(providers, list);
}

const health = {
  usable: (keys) => ({ usable: keys, excluded: [] }),
  snapshot: () => ({ latencyMs: 500, ttftMs: 200, tokensPerSecond: 80 }),
};

const request = {
  model: 'lab/model-7',
  messages: [{ role: 'user', content: 'hello' }],
  tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
  maxTokens: 512,
  stream: true,
  includeUsage: false,
  extra: {},
};
const features = requestFeatures(request, 1200);

function measure(label, env, input) {
  for (let i = 0; i < 20_000; i++) planRoute({ ...input, affinity: (i % 1000) / 1000 }, env); // warm-up
  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    planRoute({ ...input, affinity: (i % 1000) / 1000 }, env);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  const result = { label, iterations: ITERATIONS, p50Us: +q(0.5).toFixed(2), p90Us: +q(0.9).toFixed(2), p99Us: +q(0.99).toFixed(2) };
  console.log(`${label.padEnd(58)} p50 ${result.p50Us.toFixed(2).padStart(6)} µs   p90 ${result.p90Us.toFixed(2).padStart(6)} µs   p99 ${result.p99Us.toFixed(2).padStart(7)} µs`);
  return result;
}

const spread = registry(100, 5);
const crowded = registry(1, 500);
const results = [
  measure('500 hosts (100 models × 5), model + 2 fallbacks, default', { registry: spread, aliases: {}, health }, { model: request.model, fallbackModels: ['lab/model-8', 'lab/model-9'], features }),
  measure('500 hosts (100 models × 5), sort=latency, provider hints', { registry: spread, aliases: {}, health }, { model: request.model, provider: { sort: 'latency', ignore: ['p3'], maxPrice: { prompt: 5, completion: 20 } }, features }),
  measure('one model served by all 500 hosts, default (worst case)', { registry: crowded, aliases: {}, health }, { model: 'lab/model-0', features }),
  measure('one model served by all 500 hosts, sort=price', { registry: crowded, aliases: {}, health }, { model: 'lab/model-0', provider: { sort: 'price' }, features }),
];
const target = 20;
const verdict = results[0].p50Us < target ? 'PASS' : 'FAIL';
console.log(`\ntarget: a request planned over a 500-host catalogue in under ${target} µs at p50 → ${verdict} (${results[0].p50Us} µs)`);
if (process.env.JSON) console.log(JSON.stringify(results));
