import { expect, it } from 'vitest';
import { formatArea, formatLength, geodesicArea, geodesicLength } from './geodesy';

// Reference values: PostGIS ST_Distance / ST_Area / ST_Perimeter on geography (the WGS 84 ellipsoid, whose
// flattening differs from CGCS2000's by far less than these tolerances at this size).
it('measures a degree of latitude and of longitude at Laizhou', () => {
  expect(geodesicLength([[120, 37], [120, 38]])).toBeCloseTo(110987.04431, 2);
  expect(geodesicLength([[119, 37.18], [120, 37.18]])).toBeCloseTo(88800.99914, 2);
  expect(geodesicLength([[120, 37], [120, 37.5], [120, 38]])).toBeCloseTo(110987.04431, 2);
});

it('measures areas whichever way round', () => {
  const cell: [number, number][] = [[119.94, 37.18], [119.95, 37.18], [119.95, 37.19], [119.94, 37.19]];
  const { area, perimeter } = geodesicArea(cell);
  expect(Math.abs(area - 985462.978)).toBeLessThan(1);
  expect(perimeter).toBeCloseTo(3995.5334, 2);
  expect(geodesicArea([...cell].reverse()).area).toBeCloseTo(area, 3);
  expect(geodesicArea(cell.slice(0, 2)).area).toBe(0);
});

it('formats for people', () => {
  expect(formatLength(123.44, 'zh')).toBe('123.4 米');
  expect(formatLength(12345.6, 'en')).toBe('12.346 km');
  expect(formatArea(6666.7, 'zh')).toBe('6,666.7 平方米（10.00 亩）');
  expect(formatArea(2.5e6, 'en')).toBe('2.500 km² (250.00 ha)');
});
