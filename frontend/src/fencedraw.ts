// Fence geometry as the editor draws it: a polygon (clicked vertices, closed on the double-click) or a
// corridor (a line with a width), and the GeoJSON Feature that POST/PUT /live/fences take.

export type LonLat = [number, number];

export interface FenceRule {
  kind: string;
  level?: string;
  max_kmh?: number;
  seconds?: number;
}

export interface FenceProps {
  id?: number;
  name: string;
  rules: FenceRule[];
  applies_to?: { kinds?: string[] };
  width_m?: number;
  radius_m?: number;
}

export type FenceGeometry = GeoJSON.Polygon | GeoJSON.LineString | GeoJSON.Point;
export type Fence = GeoJSON.Feature<FenceGeometry, FenceProps>;

/**
 * The clicked vertices without repeats: a double-click comes after two clicks at (about) its place,
 * and points closer than tol degrees to the one before are one vertex.
 */
export function cleanVertices(pts: LonLat[], tol = 1e-7): LonLat[] {
  const out: LonLat[] = [];
  for (const p of pts) {
    const q = out[out.length - 1];
    if (!q || Math.abs(q[0] - p[0]) > tol || Math.abs(q[1] - p[1]) > tol) out.push([p[0], p[1]]);
  }
  return out;
}

/** The drawn geometry, or null while it has too few vertices (a polygon 3, a corridor 2). */
export function drawnGeometry(kind: 'polygon' | 'corridor', pts: LonLat[]): GeoJSON.Polygon | GeoJSON.LineString | null {
  const v = cleanVertices(pts);
  if (kind === 'polygon') {
    if (v.length < 3) return null;
    return { type: 'Polygon', coordinates: [[...v, v[0]]] };
  }
  if (v.length < 2) return null;
  return { type: 'LineString', coordinates: v };
}

/** The vertices an editor moves: a polygon's outer ring without its closing point, a line's points. */
export function editableVertices(g: FenceGeometry): LonLat[] {
  if (g.type === 'Polygon') return g.coordinates[0].slice(0, -1) as LonLat[];
  if (g.type === 'LineString') return g.coordinates as LonLat[];
  return [g.coordinates as LonLat];
}

/** The geometry with vertex i moved to p (a polygon's first vertex moves its closing one too). */
export function moveVertex(g: FenceGeometry, i: number, p: LonLat): FenceGeometry {
  if (g.type === 'Point') return { type: 'Point', coordinates: [p[0], p[1]] };
  if (g.type === 'LineString') return { type: 'LineString', coordinates: g.coordinates.map((c, j) => (j === i ? [p[0], p[1]] : c)) };
  const ring = g.coordinates[0].slice(0, -1).map((c, j) => (j === i ? [p[0], p[1]] : c));
  return { type: 'Polygon', coordinates: [[...ring, ring[0]], ...g.coordinates.slice(1)] };
}

/** The body of POST or PUT /live/fences: only the properties the server takes. */
export function fenceBody(g: FenceGeometry, p: FenceProps): string {
  const props: Record<string, unknown> = { name: p.name, rules: p.rules };
  if (p.applies_to?.kinds?.length) props.applies_to = { kinds: p.applies_to.kinds };
  if (g.type === 'LineString') props.width_m = p.width_m;
  if (g.type === 'Point') props.radius_m = p.radius_m;
  return JSON.stringify({ type: 'Feature', geometry: g, properties: props });
}

/** A rules list as typed in the editor: kinds separated by commas ("enter, speed>60, dwell>300"). */
export function parseRules(s: string, level?: string): FenceRule[] {
  const out: FenceRule[] = [];
  for (const part of s.split(/[,，\s]+/).filter(Boolean)) {
    const m = /^([a-z_]+)(?:>(\d+(?:\.\d+)?))?$/.exec(part.trim());
    if (!m) throw new Error(part);
    const r: FenceRule = { kind: m[1] };
    if (m[2] !== undefined) {
      if (r.kind === 'speed') r.max_kmh = Number(m[2]);
      else r.seconds = Number(m[2]);
    }
    if (level) r.level = level;
    out.push(r);
  }
  return out;
}

/** The rules as the editor shows them (parseRules' inverse). */
export function formatRules(rules: FenceRule[]): string {
  return rules.map((r) => (r.max_kmh !== undefined ? `${r.kind}>${r.max_kmh}` : r.seconds !== undefined ? `${r.kind}>${r.seconds}` : r.kind)).join(', ');
}
