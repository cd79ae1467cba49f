import { EU_MEMBERS, matchesCountry } from '../catalog/regions.js';
import type { HostRoute, ModelInfo } from '../catalog/types.js';
import type { EffectivePolicy, Policy, PolicyLayer, PolicyViolation } from './types.js';

/**
 * The policy rules, as one pure function of a model, one of its hosts and the request's effective policy. The
 * planner calls it for every candidate host; the exit drill calls it to find where traffic could go instead.
 *
 * Unknown facts never pass a rule that needs them: an allow-list (origins, jurisdictions, licences) refuses a model
 * or host whose fact is unknown, `openWeightsOnly` refuses weights of unknown openness, `noTrainingOnPrompts` a
 * provider whose training policy is unknown. A deny-list refuses what it names, and, conservatively, a host whose
 * jurisdiction is recorded only as `EU` when it names a member state ("somewhere in the EU" may be that state).
 * Models of unknown origin pass `denyOrigins` unless `denyUnknownOrigin` is set.
 */

/** Whether a known country satisfies an allow-list (`EU` in the list matches every member state). */
function allowedBy(list: readonly string[], code: string): boolean {
  return list.some((rule) => matchesCountry(rule, code));
}

/** Whether a deny-list may name this country; a fact recorded as `EU` is denied by any member state in the list. */
function deniedBy(list: readonly string[], code: string): boolean {
  const c = code.trim().toUpperCase();
  return list.some((rule) => matchesCountry(rule, c) || (c === 'EU' && EU_MEMBERS.has(rule.trim().toUpperCase())));
}

/** A model pattern: a canonical id or alias (case-insensitive), or `author/*` for every model of an author. */
export function modelMatches(pattern: string, model: Pick<ModelInfo, 'id' | 'aliases'>): boolean {
  const p = pattern.trim().toLowerCase();
  if (p.endsWith('/*')) return model.id.toLowerCase().startsWith(p.slice(0, -1));
  if (model.id.toLowerCase() === p) return true;
  return model.aliases.some((a) => a.toLowerCase() === p);
}

function usdPerMillion(micro: number): string {
  return String(micro / 1e6);
}

/** The first rule of one policy that the host breaks: [rule key, description], or undefined. */
export function ruleProblem(model: ModelInfo, host: HostRoute, rules: Policy): [string, string] | undefined {
  const origin = model.origin;
  const provider = host.provider;
  const jurisdiction = provider.jurisdiction;

  if (origin === undefined && rules.denyUnknownOrigin) return ['denyUnknownOrigin', 'models of unknown origin are denied'];
  if (rules.allowOrigins) {
    if (origin === undefined) return ['allowOrigins', 'the model origin is unknown, and only listed origins are allowed'];
    if (!allowedBy(rules.allowOrigins, origin)) return ['allowOrigins', `model origin ${origin} is not allowed`];
  }
  if (rules.denyOrigins && origin !== undefined && deniedBy(rules.denyOrigins, origin)) return ['denyOrigins', `model origin ${origin} is denied`];

  if (rules.allowJurisdictions) {
    if (jurisdiction === undefined) return ['allowJurisdictions', 'the inference jurisdiction is unknown, and only listed jurisdictions are allowed'];
    if (!allowedBy(rules.allowJurisdictions, jurisdiction)) return ['allowJurisdictions', `inference jurisdiction ${jurisdiction} is not allowed`];
  }
  if (rules.denyJurisdictions && jurisdiction !== undefined && deniedBy(rules.denyJurisdictions, jurisdiction)) {
    return ['denyJurisdictions', `inference jurisdiction ${jurisdiction} is denied`];
  }

  if (rules.openWeightsOnly && model.openWeights !== true) {
    return ['openWeightsOnly', model.openWeights === false ? 'the model is not open-weight' : 'whether the model is open-weight is unknown'];
  }
  if (rules.allowLicenses) {
    const license = model.license;
    if (license === undefined) return ['allowLicenses', 'the model licence is unknown, and only listed licences are allowed'];
    if (!rules.allowLicenses.some((l) => l.trim().toLowerCase() === license.toLowerCase())) return ['allowLicenses', `licence ${license} is not allowed`];
  }

  if (rules.selfHostedOnly && !provider.selfHosted) return ['selfHostedOnly', `provider ${provider.id} is not self-hosted`];
  if (rules.zeroDataRetention && !provider.selfHosted && provider.dataRetentionDays !== 0) {
    return ['zeroDataRetention', provider.dataRetentionDays === undefined ? `provider ${provider.id} does not promise zero data retention` : `provider ${provider.id} retains data for ${provider.dataRetentionDays} days`];
  }
  if (rules.noTrainingOnPrompts && !provider.selfHosted && provider.trainsOnPrompts !== false) {
    return ['noTrainingOnPrompts', provider.trainsOnPrompts ? `provider ${provider.id} trains on prompts` : `provider ${provider.id} does not promise not to train on prompts`];
  }

  if (rules.allowModels && !rules.allowModels.some((p) => modelMatches(p, model))) return ['allowModels', `model ${model.id} is not allowed`];
  if (rules.denyModels && rules.denyModels.some((p) => modelMatches(p, model))) return ['denyModels', `model ${model.id} is denied`];
  if (rules.allowProviders && !rules.allowProviders.includes(provider.id)) return ['allowProviders', `provider ${provider.id} is not allowed`];
  if (rules.denyProviders && rules.denyProviders.includes(provider.id)) return ['denyProviders', `provider ${provider.id} is denied`];

  const max = rules.maxPricePerMillion;
  if (max && (max.prompt !== undefined || max.completion !== undefined)) {
    const p = host.pricing;
    if (!p) return ['maxPricePerMillion', `provider ${provider.id} is unpriced for this model, and a maximum price is set`];
    if (max.prompt !== undefined && p.input > Math.round(max.prompt * 1e6)) {
      return ['maxPricePerMillion.prompt', `input price ${usdPerMillion(p.input)} USD/M exceeds ${max.prompt}`];
    }
    if (max.completion !== undefined && p.output > Math.round(max.completion * 1e6)) {
      return ['maxPricePerMillion.completion', `output price ${usdPerMillion(p.output)} USD/M exceeds ${max.completion}`];
    }
  }
  return undefined;
}

export function layerLabel(layer: PolicyLayer): string {
  return layer.scope === 'data-class' ? `data class ${layer.name}` : `policy ${layer.name}`;
}

/**
 * Whether the effective policy lets this model run on this host: undefined when every layer allows it, else the
 * first layer and rule it breaks, e.g. `policy no-cn: model origin CN is denied (denyOrigins)`. Pure.
 */
export function policyProblem(model: ModelInfo, host: HostRoute, effective: EffectivePolicy | undefined): PolicyViolation | undefined {
  if (!effective) return undefined;
  for (const layer of effective.layers) {
    const problem = ruleProblem(model, host, layer.rules);
    if (problem) {
      const label = layerLabel(layer);
      return { layer: label, rule: problem[0], reason: `${label}: ${problem[1]} (${problem[0]})` };
    }
  }
  return undefined;
}

/** Whether a zero-priced host may still serve a key whose budget is spent: only if no layer says otherwise. */
export function freeOverBudgetAllowed(effective: EffectivePolicy | undefined): boolean {
  return !effective || effective.layers.every((l) => l.rules.allowZeroPriceOverBudget !== false);
}
