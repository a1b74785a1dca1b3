// The 3D view's camera and underground mode, in Debian's Chromium (playwright-core): the Go test
// (frontend/e2e_view3d_test.go) starts `yitu serve` over the test city (its DEM as terrain, its
// pipelines as 3D Tiles) and runs this script with YITU_URL, YITU_ARTIFACTS and YITU_EXPECT
// ({"pipe": {id, lon, lat, depth}}: the middle of the longest gas pipe; "split": the oblique set,
// split by building, and a building in it). The camera is read from the
// 3D view's data-camera (centre lon, lat, zoom, heading, Cesium pitch in degrees).
import { metres, session } from './session.mjs';

const base = process.env.YITU_URL;
const artifacts = process.env.YITU_ARTIFACTS;
const expect = JSON.parse(process.env.YITU_EXPECT ?? '{}');
if (!base || !artifacts || !expect.pipe) throw new Error('YITU_URL, YITU_ARTIFACTS and YITU_EXPECT must be set');
const { page, check, shot, pixels, openAt, finish } = await session({ base, artifacts });
const { pipe } = expect;
const globeSel = '[data-testid=map3d]';

const idle3D = async () => {
  await page.locator(`${globeSel}[data-state=idle]`).waitFor();
  await page.waitForTimeout(1000); // the last tiles' frame
  await page.locator(`${globeSel}[data-state=idle]`).waitFor();
};
const camera = async () => {
  const [lon, lat, zoom, heading, pitch] = (await page.locator(globeSel).getAttribute('data-camera')).split(' ').map(Number);
  return { lon, lat, zoom, heading, pitch };
};
/** The 2D map's view from the page's #map=zoom/lat/lon/bearing/pitch. */
const map2D = async () => {
  const m = /map=([-\d.]+)\/([-\d.]+)\/([-\d.]+)(?:\/([-\d.]+))?(?:\/([-\d.]+))?/.exec(await page.evaluate(() => location.hash));
  if (!m) throw new Error('no #map= in the URL');
  return { zoom: +m[1], lat: +m[2], lon: +m[3], bearing: +(m[4] ?? 0), pitch: +(m[5] ?? 0) };
};
/** Per band of rows (top fifth, bottom fifth) of a canvas screenshot: the share of pixels differing from their right neighbour. */
const edges = async (png) => {
  const { width: w, height: h, data: d } = await pixels(png);
  const band = (y0, y1) => {
    let n = 0;
    for (let y = y0; y < y1; y++)
      for (let x = 0; x + 1 < w; x++) {
        const i = (y * w + x) * 4;
        if (Math.abs(d[i] - d[i + 4]) + Math.abs(d[i + 1] - d[i + 5]) + Math.abs(d[i + 2] - d[i + 6]) > 30) n++;
      }
    return n / ((y1 - y0) * (w - 1));
  };
  return { top: band(Math.round(h * 0.05), Math.round(h * 0.25)), bottom: band(Math.round(h * 0.75), Math.round(h * 0.95)) };
};
/** Magenta pixels (the gas pipe's #ff00ff, lit and seen through the ground) in a box around the canvas's centre. */
const magentaAtCentre = async (r = 60) => {
  const box = await page.locator(`${globeSel} canvas`).first().boundingBox();
  const png = await page.screenshot({ clip: { x: box.x + box.width / 2 - r, y: box.y + box.height / 2 - r, width: 2 * r, height: 2 * r } });
  const { data: d } = await pixels(png);
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] - d[i + 1] > 40 && d[i + 2] - d[i + 1] > 40) n++;
  return n;
};

const zoom = 18;
const bearing = 20;
await check('3D opens tilted toward what the flat 2D map showed', async () => {
  await openAt(pipe, zoom, `/${bearing}/0`);
  await page.locator('[data-mode="3d"]').click();
  await page.locator(`${globeSel}[data-terrain=dem][data-tilesets~=pipelines]`).waitFor();
  await idle3D();
  const c = await camera();
  const png = await page.locator(`${globeSel} canvas`).first().screenshot();
  await shot('3d-opened');
  const e = await edges(png);
  const off = metres(c, pipe);
  const why = `pitch ${c.pitch}°, heading ${c.heading}°, centre ${off.toFixed(1)} m from the 2D centre, zoom ${c.zoom}; edges: top ${(e.top * 100).toFixed(1)}%, bottom ${(e.bottom * 100).toFixed(1)}%`;
  if (!(c.pitch >= -60 && c.pitch <= -30)) throw new Error(`not tilted: ${why}`);
  if (off > 3 || Math.abs(c.zoom - zoom) > 0.05 || Math.abs(c.heading - bearing) > 0.5) throw new Error(`another place: ${why}`);
  // Perspective: the far rows (top) show the ground smaller, so more edges per row than the near rows.
  if (!(e.top > e.bottom * 1.3)) throw new Error(`the top rows are not finer than the bottom rows: ${why}`);
  return why;
});

await check('2D → 3D → 2D keeps centre, zoom and bearing (the map gets its pitch back)', async () => {
  await page.locator('[data-mode="2d"]').click();
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
  await page.waitForTimeout(500);
  const v = await map2D();
  const off = metres(v, pipe);
  const why = `back in 2D: ${off.toFixed(2)} m from the first centre, zoom ${v.zoom} (${zoom}), bearing ${v.bearing} (${bearing}), pitch ${v.pitch}`;
  if (off > 3 || Math.abs(v.zoom - zoom) > 0.05 || Math.abs(v.bearing - bearing) > 0.5 || v.pitch !== 0) throw new Error(why);
  // And again into 3D: the same camera as the first time.
  await page.locator('[data-mode="3d"]').click();
  await idle3D();
  const c = await camera();
  if (metres(c, pipe) > 3 || Math.abs(c.zoom - zoom) > 0.05 || c.pitch < -60 || c.pitch > -30) throw new Error(`${why}; 3D again: ${JSON.stringify(c)}`);
  return `${why}; 3D again: ${metres(c, pipe).toFixed(2)} m off, zoom ${c.zoom}, pitch ${c.pitch}°`;
});

await check('the underground mode shows the buried gas pipe that the ground hides', async () => {
  await openAt(pipe, 20, `/${bearing}/0`);
  await page.locator('[data-mode="3d"]').click();
  await page.locator(`${globeSel}[data-terrain=dem][data-tilesets~=pipelines]`).waitFor();
  await page.locator('[data-tileset=buildings] input[type=checkbox]').uncheck(); // a building may stand in the line of sight
  await idle3D();
  const off = await magentaAtCentre();
  await shot('underground-off');
  await page.locator('[data-tool=underground]').click();
  await page.locator(`${globeSel}[data-underground]`).waitFor();
  await idle3D();
  const on = await magentaAtCentre();
  await shot('underground-on');
  const label = await page.locator('[data-tool=underground]').innerText();
  // Off again: the ground is opaque again and hides the pipe.
  await page.locator('[data-tool=underground]').click();
  await page.locator(`${globeSel}:not([data-underground])`).waitFor();
  await idle3D();
  const again = await magentaAtCentre();
  const why = `pipe ${pipe.id} (${pipe.depth.toFixed(1)} m deep): ${off} magenta pixels with the mode off, ${on} on, ${again} off again (button ${label})`;
  if (on < 40 || off * 4 > on || again * 4 > on) throw new Error(why);
  return why;
});

await check('a click in the oblique model split by building picks that building (physical 单体化)', async () => {
  const { split } = expect;
  await openAt(split, 19, `/${bearing}/0`);
  await page.locator('[data-mode="3d"]').click();
  await page.locator(`${globeSel}[data-tilesets~="${split.tileset}"]`).waitFor();
  await page.locator('[data-tileset=buildings] input[type=checkbox]').uncheck(); // the extruded base map stands where the photographed buildings do
  await idle3D();
  const box = await page.locator(`${globeSel} canvas`).first().boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  // The building in the line of sight: the aimed one or one in front of it, in this tilted view.
  await page.locator('.attributes td[data-field=model]', { hasText: split.title }).waitFor();
  const id = Number(await page.locator('.attributes td[data-field=id]').innerText());
  const layer = await page.locator('.attributes td[data-field=layer]').innerText();
  if (!split.buildings.includes(id) || layer !== '房屋') throw new Error(`picked ${id} (${layer}), not one of the model's ${split.buildings.length} buildings`);
  return `picked building ${id} (${layer}) in ${split.title}`;
});

await finish();
