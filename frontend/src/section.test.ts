import { expect, it } from 'vitest';
import { sectionURL, summarize } from './section';

it('asks the server for the section along the drawn line', () => {
  const u = new URL(sectionURL([[119.94, 37.18], [119.9412345678, 37.181]], 30), 'http://x');
  expect(u.pathname).toBe('/twin/section');
  expect(u.searchParams.get('line')).toBe('119.9400000,37.1800000,119.9412346,37.1810000');
  expect(u.searchParams.get('buffer')).toBe('30');
  expect(u.searchParams.get('f')).toBe('svg');
});

it('counts what the line cuts: strata by code (a stratum cut twice is one), boreholes by number, pipes', () => {
  const f = (kind: string, more: object = {}) => ({ properties: { kind, ...more } });
  const s = summarize({
    features: [
      f('stratum', { code: '1' }),
      f('stratum', { code: '2' }),
      f('stratum', { code: '2' }),
      f('ground'),
      f('borehole_layer', { hole_no: 'ZK01', code: '1' }),
      f('borehole_layer', { hole_no: 'ZK01', code: '2' }),
      f('borehole_layer', { hole_no: 'ZK07', code: '1' }),
      f('pipe', { id: 3 }),
    ],
    section: { length_m: 412.5 },
  });
  expect(s).toEqual({ length: 412.5, strata: 2, boreholes: ['ZK01', 'ZK07'], pipes: 1 });
});
