// The section tool, in Debian's Chromium (playwright-core): the Go test (frontend/e2e_section_test.go)
// starts `yitu serve` over the test city and runs this script with YITU_URL, YITU_ARTIFACTS and
// YITU_EXPECT ({"from": {no, lon, lat}, "to": {…}}: two boreholes about 60 m or more apart).
import { session } from './session.mjs';

const base = process.env.YITU_URL;
const artifacts = process.env.YITU_ARTIFACTS;
const expect = JSON.parse(process.env.YITU_EXPECT ?? '{}');
if (!base || !artifacts || !expect.from || !expect.to) throw new Error('YITU_URL, YITU_ARTIFACTS and YITU_EXPECT must be set');
const { page, check, pagePoint, openAt, finish } = await session({ base, artifacts });
const { from, to } = expect;
const zoom = 17;
const mid = { lon: (from.lon + to.lon) / 2, lat: (from.lat + to.lat) / 2 };
const panel = '[data-testid=section]';

await check('the section tool draws a line from borehole to borehole and the panel opens', async () => {
  await openAt(mid, zoom);
  await page.locator('[data-tool=section]').click();
  const a = await pagePoint(mid, from, zoom);
  const b = await pagePoint(mid, to, zoom);
  await page.mouse.click(a.x, a.y);
  await page.mouse.dblclick(b.x, b.y);
  await page.locator(`${panel}[data-state=ready]`).waitFor();
  return `${from.no} → ${to.no}`;
});

await check('the panel names both boreholes and the strata the line cuts', async () => {
  const s = page.locator(`${panel} .section-summary`);
  const holes = (await s.getAttribute('data-boreholes')).split(' ');
  const strata = Number(await s.getAttribute('data-strata'));
  for (const h of [from.no, to.no]) if (!holes.includes(h)) throw new Error(`borehole ${h} not in the section (${holes.join(', ')})`);
  if (!(strata >= 1)) throw new Error(`${strata} strata cut`);
  return `${holes.length} boreholes, ${strata} strata: ${await s.textContent()}`;
});

await check('the drawing is the server SVG, shown, and downloadable with the boreholes in it', async () => {
  const img = page.locator(`${panel} [data-testid=section-svg]`);
  const size = await img.evaluate(async (el) => {
    await el.decode();
    return { w: el.naturalWidth, h: el.naturalHeight, shown: el.getBoundingClientRect().height };
  });
  if (!(size.w > 0 && size.h > 0 && size.shown > 50)) throw new Error(`image ${JSON.stringify(size)}`);
  const href = await page.locator(`${panel} [data-testid=section-download]`).getAttribute('href');
  const svg = await page.evaluate((u) => fetch(u).then((r) => r.text()), href);
  if (!svg.startsWith('<svg') && !svg.startsWith('<?xml')) throw new Error(`not an SVG: ${svg.slice(0, 60)}`);
  for (const h of [from.no, to.no]) if (!svg.includes(h)) throw new Error(`borehole ${h} not drawn`);
  return `${size.w}×${size.h}, ${svg.length} bytes`;
});

await check('closing the panel removes it', async () => {
  await page.locator(`${panel} header button`).click();
  if ((await page.locator(panel).count()) !== 0) throw new Error('the panel is still there');
});

await finish();
