// The forest-fire views of an incident of type forest_fire: its spread by hour, the resources near it
// and the evacuation of villages in its way, from GET /command/fires/{id}/spread|resources|evacuation
// (FeatureCollections). What to ask, and how each feature is drawn; the panel puts them on the map.

export interface SpreadParams {
  wind_speed: number; // m/s
  wind_direction: number; // degrees the wind blows from
  fuel_model: string;
  moisture: number; // dead fuel moisture, %
}

export const defaultSpread: SpreadParams = { wind_speed: 3, wind_direction: 270, fuel_model: 'TL3', moisture: 8 };

export type FireView = 'spread' | 'resources' | 'evacuation';

/** The URL of a fire view of an incident (resources: of any located incident, a hazmat leak too). */
export function fireURL(id: number, view: FireView, p: SpreadParams = defaultSpread): string {
  if (view === 'resources') return `/command/incidents/${id}/resources`;
  if (view !== 'spread') return `/command/fires/${id}/${view}`;
  const q = new URLSearchParams({
    wind_speed: String(p.wind_speed),
    wind_direction: String(p.wind_direction),
    fuel_model: p.fuel_model,
    moisture: String(p.moisture),
  });
  return `/command/fires/${id}/spread?${q}`;
}

/** The spread's rings by hour: 1 h red, 2 h orange, 3 h yellow (later ones paler). */
export function spreadColour(hours: number): string {
  return hours <= 1 ? '#e03131' : hours <= 2 ? '#f76707' : hours <= 3 ? '#fab005' : '#ffe066';
}

/** Resource categories and their colours on the map. */
export const resourceColours: Record<string, string> = {
  team: '#1f6fd1',
  water_source: '#1098ad',
  watchtower: '#7048e8',
  camera: '#ae3ec9',
  depot: '#5c940d',
  firebreak: '#e67700',
  route: '#1f6fd1',
  village: '#c2255c',
  evacuation_route: '#2f9e44',
};

/**
 * A camera's or watchtower's field of view as a wedge: from the place, radius metres out, fov degrees
 * wide around direction (degrees from north, clockwise).
 */
export function wedge(lon: number, lat: number, direction: number, fov = 60, radius = 1500, steps = 12): GeoJSON.Polygon {
  const mPerDegLat = 111_320;
  const mPerDegLon = mPerDegLat * Math.cos((lat * Math.PI) / 180);
  const ring: [number, number][] = [[lon, lat]];
  for (let i = 0; i <= steps; i++) {
    const a = ((direction - fov / 2 + (fov * i) / steps) * Math.PI) / 180;
    ring.push([lon + (radius * Math.sin(a)) / mPerDegLon, lat + (radius * Math.cos(a)) / mPerDegLat]);
  }
  ring.push([lon, lat]);
  return { type: 'Polygon', coordinates: [ring] };
}

/**
 * A fire view's features made ready to draw: each with a colour, and for cameras and watchtowers with
 * a view_direction a wedge of their view beside the point.
 */
export function drawable(view: FireView, fc: GeoJSON.FeatureCollection): GeoJSON.FeatureCollection {
  const out: GeoJSON.Feature[] = [];
  for (const f of fc.features ?? []) {
    const p = { ...(f.properties ?? {}) } as Record<string, unknown>;
    if (view === 'spread') p.colour = spreadColour(Number(p.hours));
    else p.colour = resourceColours[String(p.category)] ?? '#495057';
    p.label = labelOf(view, p);
    out.push({ ...f, properties: p });
    const dir = Number(p.view_direction);
    if ((p.category === 'camera' || p.category === 'watchtower') && f.geometry?.type === 'Point' && Number.isFinite(dir) && p.view_direction !== null) {
      const [lon, lat] = f.geometry.coordinates;
      out.push({ type: 'Feature', geometry: wedge(lon, lat, dir), properties: { ...p, wedge: true, label: '' } });
    }
  }
  // Later hours first, so the first hour's ring is drawn on top.
  if (view === 'spread') out.sort((a, b) => Number(b.properties?.hours) - Number(a.properties?.hours));
  return { type: 'FeatureCollection', features: out };
}

/** A short label: a team's name and ETA, a village's name and population, a ring's hour. */
export function labelOf(view: FireView, p: Record<string, unknown>): string {
  if (view === 'spread') return `${p.hours} h`;
  const name = String(p.name ?? p.team ?? '');
  if (p.category === 'village') return `${name}${p.population !== undefined ? ` ${p.population}人` : ''}`;
  if (p.eta_min !== undefined && p.eta_min !== null) return `${name} ${Math.round(Number(p.eta_min))} min`;
  return name;
}
