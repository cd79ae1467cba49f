/**
 * `switchboard sim`: the simulator as a standalone process, for benchmarks and manual testing.
 * The listening line is the only stdout output, so scripts can read the URL from it.
 */
import { startSimulator } from './server.js';

export async function runSimCommand(opts: { host?: string; port?: number }): Promise<void> {
  const sim = await startSimulator({ host: opts.host, port: opts.port });
  process.stdout.write(`switchboard sim listening on ${sim.url}\n`);
  const stop = (): void => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    void sim.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
