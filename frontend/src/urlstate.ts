// The view in the URL: place, zoom, bearing and pitch in #map=zoom/lat/lon/bearing/pitch (MapLibre's
// own hash, which it keeps up to date in 2D), and beside it mode=2d|3d and layers=<visible catalog
// layers>, so that a copied link opens the same view.

export interface MapView {
  zoom: number;
  lat: number;
  lon: number;
  bearing: number;
  pitch: number;
}

export interface UrlState {
  map?: MapView;
  mode?: '2d' | '3d';
  /** the visible layers; undefined: the style's defaults */
  layers?: string[];
}

const splitHash = (hash: string) =>
  hash
    .replace(/^#/, '')
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? ([p, ''] as const) : ([p.slice(0, i), p.slice(i + 1)] as const);
    });

export function parseHash(hash: string): UrlState {
  const out: UrlState = {};
  for (const [k, v] of splitHash(hash)) {
    if (k === 'map') {
      const n = decodeURIComponent(v).split('/').map(Number);
      if (n.length >= 3 && n.slice(0, 3).every(Number.isFinite)) {
        out.map = { zoom: n[0], lat: n[1], lon: n[2], bearing: Number.isFinite(n[3]) ? n[3] : 0, pitch: Number.isFinite(n[4]) ? n[4] : 0 };
      }
    } else if (k === 'mode' && (v === '2d' || v === '3d')) out.mode = v;
    else if (k === 'layers') out.layers = decodeURIComponent(v).split(',').filter(Boolean);
  }
  return out;
}

/** The map parameter as MapLibre writes it: zoom, lat, lon, then bearing and pitch when not 0. */
export function formatView(v: MapView): string {
  const r = (x: number, d: number) => String(Math.round(x * 10 ** d) / 10 ** d);
  const parts = [r(v.zoom, 2), r(v.lat, 5), r(v.lon, 5)];
  const bearing = Math.round(v.bearing * 10) / 10;
  const pitch = Math.round(v.pitch);
  if (bearing || pitch) parts.push(String(bearing));
  if (pitch) parts.push(String(pitch));
  return parts.join('/');
}

/** The hash with these parameters set (undefined: left as it is), others kept in their order. */
export function withState(hash: string, s: UrlState): string {
  const set: Record<string, string> = {};
  if (s.map) set.map = formatView(s.map);
  if (s.mode) set.mode = s.mode;
  if (s.layers) set.layers = [...s.layers].sort().join(',');
  const parts = splitHash(hash).map(([k, v]) => {
    if (k in set) {
      const nv = set[k];
      delete set[k];
      return `${k}=${nv}`;
    }
    return v === '' ? k : `${k}=${v}`;
  });
  for (const [k, v] of Object.entries(set)) parts.push(`${k}=${v}`);
  return `#${parts.join('&')}`;
}

/** Writes the state into the page's URL without a history entry (and without a hashchange event). */
export function replaceState(s: UrlState) {
  const next = withState(location.hash, s);
  if (next !== location.hash) history.replaceState(history.state, '', `${location.pathname}${location.search}${next}`);
}
