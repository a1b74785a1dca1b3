// What the browser tests share: Debian's Chromium driven by playwright-core on a fresh profile, a
// check runner that prints one line per check and takes a screenshot after each, a watch on console
// errors, failed requests and requests leaving the server, and pixel helpers for the map canvas.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const slow = 120_000; // software WebGL on a shared 2-core machine is slow; these are limits, not assertions

/** Starts Chromium on base's page; initScript runs in every page before its own scripts. */
export async function session({ base, artifacts, initScript }) {
  mkdirSync(artifacts, { recursive: true });
  const origin = new URL(base).origin;
  const profile = mkdtempSync(join(tmpdir(), 'yitu-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    acceptDownloads: true,
  });
  if (initScript) await ctx.addInitScript(initScript);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(slow);

  const problems = []; // console errors, failed requests, requests leaving the server, with the check that saw them
  let running = 'start';
  const problem = (what) => problems.push(`[${running}] ${what}`);
  page.on('console', (m) => {
    if (m.type() === 'error') problem(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problem(`uncaught: ${e.message}\n${e.stack ?? ''}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (!why.includes('ERR_ABORTED')) problem(`request failed: ${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problem(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) problem(`external request: ${u}`);
  });

  const results = [];
  let n = 0;
  async function shot(name) {
    n++;
    await page.screenshot({ path: join(artifacts, `${String(n).padStart(2, '0')}-${name}.png`) }).catch(() => {});
  }
  async function check(name, fn) {
    running = name;
    const t0 = Date.now();
    try {
      const note = await fn();
      results.push({ name, ok: true, note });
      console.log(`ok   ${name}${note ? ` (${note})` : ''} ${Date.now() - t0} ms`);
    } catch (e) {
      results.push({ name, ok: false, note: e.message });
      console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    }
    await shot(name);
  }

  /**
   * The pixels of a PNG, decoded by the page (its image decoder, as it draws them): { width, height,
   * data } with data the RGBA bytes row by row from the top, as a canvas's getImageData.
   */
  async function pixels(png) {
    const { width, height, b64 } = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = `data:image/png;base64,${src}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let bin = '';
      for (let i = 0; i < d.length; i += 0x8000) bin += String.fromCharCode(...d.subarray(i, i + 0x8000));
      return { width: c.width, height: c.height, b64: btoa(bin) };
    }, png.toString('base64'));
    return { width, height, data: Buffer.from(b64, 'base64') };
  }

  /** Pixel counts by colour (#rrggbb) of a PNG. */
  async function histogram(png) {
    const { data: d } = await pixels(png);
    const counts = {};
    for (let i = 0; i < d.length; i += 4) {
      const k = '#' + ((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]).toString(16).padStart(6, '0');
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return { counts, total: d.length / 4 };
  }

  /** Share of pixels of an element's screenshot that differ from its commonest colour, and the colour count. */
  async function inkOf(selector) {
    const { counts, total } = await histogram(await page.locator(selector).screenshot());
    const top = Math.max(...Object.values(counts));
    return { ink: 1 - top / total, colours: Object.keys(counts).length };
  }

  /** The colours of a region of the page: counts by #rrggbb, the total and the commonest colour. */
  async function coloursOf(clip) {
    const h = await histogram(await page.screenshot({ clip }));
    h.top = Object.entries(h.counts).sort((a, b) => b[1] - a[1])[0][0];
    return h;
  }

  /** Pixels of a colour (within tol per channel) in a square of 2r around a page point. */
  async function inkNear(pt, rgb, r = 14, tol = 28) {
    const { counts } = await coloursOf({ x: pt.x - r, y: pt.y - r, width: 2 * r, height: 2 * r });
    let k = 0;
    for (const [key, c] of Object.entries(counts)) {
      const v = parseInt(key.slice(1), 16);
      if (Math.abs((v >> 16) - rgb[0]) <= tol && Math.abs(((v >> 8) & 255) - rgb[1]) <= tol && Math.abs((v & 255) - rgb[2]) <= tol) k += c;
    }
    return k;
  }

  /** The page point at the middle of the pixels of a colour (within tol per channel) in a region, or null. */
  async function inkCentre(clip, rgb, tol = 28) {
    const { width, height, data: d } = await pixels(await page.screenshot({ clip }));
    let n = 0, sx = 0, sy = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - rgb[0]) <= tol && Math.abs(d[i + 1] - rgb[1]) <= tol && Math.abs(d[i + 2] - rgb[2]) <= tol) {
        const p = i / 4;
        n++, (sx += p % width), (sy += Math.floor(p / width));
      }
    }
    return n ? { n, x: clip.x + ((sx / n) * clip.width) / width, y: clip.y + ((sy / n) * clip.height) / height } : null;
  }

  /** Where a lon/lat is drawn on the page, the 2D map being centred on centre at zoom z, north up. */
  async function pagePoint(centre, p, z) {
    const box = await page.locator('[data-testid=map2d] canvas').boundingBox();
    const size = 512 * 2 ** z; // Web Mercator, MapLibre's 512-pixel tiles
    const x = (lon) => ((lon + 180) / 360) * size;
    const y = (lat) => {
      const r = (lat * Math.PI) / 180;
      return ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * size;
    };
    return { x: box.x + box.width / 2 + x(p.lon) - x(centre.lon), y: box.y + box.height / 2 + y(p.lat) - y(centre.lat) };
  }

  /** Loads the viewer afresh (a new query string: not a same-document hash change) at a zoom at a place. */
  async function openAt({ lat, lon }, zoom = 18, extra = '') {
    await page.goto(`${base}/map/?load=${Date.now()}#map=${zoom}/${lat}/${lon}${extra}`);
    await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
  }

  /** Closes the browser, writes results.json and exits: 1 when any check failed. */
  async function finish(extra = {}) {
    await check('no console errors, failed or external requests', async () => {
      if (problems.length) throw new Error(problems.join('\n'));
    });
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
    const failed = results.filter((r) => !r.ok);
    writeFileSync(join(artifacts, 'results.json'), JSON.stringify({ ...extra, results, problems }, null, 2));
    if (failed.length) for (const f of failed) console.log(`\n${f.name}:\n${f.note}`);
    console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
    process.exit(failed.length ? 1 : 0);
  }

  return { page, ctx, check, shot, pixels, inkOf, coloursOf, inkNear, inkCentre, pagePoint, openAt, finish, problems };
}

/** Polls fn until it returns {ok: true, …} (which it returns) or throws what it last said after ms. */
export async function until(ms, fn) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last?.ok) return last;
    if (Date.now() > end) throw new Error(last?.why ?? 'timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Metres between two lon/lat points (a sphere; short distances). */
export const metres = (a, b) => {
  const k = Math.PI / 180;
  const x = (b.lon - a.lon) * k * Math.cos(((a.lat + b.lat) / 2) * k);
  const y = (b.lat - a.lat) * k;
  return Math.hypot(x, y) * 6371008;
};

/** The hazmat truck's arrow colour on the map (livesymbols.ts colours.hazmat). */
export const hazmatOrange = [0xf7, 0x67, 0x07];
