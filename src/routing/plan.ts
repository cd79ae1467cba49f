/** Compatibility re-exports: the planner lives in planner.ts. */
export { hostKey, noRouteError, planRoute, type Aliases, type Exclusion, type HealthView, type PlanEnvironment, type PlanInput, type PlannedAttempt, type RoutePlan } from './planner.js';
