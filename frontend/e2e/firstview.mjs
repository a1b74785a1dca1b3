// Time to first view of the one-map viewer in Debian's Chromium (playwright-core), for the Go
// benchmark BenchmarkViewerFirstView (frontend/e2e_test.go). Each of LOADS rounds starts a fresh
// browser profile and opens the map twice: cold (empty cache) and warm (a reload: assets cached and
// revalidated). "First view" ends when the map has drawn every tile of the view (MapLibre's first
// idle). The warm load is profiled to tell how much of it the software WebGL (SwiftShader) spends
// compiling and linking shaders, which a real GPU does in a few milliseconds. Prints one JSON line.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.YITU_URL;
const at = process.env.YITU_AT ?? '18/37.18/119.94'; // zoom/lat/lon
const loads = Number(process.env.LOADS ?? 1);
if (!base) throw new Error('YITU_URL must be set');

const rounds = [];
for (let i = 0; i < loads; i++) {
  const profile = mkdtempSync(join(tmpdir(), 'yitu-firstview-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const round = {};
  for (const kind of ['cold', 'warm']) {
    let cdp;
    if (kind === 'warm') {
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
    round[kind] = { wall, ...m };
    if (cdp) {
      const { profile: p } = await cdp.send('Profiler.stop');
      const shader = new Set(p.nodes.filter((n) => ['getProgramParameter', 'getShaderParameter', 'linkProgram', 'compileShader'].includes(n.callFrame.functionName)).map((n) => n.id));
      let us = 0;
      p.samples.forEach((id, k) => {
        if (shader.has(id)) us += p.timeDeltas[k] ?? 0;
      });
      round.warm.shaders = Math.round(us / 1000);
    }
  }
  rounds.push(round);
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(rounds));
