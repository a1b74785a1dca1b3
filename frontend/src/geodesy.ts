// Geodesic lengths and areas on the CGCS2000 ellipsoid (GRS 80 axes), with GeographicLib's algorithms.
import { Geodesic } from 'geographiclib-geodesic';

const cgcs2000 = new Geodesic.Geodesic(6378137, 1 / 298.257222101);

/** Length in metres of the geodesic polyline through [lon, lat] points. */
export function geodesicLength(points: [number, number][]): number {
  let s = 0;
  for (let i = 1; i < points.length; i++) {
    const [lon1, lat1] = points[i - 1];
    const [lon2, lat2] = points[i];
    s += cgcs2000.Inverse(lat1, lon1, lat2, lon2).s12 ?? 0;
  }
  return s;
}

/** Area in square metres and perimeter in metres of the geodesic polygon through [lon, lat] points. */
export function geodesicArea(points: [number, number][]): { area: number; perimeter: number } {
  if (points.length < 3) return { area: 0, perimeter: geodesicLength(points) * 2 };
  const p = cgcs2000.Polygon(false);
  for (const [lon, lat] of points) p.AddPoint(lat, lon);
  const r = p.Compute(false, true);
  return { area: Math.abs(r.area ?? 0), perimeter: r.perimeter };
}

export type Lang = 'zh' | 'en';

const fmt = (v: number, digits: number, lang: Lang) =>
  v.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function formatLength(m: number, lang: Lang): string {
  if (m < 1000) return lang === 'zh' ? `${fmt(m, 1, lang)} 米` : `${fmt(m, 1, lang)} m`;
  return lang === 'zh' ? `${fmt(m / 1000, 3, lang)} 公里` : `${fmt(m / 1000, 3, lang)} km`;
}

/** Square metres, or km² past a square kilometre, with mu (亩, 666.67 m²) in Chinese, hectares in English. */
export function formatArea(m2: number, lang: Lang): string {
  if (lang === 'zh') {
    const main = m2 < 1e6 ? `${fmt(m2, 1, lang)} 平方米` : `${fmt(m2 / 1e6, 3, lang)} 平方公里`;
    return `${main}（${fmt(m2 / (10000 / 15), 2, lang)} 亩）`;
  }
  const main = m2 < 1e6 ? `${fmt(m2, 1, lang)} m²` : `${fmt(m2 / 1e6, 3, lang)} km²`;
  return `${main} (${fmt(m2 / 1e4, 2, lang)} ha)`;
}
