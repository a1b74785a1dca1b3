// How live objects look, in 2D, in 3D and in the legend alike: each object gets an icon, drawn on a
// canvas from the shapes below (no image files) and named by what it shows, so the map asks for
// exactly the icons in use (MapLibre's styleimagemissing) and the legend shows the same pictures.
import type { LegendItem } from './api';
import type { Lang, T } from './i18n';
import type { LiveFeature, LiveProps } from './live';
import { sensorKinds } from './livekinds';

export type Shape = 'arrow' | 'pin' | 'disc' | 'camera' | 'dot' | 'placard' | 'fire';

/** What an icon shows: a shape, its fill (#rrggbb) and, for sensors and placards, a glyph. */
export interface IconSpec {
  shape: Shape;
  fill: string;
  glyph?: string;
}

export const colours = {
  hazmat: '#f76707',
  vehicle: '#1971c2',
  team: '#2b8a3e',
  stale: '#868e96',
  camera: '#0b7285',
  hotspot: '#e03131',
  hotspotRing: '#ffd43b',
  sensor: '#0c8599',
};

/** Sensor colours by kind: water blue, ground purple, gas and smoke red. */
export const sensorColours: Record<string, string> = {
  water_level: '#1c7ed6',
  rainfall: '#1098ad',
  saturation_line: '#4263eb',
  manhole_tilt: '#7048e8',
  settlement: '#9c36b5',
  displacement: '#ae3ec9',
  gas: '#d9480f',
  smoke: '#c2255c',
  temperature: '#e8590c',
  pressure: '#1864ab',
  flow: '#1971c2',
};

/** Hazard placards by class: background colour (the diamond of the class's label, simplified). */
const placardColours: Record<string, string> = {
  '1': '#f76707',
  '2': '#e03131',
  '2.1': '#e03131',
  '2.2': '#2b8a3e',
  '2.3': '#ffffff',
  '3': '#e03131',
  '4': '#e03131',
  '5': '#fab005',
  '6': '#ffffff',
  '7': '#fab005',
  '8': '#212529',
  '9': '#ffffff',
};

export function placardColour(cls: string): string {
  const c = cls.trim();
  return placardColours[c] ?? placardColours[c.split('.')[0]] ?? '#ffffff';
}

const prefix = 'yitu-live:';

/** The image name of an icon: yitu-live:shape:rrggbb[:glyph]. */
export function iconName(s: IconSpec): string {
  return `${prefix}${s.shape}:${s.fill.replace('#', '')}${s.glyph ? `:${s.glyph}` : ''}`;
}

/** The icon an image name asks for; undefined when it is not one of these. */
export function parseIcon(name: string): IconSpec | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const [shape, fill, ...glyph] = name.slice(prefix.length).split(':');
  if (!(shape in shapes) || !/^[0-9a-f]{6}$/i.test(fill)) return undefined;
  return { shape: shape as Shape, fill: `#${fill}`, glyph: glyph.length ? glyph.join(':') : undefined };
}

/** Shapes in a box of size × size CSS pixels, drawn north up (the map turns them by heading). */
export const shapes: Record<Shape, { size: number; path: string }> = {
  // A navigation arrow: vehicles.
  arrow: { size: 26, path: 'M13 2 L20.5 23.5 L13 19 L5.5 23.5 Z' },
  // A drop pointing the way it goes: teams.
  pin: { size: 26, path: 'M13 2.5 L18.9 12.3 A7 7 0 1 1 7.1 12.3 Z' },
  // A disc with a glyph: sensors.
  disc: { size: 24, path: 'M12 3 A9 9 0 1 1 11.99 3 Z' },
  // A 60° wedge of view from the centre, and the camera at the centre.
  camera: { size: 40, path: 'M20 20 L11 4.4 A18 18 0 0 1 29 4.4 Z' },
  // A camera without a view direction.
  dot: { size: 20, path: 'M10 4.5 A5.5 5.5 0 1 1 9.99 4.5 Z' },
  // A hazard placard (a diamond) with the class.
  placard: { size: 20, path: 'M10 1 L19 10 L10 19 L1 10 Z' },
  // A satellite fire hotspot (drawn as a circle layer in 2D; this is its 3D and legend icon).
  fire: { size: 20, path: 'M10 2.5 A7.5 7.5 0 1 1 9.99 2.5 Z' },
};

/** What the map needs of a live object, as extra properties of its feature. */
export interface SymbolProps {
  /** icon image name */
  _icon: string;
  /** degrees clockwise from north that the icon turns (heading, view direction) */
  _rot: number;
  /** the label at street zooms: plate or name */
  _label: string;
  /** hazmat: the class placard's image name, else '' */
  _badge: string;
  _stale: boolean;
  /** hotspots: the circle's radius in pixels (by fire radiative power) */
  _r: number;
}

const isHazmat = (p: LiveProps) => p.layer === 'live.hazmat';

/** The radius of a hotspot's circle: grows with the square root of its FRP, 5 to 22 px. */
export function hotspotRadius(frp: number | undefined): number {
  const f = typeof frp === 'number' && Number.isFinite(frp) && frp > 0 ? frp : 0;
  return Math.round(Math.min(22, 5 + 2.2 * Math.sqrt(f)) * 10) / 10;
}

/** The icon, turn, label and badge of a live object. */
export function symbolOf(p: LiveProps): SymbolProps {
  const stale = p.kind !== 'hotspot' && p.kind !== 'camera' && p.stale === true;
  const grey = (c: string) => (stale ? colours.stale : c);
  let icon: IconSpec;
  let rot = 0;
  let label = '';
  let badge = '';
  switch (p.kind) {
    case 'vehicle':
      icon = { shape: 'arrow', fill: grey(isHazmat(p) ? colours.hazmat : colours.vehicle) };
      rot = p.heading ?? 0;
      label = p.plate ?? p.name ?? p.id;
      if (isHazmat(p) && p.hazard_class) {
        badge = iconName({ shape: 'placard', fill: stale ? colours.stale : placardColour(p.hazard_class), glyph: p.hazard_class.trim() });
      }
      break;
    case 'team':
      icon = { shape: 'pin', fill: grey(colours.team) };
      rot = p.heading ?? 0;
      label = p.name ?? p.plate ?? p.id;
      break;
    case 'sensor': {
      const k = p.sensor_kind ? sensorKinds[p.sensor_kind] : undefined;
      icon = { shape: 'disc', fill: grey((p.sensor_kind && sensorColours[p.sensor_kind]) || colours.sensor), glyph: k?.glyph ?? '感' };
      label = p.name ?? p.id;
      break;
    }
    case 'camera':
      icon = p.view_direction !== undefined ? { shape: 'camera', fill: colours.camera } : { shape: 'dot', fill: colours.camera };
      rot = p.view_direction ?? 0;
      label = p.name ?? '';
      break;
    default:
      icon = { shape: 'fire', fill: colours.hotspot };
  }
  return { _icon: iconName(icon), _rot: rot, _label: label, _badge: badge, _stale: stale, _r: p.kind === 'hotspot' ? hotspotRadius(p.frp) : 0 };
}

/** The features with their symbol properties added (the originals are not changed). */
export function withSymbols(features: LiveFeature[]): GeoJSON.Feature<GeoJSON.Point, LiveProps & SymbolProps>[] {
  const out: GeoJSON.Feature<GeoJSON.Point, LiveProps & SymbolProps>[] = [];
  for (const f of features) {
    if (!f.geometry || f.geometry.type !== 'Point') continue;
    out.push({ type: 'Feature', id: f.id, geometry: f.geometry, properties: { ...f.properties, ...symbolOf(f.properties) } });
  }
  return out;
}

/** The legend of a live layer: the icons the map draws for it. */
export function liveLegend(layer: string, t: T, lang: Lang): LegendItem[] {
  const item = (s: IconSpec, label: string): LegendItem => ({ kind: 'icon', icon: iconName(s), label_zh: label, label_en: label });
  const stale = (shape: Shape) => item({ shape, fill: colours.stale }, t('liveLegendStale'));
  switch (layer) {
    case 'live.hazmat':
      return [item({ shape: 'arrow', fill: colours.hazmat }, t('liveLegendHazmat')), item({ shape: 'placard', fill: placardColour('3'), glyph: '3' }, `3 ${lang === 'en' ? 'Flammable liquids' : '易燃液体'}`), stale('arrow')];
    case 'live.vehicle':
      return [item({ shape: 'arrow', fill: colours.vehicle }, t('liveLegendVehicle')), stale('arrow')];
    case 'live.team':
      return [item({ shape: 'pin', fill: colours.team }, t('liveLegendTeam')), stale('pin')];
    case 'live.sensor':
      return [
        ...Object.entries(sensorColours)
          .filter(([k]) => sensorKinds[k])
          .map(([k, c]) => item({ shape: 'disc', fill: c, glyph: sensorKinds[k].glyph }, lang === 'en' ? sensorKinds[k].name[1] : sensorKinds[k].name[0])),
        item({ shape: 'disc', fill: colours.sensor, glyph: '感' }, t('liveLegendOtherSensor')),
        item({ shape: 'disc', fill: colours.stale, glyph: '水' }, t('liveLegendStale')),
      ];
    case 'live.camera':
      return [item({ shape: 'camera', fill: colours.camera }, t('liveLegendCamera'))];
    case 'live.hotspot':
      return [item({ shape: 'fire', fill: colours.hotspot }, t('liveLegendHotspot'))];
  }
  return [];
}

/** Whether black reads better than white on a colour. */
function light(hex: string): boolean {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 160;
}

export const iconFont = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

/** Draws an icon at ratio device pixels per CSS pixel on a new canvas. */
export function drawIcon(s: IconSpec, ratio: number): HTMLCanvasElement {
  const { size, path } = shapes[s.shape];
  const c = document.createElement('canvas');
  c.width = c.height = Math.ceil(size * ratio);
  const g = c.getContext('2d')!;
  g.scale(ratio, ratio);
  const p = new Path2D(path);
  g.lineJoin = 'round';
  switch (s.shape) {
    case 'camera': {
      g.fillStyle = s.fill + '55';
      g.strokeStyle = s.fill;
      g.lineWidth = 1.2;
      g.fill(p);
      g.stroke(p);
      const dot = new Path2D('M20 14.5 A5.5 5.5 0 1 1 19.99 14.5 Z');
      outlined(g, dot, s.fill);
      break;
    }
    case 'placard':
      g.fillStyle = s.fill;
      g.strokeStyle = light(s.fill) ? '#212529' : '#ffffff';
      g.lineWidth = 1.2;
      g.fill(p);
      g.stroke(p);
      break;
    case 'fire':
      g.fillStyle = s.fill + 'd9';
      g.strokeStyle = colours.hotspotRing;
      g.lineWidth = 2;
      g.fill(p);
      g.stroke(p);
      break;
    default:
      outlined(g, p, s.fill);
  }
  if (s.glyph) {
    const px = s.shape === 'placard' ? (s.glyph.length > 2 ? 7 : 9) : 12;
    g.font = `700 ${px}px ${iconFont}`;
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillStyle = light(s.fill) ? '#212529' : '#ffffff';
    g.fillText(s.glyph, size / 2, size / 2 + (s.shape === 'placard' ? 0.5 : 0.8));
  }
  return c;
}

/** Fill with a white rim and a faint dark edge, legible on light and dark ground alike. */
function outlined(g: CanvasRenderingContext2D, p: Path2D, fill: string) {
  g.strokeStyle = 'rgba(0, 0, 0, 0.45)';
  g.lineWidth = 3.5;
  g.stroke(p);
  g.strokeStyle = '#ffffff';
  g.lineWidth = 2;
  g.stroke(p);
  g.fillStyle = fill;
  g.fill(p);
}

const cache = new Map<string, HTMLCanvasElement>();

/** The icon of an image name at a pixel ratio (cached), or undefined when the name is not an icon. */
export function iconCanvas(name: string, ratio = 2): HTMLCanvasElement | undefined {
  const key = `${name}@${ratio}`;
  let c = cache.get(key);
  if (!c) {
    const s = parseIcon(name);
    if (!s) return undefined;
    c = drawIcon(s, ratio);
    cache.set(key, c);
  }
  return c;
}

/** The icon as a data: URL, for the legend's <img>. */
const urls = new Map<string, string>();
export function iconURL(name: string): string | undefined {
  let u = urls.get(name);
  if (!u) {
    u = iconCanvas(name, 2)?.toDataURL();
    if (u) urls.set(name, u);
  }
  return u;
}
