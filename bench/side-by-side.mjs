#!/usr/bin/env node
// Gateway CPU per request, two builds (or two settings of one build) side by side.
//
// Separate benchmark runs on a small shared VM drift by ±10% within minutes, which hides any change of a few
// percent. Here both gateways run at once on the same core, against one simulator, and the load alternates between
// them in rounds: whatever the machine does to one, it does to the other. The figure compared is the CPU each
// gateway process spent per request (utime + stime from /proc/<pid>/stat), not its throughput.
//
//   node bench/side-by-side.mjs --a /path/to/other/checkout [--b .] [--stream] [--requests 5000] [--rounds 6]
//   node bench/side-by-side.mjs --a . --a-config extra-a.yaml --b-config extra-b.yaml   # two settings, one build
//   node bench/side-by-side.mjs --a floor                                                  # against the floor proxy
//   node bench/side-by-side.mjs --a floor --seconds 5                  # timed rounds: throughput (req/s) as well
//
// Each checkout must be built (`npm run build`). An extra config file is appended to the generated one (YAML).
// Loopback only; every process started here is stopped by PID.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const BENCH_DIR = path.dirname(new URL(import.meta.url).pathname);
const HOST = '127.0.0.1';

const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: path.join(BENCH_DIR, '..') },
    'a-config': { type: 'string' },
    'b-config': { type: 'string' },
    stream: { type: 'boolean', default: false },
    requests: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '64' },
    // Rounds of a fixed time instead of a fixed count: autocannon ends a counted run on its one-second tick, so only
    // timed rounds give a throughput figure.
    seconds: { type: 'string' },
    // Timed rounds from bench/loadgen.mjs in a process of its own, as gateway.mjs runs them (needs --seconds).
    loadgen: { type: 'boolean', default: false },
  },
});
if (!opts.a) {
  console.error('usage: node bench/side-by-side.mjs --a <checkout> [--b <checkout>] [--a-config f] [--b-config f] [--stream] [--requests N] [--rounds R]');
  process.exit(2);
}
const requests = Number(opts.requests);
const rounds = Number(opts.rounds);
const seconds = opts.seconds ? Number(opts.seconds) : undefined;
const children = new Set();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-side-by-side-'));

function pinned() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return os.availableParallelism() >= 2;
  } catch {
    return false;
  }
}
const PIN = pinned();
// The load generator runs in this process: keep it on the simulator's core, away from the gateways'.
if (PIN) execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });

/** Starts a Node script on a core (when pinning), its output to a log file in the run's directory. */
function spawnPinned(label, script, args, core, env = {}) {
  const argv = PIN ? ['-c', String(core), process.execPath, script, ...args] : [script, ...args];
  const out = fs.openSync(path.join(tmp, `${label}.log`), 'a');
  const child = spawn(PIN ? 'taskset' : process.execPath, argv, { cwd: tmp, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function start(label, root, args, core, env = {}) {
  if (!fs.existsSync(path.resolve(root, 'dist', 'cli', 'main.js'))) throw new Error(`${root} is not built: run npm run build there`);
  return spawnPinned(label, path.resolve(root, 'bin', 'switchboard.js'), args, core, env);
}

// The floor proxy (bench/floor-proxy.mjs) answers /health too.
function startFloor(port, simPort) {
  return spawnPinned('floor', path.join(BENCH_DIR, 'floor-proxy.mjs'), ['--host', HOST, '--port', String(port), '--upstream', `http://${HOST}:${simPort}/v1`], 1);
}

async function ready(url) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function cpuTicks(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of the whole line)
}
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** One timed run of bench/loadgen.mjs (its own process, on the load core); resolves with the requests answered. */
function loadgenRun(port, seconds) {
  const content = opts.stream ? 'hello #sim{"outputTokens":100}' : 'hello';
  const body = JSON.stringify({ model: 'bench/model', stream: opts.stream, messages: [{ role: 'user', content }] });
  const spec = { mode: 'throughput', url: `http://${HOST}:${port}`, path: '/v1/chat/completions', headers: {}, body, connections: Number(opts.connections), duration: seconds, warmup: 0, stream: opts.stream };
  const args = [path.join(BENCH_DIR, 'loadgen.mjs'), JSON.stringify(spec)];
  return new Promise((resolve, reject) => {
    const child = spawn(PIN ? 'taskset' : process.execPath, PIN ? ['-c', '0', process.execPath, ...args] : args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (b) => (out += b.toString('utf8')));
    child.on('close', (code) => {
      children.delete(child);
      try {
        const result = JSON.parse(out.trim().split('\n').pop());
        if (code !== 0 || result.non2xx > 0 || result.errors > 0) throw new Error(`exit ${code}, ${result.non2xx} non-2xx, ${result.errors} errors`);
        resolve(result.requests);
      } catch (err) {
        reject(new Error(`load generator on port ${port}: ${err.message}`));
      }
    });
  });
}

/** Runs load against one gateway; resolves with the number of requests answered. */
function load(port, amount, seconds) {
  if (opts.loadgen && seconds) return loadgenRun(port, seconds);
  const content = opts.stream ? 'hello #sim{"outputTokens":100}' : 'hello';
  const body = JSON.stringify({ model: 'bench/model', stream: opts.stream, messages: [{ role: 'user', content }] });
  return new Promise((resolve, reject) => {
    const span = seconds ? { duration: seconds } : { amount };
    autocannon({ url: `http://${HOST}:${port}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: Number(opts.connections), ...span }, (err, result) => {
      if (err) reject(err);
      else if (result.non2xx > 0 || result.errors > 0) reject(new Error(`port ${port}: ${result.non2xx} non-2xx answers, ${result.errors} errors`));
      else resolve(result.requests.total);
    });
  });
}

function gatewayConfig(label, port, simPort, extra) {
  const file = path.join(tmp, `${label}.yaml`);
  const lines = [
    `server: { host: ${HOST}, port: ${port} }`,
    `storage: { database: "sqlite://${path.join(tmp, `${label}.db`)}" }`,
    'providers:',
    '  sim:',
    '    type: openai-compatible',
    `    baseURL: http://${HOST}:${simPort}/v1`,
    '    apiKeyEnv: SIM_API_KEY',
    '    jurisdiction: US',
    '    models:',
    '      bench/model: sim-model',
  ];
  fs.writeFileSync(file, `${lines.join('\n')}\n${extra ? fs.readFileSync(extra, 'utf8') : ''}`);
  return file;
}

async function main() {
  const [simPort, portA, portB] = [18991, 18992, 18993];
  start('sim', opts.b, ['sim', '--host', HOST, '--port', String(simPort)], 0);
  await ready(`http://${HOST}:${simPort}/v1/models`);
  const a =
    opts.a === 'floor'
      ? startFloor(portA, simPort)
      : start('a', opts.a, ['serve', '--config', gatewayConfig('a', portA, simPort, opts['a-config'])], 1, { SIM_API_KEY: 'sk-side-by-side' });
  const b = start('b', opts.b, ['serve', '--config', gatewayConfig('b', portB, simPort, opts['b-config'])], 1, { SIM_API_KEY: 'sk-side-by-side' });
  await Promise.all([ready(`http://${HOST}:${portA}/health`), ready(`http://${HOST}:${portB}/health`)]);
  console.log(`A: ${opts.a === 'floor' ? 'the floor proxy' : path.resolve(opts.a)}${opts['a-config'] ? ` + ${opts['a-config']}` : ''}`);
  console.log(`B: ${path.resolve(opts.b)}${opts['b-config'] ? ` + ${opts['b-config']}` : ''}`);
  console.log(`${opts.stream ? '100-chunk streams' : 'non-streaming requests'}, ${rounds} rounds of ${seconds ? `${seconds} s` : requests} per gateway, ${PIN ? 'gateways on core 1, simulator and load on core 0' : 'unpinned'}`);
  await load(portA, 3000);
  await load(portB, 3000);
  // Per side: CPU spent (µs), requests answered, load time (ms).
  const sum = { A: { cpu: 0, answered: 0, ms: 0 }, B: { cpu: 0, answered: 0, ms: 0 } };
  for (let round = 1; round <= rounds; round++) {
    // Alternate which side goes first, so that a drift inside a round favours neither.
    const order = round % 2 ? [[a, portA, 'A'], [b, portB, 'B']] : [[b, portB, 'B'], [a, portA, 'A']];
    const line = {};
    for (const [child, port, name] of order) {
      const before = cpuTicks(child.pid);
      const began = performance.now();
      const answered = await load(port, requests, seconds);
      const elapsed = performance.now() - began;
      const spent = (cpuTicks(child.pid) - before) * TICK_US;
      line[name] = `${(spent / answered).toFixed(0)} µs/request ${((answered * 1000) / elapsed).toFixed(0)}/s`;
      sum[name].cpu += spent;
      sum[name].answered += answered;
      sum[name].ms += elapsed;
    }
    console.log(`round ${round}: A ${line.A}, B ${line.B}`);
  }
  const perA = sum.A.cpu / sum.A.answered;
  const perB = sum.B.cpu / sum.B.answered;
  console.log(`total: A ${perA.toFixed(1)} µs/request, B ${perB.toFixed(1)} µs/request, B/A ${(perB / perA).toFixed(3)}`);
  // Throughput as well (timed rounds only): CPU per request misses time a gateway sits idle.
  const rateA = (sum.A.answered * 1000) / sum.A.ms;
  const rateB = (sum.B.answered * 1000) / sum.B.ms;
  if (seconds) console.log(`throughput: A ${rateA.toFixed(0)}/s, B ${rateB.toFixed(0)}/s, B/A ${(rateB / rateA).toFixed(3)}`);
}

function stopAll() {
  for (const child of children) child.kill('SIGINT');
}
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});
main()
  .catch((err) => {
    console.error(err.message);
    process.exitCode = 1;
  })
  .finally(async () => {
    stopAll();
    await new Promise((r) => setTimeout(r, 500));
    fs.rmSync(tmp, { recursive: true, force: true });
  });
