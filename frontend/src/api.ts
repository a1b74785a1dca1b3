// Yitu's HTTP API as the viewer uses it. Every error is an RFC 7807 problem+json; its detail is shown.
import { authHeaders } from './auth';
import type { LiveProps } from './live';

export interface Property {
  name: string;
  title_zh: string;
  title_en: string;
  type: string;
}

export interface LegendItem {
  /** icon: one of the viewer's own symbols (live layers), named in icon */
  kind: 'fill' | 'line' | 'circle' | 'symbol' | 'fill-extrusion' | 'icon';
  icon?: string;
  color?: string;
  outline?: string;
  width?: number;
  dashed?: boolean;
  label_zh?: string;
  label_en?: string;
}

export interface LayerNode {
  id: string;
  title_zh: string;
  title_en: string;
  description?: string;
  geometry_type: string;
  min_zoom: number;
  max_zoom: number;
  properties: Property[];
  legend: LegendItem[];
  editable: boolean;
}

export interface LayerGroup {
  id: string;
  title_zh: string;
  title_en: string;
  layers: LayerNode[];
}

export interface LayerTree {
  groups: LayerGroup[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJSON<T>(url: string, signal?: AbortSignal, lang?: 'zh' | 'en'): Promise<T> {
  const headers: Record<string, string> = authHeaders({ Accept: 'application/json' });
  if (lang) headers['Accept-Language'] = lang === 'en' ? 'en' : 'zh-CN';
  const resp = await fetch(url, { signal, headers });
  return answer<T>(resp);
}

/** The JSON of an answer, or an ApiError with its problem+json detail. */
async function answer<T>(resp: Response): Promise<T> {
  if (!resp.ok) {
    let detail = `${resp.status} ${resp.statusText}`;
    try {
      const p = await resp.json();
      if (p && typeof p.detail === 'string') detail = p.detail;
    } catch {
      // not a problem+json body
    }
    throw new ApiError(resp.status, detail);
  }
  if (resp.status === 204) return undefined as T;
  return resp.json() as Promise<T>;
}

/** A write with the signed-in token: POST, PUT or DELETE with a JSON body. */
export async function sendJSON<T>(method: 'POST' | 'PUT' | 'DELETE', url: string, body?: string, contentType = 'application/json'): Promise<T> {
  const headers = authHeaders({ Accept: 'application/json' });
  if (body !== undefined) headers['Content-Type'] = contentType;
  return answer<T>(await fetch(url, { method, headers, body }));
}

export const fetchCatalog = (signal?: AbortSignal) => getJSON<LayerTree>('/catalog/layers', signal);

/** The catalog's layers by id. */
export function layerIndex(tree: LayerTree): Map<string, LayerNode> {
  const m = new Map<string, LayerNode>();
  for (const g of tree.groups) for (const l of g.layers) m.set(l.id, l);
  return m;
}

/** A feature identified on the map (2D click or 3D pick), shown in the attributes panel. */
export interface Identified {
  layer: string;
  /** what to call the layer where the catalog does not know it (the 3D model a part belongs to) */
  title?: { title_zh: string; title_en: string };
  id: string | number | undefined;
  properties: Record<string, unknown>;
  geometry?: GeoJSON.Geometry;
  /** a live object: shown as its card, refreshed with every poll (at: when its properties arrived, ms) */
  live?: { props: LiveProps; at: number };
  /** a base-map building picked inside an oblique model: the model, and the building's height range measured on its mesh (logical 单体化) */
  inModel?: { title?: { title_zh: string; title_en: string }; name: string; min?: number; max?: number };
}

export interface SearchFeature {
  id: string;
  geometry: GeoJSON.Point | null;
  bbox?: [number, number, number, number] | null;
  properties: { collection: string; collection_title: string; feature_id: string; label: string; field: string };
}

export interface SearchResult {
  key: string;
  label: string;
  layer: string;
  layerTitle: string;
  lon: number;
  lat: number;
  bbox?: [number, number, number, number];
}

/**
 * Named features (roads, places, buildings, annotations) matching q, best first: GET /search. A street
 * surveyed as several segments with one name is one result whose box covers them all.
 */
export async function search(q: string, signal?: AbortSignal, lang: 'zh' | 'en' = 'zh', limit = 10): Promise<SearchResult[]> {
  const resp = await getJSON<{ features: SearchFeature[] }>(`/search?q=${encodeURIComponent(q)}&limit=${limit * 3}`, signal, lang);
  return mergeHits(resp.features).slice(0, limit);
}

/** One result per layer and label, in the order of their best hit; boxes are united. */
export function mergeHits(features: SearchFeature[]): SearchResult[] {
  const out = new Map<string, SearchResult>();
  for (const f of features) {
    if (!f.geometry) continue;
    const key = `${f.properties.collection}\u0000${f.properties.label}`;
    const b = f.bbox ?? undefined;
    const have = out.get(key);
    if (!have) {
      out.set(key, {
        key: f.id,
        label: f.properties.label,
        layer: f.properties.collection,
        layerTitle: f.properties.collection_title,
        lon: f.geometry.coordinates[0],
        lat: f.geometry.coordinates[1],
        bbox: b ? [...b] : undefined,
      });
      continue;
    }
    if (have.bbox && b) {
      have.bbox = [Math.min(have.bbox[0], b[0]), Math.min(have.bbox[1], b[1]), Math.max(have.bbox[2], b[2]), Math.max(have.bbox[3], b[3])];
      have.lon = (have.bbox[0] + have.bbox[2]) / 2;
      have.lat = (have.bbox[1] + have.bbox[3]) / 2;
    }
  }
  return [...out.values()];
}

/** What lies at a point at a zoom across the given layers, nearest first: GET /identify. */
export async function identify(lon: number, lat: number, z: number, layers: string[], signal?: AbortSignal): Promise<Identified[]> {
  const q = new URLSearchParams({ lon: lon.toFixed(7), lat: lat.toFixed(7), z: z.toFixed(2), layers: layers.join(',') });
  const resp = await getJSON<{ features: (GeoJSON.Feature & { collection: string })[] }>(`/identify?${q}`, signal);
  return resp.features.map((f) => ({ layer: f.collection, id: f.id, properties: { ...(f.properties ?? {}) }, geometry: f.geometry ?? undefined }));
}

/** A 3D Tiles tileset Yitu serves (GET /3dtiles/): buildings, pipelines, cim-<dataset>, model-<name>. */
export interface TilesetInfo {
  name: string;
  title_zh: string;
  title_en: string;
  /** buildings, pipelines, cim, oblique, obj, 3dtiles */
  kind: string;
  /** relative to /3dtiles/ */
  url: string;
}

/** The tilesets the caller may open. */
export async function fetchTilesets(signal?: AbortSignal): Promise<TilesetInfo[]> {
  return (await getJSON<{ tilesets: TilesetInfo[] }>('/3dtiles/', signal)).tilesets;
}

/**
 * The tilesets a change of these catalog layers touches (every one when none is named): base-map and
 * CIM buildings are in "buildings", CIM datasets in their own, pipelines in "pipelines"; a change
 * without catalog layers (a stored model) may touch any model.
 */
export function tilesetsTouched(layers: string[] | undefined, tilesets: TilesetInfo[]): string[] {
  return tilesets
    .filter((ts) => {
      if (!layers?.length) return true;
      return layers.some((l) => {
        if (l.startsWith('3dtiles:')) return l === '3dtiles:' + ts.name; // the server rebuilt that tileset
        switch (ts.kind) {
          case 'buildings':
            return l === 'basemap.building' || l === 'basemap.elevation_point' || l.startsWith('cim.');
          case 'pipelines':
            return l.startsWith('pipeline.');
          case 'cim':
            return l.startsWith('cim.');
          default:
            return l.startsWith('twin.') || l.startsWith('dataset:');
        }
      });
    })
    .map((ts) => ts.name);
}
