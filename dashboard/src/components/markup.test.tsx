import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ProviderHost, VirtualKey } from '../lib/api-types';
import { SessionContext } from '../lib/session-context';
import { KeysPage } from '../pages/Keys';
import { PoliciesPage } from '../pages/Policies';
import { HostsTable, healthOf } from '../pages/providers/HostsTable';
import { KeysTable } from '../pages/keys/KeysTable';
import { SignIn } from './SignIn';
import { TopBar } from './TopBar';

/** The names the public contract and the browser tests rely on, checked on the rendered markup. */

describe('sign-in form', () => {
  const html = renderToStaticMarkup(<SignIn onSignedIn={() => undefined} notice="Your session has ended. Sign in again." />);

  it('has a password field labelled exactly "Admin key" and a "Sign in" button', () => {
    expect(html).toContain('<label for="credential">Admin key</label>');
    const input = /<input id="credential"[^>]*>/.exec(html)?.[0] ?? '';
    expect(input).toContain('type="password"');
    expect(input).toContain('name="credential"');
    expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
  });

  it('shows why it is shown again', () => {
    expect(html).toContain('Your session has ended. Sign in again.');
  });
});

describe('navigation', () => {
  it('links every page by its contract name and marks the current one', () => {
    const html = renderToStaticMarkup(<TopBar page="keys" role="admin" onSignOut={() => undefined} />);
    for (const [href, label] of [
      ['#/overview', 'Overview'],
      ['#/keys', 'Keys'],
      ['#/policies', 'Policies'],
      ['#/providers', 'Providers'],
      ['#/requests', 'Requests'],
      ['#/drill', 'Drill'],
    ]) {
      expect(html).toContain(`href="${href}"`);
      expect(html).toMatch(new RegExp(`>${label}</a>`));
    }
    expect(html).toContain('<a href="#/keys" aria-current="page">Keys</a>');
    expect(html).toContain('>Sign out</button>');
    expect(html).not.toContain('read-only (viewer)');
  });

  it('tells a viewer the dashboard is read-only', () => {
    expect(renderToStaticMarkup(<TopBar page="overview" role="viewer" onSignOut={() => undefined} />)).toContain('read-only (viewer)');
  });
});

describe('viewer mode', () => {
  const asRole = (role: 'admin' | 'viewer', node: ReactNode) => renderToStaticMarkup(<SessionContext.Provider value={{ role }}>{node}</SessionContext.Provider>);

  it('hides the create and block forms from a viewer and says why', () => {
    const viewerKeys = asRole('viewer', <KeysPage />);
    expect(viewerKeys).toContain('read-only (viewer)');
    expect(viewerKeys).not.toContain('Create key');
    expect(asRole('admin', <KeysPage />)).toContain('Create key');
    expect(asRole('admin', <KeysPage />)).not.toContain('read-only (viewer)');

    expect(asRole('viewer', <PoliciesPage />)).not.toContain('Block…');
    expect(asRole('admin', <PoliciesPage />)).toContain('Block…');
  });

  it('disables row actions for a viewer', () => {
    const key: VirtualKey = {
      id: 'key_1',
      name: 'app',
      team: null,
      teamId: null,
      budget: { usd: 10, period: 'month' },
      limits: { rpm: 60 },
      policy: null,
      models: null,
      expiresAt: null,
      createdAt: '2026-01-01T00:00:00Z',
      createdBy: 'admin-key',
      revokedAt: null,
      spentUsd: 2.5,
      reservedUsd: 0,
    };
    const viewer = renderToStaticMarkup(<KeysTable keys={[key]} spend30d={new Map()} canChange={false} onEdit={() => undefined} onRevoke={() => undefined} />);
    expect(viewer).toMatch(/<button type="button" disabled="" aria-label="Edit budget and limits of app">/);
    expect(viewer).toMatch(/<button type="button" class="danger" disabled="" aria-label="Revoke app">/);
    expect(viewer).toContain('$2.50 (25%)');
    const admin = renderToStaticMarkup(<KeysTable keys={[key]} spend30d={new Map()} canChange onEdit={() => undefined} onRevoke={() => undefined} />);
    expect(admin).not.toContain('disabled');
  });
});

describe('providers table', () => {
  const host: ProviderHost = {
    host: 'deepseek\u0000deepseek-chat',
    provider: 'deepseek',
    company: 'DeepSeek',
    model: 'deepseek/deepseek-v3.2',
    upstreamModel: 'deepseek-chat',
    origin: 'CN',
    jurisdiction: 'CN',
    selfHosted: false,
    priceInPerM: 0.28,
    priceOutPerM: 0.42,
    breaker: 'open',
    healthy: false,
    live: { latencyMs: 800, ttftMs: null, errorRate: 0.5 },
    window: { requests: 12, errorRate: 0.25, latencyMs: { p50: 100, p95: 300, p99: 900 }, ttftMs: null },
    blocked: true,
    blockedBy: ['blk_1'],
  };

  it('says the breaker state in words, not only in colour', () => {
    expect(healthOf({ breaker: 'open', healthy: false }).text).toBe('breaker open');
    expect(healthOf({ breaker: 'half-open', healthy: true }).text).toBe('breaker half-open');
    expect(healthOf({ breaker: 'closed', healthy: true })).toEqual({ tone: 'good', text: 'healthy' });
    expect(healthOf({ breaker: 'closed', healthy: false }).tone).toBe('warn');
  });

  it('shows one row per host with its figures and a named Block button', () => {
    const html = renderToStaticMarkup(<HostsTable hosts={[host]} canChange onBlock={() => undefined} />);
    expect(html).toMatch(/<caption>Hosts by provider and model[^<]*<\/caption>/);
    expect(html).toContain('breaker open');
    for (const ms of ['100', '300', '900']) expect(html).toContain(`<td class="num">${ms}</td>`);
    expect(html).toContain('live 800 ms');
    expect(html).toContain('CN / CN');
    expect(html).toContain('25.0%');
    expect(html).toContain('blk_1');
    expect(html).toContain('aria-label="Block provider deepseek (deepseek/deepseek-v3.2)"');
  });
});
