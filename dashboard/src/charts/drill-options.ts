import type { ConcentrationRow } from '../lib/api-types';
import type { DrillSummary } from '../lib/drill-summary';
import { formatInt, formatUsd } from '../lib/format';
import type { ChartOption } from './echarts';
import { shareLegendFormatter } from './legend';
import { AXIS_TEXT, GRID_LINE, PALETTE } from './palette';

/** The ECharts options of the exit-drill report. */

export type ShareMetric = 'requestShare' | 'tokenShare' | 'costShare';

const axisLabel = { color: AXIS_TEXT };
const splitLine = { lineStyle: { color: GRID_LINE } };

/** Names of both concentrations, in the order of the recorded traffic (largest first), new names after. */
export function concentrationNames(before: readonly ConcentrationRow[], after: readonly ConcentrationRow[]): string[] {
  const names = before.map((r) => r.name);
  for (const r of after) if (!names.includes(r.name)) names.push(r.name);
  return names;
}

/** Each dependency's share before and after the removals, side by side. */
export function concentrationOption(before: readonly ConcentrationRow[], after: readonly ConcentrationRow[], metric: ShareMetric, threshold: number): ChartOption {
  const names = concentrationNames(before, after);
  const share = (rows: readonly ConcentrationRow[], name: string) => Math.round((rows.find((r) => r.name === name)?.[metric] ?? 0) * 1000) / 10;
  return {
    color: [PALETTE[0]!, PALETTE[1]!],
    grid: { left: 140, right: 48, top: 36, bottom: 28 },
    legend: { top: 0, textStyle: { color: AXIS_TEXT } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => `${Number(v).toFixed(1)}%` },
    xAxis: { type: 'value', max: 100, axisLabel: { ...axisLabel, formatter: '{value}%' }, splitLine },
    yAxis: { type: 'category', data: [...names].reverse(), axisLabel: { ...axisLabel, width: 130, overflow: 'truncate' } },
    series: [
      {
        name: 'Recorded',
        type: 'bar',
        data: [...names].reverse().map((n) => share(before, n)),
        barMaxWidth: 14,
        // The flag threshold as a line: a bar past it is a dependency the drill warns about.
        markLine: { symbol: 'none', silent: true, lineStyle: { color: PALETTE[3]!, type: 'dashed' }, label: { formatter: `threshold ${Math.round(threshold * 100)}%`, color: AXIS_TEXT }, data: [{ xAxis: threshold * 100 }] },
      },
      { name: 'After the removals', type: 'bar', data: [...names].reverse().map((n) => share(after, n)), barMaxWidth: 14 },
    ],
  };
}

export function outcomeOption(summary: DrillSummary): ChartOption {
  const data = [
    { name: 'Unaffected', value: summary.unaffectedRequests },
    { name: 'Rerouted', value: summary.reroutedRequests },
    { name: 'No route', value: summary.unroutableRequests },
  ];
  return {
    color: [PALETTE[7]!, PALETTE[0]!, PALETTE[3]!],
    legend: { bottom: 0, textStyle: { color: AXIS_TEXT }, formatter: shareLegendFormatter(data) },
    tooltip: { trigger: 'item', formatter: (p) => { const item = p as { name: string; value: number; percent: number }; return `${item.name}: ${formatInt(item.value)} requests (${item.percent}%)`; } },
    series: [
      {
        type: 'pie',
        radius: ['45%', '70%'],
        center: ['50%', '45%'],
        label: { show: false },
        data,
      },
    ],
  };
}

export function costOption(summary: DrillSummary): ChartOption {
  return {
    color: [PALETTE[0]!],
    grid: { left: 72, right: 24, top: 16, bottom: 28 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => formatUsd(Number(v)) },
    xAxis: { type: 'category', data: ['Recorded cost', 'Cost on new routes'], axisLabel },
    yAxis: { type: 'value', axisLabel: { ...axisLabel, formatter: (v: number) => formatUsd(v) }, splitLine },
    series: [
      {
        type: 'bar',
        barMaxWidth: 48,
        data: [summary.reroutedCostBeforeUsd, summary.reroutedCostAfterUsd],
        label: { show: true, position: 'top', formatter: (p) => formatUsd(Number((p as { value: number }).value)), color: AXIS_TEXT },
      },
    ],
  };
}
