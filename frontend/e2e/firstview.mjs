// Time to first view of the one-map viewer in Debian's Chromium (playwright-core), for the Go
// benchmark BenchmarkViewerFirstView (frontend/e2e_test.go). Each of LOADS rounds opens the map three
// times, each browser on a fresh profile: "launch" (the moment Chromium has started), "cold" (the first
// visit from a running browser: empty cache) and "warm" (a reload: assets cached and revalidated).
// "First view" ends when the map has drawn every tile of the view (MapLibre's first idle). The warm
// load is profiled to tell how much of it the software WebGL (SwiftShader) spends compiling and
// linking shaders, which a real GPU does in a few milliseconds. Prints one JSON line.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.YITU_URL;
const at = process.env.YITU_AT ?? '18/37.18/119.94'; // zoom/lat/lon
const loads = Number(process.env.LOADS ?? 1);
if (!base) throw new Error('YITU_URL must be set');

// launch starts Chromium on a fresh profile (empty cache).
async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'yitu-firstview-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const close = async () => {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, page, close };
}

// load opens the viewer and waits for its first view; with shaders, it profiles the main thread to
// tell the time spent compiling and linking WebGL programs.
async function load(ctx, page, shaders) {
  let cdp;
  if (shaders) {
    cdp = await ctx.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
    await cdp.send('Profiler.start');
  }
  const t0 = Date.now();
  await page.goto(`${base}/map/?load=${Date.now()}#map=${at}`);
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor({ timeout: 180_000 });
  const wall = Date.now() - t0;
  const m = await page.evaluate(() => {
    const mark = (n) => Math.round(performance.getEntriesByName(n)[0]?.startTime ?? NaN);
    const nav = performance.getEntriesByType('navigation')[0];
    const bytes = performance.getEntriesByType('resource').reduce((s, r) => s + r.transferSize, nav.transferSize);
    return { dcl: Math.round(nav.domContentLoadedEventEnd), style: mark('yitu:style'), load: mark('yitu:load'), idle: mark('yitu:idle'), bytes };
  });
  const out = { wall, ...m };
  if (cdp) {
    const { profile: p } = await cdp.send('Profiler.stop');
    const shader = new Set(p.nodes.filter((n) => ['getProgramParameter', 'getShaderParameter', 'linkProgram', 'compileShader'].includes(n.callFrame.functionName)).map((n) => n.id));
    let us = 0;
    p.samples.forEach((id, k) => {
      if (shader.has(id)) us += p.timeDeltas[k] ?? 0;
    });
    out.shaders = Math.round(us / 1000);
  }
  return out;
}

const rounds = [];
for (let i = 0; i < loads; i++) {
  const round = {};
  // launch: the viewer opened the moment the browser has started, while Chromium's own start-up work
  // (its GPU process, its built-in pages) still runs beside it.
  {
    const b = await launch();
    round.launch = await load(b.ctx, b.page, false);
    await b.close();
  }
  // cold: the first visit from a browser that is already running (as a user's is), with an empty
  // cache; warm: a reload (assets cached and revalidated).
  {
    const b = await launch();
    await b.page.goto('about:blank');
    await b.page.waitForTimeout(3000);
    round.cold = await load(b.ctx, b.page, false);
    round.warm = await load(b.ctx, b.page, true);
    await b.close();
  }
  rounds.push(round);
}
console.log(JSON.stringify(rounds));
