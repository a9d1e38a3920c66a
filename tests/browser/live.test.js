/* live.test.js: the live updates of the task list, a task's page and the
 * Executors page, in a headless browser, against a real supervisor that
 * runs the tasks (tests/browser/live.sh sets the system up and passes it
 * in LT_* variables). A task's status changes on the list and on its page
 * without a reload, and an executor's row on the Executors page; the row
 * under the pointer keeps its place while tasks are inserted above it,
 * which come in once the pointer has left; a refresh that finds nothing
 * new changes nothing in the page; no XML view is fetched while a dialog
 * is open or the tab is hidden; the updates stop and say so once the
 * session has ended; without script the list never changes and asks for
 * nothing. Prints TAP; exits non-zero on failure. Every console error
 * and page error fails the step it happens in. */
'use strict';

const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const env = process.env;
for (const k of ['LT_URL', 'LT_EMAIL', 'LT_PASSWORD', 'LT_AT', 'LT_CONF', 'LT_BUSINESS', 'LT_USER']) {
  if (!env[k]) {
    console.log(`Bail out! ${k} is not set: run this through tests/browser.sh`);
    process.exit(1);
  }
}
const BASE = env.LT_URL.replace(/\/$/, '');
const LIST = `${BASE}/admin/async-tasks?business=${env.LT_BUSINESS}`;
const SHOTS = env.BT_ARTIFACTS || null;
const WAIT = 30000; // how long a change may take to show on a busy machine: a safety net

/* ---- TAP ---- */

let n = 0;
let failed = 0;
const errors = [];
let expected = null; // a console error that the current step expects (a RegExp), or null
async function step(name, fn) {
  const before = errors.length;
  let why = null;
  try {
    await fn();
  } catch (e) {
    why = e.message || String(e);
  }
  const seen = errors.slice(before);
  expected = null;
  n++;
  if (!why && !seen.length) {
    console.log(`ok ${n} - ${name}`);
    return;
  }
  failed++;
  console.log(`not ok ${n} - ${name}`);
  for (const line of [why, ...seen].filter(Boolean).join('\n').split('\n')) console.log(`# ${line}`);
}
function check(cond, message) {
  if (!cond) throw new Error(message);
}

/* ---- the system ---- */

function cli(...args) {
  return execFileSync(env.LT_AT, ['--config', env.LT_CONF, ...args], { encoding: 'utf8' }).trim();
}
/* A new task of the test's user; its id. */
function enqueue(type, ...more) {
  return cli('enqueue', '--business', env.LT_BUSINESS, '--user', env.LT_USER, '--type', type, ...more);
}

function watch(page, label) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !(expected && expected.test(m.text()))) errors.push(`console error (${label}): ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error (${label}): ${e.message}`));
  page.setDefaultTimeout(WAIT);
  return page;
}

/* Counts the page's requests for XML views (the live updates' own). */
function countXml(page) {
  const seen = { n: 0 };
  page.on('request', (r) => { if (r.headers().accept === 'application/xml') seen.n++; });
  return seen;
}

async function login(page) {
  await page.goto(`${BASE}/login`);
  await page.locator('input[name=email]').fill(env.LT_EMAIL);
  await page.locator('input[name=password]').fill(env.LT_PASSWORD);
  await Promise.all([page.waitForEvent('load'), page.locator('form button[type=submit]').click()]);
}

/* Marks the document, so that a reload (which loses the mark) shows. */
const mark = (page) => page.evaluate(() => { window.ltMark = 'same page'; });
const marked = async (page) => (await page.evaluate(() => window.ltMark)) === 'same page';
const away = (page) => page.mouse.move(1, 1);
const shot = (page, name) => (SHOTS ? page.screenshot({ path: path.join(SHOTS, `live-${name}.png`) }) : null);

async function main() {
  const browser = await chromium.launch({
    executablePath: env.BT_BROWSER || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = watch(await context.newPage(), 'live');
  const xml = countXml(page);
  await login(page);

  /* A paused user's task is held; Resume lets the supervisor run it. */
  cli('pause', 'user', '--business', env.LT_BUSINESS, env.LT_USER, '--reason', 'live test');
  const held = enqueue('sleep', '--payload', 'seconds=1');

  await step('the list: a task\'s status cell changes without a reload', async () => {
    await page.goto(`${LIST}&status=all`);
    await away(page);
    const row = page.locator(`#task-${held}`);
    check(await row.getAttribute('data-status') === 'paused', 'the held task shows paused');
    await mark(page);
    cli('resume', 'user', '--business', env.LT_BUSINESS, env.LT_USER);
    await page.locator(`#task-${held}[data-status=succeeded] td.status-cell .status-succeeded`).waitFor();
    check(await marked(page), 'the page was not reloaded');
    check(!(await row.locator('.held-by').count()), 'the rule\'s note went with the pause');
    await shot(page, 'list');
  });

  await step('the task page: its status and its attempts change without a reload', async () => {
    cli('pause', 'user', '--business', env.LT_BUSINESS, env.LT_USER, '--reason', 'live test');
    const id = enqueue('sleep', '--payload', 'seconds=1');
    await page.goto(`${BASE}/admin/async-tasks/tasks/${id}?business=${env.LT_BUSINESS}`);
    await away(page);
    const status = page.locator('dl.task-detail dt:text-is("Status") + dd');
    check((await status.textContent()) === 'paused', 'the page shows the task paused');
    check(await page.locator('table.attempts td.empty').count() === 1, 'no attempt yet');
    await mark(page);
    cli('resume', 'user', '--business', env.LT_BUSINESS, env.LT_USER);
    await page.locator('dl.task-detail dt:text-is("Status") + dd:text-is("succeeded")').waitFor();
    await page.locator('#attempt-1 td.outcome:text-is("succeeded")').waitFor();
    check(await page.locator('table.attempts td.empty').count() === 0, 'the "Not run yet" row went');
    check(await page.locator('dl.task-detail dt:text-is("Finished at")').count() === 1,
      'the end of the run is shown');
    check(await page.locator('p.task-actions a.discard').count() === 1, 'Discard is offered now');
    check(await marked(page), 'the page was not reloaded');
  });

  await step('the Executors page: an executor\'s row changes without a reload', async () => {
    await page.goto(`${BASE}/admin/executors`);
    await away(page);
    await page.locator('table.executors tbody tr[data-state=idle]').first().waitFor();
    await mark(page);
    const id = enqueue('sleep', '--payload', 'seconds=6');
    const busy = page.locator('table.executors tbody tr[data-state=running]', { hasText: `#${id}` });
    await busy.waitFor();
    const key = await busy.getAttribute('id');
    await page.locator(`#${key}[data-state=idle] td.current-task .status-idle`).waitFor();
    check(await marked(page), 'the page was not reloaded');
  });

  await step('the row under the pointer keeps its place while tasks are inserted above it', async () => {
    const later = [];
    for (let i = 0; i < 6; i++) later.push(enqueue('noop', '--run-at', '+1d'));
    await page.goto(LIST);
    const target = page.locator(`#task-${later[2]}`);
    await target.locator('td.user').hover();
    const box = await target.boundingBox();
    await mark(page);
    const fresh = [enqueue('noop', '--run-at', '+1d'), enqueue('noop', '--run-at', '+1d')];
    await page.locator('p.live-status', { hasText: 'when the pointer leaves' }).waitFor();
    const now = await target.boundingBox();
    check(now.x === box.x && now.y === box.y, `the row stayed at ${box.x},${box.y} (now ${now.x},${now.y})`);
    check(!(await page.locator(`#task-${fresh[0]}`).count()), 'the new tasks wait');
    await shot(page, 'held');
    await away(page);
    await page.locator(`#task-${fresh[1]}`).waitFor();
    const order = await page.locator('table.tasks tbody tr').evaluateAll((r) => r.map((tr) => tr.id));
    check(order.indexOf(`task-${fresh[1]}`) < order.indexOf(`task-${later[2]}`),
      `the new tasks come in above it once the pointer has left (${order.join(' ')})`);
    check((await page.locator('p.live-status').textContent()) === '', 'the note went');
    check(await marked(page), 'the page was not reloaded');
  });

  await step('a refresh with nothing changed leaves the rows untouched', async () => {
    const quiet = async (url, table) => {
      await page.goto(url);
      await away(page);
      await page.locator(table).evaluate((t) => {
        window.ltChanges = 0;
        new MutationObserver((m) => { window.ltChanges += m.length; })
          .observe(t, { subtree: true, childList: true, attributes: true, characterData: true });
      });
      await page.waitForResponse((r) => r.request().headers().accept === 'application/xml');
      await page.waitForResponse((r) => r.request().headers().accept === 'application/xml');
      return page.evaluate(() => window.ltChanges);
    };
    const inList = await quiet(`${LIST}&status=all`, 'table.tasks');
    check(inList === 0, `${inList} changes in the list's table`);
    const inTask = await quiet(`${BASE}/admin/async-tasks/tasks/${held}?business=${env.LT_BUSINESS}`, 'main');
    check(inTask === 0, `${inTask} changes on the task's page`);
  });

  await step('no XML view is fetched while a dialog is open', async () => {
    await page.goto(LIST);
    await page.locator('.toolbar a[data-dialog=pause-user-dialog]').click();
    await page.locator('#pause-user-dialog[open] #pause-panel').waitFor();
    const before = xml.n;
    await page.waitForTimeout(9000); // two refreshes' time
    check(xml.n === before, `${xml.n - before} XML requests while the dialog was open`);
    await page.keyboard.press('Escape');
    await page.locator('#pause-user-dialog').waitFor({ state: 'hidden' });
    await page.waitForRequest((r) => r.headers().accept === 'application/xml');
  });

  await step('no XML view is fetched while the tab is hidden', async () => {
    await page.goto(LIST);
    const hide = (hidden) => page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await hide(true);
    const before = xml.n;
    await page.waitForTimeout(9000); // two refreshes' time
    check(xml.n === before, `${xml.n - before} XML requests while the tab was hidden`);
    const back = page.waitForRequest((r) => r.headers().accept === 'application/xml');
    await hide(false);
    await back;
  });

  await step('the updates stop, and say so, once the session has ended', async () => {
    await page.goto(LIST);
    const other = watch(await context.newPage(), 'log out');
    await other.goto(LIST);
    await Promise.all([other.waitForEvent('load'), other.locator('form.logout button').click()]);
    expected = /status of 401/; // the browser's own report of the refused request
    await page.locator('p.live-status', { hasText: 'your session has ended' }).waitFor();
    const asked = xml.n;
    await page.waitForTimeout(9000); // two refreshes' time
    check(xml.n === asked, `${xml.n - asked} XML requests after the session ended`);
    await other.close();
  });

  await step('without script the list does not change and asks for nothing', async () => {
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const np = watch(await plain.newPage(), 'no script');
    await login(np);
    await np.goto(`${LIST}&status=all`);
    const table = () => np.locator('table.tasks').evaluate((t) => t.outerHTML);
    const before = await table();
    let asked = 0;
    np.on('request', (r) => { if (['document', 'fetch', 'xhr'].includes(r.resourceType())) asked++; });
    const id = enqueue('noop');
    await np.waitForTimeout(9000); // two refreshes' time
    check(asked === 0, `${asked} page, fetch or XHR requests after the page had loaded`);
    check((await table()) === before, 'the table is as it was loaded');
    check(!(await np.locator(`#task-${id}`).count()), 'the new task is not shown');
    check(!(await np.locator('p.live-status').count()), 'no live status');
    await plain.close();
  });

  await browser.close();
}

main().then(() => {
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
}, (e) => {
  console.log(`Bail out! ${e.message}`);
  process.exit(1);
});
