// The print/export of the current view: the map image framed with a title, date, north arrow, scale bar
// and the legend of the visible layers, as a PNG download.
import { iconCanvas } from './livesymbols';

export interface PrintLegend {
  label: string;
  kind: string;
  color: string;
  outline?: string;
  /** kind icon: the viewer's own symbol (live layers) */
  icon?: string;
}

export interface PrintOptions {
  map: HTMLCanvasElement;
  title: string;
  subtitle: string;
  footer: string;
  /** degrees clockwise from north */
  bearing: number;
  /** a round ground length and its length in CSS pixels */
  scaleBar: { label: string; px: number };
  scaleText: string;
  legend: PrintLegend[];
  legendTitle: string;
  north: string;
  font: string;
}

export function composePrint(o: PrintOptions): HTMLCanvasElement {
  const dpr = o.map.width / Math.max(1, o.map.clientWidth || o.map.width / (window.devicePixelRatio || 1));
  const k = Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
  const head = 56 * k;
  const foot = 36 * k;
  const c = document.createElement('canvas');
  c.width = o.map.width;
  c.height = o.map.height + head + foot;
  const g = c.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(o.map, 0, head);
  g.strokeStyle = '#333';
  g.lineWidth = 1 * k;
  g.strokeRect(0.5 * k, head + 0.5 * k, c.width - k, o.map.height - k);

  g.fillStyle = '#1b2b40';
  g.textBaseline = 'middle';
  g.font = `600 ${20 * k}px ${o.font}`;
  g.fillText(o.title, 16 * k, head / 2);
  g.font = `${13 * k}px ${o.font}`;
  g.fillStyle = '#555';
  g.textAlign = 'right';
  g.fillText(o.subtitle, c.width - 16 * k, head / 2);
  g.textAlign = 'left';
  g.fillText(o.footer, 16 * k, head + o.map.height + foot / 2);
  g.textAlign = 'right';
  g.fillText(o.scaleText, c.width - 16 * k, head + o.map.height + foot / 2);
  g.textAlign = 'left';

  // North arrow, turned against the map's bearing.
  const nx = c.width - 36 * k;
  const ny = head + 44 * k;
  g.save();
  g.translate(nx, ny);
  g.rotate((-o.bearing * Math.PI) / 180);
  g.fillStyle = 'rgba(255,255,255,0.85)';
  g.beginPath();
  g.arc(0, 0, 22 * k, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#c62828';
  g.beginPath();
  g.moveTo(0, -16 * k);
  g.lineTo(7 * k, 6 * k);
  g.lineTo(0, 2 * k);
  g.lineTo(-7 * k, 6 * k);
  g.closePath();
  g.fill();
  g.fillStyle = '#222';
  g.font = `600 ${10 * k}px ${o.font}`;
  g.textAlign = 'center';
  g.fillText(o.north, 0, 13 * k);
  g.restore();

  // Scale bar, bottom left of the map.
  const sx = 16 * k;
  const sy = head + o.map.height - 18 * k;
  const w = o.scaleBar.px * k;
  g.fillStyle = 'rgba(255,255,255,0.85)';
  g.fillRect(sx - 6 * k, sy - 20 * k, w + 12 * k, 30 * k);
  g.fillStyle = '#222';
  g.fillRect(sx, sy, w / 2, 5 * k);
  g.strokeStyle = '#222';
  g.strokeRect(sx, sy, w, 5 * k);
  g.font = `${11 * k}px ${o.font}`;
  g.textAlign = 'left';
  g.fillText('0', sx, sy - 9 * k);
  g.textAlign = 'right';
  g.fillText(o.scaleBar.label, sx + w, sy - 9 * k);
  g.textAlign = 'left';

  // Legend of the visible layers, bottom right of the map.
  const items = o.legend.slice(0, 16);
  if (items.length) {
    g.font = `${12 * k}px ${o.font}`;
    const lw = Math.max(...items.map((i) => g.measureText(i.label).width)) + 44 * k;
    const lh = (items.length * 20 + 30) * k;
    const lx = c.width - lw - 12 * k;
    const ly = head + o.map.height - lh - 12 * k;
    g.fillStyle = 'rgba(255,255,255,0.9)';
    g.fillRect(lx, ly, lw, lh);
    g.strokeStyle = '#999';
    g.strokeRect(lx, ly, lw, lh);
    g.fillStyle = '#222';
    g.font = `600 ${12 * k}px ${o.font}`;
    g.fillText(o.legendTitle, lx + 10 * k, ly + 14 * k);
    g.font = `${12 * k}px ${o.font}`;
    items.forEach((it, i) => {
      const y = ly + (32 + i * 20) * k;
      g.fillStyle = it.color;
      g.strokeStyle = it.outline ?? it.color;
      const icon = it.kind === 'icon' && it.icon ? iconCanvas(it.icon, 2) : undefined;
      if (icon) {
        const size = 16 * k;
        g.drawImage(icon, lx + 20 * k - size / 2, y - size / 2, size, size);
      } else if (it.kind === 'line') {
        g.lineWidth = 3 * k;
        g.beginPath();
        g.moveTo(lx + 10 * k, y);
        g.lineTo(lx + 30 * k, y);
        g.stroke();
        g.lineWidth = k;
      } else if (it.kind === 'circle' || it.kind === 'symbol') {
        g.beginPath();
        g.arc(lx + 20 * k, y, 5 * k, 0, 2 * Math.PI);
        g.fill();
        g.stroke();
      } else {
        g.fillRect(lx + 10 * k, y - 6 * k, 20 * k, 12 * k);
        g.strokeRect(lx + 10 * k, y - 6 * k, 20 * k, 12 * k);
      }
      g.fillStyle = '#222';
      g.fillText(it.label, lx + 36 * k, y);
    });
  }
  return c;
}

/** A round length (1, 2 or 5 × 10^n metres) that fits maxPx at metresPerPx, and its width in pixels. */
export function roundScaleBar(metresPerPx: number, maxPx: number, lang: 'zh' | 'en'): { label: string; px: number } {
  const max = metresPerPx * maxPx;
  const p = 10 ** Math.floor(Math.log10(max));
  const m = [5, 2, 1].map((f) => f * p).find((v) => v <= max) ?? p;
  const label = m >= 1000 ? `${m / 1000} ${lang === 'zh' ? '公里' : 'km'}` : `${m} ${lang === 'zh' ? '米' : 'm'}`;
  return { label, px: m / metresPerPx };
}

export function download(canvas: HTMLCanvasElement, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) return reject(new Error('the canvas could not be encoded'));
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      resolve();
    }, 'image/png');
  });
}
