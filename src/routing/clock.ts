/**
 * Time for the routing layer: milliseconds from some origin. Injected everywhere time matters (health, breakers,
 * cooldowns) so that tests move it by hand instead of sleeping, and so that no module keeps a timer.
 */
export type Clock = () => number;

/**
 * The wall clock, in milliseconds since the epoch: what the gateway uses outside tests, so that the instants
 * in health snapshots (`openUntil`, `cooldownUntil`) read as dates on the dashboard and in decision records.
 */
export const systemClock: Clock = () => Date.now();
