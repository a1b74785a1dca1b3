// End-to-end test of the viewer's watch side (issue 14) in Debian's Chromium, driven by playwright-core.
// The Go test (frontend/e2e_watch_test.go) starts `yitu serve` over a database with the city loaded and
// live objects fed, and runs this script with YITU_URL, YITU_ARTIFACTS and YITU_EXPECT (see
// e2e_test.go's expectations). One line per check, a summary, exit 1 when any check failed.
import { hazmatOrange, session, until } from './session.mjs';

const base = process.env.YITU_URL;
const artifacts = process.env.YITU_ARTIFACTS;
const expect = JSON.parse(process.env.YITU_EXPECT ?? '{}');
if (!base || !artifacts) throw new Error('YITU_URL and YITU_ARTIFACTS must be set');
const live = expect.live;
const truck = live.truck;
const zoom = 17;

// Counts the beeps: every oscillator the page starts (alarms.ts beep).
const initScript = () => {
  window.__yituBeeps = 0;
  const C = window.AudioContext;
  if (C) {
    const make = C.prototype.createOscillator;
    C.prototype.createOscillator = function (...a) {
      window.__yituBeeps++;
      return make.apply(this, a);
    };
  }
};
const { page, check, inkNear, pagePoint, openAt, finish } = await session({ base, artifacts, initScript });

// Every request for /live/objects and every WebSocket frame the page receives.
const objectRequests = [];
const frames = [];
page.on('request', (r) => {
  if (new URL(r.url()).pathname === '/live/objects') objectRequests.push(r.url());
});
page.on('websocket', (ws) => {
  if (!ws.url().includes('/live/ws')) return;
  ws.on('framereceived', (f) => {
    try {
      frames.push(JSON.parse(f.payload));
    } catch {
      frames.push({ type: 'not json', payload: String(f.payload) });
    }
  });
});

async function push(lon, lat, speed = 40) {
  const resp = await fetch(`${base}/live/positions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${live.device_token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify([{ id: truck.id, time: new Date().toISOString(), lon, lat, speed, heading: truck.next.heading }]),
  });
  if (resp.status !== 202) throw new Error(`POST /live/positions: ${resp.status} ${await resp.text()}`);
}

const api = async (path, init = {}) => {
  const resp = await fetch(`${base}${path}`, { ...init, headers: { Authorization: `Bearer ${expect.token}`, 'Content-Type': 'application/json', ...init.headers } });
  const body = resp.status === 204 ? null : await resp.json();
  if (!resp.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${resp.status} ${JSON.stringify(body)}`);
  return body;
};

const hash = () => page.evaluate(() => location.hash);
const checked = (layer) => page.locator(`[data-layer="${layer}"] .layer-row input[type=checkbox]`).first().isChecked();

await check('a link with place, bearing and layers opens that view', async () => {
  const layers = ['basemap.building', 'live.hazmat', 'live.vehicle', 'live.sensor'];
  await openAt(truck, zoom, `/30&mode=2d&layers=${layers.join(',')}`);
  await page.locator('[data-layer="live.team"]').waitFor();
  const [team, hazmat, building, road] = [await checked('live.team'), await checked('live.hazmat'), await checked('basemap.building'), await checked('basemap.road')];
  if (team || !hazmat || !building || road) throw new Error(`layer checkboxes: team ${team}, hazmat ${hazmat}, building ${building}, road ${road}`);
  // The team is hidden: two of the three live objects are drawn.
  await page.locator('[data-testid=map2d][data-live="2"]').waitFor();
  const h = await hash();
  const m = /map=([\d.]+)\/(-?[\d.]+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(h);
  if (!m || +m[1] !== zoom || Math.abs(+m[4] - 30) > 0.5) throw new Error(`the hash became ${h}`);
  if (Math.abs(+m[2] - truck.lat) > 1e-4 || Math.abs(+m[3] - truck.lon) > 1e-4) throw new Error(`the map moved: ${h}`);
  if (!h.includes('mode=2d') || !/layers=[^&]*live\.hazmat/.test(h) || /layers=[^&]*live\.team/.test(h)) throw new Error(`the hash lost the state: ${h}`);
  // A change of the layers is written back, so a copied link has it.
  await page.locator('[data-layer="live.team"] .layer-row input[type=checkbox]').first().check();
  await page.waitForFunction(() => /layers=[^&]*live\.team/.test(location.hash));
  return h;
});

await check('a link with mode=3d opens the 3D view there', async () => {
  await page.goto(`${base}/map/?load=${Date.now()}#map=${zoom}/${truck.lat}/${truck.lon}&mode=3d`);
  await page.locator('[data-mode="3d"].on').waitFor();
  await page.locator('[data-testid=map3d][data-live="3"]').waitFor();
  const h = await hash();
  if (!h.includes('mode=3d')) throw new Error(`the hash is ${h}`);
  return h;
});

await check('a pushed position moves the truck, through the WebSocket, with no polling', async () => {
  objectRequests.length = 0;
  frames.length = 0;
  await openAt(truck, zoom);
  await page.locator('[data-testid=map2d][data-live="3"]').waitFor();
  const snapshots = frames.filter((f) => f.type === 'snapshot');
  if (!snapshots.length) throw new Error(`no snapshot came over the WebSocket (${frames.length} frames)`);
  const from = await pagePoint(truck, truck, zoom);
  const to = await pagePoint(truck, truck.next, zoom);
  await push(truck.next.lon, truck.next.lat, truck.next.speed);
  const r = await until(20_000, async () => {
    const [atNew, atOld] = [await inkNear(to, hazmatOrange), await inkNear(from, hazmatOrange)];
    return { ok: atNew >= 20 && atOld < 10, atNew, atOld, why: `${atNew} orange pixels at the new place, ${atOld} at the old` };
  });
  const moved = frames.find((f) => f.type === 'position' && f.id === truck.id && Math.abs(f.lon - truck.next.lon) < 1e-7 && Math.abs(f.lat - truck.next.lat) < 1e-7);
  if (!moved) throw new Error(`the position did not come over the WebSocket: ${JSON.stringify(frames.map((f) => f.type))}`);
  if (objectRequests.length) throw new Error(`the page asked for /live/objects: ${objectRequests.join(', ')}`);
  return `${frames.length} frames, the position among them; ${r.atNew} orange pixels at the new place; no /live/objects request`;
});

await check('sign in with a token', async () => {
  await page.locator('[data-testid=watch] [data-tab=account]').click();
  await page.locator('.account input[name=token]').fill(expect.token);
  await page.locator('[data-action=sign-in]').click();
  await page.locator('[data-field=signed-in]', { hasText: '已登录' }).waitFor();
  const stored = await page.evaluate(() => localStorage.getItem('yitu.token'));
  if (stored !== expect.token) throw new Error('the token was not kept');
  return 'signed in';
});

let alarmId = '';
await check('a fence violation raises an alarm in the panel, with a beep; a click shows its evidence', async () => {
  const d = expect.live.truck.fence_size / 2;
  const { lon, lat } = truck.fence;
  const dLon = d / Math.cos((lat * Math.PI) / 180);
  const fence = await api('/live/fences', {
    method: 'POST',
    body: JSON.stringify({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [[[lon - dLon, lat - d], [lon + dLon, lat - d], [lon + dLon, lat + d], [lon - dLon, lat + d], [lon - dLon, lat - d]]] },
      properties: { name: '测试加油站', rules: [{ kind: 'enter', level: 'red' }], applies_to: { kinds: ['vehicle'] } },
    }),
  });
  await page.locator('[data-testid=watch] [data-tab=alarms]').click();
  const beeps0 = await page.evaluate(() => window.__yituBeeps);
  // Out and in again until the hub has the fence (it follows the table through a notification).
  const item = page.locator('.alarm-list li[data-alarm-kind=enter][data-state=raised]');
  await until(60_000, async () => {
    if ((await item.count()) > 0) return { ok: true };
    await push(truck.next.lon, truck.next.lat);
    await push(lon, lat);
    await page.waitForTimeout(1500);
    return { ok: (await item.count()) > 0, why: `no enter alarm in the panel for fence ${fence.properties?.id ?? fence.id}` };
  });
  alarmId = await item.first().getAttribute('data-alarm-id');
  const colour = await item.first().locator('.level').evaluate((e) => getComputedStyle(e).backgroundColor);
  if (colour !== 'rgb(214, 51, 108)') throw new Error(`the red level is drawn ${colour}`);
  const beeps = await page.evaluate(() => window.__yituBeeps);
  if (beeps <= beeps0) throw new Error('no beep for a new red alarm');
  await item.first().click();
  const detail = page.locator(`.alarm-detail[data-alarm-id="${alarmId}"]`);
  await detail.locator('.evidence td').first().waitFor();
  const ev = await detail.locator('.evidence').innerText();
  if (!ev.includes(lon.toFixed(5).slice(0, 7))) throw new Error(`the evidence reads ${ev}`);
  // The map flew to it.
  await page.waitForFunction(
    ([lon, lat]) => {
      const m = /map=([\d.]+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(location.hash);
      return !!m && Math.abs(+m[2] - lat) < 5e-4 && Math.abs(+m[3] - lon) < 5e-4;
    },
    [lon, lat],
  );
  return `alarm ${alarmId}, ${beeps - beeps0} beep(s); evidence ${ev.replace(/\s+/g, ' ')}`;
});

await check('acknowledge from the panel: its state changes on the server', async () => {
  const detail = page.locator(`.alarm-detail[data-alarm-id="${alarmId}"]`);
  await detail.locator('.ack input').fill('已派员核查');
  await detail.locator('[data-action=ack]').click();
  await page.locator(`.alarm-list li[data-alarm-id="${alarmId}"][data-state=acknowledged]`).waitFor();
  const got = await api(`/live/alarms/${encodeURIComponent(alarmId)}`);
  if (got.alarm.state !== 'acknowledged' || got.alarm.ack_note !== '已派员核查') throw new Error(`GET /live/alarms/${alarmId}: ${JSON.stringify(got.alarm)}`);
  return `${got.alarm.state} by ${got.alarm.ack_by}`;
});

await check('an editor draws a polygon fence on the map and it is stored', async () => {
  await openAt(truck, zoom);
  await page.locator('[data-testid=watch] [data-tab=fences]').click();
  await page.locator('[data-action=draw-polygon]').click();
  const box = await page.locator('[data-testid=map2d] canvas').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  // A triangle north-east of the truck, clear of the live objects.
  await page.mouse.click(cx + 120, cy - 160);
  await page.mouse.click(cx + 260, cy - 160);
  await page.mouse.dblclick(cx + 190, cy - 60);
  const form = page.locator('.fence-form');
  await form.waitFor();
  await form.locator('input[name=name]').fill('浏览器绘制围栏');
  await form.locator('input[name=rules]').fill('enter, exit');
  await form.locator('[data-action=save-fence]').click();
  await page.locator('.fence-list li', { hasText: '浏览器绘制围栏' }).waitFor();
  const fc = await api('/live/fences');
  const f = fc.features.find((x) => x.properties.name === '浏览器绘制围栏');
  if (!f) throw new Error(`GET /live/fences lacks it: ${JSON.stringify(fc.features.map((x) => x.properties.name))}`);
  const ring = f.geometry.coordinates[0];
  if (f.geometry.type !== 'Polygon' || ring.length !== 4) throw new Error(`stored as ${JSON.stringify(f.geometry)}`);
  const kinds = f.properties.rules.map((r) => r.kind).join(',');
  if (kinds !== 'enter,exit') throw new Error(`its rules are ${kinds}`);
  // North-east of the truck, as drawn.
  if (!ring.slice(0, 3).every(([lo, la]) => lo > truck.lon && la > truck.lat)) throw new Error(`its ring ${JSON.stringify(ring)} is not north-east of the truck`);
  return `fence ${f.properties.id}: ${JSON.stringify(ring)}`;
});

await check('replay at a past time shows the truck where it was then; back to live it is gone from there', async () => {
  const past = truck.past;
  await openAt(past, zoom);
  await page.locator('[data-testid=map2d][data-live]').waitFor();
  const at = await pagePoint(past, past, zoom);
  const before = await inkNear(at, hazmatOrange);
  if (before >= 10) throw new Error(`${before} orange pixels where the truck was before the replay`);
  await page.locator('[data-testid=watch] [data-tab=replay]').click();
  const t = Math.floor((Date.parse(past.time) + 60_000) / 1000) * 1000; // a minute after that fix
  await page.locator('[data-testid=replay-slider]').evaluate((el, v) => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    set.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
  const iso = new Date(t).toISOString();
  await page.locator(`[data-testid=map2d][data-replay="${iso}"]`).waitFor();
  const r = await until(20_000, async () => {
    const n = await inkNear(at, hazmatOrange);
    return { ok: n >= 20, n, why: `${n} orange pixels where the truck was at ${iso}` };
  });
  await page.locator('[data-action=live]').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid=map2d]').hasAttribute('data-replay'));
  await until(20_000, async () => {
    const n = await inkNear(at, hazmatOrange);
    return { ok: n < 10, why: `${n} orange pixels there after going back to live` };
  });
  return `at ${iso}: ${r.n} orange pixels at its place then`;
});

await finish();
