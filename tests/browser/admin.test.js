/* admin.test.js: the Async Tasks screen as a business admin uses it, in a
 * headless browser: log in, Admin -> Async Tasks, switch business, search,
 * sort, Pause User, Pause Task Type (searched and paged), Resume All,
 * edit and delete a task, retry, run now and discard tasks (with their
 * dialogs, and without script their pages, and a change behind a page's
 * back refused), Schedules (add, refuse, pause, resume, remove), the
 * Executors page, the Edit form of a type with parameters, keyboard use
 * of the dialogs, the screen without script, platform rules (the scope
 * choice a platform admin has and a business admin has not, the rule
 * shown in every business, not liftable by its admin), log out. Prints
 * TAP: one point per step, the plan at the end; exits non-zero on failure.
 * tests/browser.sh seeds the data and passes it in BT_* variables. Every
 * console error and page error fails the step it happens in (a Content
 * Security Policy violation is one). Screenshots go to BT_ARTIFACTS. */
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const env = process.env;
for (const k of ['BT_URL', 'BT_ARTIFACTS', 'BT_ADMIN_EMAIL', 'BT_PASSWORD', 'BT_A_SLUG', 'BT_A_NAME',
  'BT_B_SLUG', 'BT_B_NAME', 'BT_A_USERS', 'BT_B_USERS', 'BT_TYPES', 'BT_TASKS_A', 'BT_TASKS_B',
  'BT_SEARCH_USER', 'BT_ADMIN_NAME', 'BT_PARAM_TASK', 'BT_EXECUTOR_HOST', 'BT_EXECUTOR_PID',
  'BT_SUPERVISOR_PID', 'BT_PAGED_WORD', 'BT_PAGED_TYPES', 'BT_BOSS_EMAIL']) {
  if (!env[k]) {
    console.log(`Bail out! ${k} is not set: run this through tests/browser.sh`);
    process.exit(1);
  }
}

const BASE = env.BT_URL.replace(/\/$/, '');
const LIST = '/admin/async-tasks';
const lines = (s) => s.split('\n').filter((l) => l !== '');
const tasksOf = (s) => lines(s).map((l) => {
  const [id, user, type] = l.split('\t');
  return { id: Number(id), user, type };
});
const A = { slug: env.BT_A_SLUG, name: env.BT_A_NAME, users: lines(env.BT_A_USERS), tasks: tasksOf(env.BT_TASKS_A) };
const B = { slug: env.BT_B_SLUG, name: env.BT_B_NAME, users: lines(env.BT_B_USERS), tasks: tasksOf(env.BT_TASKS_B) };
const TYPES = lines(env.BT_TYPES); // csv-export-RUN, pdf-report-RUN, mail-digest-RUN
const RUN = TYPES[0].replace(/^.*-/, '');
const WORD = env.BT_SEARCH_USER;
const PAGED_WORD = env.BT_PAGED_WORD; // 30 task types: more than a page of the dialog
const PAGED = lines(env.BT_PAGED_TYPES);

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const GLOBAL_TIMEOUT = 300000; // a safety net on a busy machine, not a target
const STEP_TIMEOUT = 30000;

/* ---- TAP ---- */

let count = 0;
let failures = 0;
const problems = []; // console errors and page errors, as they come
let reported = 0; // how many of them a step has reported
let allowed = null; // a console error expected now (a RegExp), or null
let browser = null;

function diag(text) {
  /* without the terminal colours some messages carry */
  for (const l of String(text).replace(/\x1b\[[0-9;]*m/g, '').split('\n')) console.log(`# ${l}`);
}

class Failure extends Error {}
function assert(cond, message, detail) {
  if (!cond) {
    const e = new Failure(message);
    e.detail = detail;
    throw e;
  }
}
function eq(got, want, message) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  assert(g === w, message, `got:  ${g}\nwant: ${w}`);
}

let failShots = 0;
async function step(name, fn, timeout = STEP_TIMEOUT) {
  const seen = reported;
  let error = null;
  let timer = null;
  try {
    await Promise.race([
      fn(),
      new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Failure(`step timed out after ${timeout} ms`)), timeout);
      }),
    ]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }
  allowed = null;
  const fresh = problems.slice(seen);
  reported = problems.length;
  count++;
  if (!error && fresh.length === 0) {
    console.log(`ok ${count} - ${name}`);
    return true;
  }
  failures++;
  console.log(`not ok ${count} - ${name}`);
  if (error) {
    diag(error instanceof Failure ? error.message : (error.stack || String(error)));
    if (error.detail) diag(error.detail);
  }
  for (const p of fresh) diag(`browser ${p}`);
  for (const page of openPages) {
    if (page.isClosed()) continue;
    diag(`page: ${page.url()}`);
    await page.screenshot({ path: path.join(env.BT_ARTIFACTS, `failed-${count}-${++failShots}.png`) })
      .catch(() => {});
  }
  return false;
}

/* ---- the browser ---- */

const openPages = new Set();

function watch(page, label) {
  openPages.add(page);
  page.on('close', () => openPages.delete(page));
  page.on('console', (m) => {
    if (m.type() !== 'error' || (allowed && allowed.test(m.text()))) return;
    problems.push(`console error (${label}): ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error (${label}): ${e.message}`));
  page.setDefaultTimeout(10000);
  page.setDefaultNavigationTimeout(15000);
  return page;
}

async function shot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(env.BT_ARTIFACTS, `${name}.png`), ...opts });
}

const params = (page) => new URL(page.url()).searchParams;
const pathOf = (page) => new URL(page.url()).pathname;

/* The task table's rows, read by the column headers' names. */
async function rows(page) {
  return page.evaluate(() => {
    const table = document.querySelector('table.tasks');
    if (!table) return null;
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.replace(/[▲▼]/g, '').trim());
    const col = (name) => heads.indexOf(name);
    return [...table.querySelectorAll('tbody tr')].filter((tr) => tr.cells.length === heads.length).map((tr) => {
      const cell = (name) => tr.cells[col(name)];
      const created = cell('Created At').querySelector('time');
      const status = cell('Status');
      const badge = status.querySelector('.status');
      return {
        id: Number((tr.id || '').replace(/^task-/, '')),
        user: cell('User').textContent.trim(),
        type: cell('Task Type').textContent.trim(),
        created: created ? created.getAttribute('datetime') : '',
        createdText: cell('Created At').textContent.trim(),
        status: badge ? badge.textContent.trim() : '',
        statusText: status.textContent.replace(/\s+/g, ' ').trim(),
      };
    });
  });
}

/* A searched list's count of its matches. */
async function countText(page) {
  return (await page.locator('p.count').textContent()).trim();
}
/* The business's totals above the list: {Queued: '41', ...}. */
async function totals(page) {
  return page.locator('dl.totals').evaluate((dl) => Object.fromEntries(
    [...dl.querySelectorAll('div')].map((d) => [d.querySelector('dt').textContent.trim(),
      d.querySelector('dd').textContent.trim()])));
}

const collator = new Intl.Collator('en', { sensitivity: 'base' });
/* Checks that the rows are in order by a key; returns the keys. Unless
 * ties are allowed, the rows must hold more than one key, so that the
 * order shows. */
function inOrder(list, key, dir, message, ties = false) {
  const keys = list.map((r) => r[key]);
  const cmp = key === 'user' || key === 'type' ? collator.compare
    : (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  for (let i = 1; i < keys.length; i++) {
    const c = cmp(keys[i - 1], keys[i]);
    assert(dir === 'asc' ? c <= 0 : c >= 0, `${message}: rows ${i} and ${i + 1} are out of ${dir} order by ${key}`,
      `row ${i}: ${keys[i - 1]}\nrow ${i + 1}: ${keys[i]}`);
  }
  const distinct = new Set(keys.map((k) => k.toLowerCase())).size;
  assert(ties || distinct > 1, `${message}: the rows need more than one ${key} to show an order`);
  return keys;
}

async function goList(page, query) {
  const q = new URLSearchParams({ business: A.slug, ...query });
  await page.goto(`${BASE}${LIST}?${q}`);
  await page.locator('table.tasks').waitFor();
}

/* Where the focus is: inside an open dialog (its id), or the focused
 * element's text. */
async function focusInfo(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    const d = a && a.closest ? a.closest('dialog') : null;
    return {
      dialog: d && d.open ? d.id : null,
      tag: a ? a.localName : null,
      id: a ? a.id : null,
      text: a ? (a.textContent || '').trim() : null,
    };
  });
}

/* The control a visible label names, through the label's "for". (The
 * pages are XHTML, whose lower-case element names the test tool's own
 * label lookup does not recognise.) */
const exactly = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
async function field(scope, text) {
  const label = scope.locator('label').filter({ hasText: exactly(text), visible: true });
  const n = await label.count();
  assert(n === 1, `one visible label "${text}"`, `found ${n}`);
  const id = await label.getAttribute('for');
  assert(id, `the label "${text}" names its control`);
  const control = scope.locator(`[id="${id}"]`);
  assert(await control.count() === 1, `one control with the id "${id}" of the label "${text}"`);
  return control;
}

async function login(page, email = env.BT_ADMIN_EMAIL) {
  await page.goto(`${BASE}/login`);
  await (await field(page, 'Email')).fill(email);
  await (await field(page, 'Password')).fill(env.BT_PASSWORD);
  await nav(page, (u) => u.pathname === LIST, () => page.getByRole('button', { name: 'Log in' }).click());
}

/* Runs an action that loads a new page, waits until it has loaded, and
 * checks its address. */
async function nav(page, check, action) {
  const loaded = page.waitForEvent('load');
  await action();
  await loaded;
  assert(check(new URL(page.url())), 'the new page\'s address', page.url());
}

/* Closes a dialog with Escape, and waits until the page has handled its
 * close event (which puts the focus back on the opener), so that what
 * the test does next is not undone by it. */
async function escape(page, dialog) {
  await page.evaluate(() => {
    window.btClosed = new Promise((resolve) => {
      document.addEventListener('close', () => setTimeout(resolve, 0), { once: true, capture: true });
    });
  });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.evaluate(() => window.btClosed);
}

/* The list's Search button, as an action for nav(). */
const search = (page) => () => page.locator('form.filters').getByRole('button', { name: 'Search' }).click();

/* The flash message after a redirect. */
async function flash(page) {
  const f = page.locator('main p.flash');
  await f.waitFor();
  return (await f.textContent()).trim();
}

/* The names listed in a Pause User or Pause Task Type panel. */
async function panelNames(dialog) {
  return dialog.locator('table.pick tbody td.name label').allTextContents()
    .then((a) => a.map((s) => s.trim()));
}
/* Waits until the panel in a dialog has loaded and its names satisfy the
 * predicate; returns them. */
async function waitPanel(page, dialogId, predicate, what) {
  const dialog = page.locator(`#${dialogId}`);
  const deadline = Date.now() + 8000;
  let names = [];
  for (;;) {
    const busy = await dialog.locator('.panel-slot[aria-busy=true]').count();
    if (!busy && await dialog.locator('#pause-panel').count()) {
      names = await panelNames(dialog);
      if (predicate(names)) return names;
    }
    assert(Date.now() < deadline, `the ${dialogId} panel never showed ${what}`, `shown: ${JSON.stringify(names)}`);
    await page.waitForTimeout(100);
  }
}

/* ---- the steps ---- */

async function main() {
  browser = await chromium.launch({
    executablePath: env.BT_BROWSER || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: LAPTOP, locale: 'en-GB' });
  const page = watch(await context.newPage(), 'main');
  const ids = (list) => list.map((t) => t.id).sort((x, y) => x - y);

  let ok = await step('the login page shows its form, labelled', async () => {
    await page.goto(`${BASE}${LIST}`);
    assert(pathOf(page) === '/login', `the list without a session goes to the login page, not ${page.url()}`);
    await (await field(page, 'Email')).waitFor();
    await (await field(page, 'Password')).waitFor();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await shot(page, '01-login');
  });

  ok = await step('logs in through the login form', async () => {
    await login(page);
    eq(pathOf(page), LIST, 'lands on the list');
    const who = (await page.locator('header .who').textContent()).trim();
    eq(who, env.BT_ADMIN_EMAIL, 'the header names the account');
  }) && ok;
  if (!ok) throw new Error('cannot log in; nothing else can be tested');

  await step('Admin menu in the header opens and leads to Async Tasks', async () => {
    await page.goto(`${BASE}/admin/audit-log?business=${A.slug}`);
    const summary = page.locator('header nav summary', { hasText: 'Admin' });
    const item = page.locator('header nav').getByRole('link', { name: 'Async Tasks', exact: true });
    assert(!(await item.isVisible()), 'the menu starts closed');
    await summary.click();
    await item.waitFor({ state: 'visible' });
    await page.locator('header nav').getByRole('link', { name: 'Audit Log' }).waitFor({ state: 'visible' });
    await shot(page, '02-admin-menu');
    await nav(page, (u) => u.pathname === LIST, () => item.click());
    eq((await page.locator('h1').textContent()).trim(), 'Async Tasks', 'the page heading');
    assert((await page.title()).startsWith('Async Tasks'), 'the title names the page');
  });

  await step('the Admin menu closes on Escape and on a click elsewhere', async () => {
    const summary = page.locator('header nav summary', { hasText: 'Admin' });
    const item = page.locator('header nav').getByRole('link', { name: 'Audit Log' });
    await summary.focus();
    await page.keyboard.press('Enter');
    await item.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await item.waitFor({ state: 'hidden' });
    const f = await focusInfo(page);
    eq([f.tag, f.text], ['summary', 'Admin'], 'the focus is back on the menu\'s button');
    await summary.click();
    await item.waitFor({ state: 'visible' });
    await page.locator('h1').click();
    await item.waitFor({ state: 'hidden' });
  });

  await step('the list shows the labels of the spec', async () => {
    await goList(page, {});
    const text = await page.locator('main').textContent();
    for (const label of ['Business', 'Resume All', 'Pause User', 'Pause Task Type']) {
      assert(text.includes(label), `the page lacks "${label}"`);
    }
    const heads = (await page.locator('table.tasks thead th').allTextContents())
      .map((s) => s.replace(/[▲▼]/g, '').trim());
    eq(heads, ['User', 'Task Type', 'Created At', 'Status', 'Actions'], 'the column headers');
    const options = { 'f-sort': ['Created At', 'User', 'Task Type'], 'f-dir': ['Descending', 'Ascending'] };
    for (const [id, want] of Object.entries(options)) {
      const opts = (await page.locator(`#${id} option`).allTextContents()).map((s) => s.trim());
      eq(opts, want, `the options of #${id}`);
    }
    await (await field(page, 'Business')).waitFor();
    await (await field(page, 'Sort by')).waitFor();
    await (await field(page, 'Order')).waitFor();
    const list = await rows(page);
    eq(ids(list), ids(A.tasks), `the ${A.tasks.length} tasks of ${A.slug}, newest first`);
    inOrder(list, 'created', 'desc', 'the default order');
    eq(await totals(page), { Queued: String(A.tasks.length), Paused: '0', Running: '0', Failed: '0',
      'Finished today': '0', 'Max running': 'no cap' }, 'the business\'s totals, and its cap');
    eq(await page.locator('p.count').count(), 0, 'no count of the list without a search');
    const row = page.locator(`#task-${list[0].id}`);
    await row.getByRole('link', { name: 'Edit' }).waitFor();
    await row.getByRole('link', { name: 'Delete' }).waitFor();
    await shot(page, '03-list');
  });

  await step('the filters are laid out in rows with their labels aligned', async () => {
    const top = async (text) => Math.round((await (await page.locator('form.filters label')
      .filter({ hasText: exactly(text) })).boundingBox()).y);
    const row1 = await Promise.all(['User', 'Task Type', 'Status'].map(top));
    const row2 = await Promise.all(['Sort by', 'Order', 'Per page'].map(top));
    eq(new Set(row1).size, 1, `User, Task Type and Status labels on one line (${row1})`);
    eq(new Set(row2).size, 1, `Sort by, Order and Per page labels on one line (${row2})`);
    const h = async (sel) => Math.round((await page.locator(sel).boundingBox()).height);
    eq(await h('#q-user'), await h('#f-sort'), 'search fields and selects are equally high');
  });

  await step('keyboard focus is visible: a ring of 3:1 contrast or more', async () => {
    /* The focused element's outline, and its contrast with the background
     * it is drawn on (the nearest one that is not transparent). */
    const ring = () => page.evaluate(() => {
      const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const a = document.activeElement;
      const cs = getComputedStyle(a);
      let bg = null;
      for (let e = a.parentElement; e && !bg; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3);
      }
      bg = bg || [255, 255, 255];
      const [l1, l2] = [lum(rgb(cs.outlineColor).slice(0, 3)), lum(bg)].sort((x, y) => y - x);
      return { text: (a.textContent || a.id).trim().slice(0, 30), style: cs.outlineStyle,
        width: parseFloat(cs.outlineWidth), contrast: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100 };
    });
    const check = (r) => assert(r.style !== 'none' && r.width >= 2 && r.contrast >= 3,
      `a visible focus ring on "${r.text}"`, JSON.stringify(r));
    /* focus() from script is not keyboard focus for links and buttons:
     * reach them with Tab, as a keyboard user does */
    await page.locator('#business').focus();
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      check(await ring());
    }
    for (const sel of ['#q-user', '#f-status']) {
      await page.locator(sel).focus();
      check(await ring());
    }
    /* and on the header's dark background */
    await page.locator('header .brand').focus();
    await page.keyboard.press('Tab');
    check(await ring());
  });

  await step('the list at phone width', async () => {
    await page.setViewportSize(PHONE);
    await goList(page, {});
    await shot(page, '04-list-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `the page is ${overflow}px wider than a phone's screen`);
    const filters = await page.locator('form.filters').boundingBox();
    assert(filters.height <= PHONE.height * 0.45, 'the filters take less than half the screen',
      `${Math.round(filters.height)}px high`);
    for (const a of await page.locator('.toolbar .actions a').all()) {
      /* the lines of a label: the distinct tops of its text's boxes */
      const lines = await a.evaluate((e) => {
        const r = document.createRange();
        r.selectNodeContents(e);
        return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size;
      });
      eq(lines, 1, `the button "${(await a.textContent()).trim()}" keeps its label on one line`);
    }
    await page.locator('table.tasks tbody tr').first().scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollBy(0,
      document.querySelector('table.tasks').getBoundingClientRect().top - 8));
    await shot(page, '05-list-phone-rows');
    const labels = await page.locator('table.tasks tbody tr').first().locator('td')
      .evaluateAll((tds) => tds.map((td) => getComputedStyle(td, '::before').content));
    eq(labels.join(' '), '"User" "Task Type" "Created At" "Status" "Actions"',
      'each cell of a row shows its column\'s label');
  });
  /* the phone's width stays for the next step */

  await step('Pause User dialog at phone width fits the screen', async () => {
    try {
      await phoneDialog();
    } finally {
      await page.setViewportSize(LAPTOP);
    }
  });
  async function phoneDialog() {
    await page.locator('.toolbar').getByRole('link', { name: 'Pause User' }).click();
    const dialog = page.locator('#pause-user-dialog');
    await dialog.locator('#pause-panel').waitFor();
    const box = await dialog.boundingBox();
    assert(box.x >= 0 && box.x + box.width <= PHONE.width && box.y >= 0 && box.y + box.height <= PHONE.height,
      'the dialog is inside the screen', JSON.stringify(box));
    const scroll = await dialog.evaluate((d) => ({ sw: d.scrollWidth, cw: d.clientWidth }));
    assert(scroll.sw <= scroll.cw, 'the dialog does not scroll sideways', JSON.stringify(scroll));
    await shot(page, '06-pause-user-phone');
    await escape(page, dialog);
  }

  await step('search by user name shows only those users\' tasks', async () => {
    await goList(page, {});
    const want = A.tasks.filter((t) => t.user.toLowerCase().includes(WORD.toLowerCase()));
    assert(new Set(want.map((t) => t.user)).size >= 4, 'the seed has four users with the search word');
    await (await field(page, 'User')).fill(WORD.toLowerCase());
    await nav(page, (u) => u.searchParams.get('user') === WORD.toLowerCase(), search(page));
    const list = await rows(page);
    eq(ids(list), ids(want), `the tasks of users named *${WORD}*`);
    assert(list.every((r) => r.user.includes(WORD)), 'every row\'s user has the word');
    eq(await countText(page), `${want.length} tasks match`, 'the count of the matches');
    eq(await (await field(page, 'User')).evaluate((e) => e.value), WORD.toLowerCase(), 'the field keeps the search');
    await shot(page, '07-search-user');
  });

  await step('search by task type shows only that type\'s tasks', async () => {
    await goList(page, {});
    await (await field(page, 'Task Type')).fill('export');
    await nav(page, (u) => u.searchParams.get('type') === 'export', search(page));
    const list = await rows(page);
    eq(ids(list), ids(A.tasks.filter((t) => t.type === TYPES[0])), `the tasks of ${TYPES[0]}`);
    assert(list.every((r) => r.type === TYPES[0]), 'every row has the type');
  });

  await step('a search that matches nothing says so', async () => {
    await goList(page, { user: `nobody-${RUN}` });
    eq((await page.locator('table.tasks tbody').textContent()).trim(), 'There are no tasks to show', 'the empty table');
    eq(await countText(page), '0 tasks match', 'the count of the matches');
  });

  await step('switching business keeps the sort and the search', async () => {
    await goList(page, {});
    await (await field(page, 'User')).fill(WORD);
    await (await field(page, 'Sort by')).selectOption({ label: 'User' });
    await (await field(page, 'Order')).selectOption({ label: 'Ascending' });
    await nav(page, (u) => u.searchParams.get('sort') === 'user', search(page));
    const select = (await field(page, 'Business'));
    const names = (await select.locator('option').allTextContents()).map((s) => s.trim());
    eq(names.slice().sort(), [A.name, B.name].sort(), 'the businesses this admin manages');
    eq((await select.locator('option:checked').textContent()).trim(), A.name, 'the current business is selected');
    /* with script, choosing submits at once */
    await nav(page, (u) => u.searchParams.get('business') === B.slug, () => select.selectOption({ label: B.name }));
    const p = params(page);
    eq([p.get('sort'), p.get('dir'), p.get('user')], ['user', 'asc', WORD], 'sort, order and search in the URL');
    eq(await (await field(page, 'User')).evaluate((e) => e.value), WORD, 'the search field');
    eq(await (await field(page, 'Sort by')).evaluate((e) => e.value), 'user', 'the Sort by control');
    eq(await (await field(page, 'Order')).evaluate((e) => e.value), 'asc', 'the Order control');
    const list = await rows(page);
    eq(ids(list), ids(B.tasks.filter((t) => t.user.includes(WORD))), `the tasks of ${B.slug} found by the search`);
    const all = new Set(A.tasks.map((t) => t.id));
    assert(list.every((r) => !all.has(r.id)), `no task of ${A.slug} is shown`);
    await shot(page, '08-business-b');
    await nav(page, (u) => u.searchParams.get('business') === A.slug, () => select.selectOption({ label: A.name }));
    const back = await rows(page);
    eq(ids(back), ids(A.tasks.filter((t) => t.user.includes(WORD))), `back in ${A.slug}, the search still applies`);
    inOrder(back, 'user', 'asc', 'back, the sort still applies');
  });

  await step('sorting by clicking the column headers, both ways', async () => {
    await goList(page, {});
    const header = (name) => page.locator('table.tasks thead th a', { hasText: name });
    const sortState = () => page.evaluate(() => [...document.querySelectorAll('table.tasks thead th')]
      .filter((th) => th.hasAttribute('aria-sort'))
      .map((th) => `${th.textContent.replace(/[▲▼]/g, '').trim()}:${th.getAttribute('aria-sort')}`));
    const click = async (name, sort, dir) => {
      await nav(page, (u) => (u.searchParams.get('sort') || 'created') === sort
        && (u.searchParams.get('dir') || 'desc') === dir, () => header(name).click());
      await page.locator('table.tasks').waitFor();
      eq(await sortState(), [`${name}:${dir === 'asc' ? 'ascending' : 'descending'}`],
        `aria-sort after clicking ${name}`);
      return rows(page);
    };
    const key = { 'User': 'user', 'Task Type': 'type', 'Created At': 'created' };
    for (const name of ['User', 'Task Type']) {
      const up = await click(name, key[name], 'asc');
      const upKeys = inOrder(up, key[name], 'asc', `${name} ascending`);
      const down = await click(name, key[name], 'desc');
      const downKeys = inOrder(down, key[name], 'desc', `${name} descending`);
      assert(upKeys[0] !== downKeys[0], `the first ${name} changes when the order turns round`,
        `${upKeys[0]} / ${downKeys[0]}`);
      eq(ids(up), ids(down), `the same tasks both ways (${name})`);
    }
    const newest = await click('Created At', 'created', 'desc');
    inOrder(newest, 'created', 'desc', 'Created At descending');
    inOrder(newest, 'createdText', 'desc', 'Created At descending, as shown', true);
    const oldest = await click('Created At', 'created', 'asc');
    inOrder(oldest, 'created', 'asc', 'Created At ascending');
    inOrder(oldest, 'createdText', 'asc', 'Created At ascending, as shown', true);
    eq(oldest.map((r) => r.id), newest.map((r) => r.id).reverse(), 'ascending is descending reversed');
    await shot(page, '09-sorted-by-header');
  });

  await step('sorting through the Sort by and Order controls', async () => {
    await goList(page, {});
    const use = async (label, dirLabel, sort, dir) => {
      await (await field(page, 'Sort by')).selectOption({ label });
      await (await field(page, 'Order')).selectOption({ label: dirLabel });
      await nav(page, (u) => (u.searchParams.get('sort') || 'created') === sort
        && (u.searchParams.get('dir') || 'desc') === dir, search(page));
      return rows(page);
    };
    const typeDesc = await use('Task Type', 'Descending', 'type', 'desc');
    const t1 = inOrder(typeDesc, 'type', 'desc', 'Task Type descending');
    const typeAsc = await use('Task Type', 'Ascending', 'type', 'asc');
    const t2 = inOrder(typeAsc, 'type', 'asc', 'Task Type ascending');
    assert(t1[0] !== t2[0], 'the first type changes with the order');
    const userDesc = await use('User', 'Descending', 'user', 'desc');
    inOrder(userDesc, 'user', 'desc', 'User descending');
    const createdAsc = await use('Created At', 'Ascending', 'created', 'asc');
    inOrder(createdAsc, 'created', 'asc', 'Created At ascending');
    eq(createdAsc[0].id, Math.min(...A.tasks.map((t) => t.id)), 'the oldest task first');
  });

  await step('pages: Next and Previous keep the sort and the search', async () => {
    await goList(page, { sort: 'user', dir: 'asc', limit: '25' });
    const first = await rows(page);
    eq(first.length, 25, 'a page of 25');
    eq(await page.locator('nav.pager a[rel=prev]').count(), 0, 'no Previous on the first page');
    const pager = page.locator('nav.pager');
    await nav(page, (u) => u.searchParams.has('after'), () => pager.getByRole('link', { name: /Next/ }).click());
    eq(['sort', 'dir', 'limit'].map((k) => params(page).get(k)), ['user', 'asc', '25'], 'the URL keeps the view');
    const second = await rows(page);
    eq(ids([...first, ...second]), ids(A.tasks), 'the two pages hold every task once');
    inOrder([...first, ...second], 'user', 'asc', 'the order runs on across the pages');
    await nav(page, (u) => u.searchParams.has('before'), () => pager.getByRole('link', { name: /Previous/ }).click());
    eq((await rows(page)).map((r) => r.id), first.map((r) => r.id), 'Previous shows the first page again');
  });

  /* keyboard: Escape closes, and the focus goes back to the opener */
  await step('keyboard: Resume All opens with Enter, Escape closes it, focus returns', async () => {
    await goList(page, {});
    const link = page.locator('.toolbar').getByRole('link', { name: 'Resume All' });
    await link.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('#resume-all-dialog');
    await dialog.waitFor({ state: 'visible' });
    eq((await focusInfo(page)).dialog, 'resume-all-dialog', 'the focus is in the dialog');
    await escape(page, dialog);
    const f = await focusInfo(page);
    eq([f.tag, f.text, f.dialog], ['a', 'Resume All', null], 'the focus is back on Resume All');
  });

  await step('keyboard: Pause User opens with Enter, Escape closes it, focus returns', async () => {
    const link = page.locator('.toolbar').getByRole('link', { name: 'Pause User' });
    await link.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('#pause-user-dialog');
    await dialog.locator('#pause-panel').waitFor();
    const f1 = await focusInfo(page);
    eq([f1.dialog, f1.id], ['pause-user-dialog', 'pause-q'], 'the focus is in the dialog\'s search');
    await escape(page, dialog);
    const f2 = await focusInfo(page);
    eq([f2.tag, f2.text, f2.dialog], ['a', 'Pause User', null], 'the focus is back on Pause User');
  });

  await step('a second dialog\'s labels work after the first was opened', async () => {
    /* Pause User was opened above on this page; now Pause Task Type */
    const link = page.locator('.toolbar').getByRole('link', { name: 'Pause Task Type' });
    await link.click();
    const dialog = page.locator('#pause-type-dialog');
    await dialog.locator('#pause-panel').waitFor();
    await dialog.getByText('Reason (optional)').click();
    const f = await focusInfo(page);
    eq([f.dialog, f.id], ['pause-type-dialog', 'pause-reason'],
      'a click on a label focuses its control in this dialog');
    const dups = await page.evaluate(() => {
      const seen = new Map();
      for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    });
    eq(dups, [], 'no id is used twice in the page');
    await escape(page, dialog);
  });

  /* "<what> paused by <the admin>", who is named by name or email */
  const by = (text, what) => text.includes(`${what} paused by ${env.BT_ADMIN_NAME} at `)
    || text.includes(`${what} paused by ${env.BT_ADMIN_EMAIL} at `);
  const pausedUsers = [A.users[0], A.users[2]]; // two of the search word's users
  const reasonU = `Nightly import ${RUN} — ünïcode`;
  await step('Pause User: dialog opens with the focus inside, searches, selects all shown', async () => {
    await goList(page, { limit: '100' });
    await page.locator('.toolbar').getByRole('link', { name: 'Pause User' }).click();
    const dialog = page.locator('#pause-user-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert(await dialog.evaluate((d) => d.open && d.matches(':modal')), 'the dialog is open and modal');
    const named = (await dialog.getAttribute('aria-label')) || (await dialog.getAttribute('aria-labelledby'));
    assert(named, 'the dialog has a name');
    await waitPanel(page, 'pause-user-dialog', (n) => n.length > 0, 'the members');
    eq((await focusInfo(page)).dialog, 'pause-user-dialog', 'the focus is in the dialog');
    const all = await panelNames(dialog);
    for (const u of A.users) assert(all.includes(u), `the member ${u} is listed`, JSON.stringify(all));
    await shot(page, '10-pause-user');
    await (await field(dialog, 'Search users')).fill(WORD);
    const want = A.users.filter((u) => u.includes(WORD)).sort();
    await waitPanel(page, 'pause-user-dialog', (n) => JSON.stringify(n.slice().sort()) === JSON.stringify(want),
      `only the users named *${WORD}*`);
    const selectAll = dialog.locator('input.select-all');
    await selectAll.waitFor({ state: 'visible' });
    eq(await selectAll.getAttribute('aria-label'), 'Select all users shown', 'select-all is labelled');
    await selectAll.check();
    const boxes = dialog.locator('table.pick tbody input[type=checkbox]');
    eq(await boxes.evaluateAll((b) => b.map((x) => x.checked)), want.map(() => true),
      'select-all checks every user shown');
    await selectAll.uncheck();
    eq(await boxes.evaluateAll((b) => b.map((x) => x.checked)), want.map(() => false), 'and unchecks them');
    await shot(page, '11-pause-user-search');
  });

  await step('Pause User: nothing selected, or no date for "At the date below", is refused in the dialog', async () => {
    const dialog = page.locator('#pause-user-dialog');
    const before = page.url();
    await dialog.getByRole('button', { name: 'Pause selected users' }).click();
    const alert = dialog.locator('.form-error[role=alert]');
    await alert.waitFor();
    eq((await alert.textContent()).trim(), 'Select at least one user to pause.', 'the message');
    eq(page.url(), before, 'nothing was sent');
    await (await field(dialog, A.users[1])).check();
    await (await field(dialog, 'Expires')).selectOption({ label: 'At the date below' });
    const date = await field(dialog, 'Date (UTC)');
    await dialog.getByRole('button', { name: 'Pause selected users' }).click();
    assert(await date.evaluate((e) => e.validity.valueMissing), 'the empty date is flagged');
    eq(page.url(), before, 'nothing was sent');
    assert(await dialog.evaluate((d) => d.open), 'the dialog stays open');
    await (await field(dialog, A.users[1])).uncheck();
    await (await field(dialog, 'Expires')).selectOption({ label: 'Never (until resumed)' });
  });

  await step('Pause User: pauses two users with a reason and an expiry', async () => {
    const dialog = page.locator('#pause-user-dialog');
    for (const u of pausedUsers) await (await field(dialog, u)).check();
    await (await field(dialog, 'Reason (optional)')).fill(reasonU);
    await (await field(dialog, 'Expires')).selectOption({ label: 'After 1 day' });
    assert(!(await dialog.locator('label', { hasText: 'Date (UTC)' }).isVisible()),
      'the date field shows only for "At the date below"');
    await shot(page, '12-pause-user-filled');
    await nav(page, (u) => u.pathname === LIST && u.searchParams.get('limit') === '100',
      () => dialog.getByRole('button', { name: 'Pause selected users' }).click());
    eq(await flash(page), `Paused 2 users: ${pausedUsers.join(', ')}.`, 'the flash message');
    const list = await rows(page);
    eq(ids(list), ids(A.tasks), 'all the tasks are still listed');
    for (const r of list) {
      if (pausedUsers.includes(r.user)) {
        eq(r.status, 'paused', `task #${r.id} of ${r.user} is paused`);
        assert(by(r.statusText, `User ${r.user}`) && r.statusText.includes(reasonU)
          && r.statusText.includes('until'), `task #${r.id} names the rule`, r.statusText);
      } else {
        eq(r.status, 'queued', `task #${r.id} of ${r.user} is not paused`);
      }
    }
    const summary = (await page.locator('.paused-summary').textContent()).trim();
    eq(summary, `Paused now in ${A.name}: 2 users and 0 task types.`, 'the summary');
    await shot(page, '13-users-paused');
  });

  const pausedTypes = [TYPES[1], TYPES[2]].sort(); // as the panel lists them
  await step('Pause Task Type: searches, pauses two types until a date', async () => {
    await page.locator('.toolbar').getByRole('link', { name: 'Pause Task Type' }).click();
    const dialog = page.locator('#pause-type-dialog');
    await dialog.waitFor({ state: 'visible' });
    await waitPanel(page, 'pause-type-dialog', (n) => n.length > 0, 'task types');
    eq((await focusInfo(page)).dialog, 'pause-type-dialog', 'the focus is in the dialog');
    await (await field(dialog, 'Search task types')).fill(RUN);
    await waitPanel(page, 'pause-type-dialog',
      (n) => JSON.stringify(n.slice().sort()) === JSON.stringify(TYPES.slice().sort()),
      'only the types of this run');
    eq(await dialog.locator('input.select-all').getAttribute('aria-label'), 'Select all task types shown',
      'select-all is labelled');
    for (const t of pausedTypes) await (await field(dialog, t)).check();
    await (await field(dialog, 'Reason (optional)')).fill('Quota reached');
    await (await field(dialog, 'Expires')).selectOption({ label: 'At the date below' });
    const date = (await field(dialog, 'Date (UTC)'));
    await date.waitFor({ state: 'visible' });
    const until = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 16); // YYYY-MM-DDTHH:MM
    await date.fill(until);
    await shot(page, '14-pause-type');
    await nav(page, (u) => u.pathname === LIST,
      () => dialog.getByRole('button', { name: 'Pause selected task types' }).click());
    eq(await flash(page), `Paused 2 task types: ${pausedTypes.join(', ')}.`, 'the flash message');
    const list = await rows(page);
    for (const r of list) {
      const byUser = pausedUsers.includes(r.user);
      const byType = pausedTypes.includes(r.type);
      eq(r.status, byUser || byType ? 'paused' : 'queued', `the status of task #${r.id} (${r.user}, ${r.type})`);
      if (byType && !byUser) {
        assert(by(r.statusText, `Task type ${r.type}`)
          && r.statusText.includes(`until ${until.replace('T', ' ')}`) && r.statusText.includes('Quota reached'),
        `task #${r.id} names the type's rule`, r.statusText);
      }
    }
    eq((await page.locator('.paused-summary').textContent()).trim(),
      `Paused now in ${A.name}: 2 users and 2 task types.`, 'the summary');
    await shot(page, '15-types-paused');
  });

  await step('Resume All: confirmation dialog, numbers reported, nothing paused after', async () => {
    const held = A.tasks.filter((t) => pausedUsers.includes(t.user) || pausedTypes.includes(t.type));
    const before = await rows(page);
    eq(before.filter((r) => r.status === 'paused').length, held.length, 'paused before');
    await page.locator('.toolbar').getByRole('link', { name: 'Resume All' }).click();
    const dialog = page.locator('#resume-all-dialog');
    await dialog.waitFor({ state: 'visible' });
    eq((await focusInfo(page)).dialog, 'resume-all-dialog', 'the focus is in the dialog');
    eq((await dialog.locator('h2').textContent()).trim(), 'Resume All', 'the dialog\'s heading');
    assert((await dialog.textContent()).includes(A.name), 'the dialog names the business');
    await shot(page, '16-resume-all-dialog');
    /* Cancel first: nothing happens */
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    eq((await rows(page)).filter((r) => r.status === 'paused').length, held.length, 'Cancel resumes nothing');
    await page.locator('.toolbar').getByRole('link', { name: 'Resume All' }).click();
    await dialog.waitFor({ state: 'visible' });
    await nav(page, (u) => u.pathname === LIST, () => dialog.getByRole('button', { name: 'Resume All' }).click());
    eq(await flash(page), `Resume All: 4 pauses removed, ${held.length} tasks released.`, 'the flash message');
    const after = await rows(page);
    eq(after.filter((r) => r.status !== 'queued').map((r) => `${r.id}:${r.status}`), [], 'no task is paused');
    eq(await page.locator('.paused-summary').count(), 0, 'no summary of pauses');
    await shot(page, '17-resumed');
  });

  await step('Pause Task Type: a search of many types is paged in the dialog', async () => {
    await goList(page, {});
    await page.locator('.toolbar').getByRole('link', { name: 'Pause Task Type' }).click();
    const dialog = page.locator('#pause-type-dialog');
    await dialog.waitFor({ state: 'visible' });
    await waitPanel(page, 'pause-type-dialog', (n) => n.length > 0, 'task types');
    await (await field(dialog, 'Search task types')).fill(PAGED_WORD);
    const first = await waitPanel(page, 'pause-type-dialog',
      (n) => n.length === 25 && n.every((t) => t.startsWith(PAGED_WORD)), 'a page of the many types');
    eq(first, PAGED.slice(0, 25), 'the first 25, by name');
    await shot(page, '17a-pause-type-paged');
    await dialog.getByRole('link', { name: 'More task types ›' }).click();
    const second = await waitPanel(page, 'pause-type-dialog',
      (n) => n.length === 5 && n.every((t) => t.startsWith(PAGED_WORD)), 'the next page');
    eq(second, PAGED.slice(25), 'the next page, in the dialog');
    eq(pathOf(page), LIST, 'the page under the dialog is still the list');
    eq(await dialog.getByRole('link', { name: 'More task types ›' }).count(), 0, 'no page after it');
    eq((await focusInfo(page)).dialog, 'pause-type-dialog', 'the focus stays in the dialog');
    await (await field(dialog, PAGED[27])).check();
    await nav(page, (u) => u.pathname === LIST,
      () => dialog.getByRole('button', { name: 'Pause selected task types' }).click());
    eq(await flash(page), `Paused 1 task type: ${PAGED[27]}.`, 'a type of the second page is paused');
  });

  await step('the Pause Task Type page opened on its own has its way back to the list', async () => {
    await page.goto(`${BASE}${LIST}/pause-type?business=${A.slug}&sort=type&dir=asc`);
    eq((await page.locator('h2#pause-panel-title').textContent()).trim(), 'Pause Task Type', 'the page\'s heading');
    await (await field(page, 'Search task types')).fill(RUN);
    await nav(page, (u) => u.searchParams.get('q') === RUN,
      () => page.locator('form.panel-search').getByRole('button', { name: 'Search' }).click());
    eq((await panelNames(page.locator('#pause-panel'))).sort(), TYPES.slice().sort(), 'the search finds the types');
    await page.locator('input.select-all').check();
    eq(await page.locator('table.pick tbody input[type=checkbox]:checked').count(), TYPES.length,
      'select-all works on the page too');
    const back = page.getByRole('link', { name: 'Back to the list' });
    await back.waitFor({ state: 'visible' });
    await nav(page, (u) => u.pathname === LIST && u.searchParams.get('sort') === 'type', () => back.click());
  });

  const edited = A.tasks[5];
  const newPayload = `{"run": "${RUN}", "edited": true, "note": "Ändrad — ½"}`;
  await step('edit a task: priority and payload are saved', async () => {
    await goList(page, { sort: 'user', dir: 'asc' });
    await nav(page, (u) => u.pathname.endsWith(`/tasks/${edited.id}/edit`),
      () => page.locator(`#task-${edited.id}`).getByRole('link', { name: 'Edit' }).click());
    eq((await page.locator('h1').textContent()).trim(), `Edit task #${edited.id}`, 'the heading');
    await (await field(page, 'Priority (-1000 to 1000, higher first)')).fill('777');
    await (await field(page, 'Payload')).fill(newPayload);
    await shot(page, '18-edit');
    await nav(page, (u) => u.pathname === LIST, () => page.getByRole('button', { name: 'Save' }).click());
    eq(await flash(page), `Task #${edited.id} saved.`, 'the flash message');
    eq([params(page).get('sort'), params(page).get('dir')], ['user', 'asc'], 'back to the list as it was');
    await page.goto(`${BASE}${LIST}/tasks/${edited.id}?business=${A.slug}`);
    const detail = await page.evaluate(() => {
      const out = {};
      for (const dt of document.querySelectorAll('dl.task-detail dt')) {
        out[dt.textContent.trim()] = dt.nextElementSibling.textContent.trim();
      }
      return out;
    });
    eq([detail['User'], detail['Task Type'], detail['Priority']], [edited.user, edited.type, '777'], 'the detail page');
    eq((await page.locator('pre.payload').textContent()), newPayload, 'the payload');
    await shot(page, '19-task-detail');
  });

  const doomed = A.tasks[6];
  await step('delete a task through the confirmation dialog', async () => {
    await goList(page, {});
    const link = page.locator(`#task-${doomed.id}`).getByRole('link', { name: 'Delete' });
    await link.click();
    const dialog = page.locator('#delete-dialog');
    await dialog.waitFor({ state: 'visible' });
    eq((await focusInfo(page)).dialog, 'delete-dialog', 'the focus is in the dialog');
    eq((await dialog.locator('.what').textContent()).trim(), `${doomed.type} for ${doomed.user} (task #${doomed.id})`,
      'the dialog names the task');
    await shot(page, '20-delete-dialog');
    await escape(page, dialog);
    const f = await focusInfo(page);
    eq([f.text, f.dialog], ['Delete', null], 'Escape returns the focus to the Delete link');
    assert(await page.locator(`#task-${doomed.id}`).count() === 1, 'nothing was deleted');
    await link.click();
    await dialog.waitFor({ state: 'visible' });
    await nav(page, (u) => u.pathname === LIST, () => dialog.getByRole('button', { name: 'Delete' }).click());
    eq(await flash(page), `Task #${doomed.id} deleted.`, 'the flash message');
    eq(await page.locator(`#task-${doomed.id}`).count(), 0, 'the row is gone');
    eq((await totals(page)).Queued, String(A.tasks.length - 1), 'one task fewer in the totals');
    await shot(page, '21-deleted');
    /* the browser logs the answer 404 as a console error: expected here */
    allowed = /status of 404/;
    const resp = await page.goto(`${BASE}${LIST}/tasks/${doomed.id}?business=${A.slug}`);
    eq(resp.status(), 404, 'the task\'s page is gone');
  });

  const running = A.tasks[7];
  await step('Executors: the Admin menu leads to the page, which shows the executor and its task', async () => {
    await goList(page, {});
    await page.locator('header nav summary', { hasText: 'Admin' }).click();
    const item = page.locator('header nav').getByRole('link', { name: 'Executors', exact: true });
    await item.waitFor({ state: 'visible' });
    await nav(page, (u) => u.pathname === '/admin/executors', () => item.click());
    eq((await page.locator('h1').textContent()).trim(), 'Executors', 'the page heading');
    const heads = (await page.locator('table.executors thead th').allTextContents()).map((t) => t.trim());
    eq(heads, ['Host', 'PID', 'Supervisor PID', 'Started', 'Current task', 'Heartbeat'], 'the columns');
    const row = page.locator('table.executors tbody tr', { hasText: env.BT_EXECUTOR_HOST });
    eq(await row.count(), 1, 'one row for the executor the test made');
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim().replace(/\s+/g, ' '));
    eq(cells.slice(0, 3), [env.BT_EXECUTOR_HOST, env.BT_EXECUTOR_PID, env.BT_SUPERVISOR_PID],
      'host, pid and supervisor pid');
    assert(cells[4].startsWith(`#${running.id} ${running.type} for ${running.user}`), 'the task it runs',
      cells[4]);
    await shot(page, '20-executors');
    await nav(page, (u) => u.pathname === `${LIST}/tasks/${running.id}`,
      () => row.getByRole('link', { name: `#${running.id}` }).click());
    eq((await page.locator('h1').textContent()).trim(), `Task #${running.id}`, 'the link leads to the task');
  });

  const withParams = Number(env.BT_PARAM_TASK);
  /* (Playwright's inputValue wants upper-case node names, which XHTML's
   * are not) */
  const valueOf = (control) => control.evaluate((e) => e.value);
  await step('edit a task whose type declares parameters: one field each, saved as its payload', async () => {
    await page.goto(`${BASE}${LIST}/tasks/${withParams}/edit?business=${A.slug}`);
    eq((await page.locator('h1').textContent()).trim(), `Edit task #${withParams}`, 'the heading');
    assert(await page.locator('textarea[name=payload]').count() === 0, 'no payload text box');
    const count = await field(page, 'count');
    eq([await count.getAttribute('type'), await count.getAttribute('min'), await count.getAttribute('max'),
      await valueOf(count)], ['number', '1', '100', '3'], 'count: a number from 1 to 100, as stored');
    const title = await field(page, 'title');
    eq([await title.getAttribute('type'), await title.getAttribute('maxlength'),
      await title.getAttribute('placeholder'), await valueOf(title)], ['text', '20', 'untitled', 'Größe'],
    'title: text of at most 20, its default as the placeholder, as stored');
    const hint = await title.getAttribute('aria-describedby');
    eq((await page.locator(`[id="${hint}"]`).textContent()).trim(), 'The title', 'title: its description as a hint');
    const urgent = await field(page, 'urgent');
    eq(await urgent.evaluate((e) => e.localName), 'select', 'urgent: a choice');
    /* a value the form refuses comes back with the message, as typed */
    await count.fill('7');
    await title.fill('Ünïcode ½');
    await urgent.selectOption('true');
    await (await field(page, 'Priority (-1000 to 1000, higher first)')).fill('5');
    await shot(page, '21-edit-params');
    await nav(page, (u) => u.pathname === LIST, () => page.getByRole('button', { name: 'Save' }).click());
    eq(await flash(page), `Task #${withParams} saved.`, 'the flash message');
    await page.goto(`${BASE}${LIST}/tasks/${withParams}?business=${A.slug}`);
    eq(await page.locator('pre.payload').textContent(), 'count=7\ntitle=Ünïcode ½\nurgent=true\n',
      'the payload the fields made');
  });

  await step('edit with parameters: a value out of range shows the form again with the message', async () => {
    await page.goto(`${BASE}${LIST}/tasks/${withParams}/edit?business=${A.slug}`);
    const count = await field(page, 'count');
    allowed = /status of 400/; /* the browser logs the 400 it is shown */
    /* past the browser's own check, to see the server's */
    await count.evaluate((e) => { e.removeAttribute('max'); });
    await count.fill('500');
    const loaded = page.waitForEvent('load');
    const resp = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Save' }).click();
    eq((await resp).status(), 400, 'the answer is 400');
    await loaded;
    eq((await page.locator('[role=alert]').textContent()).trim(), "payload line 1: parameter 'count' must be 1 to 100, not 500",
      'the message names the parameter');
    eq(await valueOf(await field(page, 'count')), '500', 'the value as typed');
    eq(await valueOf(await field(page, 'urgent')), 'true', 'the other values kept');
  });

  /* recurring tasks: the Schedules page */
  const SCHED = '/admin/schedules';
  const schedRows = (p) => p.locator('table.schedules tbody tr').evaluateAll((trs) => trs
    .filter((tr) => tr.cells.length > 1)
    .map((tr) => [...tr.cells].slice(0, 7).map((td) => td.textContent.trim())));
  await step('Schedules: Admin -> Schedules, and a schedule added through its form', async () => {
    await page.goto(`${BASE}${LIST}?business=${A.slug}`);
    await page.locator('header summary').click();
    await nav(page, (u) => u.pathname === SCHED, () => page.locator('header').getByRole('link', { name: 'Schedules' }).click());
    if (params(page).get('business') !== A.slug) await page.goto(`${BASE}${SCHED}?business=${A.slug}`);
    await (await field(page, 'Cron expression')).fill('30 2 * * MON-FRI');
    await (await field(page, 'Time zone')).fill('Europe/Berlin');
    await (await field(page, 'Task type')).fill(TYPES[0]);
    await (await field(page, "User (member's email)")).fill(env.BT_ADMIN_EMAIL);
    await (await field(page, 'Occurrences missed while no supervisor ran')).selectOption({ label: 'Run once for all of them' });
    await nav(page, (u) => u.pathname === SCHED, () => page.getByRole('button', { name: 'Add schedule' }).click());
    assert(/^Schedule #\d+ added: /.test(await flash(page)), 'the flash message', await flash(page));
    eq(await schedRows(page), [['30 2 * * MON-FRI', 'Europe/Berlin', TYPES[0], env.BT_ADMIN_EMAIL, '0', 'once', 'active']],
      'the table shows it');
    await shot(page, '30-schedules');
  });
  await step('Schedules: a bad cron expression is refused with the field named', async () => {
    await page.goto(`${BASE}${SCHED}?business=${A.slug}`);
    await (await field(page, 'Cron expression')).fill('0 25 * * *');
    await (await field(page, 'Task type')).fill(TYPES[0]);
    await (await field(page, "User (member's email)")).fill(env.BT_ADMIN_EMAIL);
    allowed = /status of 400/;
    const resp = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Add schedule' }).click();
    eq((await resp).status(), 400, 'the answer is 400');
    await page.getByText("cron: hour field: '25' is not from 0 to 23").waitFor();
  });
  await step('Schedules: Pause asks in a dialog, then pauses', async () => {
    await page.goto(`${BASE}${SCHED}?business=${A.slug}`);
    await page.locator('table.schedules').getByRole('link', { name: 'Pause' }).click();
    const dialog = page.locator('dialog#schedule-pause-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert((await dialog.locator('.what').textContent()).includes(TYPES[0]), 'the dialog names the schedule');
    await shot(page, '31-schedule-pause-dialog');
    await nav(page, (u) => u.pathname === SCHED, () => dialog.getByRole('button', { name: 'Pause' }).click());
    assert(/^Schedule #\d+ paused\.$/.test(await flash(page)), 'the flash message', await flash(page));
    eq((await schedRows(page))[0][6], 'paused', 'the table shows it paused');
  });

  /* without script: plain pages and forms */
  const plain = await browser.newContext({ viewport: LAPTOP, javaScriptEnabled: false });
  const np = watch(await plain.newPage(), 'no script');
  const quiet = A.users[6];
  await step('without script: Pause User works through its own page', async () => {
    await login(np);
    await np.goto(`${BASE}${LIST}?business=${A.slug}`);
    await np.getByRole('button', { name: 'Switch' }).waitFor({ state: 'visible' });
    await nav(np, (u) => u.pathname === `${LIST}/pause-user`,
      () => np.locator('.toolbar').getByRole('link', { name: 'Pause User' }).click());
    eq((await np.locator('h2#pause-panel-title').textContent()).trim(), 'Pause User', 'the page\'s heading');
    assert(!(await np.locator('input.select-all').isVisible()), 'no select-all without script');
    await (await field(np, 'Search users')).fill(quiet.split(' ')[1]);
    await nav(np, (u) => u.searchParams.get('q') === quiet.split(' ')[1],
      () => np.locator('form.panel-search').getByRole('button', { name: 'Search' }).click());
    eq(await panelNames(np.locator('#pause-panel')), [quiet], 'the search finds the user');
    await (await field(np, quiet)).check();
    await (await field(np, 'Reason (optional)')).fill('Without script');
    await (await field(np, 'Expires')).selectOption({ label: 'After 1 hour' });
    await shot(np, '22-nojs-pause-user');
    await nav(np, (u) => u.pathname === LIST, () => np.getByRole('button', { name: 'Pause selected users' }).click());
    eq(await flash(np), `Paused 1 user: ${quiet}.`, 'the flash message');
    const list = await rows(np);
    for (const r of list) eq(r.status, r.user === quiet ? 'paused' : 'queued', `the status of task #${r.id}`);
    await shot(np, '23-nojs-paused');
  });

  await step('without script: the user is resumed from the Pause User page', async () => {
    await np.locator('.toolbar').getByRole('link', { name: 'Pause User' }).click();
    await np.getByRole('button', { name: `Resume ${quiet}` }).waitFor();
    await nav(np, (u) => u.pathname === LIST, () => np.getByRole('button', { name: `Resume ${quiet}` }).click());
    eq(await flash(np), `Resumed user ${quiet}.`, 'the flash message');
    const list = await rows(np);
    eq(list.filter((r) => r.status !== 'queued').length, 0, 'no task is paused');
  });
  await step('without script: Pause Task Type is searched and paged through its own page', async () => {
    await np.goto(`${BASE}${LIST}/pause-type?business=${A.slug}`);
    await (await field(np, 'Search task types')).fill(PAGED_WORD);
    await nav(np, (u) => u.searchParams.get('q') === PAGED_WORD,
      () => np.locator('form.panel-search').getByRole('button', { name: 'Search' }).click());
    eq(await panelNames(np.locator('#pause-panel')), PAGED.slice(0, 25), 'the first page of the search');
    await nav(np, (u) => u.searchParams.get('q') === PAGED_WORD && u.searchParams.has('after'),
      () => np.getByRole('link', { name: 'More task types ›' }).click());
    eq(await panelNames(np.locator('#pause-panel')), PAGED.slice(25), 'the next page keeps the search');
    await (await field(np, PAGED[28])).check();
    await shot(np, '23a-nojs-pause-type-paged');
    await nav(np, (u) => u.pathname === LIST,
      () => np.getByRole('button', { name: 'Pause selected task types' }).click());
    eq(await flash(np), `Paused 1 task type: ${PAGED[28]}.`, 'a type of the second page is paused');
    for (const t of [PAGED[27], PAGED[28]]) {
      await np.goto(`${BASE}${LIST}/pause-type?business=${A.slug}`);
      await nav(np, (u) => u.pathname === LIST, () => np.getByRole('button', { name: `Resume ${t}` }).click());
      eq(await flash(np), `Resumed task type ${t}.`, `${t} is resumed`);
    }
  });
  await step('without script: a schedule is resumed and removed through pages of their own', async () => {
    await np.goto(`${BASE}${SCHED}?business=${A.slug}`);
    await nav(np, (u) => /^\/admin\/schedules\/\d+\/resume$/.test(u.pathname),
      () => np.locator('table.schedules').getByRole('link', { name: 'Resume' }).click());
    await nav(np, (u) => u.pathname === SCHED, () => np.locator('main').getByRole('button', { name: 'Resume' }).click());
    assert(/^Schedule #\d+ resumed\.$/.test(await flash(np)), 'resumed', await flash(np));
    eq((await schedRows(np))[0][6], 'active', 'the table shows it active');
    await nav(np, (u) => /^\/admin\/schedules\/\d+\/remove$/.test(u.pathname),
      () => np.locator('table.schedules').getByRole('link', { name: 'Remove' }).click());
    await shot(np, '32-nojs-schedule-remove');
    await nav(np, (u) => u.pathname === SCHED, () => np.locator('main').getByRole('button', { name: 'Remove' }).click());
    assert(/^Schedule #\d+ removed\.$/.test(await flash(np)), 'removed', await flash(np));
    eq(await schedRows(np), [], 'no schedule is left');
  });
  await plain.close();

  await platformRules(page);

  await step('log out: back on the login page, the list asks to log in', async () => {
    await goList(page, {});
    await nav(page, (u) => u.pathname === '/login',
      () => page.locator('header').getByRole('button', { name: 'Log out' }).click());
    await (await field(page, 'Email')).waitFor();
    await shot(page, '24-logged-out');
    await page.goto(`${BASE}${LIST}?business=${A.slug}`);
    eq(pathOf(page), '/login', 'the list redirects to the login page');
    assert(await page.locator('header .who').count() === 0, 'no account in the header');
  });

  await context.close();
  await taskActions();
}

/* ---- Retry, Run now and Discard, in business C, with its own admin ---- */

const { execFileSync } = require('child_process');
/* The command line on the test database: `counters check` after each
 * action, and a change made behind a page's back. */
function cli(...args) {
  try {
    return { rc: 0, out: execFileSync(env.BT_AT, ['--config', env.BT_CONF, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    return { rc: e.status, out: `${e.stdout || ''}${e.stderr || ''}` };
  }
}
function countersClean(what) {
  const r = cli('counters', 'check', '--business', env.BT_C_SLUG);
  assert(r.rc === 0, `${what}: counters check is clean`, r.out);
}

async function taskActions() {
  const C = { slug: env.BT_C_SLUG, ids: lines(env.BT_TASKS_C).map(Number) };
  const [failed, cancelled, later1, later2, succeeded, failed2] = C.ids;
  const taskUrl = (id, tail = '') => `${BASE}${LIST}/tasks/${id}${tail}?business=${C.slug}`;
  const detail = (page) => page.evaluate(() => {
    const out = {};
    for (const dt of document.querySelectorAll('dl.task-detail dt')) out[dt.textContent.trim()] = dt.nextElementSibling.textContent.trim();
    return out;
  });
  const attemptRows = (page) => page.locator('table.attempts tbody tr').allTextContents();
  const loginAs = async (page) => {
    await page.goto(`${BASE}/login`);
    await (await field(page, 'Email')).fill(env.BT_C_ADMIN_EMAIL);
    await (await field(page, 'Password')).fill(env.BT_PASSWORD);
    await nav(page, (u) => u.pathname === LIST, () => page.getByRole('button', { name: 'Log in' }).click());
  };

  const context = await browser.newContext({ viewport: LAPTOP, locale: 'en-GB' });
  const page = watch(await context.newPage(), 'actions');
  await step('Retry: a failed task is retried from its page through a dialog, its attempt kept', async () => {
    await loginAs(page);
    await page.goto(taskUrl(failed));
    eq((await detail(page)).Status, 'failed', 'the task has failed');
    eq((await attemptRows(page)).length, 1, 'one attempt on record');
    const actions = (await page.locator('p.task-actions a').allTextContents()).map((t) => t.trim());
    eq(actions, ['Retry', 'Discard'], 'a failed task offers Retry and Discard');
    const link = page.locator('p.task-actions').getByRole('link', { name: 'Retry' });
    await link.click();
    const dialog = page.locator('#retry-dialog');
    await dialog.waitFor({ state: 'visible' });
    eq((await focusInfo(page)).dialog, 'retry-dialog', 'the focus is in the dialog');
    assert((await dialog.locator('.what').textContent()).includes(`(task #${failed})`), 'the dialog names the task');
    await shot(page, '30-retry-dialog');
    await escape(page, dialog);
    eq((await detail(page)).Status, 'failed', 'Escape does nothing');
    await link.click();
    await dialog.waitFor({ state: 'visible' });
    await nav(page, (u) => u.pathname === LIST, () => dialog.getByRole('button', { name: 'Retry' }).click());
    eq(await flash(page), `Task #${failed} is queued again.`, 'the flash message');
    await page.goto(taskUrl(failed));
    const d = await detail(page);
    eq([d.Status, d.Attempts], ['queued', '1 of 4'], 'queued, with a new budget of attempts');
    const att = await attemptRows(page);
    eq(att.length, 1, 'its attempt is still on record');
    assert(att[0].includes('disk full'), 'with its error', att[0]);
    countersClean('after Retry');
  });

  await step('Run now: a task waiting for later runs now, from the list row\'s dialog', async () => {
    await page.goto(`${BASE}${LIST}?business=${C.slug}`);
    const row = page.locator(`#task-${later1}`);
    await row.getByRole('link', { name: 'Run now' }).click();
    const dialog = page.locator('#run-now-dialog');
    await dialog.waitFor({ state: 'visible' });
    await shot(page, '31-run-now-dialog');
    await nav(page, (u) => u.pathname === LIST, () => dialog.getByRole('button', { name: 'Run now' }).click());
    eq(await flash(page), `Task #${later1} is due now.`, 'the flash message');
    eq(await page.locator(`#task-${later1}`).getByRole('link', { name: 'Run now' }).count(), 0,
      'the row offers Run now no more');
    eq(await page.locator(`#task-${later2}`).getByRole('link', { name: 'Run now' }).count(), 1,
      'the other waiting task still does');
    countersClean('after Run now');
  });

  await step('Discard: a succeeded task is discarded from its page through a dialog', async () => {
    await page.goto(taskUrl(succeeded));
    await page.locator('p.task-actions').getByRole('link', { name: 'Discard' }).click();
    const dialog = page.locator('#discard-dialog');
    await dialog.waitFor({ state: 'visible' });
    await nav(page, (u) => u.pathname === LIST, () => dialog.getByRole('button', { name: 'Discard' }).click());
    eq(await flash(page), `Task #${succeeded} discarded.`, 'the flash message');
    allowed = /status of 404/;
    const resp = await page.goto(taskUrl(succeeded));
    eq(resp.status(), 404, 'the task is gone');
    countersClean('after Discard');
  });
  await context.close();

  const plain = await browser.newContext({ viewport: LAPTOP, javaScriptEnabled: false });
  const np = watch(await plain.newPage(), 'actions, no script');
  await step('without script: Retry a cancelled task from the list through its confirmation page', async () => {
    await loginAs(np);
    await np.goto(`${BASE}${LIST}?business=${C.slug}&status=finished`);
    await nav(np, (u) => u.pathname === `${LIST}/tasks/${cancelled}/retry`,
      () => np.locator(`#task-${cancelled}`).getByRole('link', { name: 'Retry' }).click());
    eq((await np.locator('h1').textContent()).trim(), `Retry task #${cancelled}`, 'the confirmation page');
    await shot(np, '32-nojs-retry');
    await nav(np, (u) => u.pathname === LIST && u.searchParams.get('status') === 'finished',
      () => np.getByRole('button', { name: 'Retry' }).click());
    eq(await flash(np), `Task #${cancelled} is queued again.`, 'the flash message, back on the list as it was');
    await np.goto(taskUrl(cancelled));
    eq((await detail(np)).Status, 'queued', 'it is queued');
    countersClean('after Retry without script');
  });

  await step('without script: Run now through its confirmation page', async () => {
    await np.goto(taskUrl(later2));
    await nav(np, (u) => u.pathname === `${LIST}/tasks/${later2}/run-now`,
      () => np.locator('p.task-actions').getByRole('link', { name: 'Run now' }).click());
    eq((await np.locator('h1').textContent()).trim(), `Run task #${later2} now`, 'the confirmation page');
    await nav(np, (u) => u.pathname === LIST, () => np.getByRole('button', { name: 'Run now' }).click());
    eq(await flash(np), `Task #${later2} is due now.`, 'the flash message');
    countersClean('after Run now without script');
  });

  await step('without script: a task retried behind the confirmation page\'s back is not discarded', async () => {
    await np.goto(taskUrl(failed2, '/discard'));
    eq((await np.locator('h1').textContent()).trim(), `Discard task #${failed2}`, 'the confirmation page');
    const r = cli('tasks', 'retry', '--business', C.slug, String(failed2));
    eq([r.rc, r.out.trim()], [0, `task ${failed2} queued again`], 'the command line retries it meanwhile');
    allowed = /status of 409/;
    const resp = np.waitForResponse((x) => x.request().method() === 'POST');
    await np.getByRole('button', { name: 'Discard' }).click();
    eq((await resp).status(), 409, 'the answer is 409');
    await np.locator('main').waitFor();
    const text = (await np.locator('main').textContent()).replace(/\s+/g, ' ');
    assert(text.includes(`is queued: only a finished task (succeeded, failed or cancelled) can be discarded`),
      'the page says why', text);
    await shot(np, '33-nojs-discard-refused');
    await np.goto(taskUrl(failed2));
    eq((await detail(np)).Status, 'queued', 'the task is still there, queued');
    const again = await np.goto(taskUrl(failed2, '/retry'));
    eq(again.status(), 409, 'the Retry page of a queued task is 409 too');
    countersClean('after the refused Discard');
  });
  await plain.close();
}

/* Platform rules: a platform admin pauses a type for all businesses in the
 * dialog (with script) and lifts it from the panel's page (without); the
 * business admin (page) sees the rule in both businesses, has no scope
 * choice and no Resume for it, gets a 403 for a forged resume, and Resume
 * All leaves the rule in place and says so. */
async function platformRules(page) {
  const T = TYPES[0];
  const boss = await browser.newContext({ viewport: LAPTOP, locale: 'en-GB' });
  const bp = watch(await boss.newPage(), 'platform admin');
  const bossPlain = await browser.newContext({ viewport: LAPTOP, javaScriptEnabled: false });
  const bnp = watch(await bossPlain.newPage(), 'platform admin, no script');
  const plain = await browser.newContext({ viewport: LAPTOP, javaScriptEnabled: false });
  const np = watch(await plain.newPage(), 'business admin, no script');
  const scope = (where) => where.locator('fieldset.pause-where');

  await step('a business admin has no scope choice in Pause Task Type, with or without script', async () => {
    await goList(page, { business: A.slug });
    await page.locator('.toolbar').getByRole('link', { name: 'Pause Task Type' }).click();
    const dialog = page.locator('#pause-type-dialog');
    await waitPanel(page, 'pause-type-dialog', (n) => n.length > 0, 'task types');
    eq(await scope(dialog).count(), 0, 'no scope in the dialog');
    await escape(page, dialog);
    await login(np);
    await np.goto(`${BASE}${LIST}/pause-user?business=${A.slug}`);
    await np.locator('#pause-panel').waitFor();
    eq(await scope(np.locator('#pause-panel')).count(), 0, 'no scope on the Pause User page');
  });

  await step('a platform admin pauses a type for all businesses in the dialog', async () => {
    await login(bp, env.BT_BOSS_EMAIL);
    await goList(bp, { business: A.slug });
    await bp.locator('.toolbar').getByRole('link', { name: 'Pause Task Type' }).click();
    const dialog = bp.locator('#pause-type-dialog');
    await waitPanel(bp, 'pause-type-dialog', (n) => n.length > 0, 'task types');
    await (await field(dialog, 'Search task types')).fill(RUN);
    /* the searched panel, not the first one (which may list T too, and be
     * replaced by the search's after T is checked) */
    await waitPanel(bp, 'pause-type-dialog',
      (n) => JSON.stringify(n.slice().sort()) === JSON.stringify(TYPES.slice().sort()),
      'only the types of this run');
    eq((await scope(dialog).locator('legend').textContent()).trim(), 'Scope', 'the scope choice is there');
    assert(await (await field(dialog, `This business (${A.name})`)).isChecked(),
      'this business is the default');
    await (await field(dialog, T)).check();
    await (await field(dialog, 'All businesses, present and future')).check();
    await (await field(dialog, 'Reason (optional)')).fill('Provider down');
    await shot(bp, '25-platform-pause');
    await nav(bp, (u) => u.pathname === LIST,
      () => dialog.getByRole('button', { name: 'Pause selected task types' }).click());
    eq(await flash(bp), `Paused 1 task type for all businesses: ${T}.`, 'the flash message');
  });

  await step('the business admin sees the platform rule in both businesses, without a Resume', async () => {
    for (const biz of [A, B]) {
      await goList(page, { business: biz.slug });
      const note = page.locator('section.platform-rules');
      await note.waitFor();
      const text = (await note.textContent()).replace(/\s+/g, ' ');
      assert(text.includes(`Task type ${T} paused for all businesses by ${env.BT_BOSS_EMAIL}`)
        && text.includes('Provider down'), `${biz.slug}: the rule with who and why`, text);
      for (const r of await rows(page)) {
        if (r.type === T) eq(r.status, 'paused', `${biz.slug}: task #${r.id} of ${T} is paused`);
      }
    }
    await shot(page, '26-platform-rule-shown');
    await page.locator('.toolbar').getByRole('link', { name: 'Pause Task Type' }).click();
    const dialog = page.locator('#pause-type-dialog');
    await waitPanel(page, 'pause-type-dialog', (n) => n.length > 0, 'task types');
    const list = dialog.locator('ul.platform-rules li');
    await list.first().waitFor();
    assert((await list.first().textContent()).includes(T), 'the dialog lists the platform rule');
    eq(await dialog.getByRole('button', { name: `Resume ${T}` }).count(), 0, 'no Resume for it');
    await escape(page, dialog);
  });

  await step('a forged resume of the platform rule by the business admin is a 403 with a message', async () => {
    await np.goto(`${BASE}${LIST}/pause-type?business=${B.slug}`);
    const token = await np.locator('form.pause-form input[name=csrf]').getAttribute('value');
    const target = await np.locator('form.pause-form input[name=target]').first().getAttribute('value');
    const res = await np.request.post(`${BASE}${LIST}/resume-type`, {
      form: { csrf: token, business: B.slug, target, where: 'all' }, maxRedirects: 0,
    });
    eq(res.status(), 403, 'the status');
    const body = await res.text();
    assert(body.includes('only a platform admin may pause or resume for all businesses'),
      'the page says why', body.slice(0, 400));
  });

  await step('Resume All in a business leaves the platform rule in place and says so', async () => {
    await goList(page, { business: B.slug });
    await page.locator('.toolbar').getByRole('link', { name: 'Resume All' }).click();
    const dialog = page.locator('#resume-all-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert((await dialog.textContent()).includes('Platform rules'), 'the confirmation says so');
    await nav(page, (u) => u.pathname === LIST, () => dialog.getByRole('button', { name: 'Resume All' }).click());
    const f = await flash(page);
    assert(/1 platform rule left in place/.test(f), 'the result says so', f);
    for (const r of await rows(page)) {
      if (r.type === T) eq(r.status, 'paused', `task #${r.id} of ${T} is still paused`);
    }
  });

  await step('without script, the platform admin has the scope choice and lifts the rule', async () => {
    await login(bnp, env.BT_BOSS_EMAIL);
    await bnp.goto(`${BASE}${LIST}/pause-type?business=${B.slug}`);
    const panel = bnp.locator('#pause-panel');
    await panel.waitFor();
    eq(await scope(panel).locator('input[type=radio]').count(), 2, 'the two scopes');
    await shot(bnp, '27-nojs-platform-scope');
    await nav(bnp, (u) => u.pathname === LIST,
      () => panel.locator('ul.platform-rules').getByRole('button', { name: `Resume ${T}` }).click());
    eq(await flash(bnp), `Resumed task type ${T} for all businesses.`, 'the flash message');
    await goList(page, { business: A.slug });
    eq(await page.locator('section.platform-rules').count(), 0, 'the business admin sees no rule now');
  });

  await boss.close();
  await bossPlain.close();
  await plain.close();
}

/* Never hang: past the time allowed, stop at once (the browser is ended
 * with this process). */
const killer = setTimeout(() => {
  console.log(`Bail out! the browser test took longer than ${GLOBAL_TIMEOUT / 1000} s`);
  process.exit(1);
}, GLOBAL_TIMEOUT);

const started = Date.now();
main().then(async () => {
  if (problems.length > reported) {
    count++;
    failures++;
    console.log(`not ok ${count} - console and page errors after the last step`);
    problems.slice(reported).forEach((p) => diag(p));
  }
}, (e) => {
  count++;
  failures++;
  console.log(`not ok ${count} - the test could not go on`);
  diag(e.stack || String(e));
}).finally(async () => {
  if (browser) await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  clearTimeout(killer);
  console.log(`1..${count}`);
  diag(`${count - failures} of ${count} passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failures ? 1 : 0);
});
