// The incident closed loop as the viewer shows it (GET /command/incidents, /command/incidents/{id},
// POST …/transitions, GET /command/stats): which actions a caller's roles allow, the states' colours
// and order, what a transition sends, and the cockpit's figures formatted for people. Pure logic,
// tested by vitest; the panel (ui/Incidents.tsx) and the cockpit (cockpit/) draw it.

export interface Incident {
  id: number;
  type: string;
  title: string;
  description: string;
  state: string;
  geometry: GeoJSON.Geometry | null;
  source: string;
  source_ref: string | null;
  assignee: string | null;
  deadline: string | null;
  overdue: boolean;
  supervised: boolean;
  merged_into: number | null;
  version: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  /** what may be done next, whoever may do it */
  actions: string[];
}

export interface IncidentEvent {
  id: number;
  action: string;
  from: string | null;
  to: string;
  actor: string;
  note: string;
  detail: Record<string, unknown>;
  at: string;
}

/** The states in the order of the loop, then the two that end it early. */
export const states = ['reported', 'accepted', 'dispatched', 'handling', 'resolved', 'evaluated', 'rejected', 'merged'] as const;

/** States an incident is still being worked in. */
export const openStates = ['reported', 'accepted', 'dispatched', 'handling'];

export const stateColours: Record<string, string> = {
  reported: '#e03131',
  accepted: '#f76707',
  dispatched: '#f59f00',
  handling: '#1f6fd1',
  resolved: '#2f9e44',
  evaluated: '#5c940d',
  rejected: '#868e96',
  merged: '#adb5bd',
};

/** The overdue highlight (a ring around the incident's mark). */
export const overdueColour = '#c2255c';

/** The role each action needs (admin may do every one), as command/incident.go has it. */
export const actionRoles: Record<string, string> = {
  accept: 'operator',
  reject: 'operator',
  merge: 'operator',
  dispatch: 'operator',
  handle: 'department',
  resolve: 'department',
  supervise: 'supervisor',
  evaluate: 'supervisor',
};

/** The order the buttons stand in. */
const actionOrder = ['accept', 'dispatch', 'handle', 'resolve', 'evaluate', 'supervise', 'merge', 'reject'];

/** Whether roles may do an action at all. */
export const mayDo = (roles: string[], action: string) => roles.includes('admin') || (actionRoles[action] !== undefined && roles.includes(actionRoles[action]));

/** The buttons a caller with these roles gets for an incident: its next actions that the roles allow. */
export function buttonsFor(roles: string[], inc: Pick<Incident, 'actions'>): string[] {
  return actionOrder.filter((a) => inc.actions.includes(a) && mayDo(roles, a));
}

/** What an action asks for besides a note. */
export function fieldsOf(action: string): ('assignee' | 'deadline' | 'merged_into' | 'score')[] {
  switch (action) {
    case 'dispatch':
      return ['assignee', 'deadline'];
    case 'merge':
      return ['merged_into'];
    case 'evaluate':
      return ['score'];
    default:
      return [];
  }
}

export interface TransitionForm {
  note?: string;
  assignee?: string;
  /** a datetime-local value (the browser's clock), empty: the type's default */
  deadline?: string;
  merged_into?: string;
  score?: string;
}

/**
 * The body of POST /command/incidents/{id}/transitions, carrying the version the caller saw (so a
 * change in between is refused, not overwritten); an error names a missing field.
 */
export function transitionBody(action: string, version: number, f: TransitionForm): { body?: Record<string, unknown>; missing?: string } {
  const body: Record<string, unknown> = { action, version };
  if (f.note?.trim()) body.note = f.note.trim();
  switch (action) {
    case 'dispatch': {
      if (!f.assignee?.trim()) return { missing: 'assignee' };
      body.assignee = f.assignee.trim();
      if (f.deadline) {
        const d = new Date(f.deadline);
        if (Number.isNaN(d.getTime())) return { missing: 'deadline' };
        body.deadline = d.toISOString();
      }
      break;
    }
    case 'merge': {
      const id = Number(f.merged_into);
      if (!Number.isInteger(id) || id <= 0) return { missing: 'merged_into' };
      body.merged_into = id;
      break;
    }
    case 'evaluate': {
      const s = Number(f.score);
      if (!Number.isInteger(s) || s < 1 || s > 5) return { missing: 'score' };
      body.score = s;
      break;
    }
  }
  return { body };
}

/** The incidents a list shows: of a state ('open': any open one; '': all), overdue ones only if asked, newest first. */
export function filterIncidents(list: Incident[], state: string, overdueOnly: boolean): Incident[] {
  return list
    .filter((i) => (state === '' ? true : state === 'open' ? openStates.includes(i.state) : i.state === state))
    .filter((i) => !overdueOnly || i.overdue)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id));
}

/** How many of each state, and how many overdue. */
export function countByState(list: Incident[]): Record<string, number> & { overdue: number; open: number } {
  const out = { overdue: 0, open: 0 } as Record<string, number> & { overdue: number; open: number };
  for (const s of states) out[s] = 0;
  for (const i of list) {
    out[i.state] = (out[i.state] ?? 0) + 1;
    if (i.overdue) out.overdue++;
    if (openStates.includes(i.state)) out.open++;
  }
  return out;
}

/** The incidents as map features: a point for each (an area's centre of its ring), state and overdue as properties. */
export function incidentFeatures(list: Incident[], selected?: number): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = [];
  for (const i of list) {
    if (!i.geometry) continue;
    const props = { id: i.id, state: i.state, overdue: i.overdue, title: i.title, selected: i.id === selected, colour: stateColours[i.state] ?? '#868e96' };
    features.push({ type: 'Feature', geometry: i.geometry, properties: props });
    if (i.geometry.type !== 'Point') {
      const c = centreOf(i.geometry);
      if (c) features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: props });
    }
  }
  return { type: 'FeatureCollection', features };
}

/** The middle of a geometry's bounding box. */
export function centreOf(g: GeoJSON.Geometry): [number, number] | null {
  const pts: number[][] = [];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') pts.push(c as number[]);
    else if (Array.isArray(c)) c.forEach(walk);
  };
  if (g.type === 'GeometryCollection') g.geometries.forEach((x) => walk('coordinates' in x ? x.coordinates : []));
  else walk(g.coordinates);
  if (!pts.length) return null;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}

// The cockpit's figures (GET /command/stats).

export interface StageStats {
  stage: string;
  from: string;
  to: string;
  count: number;
  median_s: number | null;
  p90_s: number | null;
  max_s: number | null;
}

export interface Stats {
  at: string;
  types: string[];
  by_state: Record<string, number>;
  open: number;
  overdue: number;
  supervised: number;
  total: number;
  stages: StageStats[];
  hours: { hour: string; incidents: number; alarms: number }[];
  alarms: { open: number; by_level: Record<string, number> };
  devices: { kind: string; online: number; offline: number }[];
}

/** A duration in seconds for people: 45 秒, 3 分 20 秒, 2 小时 5 分, 1 天 3 小时 ("—" when none). */
export function formatDuration(s: number | null | undefined, lang: 'zh' | 'en'): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const zh = lang === 'zh';
  const u = zh ? { d: '天', h: '小时', m: '分', s: '秒' } : { d: 'd', h: 'h', m: 'min', s: 's' };
  const join = (a: number, ua: string, b: number, ub: string) => (b ? `${a} ${ua} ${b} ${ub}` : `${a} ${ua}`);
  const t = Math.round(s);
  if (t < 60) return `${t} ${u.s}`;
  if (t < 3600) return join(Math.floor(t / 60), u.m, t % 60, u.s);
  if (t < 86400) return join(Math.floor(t / 3600), u.h, Math.round((t % 3600) / 60) % 60, u.m);
  return join(Math.floor(t / 86400), u.d, Math.round((t % 86400) / 3600) % 24, u.h);
}

/** Minutes, one decimal, for a chart's axis ("—" has no place there: none is 0). */
export const minutes = (s: number | null | undefined) => (s === null || s === undefined ? 0 : Math.round(s / 6) / 10);

/** An hour's start as HH:00 on the browser's clock. */
export function hourLabel(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:00`;
}

/** Devices online and in all, over every kind or those given. */
export function devicesOnline(st: Pick<Stats, 'devices'>, kinds?: string[]): { online: number; total: number } {
  let online = 0;
  let total = 0;
  for (const d of st.devices) {
    if (kinds && !kinds.includes(d.kind)) continue;
    online += d.online;
    total += d.online + d.offline;
  }
  return { online, total };
}

/** The cockpit's scenarios: which incidents (type) and which live layers each counts. */
export interface Scenario {
  id: string;
  type: string;
  layers: string[];
  zh: string;
  en: string;
}

export const scenarios: Scenario[] = [
  { id: 'city', type: 'sensor', layers: ['live.sensor', 'live.camera'], zh: '城市管理', en: 'City management' },
  { id: 'hazmat', type: 'hazmat', layers: ['live.hazmat'], zh: '危化品运输', en: 'Hazmat transport' },
  { id: 'forest', type: 'forest_fire', layers: ['live.team', 'live.camera'], zh: '森林防火', en: 'Forest fire' },
  { id: 'mine', type: 'mine', layers: ['live.sensor', 'live.vehicle'], zh: '非煤矿山', en: 'Non-coal mines' },
];

/** The query of GET /command/stats for a scenario. */
export const statsURL = (s: Scenario) => `/command/stats?type=${encodeURIComponent(s.type)}&layer=${encodeURIComponent(s.layers.join(','))}`;
