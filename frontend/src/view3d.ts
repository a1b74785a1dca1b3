// The 3D view: CesiumJS (its prebuilt Build/Cesium, served by Yitu and loaded only when 3D is first
// opened) with Yitu's 3D Tiles, an underground mode, picking into the shared attributes panel, and the
// camera handed over to and from the 2D map at the same centre and scale.
import type * as CesiumNS from 'cesium';
import { identify, type Identified } from './api';
import { distanceToZoom, pitchTo2D, pitchTo3D, zoomToDistance, type View2D } from './camera';
import { heightRange, outerRings, towardVertices } from './footprint';
import type { BBox, LiveFeature } from './live';
import { Live3D } from './live3d';

type Cesium = typeof CesiumNS;

declare global {
  interface Window {
    Cesium?: Cesium;
    CESIUM_BASE_URL?: string;
  }
}

declare const __CESIUM_PATH__: string;

export const cesiumBase = import.meta.env.BASE_URL + __CESIUM_PATH__;

let loading: Promise<Cesium> | undefined;

/** Loads CesiumJS once (script and widget CSS). */
export function loadCesium(): Promise<Cesium> {
  loading ??= new Promise<Cesium>((resolve, reject) => {
    window.CESIUM_BASE_URL = cesiumBase;
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = cesiumBase + 'Widgets/widgets.css';
    document.head.appendChild(css);
    const s = document.createElement('script');
    s.src = cesiumBase + 'Cesium.js';
    s.async = true;
    s.onload = () => (window.Cesium ? resolve(window.Cesium) : reject(new Error('Cesium.js loaded without defining Cesium')));
    s.onerror = () => reject(new Error(`cannot load ${s.src}`));
    document.head.appendChild(s);
  });
  return loading;
}

const deg = (r: number) => (r * 180) / Math.PI;
const rad = (d: number) => (d * Math.PI) / 180;

export class View3D {
  readonly viewer: CesiumNS.Viewer;
  private tilesets = new Map<string, CesiumNS.Cesium3DTileset>();
  private opacity = new Map<string, number>();
  private pending = new Map<string, Promise<CesiumNS.Cesium3DTileset>>();
  /** titles of the tilesets, for picks on models whose parts are not catalog features */
  readonly titles = new Map<string, { title_zh: string; title_en: string }>();
  /** called when the camera moves, with the equivalent 2D view */
  onCamera?: (v: View2D) => void;
  /** called when the camera has stopped moving */
  onMoveEnd?: () => void;
  private live: Live3D;
  private liveAt = 0;
  private picked: { feature: CesiumNS.Cesium3DTileFeature; color: CesiumNS.Color } | null = null;
  /** the footprint volume colouring a building picked inside an oblique model */
  private highlight: CesiumNS.ClassificationPrimitive | null = null;
  private pickSeq = 0;
  private moving = false;
  private flying = 0;

  constructor(
    private C: Cesium,
    private container: HTMLElement,
    private onPick: (f: Identified[]) => void,
    onPointer: (p: { lon: number; lat: number } | null) => void,
  ) {
    this.viewer = new C.Viewer(container, {
      // Offline world imagery shipped with CesiumJS; nothing is fetched from elsewhere.
      baseLayer: C.ImageryLayer.fromProviderAsync(C.TileMapServiceImageryProvider.fromUrl(C.buildModuleUrl('Assets/Textures/NaturalEarthII'))),
      terrainProvider: new C.EllipsoidTerrainProvider(),
      baseLayerPicker: false,
      geocoder: false,
      homeButton: false,
      sceneModePicker: false,
      navigationHelpButton: false,
      animation: false,
      timeline: false,
      fullscreenButton: false,
      infoBox: false,
      selectionIndicator: false,
      requestRenderMode: true,
      maximumRenderTimeChange: Infinity,
    });
    const scene = this.viewer.scene;
    scene.globe.depthTestAgainstTerrain = true;
    scene.globe.baseColor = C.Color.fromCssColorString('#dfe3e0');
    scene.globe.undergroundColor = C.Color.fromCssColorString('#2b3138');
    const handler = new C.ScreenSpaceEventHandler(scene.canvas);
    handler.setInputAction((e: { position: CesiumNS.Cartesian2 }) => this.pick(e.position), C.ScreenSpaceEventType.LEFT_CLICK);
    handler.setInputAction((e: { endPosition: CesiumNS.Cartesian2 }) => {
      const p = this.viewer.camera.pickEllipsoid(e.endPosition, scene.globe.ellipsoid);
      if (!p) return onPointer(null);
      const c = C.Cartographic.fromCartesian(p);
      onPointer({ lon: deg(c.longitude), lat: deg(c.latitude) });
    }, C.ScreenSpaceEventType.MOUSE_MOVE);
    this.viewer.camera.changed.addEventListener(() => this.onCamera?.(this.view()));
    this.viewer.camera.percentageChanged = 0.05;
    this.viewer.camera.moveStart.addEventListener(() => {
      this.moving = true;
      this.updateState();
    });
    this.viewer.camera.moveEnd.addEventListener(() => {
      this.moving = false;
      scene.requestRender();
      this.onMoveEnd?.();
    });
    scene.postRender.addEventListener(() => this.updateState());
    this.live = new Live3D(C, scene);
  }

  /** Shows the live objects (the full current set) of the visible live layers; at: when they arrived. */
  setLive(features: LiveFeature[], at: number, visible: (layer: string) => boolean) {
    this.liveAt = at;
    this.live.set(features, visible);
    this.container.dataset.live = String(this.live.size);
  }

  /** The lon/lat box the camera sees (its centre's surroundings when it looks at the sky). */
  bbox(): BBox {
    const { C } = this;
    const r = this.viewer.camera.computeViewRectangle(this.viewer.scene.globe.ellipsoid);
    if (r) return [deg(r.west), deg(r.south), deg(r.east), deg(r.north)];
    const v = this.view();
    const d = 0.05;
    return [v.lon - d, v.lat - d, v.lon + d, v.lat + d].map((x, i) => (i % 2 ? C.Math.clamp(x, -90, 90) : x)) as BBox;
  }

  /** Busy until the next frame has drawn, and tells whether the tiles of the new view are in. */
  private markBusy() {
    this.container.dataset.state = 'busy';
    this.viewer.scene.requestRender();
  }

  /**
   * data-state on the container: "idle" once the camera stands still and every shown tileset (and,
   * with terrain, the globe) has loaded what the view needs, else "busy" (for scripts that drive the viewer, like the browser test).
   */
  private updateState() {
    let busy = this.moving || this.flying > 0 || this.pending.size > 0;
    for (const ts of this.tilesets.values()) busy ||= ts.show && !ts.tilesLoaded;
    // With terrain, the ground's tiles too.
    if (this.container.dataset.terrain === 'dem') busy ||= !this.viewer.scene.globe.tilesLoaded;
    const state = busy ? 'busy' : 'idle';
    if (this.container.dataset.state === state) return;
    if (state === 'idle') this.markCamera();
    this.container.dataset.state = state;
  }

  /**
   * Adds (or replaces) the tileset served at /3dtiles/{name}/tileset.json. A call while the same
   * tileset is still being added gets that promise.
   */
  addTileset(name: string): Promise<CesiumNS.Cesium3DTileset> {
    let p = this.pending.get(name);
    if (p) return p;
    p = this.C.Cesium3DTileset.fromUrl(`/3dtiles/${encodeURIComponent(name)}/tileset.json`, { maximumScreenSpaceError: 8 })
      .then((ts) => {
        const old = this.tilesets.get(name);
        if (old) {
          ts.show = old.show;
          if (this.picked?.feature.tileset === old) this.picked = null;
          this.viewer.scene.primitives.remove(old); // destroys it
        }
        this.viewer.scene.primitives.add(ts);
        this.tilesets.set(name, ts);
        this.setOpacity(name, this.opacity.get(name) ?? 1);
        this.viewer.scene.requestRender();
        return ts;
      })
      .finally(() => this.pending.delete(name));
    this.pending.set(name, p);
    return p;
  }

  /** Whether a tileset is in the scene or on its way. */
  has(name: string): boolean {
    return this.tilesets.has(name) || this.pending.has(name);
  }

  tileset(name: string) {
    return this.tilesets.get(name);
  }

  setTilesetVisible(name: string, show: boolean) {
    const ts = this.tilesets.get(name);
    if (ts) ts.show = show;
    this.viewer.scene.requestRender();
  }

  /** Opacity of a whole tileset (0–1), as a style that keeps each feature's own colour. */
  setOpacity(name: string, opacity: number) {
    this.opacity.set(name, opacity);
    const ts = this.tilesets.get(name);
    if (!ts) return;
    ts.style = opacity >= 1 ? undefined : new this.C.Cesium3DTileStyle({ color: `color('#ffffff', ${opacity.toFixed(2)})` });
    this.viewer.scene.requestRender();
  }

  /** Flies to a tileset's bounding sphere. */
  zoomTo(name: string) {
    const ts = this.tilesets.get(name);
    if (!ts) return;
    this.flying++;
    this.markBusy();
    void this.viewer.flyTo(ts, { duration: 1.5 }).finally(() => {
      this.flying--;
      this.viewer.scene.requestRender();
    });
  }

  /**
   * Puts the imported DEMs under the globe: the server's quantized-mesh terrain (/terrain/layer.json,
   * ellipsoidal heights = normal heights + twin.height_offset, the rule the 3D Tiles follow, so
   * buildings and pipes keep their absolute heights and stand on it), lit by its vertex normals.
   * Where no DEM is, the server's tiles are the ellipsoid.
   */
  async useTerrain() {
    const { C } = this;
    const provider = await C.CesiumTerrainProvider.fromUrl('/terrain', { requestVertexNormals: true });
    this.viewer.terrainProvider = provider;
    // Shade the relief with a fixed light from the north-west, 45° high, over the view's centre (the
    // sun of the viewer's clock would shade by the hour, and leave the hills dark at night).
    const v = this.view();
    const up = C.Cartesian3.normalize(C.Cartesian3.fromDegrees(v.lon, v.lat, 0), new C.Cartesian3());
    const enu = C.Transforms.eastNorthUpToFixedFrame(C.Cartesian3.fromDegrees(v.lon, v.lat, 0));
    const east = C.Cartesian3.normalize(C.Matrix4.getColumn(enu, 0, new C.Cartesian4()) as unknown as CesiumNS.Cartesian3, new C.Cartesian3());
    const north = C.Cartesian3.normalize(C.Matrix4.getColumn(enu, 1, new C.Cartesian4()) as unknown as CesiumNS.Cartesian3, new C.Cartesian3());
    const from = new C.Cartesian3();
    C.Cartesian3.add(C.Cartesian3.multiplyByScalar(north, 0.5, new C.Cartesian3()), C.Cartesian3.multiplyByScalar(east, -0.5, new C.Cartesian3()), from);
    C.Cartesian3.add(from, C.Cartesian3.multiplyByScalar(up, Math.SQRT1_2, new C.Cartesian3()), from);
    const dir = C.Cartesian3.negate(C.Cartesian3.normalize(from, from), new C.Cartesian3());
    const scene = this.viewer.scene;
    scene.light = new C.DirectionalLight({ direction: dir, intensity: 2.5 });
    scene.globe.enableLighting = true;
    scene.globe.dynamicAtmosphereLighting = false;
    this.container.dataset.terrain = 'dem';
    this.viewer.scene.requestRender();
    // The view was aimed at the ellipsoid before the terrain came: at the ground now.
    void this.aimAtGround();
  }

  /** Back to the ellipsoid (no DEM left on the server). */
  flatTerrain() {
    const { C } = this;
    this.viewer.terrainProvider = new C.EllipsoidTerrainProvider();
    this.viewer.scene.globe.enableLighting = false;
    delete this.container.dataset.terrain;
    this.viewer.scene.requestRender();
  }

  /** Underground mode: the ground becomes translucent and the camera may go below it. */
  setUnderground(on: boolean) {
    const scene = this.viewer.scene;
    const { globe, screenSpaceCameraController } = scene;
    globe.translucency.enabled = on;
    globe.translucency.frontFaceAlpha = 0.35;
    globe.translucency.backFaceAlpha = 0.6;
    screenSpaceCameraController.enableCollisionDetection = !on;
    globe.depthTestAgainstTerrain = !on;
    // Through the ground one sees the soil, not the stars on the far side of the earth.
    for (const sky of [scene.skyBox, scene.skyAtmosphere, scene.sun, scene.moon]) if (sky) sky.show = !on;
    scene.backgroundColor = on ? globe.undergroundColor : this.C.Color.BLACK;
    if (on) this.container.dataset.underground = '';
    else {
      delete this.container.dataset.underground;
      // A camera left below the ground comes up to stand 2 m above it, looking the same way.
      const camera = this.viewer.camera;
      const c = camera.positionCartographic;
      const ground = globe.getHeight(c) ?? 0;
      if (c.height < ground + 1) {
        const { heading, pitch, roll } = camera;
        camera.setView({ destination: this.C.Cartesian3.fromRadians(c.longitude, c.latitude, ground + 2), orientation: { heading, pitch, roll } });
      }
    }
    this.markBusy();
  }

  /**
   * Looks at a 2D view's centre from the distance that matches its scale, at the view's bearing and
   * tilt (pitch: degrees from looking straight down; camera.ts to3D gives the tilt a flat map opens
   * with). With terrain the centre is the ground's point there (its height as far as the loaded tiles
   * know it, sampled from the terrain and aimed at again when that comes before the camera moved).
   */
  setView(v: View2D) {
    const height = this.heightAt(v.lon, v.lat);
    this.aim(v, height ?? 0);
    if (height === undefined && this.container.dataset.terrain === 'dem') void this.aimAtGround();
    this.markBusy();
  }

  /** The last view setView aimed at, and where that put the camera. */
  private aimed?: { v: View2D; at: CesiumNS.Cartesian3 };

  private aim(v: View2D, height: number) {
    const { C } = this;
    const camera = this.viewer.camera;
    const fovy = (camera.frustum as CesiumNS.PerspectiveFrustum).fovy ?? Math.PI / 3;
    const range = zoomToDistance(v.zoom, v.lat, this.viewer.canvas.clientHeight || 600, fovy);
    camera.lookAt(C.Cartesian3.fromDegrees(v.lon, v.lat, height), new C.HeadingPitchRange(rad(v.bearing), pitchTo3D(Math.max(v.pitch, 0.5)), range));
    camera.lookAtTransform(C.Matrix4.IDENTITY);
    this.aimed = { v, at: C.Cartesian3.clone(camera.positionWC) };
  }

  /** The terrain's height at a place as far as the globe's loaded tiles know it (undefined: not loaded). */
  private heightAt(lon: number, lat: number): number | undefined {
    if (this.container.dataset.terrain !== 'dem') return 0;
    return this.viewer.scene.globe.getHeight(this.C.Cartographic.fromDegrees(lon, lat));
  }

  /** Aims the last setView again at the ground's sampled height, unless the camera has moved since. */
  private async aimAtGround() {
    const { C } = this;
    const a = this.aimed;
    if (!a) return;
    this.flying++;
    try {
      const [c] = await C.sampleTerrainMostDetailed(this.viewer.terrainProvider, [C.Cartographic.fromDegrees(a.v.lon, a.v.lat)]);
      if (this.aimed === a && C.Cartesian3.distance(this.viewer.camera.positionWC, a.at) < 0.5 && Number.isFinite(c.height)) this.aim(a.v, c.height);
    } catch {
      // no height there: the camera stays aimed at the ellipsoid
    } finally {
      this.flying--;
      this.markBusy();
    }
  }

  /** The point of the ground (terrain, else the ellipsoid) at a pixel of the canvas. */
  private groundAt(px: CesiumNS.Cartesian2): CesiumNS.Cartesian3 | undefined {
    const { viewer } = this;
    const scene = viewer.scene;
    if (this.container.dataset.terrain === 'dem') {
      const ray = viewer.camera.getPickRay(px);
      const hit = ray && scene.globe.pick(ray, scene);
      if (hit) return hit;
    }
    return viewer.camera.pickEllipsoid(px, scene.globe.ellipsoid);
  }

  /** The 2D view with this camera's centre and scale (the centre: the ground at the canvas's centre). */
  view(): View2D {
    const { C } = this;
    const camera = this.viewer.camera;
    const canvas = this.viewer.canvas;
    const h = canvas.clientHeight || 600;
    const fovy = (camera.frustum as CesiumNS.PerspectiveFrustum).fovy ?? Math.PI / 3;
    const centre = this.groundAt(new C.Cartesian2(canvas.clientWidth / 2, h / 2));
    if (centre) {
      const c = C.Cartographic.fromCartesian(centre);
      const range = C.Cartesian3.distance(camera.positionWC, centre);
      return {
        lon: deg(c.longitude),
        lat: deg(c.latitude),
        zoom: distanceToZoom(range, deg(c.latitude), h, fovy),
        bearing: deg(camera.heading),
        pitch: Math.min(85, Math.max(0, pitchTo2D(camera.pitch))),
      };
    }
    // Looking at the sky or from below the ground: the point under the camera at the camera's height.
    const p = camera.positionCartographic;
    const lat = deg(p.latitude);
    return { lon: deg(p.longitude), lat, zoom: distanceToZoom(Math.max(Math.abs(p.height), 50), lat, h, fovy), bearing: deg(camera.heading), pitch: 0 };
  }

  /** The camera for scripts (data-camera): the centre's lon, lat, zoom, heading and Cesium's pitch, in degrees. */
  private markCamera() {
    const v = this.view();
    this.onCamera?.(v); // the last small moves (under percentageChanged) too

    const camera = this.viewer.camera;
    this.container.dataset.camera = [v.lon.toFixed(7), v.lat.toFixed(7), v.zoom.toFixed(3), deg(camera.heading).toFixed(2), deg(camera.pitch).toFixed(2)].join(' ');
  }

  /** Reloads tilesets after a data change. */
  async reload(names: string[]) {
    for (const n of names) if (this.tilesets.has(n)) await this.addTileset(n);
  }

  /** Removes the tilesets not named (gone from the server's list). */
  keepOnly(names: string[]) {
    for (const [n, ts] of this.tilesets) {
      if (names.includes(n)) continue;
      if (this.picked?.feature.tileset === ts) this.picked = null;
      this.viewer.scene.primitives.remove(ts);
      this.tilesets.delete(n);
      this.opacity.delete(n);
    }
    this.viewer.scene.requestRender();
  }

  private nameOf(ts: unknown): string | undefined {
    for (const [n, t] of this.tilesets) if (t === ts) return n;
    return undefined;
  }

  snapshot(): HTMLCanvasElement {
    this.viewer.render();
    const src = this.viewer.canvas;
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    c.getContext('2d')!.drawImage(src, 0, 0);
    return c;
  }

  /**
   * Picks what is under a pixel: the features of Yitu's tilesets carry id, layer and attributes; a
   * stored model (oblique photography) has no features and is named by its tileset.
   */
  pick(position: CesiumNS.Cartesian2) {
    const { C } = this;
    if (this.picked) {
      this.picked.feature.color = this.picked.color;
      this.picked = null;
    }
    this.pickSeq++;
    this.clearHighlight();
    const hit = this.viewer.scene.pick(position);
    this.viewer.scene.requestRender();
    let live = this.live.picked(hit);
    if (!live && this.live.size) {
      // A live icon is small: a click just beside it (within 8 px) still takes it.
      for (const near of this.viewer.scene.drillPick(position, 8, 17, 17)) {
        if ((live = this.live.picked(near))) break;
      }
    }
    if (live) {
      const p = live.properties;
      this.onPick([{ layer: p.layer, id: p.id, properties: {}, geometry: live.geometry ?? undefined, live: { props: p, at: this.liveAt } }]);
      return;
    }
    if (hit instanceof C.Cesium3DTileFeature) {
      const properties: Record<string, unknown> = {};
      for (const k of hit.getPropertyIds()) properties[k] = hit.getProperty(k);
      const { id, layer, ...rest } = properties;
      const name = this.nameOf(hit.tileset);
      const found: Identified = { layer: String(layer ?? name ?? ''), title: name ? this.titles.get(name) : undefined, id: id as string | undefined, properties: rest };
      const inSplit = name?.startsWith('model-') && layer === 'basemap.building';
      if (name?.startsWith('model-') && !inSplit) {
        // A part of a stored model (an oblique tile) not split by building: the building in it.
        void this.pickInModel(position, name, found);
        return;
      }
      this.picked = { feature: hit, color: C.Color.clone(hit.color) };
      hit.color = C.Color.fromCssColorString('#00e5ff');
      // A building of a split model (yitu twin split: physical 单体化) is the feature itself.
      this.onPick(inSplit ? [{ ...found, inModel: { name: name!, title: this.titles.get(name!) } }] : [found]);
      return;
    }
    const name = this.nameOf((hit as { primitive?: unknown } | undefined)?.primitive);
    const model: Identified | undefined = name ? { layer: name, title: this.titles.get(name), id: undefined, properties: {} } : undefined;
    if (name?.startsWith('model-')) {
      void this.pickInModel(position, name, model!);
      return;
    }
    this.onPick(model ? [model] : []);
  }

  /**
   * Picks a building out of an oblique model (one mesh, no features; logical 单体化): the base-map
   * building whose footprint is under the picked point, coloured in the model by a classification
   * volume over its footprint, with its height range measured on the mesh (the model's highest surface
   * inside the footprint; the lowest just outside it). Where no footprint is under the point, the model.
   */
  private async pickInModel(position: CesiumNS.Cartesian2, name: string, model: Identified) {
    const { C } = this;
    const scene = this.viewer.scene;
    const seq = ++this.pickSeq;
    const at = scene.pickPositionSupported ? scene.pickPosition(position) : undefined;
    if (!at) return this.onPick([model]);
    const c = C.Cartographic.fromCartesian(at);
    let found: Identified[] = [];
    try {
      found = await identify(deg(c.longitude), deg(c.latitude), 19, ['basemap.building']);
    } catch {
      // no base map to read: the model alone
    }
    const building = found.find((f) => outerRings(f.geometry).length > 0);
    if (seq !== this.pickSeq) return; // another pick came meanwhile
    if (!building) return this.onPick([model]);
    const rings = outerRings(building.geometry);
    const others = [...this.tilesets].filter(([n]) => n !== name).map(([, t]) => t); // the mesh alone is measured
    const sample = async (share: number) => {
      if (!scene.sampleHeightSupported) return [];
      const pts = rings.flatMap((r) => towardVertices(r, share)).map(([lon, lat]) => C.Cartographic.fromDegrees(lon, lat));
      try {
        return (await scene.sampleHeightMostDetailed(pts, others)).map((p) => p?.height);
      } catch {
        return [];
      }
    };
    const range = heightRange(await sample(0.6), await sample(1.3), c.height);
    if (seq !== this.pickSeq) return;
    this.clearHighlight();
    const margin = 1; // metres beyond the measured range, so the roof and the foot are coloured too
    this.highlight = scene.primitives.add(
      new C.ClassificationPrimitive({
        geometryInstances: rings.map(
          (ring) =>
            new C.GeometryInstance({
              geometry: new C.PolygonGeometry({
                polygonHierarchy: new C.PolygonHierarchy(C.Cartesian3.fromDegreesArray(ring.flat())),
                height: range.min - margin,
                extrudedHeight: range.max + margin,
              }),
              attributes: { color: C.ColorGeometryInstanceAttribute.fromColor(C.Color.fromCssColorString('#00e5ff').withAlpha(0.55)) },
            }),
        ),
        classificationType: C.ClassificationType.CESIUM_3D_TILE,
        asynchronous: false,
      }),
    );
    scene.requestRender();
    this.onPick([{ ...building, inModel: { name, title: model.title, min: range.min, max: range.max } }, model]);
  }

  private clearHighlight() {
    if (!this.highlight) return;
    this.viewer.scene.primitives.remove(this.highlight);
    this.highlight = null;
    this.viewer.scene.requestRender();
  }

  destroy() {
    this.viewer.destroy();
  }
}
