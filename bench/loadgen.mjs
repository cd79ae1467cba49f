#!/usr/bin/env node
// The load generator, run by gateway.mjs as its own process (pinned to its own core) once per
// measurement. It takes one JSON spec as its only argument and prints one JSON result line on
// stdout (progress and problems go to stderr).
//
// Two modes:
//   "throughput"  closed loop, autocannon, N connections at maximum rate. Latency here is the
//                 time from writing the request to the end of the response (time to last byte).
//   "latency"     open loop, undici, requests started on a fixed schedule (rate per second),
//                 whatever the answers do; records time to headers, to the first body byte and to
//                 the last byte for every request, measured from the moment it was sent, plus the
//                 same from the moment it was scheduled (corrected for coordinated omission).
//
// Spec: { mode, url, path, headers, body, connections, duration, warmup, rate, stream, timeoutMs }
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

const spec = JSON.parse(process.argv[2] ?? '{}');

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function summarize(values) {
  const a = Float64Array.from(values).sort();
  if (a.length === 0) return { count: 0, mean: null, p50: null, p90: null, p99: null, max: null };
  let sum = 0;
  for (const v of a) sum += v;
  return { count: a.length, mean: sum / a.length, p50: pct(a, 50), p90: pct(a, 90), p99: pct(a, 99), max: a[a.length - 1] };
}

// Does a complete response look right? Cheap checks, done only in latency mode (autocannon's
// per-body hooks would slow the throughput runs; gateway.mjs checks each system once up front).
function validBody(text, stream) {
  if (stream) return text.includes('data: [DONE]') || /"finish_reason"\s*:\s*"stop"/.test(text);
  try {
    const j = JSON.parse(text);
    return Array.isArray(j.choices) && j.choices.length > 0;
  } catch { return false; }
}

async function runAutocannon(seconds, record) {
  const latencies = [];
  const instance = autocannon({
    url: spec.url + spec.path,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...spec.headers },
    body: spec.body,
    connections: spec.connections,
    pipelining: 1,
    duration: seconds,
    timeout: Math.ceil((spec.timeoutMs ?? 10_000) / 1000),
    excludeErrorStats: true,
  });
  if (record) instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const r = await instance;
  return { r, latencies };
}

async function throughput() {
  // The warm-up's answers are counted too: the harness divides the system's CPU over the whole load by them.
  let warmupRequests = 0;
  if (spec.warmup > 0) warmupRequests = (await runAutocannon(spec.warmup, false)).r.requests.total;
  const { r, latencies } = await runAutocannon(spec.duration, true);
  const ok = r['2xx'] ?? 0;
  return {
    mode: 'throughput',
    durationS: r.duration,
    connections: r.connections,
    requests: r.requests.total,
    warmupRequests,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: r.statusCodeStats,
    rps: r.duration > 0 ? ok / r.duration : 0,
    bytesPerResponse: r.requests.total > 0 ? r.throughput.total / r.requests.total : null,
    latencyMs: summarize(latencies),
  };
}

async function openLoop(seconds, record) {
  const pool = globalThis.__pool;
  const interval = 1000 / spec.rate;
  const total = Math.max(1, Math.round(spec.rate * seconds));
  const timeoutMs = spec.timeoutMs ?? 10_000;
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const sent = [];
  const ttfb = [], ttlb = [], tth = [], ttlbSched = [];
  let ok = 0, non2xx = 0, errors = 0, invalid = 0, lateSends = 0, bytes = 0, lastEnd = 0;
  const statusCodes = {};
  const inflight = new Set();

  const fire = (scheduled) => {
    const t0 = performance.now();
    if (t0 - scheduled > 5) lateSends++;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const p = pool.request({ method: 'POST', path: spec.path, headers, body: spec.body, signal: ac.signal })
      .then(async ({ statusCode, body }) => {
        const tHeaders = performance.now();
        let tFirst = 0;
        const parts = [];
        for await (const chunk of body) {
          if (tFirst === 0) tFirst = performance.now();
          parts.push(chunk);
        }
        const tEnd = performance.now();
        if (tFirst === 0) tFirst = tEnd;
        if (tEnd > lastEnd) lastEnd = tEnd;
        statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
        const buf = Buffer.concat(parts);
        bytes += buf.length;
        if (statusCode < 200 || statusCode >= 300) { non2xx++; return; }
        if (!validBody(buf.toString('utf8'), spec.stream)) { invalid++; return; }
        ok++;
        if (!record) return;
        tth.push(tHeaders - t0);
        ttfb.push(tFirst - t0);
        ttlb.push(tEnd - t0);
        ttlbSched.push(tEnd - scheduled);
      })
      .catch(() => { errors++; })
      .finally(() => { clearTimeout(timer); inflight.delete(p); });
    inflight.add(p);
    sent.push(t0);
  };

  const start = performance.now() + 20;
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && start + i * interval <= now) { fire(start + i * interval); i++; }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
  const sendWindow = performance.now() - start;
  await Promise.allSettled([...inflight]);
  // Completions per second over the whole window, from the first send to the last answer: a system
  // that cannot keep up with the schedule shows here as a rate below the target.
  const window = Math.max(sendWindow, lastEnd - start);
  return {
    mode: 'latency',
    targetRate: spec.rate,
    durationS: sendWindow / 1000,
    requests: total,
    achievedSendRate: total / (sendWindow / 1000),
    ok, non2xx, errors, invalid, lateSends, statusCodes,
    rps: ok / (window / 1000),
    bytesPerResponse: total > 0 ? bytes / total : null,
    latencyMs: summarize(ttlb),
    ttfbMs: summarize(ttfb),
    headersMs: summarize(tth),
    latencyFromScheduleMs: summarize(ttlbSched),
  };
}

async function latency() {
  globalThis.__pool = new Pool(spec.url, {
    connections: spec.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
  });
  try {
    if (spec.warmup > 0) await openLoop(spec.warmup, false);
    return await openLoop(spec.duration, true);
  } finally {
    await globalThis.__pool.close().catch(() => {});
  }
}

try {
  const result = spec.mode === 'latency' ? await latency() : await throughput();
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
} catch (err) {
  process.stderr.write(`loadgen: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
}
