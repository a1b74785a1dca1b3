// Yitu's HTTP API as the viewer uses it. Every error is an RFC 7807 problem+json; its detail is shown.

export interface Property {
  name: string;
  title_zh: string;
  title_en: string;
  type: string;
}

export interface LegendItem {
  kind: 'fill' | 'line' | 'circle' | 'symbol' | 'fill-extrusion';
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

export async function getJSON<T>(url: string, signal?: AbortSignal): Promise<T> {
  const resp = await fetch(url, { signal, headers: { Accept: 'application/json' } });
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
  return resp.json() as Promise<T>;
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
  id: string | number | undefined;
  properties: Record<string, unknown>;
  geometry?: GeoJSON.Geometry;
}
