import { useEffect, useRef } from 'react';
import { echarts, type ChartOption } from './echarts';

interface Props {
  option: ChartOption;
  height?: number;
}

/** One ECharts instance bound to a div: it follows the div's size and is disposed with the component. */
export function EChart({ option, height = 260 }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    const instance = echarts.init(element, undefined, { renderer: 'svg' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={container} className="chart-canvas" style={{ height }} />;
}
