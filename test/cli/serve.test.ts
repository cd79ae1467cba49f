import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { sseData } from '../support/sse.js';
import { tempDir } from '../support/temp-dir.js';

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const started: ChildProcess[] = [];

interface Running {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Running & { ready: Promise<string> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? tempDir('sb-cli-'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (data: Buffer) => {
      out += data.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (data: Buffer) => (out += data.toString()));
    void exited.then((code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  ready.catch(() => undefined); // tests that expect an early exit never await it
  const running = { child, url: '', output: () => out, exited, ready };
  return running;
}

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim?.close();
});

describe('switchboard serve', () => {
  it('starts on built-in defaults, loopback only, and prints its URL', async () => {
    const proc = run(['serve', '--port', '0']);
    const url = await proc.ready;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proc.output()).toContain('config: built-in defaults');
    const models = await fetch(`${url}/v1/models`);
    expect(models.status).toBe(200);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('detects providers from their API-key variables', async () => {
    const proc = run(['serve', '--port', '0'], { env: { DEEPSEEK_API_KEY: 'sk-test-deepseek', MOONSHOT_API_KEY: 'sk-test-moonshot' } });
    const url = await proc.ready;
    expect(proc.output()).toMatch(/providers: deepseek, moonshot/);
    const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).toContain('deepseek/deepseek-v3.2');
    expect(proc.output()).not.toContain('sk-test-deepseek');
  });

  it('stops on an invalid config, naming each error path', async () => {
    const dir = tempDir('sb-cli-');
    writeFileSync(join(dir, 'bad.yaml'), 'server: { port: high }\nprovider: {}\n');
    const proc = run(['serve', '--config', 'bad.yaml'], { cwd: dir });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('server.port:');
    expect(proc.output()).toContain('provider: unknown key');
  });

  it('refuses a non-loopback address without an admin key', async () => {
    const proc = run(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/refusing to listen on 0\.0\.0\.0/);
  });

  it('on SIGTERM finishes the streams in flight, refuses new work and exits 0', async () => {
    const dir = tempDir('sb-cli-');
    writeFileSync(
      join(dir, 'switchboard.yaml'),
      `providers:\n  sim:\n    type: openai-compatible\n    baseURL: "${sim.url}/v1"\n    models: { test/model: sim-model }\n`,
    );
    const proc = run(['serve', '--port', '0'], { cwd: dir });
    const url = await proc.ready;
    const body = {
      model: 'test/model',
      stream: true,
      messages: [{ role: 'user', content: 'slow #sim{"outputTokens":20,"tokensPerSecond":25}' }],
    };
    const inflight = fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const response = await inflight;
    expect(response.status).toBe(200);
    const text = response.text();
    await new Promise((r) => setTimeout(r, 150));
    proc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(`${url}/v1/models`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(refused);
    const frames = sseData(await text);
    expect(frames.at(-1)).toBe('[DONE]');
    const content = frames
      .slice(0, -1)
      .map((f) => JSON.parse(f).choices[0]?.delta?.content ?? '')
      .join('');
    expect(content.trim().split(/\s+/)).toHaveLength(20);
    expect(await proc.exited).toBe(0);
  });
});
