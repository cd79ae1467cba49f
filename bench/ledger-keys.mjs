#!/usr/bin/env node
/**
 * Why request ids are time-ordered (UUID v7): the cost of inserting ledger records into SQLite when their primary
 * keys are random (UUID v4) against time-ordered keys (the gateway's `requestId()`), as the table grows. Two fresh
 * databases in one process, batches of 1,000 alternating between them, so both see the same machine.
 *
 *   npm run build && node bench/ledger-keys.mjs [--records 200000]
 *
 * Prints µs per record for each 50,000 rows and the ratio random ÷ ordered.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../dist/', import.meta.url);
const load = (p) => import(new URL(p, root).href).catch((err) => {
  console.error(`bench/ledger-keys: cannot load dist/${p} (${err.message}); run \`npm run build\` at the root first`);
  process.exit(1);
});
const { openTenancyStore } = await load('store/index.js');
const { ledgerStoreFor } = await load('ledger/open.js');
const { requestId } = await load('util/request-id.js');

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '200000' } } });
const RECORDS = Number(args.records);
const BATCH = 1000;
const STEP = 50_000;

function record(id, at) {
  return {
    id,
    at: new Date(at).toISOString(),
    route: 'chat',
    stream: false,
    keyId: 'key_1',
    teamId: 'team_1',
    requestedModel: 'deepseek/deepseek-v3.2',
    model: 'deepseek/deepseek-v3.2',
    provider: 'deepseek',
    origin: 'CN',
    jurisdiction: 'CN',
    license: 'MIT',
    openWeights: true,
    developer: 'DeepSeek',
    attempts: [{ provider: 'deepseek', model: 'deepseek/deepseek-v3.2', outcome: 'ok', phase: 'initial', startMs: 0, durationMs: 420 }],
    inputTokens: 1200,
    outputTokens: 300,
    costNano: 462_000,
    baselineCostNano: 8_100_000,
    baselineModel: 'anthropic/claude-sonnet-4.5',
    latencyMs: 423,
    status: 200,
    outcome: 'ok',
    decision: { candidates: 2, exclusions: [], plan: [{ provider: 'deepseek', model: 'deepseek/deepseek-v3.2' }] },
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'sb-ledger-keys-'));
const sides = [];
for (const [label, id] of [['random (v4)', () => randomUUID()], ['ordered (v7)', () => requestId()]]) {
  const store = await openTenancyStore(`sqlite://${path.join(dir, `${label.split(' ')[0]}.db`)}`);
  sides.push({ label, id, store, ledger: ledgerStoreFor(store), ms: 0 });
}
console.log(`${RECORDS.toLocaleString()} records into each of two SQLite ledgers, batches of ${BATCH}`);
console.log('rows        random µs/rec  ordered µs/rec  random ÷ ordered');
const start = Date.now();
for (let done = 0; done < RECORDS; done += BATCH) {
  for (const side of sides) {
    const batch = Array.from({ length: BATCH }, (_, i) => record(side.id(), start + done + i));
    const t = performance.now();
    await side.ledger.insertBatch(batch);
    side.ms += performance.now() - t;
  }
  if ((done + BATCH) % STEP === 0) {
    const [r, o] = sides.map((s) => (s.ms * 1000) / STEP);
    console.log(`${String(done + BATCH).padStart(7)}  ${r.toFixed(1).padStart(13)}  ${o.toFixed(1).padStart(14)}  ${(r / o).toFixed(2).padStart(16)}`);
    for (const s of sides) s.ms = 0;
  }
}
for (const s of sides) await s.store.close();
rmSync(dir, { recursive: true, force: true });
