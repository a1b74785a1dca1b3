// The watch dock (loaded after the first view): the alarm panel, the fence editor, the replay slider
// and sign-in. It works on the 2D map through MapLibre directly and on the live layers through the
// hooks App hands it.
import type { GeoJSONSource, MapLayerMouseEvent, MapMouseEvent } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'preact/hooks';
import { alarmPlace, beep, isOpen, levelColours, mergeAlarm, newestFirst, sounds } from '../alarms';
import { ApiError, getJSON, sendJSON } from '../api';
import { getToken, setToken } from '../auth';
import { drawnGeometry, editableVertices, fenceBody, formatRules, moveVertex, parseRules, type Fence, type FenceGeometry, type LonLat } from '../fencedraw';
import { useI18n, type MessageKey, type T } from '../i18n';
import type { Alarm, BBox, LiveFeature, LiveKind } from '../live';
import { formatTime } from '../livecard';
import type { Map2D } from '../map2d';
import { Incidents } from './Incidents';
import { advance, alarmsAtURL, due, objectsAtURL, seek, speeds, startClock, type ReplayClock } from '../replay';

export interface ReplayHooks {
  /** live drawing pauses; the map shows what show gives it */
  start(): void;
  show(features: LiveFeature[], t: number): void;
  /** back to the live objects */
  stop(): void;
  bbox(): BBox;
  kinds(): LiveKind[];
}

export interface WatchProps {
  map: Map2D;
  /** subscribes to pushed alarm changes; returns the unsubscribe */
  onAlarms(fn: (a: Alarm) => void): () => void;
  /** told when an incident change is pushed */
  onIncidents(fn: () => void): () => void;
  flyTo(lon: number, lat: number): void;
  onError(msg: string): void;
  onNotice(msg: string): void;
  replay: ReplayHooks;
  /** the signed-in token changed: reconnect what depends on it */
  onToken(): void;
}

type Tab = 'alarms' | 'incidents' | 'fences' | 'replay' | 'account';

/** An API error for people: 401 asks to sign in, 403 says what is not allowed. */
function explain(t: T, e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return t('needSignIn', { e: e.message });
  if (e instanceof ApiError && e.status === 403) return t('forbidden', { e: e.message });
  return t('failedWatch', { e: (e as Error).message });
}

const levelKey = (l: string) => `level${l[0]?.toUpperCase()}${l.slice(1)}` as MessageKey;
const stateKey = (s: string) => `state${s[0]?.toUpperCase()}${s.slice(1)}` as MessageKey;

export default function Watch(p: WatchProps) {
  const { t } = useI18n();
  const [tab, setTab] = useState<Tab>('alarms');
  const [open, setOpen] = useState(true);
  // The incident panel, once opened, stays mounted (its incidents stay on the map).
  const [incidents, setIncidents] = useState(false);
  const err = (e: unknown) => p.onError(explain(t, e));
  return (
    <div class={`panel watch ${open ? '' : 'folded'}`} data-testid="watch">
      <header>
        {(['alarms', 'incidents', 'fences', 'replay', 'account'] as Tab[]).map((k) => (
          <button
            key={k}
            class={tab === k && open ? 'on' : ''}
            data-tab={k}
            onClick={() => {
              if (k === 'incidents') setIncidents(true);
              if (tab === k) setOpen(!open);
              else {
                setTab(k);
                setOpen(true);
              }
            }}
          >
            {t(k)}
          </button>
        ))}
      </header>
      <div class="watch-body" hidden={!open}>
        <Alarms {...p} err={err} hidden={tab !== 'alarms'} />
        {incidents && <Incidents {...p} err={err} hidden={tab !== 'incidents'} />}
        {tab === 'fences' && <Fences {...p} err={err} />}
        {tab === 'replay' && <Replay {...p} err={err} leave={() => setTab('alarms')} />}
        {tab === 'account' && <Account {...p} err={err} />}
      </div>
    </div>
  );
}

type Inner = WatchProps & { err: (e: unknown) => void };

/** The open alarms, newest first, live from the push; a click flies there and shows the evidence. */
function Alarms(p: WatchProps & { err: (e: unknown) => void; hidden: boolean }) {
  const { t } = useI18n();
  const [list, setList] = useState<Alarm[]>([]);
  const [sel, setSel] = useState<{ alarm: Alarm; timeline: { time: string; event: string; who?: string; note?: string }[] } | null>(null);
  const [note, setNote] = useState('');
  const listRef = useRef(list);
  listRef.current = list;

  const merge = (a: Alarm, fromPush: boolean) => {
    const r = mergeAlarm(listRef.current, a);
    listRef.current = r.list;
    setList(r.list);
    if (fromPush && sounds(a, r.isNew)) beep(a.level);
    setSel((s) => (s && s.alarm.id === a.id ? { ...s, alarm: a } : s));
  };
  useEffect(() => {
    const ac = new AbortController();
    getJSON<{ alarms: Alarm[] }>('/live/alarms?state=raised,acknowledged&limit=200', ac.signal).then(
      (r) => {
        // Pushed ones that came first win (they are newer).
        let l = (r.alarms ?? []).filter(isOpen).sort(newestFirst);
        for (const a of listRef.current) l = mergeAlarm(l, a).list;
        listRef.current = l;
        setList(l);
      },
      (e) => e.name !== 'AbortError' && p.err(e),
    );
    const off = p.onAlarms((a) => merge(a, true));
    return () => {
      ac.abort();
      off();
    };
  }, []);

  const show = async (a: Alarm) => {
    const at = alarmPlace(a);
    if (at) p.flyTo(at[0], at[1]);
    drawEvidence(p.map, a);
    setSel({ alarm: a, timeline: [] });
    try {
      const r = await getJSON<{ alarm: Alarm; timeline: { time: string; event: string; who?: string; note?: string }[] }>(`/live/alarms/${encodeURIComponent(a.id)}`);
      setSel({ alarm: r.alarm, timeline: r.timeline ?? [] });
      drawEvidence(p.map, r.alarm);
    } catch (e) {
      p.err(e);
    }
  };
  const ack = async (a: Alarm) => {
    try {
      const got = await sendJSON<Alarm>('POST', `/live/alarms/${encodeURIComponent(a.id)}/ack`, JSON.stringify({ note }));
      setNote('');
      merge(got, false);
    } catch (e) {
      p.err(e);
    }
  };
  if (p.hidden) return null;
  return (
    <div class="alarms">
      {list.length === 0 && <p class="muted">{t('noAlarms')}</p>}
      <ul class="alarm-list">
        {list.map((a) => (
          <li
            key={a.id}
            data-alarm-id={a.id}
            data-alarm-kind={a.kind}
            data-state={a.state}
            class={sel?.alarm.id === a.id ? 'on' : ''}
            style={{ borderLeftColor: levelColours[a.level] ?? '#999' }}
            onClick={() => show(a)}
          >
            <span class="level" style={{ background: levelColours[a.level] ?? '#999' }}>
              {t(levelKey(a.level))}
            </span>
            <span class="alarm-title">{a.title || a.kind}</span>
            <span class="alarm-sub">
              {a.object} · {formatTime(a.time)} · <span class="alarm-state">{t(stateKey(a.state))}</span>
            </span>
          </li>
        ))}
      </ul>
      {sel && (
        <div class="alarm-detail" data-alarm-id={sel.alarm.id}>
          <h3>{sel.alarm.title || sel.alarm.kind}</h3>
          {sel.alarm.state === 'raised' ? (
            <div class="ack">
              <input placeholder={t('ackNote')} value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
              <button data-action="ack" onClick={() => ack(sel.alarm)}>
                {t('ack')}
              </button>
            </div>
          ) : (
            <p class="muted" data-field="ack">
              {t(stateKey(sel.alarm.state))}
              {sel.alarm.ack_by ? ` · ${sel.alarm.ack_by}` : ''}
              {sel.alarm.ack_note ? ` · ${sel.alarm.ack_note}` : ''}
            </p>
          )}
          {(sel.alarm.evidence?.length ?? 0) > 0 && (
            <>
              <h4>{t('evidence')}</h4>
              <table class="evidence">
                <tbody>
                  {sel.alarm.evidence!.map((e, i) => (
                    <tr key={i}>
                      <td>{formatTime(e.time)}</td>
                      <td>
                        {e.lon !== undefined && e.lat !== undefined ? `${e.lon.toFixed(5)}, ${e.lat.toFixed(5)}` : ''}
                        {e.speed !== undefined ? ` ${e.speed} km/h` : ''}
                        {e.values ? ` ${Object.entries(e.values).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {sel.timeline.length > 0 && (
            <>
              <h4>{t('timeline')}</h4>
              <ul class="timeline">
                {sel.timeline.map((e, i) => (
                  <li key={i}>
                    {formatTime(e.time)} {e.event}
                    {e.who ? ` · ${e.who}` : ''}
                    {e.note ? ` · ${e.note}` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}

const evidenceSource = 'yitu-evidence';

/** The alarm's evidence on the 2D map: its positions as dots joined by a line. */
function drawEvidence(m: Map2D, a: Alarm) {
  const pts = (a.evidence ?? []).filter((e) => e.lon !== undefined && e.lat !== undefined).map((e) => [e.lon!, e.lat!]);
  const at = alarmPlace(a);
  if (!pts.length && at) pts.push(at);
  const features: GeoJSON.Feature[] = pts.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} }));
  if (pts.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: pts }, properties: {} });
  const data: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features };
  const colour = levelColours[a.level] ?? '#d6336c';
  const src = m.map.getSource(evidenceSource) as GeoJSONSource | undefined;
  if (src) src.setData(data);
  else {
    m.map.addSource(evidenceSource, { type: 'geojson', data });
    m.map.addLayer({ id: 'yitu-evidence-line', type: 'line', source: evidenceSource, filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': colour, 'line-width': 2, 'line-dasharray': [2, 1] } });
    m.map.addLayer({ id: 'yitu-evidence-point', type: 'circle', source: evidenceSource, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 5, 'circle-color': '#fff', 'circle-stroke-color': colour, 'circle-stroke-width': 2.5 } });
  }
  for (const id of ['yitu-evidence-line', 'yitu-evidence-point']) m.map.setPaintProperty(id, id.endsWith('line') ? 'line-color' : 'circle-stroke-color', colour);
}

const fenceSource = 'yitu-fences-edit';
const vertexLayer = 'yitu-fence-vertex';

interface Draft {
  id?: number;
  geometry: FenceGeometry | null;
  name: string;
  rules: string;
  level: string;
  kinds: string;
  width: number;
}

const emptyDraft = (): Draft => ({ geometry: null, name: '', rules: 'enter', level: 'orange', kinds: 'vehicle', width: 50 });

/** The fence list and editor: draw a polygon or corridor, name it, give it rules, move vertices, save, delete. */
function Fences(p: Inner) {
  const { t } = useI18n();
  const [fences, setFences] = useState<Fence[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [drawing, setDrawing] = useState<'polygon' | 'corridor' | null>(null);
  const clicks = useRef<LonLat[]>([]);
  const draftRef = useRef(draft);
  draftRef.current = draft;
  const m = p.map.map;

  const load = () =>
    getJSON<{ features: Fence[] }>('/live/fences').then(
      (fc) => setFences(fc.features ?? []),
      (e) => p.err(e),
    );
  useEffect(() => {
    void load();
  }, []);

  // The sources: the fences, the draft's shape and its vertices.
  const paint = (list: Fence[], d: Draft | null, sketch: LonLat[]) => {
    const features: GeoJSON.Feature[] = list.filter((f) => f.properties.id !== d?.id).map((f) => ({ ...f, properties: { role: 'fence' } }));
    if (d?.geometry) {
      features.push({ type: 'Feature', geometry: d.geometry, properties: { role: 'draft' } });
      editableVertices(d.geometry).forEach((c, i) => features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: { role: 'vertex', i } }));
    }
    if (sketch.length) {
      features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: sketch.length > 1 ? sketch : [sketch[0], sketch[0]] }, properties: { role: 'draft' } });
      sketch.forEach((c, i) => features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: { role: 'vertex', i } }));
    }
    const data: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features };
    const src = m.getSource(fenceSource) as GeoJSONSource | undefined;
    if (src) {
      src.setData(data);
      return;
    }
    m.addSource(fenceSource, { type: 'geojson', data });
    m.addLayer({ id: 'yitu-fence-fill', type: 'fill', source: fenceSource, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': ['match', ['get', 'role'], 'draft', '#f76707', '#1f6fd1'], 'fill-opacity': 0.15 } });
    m.addLayer({ id: 'yitu-fence-line', type: 'line', source: fenceSource, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': ['match', ['get', 'role'], 'draft', '#f76707', '#1f6fd1'], 'line-width': 2 } });
    m.addLayer({ id: vertexLayer, type: 'circle', source: fenceSource, filter: ['==', ['get', 'role'], 'vertex'], paint: { 'circle-radius': 6, 'circle-color': '#fff', 'circle-stroke-color': '#f76707', 'circle-stroke-width': 2 } });
  };
  useEffect(() => {
    paint(fences, draft, drawing ? clicks.current : []);
  }, [fences, draft, drawing]);
  useEffect(
    () => () => {
      for (const id of [vertexLayer, 'yitu-fence-line', 'yitu-fence-fill']) if (m.getLayer(id)) m.removeLayer(id);
      if (m.getSource(fenceSource)) m.removeSource(fenceSource);
      p.map.captureClicks = false;
      m.doubleClickZoom.enable();
    },
    [],
  );

  // Drawing: clicks add vertices, a double-click finishes, Esc cancels.
  useEffect(() => {
    if (!drawing) return;
    p.map.captureClicks = true;
    m.doubleClickZoom.disable();
    m.getCanvas().style.cursor = 'crosshair';
    clicks.current = [];
    const onClick = (e: MapMouseEvent) => {
      clicks.current = [...clicks.current, [e.lngLat.lng, e.lngLat.lat]];
      paint(fences, draftRef.current, clicks.current);
    };
    const finish = (e: MapMouseEvent) => {
      e.preventDefault();
      const g = drawnGeometry(drawing, clicks.current);
      if (!g) return;
      setDraft({ ...(draftRef.current ?? emptyDraft()), id: undefined, geometry: g });
      setDrawing(null);
    };
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setDrawing(null);
    m.on('click', onClick);
    m.on('dblclick', finish);
    window.addEventListener('keydown', esc);
    return () => {
      m.off('click', onClick);
      m.off('dblclick', finish);
      window.removeEventListener('keydown', esc);
      m.getCanvas().style.cursor = '';
      clicks.current = [];
      p.map.captureClicks = false;
      // After the double-click's own zoom handling is past.
      setTimeout(() => m.doubleClickZoom.enable(), 300);
    };
  }, [drawing]);

  // Moving a vertex of the draft by dragging it.
  useEffect(() => {
    if (!draft?.geometry || drawing) return;
    let dragging: number | null = null;
    const down = (e: MapLayerMouseEvent) => {
      const i = e.features?.[0]?.properties?.i;
      if (typeof i !== 'number') return;
      e.preventDefault();
      dragging = i;
      m.dragPan.disable();
    };
    const move = (e: MapMouseEvent) => {
      const d = draftRef.current;
      if (dragging === null || !d?.geometry) return;
      const next = { ...d, geometry: moveVertex(d.geometry, dragging, [e.lngLat.lng, e.lngLat.lat]) };
      draftRef.current = next;
      paint(fences, next, []);
    };
    const up = () => {
      if (dragging === null) return;
      dragging = null;
      m.dragPan.enable();
      setDraft(draftRef.current);
    };
    m.on('mousedown', vertexLayer, down);
    m.on('mousemove', move);
    m.on('mouseup', up);
    return () => {
      m.off('mousedown', vertexLayer, down);
      m.off('mousemove', move);
      m.off('mouseup', up);
    };
  }, [draft?.geometry, drawing, fences]);

  const edit = (f: Fence) => {
    const r = f.properties.rules ?? [];
    setDraft({
      id: f.properties.id ?? (typeof f.id === 'number' ? f.id : Number(f.id)),
      geometry: f.geometry,
      name: f.properties.name ?? '',
      rules: formatRules(r),
      level: r[0]?.level ?? 'orange',
      kinds: (f.properties.applies_to?.kinds ?? []).join(','),
      width: f.properties.width_m ?? 50,
    });
  };
  const changed = () => {
    p.map.refresh({ layers: ['live.fence'] });
    void load();
  };
  const save = async () => {
    const d = draftRef.current;
    if (!d?.geometry) return;
    let rules;
    try {
      rules = parseRules(d.rules, d.level);
    } catch (e) {
      p.onError(t('badRules', { e: (e as Error).message }));
      return;
    }
    const body = fenceBody(d.geometry, { name: d.name, rules, applies_to: { kinds: d.kinds.split(/[,，\s]+/).filter(Boolean) }, width_m: d.width });
    try {
      if (d.id) await sendJSON('PUT', `/live/fences/${d.id}`, body, 'application/geo+json');
      else await sendJSON('POST', '/live/fences', body, 'application/geo+json');
      setDraft(null);
      p.onNotice(t('fenceSaved'));
      changed();
    } catch (e) {
      p.err(e);
    }
  };
  const remove = async () => {
    const d = draftRef.current;
    if (!d?.id) return setDraft(null);
    try {
      await sendJSON('DELETE', `/live/fences/${d.id}`);
      setDraft(null);
      p.onNotice(t('fenceDeleted'));
      changed();
    } catch (e) {
      p.err(e);
    }
  };
  const field = (k: keyof Draft) => (e: Event) => setDraft({ ...draftRef.current!, [k]: k === 'width' ? Number((e.target as HTMLInputElement).value) : (e.target as HTMLInputElement).value });

  return (
    <div class="fences">
      <div class="row">
        <button class={drawing === 'polygon' ? 'on' : ''} data-action="draw-polygon" onClick={() => setDrawing(drawing === 'polygon' ? null : 'polygon')}>
          {t('drawPolygon')}
        </button>
        <button class={drawing === 'corridor' ? 'on' : ''} data-action="draw-corridor" onClick={() => setDrawing(drawing === 'corridor' ? null : 'corridor')}>
          {t('drawCorridor')}
        </button>
      </div>
      {drawing && <p class="hint">{t('drawHint')}</p>}
      {draft?.geometry && !drawing && (
        <form
          class="fence-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <p class="hint">{t('editHint')}</p>
          <label>
            {t('fenceName')}
            <input name="name" required value={draft.name} onInput={field('name')} />
          </label>
          <label>
            {t('fenceRules')}
            <input name="rules" placeholder={t('fenceRulesHint')} value={draft.rules} onInput={field('rules')} />
          </label>
          <label>
            {t('fenceLevel')}
            <select name="level" value={draft.level} onChange={field('level')}>
              {['blue', 'yellow', 'orange', 'red'].map((l) => (
                <option key={l} value={l}>
                  {t(levelKey(l))}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('fenceKinds')}
            <input name="kinds" value={draft.kinds} onInput={field('kinds')} placeholder="vehicle,team" />
          </label>
          {draft.geometry.type === 'LineString' && (
            <label>
              {t('fenceWidth')}
              <input name="width" type="number" min="1" value={draft.width} onInput={field('width')} />
            </label>
          )}
          <div class="row">
            <button type="submit" data-action="save-fence">
              {t('save')}
            </button>
            {draft.id && (
              <button type="button" data-action="delete-fence" onClick={remove}>
                {t('del')}
              </button>
            )}
            <button type="button" onClick={() => setDraft(null)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
      {fences.length === 0 && <p class="muted">{t('noFences')}</p>}
      <ul class="fence-list">
        {fences.map((f) => (
          <li key={String(f.properties.id ?? f.id)} data-fence-id={String(f.properties.id ?? f.id)} onClick={() => edit(f)}>
            {f.properties.name || `#${f.properties.id ?? f.id}`} <span class="muted">{formatRules(f.properties.rules ?? [])}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The time slider: the last 6 hours of the live layers and alarms, at 1× to 60×. */
function Replay(p: Inner & { leave: () => void }) {
  const { t } = useI18n();
  const [clock, setClock] = useState<ReplayClock>(() => startClock(Date.now()));
  const [alarms, setAlarms] = useState<Alarm[]>([]);
  const asked = useRef<number | null>(null);
  const inflight = useRef<AbortController | null>(null);

  useEffect(() => {
    p.replay.start();
    return () => {
      inflight.current?.abort();
      p.replay.stop();
    };
  }, []);
  useEffect(() => {
    if (!clock.playing) return;
    const step = 250;
    const id = setInterval(() => setClock((c) => advance(c, step)), step);
    return () => clearInterval(id);
  }, [clock.playing]);
  useEffect(() => {
    if (!due(asked.current, clock.t, clock.playing ? clock.speed : 0) && asked.current !== null) return;
    asked.current = clock.t;
    inflight.current?.abort();
    const ac = new AbortController();
    inflight.current = ac;
    const at = clock.t;
    const kinds = p.replay.kinds();
    Promise.all([
      kinds.length ? getJSON<{ features: LiveFeature[] }>(objectsAtURL(at, p.replay.bbox(), kinds), ac.signal) : Promise.resolve({ features: [] }),
      getJSON<{ alarms: Alarm[] }>(alarmsAtURL(clock.from, at), ac.signal),
    ]).then(
      ([fc, al]) => {
        if (ac.signal.aborted) return;
        p.replay.show(fc.features ?? [], at);
        setAlarms((al.alarms ?? []).sort(newestFirst));
      },
      (e) => e.name !== 'AbortError' && p.err(e),
    );
  }, [clock.t]);

  const iso = new Date(clock.t);
  return (
    <div class="replay" data-replay-time={iso.toISOString()}>
      <label>
        {t('replayAt')} <strong data-field="replay-time">{formatTime(iso.toISOString())}</strong>
        <input
          type="range"
          data-testid="replay-slider"
          min={clock.from}
          max={clock.to}
          step={1000}
          value={clock.t}
          onInput={(e) => setClock((c) => seek(c, Number((e.target as HTMLInputElement).value)))}
        />
      </label>
      <div class="row">
        <button data-action="play" onClick={() => setClock((c) => ({ ...c, playing: !c.playing && c.t < c.to }))}>
          {clock.playing ? t('pause') : t('play')}
        </button>
        <span class="segmented">
          {speeds.map((s) => (
            <button key={s} class={clock.speed === s ? 'on' : ''} data-speed={s} onClick={() => setClock((c) => ({ ...c, speed: s }))}>
              {s}×
            </button>
          ))}
        </span>
        <button data-action="live" onClick={p.leave}>
          {t('backToLive')}
        </button>
      </div>
      <ul class="alarm-list">
        {alarms.slice(0, 50).map((a) => (
          <li key={a.id} style={{ borderLeftColor: levelColours[a.level] ?? '#999' }}>
            <span class="alarm-title">{a.title || a.kind}</span>
            <span class="alarm-sub">
              {a.object} · {formatTime(a.time)}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Sign-in with an access token, kept in localStorage. */
function Account(p: Inner) {
  const { t } = useI18n();
  const [tok, setTok] = useState('');
  const [signed, setSigned] = useState(!!getToken());
  return (
    <form
      class="account"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(tok || null);
        setSigned(!!tok);
        setTok('');
        p.onToken();
      }}
    >
      <p class="muted" data-field="signed-in">{signed ? t('signedIn') : t('notSignedIn')}</p>
      <label>
        {t('token')}
        <input name="token" type="password" autocomplete="off" value={tok} onInput={(e) => setTok((e.target as HTMLInputElement).value)} />
      </label>
      <div class="row">
        <button type="submit" data-action="sign-in">
          {t('signIn')}
        </button>
        {signed && (
          <button
            type="button"
            data-action="sign-out"
            onClick={() => {
              setToken(null);
              setSigned(false);
              p.onToken();
            }}
          >
            {t('signOut')}
          </button>
        )}
      </div>
    </form>
  );
}
