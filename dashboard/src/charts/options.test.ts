import { describe, expect, it } from 'vitest';
import type { ConcentrationRow } from '../lib/api-types';
import { concentrationNames, concentrationOption } from './drill-options';
import { shareLegendFormatter } from './legend';
import { shareOption, topModelsOption } from './overview-options';

const row = (name: string, tokenShare: number): ConcentrationRow => ({ name, requests: 0, requestShare: 0, tokens: 0, tokenShare, costUsd: 0, costShare: 0, flagged: false });

type Bars = { name?: string; data: number[]; markLine?: { data: { xAxis: number }[] } }[];

describe('chart options', () => {
  it('lines up recorded and after-removal shares on the same names, new names last, largest on top', () => {
    const before = [row('CN', 0.7), row('US', 0.3)];
    const after = [row('US', 0.8), row('FR', 0.2)];
    expect(concentrationNames(before, after)).toEqual(['CN', 'US', 'FR']);
    const option = concentrationOption(before, after, 'tokenShare', 0.5);
    // A horizontal bar chart draws its first category at the bottom: the order is reversed.
    expect((option.yAxis as { data: string[] }).data).toEqual(['FR', 'US', 'CN']);
    const [recorded, removed] = option.series as Bars;
    expect(recorded!.data).toEqual([0, 30, 70]);
    expect(removed!.data).toEqual([20, 80, 0]);
    expect(recorded!.markLine!.data[0]!.xAxis).toBe(50);
  });

  it('stacks origin shares as percentages, one series per group', () => {
    const option = shareOption(['a', 'b'], { groups: ['CN', 'US'], shares: [[0.25, 1], [0.75, 0]] });
    const series = option.series as (Bars[number] & { stack: string })[];
    expect(series.map((s) => [s.name, s.stack, s.data])).toEqual([
      ['CN', 'share', [25, 100]],
      ['US', 'share', [75, 0]],
    ]);
  });

  it('puts the largest model on top of the bar chart', () => {
    const option = topModelsOption(['big', 'small'], [10, 1], String);
    expect((option.yAxis as { data: string[] }).data).toEqual(['small', 'big']);
    expect((option.series as Bars)[0]!.data).toEqual([1, 10]);
  });

  it('writes each slice\'s share into the legend', () => {
    const legend = shareLegendFormatter([
      { name: 'Open weights', value: 3 },
      { name: 'Closed', value: 1 },
    ]);
    expect(legend('Open weights')).toBe('Open weights 75.0%');
    expect(legend('Closed')).toBe('Closed 25.0%');
    expect(shareLegendFormatter([{ name: 'none', value: 0 }])('none')).toBe('none');
  });
});
