import { describe, expect, it } from 'vitest';
import { translator } from '../i18n';
import type { Stats } from '../incidents';
import { hoursOption, stagesOption, statesOption } from './options';

const st: Stats = {
  at: '2026-12-05T08:00:00Z',
  types: ['forest_fire'],
  by_state: { reported: 1, accepted: 0, dispatched: 1, handling: 0, resolved: 1, evaluated: 1, rejected: 1, merged: 0 },
  open: 2,
  overdue: 1,
  supervised: 1,
  total: 5,
  stages: [
    { stage: 'reported_accepted', from: 'report', to: 'accept', count: 3, median_s: 120, p90_s: 264, max_s: 300 },
    { stage: 'resolved_evaluated', from: 'resolve', to: 'evaluate', count: 0, median_s: null, p90_s: null, max_s: null },
  ],
  hours: [
    { hour: '2026-12-05T06:00:00Z', incidents: 2, alarms: 1 },
    { hour: '2026-12-05T07:00:00Z', incidents: 0, alarms: 3 },
  ],
  alarms: { open: 3, by_level: { red: 2, orange: 1, yellow: 0, blue: 0 } },
  devices: [{ kind: 'sensor', online: 1, offline: 1 }],
};

describe('the cockpit charts', () => {
  const t = translator('zh');
  it('show each stage in minutes, with Chinese names', () => {
    const o = stagesOption(st, t);
    expect(o.yAxis.data).toEqual(['上报→受理', '办结→评估']);
    expect(o.series[0].data).toEqual([2, 0]);
    expect(o.series[1].data).toEqual([4.4, 0]);
    expect(o.series[2].data).toEqual([5, 0]);
  });
  it('show the hours', () => {
    const o = hoursOption(st, t);
    expect(o.series[0].data).toEqual([2, 0]);
    expect(o.series[1].data).toEqual([1, 3]);
    expect(o.xAxis.data).toHaveLength(2);
  });
  it('show the states that have incidents, open ones first', () => {
    const o = statesOption(st, translator('en'));
    expect(o.series[0].data.map((d) => `${d.name} ${d.value}`)).toEqual(['Reported 1', 'Dispatched 1', 'Resolved 1', 'Evaluated 1', 'Rejected 1']);
  });
});
