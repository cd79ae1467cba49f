import OpenAI from 'openai';
import { Writable } from 'node:stream';
import { parseConfigText } from '../../src/config/load.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { miniCatalogue } from './catalogue.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

export const SIM_KEY = 'sk-sim-upstream-secret-0123456789';

export interface Stack {
  sim: Simulator;
  gateway: Gateway;
  client: OpenAI;
  url: string;
  /** Every log line the gateway wrote, for checks that no secret leaks. */
  logs: string[];
  close(): Promise<void>;
}

export interface StackOptions {
  /** YAML appended to the generated config; `{{SIM}}` is replaced by the simulator's URL. */
  yaml?: string;
  /** Replaces the default provider section entirely. */
  providersYaml?: string;
  env?: Record<string, string>;
  sim?: SimulatorOptions;
  /** storage.database; default an in-memory SQLite database. */
  database?: string;
}

export function defaultProvidersYaml(): string {
  return `providers:
  sim:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    jurisdiction: US
    timeouts: { connectMs: 1000, firstTokenMs: 3000, idleMs: 2000, totalMs: 10000 }
    models:
      test/model: sim-model
      test/reasoner: deepseek-reasoner
      test/priced: { name: sim-priced, pricing: { prompt: 0.0000002, completion: 0.0000008, cachedPrompt: 0.00000005 } }
      test/embed: sim-embed
`;
}

/** Starts a simulator and a gateway in front of it, in this process, on ephemeral loopback ports. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator({ requireAuth: true, ...options.sim });
  const storage = options.yaml?.includes('storage:') ? '' : `storage: { database: "${options.database ?? 'sqlite::memory:'}" }\n`;
  const yaml = `${(options.providersYaml ?? defaultProvidersYaml())}\n${storage}${options.yaml ?? ''}`.replaceAll('{{SIM}}', sim.url);
  const env = { SIM_API_KEY: SIM_KEY, ...options.env };
  const config = parseConfigText(yaml, 'test', env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const gateway = await startGateway({ config, env, port: 0, logger, catalogue: miniCatalogue() });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: options.env?.SWITCHBOARD_ADMIN_KEY ?? 'unused-on-loopback', maxRetries: 0, timeout: 15_000 });
  return {
    sim,
    gateway,
    client,
    url: gateway.url,
    logs,
    async close() {
      await gateway.close(1000);
      await sim.close();
    },
  };
}

/** A user message carrying a simulator directive. */
export function simSays(text: string, scenario: Record<string, unknown>): string {
  return `${text} #sim${JSON.stringify(scenario)}`;
}
