// The alarm panel's logic: the open alarms, newest first, kept up to date from the push; levels and
// their colours; which new alarms sound.
import type { Alarm } from './live';

export const levels = ['red', 'orange', 'yellow', 'blue'] as const;

export const levelColours: Record<string, string> = { blue: '#1f6fd1', yellow: '#e0b400', orange: '#f76707', red: '#d6336c' };

/** Whether an alarm is open: raised or acknowledged, not yet cleared or closed. */
export const isOpen = (a: Alarm) => a.state === 'raised' || a.state === 'acknowledged';

/** Newest first (by the time raised, then id). */
export const newestFirst = (a: Alarm, b: Alarm) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.id < b.id ? 1 : -1);

/**
 * The open alarms after a change of one (from the push or an acknowledgement): added or replaced by
 * id, dropped when it is no longer open; isNew says it was not in the list and is open.
 */
export function mergeAlarm(list: Alarm[], a: Alarm): { list: Alarm[]; isNew: boolean } {
  const had = list.some((x) => x.id === a.id);
  const rest = list.filter((x) => x.id !== a.id);
  if (!isOpen(a)) return { list: rest, isNew: false };
  // An older copy (a push overtaken by the answer to an acknowledgement) does not replace a newer one.
  const old = list.find((x) => x.id === a.id);
  if (old && old.updated > a.updated) return { list, isNew: false };
  return { list: [...rest, a].sort(newestFirst), isNew: !had };
}

/** Whether a change should sound: a new orange or red alarm. */
export const sounds = (a: Alarm, isNew: boolean) => isNew && a.state === 'raised' && (a.level === 'orange' || a.level === 'red');

/** Where to fly for an alarm: its place, else its newest evidence with one. */
export function alarmPlace(a: Alarm): [number, number] | null {
  if (a.lon !== undefined && a.lat !== undefined) return [a.lon, a.lat];
  const ev = [...(a.evidence ?? [])].reverse().find((e) => e.lon !== undefined && e.lat !== undefined);
  return ev ? [ev.lon!, ev.lat!] : null;
}

let audio: AudioContext | null = null;

/** A short beep (WebAudio, no sound file): higher for red. */
export function beep(level: string) {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = level === 'red' ? 880 : 660;
    g.gain.setValueAtTime(0.2, now);
    g.gain.exponentialRampToValueAtTime(0.001, now + 0.35);
    o.connect(g).connect(audio.destination);
    o.start(now);
    o.stop(now + 0.35);
  } catch {
    // no audio here (or not yet allowed): the panel still shows it
  }
}
