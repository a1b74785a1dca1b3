// A sensor's readings as a small time chart (uPlot). Loaded on demand, when a sensor's card first
// opens, so the first view does not carry it.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { iconFont } from './livesymbols';

/** GET /live/observations/{sensor}: readings, or bucket means with their min and max. */
export interface Series {
  sensor: string;
  name: string;
  unit?: string;
  bucket?: string;
  points: { time: string; value: number; min: number; max: number; count: number }[];
}

export interface ChartOptions {
  width: number;
  height: number;
  colour: string;
  /** the y axis' label (the unit) */
  label?: string;
}

/** uPlot's columns: times (s), values and, when downsampled, each bucket's min and max. */
export function columns(s: Series): number[][] {
  const t = s.points.map((p) => Date.parse(p.time) / 1000);
  const v = s.points.map((p) => p.value);
  if (!s.bucket) return [t, v];
  return [t, v, s.points.map((p) => p.min), s.points.map((p) => p.max)];
}

/** A time (s) as HH:mm on the browser's clock. */
export function clock(s: number): string {
  const d = new Date(s * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Draws the series into el; destroy() removes it. */
export function drawChart(el: HTMLElement, s: Series, o: ChartOptions): { destroy(): void } {
  const font = `11px ${iconFont}`;
  const axis = { font, stroke: '#6b7685', grid: { stroke: '#eef1f4', width: 1 }, ticks: { stroke: '#dfe3e8', width: 1 } };
  const band = o.colour + '26';
  const series: uPlot.Series[] = [
    {},
    { stroke: o.colour, width: 1.5, points: { show: s.points.length <= 60, size: 4, fill: o.colour }, spanGaps: false },
  ];
  if (s.bucket) series.push({ stroke: band, width: 0, points: { show: false } }, { stroke: band, width: 0, points: { show: false } });
  const plot = new uPlot(
    {
      width: o.width,
      height: o.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        // 24-hour clock times (uPlot's default is 6:00pm).
        { ...axis, space: 50, values: (_u: uPlot, splits: number[]) => splits.map((v) => clock(v)) },
        { ...axis, size: 44, space: 24, label: o.label, labelFont: font, labelSize: 14 },
      ],
      series,
      bands: s.bucket ? [{ series: [3, 2], fill: band }] : undefined,
    },
    columns(s) as uPlot.AlignedData,
    el,
  );
  return { destroy: () => plot.destroy() };
}
