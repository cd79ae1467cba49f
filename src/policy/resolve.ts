import { GatewayError } from '../canonical/errors.js';
import type { Principal } from '../tenancy/service.js';
import type { EffectivePolicy, LayerScope, Policy, PolicyLayer } from './types.js';

/** The request header that chooses a data class. */
export const DATA_CLASS_HEADER = 'x-switchboard-data-class';

/**
 * Data classes are ordered by their position under `dataClasses` in the config file, from the least restrictive
 * (first) to the most restrictive (last). A key's `minDataClass` and the request's header each name a class; the
 * request gets the later of the two in that order, so a header can raise a key's class but never lower it.
 */
export function dataClassRank(dataClasses: Readonly<Record<string, Policy>>, name: string): number {
  return Object.keys(dataClasses).indexOf(name);
}

export function chooseDataClass(
  dataClasses: Readonly<Record<string, Policy>>,
  header: string | readonly string[] | undefined,
  keyMinimum: string | undefined,
): { name: string; rules: Policy } | undefined {
  let requested: string | undefined;
  if (header !== undefined) {
    if (Array.isArray(header)) throw new GatewayError('invalid_request', `send ${DATA_CLASS_HEADER} once`, { param: DATA_CLASS_HEADER });
    const value = (header as string).trim();
    if (value !== '') {
      if (!Object.hasOwn(dataClasses, value)) {
        const known = Object.keys(dataClasses);
        throw new GatewayError('invalid_request', `unknown data class '${value}' in ${DATA_CLASS_HEADER} (known: ${known.length > 0 ? known.join(', ') : 'none configured'})`, {
          param: DATA_CLASS_HEADER,
        });
      }
      requested = value;
    }
  }
  if (keyMinimum !== undefined && !Object.hasOwn(dataClasses, keyMinimum)) {
    // A key bound to a class the config no longer defines fails closed rather than running unrestricted.
    throw new GatewayError('policy_denied', `this key's minimum data class '${keyMinimum}' is not configured; its requests are refused until it is`);
  }
  const candidates = [requested, keyMinimum].filter((c): c is string => c !== undefined);
  if (candidates.length === 0) return undefined;
  const chosen = candidates.reduce((a, b) => (dataClassRank(dataClasses, b) > dataClassRank(dataClasses, a) ? b : a));
  return { name: chosen, rules: dataClasses[chosen]! };
}

export interface ResolveInput {
  /** `routing.defaultPolicy`. */
  defaultPolicy: string | null;
  dataClasses: Readonly<Record<string, Policy>>;
  /** Looks a policy up by name: the config's first, then the database's. */
  lookup: (name: string) => Policy | undefined;
  principal: Principal;
  /** The raw `x-switchboard-data-class` header. */
  dataClassHeader?: string | readonly string[];
}

/**
 * The layers a request is under, outermost first: the global default, the key's team, the key, the data class.
 * A policy name that resolves to nothing (deleted while still attached) fails closed with 403, naming only the
 * caller's own attachment.
 */
export function resolveEffectivePolicy(input: ResolveInput): EffectivePolicy {
  const layers: PolicyLayer[] = [];
  const add = (scope: LayerScope, name: string | null | undefined) => {
    if (!name) return;
    const rules = input.lookup(name);
    if (!rules) {
      const owner = scope === 'global' ? 'the gateway (routing.defaultPolicy)' : scope === 'team' ? "this key's team" : 'this key';
      throw new GatewayError('policy_denied', `policy '${name}' attached to ${owner} is not defined; requests are refused until it is`);
    }
    layers.push({ scope, name, rules });
  };
  add('global', input.defaultPolicy);
  const principal = input.principal;
  if (principal.kind === 'key') {
    add('team', principal.team?.policy);
    add('key', principal.key.policy);
  }
  const dataClass = chooseDataClass(input.dataClasses, input.dataClassHeader, principal.kind === 'key' ? principal.key.minDataClass : undefined);
  if (dataClass) layers.push({ scope: 'data-class', name: dataClass.name, rules: dataClass.rules });
  return { layers };
}
