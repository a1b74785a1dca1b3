// The terrain in the viewer, in Debian's Chromium (playwright-core): the Go test (frontend/
// e2e_terrain_test.go) starts `yitu serve` over a database holding only the demo city's DEM and runs
// this script with YITU_URL, YITU_ARTIFACTS and YITU_EXPECT ({"hill": {lon, lat}}: the top of the
// demo's hill park). The 2D map shades the relief from the Terrarium tiles; the 3D view loads the
// quantized-mesh terrain (CesiumTerrainProvider decodes the tiles) and draws other pixels than the
// same view over a flat globe (the server's DEM list answered empty; note that the terrain mode also
// turns on the globe's lighting, which shades the hills and changes the flat parts' colour too).
import { session } from './session.mjs';

const base = process.env.YITU_URL;
const artifacts = process.env.YITU_ARTIFACTS;
const expect = JSON.parse(process.env.YITU_EXPECT ?? '{}');
if (!base || !artifacts || !expect.hill) throw new Error('YITU_URL, YITU_ARTIFACTS and YITU_EXPECT must be set');
const { page, check, pixels, inkOf, finish } = await session({ base, artifacts });
const { hill } = expect;

const terrainTiles = [];
const terrarium = [];
page.on('response', (r) => {
  if (/\/terrain\/\d+\/\d+\/\d+\.terrain/.test(r.url())) terrainTiles.push({ status: r.status(), type: r.headers()['content-type'] });
  if (/\/terrain\/terrarium\/\d+\/\d+\/\d+\.png/.test(r.url())) terrarium.push(r.status());
});

const open = async () => {
  await page.goto(`${base}/map/?load=${Date.now()}#map=15/${hill.lat - 0.006}/${hill.lon}/0/70`);
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
};

await check('2D: the hillshade draws the relief from Terrarium tiles', async () => {
  await open();
  await page.waitForFunction(() => true);
  const t0 = Date.now();
  while (terrarium.length === 0 && Date.now() - t0 < 60_000) await page.waitForTimeout(200);
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
  if (terrarium.length === 0 || terrarium.some((s) => s !== 200)) throw new Error(`Terrarium tiles: ${JSON.stringify(terrarium)}`);
  const { ink, colours } = await inkOf('[data-testid=map2d] canvas');
  if (colours < 40) throw new Error(`the map shows ${colours} colours: no shading`);
  return `${terrarium.length} Terrarium tiles, ${(ink * 100).toFixed(1)}% ink, ${colours} colours`;
});

async function globe() {
  await page.locator('[data-mode="3d"]').click();
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  await page.waitForTimeout(1500); // the last tiles' frame
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  return page.locator('[data-testid=map3d] canvas').first().screenshot();
}

let flat;
await check('3D without DEMs: the flat globe (reference)', async () => {
  await page.route(`${base}/terrain/`, (r) => r.fulfill({ json: { dems: [] } }));
  await open();
  flat = await globe();
  await page.unroute(`${base}/terrain/`);
  if ((await page.locator('[data-testid=map3d][data-terrain=dem]').count()) !== 0) throw new Error('terrain without DEMs');
});

await check('3D: the quantized-mesh terrain loads and the hills change the picture', async () => {
  terrainTiles.length = 0;
  await page.locator('[data-mode="2d"]').click();
  await open();
  await page.locator('[data-mode="3d"]').click();
  await page.locator('[data-testid=map3d][data-terrain=dem]').waitFor();
  const shot = await globe();
  if (terrainTiles.length === 0 || terrainTiles.some((t) => t.status !== 200 || !t.type.startsWith('application/vnd.quantized-mesh'))) {
    throw new Error(`terrain tiles: ${JSON.stringify(terrainTiles.slice(0, 5))}`);
  }
  const [x, y] = [(await pixels(flat)).data, (await pixels(shot)).data];
  let diff = 1;
  if (x.length === y.length) {
    let n = 0;
    for (let i = 0; i < x.length; i += 4) if (Math.abs(x[i] - y[i]) + Math.abs(x[i + 1] - y[i + 1]) + Math.abs(x[i + 2] - y[i + 2]) > 24) n++;
    diff = n / (x.length / 4);
  }
  if (diff < 0.05) throw new Error(`only ${(diff * 100).toFixed(1)}% of the pixels differ from the flat globe`);
  return `${terrainTiles.length} terrain tiles, ${(diff * 100).toFixed(1)}% of the pixels differ from the flat globe`;
});

await finish();
