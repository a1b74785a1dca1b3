// The card (卡片) of a live object in the attributes panel: which fields each kind shows and how they
// read, in Chinese or English. Pure functions of the object's properties, so they are unit-tested.
// Loaded with the first card (ui/LiveCard.tsx), not with the first view.
import type { LiveProps } from './live';
import type { Lang, MessageKey, T } from './i18n';
import { sensorKinds } from './livekinds';

type Pair = [zh: string, en: string];
const pick = (p: Pair, lang: Lang) => (lang === 'en' ? p[1] : p[0]);

/**
 * The classes of dangerous goods (UN Model Regulations; GB 6944 in China) by class or division. A
 * division not listed falls back to its class (1.4 → 1).
 */
export const hazardClasses: Record<string, Pair> = {
  '1': ['爆炸品', 'Explosives'],
  '2': ['气体', 'Gases'],
  '2.1': ['易燃气体', 'Flammable gases'],
  '2.2': ['非易燃无毒气体', 'Non-flammable, non-toxic gases'],
  '2.3': ['毒性气体', 'Toxic gases'],
  '3': ['易燃液体', 'Flammable liquids'],
  '4': ['易燃固体、易于自燃的物质、遇水放出易燃气体的物质', 'Flammable solids and reactive substances'],
  '4.1': ['易燃固体、自反应物质和固态退敏爆炸品', 'Flammable solids, self-reactive substances, solid desensitized explosives'],
  '4.2': ['易于自燃的物质', 'Substances liable to spontaneous combustion'],
  '4.3': ['遇水放出易燃气体的物质', 'Substances which emit flammable gases in contact with water'],
  '5': ['氧化性物质和有机过氧化物', 'Oxidizing substances and organic peroxides'],
  '5.1': ['氧化性物质', 'Oxidizing substances'],
  '5.2': ['有机过氧化物', 'Organic peroxides'],
  '6': ['毒性物质和感染性物质', 'Toxic and infectious substances'],
  '6.1': ['毒性物质', 'Toxic substances'],
  '6.2': ['感染性物质', 'Infectious substances'],
  '7': ['放射性物质', 'Radioactive material'],
  '8': ['腐蚀性物质', 'Corrosive substances'],
  '9': ['杂项危险物质和物品', 'Miscellaneous dangerous substances and articles'],
};

/** The name of a hazard class ("3", "2.1", "Class 8"), or undefined when it is not one. */
export function hazardClassName(cls: string | undefined, lang: Lang): string | undefined {
  if (!cls) return undefined;
  const c = cls.trim().replace(/^(class|第)\s*/i, '').replace(/类$/, '');
  const hit = hazardClasses[c] ?? hazardClasses[c.split('.')[0]];
  return hit && pick(hit, lang);
}

/** "3 易燃液体"; the class as given when it is not a known one. */
export function hazardClassLabel(cls: string | undefined, lang: Lang): string | undefined {
  if (!cls) return undefined;
  const name = hazardClassName(cls, lang);
  return name ? `${cls.trim()} ${name}` : cls;
}

/** Cargoes common on the roads of a county (UN number → name). */
export const unNames: Record<string, Pair> = {
  UN1005: ['液氨', 'Ammonia, anhydrous'],
  UN1017: ['氯', 'Chlorine'],
  UN1075: ['液化石油气', 'Petroleum gases, liquefied'],
  UN1170: ['乙醇', 'Ethanol'],
  UN1202: ['柴油', 'Diesel fuel'],
  UN1203: ['汽油', 'Petrol'],
  UN1223: ['煤油', 'Kerosene'],
  UN1230: ['甲醇', 'Methanol'],
  UN1789: ['盐酸', 'Hydrochloric acid'],
  UN1791: ['次氯酸盐溶液', 'Hypochlorite solution'],
  UN1830: ['硫酸', 'Sulphuric acid'],
  UN1965: ['液化烃类气体混合物', 'Hydrocarbon gas mixture, liquefied'],
  UN1971: ['天然气（压缩）', 'Natural gas, compressed'],
  UN1972: ['液化天然气', 'Natural gas, refrigerated liquid'],
  UN2031: ['硝酸', 'Nitric acid'],
  UN1824: ['氢氧化钠溶液', 'Sodium hydroxide solution'],
};

export function sensorKindName(kind: string | undefined, lang: Lang): string | undefined {
  if (!kind) return undefined;
  const k = sensorKinds[kind];
  return k ? pick(k.name, lang) : kind;
}

export const vehicleKinds: Record<string, Pair> = {
  hazmat: ['危化品运输车', 'Hazmat truck'],
  patrol: ['巡逻车', 'Patrol car'],
  fire_truck: ['消防车', 'Fire engine'],
  fire_engine: ['消防车', 'Fire engine'],
  fire_team: ['消防车', 'Fire engine'],
  ambulance: ['救护车', 'Ambulance'],
  police: ['警车', 'Police car'],
  bus: ['公交车', 'Bus'],
  truck: ['货车', 'Truck'],
};

const satellites: Record<string, string> = { T: 'Terra', A: 'Aqua', N: 'Suomi NPP', N20: 'NOAA-20', N21: 'NOAA-21', J1: 'NOAA-20', J2: 'NOAA-21' };
const viirsConfidence: Record<string, Pair> = { l: ['低', 'low'], n: ['标称', 'nominal'], h: ['高', 'high'] };

/** 0–360° as the nearest of eight compass points. */
export function compass(deg: number, lang: Lang): string {
  const zh = ['北', '东北', '东', '东南', '南', '西南', '西', '西北'];
  const en = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'];
  const i = Math.round((((deg % 360) + 360) % 360) / 45) % 8;
  return (lang === 'en' ? en : zh)[i];
}

/** How long ago, in the unit that reads best: 40 秒前, 3 分钟前, 2 小时前, 5 天前. */
export function ago(seconds: number, t: T): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('liveAgoSeconds', { n: s });
  if (s < 3600) return t('liveAgoMinutes', { n: Math.floor(s / 60) });
  if (s < 86400) return t('liveAgoHours', { n: Math.floor(s / 3600) });
  return t('liveAgoDays', { n: Math.floor(s / 86400) });
}

/** An RFC 3339 time as YYYY-MM-DD HH:mm:ss in a time zone (default: the browser's). */
export function formatTime(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** "a（b）" in Chinese, "a (b)" in English. */
const paren = (lang: Lang, b: string) => (lang === 'en' ? ` (${b})` : `（${b}）`);

const num = (v: number, digits = 2) => v.toLocaleString('en-US', { maximumFractionDigits: digits, useGrouping: false });

export interface CardRow {
  /** the property it shows (data-field in the page) */
  key: string;
  label: string;
  value: string;
  /** a link (a camera's stream) */
  href?: string;
}

export interface Card {
  /** plate, name or id */
  title: string;
  /** what the object is: 危化品运输车, 水位监测, 卫星火点 … */
  kind: string;
  stale: boolean;
  rows: CardRow[];
  /** sensors: show the readings of the last 24 hours */
  chart: boolean;
}

/** Where the card's time of the last report stands. */
export interface CardClock {
  /** now, ms */
  now: number;
  /** when the properties arrived, ms (age_s was the age then) */
  at: number;
  /** for tests; default the browser's zone */
  timeZone?: string;
}

/** The card of a live object: its title, kind, stale marker and rows, by kind. */
export function liveCard(p: LiveProps, t: T, lang: Lang, clock: CardClock): Card {
  const rows: CardRow[] = [];
  const add = (key: string, label: MessageKey, value: string | undefined, href?: string) => {
    if (value !== undefined && value !== '') rows.push({ key, label: t(label), value, href });
  };
  const stale = p.kind !== 'hotspot' && p.kind !== 'camera' && p.stale === true;
  const age = p.age_s !== undefined ? p.age_s + Math.max(0, clock.now - clock.at) / 1000 : p.time ? (clock.now - Date.parse(p.time)) / 1000 : undefined;
  const when = p.time ? `${formatTime(p.time, clock.timeZone)}${age !== undefined ? paren(lang, ago(age, t)) : ''}` : t('liveNever');
  const status = () => add('stale', 'liveStatus', p.time === null ? t('liveNever') : stale ? t('liveStale') : t('liveOnline'));
  const motion = () => {
    if (p.speed !== undefined) add('speed', 'liveSpeed', `${num(p.speed, 1)} km/h`);
    if (p.heading !== undefined) add('heading', 'liveHeading', `${num(p.heading, 0)}°${paren(lang, compass(p.heading, lang))}`);
  };
  let title = p.name ?? p.id;
  let kind: string;
  let chart = false;
  switch (p.kind) {
    case 'vehicle': {
      const hazmat = p.layer === 'live.hazmat' || p.vehicle_kind === 'hazmat' || !!p.un;
      title = p.plate ?? p.name ?? p.id;
      const vk = p.vehicle_kind ? vehicleKinds[p.vehicle_kind] : undefined;
      kind = vk ? pick(vk, lang) : hazmat ? pick(vehicleKinds.hazmat, lang) : t('liveKindVehicle');
      add('plate', 'livePlate', p.plate);
      if (p.name && p.name !== title) add('name', 'liveName', p.name);
      add('vehicle_kind', 'liveVehicleKind', p.vehicle_kind && !vk ? p.vehicle_kind : undefined);
      add('carrier', hazmat ? 'liveCarrier' : 'liveOperator', p.carrier);
      if (p.un) {
        const cargo = unNames[p.un.toUpperCase()];
        add('un', 'liveUN', cargo ? p.un + paren(lang, pick(cargo, lang)) : p.un);
      }
      add('hazard_class', 'liveHazardClass', hazardClassLabel(p.hazard_class, lang));
      motion();
      add('time', 'liveTime', when);
      status();
      break;
    }
    case 'team':
      kind = t('liveKindTeam');
      add('name', 'liveName', p.name);
      add('plate', 'livePlate', p.plate);
      add('owner', 'liveOwner', p.owner);
      motion();
      add('time', 'liveTime', when);
      status();
      break;
    case 'sensor': {
      kind = sensorKindName(p.sensor_kind, lang) ?? t('liveKindSensor');
      chart = true;
      add('name', 'liveName', p.name);
      add('sensor_kind', 'liveSensorKind', sensorKindName(p.sensor_kind, lang));
      const unit = p.unit ? ` ${p.unit}` : '';
      if (p.value !== undefined) add('value', 'liveValue', `${num(p.value, 3)}${unit}`);
      else if (p.values && Object.keys(p.values).length) {
        add('value', 'liveValue', Object.entries(p.values).map(([k, v]) => `${k} ${num(v, 3)}${unit}`).join(lang === 'en' ? ', ' : '，'));
      }
      add('group', 'liveGroup', p.group);
      add('owner', 'liveOwner', p.owner);
      add('time', 'liveReadingTime', when);
      status();
      break;
    }
    case 'camera':
      kind = t('liveKindCamera');
      add('name', 'liveName', p.name);
      if (p.view_direction !== undefined) add('view_direction', 'liveViewDirection', `${num(p.view_direction, 0)}°${paren(lang, compass(p.view_direction, lang))}`);
      if (p.stream_url) add('stream_url', 'liveStream', t('liveOpenStream'), p.stream_url);
      add('owner', 'liveOwner', p.owner);
      break;
    case 'hotspot': {
      kind = t('liveKindHotspot');
      const sat = p.satellite ? satellites[p.satellite] : undefined;
      title = [p.instrument, sat ?? p.satellite].filter(Boolean).join(' ') || p.id;
      add('satellite', 'liveSatellite', p.satellite ? (sat ? sat + paren(lang, p.satellite) : p.satellite) : undefined);
      add('instrument', 'liveInstrument', p.instrument);
      if (p.time) {
        add('time_utc', 'liveAcquiredUTC', `${formatTime(p.time, 'UTC')} UTC`);
        add('time', 'liveAcquiredLocal', `${formatTime(p.time, clock.timeZone)}${age !== undefined ? paren(lang, ago(age, t)) : ''}`);
      }
      if (p.confidence) {
        const c = viirsConfidence[p.confidence.toLowerCase()];
        add('confidence', 'liveConfidence', c ? pick(c, lang) : /^\d+(\.\d+)?$/.test(p.confidence) ? `${p.confidence}%` : p.confidence);
      }
      if (p.frp !== undefined) add('frp', 'liveFRP', `${num(p.frp, 1)} MW`);
      if (p.brightness !== undefined) add('brightness', 'liveBrightness', `${num(p.brightness, 1)} K`);
      add('source', 'liveSource', p.source);
      break;
    }
    default:
      kind = p.kind;
      add('time', 'liveTime', when);
  }
  return { title, kind, stale, rows, chart };
}
