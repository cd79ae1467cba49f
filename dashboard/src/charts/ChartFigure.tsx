import type { ReactNode } from 'react';
import { EChart } from './EChart';
import type { ChartOption } from './echarts';

interface Props {
  title: string;
  /** What the chart shows, in one sentence: the accessible name of the drawing. */
  summary: string;
  option: ChartOption;
  height?: number;
  /** The same figures as a table, for screen readers and for reading exact values. */
  table: ReactNode;
}

/** A titled chart with a one-line summary as its accessible name and its data as a table underneath. */
export function ChartFigure({ title, summary, option, height, table }: Props) {
  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <div role="img" aria-label={`${title}: ${summary}`}>
        <EChart option={option} height={height} />
      </div>
      <details className="chart-data">
        <summary>Data: {title}</summary>
        {table}
      </details>
    </figure>
  );
}
