// ECharts, only the parts the cockpit uses (tree-shaken), drawn as SVG: crisp on a large screen, and
// its labels are text a script can read. Loaded on demand by the cockpit page.
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use, type EChartsType } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** A chart in el, given its option; update replaces the option, resize follows the element. */
export function chart(el: HTMLElement): { set(option: object): void; resize(): void; dispose(): void } {
  const c: EChartsType = init(el, undefined, { renderer: 'svg' });
  return {
    set: (o) => c.setOption(o as Record<string, unknown>, { notMerge: true }),
    resize: () => c.resize(),
    dispose: () => c.dispose(),
  };
}
