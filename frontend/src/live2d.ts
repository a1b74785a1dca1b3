// The live layers of the 2D map: one GeoJSON source of the live objects and a style layer per live
// catalog layer (plus the hazmat trucks' class placards). The tiles style does not draw live layers;
// these are added to the map when the first live object arrives.
import type { ExpressionSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';
import { isLiveLayer } from './live';
import { colours } from './livesymbols';
import { catalogLayerOf } from './styleutil';

export const liveSource = 'yitu-live';

/** The one-map style's font stack (tiles/style.go StyleFont): Chinese glyphs are drawn locally. */
const font = ['Noto Sans CJK SC Regular'];

/** The label (plate or name) from street zooms on. */
export const labelZoom = 15;

const byLayer = (layer: string): ExpressionSpecification => ['==', ['get', 'layer'], layer];

/** Icons and labels of movers, sensors and cameras. */
function symbols(id: string, layer: string, minzoom: number, opts: { flat: boolean; textOffset: number; size: number }): LayerSpecification {
  return {
    id,
    type: 'symbol',
    source: liveSource,
    minzoom,
    filter: byLayer(layer),
    metadata: { 'yitu:layer': layer },
    layout: {
      'icon-image': ['get', '_icon'],
      'icon-size': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, opts.size],
      'icon-rotate': ['get', '_rot'],
      'icon-rotation-alignment': opts.flat ? 'map' : 'viewport',
      'icon-pitch-alignment': opts.flat ? 'map' : 'viewport',
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
      'text-field': ['step', ['zoom'], '', labelZoom, ['get', '_label']],
      'text-font': font,
      'text-size': 12,
      'text-anchor': 'top',
      'text-offset': [0, opts.textOffset],
      'text-optional': true,
      'text-rotation-alignment': 'viewport',
      'text-pitch-alignment': 'viewport',
    },
    paint: {
      'text-color': ['case', ['get', '_stale'], '#6b7685', '#1d2733'],
      'text-halo-color': '#ffffff',
      'text-halo-width': 1.5,
    },
  } as LayerSpecification;
}

/**
 * The style layers, bottom to top: hotspots (fire-red circles sized by FRP), cameras (a wedge turned
 * to the view direction), sensors (a disc with the kind's glyph), teams, vehicles and hazmat trucks
 * (turned to their heading), then the hazmat trucks' class placards. Each carries its catalog layer
 * in metadata (yitu:layer), like the tiles style's layers, and starts at the layer's zoom.
 */
export function liveStyleLayers(minZoom: (layer: string) => number): LayerSpecification[] {
  return [
    {
      id: 'yitu-live-hotspot',
      type: 'circle',
      source: liveSource,
      minzoom: minZoom('live.hotspot'),
      filter: byLayer('live.hotspot'),
      metadata: { 'yitu:layer': 'live.hotspot' },
      paint: {
        'circle-radius': ['get', '_r'],
        'circle-color': colours.hotspot,
        'circle-opacity': 0.8,
        'circle-stroke-color': colours.hotspotRing,
        'circle-stroke-width': 1.5,
      },
    } as LayerSpecification,
    symbols('yitu-live-camera', 'live.camera', minZoom('live.camera'), { flat: true, textOffset: 0.9, size: 1 }),
    symbols('yitu-live-sensor', 'live.sensor', minZoom('live.sensor'), { flat: false, textOffset: 1, size: 1.1 }),
    symbols('yitu-live-team', 'live.team', minZoom('live.team'), { flat: true, textOffset: 1.3, size: 1.2 }),
    symbols('yitu-live-vehicle', 'live.vehicle', minZoom('live.vehicle'), { flat: true, textOffset: 1.3, size: 1.2 }),
    symbols('yitu-live-hazmat', 'live.hazmat', minZoom('live.hazmat'), { flat: true, textOffset: 1.3, size: 1.2 }),
    {
      id: 'yitu-live-hazmat-class',
      type: 'symbol',
      source: liveSource,
      minzoom: minZoom('live.hazmat'),
      filter: ['all', byLayer('live.hazmat'), ['!=', ['get', '_badge'], '']],
      metadata: { 'yitu:layer': 'live.hazmat' },
      layout: {
        'icon-image': ['get', '_badge'],
        'icon-size': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 16, 1.1],
        'icon-offset': [14, -14],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'icon-rotation-alignment': 'viewport',
        'icon-pitch-alignment': 'viewport',
      },
    } as LayerSpecification,
  ];
}

/**
 * The style without the layers that draw live catalog layers from vector tiles (the server's generic
 * point style): the tiles hold the state as last written to the database, and are not reloaded when
 * objects move, so the viewer draws live objects from /live/objects only.
 */
export function withoutTiledLive(style: StyleSpecification): StyleSpecification {
  return { ...style, layers: style.layers.filter((l) => !isLiveLayer(catalogLayerOf(l) ?? '')) };
}
