// Live objects in (vehicles, teams, sensors, cameras, satellite hotspots): the one place the viewer
// gets them from. They are pushed: a WebSocket to /live/ws (a subscription of the view's box and the
// wanted kinds, sent again as the view moves), or Server-Sent Events from /live/sse where a WebSocket
// cannot be opened. The server sends a snapshot first and after each subscription or resync, then
// changes (position, observation, state, event, hotspot, alarm); applyMessage folds them into the
// current set, which onFeatures gets in full. A dropped connection is reopened with backoff and starts
// again from the new snapshot. No polling: GET /live/objects is only for past times (replay).

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

/** An alarm as the server sends it (live.Alarm; GET /live/alarms, the push's alarm messages). */
export interface Alarm {
  id: string;
  key?: string;
  kind: string;
  object: string;
  layer?: string;
  fence?: number;
  rule?: string;
  level: 'blue' | 'yellow' | 'orange' | 'red' | string;
  state: 'raised' | 'acknowledged' | 'cleared' | 'closed' | string;
  title: string;
  time: string;
  updated: string;
  cleared?: string;
  lon?: number;
  lat?: number;
  ack_by?: string;
  ack_at?: string;
  ack_note?: string;
  evidence?: { time: string; object: string; lon?: number; lat?: number; speed?: number; values?: Record<string, number>; alarm_bits?: number }[];
  detail?: Record<string, unknown>;
  event?: string;
}

/** The properties a change carries under the names of /live/objects features. */
const copyKeys = ['speed', 'heading', 'altitude', 'alarm', 'unit', 'instrument', 'satellite', 'confidence', 'frp', 'brightness', 'source'] as const;

/** One pushed message (see server/push.go and live/push): one JSON object with a type. */
export type PushMessage =
  | { type: 'snapshot'; time?: string; bbox?: BBox | null; features?: LiveFeature[] }
  | { type: 'resync' }
  | { type: 'alarm'; id: string; time?: string; alarm: Alarm }
  | { type: 'incident'; id: string; time?: string; incident: { id: number; state: string } }
  | ({
      type: 'position' | 'observation' | 'state' | 'event' | 'hotspot';
      id: string;
      kind?: LiveKind;
      layer?: string;
      time?: string;
      lon?: number;
      lat?: number;
    } & Partial<Pick<LiveProps, (typeof copyKeys)[number] | 'values' | 'value' | 'state'>>);

/** What a message did to the current set: whether the objects changed, and the alarm it carried. */
export interface Applied {
  changed: boolean;
  alarm?: Alarm;
  /** an incident reported or changed (signed-in maps only) */
  incident?: { id: number; state: string };
}

/**
 * Folds one pushed message into the current objects (by id): a snapshot replaces them all; a position
 * or hotspot moves (or adds) its object; an observation or state report updates its properties.
 * Events and resyncs change nothing (a snapshot follows a resync); an alarm is handed back.
 */
export function applyMessage(objects: Map<string, LiveFeature>, m: PushMessage): Applied {
  switch (m.type) {
    case 'snapshot':
      objects.clear();
      for (const f of m.features ?? []) objects.set(f.properties.id, f);
      return { changed: true };
    case 'alarm':
      return { changed: false, alarm: m.alarm };
    case 'incident':
      return { changed: false, incident: m.incident };
    case 'resync':
    case 'event':
      return { changed: false };
  }
  const old = objects.get(m.id);
  if (!old && m.type !== 'position' && m.type !== 'hotspot') return { changed: false }; // not in the view
  const props: LiveProps = old
    ? { ...old.properties }
    : { id: m.id, kind: m.kind ?? (m.type === 'hotspot' ? 'hotspot' : 'vehicle'), layer: m.layer ?? '', time: null };
  if (m.kind) props.kind = m.kind;
  if (m.layer) props.layer = m.layer;
  if (m.time) {
    props.time = m.time;
    props.age_s = 0;
    props.stale = false;
  }
  for (const k of copyKeys) if (m[k] !== undefined) (props as unknown as Record<string, unknown>)[k] = m[k];
  if (m.type === 'observation') {
    if (m.values) props.values = m.values;
    if (m.value !== undefined) props.value = m.value;
  }
  if (m.type === 'state' && m.state) props.state = m.state;
  let geometry = old?.geometry ?? null;
  if ((m.type === 'position' || m.type === 'hotspot') && Number.isFinite(m.lon) && Number.isFinite(m.lat)) {
    geometry = { type: 'Point', coordinates: [m.lon!, m.lat!] };
  }
  objects.set(m.id, { type: 'Feature', id: m.id, geometry, properties: props });
  return { changed: true };
}

/** Backoff before the n-th reconnection (0-based): 1 s doubling to 30 s, with up to 20% jitter. */
export function backoff(n: number, rnd = Math.random): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(n, 5)) * (1 + 0.2 * rnd());
}

/** The subscription a WebSocket client sends. */
export function subscribeMessage(bbox: BBox, kinds: LiveKind[]): string {
  return JSON.stringify({ subscribe: { bbox, kinds: [...kinds].sort() } });
}

/** The push URLs, with the token as access_token (a browser can set no header on either). */
export function pushURL(transport: 'ws' | 'sse', loc: { protocol: string; host: string }, token: string | null, bbox?: BBox, kinds?: LiveKind[]): string {
  const q = new URLSearchParams();
  if (transport === 'sse' && bbox && kinds) {
    q.set('bbox', bbox.join(','));
    q.set('kinds', [...kinds].sort().join(','));
  }
  if (token) q.set('access_token', token);
  const qs = q.toString() ? `?${q}` : '';
  if (transport === 'ws') return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/live/ws${qs}`;
  return `/live/sse${qs}`;
}

/** What subscribe needs of a WebSocket and an EventSource (the page's, or fakes in tests). */
export interface SocketLike {
  onopen: ((e: unknown) => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: ((e: { code?: number; reason?: string }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  readyState: number;
  send(data: string): void;
  close(): void;
}
export interface EventSourceLike {
  onerror: ((e: unknown) => void) | null;
  addEventListener(type: string, fn: (e: { data: string }) => void): void;
  close(): void;
}

export interface LiveOptions {
  /** the access token (sent as access_token), read at each connection */
  token?: () => string | null;
  /** default: the page's WebSocket; null: none (SSE at once) */
  webSocket?: ((url: string) => SocketLike) | null;
  /** default: the page's EventSource */
  eventSource?: (url: string) => EventSourceLike;
  /** default: the page's location */
  location?: { protocol: string; host: string };
  /** share of the box's size added on each side, so objects just outside the view are in (default 0.1) */
  pad?: number;
  /** told when the push fails (the error) and when it works again (null) */
  onStatus?: (err: Error | null) => void;
  /** each alarm change pushed */
  onAlarm?: (a: Alarm) => void;
  /** each incident change pushed */
  onIncident?: (i: { id: number; state: string }) => void;
  /** failed WebSocket attempts (never opened) before falling back to SSE (default 2) */
  wsAttempts?: number;
}

export interface LiveFeed {
  /** the view moved: subscribes again if the (padded, rounded) box changed */
  setBBox(bbox: BBox): void;
  /** the wanted kinds changed: subscribes again if they did; none: an empty set is delivered */
  setKinds(kinds: LiveKind[]): void;
  /** reconnects now (a new snapshot) */
  refresh(): void;
  /** the transport in use */
  transport(): 'ws' | 'sse' | 'none';
  close(): void;
}

const sameKinds = (a: LiveKind[], b: LiveKind[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

const pushTypes = ['snapshot', 'resync', 'position', 'observation', 'state', 'event', 'hotspot', 'alarm', 'incident'] as const;

/**
 * Follows the live objects in a box: onFeatures gets the full current set of the wanted kinds after
 * each snapshot and after each burst of changes (one delivery per task, however many messages came).
 */
export function subscribe(bbox: BBox, kinds: LiveKind[], onFeatures: (s: LiveSnapshot) => void, opts: LiveOptions = {}): LiveFeed {
  const pad = opts.pad ?? 0.1;
  const token = opts.token ?? (() => null);
  const loc = opts.location ?? (typeof location !== 'undefined' ? location : { protocol: 'http:', host: 'localhost' });
  const openWS =
    opts.webSocket === null ? null : (opts.webSocket ?? (typeof WebSocket !== 'undefined' ? (u: string) => new WebSocket(u) as unknown as SocketLike : null));
  const openSSE = opts.eventSource ?? ((u: string) => new EventSource(u) as unknown as EventSourceLike);
  const wsAttempts = opts.wsAttempts ?? 2;
  let box = queryBBox(bbox, pad);
  let want = [...new Set(kinds)];
  const objects = new Map<string, LiveFeature>();
  let ws: SocketLike | null = null;
  let sse: EventSourceLike | null = null;
  let mode: 'ws' | 'sse' | 'none' = 'none';
  let failures = 0; // reconnections since the last message
  let wsFailed = 0; // WebSocket attempts that never opened
  let retry: ReturnType<typeof setTimeout> | undefined;
  let pending: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let failing = false;

  const deliver = () => {
    if (pending !== undefined || closed) return;
    pending = setTimeout(() => {
      pending = undefined;
      if (!closed) onFeatures({ features: [...objects.values()], at: Date.now() });
    }, 0);
  };
  const ok = () => {
    failures = 0;
    if (failing) {
      failing = false;
      opts.onStatus?.(null);
    }
  };
  const fail = (e: Error) => {
    if (!failing && !closed) {
      failing = true;
      opts.onStatus?.(e);
    }
  };
  const onData = (data: unknown) => {
    let m: PushMessage;
    try {
      m = JSON.parse(String(data));
    } catch {
      return; // not JSON: nothing the server sends
    }
    ok();
    const r = applyMessage(objects, m);
    if (r.alarm) opts.onAlarm?.(r.alarm);
    if (r.incident) opts.onIncident?.(r.incident);
    if (r.changed) deliver();
  };
  const teardown = () => {
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close();
      ws = null;
    }
    sse?.close();
    sse = null;
    mode = 'none';
  };
  const reconnect = () => {
    teardown();
    clearTimeout(retry);
    if (closed) return;
    retry = setTimeout(connect, backoff(failures++));
  };
  const connect = () => {
    clearTimeout(retry);
    teardown();
    if (closed) return;
    if (want.length === 0) {
      objects.clear();
      deliver();
      return; // nothing to follow until kinds are wanted again
    }
    if (openWS && wsFailed < wsAttempts) {
      let opened = false;
      const s = openWS(pushURL('ws', loc, token()));
      ws = s;
      mode = 'ws';
      s.onopen = () => {
        opened = true;
        wsFailed = 0;
        s.send(subscribeMessage(box, want));
      };
      s.onmessage = (e) => onData(e.data);
      s.onerror = () => {};
      s.onclose = (e) => {
        if (!opened) wsFailed++;
        fail(new Error(e.reason || (opened ? 'the live connection closed' : 'the live connection could not be opened')));
        reconnect();
      };
      return;
    }
    const s = openSSE(pushURL('sse', loc, token(), box, want));
    sse = s;
    mode = 'sse';
    for (const t of pushTypes) s.addEventListener(t, (e) => onData(e.data));
    s.addEventListener('close', (e) => {
      fail(new Error(String(e.data)));
      reconnect();
    });
    s.onerror = () => fail(new Error('the live stream was interrupted')); // EventSource reconnects itself, with Last-Event-ID
  };
  const resubscribe = () => {
    if (ws && ws.readyState === 1 && want.length > 0) ws.send(subscribeMessage(box, want));
    else if (mode === 'ws' && ws && ws.readyState === 0) return; // sent on open
    else connect();
  };

  connect();
  return {
    setBBox(b) {
      const next = queryBBox(b, pad);
      if (next.every((v, i) => v === box[i])) return;
      box = next;
      resubscribe();
    },
    setKinds(k) {
      const next = [...new Set(k)];
      if (sameKinds(next, want)) return;
      want = next;
      if (want.length === 0) connect();
      else resubscribe();
    },
    refresh() {
      connect();
    },
    transport: () => mode,
    close() {
      closed = true;
      clearTimeout(retry);
      clearTimeout(pending);
      teardown();
    },
  };
}
