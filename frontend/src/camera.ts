// The 2D ↔ 3D hand-over: a MapLibre view (centre, zoom, bearing, pitch) and a CesiumJS camera looking at
// the same centre from the distance that shows the ground at the same scale.

const earthCircumference = 2 * Math.PI * 6378137;
const tileSize = 512; // MapLibre's zoom counts 512-pixel tiles

/** Ground metres per CSS pixel at a latitude and a MapLibre zoom. */
export function metresPerPixel(zoom: number, lat: number): number {
  return (earthCircumference * Math.cos((lat * Math.PI) / 180)) / (tileSize * 2 ** zoom);
}

/** Camera distance at which a perspective view of vertical field of view fovy (radians) over a canvas
 * heightPx pixels tall shows the ground at the given zoom's scale. */
export function zoomToDistance(zoom: number, lat: number, heightPx: number, fovy: number): number {
  return (metresPerPixel(zoom, lat) * heightPx) / (2 * Math.tan(fovy / 2));
}

export function distanceToZoom(distance: number, lat: number, heightPx: number, fovy: number): number {
  const mpp = (distance * 2 * Math.tan(fovy / 2)) / heightPx;
  return Math.log2((earthCircumference * Math.cos((lat * Math.PI) / 180)) / (tileSize * mpp));
}

/** Scale denominator (1 : n) of a zoom at a latitude, for a 96 dpi screen. */
export function scaleDenominator(zoom: number, lat: number): number {
  return metresPerPixel(zoom, lat) / (0.0254 / 96);
}

export interface View2D {
  lon: number;
  lat: number;
  zoom: number;
  /** degrees clockwise from north */
  bearing: number;
  /** degrees from looking straight down */
  pitch: number;
}

/** MapLibre pitch (0 = straight down) to Cesium's camera pitch (−90° = straight down), in radians. */
export const pitchTo3D = (pitch: number) => ((pitch - 90) * Math.PI) / 180;
export const pitchTo2D = (pitch: number) => (pitch * 180) / Math.PI + 90;

/**
 * The tilt (degrees from looking straight down) the 3D view opens with when the 2D map looks straight
 * down or nearly so: seen at 50°, the ground shows its relief and the horizon, and pipes under the roads
 * show their depth (Cesium pitch −40°).
 */
export const openTilt = 50;
/** A 2D pitch below this is "looking down": the 3D view opens at openTilt instead. */
export const flatPitch = 10;

/** The view the 3D camera takes for a 2D view: the same centre, zoom and bearing, tilted to openTilt
 * when the map looks down, else at the map's own pitch. */
export function to3D(v: View2D): View2D {
  return { ...v, pitch: v.pitch < flatPitch ? openTilt : Math.min(v.pitch, 85) };
}

/**
 * The 2D view for a 3D camera (its centre, zoom, bearing and pitch as View3D.view reads them). opened
 * is the hand-over that opened the 3D view (the 2D view and what to3D made of it): while the camera
 * keeps the tilt it was given (within 1°), the map gets back its own pitch, so 2D → 3D → 2D returns
 * the map as it was; a tilt changed in 3D is kept.
 */
export function to2D(v: View2D, opened?: { from: View2D; to: View2D }): View2D {
  if (opened && Math.abs(v.pitch - opened.to.pitch) < 1) return { ...v, pitch: opened.from.pitch };
  return v;
}
