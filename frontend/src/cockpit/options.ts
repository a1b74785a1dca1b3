// The cockpit's chart options (ECharts), built from GET /command/stats: pure, so vitest checks them.
import { hourLabel, minutes, openStates, stateColours, type Stats } from '../incidents';
import { levelColours } from '../alarms';
import type { T, MessageKey } from '../i18n';

/** Colours on the dark screen. */
export const ink = { text: '#cfe3ff', muted: '#7f9bbd', grid: '#1d3555', accent: '#36cfff', alarm: '#ff7a45' };

const axis = {
  axisLine: { lineStyle: { color: ink.grid } },
  axisLabel: { color: ink.muted, fontSize: 12 },
  splitLine: { lineStyle: { color: ink.grid } },
};
const text = { color: ink.text, fontSize: 13 };

/** Incidents and alarms per hour of the last day: bars and a line. */
export function hoursOption(st: Stats, t: T) {
  return {
    animation: false,
    textStyle: text,
    legend: { top: 0, textStyle: text, data: [t('ckIncidents'), t('ckAlarms')] },
    tooltip: { trigger: 'axis' },
    grid: { left: 36, right: 12, top: 30, bottom: 24 },
    xAxis: { type: 'category', data: st.hours.map((h) => hourLabel(h.hour)), ...axis, splitLine: { show: false } },
    yAxis: { type: 'value', minInterval: 1, ...axis },
    series: [
      { name: t('ckIncidents'), type: 'bar', data: st.hours.map((h) => h.incidents), itemStyle: { color: ink.accent }, label: { show: true, position: 'top', color: ink.text, formatter: (p: { value: number }) => (p.value ? String(p.value) : '') } },
      { name: t('ckAlarms'), type: 'line', data: st.hours.map((h) => h.alarms), smooth: true, itemStyle: { color: ink.alarm }, lineStyle: { width: 2 } },
    ],
  };
}

/** Each stage's median, 90th percentile and longest time, in minutes, as grouped bars labelled with the median. */
export function stagesOption(st: Stats, t: T) {
  const stages = st.stages;
  return {
    animation: false,
    textStyle: text,
    legend: { top: 0, textStyle: text, data: [t('ckMedian'), t('ckP90'), t('ckMax')] },
    tooltip: { trigger: 'axis' },
    grid: { left: 120, right: 40, top: 30, bottom: 24 },
    yAxis: { type: 'category', inverse: true, data: stages.map((s) => t(`stage_${s.stage}` as MessageKey)), ...axis, splitLine: { show: false } },
    xAxis: { type: 'value', name: t('ckMinutes'), nameTextStyle: { color: ink.muted }, ...axis },
    series: [
      { name: t('ckMedian'), type: 'bar', data: stages.map((s) => minutes(s.median_s)), itemStyle: { color: ink.accent }, label: { show: true, position: 'right', color: ink.text } },
      { name: t('ckP90'), type: 'bar', data: stages.map((s) => minutes(s.p90_s)), itemStyle: { color: '#597ef7' } },
      { name: t('ckMax'), type: 'bar', data: stages.map((s) => minutes(s.max_s)), itemStyle: { color: '#9254de' } },
    ],
  };
}

/** Open incidents by stage (and closed ones), as a ring. */
export function statesOption(st: Stats, t: T) {
  const data = Object.entries(st.by_state)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => Number(!openStates.includes(a)) - Number(!openStates.includes(b)))
    .map(([s, n]) => ({ name: t(`istate_${s}` as MessageKey), value: n, itemStyle: { color: stateColours[s] } }));
  return {
    animation: false,
    textStyle: text,
    tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: ['45%', '72%'], data, label: { color: ink.text, formatter: '{b} {c}' } }],
  };
}

/** Open alarms by level, and devices online and offline by kind. */
export function alarmsOption(st: Stats, t: T) {
  const levels = ['red', 'orange', 'yellow', 'blue'];
  const key = (l: string) => `level${l[0].toUpperCase()}${l.slice(1)}` as MessageKey;
  return {
    animation: false,
    textStyle: text,
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 12, top: 12, bottom: 24 },
    xAxis: { type: 'category', data: levels.map((l) => t(key(l))), ...axis, splitLine: { show: false } },
    yAxis: { type: 'value', minInterval: 1, ...axis },
    series: [
      {
        type: 'bar',
        data: levels.map((l) => ({ value: st.alarms.by_level[l] ?? 0, itemStyle: { color: levelColours[l] } })),
        label: { show: true, position: 'top', color: ink.text },
      },
    ],
  };
}

export function devicesOption(st: Stats, t: T) {
  return {
    animation: false,
    textStyle: text,
    legend: { top: 0, textStyle: text, data: [t('ckOnline'), t('ckOffline')] },
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 12, top: 30, bottom: 24 },
    xAxis: { type: 'category', data: st.devices.map((d) => t(`dk_${d.kind}` as MessageKey)), ...axis, splitLine: { show: false } },
    yAxis: { type: 'value', minInterval: 1, ...axis },
    series: [
      { name: t('ckOnline'), type: 'bar', stack: 'd', data: st.devices.map((d) => d.online), itemStyle: { color: '#52c41a' }, label: { show: true, color: '#0b1a2e' } },
      { name: t('ckOffline'), type: 'bar', stack: 'd', data: st.devices.map((d) => d.offline), itemStyle: { color: '#5c6b80' } },
    ],
  };
}
