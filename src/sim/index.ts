/** The provider simulator: a deterministic, fault-injecting fake of upstream LLM APIs on loopback. */
export { startSimulator, type Simulator, type SimulatorOptions } from './server.js';
export { runSimCommand } from './cli.js';
export { FAULTS, type Fault, type Scenario } from './scenario.js';
export type { RecordedRequest } from './request-log.js';
