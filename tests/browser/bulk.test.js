/* bulk.test.js: bulk actions on the list's view, in a headless browser,
 * with and without script: the links under the filters, the confirmation
 * page (the count, the first tasks, the button), the job's progress page,
 * which with script follows the job by itself and without it has a
 * Refresh link, and its Cancel button. The job's batches are run by the
 * command line (tasks bulk-run), as a supervisor would run them: no
 * supervisor runs on the shared test database while the other tests do.
 * Seeds its own business through the command line (BT_AT, BT_CONF and
 * BT_PASSWORD, from tests/browser.sh, which runs every *.test.js). Prints
 * TAP; any console or page error fails its step. */
'use strict';

const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const env = process.env;
for (const k of ['BT_URL', 'BT_ARTIFACTS', 'BT_AT', 'BT_CONF', 'BT_PASSWORD']) {
  if (!env[k]) {
    console.log(`Bail out! ${k} is not set: run this through tests/browser.sh`);
    process.exit(1);
  }
}
const BASE = env.BT_URL.replace(/\/$/, '');
const LIST = '/admin/async-tasks';
const RUN = `${Date.now() % 1e9}${process.pid}`;
const SLUG = `bk${RUN}`;
const ADMIN = `bulk.${RUN}@example.test`;
const USER = `bulkuser.${RUN}@example.test`;
const TYPE = `bulk-type-${RUN}`;
const OTHER = `bulk-other-${RUN}`;

const at = (...args) => execFileSync(env.BT_AT, ['--config', env.BT_CONF, ...args],
  { encoding: 'utf8', input: args.includes('-') ? `${env.BT_PASSWORD}\n` : undefined }).trim();

/* ---- TAP: one point per step ---- */
let count = 0;
let failures = 0;
const errors = [];
function check(cond, message) {
  if (!cond) throw new Error(message);
}
async function step(name, fn, pages) {
  const seen = errors.length;
  let error = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  const fresh = errors.slice(seen);
  count++;
  if (!error && !fresh.length) {
    console.log(`ok ${count} - ${name}`);
    return;
  }
  failures++;
  console.log(`not ok ${count} - ${name}`);
  for (const l of String(error ? error.stack || error : '').split('\n').concat(fresh)) {
    if (l) console.log(`# ${l}`);
  }
  for (const p of pages) {
    await p.screenshot({ path: path.join(env.BT_ARTIFACTS, `bulk-failed-${count}.png`) }).catch(() => {});
  }
}

function seed() {
  at('business', 'add', SLUG, `Bulk Browser ${RUN}`);
  at('user', 'add', ADMIN, `Bulk Admin ${RUN}`, '--password-file', '-');
  at('member', 'add', '--business', SLUG, '--user', ADMIN, '--role', 'business_admin');
  at('user', 'add', USER, `Bulk User ${RUN}`, '--no-password');
  at('member', 'add', '--business', SLUG, '--user', USER, '--role', 'member');
  at('type', 'add', TYPE);
  at('type', 'add', OTHER);
  for (let i = 0; i < 12; i++) {
    at('enqueue', '--business', SLUG, '--user', USER, '--type', TYPE, '--run-at', '+2d');
  }
  for (let i = 0; i < 3; i++) {
    at('enqueue', '--business', SLUG, '--user', USER, '--type', OTHER, '--run-at', '+2d');
  }
}

async function login(page) {
  await page.goto(`${BASE}/login`);
  await page.locator('input[name=email]').fill(ADMIN);
  await page.locator('input[name=password]').fill(env.BT_PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname === LIST), page.locator('form button[type=submit]', { hasText: 'Log in' }).click()]);
}

/* The list filtered on a type, then a bulk link, the confirmation page,
 * and its button; returns the job's id from the progress page's address. */
async function startFromList(page, type, status, linkText, label) {
  const q = new URLSearchParams({ business: SLUG, type, status });
  await page.goto(`${BASE}${LIST}?${q}`);
  await Promise.all([page.waitForURL(/\/bulk\//), page.locator('.bulk-actions a', { hasText: linkText }).click()]);
  const url = new URL(page.url());
  check(url.searchParams.get('type') === type && (url.searchParams.get('status') || 'pending') === status,
    `the confirmation page keeps the view: ${page.url()}`);
  await page.locator('h1').waitFor();
  const button = page.locator('section.bulk-confirm form[method=post] button[type=submit]');
  check((await button.textContent()).trim() === label, `the button says "${label}"`);
  await Promise.all([page.waitForURL(/\/bulk-jobs\/\d+/), button.click()]);
  return Number(new URL(page.url()).pathname.replace(/^.*\//, ''));
}
const stateOf = async (page) => (await page.locator('.bulk-state').textContent()).trim();
const countsOf = async (page) => (await page.locator('.bulk-counts').textContent()).replace(/\s+/g, ' ').trim();

async function main() {
  seed();
  const browser = await chromium.launch({
    executablePath: env.BT_BROWSER || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const contexts = [];
  const open = async (js) => {
    const ctx = await browser.newContext({ javaScriptEnabled: js, viewport: { width: 1280, height: 800 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(10000);
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    return page;
  };
  try {
    const page = await open(true);
    await step('with script: the confirmation page counts the view\'s tasks and shows the first', async () => {
      await login(page);
      const q = new URLSearchParams({ business: SLUG, type: TYPE });
      await page.goto(`${BASE}${LIST}?${q}`);
      const links = await page.locator('.bulk-actions a').allTextContents();
      check(JSON.stringify(links.map((s) => s.trim())) === JSON.stringify(['Retry all', 'Cancel all', 'Delete all']),
        `the three bulk links: ${links}`);
      await Promise.all([page.waitForURL(/\/bulk\/cancel/), page.locator('.bulk-actions a', { hasText: 'Cancel all' }).click()]);
      const text = (await page.locator('p.bulk-count').textContent()).replace(/\s+/g, ' ').trim();
      check(text === `12 tasks of Bulk Browser ${RUN} match this view (status pending, type '${TYPE}').`, `the count: ${text}`);
      check(await page.locator('table.bulk-sample tbody tr').count() === 10, 'ten tasks shown');
      await page.screenshot({ path: path.join(env.BT_ARTIFACTS, 'bulk-01-confirm.png') });
    }, [page]);

    await step('with script: Cancel all runs as a job whose page follows it to the end', async () => {
      const id = await startFromList(page, TYPE, 'pending', 'Cancel all', 'Cancel 12 tasks');
      check((await page.locator('main p.flash').textContent()).includes(`Bulk job #${id} started.`), 'the flash message');
      check(await stateOf(page) === 'queued', 'queued until a runner takes it');
      at('tasks', 'bulk-run', '--business', SLUG, String(id));
      await page.locator('.bulk-state', { hasText: 'done' }).waitFor({ timeout: 15000 });
      check(await countsOf(page) === '12 done, 0 skipped, of 12 tasks matching when it started', `the counts: ${await countsOf(page)}`);
      check(await page.locator('form.bulk-cancel').count() === 0, 'no Cancel once it has ended');
      await page.screenshot({ path: path.join(env.BT_ARTIFACTS, 'bulk-02-progress.png') });
      const left = at('tasks', 'list', '--business', SLUG, '--type-search', TYPE, '--format', 'tsv');
      check(!/\tqueued\t/.test(left), 'no task of the type is queued any more');
    }, [page]);

    const plain = await open(false);
    await step('without script: Retry all over the finished view, then Refresh', async () => {
      await login(plain);
      const id = await startFromList(plain, TYPE, 'finished', 'Retry all', 'Retry 12 tasks');
      check(await stateOf(plain) === 'queued', 'queued until a runner takes it');
      at('tasks', 'bulk-run', '--business', SLUG, String(id));
      await Promise.all([plain.waitForURL(/\/bulk-jobs\//), plain.locator('a.refresh').click()]);
      check(await stateOf(plain) === 'done', `done after a refresh, not ${await stateOf(plain)}`);
      check(await countsOf(plain) === '12 done, 0 skipped, of 12 tasks matching when it started', `the counts: ${await countsOf(plain)}`);
      check(await plain.locator('a.refresh').count() === 0, 'no Refresh once it has ended');
    }, [plain]);

    await step('without script: Delete all, and Cancel the job before it runs', async () => {
      const id = await startFromList(plain, OTHER, 'pending', 'Delete all', 'Delete 3 tasks');
      await Promise.all([plain.waitForURL(/\/bulk-jobs\//), plain.locator('form.bulk-cancel button').click()]);
      check((await plain.locator('main p.flash').textContent()).includes(`Bulk job #${id} cancelled`), 'the flash message');
      check(await stateOf(plain) === 'cancelled', 'cancelled');
      check(await countsOf(plain) === '0 done, 0 skipped, of 3 tasks matching when it started', `the counts: ${await countsOf(plain)}`);
      const audit = at('audit', 'list', '--business', SLUG);
      check(/bulk_delete/.test(audit) && /bulk_cancel/.test(audit) && /bulk_retry/.test(audit), 'one audit entry per job');
      check(/^[^:]+: ok$/.test(at('counters', 'check', '--business', SLUG)), 'the totals and lanes agree with the tasks');
    }, [plain]);
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    await browser.close().catch(() => {});
  }
}

main().catch((e) => {
  count++;
  failures++;
  console.log(`not ok ${count} - the test could not go on`);
  console.log(`# ${String(e.stack || e).split('\n').join('\n# ')}`);
}).finally(() => {
  console.log(`1..${count}`);
  process.exit(failures ? 1 : 0);
});
