import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { liveURL, queryBBox, subscribe, type LiveFeature, type LiveSnapshot } from './live';

const truck = (lon: number): LiveFeature => ({
  type: 'Feature',
  id: 't1',
  geometry: { type: 'Point', coordinates: [lon, 37.18] },
  properties: { id: 't1', kind: 'vehicle', layer: 'live.hazmat', time: '2026-12-04T08:00:00Z', age_s: 3, stale: false },
});

/** A fake fetch: records each request and answers it when the test says. */
function fakeFetch() {
  const calls: { url: string; signal: AbortSignal; answer: (body: unknown, status?: number) => void; fail: (e: Error) => void }[] = [];
  const fn = vi.fn(
    (url: string, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        const signal = init!.signal!;
        // As fetch does: rejected with the abort's reason, an AbortError without one.
        signal.addEventListener('abort', () => reject(signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' })));
        calls.push({
          url,
          signal,
          answer: (body, status = 200) => resolve(new Response(JSON.stringify(body), { status, statusText: status === 200 ? 'OK' : 'Error' })),
          fail: reject,
        });
      }),
  );
  return { fn: fn as unknown as typeof fetch, calls };
}

const fc = (...features: LiveFeature[]) => ({ type: 'FeatureCollection', features });
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('pads the box, clamps it to the world and asks for every longitude across the antimeridian', () => {
  expect(queryBBox([119.9, 37.1, 120.0, 37.2])).toEqual([119.89, 37.09, 120.01, 37.21]);
  expect(queryBBox([119.9, 37.1, 120.0, 37.2], 0)).toEqual([119.9, 37.1, 120, 37.2]);
  expect(queryBBox([-200, -89, 200, 89])).toEqual([-180, -90, 180, 90]);
  expect(queryBBox([170, 10, 190, 20], 0)).toEqual([-180, 10, 180, 20]);
  expect(queryBBox([170, 10, -170, 20], 0)).toEqual([-180, 10, 180, 20]);
  expect(queryBBox([119.123456789, 37, 119.2, 37.1], 0)[0]).toBe(119.123457);
  expect(liveURL([1, 2, 3, 4], ['vehicle', 'camera', 'team'])).toBe('/live/objects?bbox=1,2,3,4&kind=camera,team,vehicle');
});

it('polls at once, then every interval, delivering the full set each time', async () => {
  const f = fakeFetch();
  const got: LiveSnapshot[] = [];
  const feed = subscribe([119.9, 37.1, 120.0, 37.2], ['vehicle', 'sensor'], (s) => got.push(s), { fetch: f.fn, pad: 0, paused: () => false });
  expect(f.calls).toHaveLength(1);
  expect(f.calls[0].url).toBe('/live/objects?bbox=119.9,37.1,120,37.2&kind=sensor,vehicle');
  f.calls[0].answer(fc(truck(119.95)));
  await flush();
  expect(got).toHaveLength(1);
  expect(got[0].features[0].geometry!.coordinates).toEqual([119.95, 37.18]);
  // No poll before the interval is up, one when it is.
  await vi.advanceTimersByTimeAsync(2900);
  expect(f.calls).toHaveLength(1);
  await vi.advanceTimersByTimeAsync(200);
  expect(f.calls).toHaveLength(2);
  f.calls[1].answer(fc(truck(119.96)));
  await flush();
  expect(got[1].features[0].geometry!.coordinates).toEqual([119.96, 37.18]);
  feed.close();
  await vi.advanceTimersByTimeAsync(10_000);
  expect(f.calls).toHaveLength(2);
});

it('asks again at once when the box moves, dropping the answer it overtook', async () => {
  const f = fakeFetch();
  const got: LiveSnapshot[] = [];
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], (s) => got.push(s), { fetch: f.fn, pad: 0, paused: () => false });
  // The same box again (after rounding): nothing new.
  feed.setBBox([0, 0, 1.0000000001, 1]);
  expect(f.calls).toHaveLength(1);
  feed.setBBox([2, 2, 3, 3]);
  expect(f.calls).toHaveLength(2);
  expect(f.calls[0].signal.aborted).toBe(true);
  expect(f.calls[1].url).toContain('bbox=2,2,3,3');
  f.calls[0].answer(fc(truck(0.5))); // too late: aborted
  f.calls[1].answer(fc(truck(2.5)));
  await flush();
  expect(got.map((s) => s.features[0].geometry!.coordinates[0])).toEqual([2.5]);
  feed.close();
});

it('follows the wanted kinds: none means no requests and an empty set', async () => {
  const f = fakeFetch();
  const got: LiveSnapshot[] = [];
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], (s) => got.push(s), { fetch: f.fn, pad: 0, paused: () => false });
  f.calls[0].answer(fc(truck(0.5)));
  await flush();
  feed.setKinds(['vehicle']);
  expect(f.calls).toHaveLength(1);
  feed.setKinds([]);
  expect(got.at(-1)!.features).toEqual([]);
  await vi.advanceTimersByTimeAsync(10_000);
  expect(f.calls).toHaveLength(1);
  feed.setKinds(['team', 'vehicle']);
  expect(f.calls).toHaveLength(2);
  expect(f.calls[1].url).toContain('kind=team,vehicle');
  feed.close();
});

it('reports the first failure and the recovery once, and keeps polling', async () => {
  const f = fakeFetch();
  const status: (string | null)[] = [];
  const got: LiveSnapshot[] = [];
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], (s) => got.push(s), {
    fetch: f.fn,
    pad: 0,
    paused: () => false,
    onStatus: (e) => status.push(e ? e.message : null),
  });
  f.calls[0].answer({ title: 'Bad Request', detail: 'bbox: not four numbers' }, 400);
  await flush();
  await vi.advanceTimersByTimeAsync(3000);
  f.calls[1].fail(new TypeError('network down'));
  await flush();
  await vi.advanceTimersByTimeAsync(3000);
  f.calls[2].answer(fc(truck(0.5)));
  await flush();
  expect(status).toEqual(['bbox: not four numbers', null]);
  expect(got).toHaveLength(1);
  feed.close();
});

it('skips timed polls while paused and does not stack them behind a slow answer', async () => {
  const f = fakeFetch();
  let hidden = false;
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], () => {}, { fetch: f.fn, pad: 0, paused: () => hidden });
  // The first answer takes 10 s: no second request meanwhile.
  await vi.advanceTimersByTimeAsync(10_000);
  expect(f.calls).toHaveLength(1);
  f.calls[0].answer(fc());
  await flush();
  hidden = true;
  await vi.advanceTimersByTimeAsync(10_000);
  expect(f.calls).toHaveLength(1);
  hidden = false;
  await vi.advanceTimersByTimeAsync(3000);
  expect(f.calls).toHaveLength(2);
  feed.close();
});

it('gives a poll that gets no answer up after the timeout and tries again', async () => {
  const f = fakeFetch();
  const status: (string | null)[] = [];
  const feed = subscribe([0, 0, 1, 1], ['vehicle'], () => {}, { fetch: f.fn, pad: 0, paused: () => false, onStatus: (e) => status.push(e ? e.message : null) });
  await vi.advanceTimersByTimeAsync(15_000);
  expect(status).toEqual(['no answer in 15 s']);
  await vi.advanceTimersByTimeAsync(3000);
  expect(f.calls).toHaveLength(2);
  feed.close();
});
