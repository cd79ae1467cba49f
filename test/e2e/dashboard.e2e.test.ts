/**
 * The dashboard in a real browser against `switchboard demo` (simulated providers, SQLite, live traffic): sign in,
 * read the overview, create and revoke a key, block a provider and watch traffic move, run a drill, and read as a
 * viewer. Each step saves a full-page screenshot in test-artifacts/e2e/. The steps share one browser and one demo
 * and run in order: each starts where the previous one left the admin's page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_APPS } from '../../src/demo/apps.js';
import { startDemo, type Demo } from '../../src/demo/index.js';
import { adminApi, readUntil, type AdminApi } from './admin-api.js';
import { resetScreenshots, saveScreenshot } from './artifacts.js';
import { launchChromium } from './browser.js';
import { placesHolding, readChart, readKpi } from './page-checks.js';
import { browserTestsSkipReason } from './prerequisites.js';
import { busiestMovableHost } from './traffic-target.js';

const skipReason = browserTestsSkipReason();

const STEP_TIMEOUT_MS = 45_000;
/** A block is in force on every replica within a second (docs/sovereignty.md); requests started earlier may still use the host. */
const BLOCK_PROPAGATION_MS = 1_000;
/** Requests for the blocked host's model, started after the block, that must all have gone elsewhere. */
const MOVED_REQUESTS = 3;

interface LedgerRequest {
  requestId: string;
  at: string;
  requestedModel: string;
  model?: string;
  provider?: string;
  served?: { provider: string; model: string };
  attempts: { provider: string; outcome: string }[];
  exclusions: { provider: string; model: string; reason: string }[];
}

interface WireBlock {
  id: string;
  selector: { kind: string; value: string };
  reason: string | null;
  createdAt: string;
  active: boolean;
}

let demo: Demo | undefined;
let dataDir: string | undefined;
let demoStartedAt = 0;
let browser: Browser | undefined;
let adminContext: BrowserContext | undefined;
let viewerContext: BrowserContext | undefined;
let page: Page;
let admin: AdminApi;

function running(): Demo {
  if (!demo) throw new Error('the demo did not start');
  return demo;
}

/**
 * Runs one step and saves its screenshot: where the body calls `snapshot()`, else when it ends. A failing step
 * saves `<step>-failed.png` of what the page showed at that moment.
 */
async function step(name: string, on: () => Page, body: (snapshot: () => Promise<void>) => Promise<void>): Promise<void> {
  let saved = false;
  const snapshot = async (): Promise<void> => {
    await saveScreenshot(on(), name);
    saved = true;
  };
  try {
    await body(snapshot);
  } catch (err) {
    await saveScreenshot(on(), `${name}-failed`).catch(() => undefined);
    throw err;
  }
  if (!saved) await snapshot();
}

async function openPage(target: Page, link: string): Promise<void> {
  await target.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: link, exact: true }).click();
  await target.getByRole('heading', { level: 1, name: link, exact: true }).waitFor();
}

async function signIn(target: Page, credential: string): Promise<void> {
  await target.goto(running().dashboardUrl);
  try {
    await target.getByLabel('Admin key', { exact: true }).fill(credential);
  } catch (err) {
    // Playwright's message may quote the call; the credential must not reach the test output.
    throw new Error(String(err instanceof Error ? err.message : err).replaceAll(credential, '[credential]'));
  }
  await target.getByRole('button', { name: 'Sign in', exact: true }).click();
  await target.getByRole('heading', { level: 1, name: 'Overview', exact: true }).waitFor();
}

async function requestsFor(model: string): Promise<LedgerRequest[]> {
  return (await admin.get<{ data: LedgerRequest[] }>(`/admin/requests?model=${encodeURIComponent(model)}&limit=200`)).data;
}

const servedBy = (r: LedgerRequest): string | undefined => r.served?.provider ?? r.provider;

describe.skipIf(skipReason !== undefined)(`dashboard in a browser${skipReason ? ` [skipped: ${skipReason}]` : ''}`, () => {
  beforeAll(async () => {
    resetScreenshots();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-'));
    demoStartedAt = Date.now();
    // Seven days of history fill the overview's default period; 10 requests/s give the block step traffic to watch.
    demo = await startDemo({ port: 0, dataDir, historyDays: 7, rps: 10, quiet: true });
    admin = adminApi(demo.url, demo.adminKey);
    browser = await launchChromium();
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await adminContext.newPage();
    page.setDefaultTimeout(20_000);
  }, 60_000);

  afterAll(async () => {
    // Each closes even if another fails; only what this file started.
    await viewerContext?.close().catch(() => undefined);
    await adminContext?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await demo?.close().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('signs in with the admin key, which then lives nowhere a script or the URL can read', { timeout: STEP_TIMEOUT_MS }, async () => {
    const { adminKey } = running();
    await step('01-sign-in', () => page, async () => {
      await signIn(page, adminKey);
      expect(await page.getByLabel('Admin key', { exact: true }).count()).toBe(0);
      expect(await placesHolding(page, adminKey)).toEqual([]);
      const cookies = await adminContext!.cookies();
      const session = cookies.find((c) => c.name === 'sb_session');
      expect(session?.httpOnly).toBe(true);
      expect(cookies.some((c) => c.value.includes(adminKey))).toBe(false);
      expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).not.toContain('sb_session');
    });
  });

  it('shows the overview charts drawn with data, and a request count above zero', { timeout: STEP_TIMEOUT_MS }, async () => {
    await step('02-overview', () => page, async () => {
      const charts = {
        spend: page.getByRole('img', { name: /^Spend vs baseline per / }),
        requests: page.getByRole('img', { name: /^Requests and tokens per / }),
        origins: page.getByRole('img', { name: /^Token share by model origin: / }),
      };
      for (const [name, chart] of Object.entries(charts)) {
        const reading = await readChart(chart);
        expect(reading.width, `${name} chart width`).toBeGreaterThan(100);
        expect(reading.height, `${name} chart height`).toBeGreaterThan(100);
        expect(reading.surfaces, `${name} chart svg/canvas`).toBeGreaterThan(0);
        expect(reading.shapes, `${name} chart shapes`).toBeGreaterThan(10);
      }
      // The demo's apps use models from China, the US and France: the stacked areas name them.
      const originsLabel = (await charts.origins.getAttribute('aria-label')) ?? '';
      expect(originsLabel).toMatch(/\bCN\b/);
      expect(originsLabel).toMatch(/\bUS\b/);
      expect(await readKpi(page, 'Requests')).toBeGreaterThan(0);
    });
  });

  it('creates a key, shows its secret once, then revokes it', { timeout: STEP_TIMEOUT_MS }, async () => {
    const name = `e2e-${Date.now().toString(36)}`;
    await step('03-keys', () => page, async () => {
      await openPage(page, 'Keys');
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByRole('button', { name: 'Create key', exact: true }).click();

      const shown = page.getByRole('dialog', { name: `Key ${name} created` });
      await shown.waitFor();
      const secret = await shown.getByLabel('New key secret').inputValue();
      expect(/^sk-sb-\S{16,}$/.test(secret), 'the dialog shows an sk-sb-… secret').toBe(true);
      await shown.getByRole('button', { name: 'I have stored the key' }).click();
      await shown.waitFor({ state: 'detached' });
      expect(await placesHolding(page, secret)).toEqual([]);

      const row = page.getByRole('row').filter({ hasText: name });
      await row.waitFor();
      await row.getByRole('button', { name: `Revoke ${name}`, exact: true }).click();
      const confirm = page.getByRole('dialog', { name: `Revoke key ${name}?` });
      await confirm.getByRole('button', { name: 'Revoke key', exact: true }).click();
      await confirm.waitFor({ state: 'detached' });
      await row.getByText('revoked', { exact: true }).waitFor();
      expect(await row.getByRole('button', { name: `Revoke ${name}`, exact: true }).count()).toBe(0);

      const listed = (await admin.get<{ data: { id: string; name: string }[] }>('/admin/keys')).data.filter((k) => k.name === name);
      expect(listed).toHaveLength(1);
      const stored = await admin.get<{ revokedAt: string | null }>(`/admin/keys/${listed[0]!.id}`);
      expect(stored.revokedAt).not.toBeNull();
      const status = await readUntil(
        async () => {
          const res = await fetch(`${running().url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'qwen/qwen3-30b-a3b', messages: [{ role: 'user', content: 'ping' }], max_tokens: 4 }),
          });
          await res.body?.cancel();
          return res.status;
        },
        (s) => s === 401,
        3_000,
      );
      expect(status, 'the revoked key is refused').toBe(401);
    });
  });

  it('blocks a provider from the Providers page and the live traffic moves to its other hosts', { timeout: 75_000 }, async () => {
    const target = busiestMovableHost(running().gateway.registry, DEMO_APPS);
    const { model, provider } = target;
    const blockButton = `Block provider ${provider} (${model})`;
    const reason = `e2e: move ${model} off ${provider}`;
    let blockId: string | undefined;
    try {
      await step('04-block-provider', () => page, async (snapshot) => {
        // The host has to be serving live demo traffic before the block, or nothing could be seen to move.
        const before = await readUntil(
          () => requestsFor(model),
          (rows) => rows.some((r) => Date.parse(r.at) >= demoStartedAt && servedBy(r) === provider),
          20_000,
        );
        expect(before.filter((r) => Date.parse(r.at) >= demoStartedAt).map(servedBy)).toContain(provider);

        await openPage(page, 'Providers');
        await page.getByRole('button', { name: blockButton, exact: true }).click();
        const confirm = page.getByRole('dialog', { name: `Block provider ${provider}?` });
        await confirm.getByLabel('Reason').fill(reason);
        await confirm.getByRole('button', { name: `Block ${provider}`, exact: true }).click();
        await confirm.waitFor({ state: 'detached' });
        const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: blockButton, exact: true }) });
        await row.getByText('blocked', { exact: true }).waitFor();

        const blocks = (await admin.get<{ data: WireBlock[] }>('/admin/blocks')).data.filter((b) => b.active && b.selector.kind === 'provider' && b.selector.value === provider);
        expect(blocks).toHaveLength(1);
        const block = blocks[0]!;
        blockId = block.id;
        expect(block.reason).toBe(reason);

        const after = Date.parse(block.createdAt) + BLOCK_PROPAGATION_MS;
        const rows = await readUntil(
          () => requestsFor(model),
          (list) => list.filter((r) => Date.parse(r.at) >= after).length >= MOVED_REQUESTS,
          40_000,
        );
        const moved = rows.filter((r) => Date.parse(r.at) >= after);
        expect(moved.length, `requests for ${model} started after the block`).toBeGreaterThanOrEqual(MOVED_REQUESTS);
        const touchedBlocked = moved.filter((r) => servedBy(r) === provider || r.attempts.some((a) => a.provider === provider)).map((r) => r.requestId);
        expect(touchedBlocked, `requests that still reached ${provider}`).toEqual([]);
        expect(moved.filter((r) => !target.alternatives.includes(servedBy(r) ?? '')).map((r) => `${r.requestId}: ${servedBy(r)}`)).toEqual([]);
        // The decision records name the block as the reason the host was left out.
        expect(moved.some((r) => r.exclusions.some((e) => e.provider === provider && e.reason.includes(block.id)))).toBe(true);

        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        await row.getByText('blocked', { exact: true }).waitFor();
        await snapshot();

        await openPage(page, 'Policies');
        await page.getByRole('button', { name: `Unblock provider ${provider}`, exact: true }).click();
        const lift = page.getByRole('dialog', { name: `Unblock provider ${provider}?` });
        await lift.getByRole('button', { name: 'Unblock', exact: true }).click();
        await lift.waitFor({ state: 'detached' });
        await page.getByText('No block in force', { exact: false }).waitFor();
        const still = (await admin.get<{ data: WireBlock[] }>('/admin/blocks')).data.filter((b) => b.id === block.id);
        expect(still).toEqual([]);
        blockId = undefined;
      });
    } finally {
      // The later steps need the whole fleet: lift the block through the API if the page did not.
      if (blockId) await admin.delete(`/admin/blocks/${blockId}`).catch(() => undefined);
    }
  });

  it('runs a drill without origin CN and shows the report with its charts and tables', { timeout: STEP_TIMEOUT_MS }, async () => {
    await step('05-drill', () => page, async () => {
      await openPage(page, 'Drill');
      await page.getByLabel('Remove by').selectOption('origin');
      // The list of origins arrives with the page's first reads; until then the field is free text.
      const dependency = page.getByRole('combobox', { name: 'Dependency' });
      await dependency.waitFor();
      await dependency.selectOption('CN');
      await page.getByRole('button', { name: 'Run drill', exact: true }).click();

      const report = page.getByRole('region', { name: 'Report: without origin CN' });
      await report.waitFor({ timeout: 30_000 });
      expect(await readKpi(report, 'Requests in the window')).toBeGreaterThan(0);
      expect(await readKpi(report, 'Affected')).toBeGreaterThan(0);
      for (const title of ['Rerouted vs stranded', 'Cost of the rerouted traffic']) {
        const reading = await readChart(report.getByRole('img', { name: new RegExp(`^${title}: `) }));
        expect(reading.width, `${title} width`).toBeGreaterThan(100);
        expect(reading.height, `${title} height`).toBeGreaterThan(100);
        expect(reading.surfaces, `${title} svg/canvas`).toBeGreaterThan(0);
      }
      const reroutes = report.getByRole('table', { name: 'Where the affected traffic would go' });
      await reroutes.waitFor();
      // A header row and at least one reroute (CN models have substitutes and other-origin tiers in the demo).
      expect(await reroutes.getByRole('row').count()).toBeGreaterThan(1);
      await report.getByRole('heading', { name: 'Who is affected' }).waitFor();
    });
  });

  it('lets a viewer token sign in and read the Keys page with every change control disabled or absent', { timeout: STEP_TIMEOUT_MS }, async () => {
    const token = await admin.post<{ id: string; token: string }>('/admin/tokens', { name: 'e2e-viewer', role: 'viewer' });
    viewerContext = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const viewer = await viewerContext.newPage();
    viewer.setDefaultTimeout(20_000);
    try {
      await step('06-viewer-keys', () => viewer, async () => {
        await signIn(viewer, token.token);
        await viewer.getByText('read-only (viewer)', { exact: false }).first().waitFor();
        await openPage(viewer, 'Keys');
        await viewer.getByRole('table', { name: /^Virtual keys \(\d+\)$/ }).waitFor();
        expect(await viewer.getByRole('heading', { name: 'Create a key' }).count()).toBe(0);
        expect(await viewer.getByRole('button', { name: 'Create key' }).count()).toBe(0);
        await viewer.getByText(/read-only \(viewer\): you can see everything/).waitFor();
        const changes = viewer.getByRole('button', { name: /^(Revoke|Edit budget and limits of) / });
        const count = await changes.count();
        // Every demo key is active, so each has its (disabled) Edit and Revoke buttons.
        expect(count).toBeGreaterThanOrEqual(2 * running().keys.length);
        for (let i = 0; i < count; i++) expect(await changes.nth(i).isDisabled()).toBe(true);
      });
    } finally {
      await viewerContext.close().catch(() => undefined);
      viewerContext = undefined;
      await admin.delete(`/admin/tokens/${token.id}`).catch(() => undefined);
    }
  });
});
