import { formatCompact, formatInt, formatUsd } from '../lib/format';
import type { ShareSeries } from '../lib/series';
import type { ChartOption } from './echarts';
import { shareLegendFormatter } from './legend';
import { AXIS_TEXT, GRID_LINE, PALETTE } from './palette';

/** The ECharts options of the Overview page, built from series already aligned on their buckets. */

const axisLabel = { color: AXIS_TEXT };
const splitLine = { lineStyle: { color: GRID_LINE } };
const grid = { left: 64, right: 64, top: 40, bottom: 36 };
const legend = { top: 0, textStyle: { color: AXIS_TEXT } };

const usdAxisLabel = (value: number) => formatUsd(value);

export function spendOption(labels: string[], costUsd: number[], baselineCostUsd: number[]): ChartOption {
  return {
    color: [PALETTE[0]!, PALETTE[7]!],
    grid,
    legend,
    tooltip: { trigger: 'axis', valueFormatter: (v) => formatUsd(Number(v)) },
    xAxis: { type: 'category', data: labels, axisLabel },
    yAxis: { type: 'value', axisLabel: { ...axisLabel, formatter: usdAxisLabel }, splitLine },
    series: [
      { name: 'Spend', type: 'line', data: costUsd, showSymbol: false, areaStyle: { opacity: 0.12 } },
      { name: 'Baseline cost', type: 'line', data: baselineCostUsd, showSymbol: false, lineStyle: { type: 'dashed' } },
    ],
  };
}

export function trafficOption(labels: string[], requests: number[], tokens: number[]): ChartOption {
  return {
    color: [PALETTE[0]!, PALETTE[1]!],
    grid,
    legend,
    tooltip: { trigger: 'axis', valueFormatter: (v) => formatInt(Number(v)) },
    xAxis: { type: 'category', data: labels, axisLabel },
    yAxis: [
      { type: 'value', name: 'Requests', axisLabel: { ...axisLabel, formatter: (v: number) => formatCompact(v) }, splitLine },
      { type: 'value', name: 'Tokens', axisLabel: { ...axisLabel, formatter: (v: number) => formatCompact(v) }, splitLine: { show: false } },
    ],
    series: [
      { name: 'Requests', type: 'bar', data: requests, yAxisIndex: 0, barMaxWidth: 18 },
      { name: 'Tokens', type: 'line', data: tokens, yAxisIndex: 1, showSymbol: false },
    ],
  };
}

/** Each group's share of the tokens per bucket, stacked to 100%. */
export function shareOption(labels: string[], series: ShareSeries): ChartOption {
  return {
    color: PALETTE,
    grid,
    legend: { ...legend, type: 'scroll' },
    tooltip: { trigger: 'axis', valueFormatter: (v) => `${Number(v).toFixed(1)}%` },
    xAxis: { type: 'category', data: labels, axisLabel, boundaryGap: false },
    yAxis: { type: 'value', max: 100, axisLabel: { ...axisLabel, formatter: '{value}%' }, splitLine },
    series: series.groups.map((name, i) => ({
      name,
      type: 'line' as const,
      stack: 'share',
      areaStyle: {},
      showSymbol: false,
      lineStyle: { width: 1 },
      data: series.shares[i]!.map((s) => Math.round(s * 1000) / 10),
    })),
  };
}

export function donutOption(items: { name: string; value: number }[]): ChartOption {
  return {
    color: [PALETTE[2]!, PALETTE[3]!, PALETTE[7]!],
    legend: { ...legend, bottom: 0, top: undefined, formatter: shareLegendFormatter(items) },
    tooltip: { trigger: 'item', formatter: (p) => { const item = p as { name: string; value: number; percent: number }; return `${item.name}: ${formatCompact(item.value)} tokens (${item.percent}%)`; } },
    series: [{ type: 'pie', radius: ['45%', '70%'], center: ['50%', '45%'], data: items, label: { show: false } }],
  };
}

export function topModelsOption(names: string[], values: number[], format: (v: number) => string): ChartOption {
  // Largest at the top: a horizontal bar chart draws its first category at the bottom.
  return {
    color: [PALETTE[0]!],
    grid: { left: 200, right: 72, top: 8, bottom: 24 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => format(Number(v)) },
    xAxis: { type: 'value', axisLabel: { ...axisLabel, formatter: (v: number) => format(v) }, splitLine },
    yAxis: { type: 'category', data: [...names].reverse(), axisLabel: { ...axisLabel, width: 190, overflow: 'truncate' } },
    series: [{ type: 'bar', data: [...values].reverse(), barMaxWidth: 18, label: { show: true, position: 'right', formatter: (p) => format(Number((p as { value: number }).value)), color: AXIS_TEXT } }],
  };
}
