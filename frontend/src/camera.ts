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
