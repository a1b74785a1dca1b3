// The live objects in the 3D view: a billboard each (the 2D map's icon, turned to the heading against
// north) on the ground and drawn over buildings, with the plate or name as a label when the camera is
// near. Updated from the same feed as the 2D map. The 3D view's ground is the ellipsoid, so an object
// stands at height 0; HeightReference.CLAMP_TO_GROUND would sample the globe's coarse tiles (tens of
// kilometres below it at first) and the roofs of the 3D tiles.
import type * as CesiumNS from 'cesium';
import type { LiveFeature, LiveProps } from './live';
import { iconCanvas, iconFont, symbolOf } from './livesymbols';

type Cesium = typeof CesiumNS;

/** What a live billboard carries as its id, so that a pick finds the object. */
export interface LivePickId {
  yituLive: string;
}

interface Item {
  billboard: CesiumNS.Billboard;
  label: CesiumNS.Label | null;
  icon: string;
  feature: LiveFeature;
}

const ratio = 2;
/** Labels show within this distance of the camera (m). */
const labelDistance = 3000;

export class Live3D {
  private billboards: CesiumNS.BillboardCollection;
  private labels: CesiumNS.LabelCollection;
  private items = new Map<string, Item>();

  constructor(
    private C: Cesium,
    private scene: CesiumNS.Scene,
  ) {
    this.billboards = scene.primitives.add(new C.BillboardCollection());
    this.labels = scene.primitives.add(new C.LabelCollection());
  }

  /** Shows these objects (the full current set) of the visible live layers. */
  set(features: LiveFeature[], visible: (layer: string) => boolean) {
    const { C } = this;
    const seen = new Set<string>();
    for (const f of features) {
      const p = f.properties;
      if (!f.geometry || f.geometry.type !== 'Point' || !visible(p.layer)) continue;
      seen.add(p.id);
      const [lon, lat] = f.geometry.coordinates;
      const position = C.Cartesian3.fromDegrees(lon, lat, 0);
      const sym = symbolOf(p);
      let it = this.items.get(p.id);
      if (!it) {
        const billboard = this.billboards.add({
          position,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
          id: { yituLive: p.id } satisfies LivePickId,
        });
        it = { billboard, label: null, icon: '', feature: f };
        this.items.set(p.id, it);
      }
      it.feature = f;
      const b = it.billboard;
      b.position = position;
      if (it.icon !== sym._icon) {
        const canvas = iconCanvas(sym._icon, ratio);
        if (canvas) b.setImage(sym._icon, canvas);
        it.icon = sym._icon;
      }
      const turns = p.kind === 'vehicle' || p.kind === 'team' || p.kind === 'camera';
      // Turned against north: rotation is counter-clockwise about the axis that points north.
      b.alignedAxis = turns ? C.Cartesian3.UNIT_Z : C.Cartesian3.ZERO;
      b.rotation = turns ? -C.Math.toRadians(sym._rot) : 0;
      // The 2D map's sizes at street zooms.
      b.scale = (p.kind === 'hotspot' ? (2 * sym._r) / 20 : p.kind === 'vehicle' || p.kind === 'team' ? 1.2 : p.kind === 'sensor' ? 1.1 : 1) / ratio;
      const text = labelOf(p, sym._label);
      if (text && !it.label) {
        it.label = this.labels.add({
          position,
          text,
          font: `13px ${iconFont}`,
          fillColor: C.Color.fromCssColorString('#1d2733'),
          // A plate on a light ground: an outline blurs small Chinese glyphs.
          showBackground: true,
          backgroundColor: C.Color.fromCssColorString('rgba(255, 255, 255, 0.8)'),
          backgroundPadding: new C.Cartesian2(4, 2),
          pixelOffset: new C.Cartesian2(0, 18),
          horizontalOrigin: C.HorizontalOrigin.CENTER,
          verticalOrigin: C.VerticalOrigin.TOP,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
          distanceDisplayCondition: new C.DistanceDisplayCondition(0, labelDistance),
          id: { yituLive: p.id } satisfies LivePickId,
        });
      } else if (it.label && !text) {
        this.labels.remove(it.label);
        it.label = null;
      }
      if (it.label) {
        it.label.position = position;
        if (it.label.text !== text) it.label.text = text;
        it.label.fillColor = C.Color.fromCssColorString(sym._stale ? '#6b7685' : '#1d2733');
      }
    }
    for (const [id, it] of this.items) {
      if (seen.has(id)) continue;
      this.billboards.remove(it.billboard);
      if (it.label) this.labels.remove(it.label);
      this.items.delete(id);
    }
    this.scene.requestRender();
  }

  /** The live object a pick hit, if it hit one. */
  picked(hit: unknown): LiveFeature | undefined {
    const id = (hit as { id?: Partial<LivePickId> } | undefined)?.id?.yituLive;
    return id !== undefined ? this.items.get(id)?.feature : undefined;
  }

  /** How many objects are shown. */
  get size(): number {
    return this.items.size;
  }

  destroy() {
    this.scene.primitives.remove(this.billboards);
    this.scene.primitives.remove(this.labels);
  }
}

/** The label: the plate or name; a hazmat truck's with its class. */
function labelOf(p: LiveProps, label: string): string {
  if (p.layer === 'live.hazmat' && p.hazard_class) return `${label} · ${p.hazard_class}`;
  return label;
}
