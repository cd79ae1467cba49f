import { InvalidArgumentError, type Command } from 'commander';
import { AdminClient } from './admin-client.js';

/**
 * `switchboard block (--origin CC | --provider ID | --model ID) [--reason TEXT] [--until ISO8601]`,
 * `switchboard unblock (--origin CC | --provider ID | --model ID | --id ID)`, `switchboard blocks [--all]`:
 * run-time switches through the admin API of a running gateway; every replica applies them within a second.
 */

interface Common {
  url: string;
  adminKeyEnv: string;
  json?: boolean;
}

interface Selector {
  origin?: string;
  provider?: string;
  model?: string;
}

interface WireBlock {
  id: string;
  selector: { kind: string; value: string };
  reason: string | null;
  until: string | null;
  createdAt: string;
  createdBy: string;
  removedAt: string | null;
  active: boolean;
}

function common(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the gateway', 'http://127.0.0.1:8787')
    .option('--admin-key-env <name>', 'variable holding the admin key', 'SWITCHBOARD_ADMIN_KEY')
    .option('--json', 'machine-readable output');
}

function selectorOptions(cmd: Command): Command {
  return cmd
    .option('--origin <cc>', "a model developer's country (ISO 3166 alpha-2; EU = every member state)")
    .option('--provider <id>', 'a provider id')
    .option('--model <id>', 'a model id or alias');
}

function isoTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-12-01T00:00:00Z');
  return value;
}

function onlySelector(opts: Selector): [keyof Selector, string] | undefined {
  const given = (['origin', 'provider', 'model'] as const).filter((k) => opts[k] !== undefined);
  if (given.length !== 1) return undefined;
  return [given[0]!, opts[given[0]!]!];
}

function describe(b: WireBlock): string {
  const parts = [`${b.id}  ${b.selector.kind} ${b.selector.value}`];
  if (b.reason) parts.push(`reason: ${b.reason}`);
  parts.push(b.until ? `until ${b.until}` : 'until lifted');
  if (!b.active) parts.push(b.removedAt ? `lifted ${b.removedAt}` : 'expired');
  return parts.join('  ');
}

function usage(message: string): never {
  console.error(`switchboard: ${message}`);
  process.exit(2);
}

export function registerBlock(program: Command): void {
  common(selectorOptions(program.command('block')))
    .description('switch a country of origin, a provider or a model off, on every replica')
    .option('--reason <text>', 'why (shown to clients refused because of it)')
    .option('--until <iso>', 'when the block lapses by itself (ISO 8601)', isoTime)
    .action(async (opts: Common & Selector & { reason?: string; until?: string }) => {
      const selector = onlySelector(opts);
      if (!selector) usage('block takes exactly one of --origin, --provider or --model');
      const body: Record<string, unknown> = { [selector[0]]: selector[1] };
      if (opts.reason) body.reason = opts.reason;
      if (opts.until) body.until = opts.until;
      const block = await new AdminClient(opts).call<WireBlock>('POST', '/admin/blocks', body);
      console.log(opts.json ? JSON.stringify(block) : `blocked: ${describe(block)}`);
    });

  common(selectorOptions(program.command('unblock')))
    .description('lift a block (by its id, or every block on the same origin, provider or model)')
    .option('--id <id>', 'the block id')
    .action(async (opts: Common & Selector & { id?: string }) => {
      const selector = onlySelector(opts);
      if ((opts.id === undefined) === (selector === undefined)) usage('unblock takes --id, or exactly one of --origin, --provider or --model');
      const client = new AdminClient(opts);
      const lifted = opts.id
        ? [await client.call<WireBlock>('DELETE', `/admin/blocks/${encodeURIComponent(opts.id)}`)]
        : (await client.call<{ data: WireBlock[] }>('DELETE', `/admin/blocks?${new URLSearchParams({ [selector![0]]: selector![1] }).toString()}`)).data;
      if (opts.json) console.log(JSON.stringify(lifted));
      else if (lifted.length === 0) console.log('no block in force on that');
      else for (const b of lifted) console.log(`lifted: ${describe(b)}`);
    });

  common(program.command('blocks'))
    .description('list the blocks in force')
    .option('--all', 'include lifted and expired blocks')
    .action(async (opts: Common & { all?: boolean }) => {
      const { data } = await new AdminClient(opts).call<{ data: WireBlock[] }>('GET', `/admin/blocks${opts.all ? '?all=1' : ''}`);
      if (opts.json) console.log(JSON.stringify(data));
      else if (data.length === 0) console.log('no blocks in force');
      else for (const b of data) console.log(describe(b));
    });
}
