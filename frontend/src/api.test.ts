import { expect, it } from 'vitest';
import { mergeHits, tilesetsTouched, type SearchFeature, type TilesetInfo } from './api';
import { treeGroups } from './ui/LayerTree';

const hit = (id: string, label: string, collection: string, bbox: [number, number, number, number]): SearchFeature => ({
  id,
  geometry: { type: 'Point', coordinates: [bbox[0], bbox[1]] },
  bbox,
  properties: { collection, collection_title: collection, feature_id: id, label, field: 'name' },
});

it('merges the segments of a street into one search result covering them all', () => {
  const out = mergeHits([
    hit('r/1', '光明北路', 'basemap.road', [119.94, 37.179, 119.94, 37.18]),
    hit('b/7', '光明北路', 'basemap.building', [119.95, 37.17, 119.951, 37.171]),
    hit('r/2', '光明北路', 'basemap.road', [119.94, 37.18, 119.9401, 37.183]),
    hit('r/3', '光明南路', 'basemap.road', [119.94, 37.17, 119.94, 37.175]),
  ]);
  expect(out.map((r) => [r.key, r.layer])).toEqual([
    ['r/1', 'basemap.road'],
    ['b/7', 'basemap.building'],
    ['r/3', 'basemap.road'],
  ]);
  expect(out[0].bbox).toEqual([119.94, 37.179, 119.9401, 37.183]);
  expect(out[0].lon).toBeCloseTo(119.94005);
  expect(out[0].lat).toBeCloseTo(37.181);
});

const sets: TilesetInfo[] = [
  { name: 'buildings', title_zh: '建筑', title_en: 'Buildings', kind: 'buildings', url: 'buildings/tileset.json' },
  { name: 'pipelines', title_zh: '地下管线', title_en: 'Pipelines', kind: 'pipelines', url: 'pipelines/tileset.json' },
  { name: 'cim-delft', title_zh: '城市信息模型 delft', title_en: 'CIM delft', kind: 'cim', url: 'cim-delft/tileset.json' },
  { name: 'model-m4', title_zh: '倾斜摄影', title_en: 'Oblique', kind: 'oblique', url: 'model-m4/tileset.json' },
];

it('reloads the tilesets a change touches', () => {
  expect(tilesetsTouched(['basemap.building'], sets)).toEqual(['buildings']);
  expect(tilesetsTouched(['cim.building'], sets)).toEqual(['buildings', 'cim-delft']);
  expect(tilesetsTouched(['pipeline.point', 'basemap.road'], sets)).toEqual(['pipelines']);
  expect(tilesetsTouched(['basemap.road'], sets)).toEqual([]);
  expect(tilesetsTouched(['twin.model'], sets)).toEqual(['model-m4']);
  expect(tilesetsTouched(undefined, sets)).toEqual(sets.map((s) => s.name));
  // The server rebuilt one tileset after a change: that one alone.
  expect(tilesetsTouched(['3dtiles:buildings'], sets)).toEqual(['buildings']);
  expect(tilesetsTouched(['3dtiles:model-m4'], sets)).toEqual(['model-m4']);
});

it('lists the 3D tilesets under 三维模型, creating the group where the catalog has none', () => {
  const group = (id: string) => ({ id, title_zh: id, title_en: id, layers: [] });
  const made = treeGroups([group('basemap'), group('pipeline'), group('reference')], sets);
  expect(made.map((g) => g.id)).toEqual(['basemap', 'pipeline', 'twin', 'reference']);
  expect(made[2].title_zh).toBe('三维模型');
  expect(made[2].tilesets).toBe(sets);
  const kept = treeGroups([group('basemap'), group('twin')], sets);
  expect(kept.map((g) => [g.id, g.tilesets.length])).toEqual([
    ['basemap', 0],
    ['twin', 4],
  ]);
  expect(treeGroups([group('basemap')], []).map((g) => g.id)).toEqual(['basemap']);
});
