// The 2D map: MapLibre GL JS on Yitu's one-map style, with per-catalog-layer visibility and opacity,
// identify, a highlight overlay, tile refresh on data changes and a snapshot for the PNG export.
import {
  Map as MLMap,
  NavigationControl,
  ScaleControl,
  prewarm,
  setWorkerUrl,
  type LayerSpecification,
  type StyleSpecification,
  type GeoJSONSource,
} from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import type { Identified } from './api';
import type { BBox, LiveFeature } from './live';
import { liveSource, liveStyleLayers } from './live2d';
import { iconCanvas, withSymbols } from './livesymbols';
import { catalogLayerOf, opacityProps, scaleOpacity } from './styleutil';
import type { View2D } from './camera';

setWorkerUrl(workerUrl);
// Start the tile workers now, while the style and the layer tree load, not when the map is created.
prewarm();

type PaintProperty = Parameters<MLMap['setPaintProperty']>[1];
type PaintValue = Parameters<MLMap["setPaintProperty"]>[2];

export const cjkFonts = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

const highlightSource = 'yitu-highlight';
/** The DEMs' heights (Terrarium raster-dem tiles from /terrain/terrarium) and their hillshade layer. */
export const terrainSource = 'yitu-terrain';
export const hillshadeLayer = 'yitu-hillshade';

export interface Change {
  layers: string[];
  bbox?: [number, number, number, number] | null;
}

export class Map2D {
  readonly map: MLMap;
  /** style layer ids drawing each catalog layer, in style order */
  private drawn = new Map<string, string[]>();
  /** the style's own opacity values, which the layer tree's opacity multiplies */
  private baseOpacity = new Map<string, Record<string, unknown>>();
  /** what the layer tree asked for each catalog layer, kept for the layers added later (live) */
  private wanted = new Map<string, { visible?: boolean; opacity?: number }>();
  /** the live objects drawn now, by id */
  private live = new Map<string, LiveFeature>();
  private liveLayerIds: string[] = [];
  /** while a tool (the fence editor) takes the map's clicks, a click identifies nothing */
  captureClicks = false;

  constructor(container: HTMLElement, style: StyleSpecification, view?: Partial<View2D>) {
    this.map = new MLMap({
      container,
      style,
      hash: 'map',
      center: view?.lon !== undefined && view.lat !== undefined ? [view.lon, view.lat] : undefined,
      zoom: view?.zoom,
      maxPitch: 85,
      attributionControl: false,
      localIdeographFontFamily: cjkFonts,
      locale: {
        'NavigationControl.ZoomIn': '放大 Zoom in',
        'NavigationControl.ZoomOut': '缩小 Zoom out',
        'NavigationControl.ResetBearing': '指北 Reset bearing',
      },
    });
    this.map.addControl(new NavigationControl({ visualizePitch: true }), 'bottom-right');
    this.map.addControl(new ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');
    for (const l of style.layers) this.register(l);
    // The live layers' icons, drawn when a layer first asks for one.
    const ratio = Math.max(2, Math.ceil(window.devicePixelRatio || 1));
    this.map.setMissingStyleImageResolver((id) => {
      const c = iconCanvas(id, ratio);
      if (!c || this.map.hasImage(id)) return;
      this.map.addImage(id, c.getContext('2d')!.getImageData(0, 0, c.width, c.height), { pixelRatio: ratio });
    });
  }

  /** Records which catalog layer a style layer draws, and its own opacities. */
  private register(l: LayerSpecification): boolean {
    const id = catalogLayerOf(l);
    if (!id) return false;
    const list = this.drawn.get(id) ?? [];
    list.push(l.id);
    this.drawn.set(id, list);
    const base: Record<string, unknown> = {};
    for (const p of opacityProps[l.type] ?? []) base[p] = (l.paint as Record<string, unknown> | undefined)?.[p];
    this.baseOpacity.set(l.id, base);
    return true;
  }

  /** Catalog layers the style draws. */
  drawnLayers(): string[] {
    return [...this.drawn.keys()];
  }

  /** Whether the style shows a catalog layer at start (some style layer of it is not hidden). */
  initiallyVisible(id: string, style: StyleSpecification): boolean {
    const ids = this.drawn.get(id) ?? [];
    return ids.some((sid) => {
      const l = style.layers.find((x) => x.id === sid) as LayerSpecification & { layout?: { visibility?: string } };
      return l?.layout?.visibility !== 'none';
    });
  }

  /**
   * Shades the relief of the imported DEMs (the server's Terrarium tiles, described by the TileJSON at
   * url) under the lines, extrusions and labels of the one-map style.
   */
  addHillshade(url: string) {
    const map = this.map;
    if (map.getSource(terrainSource)) return;
    map.addSource(terrainSource, { type: 'raster-dem', url, encoding: 'terrarium', tileSize: 256 });
    const before = map.getStyle().layers.find((l) => l.type === 'line' || l.type === 'symbol' || l.type === 'fill-extrusion')?.id;
    map.addLayer(
      {
        id: hillshadeLayer,
        type: 'hillshade',
        source: terrainSource,
        paint: { 'hillshade-exaggeration': 0.6, 'hillshade-shadow-color': '#4a4f55', 'hillshade-highlight-color': '#ffffff' },
      },
      before,
    );
  }

  /** Removes the hillshade (the DEMs changed: it is added again from the new TileJSON). */
  removeHillshade() {
    if (this.map.getLayer(hillshadeLayer)) this.map.removeLayer(hillshadeLayer);
    if (this.map.getSource(terrainSource)) this.map.removeSource(terrainSource);
  }

  setVisible(id: string, visible: boolean) {
    this.wanted.set(id, { ...this.wanted.get(id), visible });
    for (const sid of this.drawn.get(id) ?? []) this.map.setLayoutProperty(sid, 'visibility', visible ? 'visible' : 'none');
  }

  setOpacity(id: string, factor: number) {
    this.wanted.set(id, { ...this.wanted.get(id), opacity: factor });
    for (const sid of this.drawn.get(id) ?? []) {
      const base = this.baseOpacity.get(sid) ?? {};
      for (const [prop, value] of Object.entries(base)) {
        this.map.setPaintProperty(sid, prop as PaintProperty, scaleOpacity(value, factor) as PaintValue);
      }
    }
  }

  /**
   * Outlines an identified feature (null clears it). The overlay's source and layers are added on the
   * first highlight, not with the map: added at load they would change the style just after it loaded
   * and cost the first view a GeoJSON source load and extra frames for a layer that draws nothing yet.
   */
  highlight(f: Identified | null) {
    // A live object gets a ring around its icon, which stays legible inside it.
    const features: GeoJSON.Feature[] = f?.geometry ? [{ type: 'Feature', geometry: f.geometry, properties: { ring: !!f.live } }] : [];
    const src = this.map.getSource(highlightSource) as GeoJSONSource | undefined;
    if (src) src.setData({ type: 'FeatureCollection', features });
    else if (features.length > 0) this.addOverlays(features);
  }

  /**
   * Draws the live objects (the full current set). The source and its layers are added with the
   * first object, so a map without live objects never changes its style; minZoom gives each live
   * catalog layer's first zoom.
   */
  setLive(features: LiveFeature[], minZoom: (layer: string) => number) {
    this.live = new Map(features.map((f) => [f.properties.id, f]));
    const data: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: withSymbols(features) };
    const src = this.map.getSource(liveSource) as GeoJSONSource | undefined;
    if (src) {
      src.setData(data);
      return;
    }
    if (!data.features.length) return;
    this.map.addSource(liveSource, { type: 'geojson', data });
    const specs = liveStyleLayers(minZoom);
    for (const l of specs) {
      this.map.addLayer(l); // on top, over the highlight too
      this.register(l);
      this.liveLayerIds.push(l.id);
    }
    for (const id of new Set(specs.map((l) => catalogLayerOf(l)!))) {
      const w = this.wanted.get(id);
      if (w?.visible === false) this.setVisible(id, false);
      if (w?.opacity !== undefined && w.opacity !== 1) this.setOpacity(id, w.opacity);
    }
  }

  /** The live objects drawn within a few pixels of a point of the map, topmost first. */
  liveAt(x: number, y: number, tolerance = 8): LiveFeature[] {
    if (!this.liveLayerIds.length) return [];
    const hits = this.map.queryRenderedFeatures(
      [
        [x - tolerance, y - tolerance],
        [x + tolerance, y + tolerance],
      ],
      { layers: this.liveLayerIds },
    );
    const out = new Map<string, LiveFeature>();
    for (const h of hits) {
      const id = h.properties?.id as string | undefined;
      const f = id !== undefined ? this.live.get(id) : undefined;
      if (f && !out.has(id!)) out.set(id!, f);
    }
    return [...out.values()];
  }

  /** The view's lon/lat box (west, south, east, north). */
  bbox(): BBox {
    const b = this.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  flyTo(lon: number, lat: number, zoom?: number) {
    this.map.flyTo({ center: [lon, lat], zoom: zoom ?? Math.max(this.map.getZoom(), 17), essential: true });
  }

  fitBounds(bbox: [number, number, number, number]) {
    this.map.fitBounds(
      [
        [bbox[0], bbox[1]],
        [bbox[2], bbox[3]],
      ],
      { padding: 80, maxZoom: 18, essential: true },
    );
  }

  view(): View2D {
    const c = this.map.getCenter();
    return { lon: c.lng, lat: c.lat, zoom: this.map.getZoom(), bearing: this.map.getBearing(), pitch: this.map.getPitch() };
  }

  jumpTo(v: View2D) {
    this.map.jumpTo({ center: [v.lon, v.lat], zoom: v.zoom, bearing: v.bearing, pitch: Math.min(v.pitch, 85) });
  }

  /**
   * Reloads the tiles a data change touched: of the sources that carry the changed layers, the tiles over
   * the change's bounding box at the zooms in use (or every tile when the change has no box).
   */
  refresh(change: Change): number {
    const style = this.map.getStyle();
    const sources = new Set<string>();
    for (const l of style.layers) {
      const id = catalogLayerOf(l);
      if (id && (!change.layers?.length || change.layers.includes(id)) && 'source' in l && l.source !== liveSource) sources.add(l.source as string);
    }
    const tiles = change.bbox && change.layers?.length ? tileCover(change.bbox, Math.floor(this.map.getZoom())) : undefined;
    for (const s of sources) this.map.refreshTiles(s, tiles);
    return sources.size;
  }

  /** The map as drawn now, copied while the frame is still in the drawing buffer. */
  snapshot(): Promise<HTMLCanvasElement> {
    return new Promise((resolve) => {
      this.map.once('render', () => {
        const src = this.map.getCanvas();
        const c = document.createElement('canvas');
        c.width = src.width;
        c.height = src.height;
        c.getContext('2d')!.drawImage(src, 0, 0);
        resolve(c);
      });
      this.map.triggerRepaint();
    });
  }

  private addOverlays(features: GeoJSON.Feature[]) {
    this.map.addSource(highlightSource, { type: 'geojson', data: { type: 'FeatureCollection', features } });
    const color = '#00e5ff';
    // Under the live objects, which stay legible inside their ring.
    const before = this.liveLayerIds[0];
    this.map.addLayer({ id: 'yitu-highlight-fill', type: 'fill', source: highlightSource, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': color, 'fill-opacity': 0.25 } }, before);
    this.map.addLayer({ id: 'yitu-highlight-line', type: 'line', source: highlightSource, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': color, 'line-width': 3 } }, before);
    this.map.addLayer({ id: 'yitu-highlight-point', type: 'circle', source: highlightSource, filter: ['all', ['==', ['geometry-type'], 'Point'], ['!=', ['get', 'ring'], true]], paint: { 'circle-color': color, 'circle-radius': 7, 'circle-opacity': 0.5, 'circle-stroke-color': color, 'circle-stroke-width': 2 } }, before);
    this.map.addLayer({ id: 'yitu-highlight-ring', type: 'circle', source: highlightSource, filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'ring'], true]], paint: { 'circle-color': color, 'circle-radius': 18, 'circle-opacity': 0, 'circle-stroke-color': color, 'circle-stroke-width': 2.5 } }, before);
  }
}

/**
 * Web Mercator tiles covering a lon/lat box at zooms z-1 … z+1 (the ones a viewer at zoom z holds), at
 * most 2,048 of them; beyond that undefined, meaning all tiles.
 */
export function tileCover(bbox: [number, number, number, number], z: number): { x: number; y: number; z: number }[] | undefined {
  const out: { x: number; y: number; z: number }[] = [];
  for (let zz = Math.max(0, z - 1); zz <= Math.min(24, z + 1); zz++) {
    const n = 2 ** zz;
    const tx = (lon: number) => Math.min(n - 1, Math.max(0, Math.floor(((lon + 180) / 360) * n)));
    const ty = (lat: number) => {
      const r = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180;
      return Math.min(n - 1, Math.max(0, Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)));
    };
    const [x0, x1, y0, y1] = [tx(bbox[0]), tx(bbox[2]), ty(bbox[3]), ty(bbox[1])];
    if ((x1 - x0 + 1) * (y1 - y0 + 1) + out.length > 2048) return undefined;
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) out.push({ x, y, z: zz });
  }
  return out;
}
