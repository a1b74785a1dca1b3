// The cockpit page (数字驾驶舱, /map/?view=cockpit, or /cockpit): one tab per scenario with live counts (devices
// online, open alarms by level), open incidents by stage and overdue, response times per stage, the
// last 24 hours and a small map of the incidents. Figures from GET /command/stats, every 30 s.
import type { StyleSpecification } from 'maplibre-gl';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, getJSON } from '../api';
import { getToken, setToken } from '../auth';
import { initialLang, translator, type Lang, type MessageKey } from '../i18n';
import { devicesOnline, formatDuration, incidentFeatures, scenarios, statsURL, type Incident, type Stats } from '../incidents';
import { levelColours } from '../alarms';
import type { Map2D } from '../map2d';
import { alarmsOption, devicesOption, hoursOption, stagesOption, statesOption } from './options';

const pollMs = 30_000;

type Charts = typeof import('./charts');

/** A chart panel: draws option into itself once ECharts is in. */
function Chart(p: { lib: Charts | null; option: object | null; name: string; class?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const c = useRef<ReturnType<Charts['chart']> | null>(null);
  useEffect(() => {
    if (!p.lib || !el.current) return;
    c.current = p.lib.chart(el.current);
    const onResize = () => c.current?.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      c.current?.dispose();
      c.current = null;
    };
  }, [p.lib]);
  useEffect(() => {
    if (c.current && p.option) c.current.set(p.option);
  }, [p.option, p.lib]);
  return <div ref={el} class={`chart ${p.class ?? ''}`} data-chart={p.name} />;
}

export function Cockpit() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const t = useMemo(() => translator(lang), [lang]);
  const [tab, setTab] = useState(() => {
    const h = new URLSearchParams(location.hash.slice(1)).get('scenario');
    return scenarios.some((s) => s.id === h) ? h! : scenarios[0].id;
  });
  const scenario = scenarios.find((s) => s.id === tab) ?? scenarios[0];
  // The figures with the scenario they are of (a tab's change shows none until its own are in).
  const [figures, setFigures] = useState<{ of: string; stats: Stats } | null>(null);
  const stats = figures?.of === tab ? figures.stats : null;
  const [incidents, setIncidents] = useState<Incident[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [signed, setSigned] = useState(!!getToken());
  const [tok, setTok] = useState('');
  const [lib, setLib] = useState<Charts | null>(null);
  const [clock, setClock] = useState(new Date());
  const mapEl = useRef<HTMLDivElement>(null);
  const map = useRef<Map2D | null>(null);

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${t('ckTitle')} · Yitu`;
    localStorage.setItem('yitu.lang', lang);
  }, [lang]);
  useEffect(() => {
    import('./charts').then(setLib, (e: Error) => setError(t('ckFailed', { e: e.message })));
    const id = setInterval(() => setClock(new Date()), 1000);
    return () => clearInterval(id);
  }, []);

  const load = async (signal?: AbortSignal) => {
    if (!getToken()) return;
    const of = scenario.id;
    try {
      const [st, list] = await Promise.all([
        getJSON<Stats>(statsURL(scenario), signal),
        getJSON<{ incidents: Incident[] }>(`/command/incidents?type=${encodeURIComponent(scenario.type)}`, signal),
      ]);
      setFigures({ of, stats: st });
      setIncidents(list.incidents ?? []);
      setError(null);
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      if (e instanceof ApiError && e.status === 401) setSigned(false);
      setError(t('ckFailed', { e: (e as Error).message }));
    }
  };
  useEffect(() => {
    history.replaceState(null, '', `#scenario=${tab}`);
    const ac = new AbortController();
    void load(ac.signal);
    const id = setInterval(() => void load(ac.signal), pollMs);
    return () => {
      ac.abort();
      clearInterval(id);
    };
  }, [tab, signed]);

  // The small map: the one-map style with the scenario's incidents, coloured by state.
  useEffect(() => {
    if (!mapEl.current) return;
    let gone = false;
    Promise.all([import('../map2d'), getJSON<StyleSpecification>('/styles/onemap.json')]).then(
      ([{ Map2D }, style]) => {
        if (gone || !mapEl.current) return;
        const m = new Map2D(mapEl.current, style);
        map.current = m;
        m.map.once('load', () => {
          m.map.addSource('cockpit-incidents', { type: 'geojson', data: incidentFeatures([]) });
          m.map.addLayer({
            id: 'cockpit-incident',
            type: 'circle',
            source: 'cockpit-incidents',
            filter: ['==', ['geometry-type'], 'Point'],
            paint: { 'circle-radius': 7, 'circle-color': ['get', 'colour'], 'circle-stroke-color': ['case', ['==', ['get', 'overdue'], true], '#ff4d4f', '#fff'], 'circle-stroke-width': ['case', ['==', ['get', 'overdue'], true], 4, 1.5] },
          });
          mapEl.current?.setAttribute('data-state', 'ready');
        });
      },
      (e: Error) => setError(t('ckFailed', { e: e.message })),
    );
    return () => {
      gone = true;
      map.current?.map.remove();
      map.current = null;
    };
  }, []);
  useEffect(() => {
    const m = map.current?.map;
    const src = m?.getSource('cockpit-incidents') as import('maplibre-gl').GeoJSONSource | undefined;
    if (!m || !src) return;
    const data = incidentFeatures(incidents);
    src.setData(data);
    const pts = data.features.filter((f) => f.geometry.type === 'Point').map((f) => (f.geometry as GeoJSON.Point).coordinates);
    if (pts.length) {
      const xs = pts.map((p) => p[0]);
      const ys = pts.map((p) => p[1]);
      m.fitBounds([Math.min(...xs) - 0.01, Math.min(...ys) - 0.01, Math.max(...xs) + 0.01, Math.max(...ys) + 0.01], { duration: 0, maxZoom: 14 });
    }
  }, [incidents, stats]);

  const options = useMemo(
    () => (stats ? { hours: hoursOption(stats, t), stages: stagesOption(stats, t), states: statesOption(stats, t), alarms: alarmsOption(stats, t), devices: devicesOption(stats, t) } : null),
    [stats, t],
  );
  const dev = stats ? devicesOnline(stats) : null;
  const whole = stats?.stages.find((s) => s.stage === 'reported_resolved');

  return (
    <div class="cockpit" data-testid="cockpit" data-scenario={tab} data-loaded={stats ? 'true' : 'false'}>
      <header class="ck-head">
        <h1>{t('ckTitle')}</h1>
        <nav class="ck-tabs" role="tablist">
          {scenarios.map((s) => (
            <button key={s.id} role="tab" class={s.id === tab ? 'on' : ''} data-tab={s.id} onClick={() => setTab(s.id)}>
              {lang === 'zh' ? s.zh : s.en}
            </button>
          ))}
        </nav>
        <div class="ck-tools">
          <time>{clock.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false })}</time>
          <button onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-tool="lang">
            {t('language')}
          </button>
          <a href="/map/" data-tool="back">{t('ckBack')}</a>
        </div>
      </header>
      {!signed && (
        <form
          class="ck-signin"
          onSubmit={(e) => {
            e.preventDefault();
            setToken(tok || null);
            setSigned(!!tok);
          }}
        >
          <span>{t('ckSignIn')}</span>
          <input type="password" name="token" value={tok} onInput={(e) => setTok((e.target as HTMLInputElement).value)} />
          <button type="submit">{t('signIn')}</button>
        </form>
      )}
      {error && <p class="ck-error" role="alert">{error}</p>}
      <section class="ck-kpis">
        <div class="kpi" data-kpi="devices">
          <span class="kpi-name">{t('ckDevicesOnline')}</span>
          <strong>{dev ? `${dev.online}/${dev.total}` : '—'}</strong>
        </div>
        <div class="kpi" data-kpi="alarms">
          <span class="kpi-name">{t('ckAlarmsOpen')}</span>
          <strong>{stats?.alarms.open ?? '—'}</strong>
          <span class="kpi-sub">
            {stats &&
              ['red', 'orange', 'yellow', 'blue'].map((l) => (
                <span key={l} style={{ color: levelColours[l] }}>
                  {t(`level${l[0].toUpperCase()}${l.slice(1)}` as MessageKey)} {stats.alarms.by_level[l] ?? 0}{' '}
                </span>
              ))}
          </span>
        </div>
        <div class="kpi" data-kpi="open">
          <span class="kpi-name">{t('ckOpenIncidents')}</span>
          <strong>{stats?.open ?? '—'}</strong>
        </div>
        <div class={`kpi ${stats?.overdue ? 'alert' : ''}`} data-kpi="overdue">
          <span class="kpi-name">{t('ckOverdue')}</span>
          <strong>{stats?.overdue ?? '—'}</strong>
        </div>
        <div class="kpi" data-kpi="supervised">
          <span class="kpi-name">{t('ckSupervised')}</span>
          <strong>{stats?.supervised ?? '—'}</strong>
        </div>
        <div class="kpi" data-kpi="whole">
          <span class="kpi-name">{t('stage_reported_resolved')}</span>
          <strong>{formatDuration(whole?.median_s, lang)}</strong>
        </div>
      </section>
      <section class="ck-grid">
        <div class="ck-panel" style={{ gridArea: 'stages' }}>
          <h2>{t('ckStages')}</h2>
          <Chart lib={lib} option={options?.stages ?? null} name="stages" />
        </div>
        <div class="ck-panel" style={{ gridArea: 'states' }}>
          <h2>{t('ckByState')}</h2>
          <Chart lib={lib} option={options?.states ?? null} name="states" />
        </div>
        <div class="ck-panel ck-map" style={{ gridArea: 'map' }}>
          <h2>{t('ckMap')}</h2>
          <div ref={mapEl} class="ck-mapbox" data-testid="cockpit-map" />
        </div>
        <div class="ck-panel" style={{ gridArea: 'hours' }}>
          <h2>{t('ckLast24h')}</h2>
          <Chart lib={lib} option={options?.hours ?? null} name="hours" />
        </div>
        <div class="ck-panel" style={{ gridArea: 'alarms' }}>
          <h2>{t('ckAlarmLevels')}</h2>
          <Chart lib={lib} option={options?.alarms ?? null} name="alarms" />
        </div>
        <div class="ck-panel" style={{ gridArea: 'devices' }}>
          <h2>{t('ckDevices')}</h2>
          <Chart lib={lib} option={options?.devices ?? null} name="devices" />
        </div>
      </section>
      {stats && (
        <footer class="ck-foot" data-field="updated">
          {t('ckUpdated', { t: new Date(stats.at).toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) })}
        </footer>
      )}
    </div>
  );
}
