#!/usr/bin/env node
// Gateway benchmark: Switchboard against a bare undici pass-through ("floor") and the Portkey
// gateway, all in front of the same upstream (the Switchboard simulator, or a stub), under the
// same load, in the same process tree. See README.md beside this file.
//
//   npm --prefix bench run gateway -- [--rounds 3] [--duration 10] [--upstream sim|stub] ...
//   node bench/gateway.mjs --help
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request as undiciRequest } from 'undici';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// Options
const DEFAULTS = {
  rounds: 3,
  duration: 10,          // seconds per measurement
  warmup: 3,             // seconds of warm-up per system and workload before round 1
  'warmup-each': 1,      // seconds of the same load, discarded, before every measurement
  connections: 64,       // closed-loop connections for the throughput scenarios
  rate: 400,             // requests/s for the open-loop latency scenario
  'stream-rate': 400,    // streams/s for the open-loop streaming latency scenario
  'stream-tokens': 100,  // chunks per stream
  upstream: 'sim',       // sim | stub
  systems: 'floor,portkey,switchboard',
  scenarios: 'nonstream,stream,latency,stream-latency',
  root: path.resolve(BENCH_DIR, '..'),
  out: path.join(BENCH_DIR, 'results'),
  'sim-args': '',
  'switchboard-log-level': '', // empty: the gateway's default (info: one line per request)
  'start-timeout': 30,   // seconds to wait for a process to accept connections
  pin: true,
  check: false,
  help: false,
};

const HELP = `Switchboard gateway benchmark

usage: npm --prefix bench run gateway -- [options]      (or: node bench/gateway.mjs [options])

  --rounds N            rounds; the order of systems rotates each round (default ${DEFAULTS.rounds})
  --duration S          seconds per measurement (default ${DEFAULTS.duration})
  --warmup S            warm-up per system and workload before round 1 (default ${DEFAULTS.warmup})
  --warmup-each S       discarded load before every measurement (default ${DEFAULTS['warmup-each']})
  --connections N       connections for the throughput scenarios (default ${DEFAULTS.connections})
  --rate R              requests/s, open loop, for the latency scenario (default ${DEFAULTS.rate})
  --stream-rate R       streams/s, open loop, for the streaming latency scenario (default ${DEFAULTS['stream-rate']})
  --stream-tokens N     chunks per stream (default ${DEFAULTS['stream-tokens']})
  --upstream sim|stub   sim: \`switchboard sim\` from the checkout (default); stub: bench/stub-upstream.mjs
  --systems LIST        any of floor,portkey,switchboard (default ${DEFAULTS.systems}); the
                        simulator itself ("direct") is always measured as the baseline
  --scenarios LIST      any of nonstream,stream,latency,stream-latency (default: all)
  --root DIR            the Switchboard checkout (default: the parent of bench/)
  --out DIR             where the JSON result goes (default bench/results)
  --sim-args "ARGS"     extra arguments for \`switchboard sim\`
  --switchboard-log-level L   server.logLevel for Switchboard (default: its own default, info)
  --no-pin              do not pin processes to cores with taskset
  --check               exit 1 when a Switchboard target fails
  --help
`;

function parseArgs(argv) {
  const o = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    a = a.slice(2);
    let v;
    const eq = a.indexOf('=');
    if (eq >= 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    if (a === 'no-pin') { o.pin = false; continue; }
    if (a === 'help' || a === 'check') { o[a] = true; continue; }
    if (!(a in DEFAULTS)) throw new Error(`unknown option --${a} (see --help)`);
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new Error(`--${a} needs a value`);
      v = argv[++i];
    }
    o[a] = typeof DEFAULTS[a] === 'number' ? Number(v) : v;
    if (typeof DEFAULTS[a] === 'number' && !(o[a] >= 0)) throw new Error(`--${a} must be a number >= 0`);
  }
  if (!['sim', 'stub'].includes(o.upstream)) throw new Error('--upstream must be sim or stub');
  o.rounds = Math.max(1, Math.trunc(o.rounds));
  o.systemList = o.systems.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of o.systemList) if (!['floor', 'portkey', 'switchboard'].includes(s)) throw new Error(`unknown system ${s}`);
  o.scenarioList = o.scenarios.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of o.scenarioList) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s}`);
  if (o.duration <= 0) throw new Error('--duration must be > 0');
  return o;
}

const SCENARIOS = {
  nonstream: { title: 'non-streaming throughput', mode: 'throughput', stream: false },
  stream: { title: 'streaming throughput', mode: 'throughput', stream: true },
  latency: { title: 'added latency, non-streaming, open loop', mode: 'latency', stream: false, rate: (o) => o.rate },
  'stream-latency': { title: 'added latency, streaming, open loop', mode: 'latency', stream: true, rate: (o) => o['stream-rate'] },
};

// ---------------------------------------------------------------------------------------------
// Processes we start, and only those, are stopped by PID on exit, Ctrl-C or error.
const children = new Set();
let tmpDir = null;
let cleaningUp = false;

function log(msg) { process.stderr.write(`${msg}\n`); }

let cleanupPromise = null;
let interrupted = null;
function cleanup() {
  if (!cleanupPromise) { cleaningUp = true; cleanupPromise = doCleanup(); }
  return cleanupPromise;
}

async function doCleanup() {
  const list = [...children];
  for (const c of list) { try { process.kill(c.pid, 'SIGTERM'); } catch { /* already gone */ } }
  const deadline = Date.now() + 4000;
  while (Date.now() < deadline && list.some((c) => c.exitCode === null && c.signalCode === null)) await sleep(50);
  for (const c of list) {
    if (c.exitCode === null && c.signalCode === null) {
      log(`  process ${c.pid} (${c.label}) did not stop on SIGTERM; sending SIGKILL`);
      try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  if (tmpDir) { try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch { /* ignore */ } }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = sig;
    log(`\n${sig}: stopping the processes this benchmark started…`);
    cleanup().finally(() => process.exit(130));
  });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---------------------------------------------------------------------------------------------
// Pinning
function pinningPlan(opts) {
  const n = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const plan = { nproc: n, taskset: null, sut: null, load: null, note: '' };
  if (!opts.pin) { plan.note = 'pinning disabled (--no-pin): all processes float'; return plan; }
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    plan.taskset = 'taskset';
  } catch {
    plan.note = 'taskset not found (it is in util-linux: apt-get install util-linux); running unpinned';
    return plan;
  }
  let allowed = null;
  try {
    const out = execFileSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
    allowed = parseCpuList(out.split(':').pop().trim());
  } catch { /* fall back to 0..n-1 */ }
  if (!allowed || allowed.length === 0) allowed = [...Array(n).keys()];
  if (allowed.length < 2) {
    plan.taskset = null;
    plan.note = `only ${allowed.length} core available; running unpinned (results are then much noisier)`;
    return plan;
  }
  plan.load = allowed[0];
  plan.sut = allowed[1];
  plan.note = `system under test on core ${plan.sut}; simulator, load generator and this harness on core ${plan.load}`
    + (allowed.length > 2 ? ` (${allowed.length - 2} more cores left idle)` : '');
  return plan;
}

function parseCpuList(s) {
  const out = [];
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (Number.isNaN(a)) continue;
    for (let i = a; i <= (Number.isNaN(b) || b === undefined ? a : b); i++) out.push(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Starting processes
function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  // Switchboard runs open on loopback when no admin key is set: make sure none leaks in.
  delete env.SWITCHBOARD_ADMIN_KEY;
  delete env.SWITCHBOARD_CONFIG;
  delete env.NODE_OPTIONS;
  return env;
}

// A child's stdout and stderr go to a file in the temporary directory, not through a pipe: the
// harness shares a core with the load generator and must not spend it reading a gateway's request
// log. `pipeStdout` (the load generator's one JSON line) is the exception.
function startProcess({ label, args, core, plan, env, cwd, pipeStdout = false }) {
  if (cleaningUp) throw new Error('the benchmark is stopping');
  const cmd = plan.taskset && core !== null ? 'taskset' : process.execPath;
  const argv = plan.taskset && core !== null ? ['-c', String(core), process.execPath, ...args] : args;
  const logFile = path.join(tmpDir, `${label}.log`);
  const fd = fs.openSync(logFile, 'a');
  let child;
  try {
    child = spawn(cmd, argv, { cwd: cwd ?? BENCH_DIR, env: env ?? childEnv(), stdio: ['ignore', pipeStdout ? 'pipe' : fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  child.label = label;
  child.logFile = logFile;
  child.on('exit', () => children.delete(child));
  children.add(child);
  return child;
}

/** The last lines a child wrote (stdout and stderr), for error messages. */
function tail(child, n = 12) {
  try {
    const fd = fs.openSync(child.logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 16_384);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').filter((l) => l.trim()).slice(-n).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
    } finally { fs.closeSync(fd); }
  } catch { return []; }
}

async function waitReady(child, port, probePath, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before it was ready:\n    ${tail(child).join('\n    ')}`);
    }
    try {
      const r = await undiciRequest(`http://${HOST}:${port}${probePath}`, { headersTimeout: 1000, bodyTimeout: 1000 });
      await r.body.dump();
      return;
    } catch { await sleep(100); }
  }
  throw new Error(`did not accept connections within ${timeoutS}s:\n    ${tail(child).join('\n    ')}`);
}

async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(child.pid, 'SIGTERM'); } catch { return; }
  const deadline = Date.now() + 4000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) await sleep(50);
  if (child.exitCode === null && child.signalCode === null) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }
}

// ---------------------------------------------------------------------------------------------
// RSS sampling from /proc (the process and its descendants)
function descendants(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of fs.readdirSync(`/proc/${out[i]}/task`)) {
        const kids = fs.readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(/\s+/)) out.push(Number(k));
      }
    } catch { /* gone or not Linux */ }
  }
  return out;
}

function rssKiB(pid) {
  let total = 0;
  let any = false;
  for (const p of descendants(pid)) {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) { total += Number(m[1]); any = true; }
    } catch { /* gone */ }
  }
  return any ? total : null;
}

class RssSampler {
  constructor() { this.targets = new Map(); this.timer = null; }
  add(name, pid) { const v = rssKiB(pid); this.targets.set(name, { pid, startKiB: v, peakKiB: v ?? 0, endKiB: null, windowPeakKiB: 0 }); }
  sample() {
    for (const t of this.targets.values()) {
      const v = rssKiB(t.pid);
      if (v === null) continue;
      t.last = v;
      if (v > t.peakKiB) t.peakKiB = v;
      if (v > t.windowPeakKiB) t.windowPeakKiB = v;
    }
  }
  start() { this.timer = setInterval(() => this.sample(), 200); this.timer.unref(); }
  openWindow(name) { const t = this.targets.get(name); if (t) t.windowPeakKiB = 0; }
  closeWindow(name) { this.sample(); const t = this.targets.get(name); return t ? { peakKiB: t.windowPeakKiB, endKiB: t.last ?? null } : null; }
  finish() {
    this.sample();
    clearInterval(this.timer);
    for (const t of this.targets.values()) t.endKiB = t.last ?? null;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU used by anything else on the machine during a measurement (another build or test run on a
// shared machine is the usual reason a figure is off): the CPU time of every process that is not
// this harness or one it started, kernel threads included, read from /proc/<pid>/stat at the start
// and the end of the measurement. A process that starts and ends in between is missed, so this is
// a lower bound; it is there to flag noisy runs, not to correct them.
function procCpuTicks(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(0) … utime(11) stime(12)
    return Number(f[11]) + Number(f[12]);
  } catch { return null; }
}

const TICK_US = 1e6 / 100;

function cpuSnapshot() {
  const ticks = new Map();
  try {
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const t = procCpuTicks(Number(d));
      if (t !== null) ticks.set(Number(d), t);
    }
  } catch { return null; }
  const ours = new Set([process.pid]);
  for (const c of children) for (const p of descendants(c.pid)) ours.add(p);
  return { at: Date.now(), ticks, ours };
}

function otherCpu(before, after) {
  if (!before || !after) return { cores: null, top: [] };
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return { cores: null, top: [] };
  let other = 0;
  const per = [];
  for (const [pid, t] of after.ticks) {
    if (before.ours.has(pid) || after.ours.has(pid)) continue;
    const d = t - (before.ticks.get(pid) ?? 0);
    if (d <= 0) continue;
    other += d;
    per.push([pid, d]);
  }
  // USER_HZ = 100 on Linux (TICK_US below)
  const top = per.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([pid, d]) => {
    let name = '?';
    try { name = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
    return { pid, name, cores: d / 100 / seconds };
  });
  return { cores: other / 100 / seconds, top };
}

// ---------------------------------------------------------------------------------------------
// The systems
function requestFor(system, ctx, stream) {
  const directive = stream ? ` #sim{"outputTokens":${ctx.opts['stream-tokens']}}` : '';
  const body = {
    model: system.model,
    messages: [
      { role: 'system', content: 'You are a terse assistant used for gateway benchmarking.' },
      { role: 'user', content: `Reply with a few words.${directive}` },
    ],
    stream,
  };
  return { url: system.url, path: '/v1/chat/completions', headers: system.headers, body: JSON.stringify(body) };
}

async function preflight(system, ctx) {
  for (const stream of [false, true]) {
    const req = requestFor(system, ctx, stream);
    const r = await undiciRequest(req.url + req.path, {
      method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: req.body,
      headersTimeout: 10_000, bodyTimeout: 10_000,
    });
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`${stream ? 'stream' : 'non-stream'} request answered ${r.statusCode}: ${text.slice(0, 300)}`);
    if (!stream) {
      let j;
      try { j = JSON.parse(text); } catch { throw new Error(`non-stream answer is not JSON: ${text.slice(0, 200)}`); }
      if (!j.choices?.[0]?.message) throw new Error(`non-stream answer has no choices[0].message: ${text.slice(0, 200)}`);
    } else {
      let content = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const d = line.slice(5).trim();
        if (d === '[DONE]') continue;
        try { if (JSON.parse(d).choices?.[0]?.delta?.content) content++; } catch { /* not JSON */ }
      }
      const want = ctx.opts['stream-tokens'];
      if (content < want * 0.9) throw new Error(`stream carried ${content} content chunks, expected about ${want}: ${text.slice(0, 300)}`);
      if (!text.includes('[DONE]')) throw new Error('stream did not end with data: [DONE]');
      system.streamChunks = content;
    }
  }
}

async function startUpstream(ctx) {
  const port = await freePort();
  const { opts, plan } = ctx;
  let args;
  if (opts.upstream === 'stub') {
    args = [path.join(BENCH_DIR, 'stub-upstream.mjs'), '--host', HOST, '--port', String(port)];
  } else {
    const cli = path.join(opts.root, 'bin', 'switchboard.js');
    const built = ['dist/cli/main.js', 'dist/sim/index.js'].every((f) => fs.existsSync(path.join(opts.root, f)));
    if (!built) {
      throw new Error(`the simulator is not built in ${opts.root} (dist/cli/main.js, dist/sim/index.js missing): `
        + 'run `npm install` (or `npm run build`) there, or use --upstream stub');
    }
    args = [cli, 'sim', '--port', String(port), ...opts['sim-args'].split(/\s+/).filter(Boolean)];
  }
  log(`upstream (${opts.upstream}): starting on ${HOST}:${port}${plan.taskset ? ` (core ${plan.load})` : ''}`);
  const child = startProcess({ label: `upstream-${opts.upstream}`, args, core: plan.load, plan, cwd: opts.upstream === 'sim' ? opts.root : BENCH_DIR });
  await waitReady(child, port, '/v1/models', opts['start-timeout']);
  return { name: 'direct', label: `direct (${opts.upstream})`, child, port, url: `http://${HOST}:${port}`, model: 'sim-model', headers: { authorization: 'Bearer sk-bench' } };
}

function portkeyEntry() {
  const pkgDir = path.join(BENCH_DIR, 'node_modules', '@portkey-ai', 'gateway');
  const pkgFile = path.join(pkgDir, 'package.json');
  if (!fs.existsSync(pkgFile)) return { error: 'not installed (npm --prefix bench install)' };
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin && Object.values(pkg.bin)[0];
  const entry = path.join(pkgDir, bin ?? 'build/start-server.js');
  if (!fs.existsSync(entry)) return { error: `entry ${entry} missing` };
  return { entry, version: pkg.version };
}

async function startSystem(name, ctx, upstream) {
  const { opts, plan } = ctx;
  const port = await freePort();
  const upstreamV1 = `${upstream.url}/v1`;
  let child;
  const sys = { name, port, url: `http://${HOST}:${port}` };
  if (name === 'floor') {
    child = startProcess({ label: 'floor', plan, core: plan.sut, args: [path.join(BENCH_DIR, 'floor-proxy.mjs'), '--host', HOST, '--port', String(port), '--upstream', upstreamV1] });
    Object.assign(sys, { label: 'floor (undici)', model: 'sim-model', headers: { authorization: 'Bearer sk-bench' }, probe: '/health' });
  } else if (name === 'portkey') {
    const pk = portkeyEntry();
    if (pk.error) throw new Error(pk.error);
    // Portkey's node server takes --port=N; --headless skips its UI/log-stream banner.
    // It binds every interface (its CLI has no host option); the benchmark only talks to 127.0.0.1.
    child = startProcess({ label: 'portkey', plan, core: plan.sut, args: [pk.entry, `--port=${port}`, '--headless'], env: childEnv({ NODE_ENV: 'production' }) });
    Object.assign(sys, {
      label: `portkey ${pk.version}`, version: pk.version, model: 'sim-model', probe: '/',
      headers: { authorization: 'Bearer anything', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamV1 },
    });
  } else if (name === 'switchboard') {
    const cli = path.join(opts.root, 'bin', 'switchboard.js');
    if (!fs.existsSync(path.join(opts.root, 'dist', 'cli', 'main.js'))) {
      throw new Error(`not built (${path.join(opts.root, 'dist/cli/main.js')} missing): run \`npm install\` or \`npm run build\` in ${opts.root}`);
    }
    const config = path.join(tmpDir, 'switchboard.yaml');
    fs.writeFileSync(config, [
      `server: { host: ${HOST}, port: ${port}${opts['switchboard-log-level'] ? `, logLevel: ${opts['switchboard-log-level']}` : ''} }`,
      `storage: { database: "sqlite://${path.join(tmpDir, 'sb.db')}" }`,
      'providers:',
      '  sim:',
      '    type: openai-compatible',
      `    baseURL: ${upstreamV1}`,
      '    apiKeyEnv: SIM_API_KEY',
      '    jurisdiction: US',
      '    models:',
      '      bench/model: sim-model',
      '',
    ].join('\n'));
    child = startProcess({ label: 'switchboard', plan, core: plan.sut, cwd: tmpDir, args: [cli, 'serve', '--config', config, '--host', HOST, '--port', String(port)], env: childEnv({ SIM_API_KEY: 'sk-bench' }) });
    Object.assign(sys, { label: 'switchboard', model: 'bench/model', headers: { authorization: 'Bearer sk-bench-client' }, probe: '/health' });
  }
  sys.child = child;
  log(`${sys.label}: starting on ${HOST}:${port}${plan.taskset ? ` (core ${plan.sut})` : ''}`);
  try {
    await waitReady(child, port, sys.probe, opts['start-timeout']);
    await preflight(sys, ctx);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return sys;
}

// ---------------------------------------------------------------------------------------------
// One measurement
let loadgenCount = 0;
function runLoadgen(ctx, spec, label) {
  const { plan } = ctx;
  return new Promise((resolve, reject) => {
    const child = startProcess({ label: `loadgen-${++loadgenCount}`, plan, core: plan.load, pipeStdout: true, args: [path.join(BENCH_DIR, 'loadgen.mjs'), JSON.stringify(spec)] });
    let out = '';
    child.stdout.on('data', (b) => { out += b.toString('utf8'); });
    const limit = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } },
      ((spec.warmup + spec.duration) * 2 + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(limit);
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) {
        try {
          const result = JSON.parse(line);
          fs.rmSync(child.logFile, { force: true });
          return resolve(result);
        } catch { /* fall through */ }
      }
      reject(new Error(`load generator for ${label} failed (exit ${code}):\n    ${tail(child, 8).join('\n    ')}`));
    });
  });
}

function specFor(ctx, system, scenarioName, { warmup, duration }) {
  const sc = SCENARIOS[scenarioName];
  const req = requestFor(system, ctx, sc.stream);
  const o = ctx.opts;
  return {
    mode: sc.mode, stream: sc.stream, ...req, warmup, duration,
    connections: o.connections,
    rate: sc.stream ? o['stream-rate'] : o.rate,
    timeoutMs: 15_000,
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics and reporting
function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const f = {
  rps: (x) => (x === null || x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1)),
  ms: (x) => (x === null || x === undefined ? '—' : x.toFixed(x < 10 ? 3 : 1)),
  dms: (x) => (x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(Math.abs(x) < 10 ? 3 : 1)}`),
  mb: (kib) => (kib === null || kib === undefined ? '—' : (kib / 1024).toFixed(0)),
  ratio: (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(0)}%`),
};

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function summarize(ctx, rounds, systems) {
  const out = {};
  for (const sc of ctx.opts.scenarioList) {
    out[sc] = {};
    for (const s of systems) {
      const per = rounds.map((r) => r.results[sc]?.[s.name]).filter(Boolean);
      const direct = rounds.map((r) => r.results[sc]?.direct);
      const addedP50 = [], addedP99 = [], addedTtfbP50 = [], vsFloorP50 = [], vsFloorP99 = [], rpsVsFloor = [], cpuVsFloor = [];
      rounds.forEach((r, i) => {
        const x = r.results[sc]?.[s.name];
        const d = direct[i];
        const fl = r.results[sc]?.floor;
        if (!x || x.error) return;
        if (d && !d.error) {
          addedP50.push(x.latencyMs.p50 - d.latencyMs.p50);
          addedP99.push(x.latencyMs.p99 - d.latencyMs.p99);
          if (x.ttfbMs && d.ttfbMs) addedTtfbP50.push(x.ttfbMs.p50 - d.ttfbMs.p50);
        }
        if (fl && !fl.error) {
          vsFloorP50.push(x.latencyMs.p50 - fl.latencyMs.p50);
          vsFloorP99.push(x.latencyMs.p99 - fl.latencyMs.p99);
          if (fl.rps > 0) rpsVsFloor.push(x.rps / fl.rps);
          if (x.cpuUsPerRequest > 0 && fl.cpuUsPerRequest > 0) cpuVsFloor.push(x.cpuUsPerRequest / fl.cpuUsPerRequest);
        }
      });
      const ok = per.filter((x) => !x.error);
      out[sc][s.name] = {
        rounds: per.length,
        failedRounds: per.length - ok.length,
        rps: median(ok.map((x) => x.rps)),
        p50: median(ok.map((x) => x.latencyMs.p50)),
        p99: median(ok.map((x) => x.latencyMs.p99)),
        ttfbP50: median(ok.map((x) => x.ttfbMs?.p50)),
        ttfbP99: median(ok.map((x) => x.ttfbMs?.p99)),
        addedP50: median(addedP50),
        addedP99: median(addedP99),
        addedTtfbP50: median(addedTtfbP50),
        overFloorP50: s.name === 'floor' ? null : median(vsFloorP50),
        overFloorP99: s.name === 'floor' ? null : median(vsFloorP99),
        rpsVsFloor: median(rpsVsFloor),
        cpuUsPerRequest: median(ok.map((x) => x.cpuUsPerRequest)),
        cpuVsFloor: median(cpuVsFloor),
        errors: ok.reduce((n, x) => n + (x.errors ?? 0) + (x.non2xx ?? 0) + (x.invalid ?? 0) + (x.timeouts ?? 0), 0),
        bytesPerResponse: median(ok.map((x) => x.bytesPerResponse)),
        rssPeakKiB: Math.max(0, ...ok.map((x) => x.rss?.peakKiB ?? 0)) || null,
        otherCpuMaxCores: Math.max(0, ...per.map((x) => x.otherCpuCores ?? 0)),
        perRound: per.map((x) => (x.error ? { error: x.error } : { rps: x.rps, p50: x.latencyMs.p50, p99: x.latencyMs.p99, cpuUsPerRequest: x.cpuUsPerRequest ?? null })),
      };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
async function main() {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (err) { log(`gateway bench: ${err.message}`); process.exit(2); }
  if (opts.help) { process.stdout.write(HELP); return 0; }

  const plan = pinningPlan(opts);
  if (plan.taskset) {
    try { execFileSync('taskset', ['-a', '-pc', String(plan.load), String(process.pid)], { stdio: 'ignore' }); } catch { /* best effort */ }
  }
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  const ctx = { opts, plan };
  const started = new Date();
  const machine = {
    nproc: plan.nproc,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
  log(`Switchboard gateway benchmark — ${started.toISOString()}`);
  log(`machine: ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB, ${machine.os}, node ${machine.node}`);
  log(`pinning: ${plan.note}`);
  log(`plan: ${opts.rounds} round(s) × [${opts.scenarioList.join(', ')}], ${opts.duration}s each `
    + `(+${opts['warmup-each']}s warm-up), ${opts.connections} connections, ${opts.rate} req/s open loop, `
    + `${opts['stream-rate']} streams/s open loop, ${opts['stream-tokens']}-chunk streams`);

  // Upstream, then the systems under test.
  const upstream = await startUpstream(ctx);
  await preflight(upstream, ctx);
  log(`upstream ready: ${upstream.url} (stream carries ${upstream.streamChunks} content chunks)`);
  const systems = [upstream];
  const skipped = {};
  for (const name of opts.systemList) {
    try {
      const s = await startSystem(name, ctx, upstream);
      systems.push(s);
      log(`${s.label}: ready at ${s.url}, pid ${s.child.pid}`);
    } catch (err) {
      skipped[name] = err.message;
      log(`${name}: NOT MEASURED — ${err.message}`);
    }
  }
  const rss = new RssSampler();
  for (const s of systems) rss.add(s.name, s.child.pid);
  rss.start();

  // Warm-up: every system sees each workload before anything is recorded.
  if (opts.warmup > 0) {
    for (const s of systems) {
      for (const sc of opts.scenarioList.filter((x) => SCENARIOS[x].mode === 'throughput')) {
        log(`warm-up: ${s.label}, ${SCENARIOS[sc].title}, ${opts.warmup}s`);
        try { await runLoadgen(ctx, { ...specFor(ctx, s, sc, { warmup: 0, duration: opts.warmup }) }, s.label); } catch (err) { log(`  warm-up failed: ${err.message}`); }
      }
    }
  }

  // Rounds, the order of systems rotated each round.
  const rounds = [];
  for (let r = 0; r < opts.rounds; r++) {
    const order = systems.map((_, i) => systems[(i + r) % systems.length]);
    const round = { round: r + 1, order: order.map((s) => s.name), results: {} };
    log(`\n=== round ${r + 1}/${opts.rounds} — order: ${order.map((s) => s.name).join(', ')}`);
    for (const sc of opts.scenarioList) {
      round.results[sc] = {};
      for (const s of order) {
        const spec = specFor(ctx, s, sc, { warmup: opts['warmup-each'], duration: opts.duration });
        process.stderr.write(`[round ${r + 1}/${opts.rounds}] ${sc.padEnd(14)} ${s.label.padEnd(20)} … `);
        rss.openWindow(s.name);
        const cpuBefore = cpuSnapshot();
        const ownBefore = procCpuTicks(s.child.pid);
        let res;
        if (interrupted) throw new Error(`interrupted by ${interrupted}`);
        try {
          res = await runLoadgen(ctx, spec, s.label);
        } catch (err) {
          res = { error: err.message };
        }
        const ownAfter = procCpuTicks(s.child.pid);
        // The system's own CPU per request over the whole load (its warm-up second included): a figure that, unlike
        // requests per second, does not depend on whether the load generator's core was the limit.
        const answered = (res.requests ?? 0) + (res.warmupRequests ?? 0);
        if (!res.error && res.mode === 'throughput' && ownBefore !== null && ownAfter !== null && answered > 0 && res.warmupRequests !== undefined) {
          res.cpuUsPerRequest = ((ownAfter - ownBefore) * TICK_US) / answered;
        }
        if (!res.error && !(res.ok > 0)) {
          res.error = `no successful answers (status codes ${JSON.stringify(res.statusCodes ?? {})}, ${res.errors ?? 0} errors)`;
        }
        res.rss = rss.closeWindow(s.name);
        const oc = otherCpu(cpuBefore, cpuSnapshot());
        res.otherCpuCores = oc.cores;
        res.otherCpuTop = oc.top;
        if (s.child.exitCode !== null || s.child.signalCode !== null) {
          res.error = res.error ?? `process exited (${s.child.exitCode ?? s.child.signalCode}): ${tail(s.child, 5).join(' | ')}`;
        }
        round.results[sc][s.name] = res;
        if (res.error) { process.stderr.write(`FAILED: ${res.error}\n`); continue; }
        const bad = (res.errors ?? 0) + (res.non2xx ?? 0) + (res.invalid ?? 0) + (res.timeouts ?? 0);
        process.stderr.write(`${f.rps(res.rps)} req/s, p50 ${f.ms(res.latencyMs.p50)} ms, p99 ${f.ms(res.latencyMs.p99)} ms`
          + (res.ttfbMs && sc === 'stream-latency' ? `, ttfb p50 ${f.ms(res.ttfbMs.p50)} ms` : '')
          + `, rss ${f.mb(res.rss?.peakKiB)} MB${bad ? `, ${bad} failed requests` : ''}`
          + (res.mode === 'latency' && res.rps < res.targetRate * 0.95 ? ' (could not keep up with the rate)' : '')
          + (res.otherCpuCores > 0.1 ? ` [warning: other processes on this machine used ${(res.otherCpuCores * 100).toFixed(0)}% of a core meanwhile: `
            + `${res.otherCpuTop.map((t) => `${t.name}[${t.pid}] ${(t.cores * 100).toFixed(0)}%`).join(', ')}]` : '')
          + '\n');
      }
    }
    rounds.push(round);
  }
  rss.finish();

  // Report.
  const summary = summarize(ctx, rounds, systems);
  const rssBySystem = Object.fromEntries([...rss.targets.entries()].map(([k, v]) => [k, { startKiB: v.startKiB, peakKiB: v.peakKiB, endKiB: v.endKiB }]));
  const lines = [];
  lines.push('');
  lines.push(`Switchboard gateway benchmark — ${started.toISOString()} — medians of ${opts.rounds} round(s), ${opts.duration}s each`);
  lines.push(`upstream: ${upstream.label}; ${plan.note}; node ${machine.node}, ${machine.nproc} cores`);
  for (const sc of opts.scenarioList) {
    const def = SCENARIOS[sc];
    const load = def.mode === 'throughput' ? `${opts.connections} connections, max rate` : `${def.stream ? opts['stream-rate'] : opts.rate} req/s open loop`;
    lines.push('');
    lines.push(`## ${def.title} (${load}${def.stream ? `, ${opts['stream-tokens']}-chunk streams; latency = time to last byte` : ''})`);
    const withTtfb = def.mode === 'latency' && def.stream;
    const header = def.mode === 'throughput' ? ['system', 'req/s', 'vs floor', 'CPU µs/req', 'CPU vs floor', 'p50 ms', 'p99 ms'] : ['system', 'req/s', 'p50 ms', 'p99 ms'];
    if (withTtfb) header.push('ttfb p50', 'ttfb p99');
    if (def.mode === 'latency') header.push('added p50', 'added p99', 'over floor p50');
    header.push('RSS peak MB', 'errors');
    const rows = systems.map((s) => {
      const x = summary[sc][s.name];
      const row = def.mode === 'throughput'
        ? [s.label, f.rps(x.rps), s.name === 'direct' || s.name === 'floor' ? '' : f.ratio(x.rpsVsFloor), x.cpuUsPerRequest ? x.cpuUsPerRequest.toFixed(0) : '', s.name === 'direct' || s.name === 'floor' || !x.cpuVsFloor ? '' : `${x.cpuVsFloor.toFixed(2)}×`, f.ms(x.p50), f.ms(x.p99)]
        : [s.label, f.rps(x.rps) + (x.rps !== null && x.rps < def.rate(opts) * 0.95 ? ' (!)' : ''), f.ms(x.p50), f.ms(x.p99)];
      if (withTtfb) row.push(f.ms(x.ttfbP50), f.ms(x.ttfbP99));
      if (def.mode === 'latency') row.push(s.name === 'direct' ? '' : f.dms(x.addedP50), s.name === 'direct' ? '' : f.dms(x.addedP99), s.name === 'direct' || s.name === 'floor' ? '' : f.dms(x.overFloorP50));
      row.push(f.mb(x.rssPeakKiB), String(x.errors) + (x.failedRounds ? ` (+${x.failedRounds} failed rounds)` : ''));
      return row;
    });
    lines.push(table(header, rows));
    if (rows.some((r) => String(r[1]).endsWith('(!)'))) {
      lines.push('(!) fewer answers per second than the target rate: that system could not keep up, and its latency is mostly queueing.');
    }
    if (def.mode === 'throughput') {
      const d = summary[sc].direct, fl = summary[sc].floor;
      if (d?.rps && fl?.rps && fl.rps > 0.85 * d.rps) {
        lines.push(`note: the floor reached ${f.ratio(fl.rps / d.rps)} of the simulator's own rate; the load generator and simulator core may be the limit, which compresses the ratios.`);
      }
    }
  }
  const noisy = [];
  for (const sc of opts.scenarioList) for (const s of systems) {
    const x = summary[sc][s.name];
    if (x.otherCpuMaxCores > 0.1) noisy.push(`${sc}/${s.name} ${(x.otherCpuMaxCores * 100).toFixed(0)}%`);
  }
  if (noisy.length) {
    lines.push('');
    lines.push(`warning: other processes used CPU during some measurements (peak share of a core): ${noisy.join(', ')}; re-run on a quiet machine for figures to quote.`);
  }
  lines.push('');
  lines.push('## memory (RSS, MB): after start / peak / at the end');
  lines.push(table(['system', 'start', 'peak', 'end'], systems.map((s) => [s.label, f.mb(rssBySystem[s.name].startKiB), f.mb(rssBySystem[s.name].peakKiB), f.mb(rssBySystem[s.name].endKiB)])));

  // Ratios and targets.
  const ratios = {};
  const targets = [];
  lines.push('');
  lines.push('## against the floor (medians of per-round ratios and differences)');
  for (const name of ['switchboard', 'portkey']) {
    if (!systems.find((s) => s.name === name)) continue;
    const r = {
      nonstreamRpsRatio: summary.nonstream?.[name]?.rpsVsFloor ?? null,
      streamRpsRatio: summary.stream?.[name]?.rpsVsFloor ?? null,
      nonstreamCpuVsFloor: summary.nonstream?.[name]?.cpuVsFloor ?? null,
      streamCpuVsFloor: summary.stream?.[name]?.cpuVsFloor ?? null,
      addedP50Ms: summary.latency?.[name]?.addedP50 ?? null,
      floorAddedP50Ms: summary.latency?.floor?.addedP50 ?? null,
      overFloorP50Ms: summary.latency?.[name]?.overFloorP50 ?? null,
      streamAddedP50Ms: summary['stream-latency']?.[name]?.addedP50 ?? null,
      streamFloorAddedP50Ms: summary['stream-latency']?.floor?.addedP50 ?? null,
      streamOverFloorP50Ms: summary['stream-latency']?.[name]?.overFloorP50 ?? null,
    };
    ratios[name] = r;
    const parts = [];
    if (r.nonstreamRpsRatio !== null) parts.push(`non-streaming throughput ${f.ratio(r.nonstreamRpsRatio)} of the floor's`);
    if (r.streamRpsRatio !== null) parts.push(`streaming throughput ${f.ratio(r.streamRpsRatio)} of the floor's`);
    if (r.nonstreamCpuVsFloor !== null) parts.push(`CPU per request ${r.nonstreamCpuVsFloor.toFixed(2)}× the floor's (streaming ${r.streamCpuVsFloor === null ? 'n/a' : `${r.streamCpuVsFloor.toFixed(2)}×`})`);
    if (r.addedP50Ms !== null) parts.push(`added p50 ${f.dms(r.addedP50Ms)} ms vs the floor's ${f.dms(r.floorAddedP50Ms)} ms (${f.dms(r.overFloorP50Ms)} ms over the floor)`);
    if (r.streamAddedP50Ms !== null) parts.push(`streaming added p50 ${f.dms(r.streamAddedP50Ms)} ms vs the floor's ${f.dms(r.streamFloorAddedP50Ms)} ms (${f.dms(r.streamOverFloorP50Ms)} ms over the floor)`);
    lines.push(`${name}: ${parts.join('; ')}`);
  }
  lines.push('');
  lines.push('## targets (Switchboard)');
  const sw = systems.find((s) => s.name === 'switchboard');
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const addTarget = (name, value, ok, detail) => {
    targets.push({ name, value, status: value === null ? 'n/a' : verdict(ok), detail });
    lines.push(`${value === null ? 'n/a ' : verdict(ok)}  ${name}: ${detail}`);
  };
  if (!sw) {
    const why = skipped.switchboard ?? 'not selected (--systems)';
    lines.push(`n/a   Switchboard was not measured: ${why.split('\n')[0]}`);
    targets.push({ name: 'all', status: 'n/a', detail: why });
  } else {
    const nsr = ratios.switchboard.nonstreamRpsRatio;
    if (opts.scenarioList.includes('nonstream')) {
      addTarget(`throughput >= 50% of the floor at ${opts.connections} connections (non-streaming)`, nsr, nsr !== null && nsr >= 0.5,
        `${f.ratio(nsr)} (${f.rps(summary.nonstream.switchboard.rps)} vs ${f.rps(summary.nonstream.floor?.rps)} req/s)`);
    }
    const sr = ratios.switchboard.streamRpsRatio;
    if (opts.scenarioList.includes('stream')) {
      addTarget(`throughput >= 50% of the floor at ${opts.connections} connections (streaming)`, sr, sr !== null && sr >= 0.5,
        `${f.ratio(sr)} (${f.rps(summary.stream.switchboard.rps)} vs ${f.rps(summary.stream.floor?.rps)} streams/s)`);
    }
    if (opts.scenarioList.includes('latency')) {
      const a = ratios.switchboard.addedP50Ms;
      const errs = summary.latency.switchboard.errors;
      addTarget(`added p50 latency < 1 ms at ${opts.rate} req/s`, a, a !== null && a < 1 && errs === 0,
        `${f.dms(a)} ms (p50 ${f.ms(summary.latency.switchboard.p50)} ms vs simulator ${f.ms(summary.latency.direct.p50)} ms)${errs ? `, ${errs} failed requests` : ''}`);
    }
  }
  for (const [name, why] of Object.entries(skipped)) lines.push(`note: ${name} not measured — ${why.split('\n')[0]}`);
  process.stdout.write(lines.join('\n') + '\n');

  // JSON.
  fs.mkdirSync(opts.out, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(opts.out, `${stamp}.json`);
  let rev = null;
  try { rev = execFileSync('git', ['-C', opts.root, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* not a checkout */ }
  const result = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    command: process.env.npm_lifecycle_event === 'gateway'
      ? ['npm --prefix bench run gateway', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ')
      : ['node bench/gateway.mjs', ...process.argv.slice(2)].join(' '),
    machine,
    pinning: plan,
    switchboardCommit: rev,
    options: Object.fromEntries(Object.entries(opts).filter(([k]) => !['systemList', 'scenarioList'].includes(k))),
    systems: Object.fromEntries(systems.map((s) => [s.name, { label: s.label, url: s.url, model: s.model, pid: s.child.pid, version: s.version ?? null, rss: rssBySystem[s.name] }])),
    skipped,
    summary,
    ratios,
    targets,
    rounds: rounds.map((r) => ({
      ...r,
      results: Object.fromEntries(Object.entries(r.results).map(([sc, bySys]) => [sc, bySys])),
    })),
  };
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`\nresults written to ${path.relative(process.cwd(), file) || file}`);
  return opts.check && targets.some((t) => t.status === 'FAIL') ? 1 : 0;
}

main()
  .then(async (code) => { await cleanup(); process.exit(code); })
  .catch(async (err) => {
    if (!interrupted) log(`gateway bench: ${process.env.BENCH_DEBUG && err?.stack ? err.stack : err?.message ?? String(err)}`);
    await cleanup();
    process.exit(interrupted ? 130 : 1);
  });
