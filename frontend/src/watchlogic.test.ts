import { expect, it } from 'vitest';
import { alarmPlace, isOpen, mergeAlarm, sounds } from './alarms';
import { cleanVertices, drawnGeometry, editableVertices, fenceBody, formatRules, moveVertex, parseRules } from './fencedraw';
import type { Alarm, LiveFeature } from './live';
import { advance, alarmsAtURL, due, objectsAtURL, seek, startClock } from './replay';
import { Tweens } from './tween';
import { formatView, parseHash, withState } from './urlstate';

const alarm = (id: string, time: string, over: Partial<Alarm> = {}): Alarm => ({ id, kind: 'enter', object: 't1', level: 'red', state: 'raised', title: '进入围栏', time, updated: time, ...over });

it('keeps the open alarms newest first, drops cleared ones and says which are new and sound', () => {
  let r = mergeAlarm([], alarm('a', '2026-12-04T08:00:00Z'));
  expect(r.isNew).toBe(true);
  r = mergeAlarm(r.list, alarm('b', '2026-12-04T09:00:00Z', { level: 'blue' }));
  expect(r.list.map((a) => a.id)).toEqual(['b', 'a']);
  expect(sounds(r.list[0], true)).toBe(false); // blue
  expect(sounds(alarm('c', 'x', { level: 'orange' }), true)).toBe(true);
  expect(sounds(alarm('c', 'x', { level: 'orange' }), false)).toBe(false);
  r = mergeAlarm(r.list, alarm('a', '2026-12-04T08:00:00Z', { state: 'acknowledged', updated: '2026-12-04T09:30:00Z' }));
  expect(r.isNew).toBe(false);
  expect(r.list.find((a) => a.id === 'a')!.state).toBe('acknowledged');
  // An older copy does not undo the acknowledgement.
  r = mergeAlarm(r.list, alarm('a', '2026-12-04T08:00:00Z'));
  expect(r.list.find((a) => a.id === 'a')!.state).toBe('acknowledged');
  r = mergeAlarm(r.list, alarm('b', '2026-12-04T09:00:00Z', { state: 'cleared', updated: '2026-12-04T10:00:00Z' }));
  expect(r.list.map((a) => a.id)).toEqual(['a']);
  expect(isOpen(alarm('x', 'x', { state: 'closed' }))).toBe(false);
  expect(alarmPlace(alarm('x', 'x', { lon: 1, lat: 2 }))).toEqual([1, 2]);
  expect(alarmPlace(alarm('x', 'x', { evidence: [{ time: 't', object: 'o', lon: 3, lat: 4 }, { time: 't', object: 'o' }] }))).toEqual([3, 4]);
  expect(alarmPlace(alarm('x', 'x'))).toBeNull();
});

it('draws fences: double-click repeats dropped, rings closed, vertices moved, bodies as the server takes them', () => {
  expect(cleanVertices([[1, 1], [2, 2], [2, 2], [3, 1], [3, 1]])).toEqual([[1, 1], [2, 2], [3, 1]]);
  expect(drawnGeometry('polygon', [[1, 1], [2, 2]])).toBeNull();
  const poly = drawnGeometry('polygon', [[1, 1], [2, 2], [3, 1], [3, 1]])!;
  expect(poly).toEqual({ type: 'Polygon', coordinates: [[[1, 1], [2, 2], [3, 1], [1, 1]]] });
  expect(drawnGeometry('corridor', [[1, 1], [2, 2]])).toEqual({ type: 'LineString', coordinates: [[1, 1], [2, 2]] });
  expect(editableVertices(poly)).toEqual([[1, 1], [2, 2], [3, 1]]);
  expect(moveVertex(poly, 0, [0, 0])).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [2, 2], [3, 1], [0, 0]]] });
  expect(moveVertex({ type: 'LineString', coordinates: [[1, 1], [2, 2]] }, 1, [5, 5])).toEqual({ type: 'LineString', coordinates: [[1, 1], [5, 5]] });
  const body = JSON.parse(fenceBody(poly, { name: '加油站', rules: [{ kind: 'enter' }], applies_to: { kinds: ['vehicle'] }, width_m: 30 }));
  expect(body).toEqual({ type: 'Feature', geometry: poly, properties: { name: '加油站', rules: [{ kind: 'enter' }], applies_to: { kinds: ['vehicle'] } } });
  const corridor = JSON.parse(fenceBody({ type: 'LineString', coordinates: [[1, 1], [2, 2]] }, { name: 'c', rules: [], width_m: 30 }));
  expect(corridor.properties.width_m).toBe(30);
  expect(parseRules('enter, speed>60，dwell>300', 'red')).toEqual([
    { kind: 'enter', level: 'red' },
    { kind: 'speed', max_kmh: 60, level: 'red' },
    { kind: 'dwell', seconds: 300, level: 'red' },
  ]);
  expect(() => parseRules('enter; drop')).toThrow();
  expect(formatRules([{ kind: 'enter' }, { kind: 'speed', max_kmh: 60 }])).toBe('enter, speed>60');
});

it('runs the replay clock at its speed and stops at the end', () => {
  let c = startClock(10 * 3600_000, 6);
  expect(c.t).toBe(4 * 3600_000);
  expect(advance(c, 1000)).toBe(c); // paused
  c = { ...c, playing: true, speed: 60 };
  c = advance(c, 1000);
  expect(c.t).toBe(4 * 3600_000 + 60_000);
  c = advance(seek(c, 10 * 3600_000 - 1000), 1000);
  expect(c.t).toBe(10 * 3600_000);
  expect(c.playing).toBe(false);
  expect(seek(c, 0).t).toBe(c.from);
  expect(objectsAtURL(Date.UTC(2026, 11, 4, 8), [1, 2, 3, 4], ['vehicle', 'team'])).toBe('/live/objects?at=2026-12-04T08:00:00.000Z&lookback=1h&bbox=1,2,3,4&kind=team,vehicle');
  expect(alarmsAtURL(0, 1000)).toBe('/live/alarms?from=1970-01-01T00:00:00.000Z&to=1970-01-01T00:00:01.000Z&limit=200');
  expect(due(null, 5, 1)).toBe(true);
  expect(due(0, 500, 1)).toBe(false);
  expect(due(0, 30_000, 60)).toBe(true);
});

it('glides a moved object from where it is drawn to its new place over the duration', () => {
  const f = (lon: number): LiveFeature => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, 0] }, properties: { id: 'a', kind: 'vehicle', layer: 'live.vehicle', time: null } });
  const tw = new Tweens(1000);
  tw.update([f(0)], 0);
  expect(tw.moving(0)).toBe(false);
  expect(tw.frame(0)[0].geometry!.coordinates).toEqual([0, 0]);
  tw.update([f(10)], 100);
  expect(tw.moving(100)).toBe(true);
  const mid = tw.frame(600)[0].geometry!.coordinates[0];
  expect(mid).toBeGreaterThan(5);
  expect(mid).toBeLessThan(10);
  // A new fix halfway: from where it is drawn, not from the old fix.
  tw.update([f(20)], 600);
  expect(tw.frame(600)[0].geometry!.coordinates[0]).toBeCloseTo(mid);
  expect(tw.frame(1600)[0].geometry!.coordinates).toEqual([20, 0]);
  expect(tw.moving(1600)).toBe(false);
  tw.settle([f(30)], 1700);
  expect(tw.frame(1700)[0].geometry!.coordinates).toEqual([30, 0]);
});

it('keeps the view in the URL: MapLibre\'s map, the mode and the visible layers', () => {
  const s = parseHash('#map=17.5/37.18/119.94/30/45&mode=3d&layers=basemap.building,live.hazmat');
  expect(s).toEqual({ map: { zoom: 17.5, lat: 37.18, lon: 119.94, bearing: 30, pitch: 45 }, mode: '3d', layers: ['basemap.building', 'live.hazmat'] });
  expect(parseHash('#map=12/37/119')).toEqual({ map: { zoom: 12, lat: 37, lon: 119, bearing: 0, pitch: 0 } });
  expect(parseHash('#mode=4d&map=x/y/z')).toEqual({});
  expect(formatView({ zoom: 17.123, lat: 37.123456, lon: 119.987654, bearing: 0, pitch: 0 })).toBe('17.12/37.12346/119.98765');
  expect(formatView({ zoom: 17, lat: 37, lon: 119, bearing: 0, pitch: 40 })).toBe('17/37/119/0/40');
  const h = withState('#map=12/37/119&foo', { mode: '2d', layers: ['b', 'a'] });
  expect(h).toBe('#map=12/37/119&foo&mode=2d&layers=a,b');
  expect(withState(h, { mode: '3d', map: { zoom: 15, lat: 1, lon: 2, bearing: 10, pitch: 0 } })).toBe('#map=15/1/2/10&foo&mode=3d&layers=a,b');
  expect(parseHash(withState('', { layers: [] })).layers).toEqual([]);
});
