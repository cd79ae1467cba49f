import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { GatewayError } from '../canonical/errors.js';
import { ConfigError } from '../config/errors.js';
import { parseSince, parseWithout, type DrillResult, type DrillWithout } from '../policy/drill.js';
import { ledgerReaderFor } from '../policy/ledger-reader.js';
import { offlineSovereignty, openOffline } from '../policy/offline.js';
import { drillHtml, drillTable } from '../policy/report.js';
import { AdminClient } from './admin-client.js';

/**
 * `switchboard drill --without (origin=CC | provider=ID | model=ID)… [--since 30d] [--format table|json|html]`:
 * the exit drill, through a running gateway's admin API, or offline with `--config FILE` (reading the database the
 * config names).
 */

interface DrillOptions {
  without: DrillWithout[];
  since: string;
  format: 'table' | 'json' | 'html';
  threshold?: number;
  out?: string;
  config?: string;
  url: string;
  adminKeyEnv: string;
}

function withoutOption(value: string, previous: DrillWithout[] | undefined): DrillWithout[] {
  try {
    return [...(previous ?? []), ...value.split(',').filter((v) => v.trim() !== '').map(parseWithout)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function sinceOption(value: string): string {
  try {
    parseSince(value);
    return value;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function formatOption(value: string): DrillOptions['format'] {
  if (value !== 'table' && value !== 'json' && value !== 'html') throw new InvalidArgumentError('expected table, json or html');
  return value;
}

function thresholdOption(value: string): number {
  const n = Number(value.endsWith('%') ? Number.parseFloat(value) / 100 : value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a share between 0 and 1 (or a percentage such as 50%)');
  return n;
}

async function offline(opts: DrillOptions): Promise<DrillResult> {
  const db = await openOffline(opts.config);
  try {
    const service = await offlineSovereignty(db, ledgerReaderFor(db.tenancy));
    try {
      return await service.drill({ without: opts.without, since: opts.since, threshold: opts.threshold });
    } finally {
      await service.close();
    }
  } finally {
    await db.close();
  }
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('exit drill: what recorded traffic would do without an origin, a provider or a model')
    .requiredOption('--without <what>', 'origin=CC, provider=ID or model=ID; repeatable or comma-separated', withoutOption)
    .option('--since <window>', 'how far back: 30d, 12h, 2w', sinceOption, '30d')
    .option('--format <format>', 'table, json or html', formatOption, 'table')
    .option('--threshold <share>', 'flag a single dependency above this share (default 0.5)', thresholdOption)
    .option('--out <file>', 'write the report to a file instead of standard output')
    .option('--config <file>', 'run offline on the database this config names, instead of asking a gateway')
    .option('--url <url>', 'the gateway', 'http://127.0.0.1:8787')
    .option('--admin-key-env <name>', 'variable holding the admin key', 'SWITCHBOARD_ADMIN_KEY')
    .action(async (opts: DrillOptions) => {
      let result: DrillResult;
      try {
        result = opts.config
          ? await offline(opts)
          : await new AdminClient(opts).call<DrillResult>('POST', '/admin/drills', { without: opts.without, since: opts.since, ...(opts.threshold ? { threshold: opts.threshold } : {}) });
      } catch (err) {
        console.error(`switchboard: ${err instanceof GatewayError || err instanceof ConfigError ? err.message : `the drill failed: ${(err as Error).message}`}`);
        process.exit(err instanceof ConfigError ? 2 : 1);
      }
      const text = opts.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : opts.format === 'html' ? drillHtml(result) : drillTable(result);
      if (opts.out) {
        writeFileSync(opts.out, text);
        console.error(`wrote ${opts.out}`);
      } else process.stdout.write(text);
    });
}
