// The incident panel (事件), a tab of the watch dock: incidents by state with an overdue filter, each
// one's timeline, the transitions the signed-in caller's roles allow, reporting one by clicking the
// map, the incidents drawn on the 2D map by state (overdue ringed), and for a forest fire its spread,
// resources and evacuation. Refreshed when an incident change is pushed (signed-in maps get them) or
// an alarm (it may raise one), and otherwise every 20 s.
import type { GeoJSONSource, MapLayerMouseEvent, MapMouseEvent } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJSON, sendJSON } from '../api';
import { defaultSpread, drawable, fireURL, type FireView, type SpreadParams } from '../fire';
import { useI18n, type MessageKey, type T } from '../i18n';
import {
  buttonsFor,
  countByState,
  fieldsOf,
  filterIncidents,
  incidentFeatures,
  overdueColour,
  stateColours,
  states,
  transitionBody,
  type Incident,
  type IncidentEvent,
  type TransitionForm,
} from '../incidents';
import { formatTime } from '../livecard';
import type { WatchProps } from './Watch';

interface Me {
  subject: string;
  roles: string[];
  signed_in: boolean;
}

const types = ['forest_fire', 'hazmat', 'mine', 'sensor', 'other'];
const pollMs = 20_000;
const source = 'yitu-incidents';
const pointLayer = 'yitu-incident-point';
const fireSource = 'yitu-fire';

export const stateName = (t: T, s: string) => t(`istate_${s}` as MessageKey);
export const actionName = (t: T, a: string) => t(`iact_${a}` as MessageKey);
const typeName = (t: T, s: string) => (types.includes(s) ? t(`incType_${s}` as MessageKey) : s);

export function Incidents(p: WatchProps & { err: (e: unknown) => void; hidden: boolean }) {
  const { t } = useI18n();
  const [me, setMe] = useState<Me | null>(null);
  const [list, setList] = useState<Incident[]>([]);
  const [filter, setFilter] = useState('open');
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [sel, setSel] = useState<{ incident: Incident; timeline: IncidentEvent[] } | null>(null);
  const [pending, setPending] = useState<{ action: string; version: number } | null>(null);
  const [form, setForm] = useState<TransitionForm>({});
  const [conflict, setConflict] = useState<string | null>(null);
  const [reporting, setReporting] = useState<null | 'pick' | { lon: number; lat: number }>(null);
  const [draft, setDraft] = useState({ type: 'forest_fire', title: '', description: '' });
  const selId = useRef<number | null>(null);
  selId.current = sel?.incident.id ?? null;
  const m = p.map.map;

  const openIncident = async (id: number) => {
    const r = await getJSON<{ incident: Incident; timeline: IncidentEvent[] }>(`/command/incidents/${id}`);
    setSel(r);
    return r;
  };
  const load = async () => {
    try {
      const who = await getJSON<Me>('/auth/me');
      setMe(who);
      if (!who.signed_in) {
        setList([]);
        setSel(null);
        return;
      }
      const r = await getJSON<{ incidents: Incident[] }>('/command/incidents');
      setList(r.incidents ?? []);
      if (selId.current !== null) await openIncident(selId.current);
    } catch (e) {
      p.err(e);
    }
  };

  useEffect(() => {
    if (!p.hidden) void load();
  }, [p.hidden]);
  useEffect(() => {
    const id = setInterval(() => void load(), pollMs);
    let soon: ReturnType<typeof setTimeout> | undefined;
    const off = p.onAlarms(() => {
      clearTimeout(soon);
      soon = setTimeout(() => void load(), 1000);
    });
    // An incident changed (here or on another screen): reload at once, a burst once.
    const offIncidents = p.onIncidents(() => {
      clearTimeout(soon);
      soon = setTimeout(() => void load(), 200);
    });
    return () => {
      clearInterval(id);
      clearTimeout(soon);
      off();
      offIncidents();
    };
  }, []);

  // The incidents on the map: a dot by state, overdue ones ringed, the selected one larger; a click opens one.
  useEffect(() => {
    const data = incidentFeatures(list, sel?.incident.id);
    if (reporting && reporting !== 'pick') {
      data.features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [reporting.lon, reporting.lat] }, properties: { colour: stateColours.reported, draft: true } });
    }
    const src = m.getSource(source) as GeoJSONSource | undefined;
    if (src) {
      src.setData(data);
      return;
    }
    m.addSource(source, { type: 'geojson', data });
    m.addLayer({ id: 'yitu-incident-area', type: 'fill', source, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.2 } });
    m.addLayer({
      id: 'yitu-incident-overdue',
      type: 'circle',
      source,
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'overdue'], true]],
      paint: { 'circle-radius': 13, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': overdueColour, 'circle-stroke-width': 3 },
    });
    m.addLayer({
      id: pointLayer,
      type: 'circle',
      source,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: {
        'circle-radius': ['case', ['==', ['get', 'selected'], true], 9, 7],
        'circle-color': ['get', 'colour'],
        'circle-stroke-color': '#fff',
        'circle-stroke-width': 2,
      },
    });
  }, [list, sel?.incident.id, reporting]);
  useEffect(() => {
    const click = (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties?.id;
      if (typeof id === 'number' && !p.map.captureClicks) void openIncident(id).catch(p.err);
    };
    m.on('click', pointLayer, click);
    return () => {
      m.off('click', pointLayer, click);
      for (const id of [pointLayer, 'yitu-incident-overdue', 'yitu-incident-area']) if (m.getLayer(id)) m.removeLayer(id);
      if (m.getSource(source)) m.removeSource(source);
      clearFire(p);
    };
  }, []);

  // Reporting: a click on the map places the incident, Esc cancels.
  useEffect(() => {
    if (reporting !== 'pick') return;
    p.map.captureClicks = true;
    m.getCanvas().style.cursor = 'crosshair';
    const onClick = (e: MapMouseEvent) => setReporting({ lon: e.lngLat.lng, lat: e.lngLat.lat });
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setReporting(null);
    m.once('click', onClick);
    window.addEventListener('keydown', esc);
    return () => {
      m.off('click', onClick);
      window.removeEventListener('keydown', esc);
      m.getCanvas().style.cursor = '';
      // After this click's own handlers (the identify) have run.
      setTimeout(() => (p.map.captureClicks = false), 0);
    };
  }, [reporting === 'pick']);

  const submitReport = async () => {
    if (!reporting || reporting === 'pick') return;
    try {
      const body = { ...draft, geometry: { type: 'Point', coordinates: [reporting.lon, reporting.lat] } };
      const inc = await sendJSON<Incident>('POST', '/command/incidents', JSON.stringify(body));
      setReporting(null);
      setDraft({ ...draft, title: '', description: '' });
      p.onNotice(t('incReported'));
      setFilter('open');
      await openIncident(inc.id);
      await load();
    } catch (e) {
      p.err(e);
    }
  };

  const choose = (action: string) => {
    if (!sel) return;
    setConflict(null);
    setForm({});
    setPending({ action, version: sel.incident.version });
  };
  const act = async () => {
    if (!sel || !pending) return;
    const { body, missing } = transitionBody(pending.action, pending.version, form);
    if (!body) {
      setConflict(t('incMissing', { f: missing === 'assignee' ? t('incAssignee') : missing === 'score' ? t('incScore') : missing === 'merged_into' ? t('incMergeInto') : t('incDeadlineAt') }));
      return;
    }
    try {
      await sendJSON<Incident>('POST', `/command/incidents/${sel.incident.id}/transitions`, JSON.stringify(body));
      p.onNotice(t('incDone', { a: actionName(t, pending.action) }));
      setPending(null);
      setConflict(null);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 400 || e.status === 403)) {
        // Refused: the server says why (a 409 lists what may be done now); the incident is reloaded.
        setConflict(t('incConflict', { e: e.message }));
        setPending(null);
      } else p.err(e);
    }
    await load();
  };

  if (p.hidden) return null;
  if (me && !me.signed_in) return <p class="muted" data-field="incidents-signin">{t('incNeedSignIn')}</p>;
  const counts = countByState(list);
  const shown = filterIncidents(list, filter, overdueOnly);
  const inc = sel?.incident;
  const buttons = inc && me ? buttonsFor(me.roles, inc) : [];
  const field = (k: keyof TransitionForm) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  return (
    <div class="incidents" data-testid="incidents">
      {me && (
        <p class="hint" data-field="me">
          {t('incRoles', { s: me.subject, r: me.roles.join(', ') })}
        </p>
      )}
      <div class="row">
        <button class={reporting ? 'on' : ''} data-action="report" onClick={() => setReporting(reporting ? null : 'pick')}>
          {t('incReport')}
        </button>
        <select data-field="state-filter" value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value)}>
          <option value="open">
            {t('incOpen')} ({counts.open})
          </option>
          <option value="">
            {t('incAll')} ({list.length})
          </option>
          {states.map((s) => (
            <option key={s} value={s}>
              {stateName(t, s)} ({counts[s]})
            </option>
          ))}
        </select>
        <label class="check">
          <input type="checkbox" data-field="overdue-only" checked={overdueOnly} onChange={(e) => setOverdueOnly((e.target as HTMLInputElement).checked)} />
          {t('incOverdueOnly')}
          {counts.overdue > 0 && (
            <span class="badge overdue" data-field="overdue-count">
              {counts.overdue}
            </span>
          )}
        </label>
      </div>
      {reporting === 'pick' && <p class="hint">{t('incReportHint')}</p>}
      {reporting && reporting !== 'pick' && (
        <form
          class="report-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submitReport();
          }}
        >
          <p class="hint">
            {reporting.lon.toFixed(5)}, {reporting.lat.toFixed(5)}
          </p>
          <label>
            {t('incType')}
            <select name="type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: (e.target as HTMLSelectElement).value })}>
              {types.map((ty) => (
                <option key={ty} value={ty}>
                  {typeName(t, ty)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('incTitle')}
            <input name="title" required value={draft.title} onInput={(e) => setDraft({ ...draft, title: (e.target as HTMLInputElement).value })} />
          </label>
          <label>
            {t('incDescription')}
            <textarea name="description" rows={2} value={draft.description} onInput={(e) => setDraft({ ...draft, description: (e.target as HTMLTextAreaElement).value })} />
          </label>
          <div class="row">
            <button type="submit" data-action="submit-report">
              {t('incSubmit')}
            </button>
            <button type="button" onClick={() => setReporting(null)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
      {me && shown.length === 0 && <p class="muted">{t('incNone')}</p>}
      <ul class="alarm-list incident-list">
        {shown.map((i) => (
          <li
            key={i.id}
            data-incident-id={i.id}
            data-state={i.state}
            class={inc?.id === i.id ? 'on' : ''}
            style={{ borderLeftColor: stateColours[i.state] ?? '#999' }}
            onClick={() => {
              setPending(null);
              setConflict(null);
              const c = i.geometry && i.geometry.type === 'Point' ? i.geometry.coordinates : null;
              if (c) p.flyTo(c[0], c[1]);
              void openIncident(i.id).catch(p.err);
            }}
          >
            <span class="level" style={{ background: stateColours[i.state] ?? '#999' }}>
              {stateName(t, i.state)}
            </span>
            <span class="alarm-title">
              #{i.id} {i.title}
              {i.overdue && <span class="badge overdue">{t('incOverdue')}</span>}
              {i.supervised && <span class="badge supervised">{t('incSupervised')}</span>}
            </span>
            <span class="alarm-sub">
              {typeName(t, i.type)} · {formatTime(i.created_at)}
              {i.assignee ? ` · ${i.assignee}` : ''}
            </span>
          </li>
        ))}
      </ul>
      {inc && sel && (
        <div class="alarm-detail incident-detail" data-incident-id={inc.id} data-state={inc.state} data-version={inc.version}>
          <h3>
            #{inc.id} {inc.title}{' '}
            <span class="badge" style={{ background: stateColours[inc.state] }} data-field="incident-state">
              {stateName(t, inc.state)}
            </span>
            {inc.overdue && <span class="badge overdue">{t('incOverdue')}</span>}
          </h3>
          <p class="muted">
            {typeName(t, inc.type)}
            {inc.assignee ? ` · ${t('incAssignee')}：${inc.assignee}` : ''}
            {inc.deadline ? ` · ${t('incDeadlineAt')}：${formatTime(inc.deadline)}` : ''}
          </p>
          {inc.description && <p>{inc.description}</p>}
          {conflict && (
            <p class="conflict" role="alert" data-field="incident-conflict">
              {conflict}
            </p>
          )}
          <div class="row" data-field="actions">
            {buttons.map((a) => (
              <button key={a} class={pending?.action === a ? 'on' : ''} data-action={`incident-${a}`} onClick={() => choose(a)}>
                {actionName(t, a)}
              </button>
            ))}
            {buttons.length === 0 && inc.actions.length > 0 && <span class="hint">{t('incNoActions')}</span>}
          </div>
          {pending && (
            <form
              class="transition-form"
              data-pending={pending.action}
              onSubmit={(e) => {
                e.preventDefault();
                void act();
              }}
            >
              {fieldsOf(pending.action).includes('assignee') && (
                <label>
                  {t('incAssignee')}
                  <input name="assignee" value={form.assignee ?? ''} onInput={field('assignee')} />
                </label>
              )}
              {fieldsOf(pending.action).includes('deadline') && (
                <label>
                  {t('incDeadline')}
                  <input name="deadline" type="datetime-local" value={form.deadline ?? ''} onInput={field('deadline')} />
                </label>
              )}
              {fieldsOf(pending.action).includes('merged_into') && (
                <label>
                  {t('incMergeInto')}
                  <input name="merged_into" type="number" min="1" value={form.merged_into ?? ''} onInput={field('merged_into')} />
                </label>
              )}
              {fieldsOf(pending.action).includes('score') && (
                <label>
                  {t('incScore')}
                  <select name="score" value={form.score ?? ''} onChange={field('score')}>
                    <option value="" />
                    {[5, 4, 3, 2, 1].map((s) => (
                      <option key={s} value={String(s)}>
                        {s}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              <label>
                {t('incNote')}
                <input name="note" value={form.note ?? ''} onInput={field('note')} />
              </label>
              <div class="row">
                <button type="submit" data-action="confirm">
                  {actionName(t, pending.action)} · {t('incConfirm')}
                </button>
                <button type="button" onClick={() => setPending(null)}>
                  {t('cancel')}
                </button>
              </div>
            </form>
          )}
          {inc.type === 'forest_fire' ? <FireTools {...p} incident={inc} /> : inc.geometry && <FireTools {...p} incident={inc} views={['resources']} />}
          <h4>{t('incTimeline')}</h4>
          <ol class="timeline" data-testid="incident-timeline">
            {sel.timeline.map((e) => (
              <li key={e.id} data-action={e.action} data-actor={e.actor}>
                {formatTime(e.at)} <strong>{actionName(t, e.action)}</strong> · {e.actor}
                {e.detail?.assignee ? ` → ${String(e.detail.assignee)}` : ''}
                {e.detail?.score !== undefined ? ` · ${t('incScoreShort')} ${String(e.detail.score)}` : ''}
                {e.note ? ` · ${e.note}` : ''}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

const fireLayers = ['yitu-fire-fill', 'yitu-fire-line', 'yitu-fire-point', 'yitu-fire-label'];

function clearFire(p: { map: WatchProps['map'] }) {
  const m = p.map.map;
  for (const id of fireLayers) if (m.getLayer(id)) m.removeLayer(id);
  if (m.getSource(fireSource)) m.removeSource(fireSource);
}

/**
 * A forest fire's views: spread by hour, resources, evacuation (routes built elsewhere; a 404 says
 * so); another located incident's (a hazmat leak's) resources alone.
 */
function FireTools(p: WatchProps & { incident: Incident; err: (e: unknown) => void; views?: FireView[] }) {
  const views = p.views ?? (['spread', 'resources', 'evacuation'] as FireView[]);
  const { t } = useI18n();
  const [params, setParams] = useState<SpreadParams>(defaultSpread);
  const [status, setStatus] = useState<{ text: string; error: boolean } | null>(null);
  const [view, setView] = useState<FireView | null>(null);
  const names: Record<FireView, string> = { spread: t('fireSpread'), resources: t('fireResources'), evacuation: t('fireEvacuation') };
  useEffect(() => () => clearFire(p), [p.incident.id]);

  const show = async (v: FireView) => {
    setView(v);
    setStatus(null);
    try {
      const fc = await getJSON<GeoJSON.FeatureCollection>(fireURL(p.incident.id, v, params));
      draw(p, drawable(v, fc));
      setStatus({ text: t('fireShown', { v: names[v], n: fc.features?.length ?? 0 }), error: false });
    } catch (e) {
      clearFire(p);
      const unavailable = e instanceof ApiError && (e.status === 404 || e.status === 501);
      setStatus({ text: unavailable ? t('fireUnavailable', { v: names[v] }) : t('fireFailed', { v: names[v], e: (e as Error).message }), error: true });
    }
  };
  const num = (k: keyof SpreadParams) => (e: Event) => setParams({ ...params, [k]: k === 'fuel_model' ? (e.target as HTMLInputElement).value : Number((e.target as HTMLInputElement).value) });
  return (
    <div class="fire-tools" data-testid="fire-tools">
      <h4>{views.includes('spread') ? t('incFire') : t('incAround')}</h4>
      {views.includes('spread') && (
        <div class="row fire-params">
          <label>
            {t('fireWind')}
            <input type="number" min="0" step="0.5" value={params.wind_speed} onInput={num('wind_speed')} />
          </label>
          <label>
            {t('fireWindDir')}
            <input type="number" min="0" max="359" value={params.wind_direction} onInput={num('wind_direction')} />
          </label>
          <label>
            {t('fireFuel')}
            <input value={params.fuel_model} onInput={num('fuel_model')} />
          </label>
          <label>
            {t('fireMoisture')}
            <input type="number" min="1" max="60" value={params.moisture} onInput={num('moisture')} />
          </label>
        </div>
      )}
      <div class="row">
        {views.map((v) => (
          <button key={v} class={view === v ? 'on' : ''} data-action={`fire-${v}`} onClick={() => void show(v)}>
            {names[v]}
          </button>
        ))}
        <button
          onClick={() => {
            clearFire(p);
            setView(null);
            setStatus(null);
          }}
        >
          {t('fireClear')}
        </button>
      </div>
      {status && (
        <p class={status.error ? 'conflict' : 'hint'} data-field="fire-status">
          {status.text}
        </p>
      )}
    </div>
  );
}

/** A fire view on the map: polygons filled by colour (spread rings, wedges), lines (routes), points with labels. */
function draw(p: { map: WatchProps['map'] }, data: GeoJSON.FeatureCollection) {
  const m = p.map.map;
  const src = m.getSource(fireSource) as GeoJSONSource | undefined;
  if (src) {
    src.setData(data);
    return;
  }
  m.addSource(fireSource, { type: 'geojson', data });
  m.addLayer({ id: 'yitu-fire-fill', type: 'fill', source: fireSource, filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]], paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': ['case', ['==', ['get', 'wedge'], true], 0.18, 0.35] } });
  m.addLayer({ id: 'yitu-fire-line', type: 'line', source: fireSource, paint: { 'line-color': ['get', 'colour'], 'line-width': ['case', ['==', ['geometry-type'], 'LineString'], 3, 1.5] } });
  m.addLayer({ id: 'yitu-fire-point', type: 'circle', source: fireSource, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 6, 'circle-color': ['get', 'colour'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
  m.addLayer({
    id: 'yitu-fire-label',
    type: 'symbol',
    source: fireSource,
    filter: ['==', ['geometry-type'], 'Point'],
    layout: { 'text-field': ['get', 'label'], 'text-size': 12, 'text-offset': [0, 1.2], 'text-anchor': 'top', 'text-font': ['Noto Sans CJK SC Regular'] },
    paint: { 'text-color': '#1d2733', 'text-halo-color': '#fff', 'text-halo-width': 1.5 },
  });
}
