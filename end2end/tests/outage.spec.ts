// Transfers that ride out an outage (issue 15): this spec's own server is killed for ~45 s during
// a 50 MiB upload and during a 50 MiB download. Both rows say "Reconnecting…" meanwhile, the
// offline banner shows, and both finish by themselves once the server is back (same port, same
// data directory), with identical bytes and without a reload; the download goes on with a Range
// request from where it stopped. Cancel works while reconnecting. Finished rows fold into one
// "N uploads done" line, and the list shows only a few open rows. The Account page (server
// functions only) shows the banner too, and there and on "Shared with me" the "Could not reach
// Coffer" goes and the lists load again once the server is back.
//
// The page's network is throttled over the DevTools protocol so that 50 MiB take long enough on
// loopback for the server to be killed half-way.
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRow as row, headerLink, noFilePicker, recordSecret, register, sha256 } from './helpers';
import { startServer, type OwnServer } from './servers';

const MiB = 1024 * 1024;
const OUTAGE_MS = 45_000;
const run = Date.now().toString(36);
const password = `Outage-Lantern-Moss-${run}-⚡`;
const dir = mkdtempSync(join(tmpdir(), 'coffer-outage-'));

let server: OwnServer;
let context: BrowserContext;
let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  server = await startServer();
  context = await browser.newContext({ baseURL: server.base, acceptDownloads: true });
  await context.addInitScript(noFilePicker);
  page = await context.newPage();
  recordSecret('password', password);
  await register(page, `outage_${run}`, password);
  // A reload would lose this mark (and the page's File objects): the tests check it stays.
  await page.evaluate(() => { (window as unknown as { sameLoad: boolean }).sameLoad = true; });
});
test.afterAll(async () => {
  await context?.close();
  server?.stop();
});

/** Limits the page's network to `bytesPerSecond` each way (`null`: no limit). */
async function throttle(bytesPerSecond: number | null) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: bytesPerSecond ?? -1,
    uploadThroughput: bytesPerSecond ?? -1,
  });
}

function writeRandom(name: string, size: number): { path: string; data: Buffer } {
  const data = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data };
}

const transfer = (name: string) => page.getByTestId('transfer').filter({ hasText: name }).first();

/** Kills the server, checks the row and the banner say so, keeps it down for the rest of
 *  OUTAGE_MS, and starts it again. */
async function outage(name: string) {
  const down = Date.now();
  await server.crash();
  const t = transfer(name);
  await expect(t).toHaveAttribute('data-state', 'reconnecting', { timeout: 20_000 });
  await expect(t).toContainText('Reconnecting…');
  await expect(t).toContainText(/next try in \d+ s|trying now/);
  await expect(t.getByRole('button', { name: /^Cancel / })).toBeVisible();
  await expect(page.getByTestId('offline-banner')).toBeVisible();
  await expect(page.getByTestId('offline-banner')).toContainText('Offline — Coffer will retry');
  // Still waiting, not failed, however long it takes.
  await page.waitForTimeout(OUTAGE_MS - (Date.now() - down));
  await expect(t).toHaveAttribute('data-state', 'reconnecting');
  await expect(page.getByText(/TypeError|Failed to fetch|JsValue/)).toHaveCount(0);
  await server.restart();
}

async function downloadPlain(name: string): Promise<Buffer> {
  const pending = page.waitForEvent('download', { timeout: 180_000 });
  await row(page, name).getByRole('button', { name: `Download ${name}`, exact: true }).click();
  const download = await pending;
  expect(download.suggestedFilename()).toBe(name);
  return readFileSync((await download.path())!);
}

test('a 50 MiB upload rides out a 45 s outage and finishes by itself, byte for byte', async () => {
  test.setTimeout(300_000);
  const { path, data } = writeRandom('outage-up.bin', 50 * MiB);
  let partsStored = 0;
  page.on('response', (res) => {
    if (res.url().includes('/parts/') && res.ok()) partsStored += 1;
  });
  await throttle(4 * MiB);
  await page.getByLabel('Add files').setInputFiles(path);
  const t = transfer('outage-up.bin');
  // Nothing is sent yet: no "0 bytes", no guess at the time left.
  await expect(t).toContainText('Starting…');
  await expect.poll(() => partsStored, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  await outage('outage-up.bin');

  await expect(t).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('offline-banner')).toBeHidden({ timeout: 15_000 });
  await expect(row(page, 'outage-up.bin')).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad)).toBe(true);
  await throttle(null);
  expect(sha256(await downloadPlain('outage-up.bin'))).toBe(sha256(data));
});

test('a 50 MiB download rides out a 45 s outage: it goes on with a Range request, byte for byte', async () => {
  test.setTimeout(300_000);
  const { path, data } = writeRandom('outage-down.bin', 50 * MiB);
  await page.getByLabel('Add files').setInputFiles(path);
  await expect(row(page, 'outage-down.bin')).toBeVisible({ timeout: 120_000 });

  const ranges: string[] = [];
  page.on('request', (req) => {
    const range = req.headers()['range'];
    if (req.url().endsWith('/content') && range) ranges.push(range);
  });
  await throttle(4 * MiB);
  const pending = page.waitForEvent('download', { timeout: 240_000 });
  await row(page, 'outage-down.bin').getByRole('button', { name: 'Download outage-down.bin', exact: true }).click();
  const t = transfer('outage-down.bin');
  const progress = t.locator('progress');
  await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 60_000 })
    .toBeGreaterThan(8 * MiB);
  await outage('outage-down.bin');

  const download = await pending;
  expect(download.suggestedFilename()).toBe('outage-down.bin');
  expect(sha256(readFileSync((await download.path())!))).toBe(sha256(data));
  await expect(t).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('offline-banner')).toBeHidden({ timeout: 15_000 });
  expect(ranges.length).toBeGreaterThan(0);
  expect(Number(/^bytes=(\d+)-$/.exec(ranges[0])![1])).toBeGreaterThan(8 * MiB);
  expect(await page.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad)).toBe(true);
  await throttle(null);
});

test('Cancel works while reconnecting; the list that failed to load comes back with the server', async () => {
  test.setTimeout(180_000);
  const { path } = writeRandom('outage-cancel.bin', 20 * MiB);
  let partsStored = 0;
  page.on('response', (res) => {
    if (res.url().includes('/parts/') && res.ok()) partsStored += 1;
  });
  await throttle(2 * MiB);
  await page.getByLabel('Add files').setInputFiles(path);
  await expect.poll(() => partsStored, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await server.crash();
  const t = transfer('outage-cancel.bin');
  await expect(t).toHaveAttribute('data-state', 'reconnecting', { timeout: 20_000 });
  await t.getByRole('button', { name: 'Cancel uploading outage-cancel.bin' }).click();
  await expect(t).toHaveAttribute('data-state', 'cancelled', { timeout: 2_000 });
  // The list is loaded again after a transfer ends; with no server that fails, in words.
  const loadError = page.getByRole('alert').filter({ hasText: 'Could not reach Coffer' });
  await expect(loadError).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText(/TypeError|Failed to fetch|JsValue/)).toHaveCount(0);
  await throttle(null);

  await server.restart();
  await expect(page.getByTestId('offline-banner')).toBeHidden({ timeout: 15_000 });
  await expect(loadError).toBeHidden({ timeout: 15_000 });
  // The cancelled upload is removed on the server once it is back, and never offered to resume.
  await expect.poll(async () => (await (await page.request.get('/api/uploads')).json()).uploads.length,
    { timeout: 60_000 }).toBe(0);
  await expect(page.getByTestId('interrupted')).toHaveCount(0);
  await expect(row(page, 'outage-up.bin')).toBeVisible();
});

test('finished transfers fold into one line, and the list shows only a few open rows', async () => {
  test.setTimeout(120_000);
  // The test before this one leaves its cancelled upload in the list: start from none.
  const clearFirst = page.getByRole('button', { name: 'Clear finished' });
  if (await clearFirst.isVisible()) await clearFirst.click();
  await expect(page.getByTestId('transfer')).toHaveCount(0);
  // Open rows: uploads whose parts are never answered.
  await page.route('**/api/uploads/*/parts/*', () => { /* held */ });
  const held = Array.from({ length: 6 }, (_, i) => writeRandom(`held-${i}.bin`, 1000 + i).path);
  await page.getByLabel('Add files').setInputFiles(held);
  const rows = page.getByTestId('transfer');
  const open = page.locator('[data-testid="transfer"][data-state="running"]');
  await expect(open).toHaveCount(6);
  await expect(open.filter({ visible: true })).toHaveCount(4);
  const more = page.getByRole('button', { name: 'Show 2 more transfers' });
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  await more.click();
  await expect(open.filter({ visible: true })).toHaveCount(6);
  await page.getByRole('button', { name: 'Show fewer transfers' }).click();
  await expect(open.filter({ visible: true })).toHaveCount(4);
  await more.click();
  for (let i = 0; i < 6; i++) await page.getByRole('button', { name: `Cancel uploading held-${i}.bin` }).click();
  await expect(page.locator('[data-testid="transfer"][data-state="cancelled"]')).toHaveCount(6);
  await page.unroute('**/api/uploads/*/parts/*');

  // Three uploads finish, then fold with everything else that ended.
  await page.getByRole('button', { name: 'Clear finished' }).click();
  await expect(rows).toHaveCount(0);
  const small = [0, 1, 2].map((i) => writeRandom(`fold-${i}.bin`, 2000 + i).path);
  await page.getByLabel('Add files').setInputFiles(small);
  await expect(rows.and(page.locator('[data-state="done"]'))).toHaveCount(3, { timeout: 60_000 });
  await expect(rows.filter({ visible: true })).toHaveCount(3);
  await expect(page.getByTestId('transfers-done')).toHaveText('3 uploads done', { timeout: 15_000 });
  await expect(rows.filter({ visible: true })).toHaveCount(0);
  const toggle = page.getByRole('button', { name: 'Show finished transfers' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  // Keyboard: focus it and press Enter to open, Space to close.
  await toggle.focus();
  await page.keyboard.press('Enter');
  const hide = page.getByRole('button', { name: 'Hide finished transfers' });
  await expect(hide).toHaveAttribute('aria-expanded', 'true');
  await expect(hide).toBeFocused();
  await expect(rows.filter({ visible: true })).toHaveCount(3);
  await page.keyboard.press('Space');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(rows.filter({ visible: true })).toHaveCount(0);
  for (const i of [0, 1, 2]) await expect(row(page, `fold-${i}.bin`)).toBeVisible();
});

test('the Account page (server functions) shows the banner; its lists and Shared with me come back with the server', async () => {
  test.setTimeout(120_000);
  const unreachable = page.getByRole('alert').filter({ hasText: 'Could not reach Coffer' });
  await (await headerLink(page, 'Account')).click();
  await expect(page).toHaveURL(/\/account$/);
  const sessions = page.getByTestId('session-list');
  await expect(sessions).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('offline-banner')).toBeHidden();

  // Nothing here goes through the vault's requests: a server function finds no server.
  await server.crash();
  await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(page.getByTestId('offline-banner')).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId('offline-banner')).toContainText('Offline — Coffer will retry');
  await expect(unreachable).toBeVisible();
  // The list asked again after that failed too.
  await expect(sessions).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByText(/TypeError|Failed to fetch|JsValue/)).toHaveCount(0);
  await server.restart();
  await expect(page.getByTestId('offline-banner')).toBeHidden({ timeout: 15_000 });
  await expect(unreachable).toBeHidden({ timeout: 15_000 });
  await expect(sessions).toBeVisible({ timeout: 15_000 });
  await expect(page.locator('.card .error:visible')).toHaveCount(0);

  await server.crash();
  await (await headerLink(page, 'Shared with me')).click();
  await expect(page).toHaveURL(/\/shared$/);
  await expect(unreachable).toBeVisible({ timeout: 20_000 });
  await server.restart();
  await expect(unreachable).toBeHidden({ timeout: 15_000 });
  await expect(page.getByTestId('shared-empty')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('offline-banner')).toBeHidden({ timeout: 15_000 });
  expect(await page.evaluate(() => (window as unknown as { sameLoad?: boolean }).sameLoad)).toBe(true);
});
