import { expect, it } from 'vitest';
import { distanceToZoom, metresPerPixel, pitchTo2D, pitchTo3D, scaleDenominator, zoomToDistance } from './camera';

it('knows the ground resolution of a zoom', () => {
  // z0 at the equator: 40,075,016.686 m over 512 px.
  expect(metresPerPixel(0, 0)).toBeCloseTo(78271.517, 3);
  expect(metresPerPixel(16, 60)).toBeCloseTo(78271.517 / 65536 / 2, 5);
});

it('round-trips zoom and camera distance', () => {
  const fovy = (60 * Math.PI) / 180;
  const d = zoomToDistance(15.3, 37.18, 900, fovy);
  // 900 px of 78271.517 × cos 37.18° / 2^15.3 = 1.5459 m seen through a 60° frustum (2 tan 30° = 1.1547).
  expect(d).toBeCloseTo((900 * 1.54589) / 1.1547, -1);
  expect(distanceToZoom(d, 37.18, 900, fovy)).toBeCloseTo(15.3, 9);
});

it('converts pitch and scale', () => {
  expect(pitchTo3D(0)).toBeCloseTo(-Math.PI / 2);
  expect(pitchTo2D(pitchTo3D(45))).toBeCloseTo(45);
  // 0.95166 m per 96-dpi pixel (0.26458 mm): 1 : 3597.
  expect(scaleDenominator(16, 37.18)).toBeCloseTo(3597, -1);
});
