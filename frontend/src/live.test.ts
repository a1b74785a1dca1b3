import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import {
  applyMessage,
  backoff,
  liveURL,
  pushURL,
  queryBBox,
  subscribe,
  subscribeMessage,
  type EventSourceLike,
  type LiveFeature,
  type LiveSnapshot,
  type SocketLike,
} from './live';

const truck = (lon: number): LiveFeature => ({
  type: 'Feature',
  id: 't1',
  geometry: { type: 'Point', coordinates: [lon, 37.18] },
  properties: { id: 't1', kind: 'vehicle', layer: 'live.hazmat', time: '2026-12-04T08:00:00Z', age_s: 3, stale: false, plate: '鲁F12345' },
});

/** A fake WebSocket: records what is sent; the test opens, feeds and closes it. */
class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readyState = 0;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  message(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  drop(reason = '') {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason });
  }
}

function sockets() {
  const list: FakeSocket[] = [];
  return { list, open: (u: string) => (list.push(new FakeSocket(u)), list[list.length - 1]) };
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const loc = { protocol: 'http:', host: 'yitu.test' };

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('pads the box, clamps it to the world and asks for every longitude across the antimeridian', () => {
  expect(queryBBox([119.9, 37.1, 120.0, 37.2])).toEqual([119.89, 37.09, 120.01, 37.21]);
  expect(queryBBox([-200, -89, 200, 89])).toEqual([-180, -90, 180, 90]);
  expect(queryBBox([170, 10, -170, 20], 0)).toEqual([-180, 10, 180, 20]);
  expect(liveURL([1, 2, 3, 4], ['vehicle', 'camera', 'team'])).toBe('/live/objects?bbox=1,2,3,4&kind=camera,team,vehicle');
});

it('builds the push URLs with the token as access_token and the subscription message', () => {
  expect(pushURL('ws', loc, 'abc')).toBe('ws://yitu.test/live/ws?access_token=abc');
  expect(pushURL('ws', { protocol: 'https:', host: 'h' }, null)).toBe('wss://h/live/ws');
  expect(pushURL('sse', loc, 't', [1, 2, 3, 4], ['vehicle', 'camera'])).toBe('/live/sse?bbox=1%2C2%2C3%2C4&kinds=camera%2Cvehicle&access_token=t');
  expect(JSON.parse(subscribeMessage([1, 2, 3, 4], ['vehicle', 'camera']))).toEqual({ subscribe: { bbox: [1, 2, 3, 4], kinds: ['camera', 'vehicle'] } });
});

it('folds pushed messages into the objects: snapshot, position, observation, state, hotspot, alarm', () => {
  const objs = new Map<string, LiveFeature>();
  expect(applyMessage(objs, { type: 'incident', id: 'incident-7', incident: { id: 7, state: 'accepted' } })).toEqual({
    changed: false,
    incident: { id: 7, state: 'accepted' },
  });
  expect(applyMessage(objs, { type: 'snapshot', features: [truck(119.95)] }).changed).toBe(true);
  const r = applyMessage(objs, { type: 'position', id: 't1', kind: 'vehicle', layer: 'live.hazmat', time: '2026-12-04T08:00:05Z', lon: 119.96, lat: 37.19, speed: 55, heading: 90 });
  expect(r.changed).toBe(true);
  const t = objs.get('t1')!;
  expect(t.geometry!.coordinates).toEqual([119.96, 37.19]);
  expect(t.properties).toMatchObject({ speed: 55, heading: 90, plate: '鲁F12345', time: '2026-12-04T08:00:05Z', stale: false, age_s: 0 });
  // An observation of an object outside the view changes nothing; one inside updates its value.
  expect(applyMessage(objs, { type: 'observation', id: 'nobody', values: { value: 1 }, value: 1 }).changed).toBe(false);
  applyMessage(objs, { type: 'snapshot', features: [...objs.values(), { ...truck(119.9), id: 's1', properties: { id: 's1', kind: 'sensor', layer: 'live.sensor', time: null } }] });
  applyMessage(objs, { type: 'observation', id: 's1', time: '2026-12-04T08:01:00Z', values: { value: 2.5 }, value: 2.5, unit: 'm' });
  expect(objs.get('s1')!.properties).toMatchObject({ value: 2.5, unit: 'm', values: { value: 2.5 } });
  applyMessage(objs, { type: 'state', id: 's1', state: { battery: 80 } });
  expect(objs.get('s1')!.properties.state).toEqual({ battery: 80 });
  // A hotspot or a mover entering the view is added.
  applyMessage(objs, { type: 'hotspot', id: 'h1', layer: 'live.hotspot', lon: 120, lat: 37, frp: 12 });
  expect(objs.get('h1')!.properties).toMatchObject({ kind: 'hotspot', frp: 12 });
  expect(applyMessage(objs, { type: 'event', id: 't1' }).changed).toBe(false);
  const alarm = { id: 'a1', kind: 'enter', object: 't1', level: 'red', state: 'raised', title: '进入', time: 'x', updated: 'x' };
  expect(applyMessage(objs, { type: 'alarm', id: 't1', alarm })).toEqual({ changed: false, alarm });
  applyMessage(objs, { type: 'snapshot', features: [] });
  expect(objs.size).toBe(0);
});

it('backs off from 1 s doubling to 30 s', () => {
  expect(backoff(0, () => 0)).toBe(1000);
  expect(backoff(3, () => 0)).toBe(8000);
  expect(backoff(10, () => 0)).toBe(30_000);
  expect(backoff(0, () => 1)).toBe(1200);
});

it('subscribes over a WebSocket, delivers the snapshot and then each burst of changes, and re-subscribes as the view moves', async () => {
  const ws = sockets();
  const got: LiveSnapshot[] = [];
  const alarms: string[] = [];
  const feed = subscribe([119.9, 37.1, 120.0, 37.2], ['vehicle'], (s) => got.push(s), { webSocket: ws.open, location: loc, pad: 0, token: () => 'tok', onAlarm: (a) => alarms.push(a.id) });
  expect(ws.list).toHaveLength(1);
  expect(ws.list[0].url).toBe('ws://yitu.test/live/ws?access_token=tok');
  ws.list[0].open();
  expect(JSON.parse(ws.list[0].sent[0])).toEqual({ subscribe: { bbox: [119.9, 37.1, 120, 37.2], kinds: ['vehicle'] } });
  ws.list[0].message({ type: 'snapshot', features: [truck(119.95)] });
  await flush();
  expect(got).toHaveLength(1);
  // Two positions in one burst: one delivery, the newest place.
  ws.list[0].message({ type: 'position', id: 't1', lon: 119.951, lat: 37.18 });
  ws.list[0].message({ type: 'position', id: 't1', lon: 119.952, lat: 37.18 });
  ws.list[0].message({ type: 'alarm', id: 't1', alarm: { id: 'a9' } });
  await flush();
  expect(got).toHaveLength(2);
  expect(got[1].features[0].geometry!.coordinates).toEqual([119.952, 37.18]);
  expect(alarms).toEqual(['a9']);
  feed.setBBox([119.9, 37.1, 120.0, 37.2]); // the same box: nothing sent
  feed.setBBox([119.8, 37.1, 120.0, 37.2]);
  expect(ws.list[0].sent).toHaveLength(2);
  expect(JSON.parse(ws.list[0].sent[1]).subscribe.bbox).toEqual([119.8, 37.1, 120, 37.2]);
  feed.setKinds(['vehicle', 'team']);
  expect(JSON.parse(ws.list[0].sent[2]).subscribe.kinds).toEqual(['team', 'vehicle']);
  expect(feed.transport()).toBe('ws');
  feed.close();
  expect(ws.list[0].closed).toBe(true);
});

it('reconnects with backoff after a drop and takes the new snapshot; tells the failure once and the recovery', async () => {
  const ws = sockets();
  const got: LiveSnapshot[] = [];
  const status: (string | null)[] = [];
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], (s) => got.push(s), { webSocket: ws.open, location: loc, pad: 0, onStatus: (e) => status.push(e ? e.message : null) });
  ws.list[0].open();
  ws.list[0].message({ type: 'snapshot', features: [truck(0.5)] });
  ws.list[0].drop('server going away');
  expect(status).toEqual(['server going away']);
  await vi.advanceTimersByTimeAsync(900);
  expect(ws.list).toHaveLength(1);
  await vi.advanceTimersByTimeAsync(400);
  expect(ws.list).toHaveLength(2);
  ws.list[1].open();
  expect(ws.list[1].sent).toHaveLength(1);
  ws.list[1].message({ type: 'snapshot', features: [truck(0.7)] });
  await flush();
  expect(status).toEqual(['server going away', null]);
  expect(got[got.length - 1].features[0].geometry!.coordinates[0]).toBe(0.7);
  feed.close();
});

it('falls back to Server-Sent Events when the WebSocket cannot be opened', async () => {
  const ws = sockets();
  const sources: { url: string; on: Record<string, (e: { data: string }) => void>; closed: boolean }[] = [];
  const es = (url: string): EventSourceLike => {
    const s = { url, on: {} as Record<string, (e: { data: string }) => void>, closed: false };
    sources.push(s);
    return {
      onerror: null,
      addEventListener: (t, fn) => (s.on[t] = fn),
      close: () => (s.closed = true),
    };
  };
  const got: LiveSnapshot[] = [];
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], (s) => got.push(s), { webSocket: ws.open, eventSource: es, location: loc, pad: 0, wsAttempts: 2, token: () => 'k' });
  ws.list[0].drop();
  await vi.advanceTimersByTimeAsync(1300);
  ws.list[1].drop();
  await vi.advanceTimersByTimeAsync(2500);
  expect(ws.list).toHaveLength(2);
  expect(sources).toHaveLength(1);
  expect(sources[0].url).toBe('/live/sse?bbox=0%2C0%2C1%2C1&kinds=vehicle&access_token=k');
  expect(feed.transport()).toBe('sse');
  sources[0].on.snapshot({ data: JSON.stringify({ type: 'snapshot', features: [truck(0.2)] }) });
  sources[0].on.position({ data: JSON.stringify({ type: 'position', id: 't1', lon: 0.3, lat: 0.3 }) });
  await flush();
  expect(got[got.length - 1].features[0].geometry!.coordinates).toEqual([0.3, 0.3]);
  // A new box: a new stream (SSE takes its subscription from the URL).
  feed.setBBox([0, 0, 2, 2]);
  expect(sources[0].closed).toBe(true);
  expect(sources[1].url).toContain('bbox=0%2C0%2C2%2C2');
  feed.close();
});

it('with no kinds wanted delivers an empty set and opens nothing', async () => {
  const ws = sockets();
  const got: LiveSnapshot[] = [];
  const feed = subscribe([0, 0, 1, 1], [], (s) => got.push(s), { webSocket: ws.open, location: loc });
  await flush();
  expect(ws.list).toHaveLength(0);
  expect(got[0].features).toEqual([]);
  feed.setKinds(['team']);
  expect(ws.list).toHaveLength(1);
  feed.close();
});
