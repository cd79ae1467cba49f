/**
 * A gateway whose database is PostgreSQL: one record per request under concurrency, costs equal to the responses',
 * and the analytics API over them.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPgSchema, postgresUrl, probePostgres, requireService, serviceLabel, type PgSchema } from '../support/services.js';
import { simSays, startStack, type Stack } from '../support/stack.js';

const pgService = await requireService('PostgreSQL', () => probePostgres(postgresUrl()));
const ADMIN = 'sk-admin-ledger-pg-test-0000000001';

describe.skipIf(!pgService.available)(serviceLabel('the ledger of a gateway on PostgreSQL', pgService), () => {
  let stack: Stack;
  let schema: PgSchema;

  beforeAll(async () => {
    schema = await freshPgSchema(postgresUrl(), 'ledgergw');
    const url = new URL(postgresUrl());
    url.searchParams.set('options', `-c search_path=${schema.schema}`);
    stack = await startStack({ env: { SWITCHBOARD_ADMIN_KEY: ADMIN }, database: url.toString(), yaml: 'ledger: { flushMs: 20 }\n' });
  });
  afterAll(async () => {
    await stack?.close();
    await schema?.drop();
  });

  it('100 concurrent requests make 100 records whose costs equal each response\'s, and the usage API adds them up', async () => {
    const created = await fetch(`${stack.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pg-concurrent', team: 'pg-team' }),
    });
    const { id: keyId, key } = (await created.json()) as { id: string; key: string };
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key, maxRetries: 0 });
    const answers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const content = simSays(`pg ${i}`, { outputTokens: 2 + (i % 5) });
        if (i % 2 === 0) {
          const { data, response } = await client.chat.completions.create({ model: 'test/priced', messages: [{ role: 'user', content }] }).withResponse();
          return { id: response.headers.get('x-request-id')!, cost: (data.usage as unknown as { cost: number }).cost };
        }
        const { data, response } = await client.chat.completions.create({ model: 'test/priced', messages: [{ role: 'user', content }], stream: true, stream_options: { include_usage: true } }).withResponse();
        let cost = -1;
        for await (const chunk of data) if (chunk.usage) cost = (chunk.usage as unknown as { cost: number }).cost;
        return { id: response.headers.get('x-request-id')!, cost };
      }),
    );
    await stack.gateway.ledger.flush();
    const records = await stack.gateway.ledger.list({ keyId, limit: 1000 });
    expect(records).toHaveLength(100);
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const a of answers) expect(byId.get(a.id)!.costNano! / 1e9).toBe(a.cost);

    const res = await fetch(`${stack.url}/v1/usage?interval=total&groupBy=model&from=${new Date(Date.now() - 3_600_000).toISOString()}`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { rows: { group: string; requests: number; costUsd: number }[] };
    expect(body.rows).toHaveLength(1);
    expect(body.rows[0]).toMatchObject({ group: 'test/priced', requests: 100 });
    expect(body.rows[0]!.costUsd).toBeCloseTo(answers.reduce((s, a) => s + a.cost, 0), 9);
  });
});
