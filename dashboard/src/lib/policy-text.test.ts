import { describe, expect, it } from 'vitest';
import { describePolicy } from './policy-text';

describe('describePolicy', () => {
  it('puts each rule in words and keeps its key', () => {
    const lines = describePolicy({ denyOrigins: ['CN', 'RU'], openWeightsOnly: true, maxPricePerMillion: { prompt: 1, completion: 2.5 }, allowZeroPriceOverBudget: false });
    expect(lines).toEqual([
      { rule: 'denyOrigins', label: 'No models developed in', value: 'CN, RU' },
      { rule: 'openWeightsOnly', label: 'Open-weight models only', value: 'yes' },
      { rule: 'maxPricePerMillion', label: 'Price ceiling per million tokens', value: 'prompt ≤ $1, completion ≤ $2.5' },
      { rule: 'allowZeroPriceOverBudget', label: 'Zero-priced hosts usable over budget', value: 'no' },
    ]);
  });

  it('says an empty list is empty and an empty policy has no lines', () => {
    expect(describePolicy({ allowProviders: [] })).toEqual([{ rule: 'allowProviders', label: 'Only these providers', value: '(none)' }]);
    expect(describePolicy({})).toEqual([]);
  });
});
