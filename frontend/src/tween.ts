// Smooth movement of live objects: a new fix does not jump the icon but glides it from where it is
// drawn now to the new place over a second (2D map and 3D view alike).
import type { LiveFeature } from './live';

interface Glide {
  from: [number, number];
  to: [number, number];
  start: number;
}

/** Interpolates each object's position between its last two fixes over duration ms. */
export class Tweens {
  private glides = new Map<string, Glide>();
  private features: LiveFeature[] = [];

  constructor(readonly duration = 1000) {}

  /** The new full set at time now (ms): moved objects glide from where they are drawn now. */
  update(features: LiveFeature[], now: number) {
    const next = new Map<string, Glide>();
    for (const f of features) {
      if (f.geometry?.type !== 'Point') continue;
      const to = f.geometry.coordinates as [number, number];
      const id = f.properties.id;
      const g = this.glides.get(id);
      if (!g) {
        next.set(id, { from: to, to, start: now - this.duration });
        continue;
      }
      if (g.to[0] === to[0] && g.to[1] === to[1]) {
        next.set(id, g);
        continue;
      }
      next.set(id, { from: this.position(g, now), to, start: now });
    }
    this.glides = next;
    this.features = features;
  }

  /** Jumps every object to its place (replay, a new snapshot after a reconnection). */
  settle(features: LiveFeature[], now: number) {
    this.glides.clear();
    this.update(features, now);
  }

  private position(g: Glide, now: number): [number, number] {
    const k = Math.min(1, Math.max(0, (now - g.start) / this.duration));
    const e = k * (2 - k); // ease out
    return [g.from[0] + (g.to[0] - g.from[0]) * e, g.from[1] + (g.to[1] - g.from[1]) * e];
  }

  /** Whether some object is still on its way at now. */
  moving(now: number): boolean {
    for (const g of this.glides.values()) if (now - g.start < this.duration && (g.from[0] !== g.to[0] || g.from[1] !== g.to[1])) return true;
    return false;
  }

  /** The objects as drawn at now. */
  frame(now: number): LiveFeature[] {
    return this.features.map((f) => {
      const g = this.glides.get(f.properties.id);
      if (!g || now - g.start >= this.duration) return f;
      return { ...f, geometry: { type: 'Point', coordinates: this.position(g, now) } };
    });
  }
}
