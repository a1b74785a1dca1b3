// End-to-end test of the one-map viewer in Debian's Chromium, driven by playwright-core. The Go test
// (frontend/e2e_test.go) starts `yitu serve` over a database with the city loaded and runs this script
// with YITU_URL (the server), YITU_ARTIFACTS (where screenshots go) and YITU_EXPECT (JSON: what the
// database holds: a building, a road, a pipe and the checks to run). It prints one line per check and
// a closing summary, and exits 1 when any check failed.
import { hazmatOrange, metres, session, until } from './session.mjs';

const base = process.env.YITU_URL;
const artifacts = process.env.YITU_ARTIFACTS;
const expect = JSON.parse(process.env.YITU_EXPECT ?? '{}');
if (!base || !artifacts) throw new Error('YITU_URL and YITU_ARTIFACTS must be set');
const { page, check, inkOf, coloursOf, inkNear, inkCentre, pagePoint, openAt, finish } = await session({ base, artifacts });
const wants = (c) => !expect.checks || expect.checks.includes(c);

function hashView() {
  return page.evaluate(() => {
    const m = /map=([\d.]+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(location.hash);
    return m ? { zoom: +m[1], lat: +m[2], lon: +m[3] } : null;
  });
}

let firstView = null;
let timing = null;
const start = expect.building ?? expect.start;
await check('page loads and the map draws', async () => {
  const t0 = Date.now();
  await page.goto(`${base}/map/#map=18/${start.lat}/${start.lon}`, { waitUntil: 'domcontentloaded' });
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
  firstView = Date.now() - t0;
  const groups = await page.locator('.layer-group .group-title').allTextContents();
  for (const g of ['基础底图', '地下管线', '三维模型', ...(expect.live ? ['实时监测'] : [])]) if (!groups.includes(g)) throw new Error(`layer tree groups ${JSON.stringify(groups)} lack ${g}`);
  // Legends drawn from the style: the buildings' swatch, the pipes by type with their Chinese names.
  await page.locator('[data-layer="basemap.building"] .layer-row .swatch').waitFor();
  const pipes = page.locator('[data-layer="pipeline.segment"]');
  await pipes.locator('.expand').click();
  await pipes.locator('.legend li', { hasText: '给水' }).waitFor();
  await pipes.locator('.expand').click();
  // The 3D tilesets are listed under 三维模型, the stored model by its Chinese title.
  const models = page.locator('.layer-group[data-group=twin]');
  for (const name of ['buildings', 'pipelines', expect.model.tileset]) await models.locator(`[data-tileset="${name}"]`).waitFor();
  const title = await models.locator(`[data-tileset="${expect.model.tileset}"] .layer-title`).innerText();
  if (title !== expect.model.title) throw new Error(`the model is listed as ${title}, not ${expect.model.title}`);
  const marks = await page.evaluate(() => {
    const at = (name) => Math.round(performance.getEntriesByName(name)[0]?.startTime ?? NaN);
    const nav = performance.getEntriesByType('navigation')[0];
    return { dcl: Math.round(nav.domContentLoadedEventEnd), style: at('yitu:style'), load: at('yitu:load'), idle: at('yitu:idle') };
  });
  timing = marks;
  return `first view in ${firstView} ms: DOMContentLoaded ${marks.dcl} ms, style and catalog ${marks.style} ms, map loaded ${marks.load} ms, drawn ${marks.idle} ms`;
});

if (wants('tiles')) await check('base map tiles render', async () => {
  const { ink, colours } = await inkOf('[data-testid=map2d] canvas');
  if (ink < 0.02 || colours < 8) throw new Error(`the map canvas looks blank: ${(ink * 100).toFixed(1)}% ink, ${colours} colours`);
  return `${(ink * 100).toFixed(1)}% ink, ${colours} colours`;
});

if (wants('identify')) await check('clicking a known building shows its attributes', async () => {
  const box = await page.locator('[data-testid=map2d] canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  const panel = page.locator('.attributes');
  await panel.locator('td[data-field=id]', { hasText: new RegExp(`^${expect.building.id}$`) }).waitFor();
  const text = await panel.innerText();
  for (const w of expect.building.text ?? []) if (!text.includes(w)) throw new Error(`the attributes panel lacks ${w}: ${text}`);
  // The pointer's Gauss-Krüger coordinates (proj4, loaded after the first view) in zone 40.
  const gk = await page.locator('[data-coord=gk]').innerText();
  if (!/X 41\d{5}\.\d\d Y 40\d{6}\.\d\d/.test(gk)) throw new Error(`the status bar shows ${gk}`);
  return `building ${expect.building.id}; pointer at ${gk}`;
});

if (wants('search')) await check('search finds a road by its Chinese name and flies there', async () => {
  await page.locator('.attributes .close').click().catch(() => {});
  const input = page.locator('.search input');
  await input.fill(expect.road.name);
  await page.locator('.search-results li', { hasText: expect.road.name }).first().waitFor();
  await page.locator('.search-results li', { hasText: expect.road.name }).first().click();
  // The street is several segments with one name: the map must centre on it (inside its extent, with a
  // margin of 50 m) at a street-level zoom.
  const [w, so, e, n] = expect.road.bbox;
  const margin = 50 / 111_000;
  await page.waitForFunction(
    ([w, so, e, n, dLat, dLon]) => {
      const m = /map=([\d.]+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(location.hash);
      return !!m && +m[1] >= 15 && +m[3] >= w - dLon && +m[3] <= e + dLon && +m[2] >= so - dLat && +m[2] <= n + dLat;
    },
    [w, so, e, n, margin, margin / Math.cos((so * Math.PI) / 180)],
  );
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
  const v = await hashView();
  const mid = { lon: (w + e) / 2, lat: (so + n) / 2 };
  return `${expect.road.name}: centre ${metres(v, mid).toFixed(0)} m from the street's middle, zoom ${v.zoom}`;
});

// Live objects: a hazmat truck, a stale fire team and a water-level sensor that the Go test registered
// and fed through the HTTP API (expect.live).
const live = expect.live;
const liveZoom = 17;
if (wants('live') && live) await check('live: the 实时监测 group with its legends, and the hazmat truck drawn at its place', async () => {
  await openAt(live.truck, liveZoom);
  const group = page.locator('.layer-group[data-group=live]');
  const title = await group.locator('.group-title').innerText();
  if (title !== '实时监测') throw new Error(`the live group is titled ${title}`);
  for (const l of ['live.hazmat', 'live.vehicle', 'live.team', 'live.sensor', 'live.camera', 'live.hotspot']) {
    await group.locator(`[data-layer="${l}"] .layer-row img.swatch`).waitFor();
  }
  const hazmat = group.locator('[data-layer="live.hazmat"]');
  await hazmat.locator('.expand').click();
  await hazmat.locator('.legend li', { hasText: '危化品运输车' }).locator('img.swatch').waitFor();
  await page.locator('[data-testid=map2d][data-live="3"]').waitFor();
  const at = await pagePoint(live.truck, live.truck, liveZoom);
  const { n } = await until(10_000, async () => {
    const n = await inkNear(at, hazmatOrange);
    return { ok: n >= 20, n, why: `${n} pixels of the hazmat orange where the truck is` };
  });
  await hazmat.locator('.expand').click();
  return `3 live objects; ${n} orange pixels at the truck`;
});

if (wants('live') && live) await check("live: clicking the truck shows its card with plate, UN number and class", async () => {
  const at = await pagePoint(live.truck, live.truck, liveZoom);
  await page.mouse.click(at.x, at.y);
  const card = page.locator(`.attributes .live-card[data-live-id="${live.truck.id}"]`);
  await card.waitFor();
  const field = (k) => card.locator(`tr[data-field=${k}] td`).innerText();
  const [plate, un, cls, time] = [await field('plate'), await field('un'), await field('hazard_class'), await field('time')];
  if (plate !== live.truck.plate) throw new Error(`the card's plate is ${plate}`);
  if (!un.startsWith(live.truck.un)) throw new Error(`the card's UN number is ${un}`);
  if (cls !== live.truck.class) throw new Error(`the card's class is ${cls}`);
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（\d+ (秒|分钟)前）$/.test(time)) throw new Error(`the card's time reads ${time}`);
  return `${plate} ${un} ${cls}, ${time}`;
});

if (wants('live') && live) await check("live: a sensor's card shows its kind, value and a chart of its last 24 hours", async () => {
  await page.locator('.attributes .close').click();
  const at = await pagePoint(live.truck, live.sensor, liveZoom);
  await page.mouse.click(at.x, at.y);
  const card = page.locator(`.attributes .live-card[data-live-id="${live.sensor.id}"]`);
  await card.waitFor();
  const kind = await card.locator('tr[data-field=sensor_kind] td').innerText();
  const value = await card.locator('tr[data-field=value] td').innerText();
  if (kind !== '水位' || !/^\d+(\.\d+)? m$/.test(value)) throw new Error(`the card reads ${kind}, ${value}`);
  const canvas = card.locator('.live-chart[data-state=ok] canvas').first();
  await canvas.waitFor();
  const box = await canvas.boundingBox();
  if (!box || box.width < 150 || box.height < 80) throw new Error(`the chart's canvas is ${JSON.stringify(box)}`);
  const { ink } = await inkOf(`.live-card[data-live-id="${live.sensor.id}"] .live-chart canvas`);
  if (ink < 0.01) throw new Error(`the chart looks empty: ${(ink * 100).toFixed(1)}% ink`);
  return `${live.sensor.name}: ${kind} ${value}; chart ${Math.round(box.width)}×${Math.round(box.height)} px, ${(ink * 100).toFixed(1)}% ink`;
});

if (wants('live') && live) await check('live: the team that stopped reporting is marked so', async () => {
  await page.locator('.attributes .close').click();
  const at = await pagePoint(live.truck, live.team, liveZoom);
  await page.mouse.click(at.x, at.y);
  const card = page.locator(`.attributes .live-card.stale[data-live-id="${live.team.id}"]`);
  await card.waitFor();
  const status = await card.locator('tr[data-field=stale] td').innerText();
  const name = await card.locator('[data-field=title]').innerText();
  if (status !== '超时未上报' || name !== live.team.name) throw new Error(`the team's card reads ${name}: ${status}`);
  return `${name}: ${status}`;
});

if (wants('live') && live) await check('live: a new position moves the truck on the map and in its card within 10 s', async () => {
  await page.locator('.attributes .close').click();
  const from = await pagePoint(live.truck, live.truck, liveZoom);
  const to = await pagePoint(live.truck, live.truck.next, liveZoom);
  await page.mouse.click(from.x, from.y);
  const card = page.locator(`.attributes .live-card[data-live-id="${live.truck.id}"]`);
  await card.waitFor();
  const before = await inkNear(to, hazmatOrange);
  const t0 = Date.now();
  const { next } = live.truck;
  const resp = await fetch(`${base}/live/positions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${live.device_token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify([{ id: live.truck.id, time: new Date().toISOString(), lon: next.lon, lat: next.lat, speed: next.speed, heading: next.heading }]),
  });
  if (resp.status !== 202) throw new Error(`POST /live/positions: ${resp.status} ${await resp.text()}`);
  const r = await until(10_000, async () => {
    const [atNew, atOld, speed] = [await inkNear(to, hazmatOrange), await inkNear(from, hazmatOrange), await card.locator('tr[data-field=speed] td').innerText()];
    return {
      ok: atNew >= 20 && atOld < 10 && speed === `${next.speed} km/h`,
      atNew,
      atOld,
      why: `after ${Date.now() - t0} ms: ${atNew} orange pixels at the new place (${before} before), ${atOld} at the old one; the card's speed ${speed}`,
    };
  });
  return `moved in ${Date.now() - t0} ms (${Math.round(Math.hypot(to.x - from.x, to.y - from.y))} px): ${r.atNew} orange pixels at the new place, ${r.atOld} at the old`;
});

if (wants('live') && wants('3d') && live) await check('live: 3D shows the live objects and a pick on the truck opens its card', async () => {
  await openAt(live.truck.next, liveZoom);
  await page.locator('[data-mode="3d"]').click();
  await page.locator('[data-testid=map3d][data-live="3"]').waitFor();
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  // The camera looks at the truck's place; over terrain its icon stands a little off the centre, so
  // click the icon itself (its orange pixels near the centre).
  const box = await page.locator('[data-testid=map3d] canvas').first().boundingBox();
  const around = { x: box.x + box.width / 2 - 80, y: box.y + box.height / 2 - 80, width: 160, height: 160 };
  const icon = await inkCentre(around, hazmatOrange);
  if (!icon || icon.n < 20) throw new Error(`no truck drawn near the centre of the 3D view (${icon?.n ?? 0} orange pixels)`);
  await page.mouse.click(icon.x, icon.y);
  const card = page.locator(`.attributes .live-card[data-live-id="${live.truck.id}"]`);
  await card.waitFor();
  return `picked ${await card.locator('[data-field=title]').innerText()}`;
});

if (wants('3d')) await check('3D loads the buildings and pipelines tilesets and a pick returns the id', async () => {
  await page.locator('.search input').fill('');
  await openAt(expect.building);
  await page.locator('[data-mode="3d"]').click();
  await page.locator(`[data-testid=map3d][data-tilesets~=buildings][data-tilesets~=pipelines][data-tilesets~="${expect.model.tileset}"]`).waitFor();
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  const box = await page.locator('[data-testid=map3d] canvas').first().boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('.attributes td[data-field=id]', { hasText: new RegExp(`^${expect.building.id}$`) }).waitFor();
  return `picked building ${expect.building.id}`;
});

if (wants('3d')) await check('a 3D model from the layer tree: zoom to it and pick it', async () => {
  // The CityJSON block is listed too, hidden at first (the buildings tileset shows its buildings).
  await page.locator(`[data-tileset="${expect.cim}"]`).waitFor();
  const row = page.locator(`[data-tileset="${expect.model.tileset}"]`);
  await row.locator('.expand').click();
  await row.locator('.layer-detail .link').click(); // 定位: the camera flies to the model
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  // The extruded base-map buildings stand where the photographed ones do: hide them, then look at one
  // of the model's buildings (a coordinate typed in the search box) and click it.
  await page.locator('[data-tileset=buildings] input[type=checkbox]').uncheck();
  await page.locator('.search input').fill(`${expect.model.lon.toFixed(7)}, ${expect.model.lat.toFixed(7)}`);
  await page.locator('.search-results li').first().click();
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  const box = await page.locator('[data-testid=map3d] canvas').first().boundingBox();
  const centre = { x: box.x + box.width / 2 - 20, y: box.y + box.height / 2 - 20, width: 40, height: 40 };
  const before = await coloursOf(centre);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  // The pick finds the base-map building under the point inside the one-mesh model (logical 单体化;
  // the one in front of the aimed one, in a tilted view): its card names the model and the height
  // measured on the mesh, which is the surveyed height of that building, and the model is coloured there.
  await page.locator('.attributes td[data-field=model]', { hasText: expect.model.title }).waitFor();
  const id = await page.locator('.attributes td[data-field=id]').innerText();
  const surveyed = expect.model.heights[id];
  if (surveyed === undefined) throw new Error(`picked ${id}, not one of the model's ${Object.keys(expect.model.heights).length} buildings`);
  const h = page.locator('.attributes td[data-field=mesh-height]');
  const height = Number(await h.getAttribute('data-max')) - Number(await h.getAttribute('data-min'));
  if (!(Math.abs(height - surveyed) < 3)) throw new Error(`building ${id}: ${height.toFixed(1)} m on the mesh, ${surveyed} m surveyed`);
  await page.locator('[data-testid=map3d][data-state=idle]').waitFor();
  const after = await coloursOf(centre);
  let changed = 0;
  for (const [k, n] of Object.entries(after.counts)) changed += Math.max(0, n - (before.counts[k] ?? 0));
  if (changed / after.total < 0.2) throw new Error(`the picked building is not coloured: ${((100 * changed) / after.total).toFixed(1)}% of the pixels at the pick changed`);
  return `picked building ${id} in ${expect.model.title} (${expect.model.tileset}), ${height.toFixed(1)} m on the mesh, ${surveyed} m surveyed; ${expect.cim} listed`;
});

if (wants('events')) await check('tiles reload when the data changes: a building deleted through the API vanishes', async () => {
  await openAt(expect.building);
  // Below the building's label, inside its footprint: mostly the building's fill colour.
  const box = await page.locator('[data-testid=map2d] canvas').boundingBox();
  const clip = { x: box.x + box.width / 2 - 10, y: box.y + box.height / 2 + 14, width: 20, height: 12 };
  const before = await coloursOf(clip);
  const resp = await fetch(`${base}/collections/basemap.building/items/${expect.building.id}`, {
    method: 'DELETE',
    headers: { Authorization: `Bearer ${expect.token}` },
  });
  if (resp.status !== 204) throw new Error(`DELETE building ${expect.building.id}: ${resp.status} ${await resp.text()}`);
  await page.locator('.toast', { hasText: '数据已更新' }).waitFor();
  await page.locator('[data-testid=map2d][data-state=idle]').waitFor();
  const after = await coloursOf(clip);
  const share = (c) => (c.counts[before.top] ?? 0) / c.total;
  if (share(after) > share(before) / 2) {
    throw new Error(`the building's colour ${before.top} still covers ${(share(after) * 100).toFixed(0)}% of its spot (${(share(before) * 100).toFixed(0)}% before)`);
  }
  return `its colour covered ${(share(before) * 100).toFixed(0)}% of the spot, now ${(share(after) * 100).toFixed(0)}%`;
});

await finish({ firstViewMs: firstView, timing });
