// A base-map building's footprint as the 3D view uses it to pick the building out of an oblique model
// (logical 单体化): its outer rings, and points where the model's surface is sampled for the building's
// height range (inside: the roof; just outside: the ground around it).

export type LonLat = [number, number];

/** The outer rings of a Polygon or MultiPolygon, without their closing point. */
export function outerRings(g: GeoJSON.Geometry | undefined): LonLat[][] {
  const open = (r: GeoJSON.Position[]): LonLat[] => {
    const pts = r.map((p) => [p[0], p[1]] as LonLat);
    const n = pts.length;
    if (n > 1 && pts[0][0] === pts[n - 1][0] && pts[0][1] === pts[n - 1][1]) pts.pop();
    return pts;
  };
  if (!g) return [];
  if (g.type === 'Polygon') return g.coordinates.length ? [open(g.coordinates[0])] : [];
  if (g.type === 'MultiPolygon') return g.coordinates.filter((p) => p.length).map((p) => open(p[0]));
  return [];
}

/** The vertex average of a ring (inside for the convex and near-convex footprints of buildings). */
export function ringCentre(ring: LonLat[]): LonLat {
  let x = 0;
  let y = 0;
  for (const [lon, lat] of ring) {
    x += lon;
    y += lat;
  }
  return [x / ring.length, y / ring.length];
}

/**
 * Points from a ring's centre toward each vertex, at share of the way: below 1 inside the footprint
 * (the roof), above 1 outside it (the ground around the building), with the centre itself first.
 */
export function towardVertices(ring: LonLat[], share: number): LonLat[] {
  const [cx, cy] = ringCentre(ring);
  return [[cx, cy], ...ring.map(([x, y]) => [cx + (x - cx) * share, cy + (y - cy) * share] as LonLat)];
}

/** The height range of a building from the model's surface sampled on its roof and around it. */
export function heightRange(roof: (number | undefined)[], around: (number | undefined)[], picked: number): { min: number; max: number } {
  const ok = (h: number | undefined): h is number => typeof h === 'number' && Number.isFinite(h);
  const top = roof.filter(ok);
  const ground = around.filter(ok);
  const max = Math.max(picked, ...top);
  const min = ground.length ? Math.min(...ground) : Math.min(picked, ...top);
  return { min: Math.min(min, picked), max };
}
