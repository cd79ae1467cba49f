import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { AUDIT_KEY_ENV, describeVerdict, verdictExitCode, type AuditVerdict } from '../policy/audit.js';
import { openOffline } from '../policy/offline.js';
import { verifyAuditStore } from '../policy/service.js';
import { AdminClient } from './admin-client.js';

/**
 * `switchboard audit verify [--config FILE]`: checks the audit chain offline, reading the database the config
 * names (`--config`, else $SWITCHBOARD_CONFIG, else ./switchboard.yaml, else the default database) with the key in
 * $SWITCHBOARD_AUDIT_KEY. `--url` asks a running gateway to check it with its own key instead.
 * Exit code: 0 OK, 1 broken (the first broken row is named), 3 unverifiable (no break found, but rows that cannot
 * be checked: written without a key, with another key, or no key here), 2 usage or configuration error.
 *
 * `switchboard audit log [--after SEQ] [--limit N]`: the rows, through the admin API.
 */

interface VerifyOptions {
  config?: string;
  url?: string;
  adminKeyEnv: string;
  json?: boolean;
}

function report(verdict: AuditVerdict, json: boolean | undefined): never {
  console.log(json ? JSON.stringify(verdict) : describeVerdict(verdict));
  process.exit(verdictExitCode(verdict));
}

interface LogRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the audit log of policy, block, key, team and token changes');

  audit
    .command('verify')
    .description('check the audit chain: OK, or the first broken row')
    .option('--config <file>', 'configuration file naming the database (default: $SWITCHBOARD_CONFIG, else ./switchboard.yaml)')
    .option('--url <url>', 'ask this running gateway to verify instead of reading the database')
    .option('--admin-key-env <name>', 'variable holding the admin key (with --url)', 'SWITCHBOARD_ADMIN_KEY')
    .option('--json', 'machine-readable output')
    .action(async (opts: VerifyOptions) => {
      if (opts.url) report(await new AdminClient({ url: opts.url, adminKeyEnv: opts.adminKeyEnv }).call<AuditVerdict>('GET', '/admin/audit/verify'), opts.json);
      let verdict: AuditVerdict;
      try {
        const db = await openOffline(opts.config);
        try {
          verdict = await verifyAuditStore(db.store, process.env[AUDIT_KEY_ENV] || undefined);
        } finally {
          await db.close();
        }
      } catch (err) {
        console.error(`switchboard: ${err instanceof ConfigError ? err.message : `cannot read the audit log: ${(err as Error).message}`}`);
        process.exit(2);
      }
      if (!process.env[AUDIT_KEY_ENV] && !opts.json) console.error(`switchboard: ${AUDIT_KEY_ENV} is not set; MACs cannot be checked`);
      report(verdict, opts.json);
    });

  audit
    .command('log')
    .description('list audit rows (through the admin API)')
    .option('--after <seq>', 'rows after this one', '0')
    .option('--limit <n>', 'at most this many rows', '100')
    .option('--url <url>', 'the gateway', 'http://127.0.0.1:8787')
    .option('--admin-key-env <name>', 'variable holding the admin key', 'SWITCHBOARD_ADMIN_KEY')
    .option('--json', 'machine-readable output')
    .action(async (opts: { after: string; limit: string; url: string; adminKeyEnv: string; json?: boolean }) => {
      const query = new URLSearchParams({ after: opts.after, limit: opts.limit }).toString();
      const { data } = await new AdminClient(opts).call<{ data: LogRow[] }>('GET', `/admin/audit?${query}`);
      if (opts.json) console.log(JSON.stringify(data));
      else for (const r of data) console.log(`${String(r.seq).padStart(6)}  ${r.at}  ${r.actor.padEnd(24)}  ${r.action.padEnd(14)}  ${r.targetType} ${r.targetId}`);
    });
}
