import { expect, it } from 'vitest';
import { heightRange, outerRings, ringCentre, towardVertices } from './footprint';

it('takes the outer rings of polygons and multipolygons, open', () => {
  const sq = [
    [0, 0],
    [2, 0],
    [2, 2],
    [0, 2],
    [0, 0],
  ];
  const hole = [
    [0.5, 0.5],
    [1, 0.5],
    [1, 1],
    [0.5, 0.5],
  ];
  expect(outerRings({ type: 'Polygon', coordinates: [sq, hole] })).toEqual([
    [
      [0, 0],
      [2, 0],
      [2, 2],
      [0, 2],
    ],
  ]);
  expect(outerRings({ type: 'MultiPolygon', coordinates: [[sq], [hole]] })).toHaveLength(2);
  expect(outerRings({ type: 'Point', coordinates: [1, 1] })).toEqual([]);
  expect(outerRings(undefined)).toEqual([]);
});

it('samples the roof inside the footprint and the ground outside it', () => {
  const ring: [number, number][] = [
    [0, 0],
    [2, 0],
    [2, 2],
    [0, 2],
  ];
  expect(ringCentre(ring)).toEqual([1, 1]);
  const roof = towardVertices(ring, 0.5);
  expect(roof[0]).toEqual([1, 1]);
  expect(roof[1]).toEqual([0.5, 0.5]);
  const around = towardVertices(ring, 1.5);
  expect(around[3]).toEqual([2.5, 2.5]);
});

it('takes the roof from the highest sample and the ground from the lowest around, missing samples skipped', () => {
  expect(heightRange([31.2, undefined, 33.5], [4.1, 3.8, undefined], 20)).toEqual({ min: 3.8, max: 33.5 });
  // Nothing sampled: the picked point is both ends.
  expect(heightRange([], [], 12)).toEqual({ min: 12, max: 12 });
});
