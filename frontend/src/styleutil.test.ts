import { expect, it } from 'vitest';
import type { LayerSpecification } from 'maplibre-gl';
import { catalogLayerOf, scaleOpacity } from './styleutil';

it('scales opacity values and expressions', () => {
  expect(scaleOpacity(undefined, 0.5)).toBe(0.5);
  expect(scaleOpacity(0.8, 0.5)).toBeCloseTo(0.4);
  expect(scaleOpacity(['interpolate', ['linear'], ['zoom'], 12, 0, 16, 1], 0.5)).toEqual(['interpolate', ['linear'], ['zoom'], 12, 0, 16, 0.5]);
  expect(scaleOpacity(['step', ['zoom'], 0.2, 14, 1], 0.5)).toEqual(['step', ['zoom'], 0.1, 14, 0.5]);
  expect(scaleOpacity(['case', ['has', 'x'], 1, 0.5], 0.5)).toEqual(['*', ['case', ['has', 'x'], 1, 0.5], 0.5]);
});

it('finds the catalog layer of a style layer', () => {
  const fill = { id: 'b', type: 'fill', source: 'yitu', 'source-layer': 'basemap.building' } as LayerSpecification;
  const tagged = { id: 'x', type: 'line', source: 'y', 'source-layer': 'gen', metadata: { 'yitu:layer': 'basemap.road' } } as LayerSpecification;
  expect(catalogLayerOf(fill)).toBe('basemap.building');
  expect(catalogLayerOf(tagged)).toBe('basemap.road');
  expect(catalogLayerOf({ id: 'bg', type: 'background' } as LayerSpecification)).toBeUndefined();
});
