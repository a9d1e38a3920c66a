/* dashboard.test.js: a business's dashboard in a headless browser, with
 * and without script: the Admin menu leads to it, the two SVG charts are
 * found by their accessible names (role img) and described, the legend
 * names each line's pattern, the failures table shows the latest error
 * and the live pauses show their reasons. tests/browser.sh seeds business
 * C (BT_C_*) with its rollups, a failure and a pause. Prints TAP; every
 * console or page error (a Content Security Policy violation is one)
 * fails the step it happens in. */
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const env = process.env;
for (const k of ['BT_URL', 'BT_ARTIFACTS', 'BT_PASSWORD', 'BT_C_SLUG', 'BT_C_ADMIN_EMAIL',
  'BT_C_ERROR', 'BT_C_PAUSE_REASON']) {
  if (!env[k]) {
    console.log(`Bail out! ${k} is not set: run this through tests/browser.sh`);
    process.exit(1);
  }
}
const BASE = env.BT_URL.replace(/\/$/, '');
const PAGE = '/admin/dashboard';
const SLUG = env.BT_C_SLUG;
const CHARTS = [
  { id: 'chart-minutes', name: 'Tasks started, succeeded and failed per minute, last hour', unit: 'per minute' },
  { id: 'chart-hours', name: 'Tasks started, succeeded and failed per hour, last 7 days', unit: 'per hour' },
];

let n = 0;
let failed = 0;
const errors = [];
let browser = null;

function note(text) {
  for (const l of String(text).split('\n')) console.log(`# ${l}`);
}
function check(cond, what, detail) {
  if (!cond) throw Object.assign(new Error(what), { detail });
}

/* One TAP point: fn must finish without an error and with no new console
 * or page error. */
async function point(name, fn) {
  n++;
  const before = errors.length;
  let err = null;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  const fresh = errors.slice(before);
  if (!err && fresh.length === 0) {
    console.log(`ok ${n} - ${name}`);
    return;
  }
  failed++;
  console.log(`not ok ${n} - ${name}`);
  if (err) note(err.detail ? `${err.message}\n${err.detail}` : (err.stack || String(err)));
  fresh.forEach(note);
}

function watched(page, label) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error (${label}): ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error (${label}): ${e.message}`));
  page.setDefaultTimeout(10000);
  return page;
}

async function logIn(page) {
  await page.goto(`${BASE}/login`);
  await page.locator('input[name="email"]').fill(env.BT_C_ADMIN_EMAIL);
  await page.locator('input[name="password"]').fill(env.BT_PASSWORD);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Log in' }).click()]);
  check(new URL(page.url()).pathname !== '/login', 'logged in', page.url());
}

/* The charts, found by role and accessible name, as assistive technology
 * finds them: each visible, described, with its axis titles and a legend
 * that names the three lines' patterns. */
async function chartsFound(page, label) {
  for (const c of CHARTS) {
    const chart = page.getByRole('img', { name: c.name, exact: true });
    check(await chart.count() === 1, `one image named "${c.name}"`, `found ${await chart.count()}`);
    await chart.waitFor({ state: 'visible' });
    const info = await chart.evaluate((svg) => {
      const desc = document.getElementById(svg.getAttribute('aria-describedby'));
      const box = svg.getBoundingClientRect();
      return {
        id: svg.id,
        tag: svg.localName,
        desc: desc ? desc.textContent : null,
        texts: [...svg.querySelectorAll('text')].map((t) => t.textContent),
        lines: svg.querySelectorAll('polyline').length,
        dashed: [...svg.querySelectorAll('polyline')].map((p) => p.getAttribute('stroke-dasharray') || 'solid'),
        width: box.width,
        height: box.height,
      };
    });
    check(info.tag === 'svg' && info.id === c.id, `${c.name}: an inline SVG`, JSON.stringify(info));
    check(/^Over the last .*: \d+ started, \d+ succeeded, \d+ failed\./.test(info.desc || ''),
      `${c.name}: its description says the numbers`, info.desc);
    check(info.texts.includes(`Attempts ${c.unit}`) && info.texts.includes('Time (UTC)'),
      `${c.name}: both axes are labelled`, JSON.stringify(info.texts));
    for (const l of ['Started, solid', 'Succeeded, dashed', 'Failed, dotted']) {
      check(info.texts.some((t) => t.startsWith(l)), `${c.name}: the legend names "${l}"`, JSON.stringify(info.texts));
    }
    check(info.lines === 3 && new Set(info.dashed).size === 3, `${c.name}: three lines, each its own pattern`,
      JSON.stringify(info.dashed));
    check(info.width > 300 && info.height > 80, `${c.name}: drawn at a readable size`, `${info.width}x${info.height}`);
  }
  await page.screenshot({ path: path.join(env.BT_ARTIFACTS, `dashboard-${label}.png`), fullPage: true });
}

async function main() {
  browser = await chromium.launch({
    executablePath: env.BT_BROWSER || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  for (const js of [true, false]) {
    const label = js ? 'with script' : 'without script';
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: js });
    const page = watched(await context.newPage(), label);
    await point(`${label}: log in`, () => logIn(page));
    await point(`${label}: the Admin menu's first entry leads to the dashboard`, async () => {
      await page.goto(`${BASE}/admin/async-tasks?business=${SLUG}`);
      await page.locator('header nav summary', { hasText: 'Admin' }).click();
      const first = page.locator('header nav details li a').first();
      check((await first.textContent()).trim() === 'Dashboard', 'the first entry', await first.textContent());
      await Promise.all([page.waitForEvent('load'), first.click()]);
      check(new URL(page.url()).pathname === PAGE, 'on the dashboard', page.url());
      check((await page.locator('h1').textContent()).trim() === 'Dashboard', 'its heading');
      check(new URL(page.url()).searchParams.get('business') === SLUG, 'of the business', page.url());
    });
    await point(`${label}: the task list links to the dashboard above its table`, async () => {
      await page.goto(`${BASE}/admin/async-tasks?business=${SLUG}`);
      await Promise.all([page.waitForEvent('load'),
        page.locator('main').getByRole('link', { name: /^Dashboard/ }).click()]);
      check(new URL(page.url()).pathname === PAGE, 'on the dashboard', page.url());
    });
    await point(`${label}: both charts are found by their accessible names`, () => chartsFound(page, js ? 'js' : 'nojs'));
    await point(`${label}: the failures table shows the latest error`, async () => {
      const table = page.getByRole('table', { name: 'Failures by task type' });
      await table.waitFor();
      const text = await table.textContent();
      check(text.includes(env.BT_C_ERROR), 'the error', text);
    });
    await point(`${label}: the live pause shows with its reason`, async () => {
      const text = await page.locator('section.pauses').textContent();
      check(text.includes(env.BT_C_PAUSE_REASON), 'the reason', text);
    });
    await point(`${label}: the totals and the oldest due task`, async () => {
      const totals = await page.locator('dl.totals').textContent();
      check(/Queued\s*\d+/.test(totals), 'the totals', totals);
      const due = await page.locator('section.oldest-due').textContent();
      check(/waiting: due since|None/.test(due), 'the oldest due task', due);
    });
    await context.close();
  }
}

const killer = setTimeout(() => {
  console.log('Bail out! the dashboard browser test took longer than 180 s');
  process.exit(1);
}, 180000);

main().catch((e) => {
  n++;
  failed++;
  console.log(`not ok ${n} - the test could not go on`);
  note(e.stack || String(e));
}).finally(async () => {
  if (browser) await browser.close().catch(() => {});
  clearTimeout(killer);
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
});
