import { beforeAll, describe, expect, it } from 'vitest';
import { formatDMS, fromGK, gkZone, loadGK, parseCoordinate, toGK } from './coords';

beforeAll(() => loadGK());

// Reference values from PostGIS 3.3 / PROJ: ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), 4528).
describe('Gauss-Krüger', () => {
  it('matches PostGIS in zone 40 (EPSG:4528)', () => {
    const gk = toGK(119.94, 37.18)!;
    expect(gk.zone).toBe(40);
    expect(gk.y).toBeCloseTo(40494671.915, 2);
    expect(gk.x).toBeCloseTo(4116488.940, 2);
    const far = toGK(121.5, 30.2, 40)!;
    expect(far.y).toBeCloseTo(40644446.540, 2);
    expect(far.x).toBeCloseTo(3343235.471, 2);
  });
  it('matches PostGIS in zone 39 (EPSG:4527)', () => {
    expect(gkZone(116.4)).toBe(39);
    const gk = toGK(116.4, 39.9)!;
    expect(gk.y).toBeCloseTo(39448688.856, 2);
    expect(gk.x).toBeCloseTo(4418598.001, 2);
  });
  it('inverts', () => {
    const [lon, lat] = fromGK(4116000, 40500000)!;
    expect(lon).toBeCloseTo(120, 9);
    expect(lat).toBeCloseTo(37.17560957067166, 9);
    const [lon2, lat2] = fromGK(4116488.94006142, 494671.91508861666)!; // EPSG:4549, no prefix
    expect(lon2).toBeCloseTo(119.94, 8);
    expect(lat2).toBeCloseTo(37.18, 8);
  });
});

describe('parseCoordinate', () => {
  const cases: [string, number, number, string][] = [
    ['119.94, 37.18', 119.94, 37.18, 'lonlat'],
    ['37.18，119.94', 119.94, 37.18, 'lonlat'],
    ['119.94 37.18', 119.94, 37.18, 'lonlat'],
    [`119°56'24"E 37°10'48"N`, 119.94, 37.18, 'lonlat'],
    ['37°10′48″N 119°56′24″E', 119.94, 37.18, 'lonlat'],
    ['4116488.94 40494671.92', 119.94, 37.18, 'gk'],
    ['40494671.92, 4116488.94', 119.94, 37.18, 'gk'],
    ['X=4116488.94 Y=40494671.92', 119.94, 37.18, 'gk'],
    ['4116488.94 494671.92', 119.94, 37.18, 'gk'],
  ];
  for (const [text, lon, lat, kind] of cases) {
    it(text, () => {
      const p = parseCoordinate(text);
      expect(p).not.toBeNull();
      expect(p!.kind).toBe(kind);
      expect(p!.lon).toBeCloseTo(lon, 6);
      expect(p!.lat).toBeCloseTo(lat, 6);
    });
  }
  for (const text of ['文化东路', '119.94', '1 2 3', '99999999 99999999', '']) {
    it(`not a coordinate: ${text}`, () => expect(parseCoordinate(text)).toBeNull());
  }
});

it('formats DMS', () => {
  expect(formatDMS(119.94)).toBe('119°56′24.00″');
  expect(formatDMS(-0.5)).toBe('-0°30′00.00″');
});
