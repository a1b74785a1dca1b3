// Coordinates for people: CGCS2000 lon/lat and Gauss-Krüger 3-degree zone X/Y (EPSG:4528 and its
// neighbours, easting prefixed with the zone number; EPSG:4549 without the prefix). Chinese survey
// convention: X is the northing, Y the easting. The projection maths is proj4's, loaded in its own
// chunk after the first view (loadGK): until it is in, the Gauss-Krüger functions answer null.
import type proj4 from 'proj4';

const geographic = '+proj=longlat +ellps=GRS80 +no_defs';

/** Number of the 3-degree Gauss-Krüger zone a longitude falls in (Laizhou: 40, central meridian 120°E). */
export function gkZone(lon: number): number {
  return Math.round(lon / 3);
}

let proj: typeof proj4 | undefined;
let loading: Promise<void> | undefined;

/** Loads proj4 once; a failed load may be tried again. */
export function loadGK(): Promise<void> {
  loading ??= import('proj4').then(
    (m) => {
      proj = m.default;
    },
    (e: Error) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

const converters = new Map<string, proj4.Converter>();

function converter(zone: number, prefixed: boolean): proj4.Converter | undefined {
  if (!proj) {
    loadGK().catch(() => {});
    return undefined;
  }
  const key = `${zone}:${prefixed}`;
  let c = converters.get(key);
  if (!c) {
    const falseEasting = (prefixed ? zone * 1e6 : 0) + 500000;
    c = proj(geographic, `+proj=tmerc +lat_0=0 +lon_0=${zone * 3} +k=1 +x_0=${falseEasting} +y_0=0 +ellps=GRS80 +units=m +no_defs`);
    converters.set(key, c);
  }
  return c;
}

export interface GK {
  zone: number;
  /** northing, metres */
  x: number;
  /** easting with the zone prefix, metres */
  y: number;
}

/** lon/lat (CGCS2000) to Gauss-Krüger X/Y in the zone the point lies in (or the zone given). */
export function toGK(lon: number, lat: number, zone = gkZone(lon)): GK | null {
  const c = converter(zone, true);
  if (!c) return null;
  const [y, x] = c.forward([lon, lat]);
  return { zone, x, y };
}

/** Gauss-Krüger X (northing) / Y (easting) to lon/lat; Y with the zone prefix, or without it in `zone`. */
export function fromGK(x: number, y: number, zone = 40): [number, number] | null {
  const prefixed = y >= 1e7;
  const c = converter(prefixed ? Math.floor(y / 1e6) : zone, prefixed);
  if (!c) return null;
  const [lon, lat] = c.inverse([y, x]);
  return [lon, lat];
}

export interface ParsedCoordinate {
  lon: number;
  lat: number;
  kind: 'lonlat' | 'gk';
  /** the coordinate as understood, for the result list */
  label: string;
}

const number = String.raw`[-+]?\d+(?:\.\d+)?`;
const dms = String.raw`(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分]\s*)?(?:(\d+(?:\.\d+)?)\s*(?:["″]|''|秒)\s*)?([NSEW东西南北]?)`;

function dmsValue(m: RegExpMatchArray, i: number): { v: number; hemi: string } {
  const v = Number(m[i]) + Number(m[i + 1] ?? 0) / 60 + Number(m[i + 2] ?? 0) / 3600;
  const hemi = m[i + 3] ?? '';
  return { v: /[SW南西]/.test(hemi) ? -v : v, hemi };
}

const inChina = (lon: number, lat: number) => lon >= 73 && lon <= 136 && lat >= 3 && lat <= 54;

/**
 * Reads a coordinate typed in the search box: "119.94, 37.18" (lon, lat; lat, lon is recognised by
 * range), degrees-minutes-seconds "119°56'24\"E 37°10'48\"N", or Gauss-Krüger X/Y "4116489 40494672"
 * (in either order, told apart by magnitude; Y without the zone prefix is taken in zone 40). Returns
 * null when the text is not a coordinate (Gauss-Krüger ones only once loadGK is done).
 */
export function parseCoordinate(text: string): ParsedCoordinate | null {
  const s = text.trim().replace(/[，,;；]/g, ' ').replace(/\s+/g, ' ');
  const d = s.match(new RegExp(`^${dms}\\s*${dms}$`, 'i'));
  if (d) {
    let a = dmsValue(d, 1);
    let b = dmsValue(d, 5);
    if (/[NS北南]/i.test(a.hemi) || /[EW东西]/i.test(b.hemi)) [a, b] = [b, a];
    return lonLat(a.v, b.v);
  }
  const m = s.replace(/\b[XYxy]\s*[=:：]\s*/g, '').match(new RegExp(`^(${number}) (${number})$`));
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (Math.abs(a) <= 180 && Math.abs(b) <= 180) {
    if (inChina(a, b)) return lonLat(a, b);
    if (inChina(b, a)) return lonLat(b, a);
    if (Math.abs(b) <= 90) return lonLat(a, b);
    if (Math.abs(a) <= 90) return lonLat(b, a);
    return null;
  }
  // Gauss-Krüger: the northing lies between 0.3 and 6 million metres in China; the easting is either
  // zone-prefixed (8 digits, 13…45 million) or bare (100,000…900,000).
  const isNorthing = (v: number) => v >= 3e5 && v < 6.1e6;
  const isEasting = (v: number) => (v >= 1.3e7 && v < 4.6e7 && (v % 1e6) >= 1e5 && (v % 1e6) < 9e5) || (v >= 1e5 && v < 9e5);
  let x: number, y: number;
  if (isNorthing(a) && isEasting(b) && !(isNorthing(b) && isEasting(a) && b < a)) [x, y] = [a, b];
  else if (isNorthing(b) && isEasting(a)) [x, y] = [b, a];
  else return null;
  const ll = fromGK(x, y);
  if (!ll) return null;
  const [lon, lat] = ll;
  if (!inChina(lon, lat)) return null;
  const zone = y >= 1e7 ? Math.floor(y / 1e6) : 40;
  return { lon, lat, kind: 'gk', label: `X ${x.toFixed(2)}  Y ${y.toFixed(2)}（${zone} 带）` };
}

function lonLat(lon: number, lat: number): ParsedCoordinate | null {
  if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
  return { lon, lat, kind: 'lonlat', label: `${lon.toFixed(6)}, ${lat.toFixed(6)}` };
}

/** 119.94 → 119°56′24.00″ */
export function formatDMS(v: number): string {
  const a = Math.abs(v);
  const d = Math.floor(a);
  const mf = (a - d) * 60;
  const m = Math.floor(mf);
  const s = (mf - m) * 60;
  return `${v < 0 ? '-' : ''}${d}°${String(m).padStart(2, '0')}′${s.toFixed(2).padStart(5, '0')}″`;
}
