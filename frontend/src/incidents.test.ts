import { describe, expect, it } from 'vitest';
import { drawable, fireURL, spreadColour, wedge } from './fire';
import {
  buttonsFor,
  countByState,
  devicesOnline,
  filterIncidents,
  formatDuration,
  incidentFeatures,
  minutes,
  statsURL,
  scenarios,
  transitionBody,
  type Incident,
} from './incidents';

const inc = (o: Partial<Incident>): Incident => ({
  id: 1,
  type: 'forest_fire',
  title: '大基山林区起火',
  description: '',
  state: 'reported',
  geometry: { type: 'Point', coordinates: [119.95, 37.15] },
  source: 'manual',
  source_ref: null,
  assignee: null,
  deadline: null,
  overdue: false,
  supervised: false,
  merged_into: null,
  version: 1,
  created_by: '值班员',
  created_at: '2026-12-05T08:00:00Z',
  updated_at: '2026-12-05T08:00:00Z',
  actions: ['accept', 'merge', 'reject'],
  ...o,
});

describe('buttonsFor', () => {
  it('gives each role the next actions it may do, in the loop order', () => {
    const reported = inc({});
    expect(buttonsFor(['operator'], reported)).toEqual(['accept', 'merge', 'reject']);
    expect(buttonsFor(['department'], reported)).toEqual([]);
    expect(buttonsFor(['supervisor'], reported)).toEqual([]);
    const dispatched = inc({ state: 'dispatched', actions: ['dispatch', 'handle', 'supervise'] });
    expect(buttonsFor(['operator'], dispatched)).toEqual(['dispatch']);
    expect(buttonsFor(['department'], dispatched)).toEqual(['handle']);
    expect(buttonsFor(['supervisor'], dispatched)).toEqual(['supervise']);
    expect(buttonsFor(['admin'], dispatched)).toEqual(['dispatch', 'handle', 'supervise']);
    expect(buttonsFor(['supervisor'], inc({ state: 'resolved', actions: ['evaluate'] }))).toEqual(['evaluate']);
    expect(buttonsFor(['admin'], inc({ state: 'evaluated', actions: [] }))).toEqual([]);
    expect(buttonsFor(['planner', 'public'], reported)).toEqual([]);
  });
});

describe('transitionBody', () => {
  it('carries the version and what each action needs', () => {
    expect(transitionBody('accept', 3, { note: ' 已核实 ' })).toEqual({ body: { action: 'accept', version: 3, note: '已核实' } });
    expect(transitionBody('dispatch', 4, {})).toEqual({ missing: 'assignee' });
    const d = transitionBody('dispatch', 4, { assignee: '森林消防一中队', deadline: '2026-12-05T10:30' }).body!;
    expect(d.assignee).toBe('森林消防一中队');
    expect(d.deadline).toBe(new Date('2026-12-05T10:30').toISOString());
    expect(transitionBody('dispatch', 4, { assignee: '一中队' }).body).toEqual({ action: 'dispatch', version: 4, assignee: '一中队' });
    expect(transitionBody('evaluate', 7, { score: '6' })).toEqual({ missing: 'score' });
    expect(transitionBody('evaluate', 7, { score: '4' }).body).toEqual({ action: 'evaluate', version: 7, score: 4 });
    expect(transitionBody('merge', 2, { merged_into: 'x' })).toEqual({ missing: 'merged_into' });
    expect(transitionBody('merge', 2, { merged_into: '12' }).body).toEqual({ action: 'merge', version: 2, merged_into: 12 });
  });
});

describe('the list', () => {
  const list = [
    inc({ id: 1, state: 'reported', created_at: '2026-12-05T08:00:00Z' }),
    inc({ id: 2, state: 'dispatched', overdue: true, created_at: '2026-12-05T09:00:00Z' }),
    inc({ id: 3, state: 'evaluated', created_at: '2026-12-05T10:00:00Z' }),
    inc({ id: 4, state: 'handling', created_at: '2026-12-05T07:00:00Z', geometry: null }),
  ];
  it('filters by state, open and overdue, newest first', () => {
    expect(filterIncidents(list, 'open', false).map((i) => i.id)).toEqual([2, 1, 4]);
    expect(filterIncidents(list, '', false).map((i) => i.id)).toEqual([3, 2, 1, 4]);
    expect(filterIncidents(list, 'open', true).map((i) => i.id)).toEqual([2]);
    expect(filterIncidents(list, 'evaluated', false).map((i) => i.id)).toEqual([3]);
  });
  it('counts by state', () => {
    const c = countByState(list);
    expect([c.reported, c.dispatched, c.evaluated, c.handling, c.rejected, c.open, c.overdue]).toEqual([1, 1, 1, 1, 0, 3, 1]);
  });
  it('draws those with a place, coloured by state', () => {
    const fc = incidentFeatures(list, 2);
    expect(fc.features.map((f) => f.properties?.id)).toEqual([1, 2, 3]);
    expect(fc.features[1].properties).toMatchObject({ overdue: true, selected: true, colour: '#f59f00' });
  });
});

describe('the cockpit figures', () => {
  it('formats durations', () => {
    expect(formatDuration(null, 'zh')).toBe('—');
    expect(formatDuration(45, 'zh')).toBe('45 秒');
    expect(formatDuration(120, 'zh')).toBe('2 分');
    expect(formatDuration(264, 'zh')).toBe('4 分 24 秒');
    expect(formatDuration(1740, 'en')).toBe('29 min');
    expect(formatDuration(3600 + 5 * 60, 'zh')).toBe('1 小时 5 分');
    expect(formatDuration(86400 + 3 * 3600, 'en')).toBe('1 d 3 h');
    expect(minutes(264)).toBe(4.4);
    expect(minutes(null)).toBe(0);
  });
  it('adds devices up', () => {
    const st = { devices: [{ kind: 'sensor', online: 1, offline: 1 }, { kind: 'camera', online: 2, offline: 0 }] };
    expect(devicesOnline(st)).toEqual({ online: 3, total: 4 });
    expect(devicesOnline(st, ['sensor'])).toEqual({ online: 1, total: 2 });
  });
  it('asks for each scenario by type and layers', () => {
    expect(scenarios.map((s) => s.zh)).toEqual(['城市管理', '危化品运输', '森林防火', '非煤矿山']);
    expect(statsURL(scenarios[1])).toBe('/command/stats?type=hazmat&layer=live.hazmat');
  });
});

describe('the fire views', () => {
  it('asks for the spread with its parameters', () => {
    expect(fireURL(7, 'spread', { wind_speed: 5, wind_direction: 225, fuel_model: 'TL3', moisture: 10 })).toBe(
      '/command/fires/7/spread?wind_speed=5&wind_direction=225&fuel_model=TL3&moisture=10',
    );
    expect(fireURL(7, 'evacuation')).toBe('/command/fires/7/evacuation');
    expect(fireURL(7, 'resources')).toBe('/command/incidents/7/resources'); // any located incident
  });
  it('colours the hours red, orange, yellow and draws the first on top', () => {
    expect([1, 2, 3].map(spreadColour)).toEqual(['#e03131', '#f76707', '#fab005']);
    const ring = (h: number): GeoJSON.Feature => ({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [] }, properties: { hours: h } });
    const d = drawable('spread', { type: 'FeatureCollection', features: [ring(1), ring(2), ring(3)] });
    expect(d.features.map((f) => f.properties?.hours)).toEqual([3, 2, 1]);
  });
  it('gives a camera a wedge of its view', () => {
    const cam: GeoJSON.Feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [120, 37] }, properties: { category: 'camera', name: '1号塔', view_direction: 90 } };
    const team: GeoJSON.Feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [120.01, 37] }, properties: { category: 'team', name: '一中队', eta_min: 12.4 } };
    const d = drawable('resources', { type: 'FeatureCollection', features: [cam, team] });
    expect(d.features).toHaveLength(3);
    expect(d.features[1].properties).toMatchObject({ wedge: true });
    expect(d.features[2].properties?.label).toBe('一中队 12 min');
    // Due east: the wedge's middle point lies east of the camera, on its latitude.
    const w = wedge(120, 37, 90, 60, 1000, 2).coordinates[0];
    expect(w[2][0]).toBeGreaterThan(120.0112);
    expect(Math.abs(w[2][1] - 37)).toBeLessThan(1e-9);
  });
});
