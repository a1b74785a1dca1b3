// The replay clock: a time in the last hours that runs at 1× to 60× while playing, and the requests that
// show the live layers and alarms as they were at that time.
import type { BBox, LiveKind } from './live';

export const speeds = [1, 5, 10, 30, 60] as const;

export interface ReplayClock {
  /** the window, ms since the epoch */
  from: number;
  to: number;
  /** the time shown */
  t: number;
  speed: number;
  playing: boolean;
}

/** The clock over the last hours before now, at its start; the window in whole seconds (the slider's steps). */
export function startClock(now: number, hours = 6): ReplayClock {
  const to = Math.floor(now / 1000) * 1000;
  const from = to - hours * 3600_000;
  return { from, to, t: from, speed: 1, playing: false };
}

/** The clock after wall ms of real time: it runs at its speed and stops at the window's end. */
export function advance(c: ReplayClock, wall: number): ReplayClock {
  if (!c.playing) return c;
  const t = Math.min(c.to, c.t + wall * c.speed);
  return { ...c, t, playing: t < c.to };
}

/** The clock set to a time, within the window. */
export function seek(c: ReplayClock, t: number): ReplayClock {
  return { ...c, t: Math.min(c.to, Math.max(c.from, t)) };
}

/** The objects at time t: GET /live/objects?at=… (lookback: the last fix before t within it). */
export function objectsAtURL(t: number, bbox: BBox, kinds: LiveKind[], lookback = '1h'): string {
  return `/live/objects?at=${new Date(t).toISOString()}&lookback=${lookback}&bbox=${bbox.join(',')}&kind=${[...kinds].sort().join(',')}`;
}

/** The alarms raised in the window up to time t. */
export function alarmsAtURL(from: number, t: number): string {
  return `/live/alarms?from=${new Date(from).toISOString()}&to=${new Date(t).toISOString()}&limit=200`;
}

/** Whether the shown time moved far enough (in replay time) that the map should ask again. */
export function due(lastAsked: number | null, t: number, speed: number): boolean {
  return lastAsked === null || Math.abs(t - lastAsked) >= Math.max(1000, speed * 500);
}
