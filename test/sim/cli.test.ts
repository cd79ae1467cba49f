/** `switchboard sim` (runSimCommand) as users run it: a separate process that prints its URL and exits 0 on SIGTERM. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));

describe('runSimCommand', () => {
  it('prints the listening line, serves requests and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'sim', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', () => reject(new Error(`exited before listening: ${out}`)));
    });
    const match = /^switchboard sim listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
    expect(match).not.toBeNull();
    const health = await fetch(`${match![1]}/_sim/health`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});
