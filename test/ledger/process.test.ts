/**
 * The ledger across process lifetimes: `node bin/switchboard.js serve` on a SQLite file as a child process.
 * SIGTERM flushes every record (in-flight requests included) and a restart finds them all; kill -9 loses at most the
 * records of requests that finished within the last flush interval, and that window is measured here.
 *
 * Runs the built gateway (dist/): `npm run build` first (`npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { inCI } from '../support/services.js';
import { tempDir } from './support.js';

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const BUILT = existsSync(fileURLToPath(new URL('../../dist/ledger/index.js', import.meta.url)));
const NOT_BUILT = 'dist/ has no ledger: run `npm run build` first (npm test does)';
if (!BUILT) {
  if (inCI()) throw new Error(NOT_BUILT);
  console.warn(`[skip] ${NOT_BUILT}`);
}
const FLUSH_MS = 200;
const children: ChildProcess[] = [];
let sim: Simulator;
const tmp = tempDir('process');

beforeAll(async () => {
  if (BUILT) sim = await startSimulator();
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await sim?.close();
  tmp.remove();
});

function config(name: string): { file: string; db: string } {
  const db = path.join(tmp.dir, `${name}.db`);
  const file = path.join(tmp.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `providers:
  sim:
    type: openai-compatible
    baseURL: "${sim.url}/v1"
    models:
      test/priced: { name: sim-priced, pricing: { prompt: 0.0000002, completion: 0.0000008 } }
storage: { database: "sqlite://${db}" }
ledger: { flushMs: ${FLUSH_MS} }
server: { logLevel: warn, shutdownGraceMs: 10000 }
`,
  );
  return { file, db };
}

async function serve(configFile: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', configFile, '--port', '0'], {
    cwd: tmp.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 15 s: ${out}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  return { child, url, exited, output: () => out };
}

async function ask(url: string, i: number, stream: boolean, latencyMs = 0): Promise<string> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'test/priced',
      stream,
      messages: [{ role: 'user', content: `request ${i} #sim${JSON.stringify({ outputTokens: 5, latencyMs })}` }],
    }),
  });
  await res.text();
  expect(res.status).toBe(200);
  return res.headers.get('x-request-id')!;
}

function storedIds(db: string): Set<string> {
  const conn = new Database(db, { readonly: true });
  try {
    return new Set((conn.prepare('SELECT id FROM ledger_records').pluck().all() as string[]).map(String));
  } finally {
    conn.close();
  }
}

describe.skipIf(!BUILT)(BUILT ? 'the ledger across restarts' : `the ledger across restarts [skipped: ${NOT_BUILT}]`, () => {
  it('SIGTERM writes every record, in-flight requests included, and a restart keeps them all', async () => {
    const { file, db } = config('sigterm');
    const first = await serve(file);
    const done = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(first.url, i, i % 2 === 0)));
    // Slow requests still running when SIGTERM arrives finish, and are recorded too.
    const slow = Array.from({ length: 10 }, (_, i) => ask(first.url, 100 + i, i % 2 === 0, 600));
    await new Promise((r) => setTimeout(r, 150));
    first.child.kill('SIGTERM');
    const late = await Promise.all(slow);
    expect(await first.exited).toBe(0);
    const ids = storedIds(db);
    for (const id of [...done, ...late]) expect(ids.has(id), `record ${id}`).toBe(true);
    expect(ids.size).toBe(70);

    const second = await serve(file);
    const more = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(second.url, 200 + i, false)));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const after = storedIds(db);
    expect(after.size).toBe(75);
    for (const id of [...done, ...late, ...more]) expect(after.has(id)).toBe(true);
  }, 60_000);

  it('kill -9 loses at most the records of the last flush interval (the window is measured)', async () => {
    const { file, db } = config('kill9');
    const gw = await serve(file);
    const finished: { id: string; at: number }[] = [];
    let stop = false;
    let n = 0;
    const workers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const i = n++;
        const id = await ask(gw.url, i, i % 2 === 0).catch(() => undefined);
        if (id && !stop) finished.push({ id, at: performance.now() });
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    const killedAt = performance.now();
    gw.child.kill('SIGKILL');
    await Promise.allSettled(workers);
    await gw.exited;
    const ids = storedIds(db);
    const lost = finished.filter((f) => !ids.has(f.id));
    const window = lost.length === 0 ? 0 : Math.max(...lost.map((f) => killedAt - f.at));
    console.log(
      `kill -9 after ${finished.length} answered requests: ${lost.length} records lost, all of requests answered within the last ${window.toFixed(0)} ms (flushMs ${FLUSH_MS})`,
    );
    // Every record older than the flush interval plus one batch write is on disk.
    expect(window).toBeLessThanOrEqual(FLUSH_MS + 300);
    const recent = finished.filter((f) => killedAt - f.at <= FLUSH_MS + 300).length;
    expect(lost.length).toBeLessThanOrEqual(recent);
    expect(finished.length).toBeGreaterThan(100);

    // The next start keeps what was written, and goes on.
    const again = await serve(file);
    await ask(again.url, 9999, false);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(storedIds(db).size).toBe(ids.size + 1);
  }, 60_000);
});
