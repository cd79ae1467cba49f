import type { Command } from 'commander';
import { AdminClient } from './admin-client.js';

interface Common {
  url?: string;
  adminKeyEnv?: string;
  json?: boolean;
}

function client(opts: Common): AdminClient {
  return new AdminClient({ url: opts.url, adminKeyEnv: opts.adminKeyEnv });
}

function common(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the gateway', 'http://127.0.0.1:8787')
    .option('--admin-key-env <name>', 'variable holding the admin key', 'SWITCHBOARD_ADMIN_KEY')
    .option('--json', 'machine-readable output');
}

type KeyRow = { id: string; name: string; team: string | null; budget: { usd: number; period: string } | null; limits: { rpm?: number; tpm?: number } | null; spentUsd: number | null; revokedAt: string | null };

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('virtual keys for apps (through the admin API)');

  common(keys.command('create'))
    .description('create a key; its secret is printed once')
    .requiredOption('--name <name>', 'a name for the key')
    .option('--team <team>', 'team name or id (created if new)')
    .option('--budget-usd <usd>', 'budget in USD', Number.parseFloat)
    .option('--budget-period <period>', 'day | month | total', 'month')
    .option('--rpm <n>', 'requests per minute', (v) => Number.parseInt(v, 10))
    .option('--tpm <n>', 'tokens per minute', (v) => Number.parseInt(v, 10))
    .option('--policy <name>', 'a policy from the config')
    .action(async (opts: Common & { name: string; team?: string; budgetUsd?: number; budgetPeriod: string; rpm?: number; tpm?: number; policy?: string }) => {
      const body: Record<string, unknown> = { name: opts.name };
      if (opts.team) body.team = opts.team;
      if (opts.budgetUsd !== undefined) body.budget = { usd: opts.budgetUsd, period: opts.budgetPeriod };
      if (opts.rpm !== undefined || opts.tpm !== undefined) body.limits = { ...(opts.rpm !== undefined ? { rpm: opts.rpm } : {}), ...(opts.tpm !== undefined ? { tpm: opts.tpm } : {}) };
      if (opts.policy) body.policy = opts.policy;
      const created = await client(opts).call<{ id: string; key: string; name: string }>('POST', '/admin/keys', body);
      if (opts.json) console.log(JSON.stringify({ id: created.id, key: created.key }));
      else console.log(`created ${created.id} (${created.name})\n\n  ${created.key}\n\nThis is the only time the key is shown: store it now.`);
    });

  common(keys.command('list'))
    .description('list keys with their spend')
    .action(async (opts: Common) => {
      const { data } = await client(opts).call<{ data: KeyRow[] }>('GET', '/admin/keys');
      if (opts.json) {
        console.log(JSON.stringify(data));
        return;
      }
      const rows = data.map((k) => [
        k.id,
        k.name,
        k.team ?? '',
        k.budget ? `${k.budget.usd.toFixed(2)}/${k.budget.period}` : '',
        k.spentUsd === null ? '' : k.spentUsd.toFixed(4),
        [k.limits?.rpm ? `${k.limits.rpm} rpm` : '', k.limits?.tpm ? `${k.limits.tpm} tpm` : ''].filter(Boolean).join(', '),
        k.revokedAt ? 'revoked' : 'active',
      ]);
      const head = ['ID', 'NAME', 'TEAM', 'BUDGET USD', 'SPENT USD', 'LIMITS', 'STATE'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [head, ...rows]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    });

  common(keys.command('revoke'))
    .description('revoke a key on every replica')
    .argument('<id>', 'the key id')
    .action(async (id: string, opts: Common) => {
      await client(opts).call('DELETE', `/admin/keys/${encodeURIComponent(id)}`);
      console.log(opts.json ? JSON.stringify({ id, revoked: true }) : `revoked ${id}`);
    });
}
