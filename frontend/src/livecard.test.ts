import { expect, it } from 'vitest';
import { translator } from './i18n';
import type { LiveProps } from './live';
import { ago, compass, formatTime, hazardClassLabel, hazardClassName, liveCard, sensorKindName, type Card } from './livecard';

const zh = translator('zh');
const en = translator('en');
const field = (c: Card, key: string) => c.rows.find((r) => r.key === key)?.value;

const truck: LiveProps = {
  id: '013912345678',
  kind: 'vehicle',
  layer: 'live.hazmat',
  time: '2026-12-04T08:00:00Z',
  age_s: 170,
  stale: false,
  speed: 42.5,
  heading: 95,
  plate: '鲁F12345',
  carrier: '莱州危运',
  vehicle_kind: 'hazmat',
  un: 'UN1203',
  hazard_class: '3',
};
// The card is read 10 s after the answer came: the truck last reported 180 s ago.
const clock = { now: 1_000_010_000, at: 1_000_000_000, timeZone: 'Asia/Shanghai' };

it('names the classes of dangerous goods, divisions falling back to their class', () => {
  expect(hazardClassName('3', 'zh')).toBe('易燃液体');
  expect(hazardClassName('2.1', 'zh')).toBe('易燃气体');
  expect(hazardClassName('8', 'zh')).toBe('腐蚀性物质');
  expect(hazardClassName('6.1', 'zh')).toBe('毒性物质');
  expect(hazardClassName('1.4', 'zh')).toBe('爆炸品');
  expect(hazardClassName('Class 8', 'en')).toBe('Corrosive substances');
  expect(hazardClassName('第3类', 'zh')).toBe('易燃液体');
  expect(hazardClassName('X', 'zh')).toBeUndefined();
  expect(hazardClassName(undefined, 'zh')).toBeUndefined();
  for (const c of ['1', '2', '3', '4', '5', '6', '7', '8', '9']) expect(hazardClassName(c, 'zh'), c).toBeTruthy();
  expect(hazardClassLabel('2.1', 'zh')).toBe('2.1 易燃气体');
  expect(hazardClassLabel('X', 'zh')).toBe('X');
});

it('names sensor kinds in Chinese and English, unknown ones as given', () => {
  expect(sensorKindName('water_level', 'zh')).toBe('水位');
  expect(sensorKindName('manhole_tilt', 'zh')).toBe('井盖倾斜');
  expect(sensorKindName('gas', 'zh')).toBe('可燃气体');
  expect(sensorKindName('saturation_line', 'zh')).toBe('浸润线');
  expect(sensorKindName('settlement', 'en')).toBe('Settlement');
  expect(sensorKindName('vibration', 'zh')).toBe('vibration');
});

it('reads times, ages and directions', () => {
  expect(formatTime('2026-12-04T08:00:00Z', 'Asia/Shanghai')).toBe('2026-12-04 16:00:00');
  expect(formatTime('2026-12-04T23:59:59.5Z', 'UTC')).toBe('2026-12-04 23:59:59');
  expect(formatTime('not a time')).toBe('not a time');
  expect(ago(12, zh)).toBe('12 秒前');
  expect(ago(180, zh)).toBe('3 分钟前');
  expect(ago(7300, zh)).toBe('2 小时前');
  expect(ago(3 * 86400 + 5, zh)).toBe('3 天前');
  expect(ago(-5, en)).toBe('0 s ago');
  expect(ago(600, en)).toBe('10 min ago');
  expect(compass(95, 'zh')).toBe('东');
  expect(compass(359, 'zh')).toBe('北');
  expect(compass(-45, 'en')).toBe('NW');
  expect(compass(200, 'en')).toBe('S');
});

it("shows a hazmat truck's plate, carrier, cargo, class, speed, heading and last fix", () => {
  const c = liveCard(truck, zh, 'zh', clock);
  expect(c.title).toBe('鲁F12345');
  expect(c.kind).toBe('危化品运输车');
  expect(c.stale).toBe(false);
  expect(c.chart).toBe(false);
  expect(field(c, 'plate')).toBe('鲁F12345');
  expect(field(c, 'carrier')).toBe('莱州危运');
  expect(field(c, 'un')).toBe('UN1203（汽油）');
  expect(field(c, 'hazard_class')).toBe('3 易燃液体');
  expect(field(c, 'speed')).toBe('42.5 km/h');
  expect(field(c, 'heading')).toBe('95°（东）');
  expect(field(c, 'time')).toBe('2026-12-04 16:00:00（3 分钟前）');
  expect(field(c, 'stale')).toBe('正常上报');
  expect(c.rows.find((r) => r.key === 'carrier')!.label).toBe('运输企业');

  const e = liveCard(truck, en, 'en', clock);
  expect(e.kind).toBe('Hazmat truck');
  expect(field(e, 'un')).toBe('UN1203 (Petrol)');
  expect(field(e, 'hazard_class')).toBe('3 Flammable liquids');
  expect(field(e, 'heading')).toBe('95° (E)');
  expect(field(e, 'time')).toBe('2026-12-04 16:00:00 (3 min ago)');
});

it('marks an object that stopped reporting, and one that never did', () => {
  const c = liveCard({ ...truck, stale: true, age_s: 1200 }, zh, 'zh', clock);
  expect(c.stale).toBe(true);
  expect(field(c, 'stale')).toBe('超时未上报');
  expect(field(c, 'time')).toBe('2026-12-04 16:00:00（20 分钟前）');
  const never = liveCard({ id: 's9', kind: 'sensor', layer: 'live.sensor', time: null, stale: true, sensor_kind: 'gas' }, zh, 'zh', clock);
  expect(field(never, 'stale')).toBe('尚未上报');
  expect(field(never, 'time')).toBe('尚未上报');
});

it('shows a patrol car without cargo fields, and a team by name', () => {
  const car = liveCard({ id: 'p1', kind: 'vehicle', layer: 'live.vehicle', time: null, plate: '鲁F00002', vehicle_kind: 'patrol', carrier: '交警大队' }, zh, 'zh', clock);
  expect(car.kind).toBe('巡逻车');
  expect(field(car, 'un')).toBeUndefined();
  expect(field(car, 'hazard_class')).toBeUndefined();
  expect(car.rows.find((r) => r.key === 'carrier')!.label).toBe('所属单位');
  const team = liveCard({ id: 'f1', kind: 'team', layer: 'live.team', time: '2026-12-04T08:00:00Z', age_s: 5, name: '森林消防一中队', speed: 4, heading: 270 }, zh, 'zh', clock);
  expect(team.title).toBe('森林消防一中队');
  expect(team.kind).toBe('救援队伍');
  expect(field(team, 'heading')).toBe('270°（西）');
});

it("shows a sensor's kind, last value with unit and group, and asks for its chart", () => {
  const s: LiveProps = {
    id: 'wl-01', kind: 'sensor', layer: 'live.sensor', time: '2026-12-04T08:00:00Z', age_s: 30, stale: false,
    name: '1号尾矿库水位', sensor_kind: 'water_level', unit: 'm', value: 2.345, values: { value: 2.345 }, group: '1号尾矿库',
  };
  const c = liveCard(s, zh, 'zh', clock);
  expect(c.title).toBe('1号尾矿库水位');
  expect(c.kind).toBe('水位');
  expect(c.chart).toBe(true);
  expect(field(c, 'sensor_kind')).toBe('水位');
  expect(field(c, 'value')).toBe('2.345 m');
  expect(field(c, 'group')).toBe('1号尾矿库');
  expect(c.rows.find((r) => r.key === 'time')!.label).toBe('读数时间');
  const multi = liveCard({ ...s, value: undefined, values: { x: 1.5, y: -0.25 }, unit: '°' }, en, 'en', clock);
  expect(field(multi, 'value')).toBe('x 1.5 °, y -0.25 °');
});

it("shows a camera's view direction and stream link", () => {
  const c = liveCard({ id: 'cam1', kind: 'camera', layer: 'live.camera', time: null, name: '东山瞭望塔', view_direction: 135, stream_url: 'rtsp://10.0.0.5/live' }, zh, 'zh', clock);
  expect(c.kind).toBe('视频监控');
  expect(c.stale).toBe(false);
  expect(field(c, 'view_direction')).toBe('135°（东南）');
  const link = c.rows.find((r) => r.key === 'stream_url')!;
  expect(link.href).toBe('rtsp://10.0.0.5/live');
  expect(link.value).toBe('打开视频流');
});

it("shows a hotspot's satellite, instrument, time in UTC and local, confidence and FRP", () => {
  const h: LiveProps = {
    id: 'hs-1', kind: 'hotspot', layer: 'live.hotspot', time: '2026-12-04T05:12:00Z', age_s: 7200, stale: true,
    instrument: 'VIIRS', satellite: 'N20', confidence: 'h', frp: 12.34, brightness: 331.2, source: 'J1_VIIRS_C2_China_24h.csv',
  };
  const c = liveCard(h, zh, 'zh', { ...clock, now: clock.at });
  expect(c.title).toBe('VIIRS NOAA-20');
  expect(c.stale).toBe(false); // a detection is not a device that stopped reporting
  expect(field(c, 'satellite')).toBe('NOAA-20（N20）');
  expect(field(c, 'instrument')).toBe('VIIRS');
  expect(field(c, 'time_utc')).toBe('2026-12-04 05:12:00 UTC');
  expect(field(c, 'time')).toBe('2026-12-04 13:12:00（2 小时前）');
  expect(field(c, 'confidence')).toBe('高');
  expect(field(c, 'frp')).toBe('12.3 MW');
  expect(field(c, 'brightness')).toBe('331.2 K');
  expect(field(liveCard({ ...h, instrument: 'MODIS', satellite: 'T', confidence: '87' }, en, 'en', clock), 'confidence')).toBe('87%');
});
