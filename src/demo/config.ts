/**
 * The gateway's configuration for the demo, built in memory and validated like a file: loopback only, SQLite in
 * the demo's data directory, the fleet on the simulator, the apps' policies and data classes, and aliases and
 * substitutes so the routing and drill pages have something to show.
 */
import { parseConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { DEMO_DATA_CLASSES, DEMO_POLICIES } from './apps.js';
import { fleetProviders } from './fleet.js';

/** The variable the generated config names for the admin key; its value lives only in the env map. */
export const ADMIN_KEY_ENV = 'SWITCHBOARD_ADMIN_KEY';

export interface DemoConfigOptions {
  simUrl: string;
  /** Absolute path of the SQLite file. */
  databaseFile: string;
  port: number;
  env: NodeJS.ProcessEnv;
}

export function demoConfig(options: DemoConfigOptions): Config {
  const raw: ConfigInput = {
    server: { host: '127.0.0.1', port: options.port, shutdownGraceMs: 2000, logLevel: 'warn' },
    auth: 'keys',
    storage: { database: `sqlite://${options.databaseFile}` },
    admin: { apiKeyEnv: ADMIN_KEY_ENV },
    ledger: { baseline: 'anthropic/claude-sonnet-4.5' },
    routing: {
      aliases: {
        fast: ['qwen/qwen3-30b-a3b', 'openai/gpt-oss-20b'],
        frontier: ['anthropic/claude-sonnet-4.5', 'openai/gpt-5'],
      },
      substitutes: {
        'deepseek/deepseek-v3.2': ['qwen/qwen3-235b-a22b', 'mistralai/mistral-large-2512'],
        'minimax/minimax-m2': ['z-ai/glm-4.6', 'openai/gpt-oss-120b'],
        'anthropic/claude-sonnet-4.5': ['moonshotai/kimi-k2-0905', 'openai/gpt-5'],
      },
    },
    providers: fleetProviders(options.simUrl),
    policies: structuredClone(DEMO_POLICIES) as Record<string, NonNullable<ConfigInput['policies']>[string]>,
    dataClasses: structuredClone(DEMO_DATA_CLASSES) as Record<string, NonNullable<ConfigInput['dataClasses']>[string]>,
  };
  return parseConfig(raw, 'switchboard demo', options.env);
}
