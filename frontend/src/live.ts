// Live objects in (vehicles, teams, sensors, cameras, satellite hotspots): the one place the viewer
// gets them from. Today it polls GET /live/objects for the view's box every few seconds and when the
// view or the wanted kinds change; a push over WebSocket will replace the polling behind the same
// interface (subscribe → setBBox / setKinds / close, onFeatures with the full current set).

/** What a live object is (properties.kind). */
export type LiveKind = 'vehicle' | 'team' | 'sensor' | 'camera' | 'hotspot';

/** The live catalog layers and the kind each holds (hazmat trucks are vehicles with their own layer). */
export const liveLayerKinds: Record<string, LiveKind> = {
  'live.hazmat': 'vehicle',
  'live.vehicle': 'vehicle',
  'live.team': 'team',
  'live.sensor': 'sensor',
  'live.camera': 'camera',
  'live.hotspot': 'hotspot',
};

/** The catalog theme the live layers are in. */
export const liveTheme = 'live';

export const isLiveLayer = (id: string) => id in liveLayerKinds;

/** The GeoJSON properties of a live object, as GET /live/objects sends them (live.Object.Feature). */
export interface LiveProps {
  id: string;
  kind: LiveKind;
  layer: string;
  /** of the last report, RFC 3339 UTC; null before the first */
  time: string | null;
  /** seconds since the last report, when the server answered */
  age_s?: number;
  stale?: boolean;
  speed?: number;
  heading?: number;
  altitude?: number;
  alarm?: number;
  name?: string;
  plate?: string;
  carrier?: string;
  vehicle_kind?: string;
  un?: string;
  hazard_class?: string;
  sensor_kind?: string;
  owner?: string;
  group?: string;
  unit?: string;
  value?: number;
  values?: Record<string, number>;
  view_direction?: number;
  stream_url?: string;
  instrument?: string;
  satellite?: string;
  confidence?: string;
  frp?: number;
  brightness?: number;
  source?: string;
  state?: Record<string, unknown>;
}

export type LiveFeature = GeoJSON.Feature<GeoJSON.Point | null, LiveProps>;

/** One answer: the objects in the box of the wanted kinds, and when it arrived (ms, this clock). */
export interface LiveSnapshot {
  features: LiveFeature[];
  at: number;
}

export type BBox = [number, number, number, number];

export interface LiveOptions {
  /** default: the page's fetch */
  fetch?: typeof fetch;
  /** ms between polls (default 3000) */
  interval?: number;
  /** ms a poll may take before it is given up as failed (default 15000) */
  timeout?: number;
  /** share of the box's size added on each side, so objects just outside the view are in (default 0.1) */
  pad?: number;
  /** when true, the timed polls are skipped (a hidden page); default: document.hidden */
  paused?: () => boolean;
  /** told when polling starts failing (the error) and when it works again (null) */
  onStatus?: (err: Error | null) => void;
}

export interface LiveFeed {
  /** the view moved: polls at once if the (padded, rounded) box changed */
  setBBox(bbox: BBox): void;
  /** the wanted kinds changed: polls at once if they did; none: no polling, an empty set is delivered */
  setKinds(kinds: LiveKind[]): void;
  /** polls now */
  refresh(): void;
  close(): void;
}

/**
 * The box asked for: padded by pad of its size on each side, clamped to lon/lat (a view wider than
 * the world is the world) and rounded to 1e-6°.
 */
export function queryBBox(b: BBox, pad = 0.1): BBox {
  let [w, s, e, n] = b;
  const dx = (e - w) * pad;
  const dy = (n - s) * pad;
  w -= dx;
  e += dx;
  s -= dy;
  n += dy;
  // A view across the antimeridian (west east of east, or beyond ±180) or wider than the world:
  // every longitude.
  if (w > e || w < -180 || e > 180) [w, e] = [-180, 180];
  const r = (v: number) => Math.round(v * 1e6) / 1e6;
  return [r(w), r(Math.max(-90, s)), r(e), r(Math.min(90, n))];
}

/** GET /live/objects for a box and kinds. */
export function liveURL(bbox: BBox, kinds: LiveKind[]): string {
  return `/live/objects?bbox=${bbox.join(',')}&kind=${[...kinds].sort().join(',')}`;
}

const sameKinds = (a: LiveKind[], b: LiveKind[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/**
 * Follows the live objects in a box: onFeatures gets the full current set of the wanted kinds after
 * every poll (every interval ms, at once when the box or kinds change). A poll that a newer one
 * overtakes is aborted and never delivered.
 */
export function subscribe(bbox: BBox, kinds: LiveKind[], onFeatures: (s: LiveSnapshot) => void, opts: LiveOptions = {}): LiveFeed {
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const interval = opts.interval ?? 3000;
  const timeout = opts.timeout ?? 15_000;
  const pad = opts.pad ?? 0.1;
  const paused = opts.paused ?? (() => typeof document !== 'undefined' && document.hidden);
  let box = queryBBox(bbox, pad);
  let want = [...new Set(kinds)];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | undefined;
  let seq = 0;
  let closed = false;
  let failing = false;

  const schedule = () => {
    clearTimeout(timer);
    if (!closed) timer = setTimeout(tick, interval);
  };
  const tick = () => {
    if (paused()) return schedule();
    if (inflight) return schedule(); // the last poll is still on its way
    void poll();
  };
  const poll = async () => {
    clearTimeout(timer);
    inflight?.abort();
    inflight = undefined;
    if (closed) return;
    const mine = ++seq;
    if (want.length === 0) {
      onFeatures({ features: [], at: Date.now() });
      return; // nothing to follow until kinds are wanted again
    }
    const ac = new AbortController();
    inflight = ac;
    const limit = setTimeout(() => ac.abort(Object.assign(new Error(`no answer in ${timeout / 1000} s`), { name: 'TimeoutError' })), timeout);
    try {
      const resp = await doFetch(liveURL(box, want), { signal: ac.signal, headers: { Accept: 'application/geo+json, application/json' } });
      if (!resp.ok) {
        let detail = `${resp.status} ${resp.statusText}`;
        try {
          const p = await resp.json();
          if (p && typeof p.detail === 'string') detail = p.detail;
        } catch {
          // not a problem+json body
        }
        throw new Error(detail);
      }
      const fc = (await resp.json()) as { features?: LiveFeature[] };
      if (mine !== seq || closed) return;
      if (failing) {
        failing = false;
        opts.onStatus?.(null);
      }
      onFeatures({ features: fc.features ?? [], at: Date.now() });
    } catch (e) {
      if (mine !== seq || closed || (e as Error).name === 'AbortError') return;
      if (!failing) {
        failing = true;
        opts.onStatus?.(e as Error);
      }
    } finally {
      clearTimeout(limit);
      if (mine === seq) {
        inflight = undefined;
        schedule();
      }
    }
  };

  void poll();
  return {
    setBBox(b) {
      const next = queryBBox(b, pad);
      if (next.every((v, i) => v === box[i])) return;
      box = next;
      void poll();
    },
    setKinds(k) {
      const next = [...new Set(k)];
      if (sameKinds(next, want)) return;
      want = next;
      void poll();
    },
    refresh() {
      void poll();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      inflight?.abort();
    },
  };
}
