// Geodesic distance and area measurement on the 2D map: click to add points, double-click to finish,
// Esc to cancel. Drawn in an overlay source; the figures go to a callback.
import type { GeoJSONSource, Map as MLMap, MapMouseEvent } from 'maplibre-gl';
import { geodesicArea, geodesicLength } from './geodesy';

export type MeasureMode = 'distance' | 'area';

export interface Measurement {
  mode: MeasureMode;
  points: [number, number][];
  length: number;
  area: number;
  perimeter: number;
  done: boolean;
}

const source = 'yitu-measure';

export class Measure {
  private points: [number, number][] = [];
  private hover: [number, number] | null = null;
  private mode: MeasureMode | null = null;
  private done = false;

  constructor(
    private map: MLMap,
    private onChange: (m: Measurement | null) => void,
  ) {}

  start(mode: MeasureMode) {
    this.stop();
    this.ensureOverlay();
    this.mode = mode;
    this.points = [];
    this.done = false;
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = 'crosshair';
    this.map.on('click', this.click);
    this.map.on('dblclick', this.dblclick);
    this.map.on('mousemove', this.move);
    window.addEventListener('keydown', this.key);
    this.draw();
  }

  /** Ends the tool and removes the drawing. */
  stop() {
    if (!this.mode) return;
    this.map.off('click', this.click);
    this.map.off('dblclick', this.dblclick);
    this.map.off('mousemove', this.move);
    window.removeEventListener('keydown', this.key);
    this.map.doubleClickZoom.enable();
    this.map.getCanvas().style.cursor = '';
    this.mode = null;
    this.points = [];
    this.hover = null;
    this.draw();
    this.onChange(null);
  }

  get active() {
    return this.mode !== null;
  }

  private click = (e: MapMouseEvent) => {
    if (this.done) {
      this.points = [];
      this.done = false;
    }
    this.points.push([e.lngLat.lng, e.lngLat.lat]);
    this.draw();
  };

  private dblclick = (e: MapMouseEvent) => {
    e.preventDefault();
    // The double-click's two clicks added the same point twice.
    const n = this.points.length;
    if (n >= 2 && this.points[n - 1][0] === this.points[n - 2][0] && this.points[n - 1][1] === this.points[n - 2][1]) this.points.pop();
    this.done = true;
    this.hover = null;
    this.draw();
  };

  private move = (e: MapMouseEvent) => {
    if (this.done || this.points.length === 0) return;
    this.hover = [e.lngLat.lng, e.lngLat.lat];
    this.draw();
  };

  private key = (e: KeyboardEvent) => {
    if (e.key === 'Escape') this.stop();
  };

  private ensureOverlay() {
    if (this.map.getSource(source)) return;
    this.map.addSource(source, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    const color = '#ff5722';
    this.map.addLayer({ id: 'yitu-measure-fill', type: 'fill', source, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': color, 'fill-opacity': 0.15 } });
    this.map.addLayer({ id: 'yitu-measure-line', type: 'line', source, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': color, 'line-width': 2.5, 'line-dasharray': [3, 2] } });
    this.map.addLayer({ id: 'yitu-measure-point', type: 'circle', source, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': '#fff', 'circle-radius': 4, 'circle-stroke-color': color, 'circle-stroke-width': 2 } });
  }

  private draw() {
    const pts = this.hover ? [...this.points, this.hover] : this.points;
    const features: GeoJSON.Feature[] = this.points.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } }));
    if (this.mode === 'area' && pts.length >= 3) {
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
    } else if (pts.length >= 2) {
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: pts } });
    }
    (this.map.getSource(source) as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
    if (!this.mode) return;
    const { area, perimeter } = this.mode === 'area' ? geodesicArea(pts) : { area: 0, perimeter: 0 };
    this.onChange({ mode: this.mode, points: pts, length: geodesicLength(pts), area, perimeter, done: this.done });
  }
}
