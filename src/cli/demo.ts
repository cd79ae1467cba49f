import { InvalidArgumentError, type Command } from 'commander';

interface DemoCliOptions {
  port: number;
  simPort?: number;
  rps: number;
  historyDays: number;
  faults: boolean;
  dataDir?: string;
}

const STATUS_EVERY_MS = 5000;

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`);
    return n;
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--rps must be a positive number');
  return n;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('simulated providers + gateway + traffic + dashboard, no API key needed')
    .option('--port <port>', 'gateway port', integer('--port', 0), 8080)
    .option('--sim-port <port>', 'simulator port (default: any free port)', integer('--sim-port', 0))
    .option('--rps <n>', 'live requests per second', positive, 4)
    .option('--history-days <n>', 'days of simulated history to backfill (0: none)', integer('--history-days', 0), 14)
    .option('--no-faults', 'no simulated upstream failures')
    .option('--data-dir <dir>', 'where the demo database lives (replaced on each run)', './.switchboard/demo')
    .action(async (opts: DemoCliOptions) => {
      const { startDemo } = await import('../demo/index.js');
      console.log('switchboard demo: simulated providers on loopback; no API key is needed and nothing leaves this machine.');
      const demo = await startDemo({
        port: opts.port,
        simPort: opts.simPort,
        rps: opts.rps,
        historyDays: opts.historyDays,
        faults: opts.faults,
        dataDir: opts.dataDir,
        onHistoryProgress: ({ written, total }) => {
          // A pipe or a log file gets the final count only.
          if (process.stdout.isTTY || written === total) progressLine(`  writing simulated history: ${written}/${total} records`, written === total);
        },
      }).catch((err: unknown) => {
        console.error(`switchboard demo: could not start: ${(err as Error).message}`);
        process.exit(1);
      });

      const example = demo.keys[0]!;
      const apps = new Set(demo.keys.map((k) => k.app)).size;
      console.log('');
      console.log(`  Dashboard:  ${demo.dashboardUrl}`);
      console.log(`  Admin key:  ${demo.adminKey}   (sign in with it; a new one each run)`);
      console.log(`  Try it, as the demo app ${example.app} (one of ${demo.keys.length} keys in ${apps} apps):`);
      console.log(`    curl ${demo.url}/v1/chat/completions -H "Authorization: Bearer ${example.secret}" \\`);
      console.log(`      -H 'content-type: application/json' -d '{"model":"deepseek/deepseek-v3.2","messages":[{"role":"user","content":"Hello"}]}'`);
      if (demo.history.records > 0) {
        const days = demo.history.days === 1 ? '1 day' : `${demo.history.days} days`;
        console.log(`  History:    ${demo.history.records} SIMULATED requests over the ${days} before ${demo.history.until} (tagged ${demo.history.tag}); live traffic after`);
      }
      console.log(`  Traffic:    about ${opts.rps} requests/s from the demo apps${opts.faults ? ', with occasional simulated upstream faults' : ''}`);
      console.log('  Ctrl-C to stop.');
      console.log('');

      const status = setInterval(() => {
        const s = demo.traffic.stats();
        progressLine(`  ${new Date().toISOString().slice(11, 19)}  ${s.sent} sent, ${s.ok} ok, ${s.failed} failed, ${s.inFlight} in flight, $${s.spentUsd.toFixed(4)} spent`, false);
      }, STATUS_EVERY_MS);

      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        clearInterval(status);
        progressLine(`  ${signal}: stopping traffic, gateway and simulator`, true);
        demo.close().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error('switchboard demo: error while closing', err);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}

/** On a terminal, rewrites one line in place; elsewhere (a log file, a pipe) prints each update. */
function progressLine(text: string, final: boolean): void {
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
  else console.log(text);
}
