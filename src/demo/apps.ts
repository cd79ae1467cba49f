/**
 * The demo's tenants: five apps, each a team with one or two virtual keys, their budgets and policies, and the
 * traffic each one sends (models, dialect, sizes, tags). The same definitions drive the live traffic generator
 * and the backfilled history, so the charts of both tell one story.
 */
import type { PolicyConfig } from '../config/schema.js';

/** The data class that keeps a request on the company's own hardware. */
export const ON_PREM_CLASS = 'on-prem';

/** The config's policies (read-only at run time), named by teams and keys below. */
export const DEMO_POLICIES: Readonly<Record<string, PolicyConfig>> = {
  // Data stays in the EU, and no model of Chinese origin.
  'eu-only': { denyOrigins: ['CN'], allowJurisdictions: ['EU'] },
  // Any model, but inference never runs in China.
  'no-cn-hosting': { denyJurisdictions: ['CN'] },
  'open-weights': { openWeightsOnly: true },
};

/** Least restrictive first, as docs/sovereignty.md requires. */
export const DEMO_DATA_CLASSES: Readonly<Record<string, PolicyConfig>> = {
  standard: {},
  [ON_PREM_CLASS]: { selfHostedOnly: true },
};

export interface Budget {
  usd: number;
  period: 'day' | 'month' | 'total';
}

export interface KeySpec {
  name: string;
  budget?: Budget;
  limits?: { rpm?: number; tpm?: number };
  policy?: string;
  minDataClass?: string;
  /** This key's share of its app's requests. */
  share: number;
  /** Spend tag added to every request of the key. */
  envTag: string;
}

export interface ModelChoice {
  /** Canonical catalogue id. */
  model: string;
  weight: number;
  /** OpenRouter-style `models` (Chat Completions only): tried when every host of `model` fails or is refused. */
  fallbacks?: string[];
}

export interface DemoApp {
  name: string;
  team: { name: string; budget?: Budget; policy?: string };
  keys: KeySpec[];
  /** `messages`: the Anthropic dialect (`POST /v1/messages`); `chat`: OpenAI's. */
  route: 'chat' | 'messages';
  /** This app's share of all requests. */
  share: number;
  streamShare: number;
  models: ModelChoice[];
  /** Feature tags; each request carries one. */
  features: string[];
  promptWords: [number, number];
  outputTokens: [number, number];
  maxTokens: number;
  /** Some requests of an app that otherwise uses the cloud carry personal data: they ask for the on-prem class. */
  onPrem?: { share: number; models: string[] };
}

export const DEMO_APPS: readonly DemoApp[] = [
  {
    name: 'support-bot',
    team: { name: 'customer-support', budget: { usd: 300, period: 'month' } },
    keys: [
      { name: 'support-bot-prod', budget: { usd: 250, period: 'month' }, limits: { rpm: 1200 }, policy: 'open-weights', share: 0.85, envTag: 'prod' },
      { name: 'support-bot-staging', budget: { usd: 5, period: 'day' }, limits: { rpm: 120 }, share: 0.15, envTag: 'staging' },
    ],
    route: 'chat',
    share: 0.35,
    streamShare: 0.3,
    models: [
      { model: 'deepseek/deepseek-v3.2', weight: 30, fallbacks: ['qwen/qwen3-235b-a22b'] },
      { model: 'qwen/qwen3-235b-a22b', weight: 20, fallbacks: ['z-ai/glm-4.6'] },
      { model: 'z-ai/glm-4.6', weight: 10 },
      { model: 'minimax/minimax-m2', weight: 10, fallbacks: ['deepseek/deepseek-v3.2'] },
      { model: 'moonshotai/kimi-k2-0905', weight: 10 },
      { model: 'qwen/qwen3-30b-a3b', weight: 15 },
    ],
    features: ['ticket-triage', 'reply-draft', 'summaries'],
    promptWords: [40, 900],
    outputTokens: [20, 300],
    maxTokens: 1024,
    onPrem: { share: 0.08, models: ['qwen/qwen3-30b-a3b'] },
  },
  {
    name: 'code-assistant',
    team: { name: 'platform', budget: { usd: 500, period: 'month' } },
    keys: [
      { name: 'ide-plugin', budget: { usd: 400, period: 'month' }, limits: { rpm: 600 }, share: 0.7, envTag: 'ide' },
      { name: 'ci-reviewer', budget: { usd: 20, period: 'day' }, share: 0.3, envTag: 'ci' },
    ],
    route: 'messages',
    share: 0.25,
    streamShare: 0.6,
    models: [
      { model: 'anthropic/claude-sonnet-4.5', weight: 35 },
      { model: 'anthropic/claude-haiku-4.5', weight: 15 },
      { model: 'moonshotai/kimi-k2-0905', weight: 20 },
      { model: 'z-ai/glm-4.6', weight: 15 },
      { model: 'qwen/qwen3-coder', weight: 15 },
    ],
    features: ['completion', 'code-review', 'refactor'],
    promptWords: [150, 2500],
    outputTokens: [30, 500],
    maxTokens: 2048,
  },
  {
    name: 'research-lab',
    team: { name: 'research', budget: { usd: 60, period: 'day' }, policy: 'no-cn-hosting' },
    keys: [{ name: 'research-notebooks', budget: { usd: 50, period: 'day' }, share: 1, envTag: 'notebooks' }],
    route: 'chat',
    share: 0.15,
    streamShare: 0.2,
    models: [
      { model: 'openai/gpt-5', weight: 20, fallbacks: ['google/gemini-2.5-pro'] },
      { model: 'openai/gpt-5-mini', weight: 15 },
      { model: 'google/gemini-2.5-pro', weight: 15 },
      { model: 'google/gemini-2.5-flash', weight: 20 },
      // Moonshot runs in China, so this policy sends Kimi to its US hosts.
      { model: 'moonshotai/kimi-k2-0905', weight: 15 },
      { model: 'openai/gpt-oss-120b', weight: 15 },
    ],
    features: ['evals', 'literature'],
    promptWords: [80, 1500],
    outputTokens: [40, 400],
    maxTokens: 2048,
  },
  {
    name: 'eu-analytics',
    team: { name: 'analytics-eu', budget: { usd: 100, period: 'month' }, policy: 'eu-only' },
    keys: [
      { name: 'eu-reporting', budget: { usd: 80, period: 'month' }, share: 0.6, envTag: 'reports' },
      { name: 'eu-dashboards', budget: { usd: 3, period: 'day' }, share: 0.4, envTag: 'dashboards' },
    ],
    route: 'chat',
    share: 0.15,
    streamShare: 0.15,
    models: [
      { model: 'mistralai/mistral-large-2512', weight: 30 },
      { model: 'mistralai/mistral-small-3.2-24b-instruct', weight: 30 },
      { model: 'mistralai/mistral-medium-3.1', weight: 20 },
      // gpt-oss-20b runs only on the company's own (German) hardware under this policy.
      { model: 'openai/gpt-oss-20b', weight: 10 },
      // Asked for by habit; the policy refuses DeepSeek and the fallback answers: the decision record shows why.
      { model: 'deepseek/deepseek-v3.2', weight: 10, fallbacks: ['mistralai/mistral-large-2512'] },
    ],
    features: ['reporting', 'sql-explain'],
    promptWords: [100, 1200],
    outputTokens: [40, 350],
    maxTokens: 1024,
  },
  {
    name: 'hr-assistant',
    team: { name: 'people-ops', budget: { usd: 50, period: 'month' } },
    keys: [{ name: 'hr-assistant', minDataClass: ON_PREM_CLASS, limits: { rpm: 300 }, share: 1, envTag: 'internal' }],
    route: 'chat',
    share: 0.1,
    streamShare: 0.3,
    models: [
      { model: 'qwen/qwen3-30b-a3b', weight: 60 },
      { model: 'openai/gpt-oss-20b', weight: 40 },
    ],
    features: ['policy-qa', 'cv-screening'],
    promptWords: [60, 700],
    outputTokens: [30, 250],
    maxTokens: 1024,
  },
];

/** A virtual key the demo created, with what traffic and history need to act as it. */
export interface DemoKey {
  app: string;
  name: string;
  id: string;
  teamId: string;
  /** The `sk-sb-…` secret: held in memory for the traffic generator, printed once by the CLI for curl. */
  secret: string;
  spec: KeySpec;
}

/** The admin API, as the demo calls it. */
export type AdminCall = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>;

/** Creates every app's team and keys through the running gateway's admin API. */
export async function createTenants(admin: AdminCall, apps: readonly DemoApp[] = DEMO_APPS): Promise<DemoKey[]> {
  const keys: DemoKey[] = [];
  for (const app of apps) {
    const team = await admin<{ id: string }>('POST', '/admin/teams', app.team);
    for (const spec of app.keys) {
      const created = await admin<{ id: string; key: string }>('POST', '/admin/keys', {
        name: spec.name,
        team: team.id,
        ...(spec.budget ? { budget: spec.budget } : {}),
        ...(spec.limits ? { limits: spec.limits } : {}),
        ...(spec.policy ? { policy: spec.policy } : {}),
        ...(spec.minDataClass ? { minDataClass: spec.minDataClass } : {}),
        metadata: { app: app.name, demo: true },
      });
      keys.push({ app: app.name, name: spec.name, id: created.id, teamId: team.id, secret: created.key, spec });
    }
  }
  return keys;
}

/** The policy layers a key's requests are held to (team, key, data class), by name, for the history's routing. */
export function policyLayers(app: DemoApp, key: KeySpec, dataClass: string | undefined): PolicyConfig[] {
  const layers: PolicyConfig[] = [];
  for (const name of [app.team.policy, key.policy]) if (name) layers.push(DEMO_POLICIES[name]!);
  if (dataClass) layers.push(DEMO_DATA_CLASSES[dataClass]!);
  return layers;
}

/** The stricter of the key's minimum class and the class a request asks for (classes are ordered least strict first). */
export function effectiveDataClass(key: KeySpec, requested: string | undefined): string | undefined {
  const order = Object.keys(DEMO_DATA_CLASSES);
  const rank = (name: string | undefined): number => (name === undefined ? -1 : order.indexOf(name));
  return rank(requested) >= rank(key.minDataClass) ? requested : key.minDataClass;
}
