// Reading and adjusting the one-map style per catalog layer: which style layers draw a catalog layer
// (their source-layer is the catalog layer id, as in Yitu's MVT), and opacity as a factor on the style's
// own opacities.
import type { LayerSpecification } from 'maplibre-gl';

/** The catalog layer a style layer draws, or undefined (background, raster, overlays). */
export function catalogLayerOf(l: LayerSpecification): string | undefined {
  const meta = (l as { metadata?: Record<string, unknown> }).metadata;
  const tagged = meta?.['yitu:layer'];
  if (typeof tagged === 'string') return tagged;
  return 'source-layer' in l && typeof l['source-layer'] === 'string' ? l['source-layer'] : undefined;
}

/** Paint properties that carry a style layer's opacity, by layer type. */
export const opacityProps: Record<string, string[]> = {
  fill: ['fill-opacity'],
  line: ['line-opacity'],
  circle: ['circle-opacity', 'circle-stroke-opacity'],
  symbol: ['text-opacity', 'icon-opacity'],
  'fill-extrusion': ['fill-extrusion-opacity'],
  heatmap: ['heatmap-opacity'],
  raster: ['raster-opacity'],
};

type Expr = unknown;

/**
 * The style's opacity value scaled by factor. Zoom curves (interpolate/step on ["zoom"]) must stay at the
 * top of an expression, so their outputs are scaled instead of the whole.
 */
export function scaleOpacity(value: Expr, factor: number): Expr {
  if (value === undefined || value === null) return factor;
  if (typeof value === 'number') return value * factor;
  if (Array.isArray(value)) {
    const [op] = value;
    const isZoom = (e: unknown) => Array.isArray(e) && e.length === 1 && e[0] === 'zoom';
    if ((op === 'interpolate' || op === 'interpolate-hcl' || op === 'interpolate-lab') && isZoom(value[2])) {
      return value.map((v, i) => (i > 3 && i % 2 === 0 ? scaleOpacity(v, factor) : v));
    }
    if (op === 'step' && isZoom(value[1])) {
      return value.map((v, i) => (i === 2 || (i > 2 && i % 2 === 0) ? scaleOpacity(v, factor) : v));
    }
    return ['*', value, factor];
  }
  return value;
}
