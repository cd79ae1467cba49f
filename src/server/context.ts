import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { Executor } from '../routing/execute.js';
import type { HealthView } from '../routing/planner.js';
import type { AuthSettings } from './auth.js';
import type { Redactor } from '../util/redact.js';
import type { Accounting } from './accounting.js';
import type { TenancyService } from '../tenancy/service.js';
import type { SovereigntyService } from '../policy/service.js';

/** Everything a route needs, built once by the composition root. */
export interface GatewayContext {
  config: Config;
  registry: ModelRegistry;
  executor: Executor;
  auth: AuthSettings;
  logger: Logger;
  redactor: Redactor;
  accounting: Accounting;
  /** Host health for the planner; absent in tests that do not exercise it. */
  health?: HealthView;
  /** Keys, budgets and rate limits; absent only in tests of the bare pipeline. */
  tenancy?: TenancyService;
  /** Policies, data classes, blocks, the audit log and exit drills; absent only in tests of the bare pipeline. */
  sovereignty?: SovereigntyService;
  /** Health of the stores behind the gateway, for /ready (a blip stays healthy, a sustained outage does not). */
  readiness?: () => { name: string; healthy: boolean; status: string }[];
  /** True once SIGTERM arrived: new requests are refused, in-flight ones finish. */
  draining: () => boolean;
}
