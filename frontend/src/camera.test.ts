import { expect, it } from 'vitest';
import { distanceToZoom, metresPerPixel, openTilt, pitchTo2D, pitchTo3D, scaleDenominator, to2D, to3D, zoomToDistance } from './camera';

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

it('opens the 3D view tilted toward what the map showed', () => {
  const flat = { lon: 119.94, lat: 37.18, zoom: 17, bearing: 30, pitch: 0 };
  const v = to3D(flat);
  expect(v).toEqual({ ...flat, pitch: openTilt });
  // Cesium's pitch: 40° below the horizon, within the 30°–60° a tilted view asks for.
  expect((pitchTo3D(v.pitch) * 180) / Math.PI).toBeCloseTo(-40);
  // A map already tilted keeps its tilt.
  expect(to3D({ ...flat, pitch: 60 }).pitch).toBe(60);
  expect(to3D({ ...flat, pitch: 9.9 }).pitch).toBe(openTilt);
});

it('round-trips 2D → 3D → 2D', () => {
  const from = { lon: 119.94, lat: 37.18, zoom: 16.5, bearing: -12, pitch: 0 };
  const to = to3D(from);
  // The camera read back as it was set (within what a render reads back): the map as it was.
  const back = to2D({ ...to, lon: to.lon + 1e-7, pitch: to.pitch + 0.3 }, { from, to });
  expect(back.pitch).toBe(0);
  expect(back.zoom).toBe(16.5);
  expect(back.bearing).toBe(-12);
  // Tilted further in 3D: the map takes that tilt.
  expect(to2D({ ...to, pitch: 70 }, { from, to }).pitch).toBe(70);
  expect(to2D({ ...to, pitch: 30 }).pitch).toBe(30);
  // And the camera set from a 3D view's own 2D view is that view again (zoom ↔ distance at its tilt).
  const fovy = Math.PI / 3;
  const d = zoomToDistance(to.zoom, to.lat, 800, fovy);
  expect(distanceToZoom(d, to.lat, 800, fovy)).toBeCloseTo(to.zoom, 9);
  expect(pitchTo2D(pitchTo3D(to.pitch))).toBeCloseTo(to.pitch, 9);
});
