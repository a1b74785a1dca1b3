// The geological section (剖面) along a line drawn on the 2D map: the server draws it (GET
// /twin/section: an SVG profile of strata, boreholes and pipes; GeoJSON without f=svg). The viewer
// fetches both with the signed-in token (a restricted pipeline layer is cut only for those who may
// read it), shows the SVG in its section panel and counts what the line cuts from the JSON.
import { ApiError, getJSON } from './api';
import { authHeaders } from './auth';

/** The URL of the section along points (lon, lat), boreholes within buffer metres. */
export function sectionURL(points: [number, number][], buffer = 50, format: 'svg' | 'json' = 'svg'): string {
  const line = points.map(([lon, lat]) => `${lon.toFixed(7)},${lat.toFixed(7)}`).join(',');
  const q = new URLSearchParams({ line, buffer: String(buffer) });
  if (format === 'svg') q.set('f', 'svg');
  return `/twin/section?${q.toString()}`;
}

/**
 * What GET /twin/section answers in JSON, as far as the viewer reads it: a FeatureCollection in
 * profile coordinates whose features are of kind stratum (code), ground, borehole_layer (hole_no)
 * and pipe (id), and the section's length.
 */
export interface SectionData {
  features: { properties: { kind: string; code?: string; hole_no?: string; id?: number } }[];
  section: { length_m: number };
}

/** What the section panel tells: the line's length and what it cuts. */
export interface SectionSummary {
  length: number;
  strata: number;
  boreholes: string[];
  pipes: number;
}

export function summarize(d: SectionData): SectionSummary {
  const strata = new Set<string>();
  const holes = new Set<string>();
  let pipes = 0;
  for (const { properties: p } of d.features) {
    if (p.kind === 'stratum' && p.code !== undefined) strata.add(p.code);
    else if (p.kind === 'borehole_layer' && p.hole_no !== undefined) holes.add(p.hole_no);
    else if (p.kind === 'pipe') pipes++;
  }
  return { length: d.section.length_m, strata: strata.size, boreholes: [...holes], pipes };
}

/** The section along points: its summary and its SVG drawing (the SVG's text, to show as an image). */
export async function fetchSection(points: [number, number][], signal?: AbortSignal): Promise<{ summary: SectionSummary; svg: string }> {
  const [data, svg] = await Promise.all([
    getJSON<SectionData>(sectionURL(points, 50, 'json'), signal),
    fetch(sectionURL(points), { signal, headers: authHeaders({ Accept: 'image/svg+xml' }) }).then(async (r) => {
      if (!r.ok) throw new ApiError(r.status, `${r.status} ${r.statusText}`);
      return r.text();
    }),
  ]);
  return { summary: summarize(data), svg };
}
