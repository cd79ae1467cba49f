/**
 * The demo's provider fleet: one simulator profile per host, and the gateway's `providers` section that points
 * each catalogue provider at its profile. Provider ids are the catalogue's, so models and prices come from the
 * catalogue; only the self-hosted vLLM, which the catalogue cannot know, declares its own models.
 *
 * Latencies are illustrative ballparks (fast inference chips answer first, frontier APIs think longer), not
 * measurements of any provider.
 */
import type { ConfigInput } from '../config/schema.js';
import type { Scenario } from '../sim/index.js';

export type FleetDialect = 'openai-compatible' | 'anthropic' | 'gemini';

/** How a host behaves in the simulator: the delay before its first byte, before its first token, and its pace. */
export interface Pace {
  latencyMs: number;
  ttftMs: number;
  tokensPerSecond: number;
}

/** An occasional failure, drawn per request with `faultRate`. */
export type HostFault =
  | { fault: 'status'; status: number; retryAfterSeconds?: number; faultRate: number }
  | { fault: 'cut'; afterChunks: number; faultRate: number };

export interface FleetHost {
  /** The provider id in the catalogue and the config; also the simulator profile (`/p/<id>/…`). */
  id: string;
  label: string;
  dialect: FleetDialect;
  pace: Pace;
  fault?: HostFault;
  /** Why this fault: shown in docs/demo.md's table and nowhere else. */
  faultNote?: string;
}

/** The self-hosted host's provider id. */
export const SELF_HOSTED_ID = 'vllm';
/** Where the company's own GPUs are (a Frankfurt rack, say): what `selfHostedOnly` and EU rules see. */
export const SELF_HOSTED_JURISDICTION = 'DE';

/** Every host of the demo, in the order docs/demo.md lists them. */
export const FLEET: readonly FleetHost[] = [
  { id: 'deepseek', label: 'DeepSeek', dialect: 'openai-compatible', pace: { latencyMs: 350, ttftMs: 900, tokensPerSecond: 35 }, fault: { fault: 'status', status: 503, faultRate: 0.04 }, faultNote: '4% 503 "server busy"' },
  { id: 'dashscope-intl', label: 'Qwen (DashScope intl)', dialect: 'openai-compatible', pace: { latencyMs: 250, ttftMs: 600, tokensPerSecond: 45 } },
  { id: 'moonshot', label: 'Moonshot (Kimi)', dialect: 'openai-compatible', pace: { latencyMs: 300, ttftMs: 700, tokensPerSecond: 40 } },
  { id: 'zai', label: 'Z.ai (GLM)', dialect: 'openai-compatible', pace: { latencyMs: 280, ttftMs: 650, tokensPerSecond: 50 } },
  { id: 'minimax', label: 'MiniMax', dialect: 'openai-compatible', pace: { latencyMs: 300, ttftMs: 800, tokensPerSecond: 45 }, fault: { fault: 'status', status: 500, faultRate: 0.02 }, faultNote: '2% 500' },
  { id: 'mistral', label: 'Mistral', dialect: 'openai-compatible', pace: { latencyMs: 150, ttftMs: 350, tokensPerSecond: 70 } },
  { id: 'together', label: 'Together AI', dialect: 'openai-compatible', pace: { latencyMs: 120, ttftMs: 300, tokensPerSecond: 90 }, fault: { fault: 'cut', afterChunks: 8, faultRate: 0.03 }, faultNote: '3% connection cut (after 8 tokens when streaming)' },
  { id: 'groq', label: 'Groq', dialect: 'openai-compatible', pace: { latencyMs: 60, ttftMs: 120, tokensPerSecond: 400 }, fault: { fault: 'status', status: 429, retryAfterSeconds: 1, faultRate: 0.05 }, faultNote: '5% 429 with retry-after 1 s' },
  { id: 'openai', label: 'OpenAI', dialect: 'openai-compatible', pace: { latencyMs: 200, ttftMs: 500, tokensPerSecond: 60 } },
  { id: 'anthropic', label: 'Anthropic', dialect: 'anthropic', pace: { latencyMs: 250, ttftMs: 700, tokensPerSecond: 55 } },
  { id: 'google', label: 'Google (Gemini API)', dialect: 'gemini', pace: { latencyMs: 180, ttftMs: 450, tokensPerSecond: 120 } },
  { id: SELF_HOSTED_ID, label: 'self-hosted vLLM', dialect: 'openai-compatible', pace: { latencyMs: 30, ttftMs: 150, tokensPerSecond: 60 } },
];

/**
 * What the self-hosted vLLM serves: catalogue models under the names vLLM gives them (the Hugging Face repo ids),
 * free because the hardware is already paid for.
 */
export const SELF_HOSTED_MODELS: Readonly<Record<string, string>> = {
  'qwen/qwen3-30b-a3b': 'Qwen/Qwen3-30B-A3B-Instruct-2507',
  'openai/gpt-oss-20b': 'openai/gpt-oss-20b',
};

/** The one variable that carries the (meaningless) upstream key every simulated host is sent. */
export const UPSTREAM_KEY_ENV = 'SWITCHBOARD_DEMO_UPSTREAM_KEY';

export function simProfile(host: FleetHost, faults: boolean): Partial<Scenario> {
  return { ...host.pace, ...(faults && host.fault ? host.fault : {}) };
}

/** The simulator's profiles, one per host. */
export function simProfiles(faults: boolean): Record<string, Partial<Scenario>> {
  return Object.fromEntries(FLEET.map((host) => [host.id, simProfile(host, faults)]));
}

/** The base URL each dialect's adapter expects, on the simulator's profile of the host. */
export function hostBaseURL(simUrl: string, host: FleetHost): string {
  const root = `${simUrl}/p/${encodeURIComponent(host.id)}`;
  // Anthropic's and Gemini's adapters add their own versioned paths; OpenAI-compatible base URLs end in /v1.
  return host.dialect === 'openai-compatible' ? `${root}/v1` : root;
}

type ProvidersInput = NonNullable<ConfigInput['providers']>;

/** The config's `providers`: catalogue providers by id on the simulator, plus the self-hosted vLLM. */
export function fleetProviders(simUrl: string): ProvidersInput {
  const providers: ProvidersInput = {};
  for (const host of FLEET) {
    if (host.id === SELF_HOSTED_ID) {
      providers[host.id] = {
        type: 'openai-compatible',
        baseURL: hostBaseURL(simUrl, host),
        selfHosted: true,
        jurisdiction: SELF_HOSTED_JURISDICTION,
        models: Object.fromEntries(
          Object.entries(SELF_HOSTED_MODELS).map(([id, name]) => [id, { name, prefill: true, pricing: { prompt: 0, completion: 0, cachedPrompt: 0 } }]),
        ),
      };
    } else {
      providers[host.id] = { baseURL: hostBaseURL(simUrl, host), apiKeyEnv: UPSTREAM_KEY_ENV };
    }
  }
  return providers;
}

export function fleetHost(id: string): FleetHost | undefined {
  return FLEET.find((host) => host.id === id);
}
