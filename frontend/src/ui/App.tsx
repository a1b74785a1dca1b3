import type { StyleSpecification } from 'maplibre-gl';
import type { ComponentType } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  fetchCatalog,
  fetchTilesets,
  getJSON,
  identify,
  layerIndex,
  tilesetsTouched,
  type Identified,
  type LayerTree as Tree,
  type TilesetInfo,
} from '../api';
import { subscribeChanges } from '../events';
import { metresPerPixel, scaleDenominator, to2D, to3D, type View2D } from '../camera';
import { loadGK } from '../coords';
import { composePrint, download, roundScaleBar, type PrintLegend } from '../exportpng';
import { formatArea, formatLength } from '../geodesy';
import { I18nContext, initialLang, translator, type I18n, type Lang } from '../i18n';
import { getToken } from '../auth';
import { isLiveLayer, liveLayerKinds, subscribe, type Alarm, type LiveFeature, type LiveFeed, type LiveKind, type LiveSnapshot } from '../live';
import { Tweens } from '../tween';
import { parseHash, replaceState } from '../urlstate';
import { withoutTiledLive } from '../live2d';
import { liveLegend } from '../livesymbols';
import { cjkFonts, Map2D } from '../map2d';
import { Measure, type MeasureMode, type Measurement } from '../measure';
import type { View3D } from '../view3d';
import { Attributes } from './Attributes';
import { SectionPanel } from './Section';
import { LayerTree, treeGroups, withLiveLegends, type LayerState, type TilesetState } from './LayerTree';
import { SearchBox, type SearchHit } from './SearchBox';
import { StatusBar } from './StatusBar';
import type { WatchProps } from './Watch';

type Mode = '2d' | '3d';

/**
 * Whether a tileset is shown when it first appears: all but the CIM datasets, whose buildings the
 * "buildings" tileset already shows (a CIM dataset on its own adds its other city objects).
 */
const shownAtFirst = (ts: TilesetInfo) => ts.kind !== 'cim';

/** The view the page was opened with (a copied link): place, mode, visible layers. */
const opened = parseHash(typeof location !== 'undefined' ? location.hash : '');

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const i18n = useMemo<I18n>(() => ({ lang, t: translator(lang), title: (o) => (lang === 'en' ? o.title_en : o.title_zh) }), [lang]);
  const { t } = i18n;

  const [tree, setTree] = useState<Tree | null>(null);
  const [layerState, setLayerState] = useState<Record<string, LayerState>>({});
  const [tilesets, setTilesets] = useState<TilesetInfo[]>([]);
  const [tilesetState, setTilesetState] = useState<Record<string, TilesetState>>({});
  const [errors, setErrors] = useState<string[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>('2d');
  const [busy, setBusy] = useState<string | null>(null);
  const [underground, setUnderground] = useState(false);
  const [pointer, setPointer] = useState<{ lon: number; lat: number } | null>(null);
  const [view, setView] = useState<{ zoom: number; lat: number }>({ zoom: 0, lat: 0 });
  const [identified, setIdentified] = useState<{ features: Identified[]; index: number } | null>(null);
  const [measurement, setMeasurement] = useState<Measurement | null>(null);
  // The section tool draws its line with the distance tool; the finished line opens the section panel.
  const [tool, setTool] = useState<MeasureMode | 'section' | null>(null);
  const [sectionLine, setSectionLine] = useState<[number, number][] | null>(null);
  const [sidebar, setSidebar] = useState(true);

  const mapEl = useRef<HTMLDivElement>(null);
  const setMapState = (state: 'idle' | 'busy') => mapEl.current?.setAttribute('data-state', state);
  const globeEl = useRef<HTMLDivElement>(null);
  const map2d = useRef<Map2D | null>(null);
  const measure = useRef<Measure | null>(null);
  const view3d = useRef<View3D | null>(null);
  const layers = useMemo(() => (tree ? layerIndex(tree) : new Map()), [tree]);
  const current = useRef({ layers, layerState, lang, tilesets, tilesetState, mode, identified });
  current.current = { layers, layerState, lang, tilesets, tilesetState, mode, identified };
  const liveFeed = useRef<LiveFeed | null>(null);
  /** the live objects as last delivered */
  const liveNow = useRef<LiveSnapshot>({ features: [], at: 0 });
  /** the live objects' glides between fixes, and the animation frame that draws them */
  const tweens = useRef(new Tweens(1000));
  const raf = useRef(0);
  /** while the replay shows a past time, pushed objects are kept but not drawn */
  const replaying = useRef(false);
  const alarmListeners = useRef(new Set<(a: Alarm) => void>());
  const incidentListeners = useRef(new Set<() => void>());
  const [Watch, setWatch] = useState<ComponentType<WatchProps> | null>(null);
  const switchModeRef = useRef<(to: Mode) => void>(() => {});
  /** The 2D view the 3D view was last opened from, and the camera it was given (to2D gives the map back its pitch). */
  const handover = useRef<{ from: View2D; to: View2D } | undefined>(undefined);

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${translator(lang)('appTitle')} · Yitu`;
    localStorage.setItem('yitu.lang', lang);
  }, [lang]);

  // Catalog and style in parallel; the map starts as soon as both are in.
  useEffect(() => {
    const ac = new AbortController();
    const tr = translator(initialLang());
    Promise.all([
      fetchCatalog(ac.signal).catch((e: Error) => {
        setErrors((es) => [...es, tr('failedCatalog', { e: e.message })]);
        return { groups: [] } as Tree;
      }),
      getJSON<StyleSpecification>('/styles/onemap.json', ac.signal).catch((e: Error) => {
        setErrors((es) => [...es, tr('failedStyle', { e: e.message })]);
        return null;
      }),
    ]).then(([cat, served]) => {
      if (ac.signal.aborted) return;
      const style = served && withoutTiledLive(served);
      performance.mark('yitu:style');
      setTree(cat);
      if (!style || !mapEl.current) return;
      const m = new Map2D(mapEl.current, style);
      map2d.current = m;
      const known = new Set(layerIndex(cat).keys());
      const state: Record<string, LayerState> = {};
      for (const id of m.drawnLayers()) if (known.has(id)) state[id] = { visible: m.initiallyVisible(id, style), opacity: 1 };
      // The live layers, which the viewer draws itself: shown at first.
      for (const id of known) if (isLiveLayer(id)) state[id] = { visible: true, opacity: 1 };
      // A link with its layers: those visible, the others hidden.
      if (opened.layers) {
        const on = new Set(opened.layers);
        for (const id of Object.keys(state)) state[id] = { ...state[id], visible: on.has(id) };
      }
      current.current.layerState = state;
      setLayerState(state);
      m.map.once('load', () => {
        // The DEMs' hillshade, when the server has any.
        void applyTerrain(m, null, ac.signal);
        if (opened.layers) for (const id of Object.keys(state)) m.setVisible(id, state[id].visible);
        startLive(m, state);
        if (opened.mode === '3d') switchModeRef.current('3d');
      });
      m.map.on('moveend', () => {
        if (current.current.mode === '2d') liveFeed.current?.setBBox(m.bbox());
      });
      const onMove = () => setView({ zoom: m.map.getZoom(), lat: m.map.getCenter().lat });
      m.map.on('move', onMove);
      onMove();
      m.map.on('mousemove', (e) => setPointer({ lon: e.lngLat.lng, lat: e.lngLat.lat }));
      m.map.on('mouseout', () => setPointer(null));
      let pending: AbortController | undefined;
      m.map.on('click', async (e) => {
        if (measure.current?.active || m.captureClicks) return;
        pending?.abort();
        pending = new AbortController();
        // A live object under the pointer: its card (the database's copy of it may lag behind).
        const live = m.liveAt(e.point.x, e.point.y);
        if (live.length) {
          const found = live.map(identifiedLive);
          setIdentified({ features: found, index: 0 });
          m.highlight(found[0]);
          return;
        }
        const { layerState: ls } = current.current;
        const visible = Object.keys(ls).filter((id) => ls[id].visible && !isLiveLayer(id));
        try {
          const found = await identify(e.lngLat.lng, e.lngLat.lat, m.map.getZoom(), visible, pending.signal);
          setIdentified({ features: found, index: 0 });
          m.highlight(found[0] ?? null);
        } catch (err) {
          if ((err as Error).name !== 'AbortError') setErrors((es) => [...es, (err as Error).message]);
        }
      });
      // The first view's milestones, for the browser test's timing report: map loaded, map drawn.
      m.map.once('load', () => performance.mark('yitu:load'));
      m.map.once('idle', () => {
        performance.mark('yitu:idle');
        loadGK().catch(() => {}); // the Gauss-Krüger readout and search, off the first view's path
        // The watch dock (alarms, fences, replay, sign-in), off the first view's path too.
        import('./Watch').then(
          (mod) => setWatch(() => mod.default),
          (e: Error) => setErrors((es) => [...es, e.message]),
        );
      });
      // data-state: "idle" while the map stands drawn, "busy" while it moves or reloads tiles (for
      // scripts that drive the viewer, like the browser test).
      m.map.on('idle', () => setMapState('idle'));
      m.map.on('movestart', () => setMapState('busy'));
      measure.current = new Measure(m.map, setMeasurement);
    });
    return () => ac.abort();
  }, []);

  /** A live object as the attributes panel shows it: its card. */
  const identifiedLive = (f: LiveSnapshot['features'][number]): Identified => ({
    layer: f.properties.layer,
    id: f.properties.id,
    properties: {},
    geometry: f.geometry ?? undefined,
    live: { props: f.properties, at: liveNow.current.at },
  });

  /** The kinds the visible live layers hold. */
  const liveKinds = (ls: Record<string, LayerState>): LiveKind[] => [
    ...new Set(Object.keys(ls).filter((id) => isLiveLayer(id) && ls[id].visible).map((id) => liveLayerKinds[id])),
  ];
  const liveVisible = (layer: string) => current.current.layerState[layer]?.visible ?? false;

  /** Draws the live objects as they are at this frame, and asks for the next while some glide. */
  const drawLive = () => {
    raf.current = 0;
    const m = map2d.current;
    const now = performance.now();
    const fs = tweens.current.frame(now);
    const { layers: idx } = current.current;
    m?.setLive(fs, (id) => idx.get(id)?.min_zoom ?? 0);
    view3d.current?.setLive(fs, liveNow.current.at, liveVisible);
    if (tweens.current.moving(now)) raf.current = requestAnimationFrame(drawLive);
  };
  const showLive = (features: LiveFeature[], jump: boolean) => {
    if (jump) tweens.current.settle(features, performance.now());
    else tweens.current.update(features, performance.now());
    if (!raf.current) drawLive();
  };

  /** Follows the live objects in the view (when the caller may read a live layer), pushed. */
  const startLive = (m: Map2D, ls: Record<string, LayerState>) => {
    if (!Object.keys(ls).some(isLiveLayer)) return;
    liveFeed.current = subscribe(
      m.bbox(),
      liveKinds(ls),
      (snap) => {
        liveNow.current = snap;
        mapEl.current?.setAttribute('data-live', String(snap.features.length));
        if (replaying.current) return;
        showLive(snap.features, false);
        // An open card follows its object.
        const shown = current.current.identified;
        if (shown?.features.some((f) => f.live)) {
          const byId = new Map(snap.features.map((f) => [f.properties.id, f]));
          const features = shown.features.map((f) => {
            const now = f.live && byId.get(f.live.props.id);
            return now ? identifiedLive(now) : f;
          });
          setIdentified({ features, index: shown.index });
          if (current.current.mode === '2d') m.highlight(features[shown.index] ?? null);
        }
      },
      {
        token: getToken,
        onAlarm: (a) => alarmListeners.current.forEach((fn) => fn(a)),
        onIncident: () => incidentListeners.current.forEach((fn) => fn()),
        // Told once when the push starts failing (and again after it has worked in between).
        onStatus: (err) => {
          if (err) setErrors((es) => [...es, translator(current.current.lang)('liveFailed', { e: err.message })]);
        },
      },
    );
    mapEl.current?.setAttribute('data-push', liveFeed.current.transport());
  };
  useEffect(() => () => liveFeed.current?.close(), []);

  // The 3D tilesets (buildings, pipelines, CIM datasets, stored models) for the layer tree; asked
  // again after an import or a deletion, which may add or remove one.
  const loadTilesets = (signal?: AbortSignal) =>
    fetchTilesets(signal).then(
      (list) => {
        setTilesets(list);
        setTilesetState((prev) => {
          const next: Record<string, TilesetState> = {};
          for (const ts of list) next[ts.name] = prev[ts.name] ?? { visible: shownAtFirst(ts), opacity: 1 };
          return next;
        });
        const v3 = view3d.current;
        if (v3) {
          v3.keepOnly(list.map((ts) => ts.name));
          const { tilesetState: st } = current.current;
          for (const ts of list) {
            if (!v3.has(ts.name) && (st[ts.name]?.visible ?? shownAtFirst(ts))) void showTileset(v3, ts);
          }
        }
        return list;
      },
      (e: Error) => {
        if (e.name !== 'AbortError') setErrors((es) => [...es, translator(current.current.lang)('failedTilesets', { e: e.message })]);
        return current.current.tilesets;
      },
    );
  useEffect(() => {
    const ac = new AbortController();
    loadTilesets(ac.signal);
    return () => ac.abort();
  }, []);

  // Tiles changed on the server (an import, an edit): reload exactly those, in 2D and 3D.
  useEffect(
    () =>
      subscribeChanges(async (change) => {
        // A DEM imported or removed: the hillshade and the 3D terrain again, from the new DEMs.
        if (!change.layers?.length || change.layers.includes('terrain')) void applyTerrain(map2d.current, view3d.current, undefined, true);
        const n = map2d.current?.refresh(change) ?? 0;
        if (n > 0) setMapState('busy');
        const datasets = !change.layers?.length || change.reason === 'import' || change.reason === 'delete';
        const list = datasets ? await loadTilesets() : current.current.tilesets;
        const names = tilesetsTouched(change.layers, list);
        view3d.current?.reload(names);
        if (n + names.length > 0 && change.reason !== 'reset' && change.reason !== '3dtiles') {
          setNotice(translator(current.current.lang)('tilesChanged', { n: change.layers?.length ?? n }));
          setTimeout(() => setNotice(null), 4000);
        }
      }),
    [],
  );

  // The DEMs on the server: the 2D hillshade and the 3D terrain when there are any (again after a
  // change: again: the tiles' URLs carry the DEMs' version).
  const applyTerrain = async (m: Map2D | null, v3: View3D | null, signal?: AbortSignal, again = false) => {
    try {
      const tr = await getJSON<{ dems: unknown[] }>('/terrain/', signal);
      const has = tr.dems.length > 0;
      if (m && (has || again)) {
        if (again) m.removeHillshade();
        if (has) m.addHillshade(new URL('/terrain/terrarium.json', location.href).href);
      }
      if (v3 && has) await v3.useTerrain();
      else if (v3 && again) v3.flatTerrain();
    } catch (e) {
      if (!signal?.aborted) setErrors((es) => [...es, `terrain: ${(e as Error).message}`]);
    }
  };

  // Adds a tileset to the 3D view, recording its progress in the layer tree (and, for scripts, the
  // tilesets in the scene in data-tilesets; the view's data-state says when their tiles are in).
  const showTileset = (v3: View3D, info: TilesetInfo) => {
    const { name } = info;
    const mark = (status: TilesetState['status']) => setTilesetState((prev) => (prev[name] ? { ...prev, [name]: { ...prev[name], status } } : prev));
    mark('loading');
    v3.titles.set(name, info);
    v3.setOpacity(name, current.current.tilesetState[name]?.opacity ?? 1);
    return v3.addTileset(name).then(
      () => {
        mark('ready');
        globeEl.current?.setAttribute('data-tilesets', [...loadedTilesets.current.add(name)].join(' '));
      },
      (e: Error) => {
        mark('error');
        setErrors((es) => [...es, translator(current.current.lang)('failed3d', { e: `${name}: ${e.message}` })]);
      },
    );
  };
  const loadedTilesets = useRef(new Set<string>());

  const changeTileset = (name: string, s: TilesetState) => {
    setTilesetState((prev) => ({ ...prev, [name]: s }));
    const v3 = view3d.current;
    if (!v3) return;
    const info = current.current.tilesets.find((ts) => ts.name === name);
    if (info && s.visible && !v3.has(name)) void showTileset(v3, info);
    v3.setTilesetVisible(name, s.visible);
    v3.setOpacity(name, s.opacity);
  };

  const changeLayer = (id: string, s: LayerState) => {
    // Built on the latest state (the group checkbox changes several layers at once).
    const next = { ...current.current.layerState, [id]: s };
    current.current.layerState = next;
    setLayerState(next);
    if (isLiveLayer(id)) {
      liveFeed.current?.setKinds(liveKinds(next));
      view3d.current?.setLive(tweens.current.frame(performance.now()), liveNow.current.at, liveVisible);
    }
    const m = map2d.current;
    if (!m) return;
    m.setVisible(id, s.visible);
    m.setOpacity(id, s.opacity);
  };

  const startTool = (mt: MeasureMode | 'section') => {
    if (!measure.current) return;
    if (tool === mt) {
      measure.current.stop();
      setTool(null);
      return;
    }
    measure.current.start(mt === 'section' ? 'distance' : mt);
    setTool(mt);
  };

  const stopTool = () => {
    measure.current?.stop();
    setTool(null);
  };

  useEffect(() => {
    if (measurement === null && tool !== null && !measure.current?.active) setTool(null);
  }, [measurement, tool]);

  // A section line, once finished, is cut at once.
  useEffect(() => {
    if (tool === 'section' && measurement?.done && measurement.points.length >= 2) setSectionLine(measurement.points);
  }, [measurement, tool]);

  const pickSearch = (h: SearchHit) => {
    if (mode === '3d' && view3d.current) {
      const v = view3d.current.view();
      view3d.current.setView({ ...v, lon: h.lon, lat: h.lat, zoom: Math.max(v.zoom, 17) });
      return;
    }
    const m = map2d.current;
    if (!m) return;
    if (h.bbox && (h.bbox[0] !== h.bbox[2] || h.bbox[1] !== h.bbox[3])) m.fitBounds(h.bbox);
    else m.flyTo(h.lon, h.lat);
  };

  const switchMode = async (to: Mode) => {
    if (to === mode) return;
    const m = map2d.current;
    if (to === '3d') {
      stopTool();
      // The same place, tilted toward what the map showed (camera.ts to3D).
      const from = m?.view();
      const v: View2D | undefined = from && to3D(from);
      handover.current = from && v && { from, to: v };
      setMode('3d');
      if (!view3d.current) {
        setBusy(t('loading3d'));
        try {
          const [{ loadCesium, View3D }] = await Promise.all([import('../view3d')]);
          const C = await loadCesium();
          const v3 = new View3D(C, globeEl.current!, (found) => setIdentified({ features: found, index: 0 }), setPointer);
          v3.onCamera = (cv) => setView({ zoom: cv.zoom, lat: cv.lat });
          v3.onMoveEnd = () => {
            if (current.current.mode !== '3d') return;
            liveFeed.current?.setBBox(v3.bbox());
            replaceState({ map: v3.view() });
          };
          v3.setLive(tweens.current.frame(performance.now()), liveNow.current.at, liveVisible);
          view3d.current = v3;
          // The DEMs as the globe's terrain, when the server has any (tilesets load meanwhile).
          void applyTerrain(null, v3);
          if (v) v3.setView(v);
          const { tilesets: list, tilesetState: ts } = current.current;
          await Promise.all(list.filter((x) => ts[x.name]?.visible).map((x) => showTileset(v3, x)));
        } catch (e) {
          setErrors((es) => [...es, t('failed3d', { e: (e as Error).message })]);
          setMode('2d');
          setBusy(null);
          return;
        }
        setBusy(null);
      }
      if (v) view3d.current.setView(v);
      view3d.current.setUnderground(underground);
      liveFeed.current?.setBBox(view3d.current.bbox());
    } else {
      const seen = view3d.current?.view();
      const v = seen && to2D(seen, handover.current);
      setMode('2d');
      if (m && v) {
        m.map.resize();
        m.jumpTo(v);
        liveFeed.current?.setBBox(m.bbox());
      }
    }
  };

  switchModeRef.current = (to) => void switchMode(to);

  // The mode and the visible layers in the URL (the place is MapLibre's #map, or the 3D camera's).
  useEffect(() => {
    if (!tree || !Object.keys(layerState).length) return;
    replaceState({ mode, layers: Object.keys(layerState).filter((id) => layerState[id].visible) });
  }, [mode, layerState, tree]);

  const flyTo = (lon: number, lat: number) => {
    if (current.current.mode === '3d' && view3d.current) {
      const v = view3d.current.view();
      view3d.current.setView({ ...v, lon, lat, zoom: Math.max(v.zoom, 17) });
    } else map2d.current?.flyTo(lon, lat);
  };

  const replayHooks: WatchProps['replay'] = {
    start: () => {
      replaying.current = true;
    },
    show: (features, t) => {
      mapEl.current?.setAttribute('data-replay', new Date(t).toISOString());
      showLive(features, true);
    },
    stop: () => {
      replaying.current = false;
      mapEl.current?.removeAttribute('data-replay');
      showLive(liveNow.current.features, true);
    },
    bbox: () => (current.current.mode === '3d' && view3d.current ? view3d.current.bbox() : map2d.current!.bbox()),
    kinds: () => liveKinds(current.current.layerState),
  };

  const toggleUnderground = () => {
    const on = !underground;
    setUnderground(on);
    view3d.current?.setUnderground(on);
  };

  const exportPng = async () => {
    const m = map2d.current;
    let canvas: HTMLCanvasElement;
    let v: View2D;
    if (mode === '3d' && view3d.current) {
      canvas = view3d.current.snapshot();
      v = view3d.current.view();
    } else if (m) {
      canvas = await m.snapshot();
      v = m.view();
    } else return;
    const legend: PrintLegend[] = [];
    for (const [id, s] of Object.entries(layerState)) {
      const l = layers.get(id);
      if (!s.visible || !l || v.zoom < l.min_zoom) continue;
      for (const it of isLiveLayer(id) ? liveLegend(id, t, lang) : l.legend) {
        legend.push({ kind: it.kind, color: it.color ?? '#000', outline: it.outline, icon: it.icon, label: (lang === 'en' ? it.label_en : it.label_zh) ?? i18n.title(l) });
      }
    }
    const now = new Date();
    const print = composePrint({
      map: canvas,
      title: t('printTitle'),
      subtitle: now.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB'),
      footer: t('printFooter'),
      bearing: v.bearing,
      scaleBar: roundScaleBar(metresPerPixel(v.zoom, v.lat), 160, lang),
      scaleText: `${t('scale')} 1 : ${Math.round(scaleDenominator(v.zoom, v.lat)).toLocaleString('en-US')}`,
      legend,
      legendTitle: t('legend'),
      north: t('north'),
      font: cjkFonts,
    });
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    await download(print, `yitu-${stamp}.png`);
  };

  const closeIdentify = () => {
    setIdentified(null);
    map2d.current?.highlight(null);
  };

  const selectIdentified = (i: number) => {
    if (!identified) return;
    setIdentified({ ...identified, index: i });
    map2d.current?.highlight(identified.features[i] ?? null);
  };

  return (
    <I18nContext.Provider value={i18n}>
      <div class={`shell ${sidebar ? '' : 'no-sidebar'}`}>
        <header class="topbar">
          <button class="icon menu" onClick={() => setSidebar(!sidebar)} title={t('toggleSidebar')} aria-label={t('toggleSidebar')}>
            ☰
          </button>
          <div class="brand">
            <span class="logo" aria-hidden="true" />
            <h1>{t('appTitle')}</h1>
          </div>
          <SearchBox onPick={pickSearch} onError={(e) => setErrors((es) => [...es, t('failedSearch', { e })])} />
          <nav class="tools">
            {mode === '2d' && (
              <>
                <button class={tool === 'distance' ? 'on' : ''} onClick={() => startTool('distance')} data-tool="distance">
                  {t('measureDistance')}
                </button>
                <button class={tool === 'area' ? 'on' : ''} onClick={() => startTool('area')} data-tool="area">
                  {t('measureArea')}
                </button>
                <button class={tool === 'section' ? 'on' : ''} onClick={() => startTool('section')} data-tool="section">
                  {t('sectionTool')}
                </button>
              </>
            )}
            {mode === '3d' && (
              <button class={underground ? 'on' : ''} onClick={toggleUnderground} data-tool="underground">
                {t('underground')}
              </button>
            )}
            <button onClick={exportPng} data-tool="export">
              {t('exportPng')}
            </button>
            <span class="segmented" role="group">
              <button class={mode === '2d' ? 'on' : ''} onClick={() => switchMode('2d')} data-mode="2d">
                {t('view2d')}
              </button>
              <button class={mode === '3d' ? 'on' : ''} onClick={() => switchMode('3d')} data-mode="3d">
                {t('view3d')}
              </button>
            </span>
            <a class="tool-link" href="/map/?view=cockpit" target="_blank" rel="noopener" data-tool="cockpit">
              {t('cockpit')}
            </a>
            <button class="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-tool="lang">
              {t('language')}
            </button>
          </nav>
        </header>
        <div class="body">
          {sidebar && (
            <aside class="sidebar">
              <section class="side-section">
                <h2>{t('layers')}</h2>
                {tree ? (
                  <LayerTree
                    groups={withLiveLegends(treeGroups(tree.groups, tilesets), t, lang)}
                    state={layerState}
                    tilesetState={tilesetState}
                    zoom={view.zoom}
                    mode={mode}
                    onChange={changeLayer}
                    onTileset={changeTileset}
                    onZoomTo={(name) => view3d.current?.zoomTo(name)}
                  />
                ) : (
                  <p class="muted">{t('loading')}</p>
                )}
              </section>
            </aside>
          )}
          <main class="stage">
            <div ref={mapEl} class={`map2d ${mode === '2d' ? '' : 'hidden'}`} data-testid="map2d" />
            <div ref={globeEl} class={`map3d ${mode === '3d' ? '' : 'hidden'}`} data-testid="map3d" />
            {busy && <div class="busy">{busy}</div>}
            {measurement && (
              <div class="panel measure-panel" data-testid="measure">
                <p class="hint">
                  {tool === 'section' ? t('sectionHint') : measurement.mode === 'distance' ? t('measureHintDistance') : t('measureHintArea')}
                </p>
                {measurement.mode === 'distance' ? (
                  <p>
                    {t('total')}：<strong data-value="length">{formatLength(measurement.length, lang)}</strong>
                    {measurement.done && measurement.points.length >= 2 && tool !== 'section' && (
                      <>
                        {' '}
                        <button class="link" onClick={() => setSectionLine(measurement.points)} data-testid="section-link">
                          {t('section')}
                        </button>
                      </>
                    )}
                  </p>
                ) : (
                  <>
                    <p>
                      {t('area')}：<strong data-value="area">{formatArea(measurement.area, lang)}</strong>
                    </p>
                    <p>
                      {t('perimeter')}：{formatLength(measurement.perimeter, lang)}
                    </p>
                  </>
                )}
                <button onClick={stopTool}>{t('clear')}</button>
              </div>
            )}
            {sectionLine && <SectionPanel points={sectionLine} onClose={() => setSectionLine(null)} />}
            {identified && (
              <Attributes features={identified.features} index={identified.index} layers={layers} onIndex={selectIdentified} onClose={closeIdentify} />
            )}
            {Watch && map2d.current && (
              <Watch
                map={map2d.current}
                onAlarms={(fn) => {
                  alarmListeners.current.add(fn);
                  return () => alarmListeners.current.delete(fn);
                }}
                onIncidents={(fn) => {
                  incidentListeners.current.add(fn);
                  return () => incidentListeners.current.delete(fn);
                }}
                flyTo={flyTo}
                onError={(e) => setErrors((es) => [...es, e])}
                onNotice={(n) => {
                  setNotice(n);
                  setTimeout(() => setNotice(null), 4000);
                }}
                replay={replayHooks}
                onToken={() => liveFeed.current?.refresh()}
              />
            )}
            {(errors.length > 0 || notice) && (
              <div class="toasts" role="status">
                {errors.map((e, i) => (
                  <div class="toast error" key={i} onClick={() => setErrors(errors.filter((_, j) => j !== i))}>
                    {e}
                  </div>
                ))}
                {notice && (
                  <div class="toast" onClick={() => setNotice(null)}>
                    {notice}
                  </div>
                )}
              </div>
            )}
          </main>
        </div>
        <StatusBar pointer={pointer} zoom={view.zoom} lat={view.lat} />
      </div>
    </I18nContext.Provider>
  );
}
