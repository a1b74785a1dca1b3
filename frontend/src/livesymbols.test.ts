import { expect, it } from 'vitest';
import { translator } from './i18n';
import type { LiveFeature, LiveProps } from './live';
import { liveStyleLayers, withoutTiledLive } from './live2d';
import { colours, hotspotRadius, iconName, liveLegend, parseIcon, placardColour, sensorColours, symbolOf, withSymbols } from './livesymbols';
import { catalogLayerOf } from './styleutil';

const truck: LiveProps = { id: 't', kind: 'vehicle', layer: 'live.hazmat', time: '2026-12-04T08:00:00Z', stale: false, heading: 95, plate: '鲁F12345', hazard_class: '3' };

it('names icons by what they show and reads the names back', () => {
  const name = iconName({ shape: 'disc', fill: '#1c7ed6', glyph: '水' });
  expect(name).toBe('yitu-live:disc:1c7ed6:水');
  expect(parseIcon(name)).toEqual({ shape: 'disc', fill: '#1c7ed6', glyph: '水' });
  expect(parseIcon('yitu-live:arrow:f76707')).toEqual({ shape: 'arrow', fill: '#f76707', glyph: undefined });
  expect(parseIcon('yitu-live:placard:e03131:2.1')).toEqual({ shape: 'placard', fill: '#e03131', glyph: '2.1' });
  expect(parseIcon('poi-15')).toBeUndefined();
  expect(parseIcon('yitu-live:star:ffffff')).toBeUndefined();
  expect(parseIcon('yitu-live:arrow:red')).toBeUndefined();
});

it('draws a hazmat truck as an orange arrow turned to its heading, with its class placard and plate', () => {
  const s = symbolOf(truck);
  expect(parseIcon(s._icon)).toMatchObject({ shape: 'arrow', fill: colours.hazmat });
  expect(s._rot).toBe(95);
  expect(s._label).toBe('鲁F12345');
  expect(parseIcon(s._badge)).toEqual({ shape: 'placard', fill: placardColour('3'), glyph: '3' });
  expect(placardColour('8')).toBe('#212529');
  expect(placardColour('2.2')).toBe('#2b8a3e');
  expect(placardColour('4.3')).toBe(placardColour('4'));
  // A truck that stopped reporting is grey, placard and all.
  const stale = symbolOf({ ...truck, stale: true });
  expect(parseIcon(stale._icon)!.fill).toBe(colours.stale);
  expect(parseIcon(stale._badge)!.fill).toBe(colours.stale);
  expect(stale._stale).toBe(true);
  // Other vehicles: blue, no placard.
  const car = symbolOf({ ...truck, layer: 'live.vehicle', hazard_class: undefined, heading: undefined });
  expect(parseIcon(car._icon)!.fill).toBe(colours.vehicle);
  expect(car._badge).toBe('');
  expect(car._rot).toBe(0);
});

it('draws teams, sensors by kind, cameras by view direction and hotspots by FRP', () => {
  const team = symbolOf({ id: 'f1', kind: 'team', layer: 'live.team', time: null, stale: true, name: '一中队', heading: 30 });
  expect(parseIcon(team._icon)).toMatchObject({ shape: 'pin', fill: colours.stale });
  expect(team._label).toBe('一中队');
  const wl = symbolOf({ id: 'wl', kind: 'sensor', layer: 'live.sensor', time: null, stale: false, sensor_kind: 'water_level', name: '水位1' });
  expect(parseIcon(wl._icon)).toEqual({ shape: 'disc', fill: sensorColours.water_level, glyph: '水' });
  expect(wl._rot).toBe(0);
  const odd = symbolOf({ id: 'x', kind: 'sensor', layer: 'live.sensor', time: null, stale: false, sensor_kind: 'vibration' });
  expect(parseIcon(odd._icon)).toEqual({ shape: 'disc', fill: colours.sensor, glyph: '感' });
  expect(odd._label).toBe('x');
  const cam = symbolOf({ id: 'c', kind: 'camera', layer: 'live.camera', time: null, view_direction: 135 });
  expect(parseIcon(cam._icon)!.shape).toBe('camera');
  expect(cam._rot).toBe(135);
  expect(cam._stale).toBe(false);
  expect(parseIcon(symbolOf({ id: 'c', kind: 'camera', layer: 'live.camera', time: null })._icon)!.shape).toBe('dot');
  const hs = symbolOf({ id: 'h', kind: 'hotspot', layer: 'live.hotspot', time: null, stale: true, frp: 25 });
  expect(hs._stale).toBe(false);
  expect(hs._r).toBe(16);
  expect(hotspotRadius(undefined)).toBe(5);
  expect(hotspotRadius(-3)).toBe(5);
  expect(hotspotRadius(1e6)).toBe(22);
  expect(hotspotRadius(4)).toBeLessThan(hotspotRadius(40));
});

it('adds the symbol properties to features with a position only', () => {
  const f: LiveFeature = { type: 'Feature', id: 't', geometry: { type: 'Point', coordinates: [119.9, 37.2] }, properties: truck };
  const none: LiveFeature = { type: 'Feature', id: 'n', geometry: null, properties: { ...truck, id: 'n' } };
  const out = withSymbols([f, none]);
  expect(out).toHaveLength(1);
  expect(out[0].properties).toMatchObject({ id: 't', plate: '鲁F12345', _rot: 95, _label: '鲁F12345' });
  expect(f.properties).not.toHaveProperty('_icon');
});

it('gives every live layer a legend of the icons the map uses', () => {
  const t = translator('zh');
  for (const l of ['live.hazmat', 'live.vehicle', 'live.team', 'live.sensor', 'live.camera', 'live.hotspot']) {
    const items = liveLegend(l, t, 'zh');
    expect(items.length, l).toBeGreaterThan(0);
    for (const it of items) {
      expect(it.kind).toBe('icon');
      expect(parseIcon(it.icon!), `${l} ${it.icon}`).toBeDefined();
      expect(it.label_zh).toBeTruthy();
    }
  }
  expect(liveLegend('live.hazmat', t, 'zh')[0].icon).toBe(symbolOf(truck)._icon);
  expect(liveLegend('live.sensor', t, 'zh').map((i) => i.label_zh)).toContain('水位');
  expect(liveLegend('basemap.road', t, 'zh')).toEqual([]);
});

it('draws each live catalog layer in its own style layers, from its first zoom', () => {
  const layers = liveStyleLayers((id) => (id === 'live.sensor' ? 10 : 6));
  const byCatalog = new Map<string, string[]>();
  for (const l of layers) {
    const id = catalogLayerOf(l)!;
    byCatalog.set(id, [...(byCatalog.get(id) ?? []), l.id]);
    expect((l as { source: string }).source).toBe('yitu-live');
    expect(JSON.stringify((l as { filter?: unknown }).filter)).toContain(id);
  }
  expect([...byCatalog.keys()].sort()).toEqual(['live.camera', 'live.hazmat', 'live.hotspot', 'live.sensor', 'live.team', 'live.vehicle']);
  expect(byCatalog.get('live.hazmat')).toEqual(['yitu-live-hazmat', 'yitu-live-hazmat-class']);
  expect(layers.find((l) => l.id === 'yitu-live-sensor')!.minzoom).toBe(10);
  const arrows = layers.find((l) => l.id === 'yitu-live-vehicle') as { layout: Record<string, unknown> };
  expect(arrows.layout['icon-rotate']).toEqual(['get', '_rot']);
  expect(arrows.layout['icon-rotation-alignment']).toBe('map');
  expect(arrows.layout['text-font']).toEqual(['Noto Sans CJK SC Regular']);
});

it("leaves the tiles style's own layers for live catalog layers out", () => {
  const style = {
    version: 8 as const,
    sources: {},
    layers: [
      { id: 'background', type: 'background' },
      { id: 'basemap.road-line', type: 'line', source: 'onemap', 'source-layer': 'basemap.road', metadata: { 'yitu:layer': 'basemap.road' } },
      { id: 'live.hazmat-point', type: 'circle', source: 'onemap', 'source-layer': 'live.hazmat', metadata: { 'yitu:layer': 'live.hazmat' } },
      { id: 'live.sensor-fill', type: 'fill', source: 'onemap', 'source-layer': 'live.sensor' },
    ],
  } as Parameters<typeof withoutTiledLive>[0];
  expect(withoutTiledLive(style).layers.map((l) => l.id)).toEqual(['background', 'basemap.road-line']);
  expect(style.layers).toHaveLength(4);
});
