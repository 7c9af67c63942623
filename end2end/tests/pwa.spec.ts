// The installable app in headless Chromium: manifest, service worker control, installability
// (DevTools protocol), and the offline shell: with the network gone the Decrypt page still
// loads (offline banner shown) and decrypts a .coffer fixture to identical bytes.
import { test, expect, chromium } from '@playwright/test';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRow, noFilePicker, open, register, sha256, unlock } from './helpers';

// A golden stream vector of the crypto crate: its file key, ciphertext and the plaintext rule
// (byte i = (31·i + 7) mod 251), so the offline decryption has a fixture that no server made.
const vectors = JSON.parse(readFileSync(join(__dirname, '../../crypto/tests/vectors/coffer_v1.json'), 'utf8'));
const vector = vectors.stream.reduce((a: any, b: any) => (Number(b.plaintext_len) > Number(a.plaintext_len) ? b : a));
const plaintext = Buffer.from(Array.from({ length: Number(vector.plaintext_len) }, (_, i) => (31 * i + 7) % 251));
const key = 'coffer-key-v1:' + Buffer.from(vector.file_key, 'hex').toString('base64url');

test('the manifest is served with its content type and the fields an installed app needs', async ({ request }) => {
  const response = await request.get('/manifest.webmanifest');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('application/manifest+json');
  const manifest = await response.json();
  expect(manifest).toMatchObject({ name: 'Coffer', short_name: 'Coffer', display: 'standalone', scope: '/', start_url: '/vault' });
  const sizes = manifest.icons.map((i: any) => `${i.sizes} ${i.purpose}`);
  expect(sizes).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
  for (const icon of manifest.icons) {
    const png = await request.get(icon.src);
    expect(png.headers()['content-type']).toBe('image/png');
  }
  const sw = await request.get('/sw.js');
  expect(sw.headers()['content-type']).toContain('javascript');
  expect(await sw.text()).toMatch(/const BUILD = '[0-9a-f]{16}'/);
});

test('the service worker controls the page and Chromium reports no installability errors', async ({ baseURL, launchOptions }) => {
  // Installability is only judged in a persistent profile (test contexts count as incognito).
  const profile = mkdtempSync(join(tmpdir(), 'coffer-profile-'));
  const context = await chromium.launchPersistentContext(profile, { ...launchOptions, baseURL });
  const page = await context.newPage();
  await open(page, '/');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);
  // The cache holds the shell only: no API answer, no ciphertext.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  expect(cached).toContain('/decrypt');
  expect(cached).toContain('/pkg/coffer.wasm');
  expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);
  await context.close();
});

test('a page loaded while the service worker is still installing starts all the same', async ({ page }) => {
  // The worker's install copies the shell (the Wasm among it) into its cache; a user who moves on
  // at once loads the same Wasm meanwhile. With both in Chromium's HTTP cache, the page's copy
  // failed (ERR_CACHE_WRITE_FAILURE) and the page never started.
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
  await open(page, '/decrypt');
  await page.goto('/login');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  expect(failed.filter((f) => f.includes('/pkg/'))).toEqual([]);
});

test('offline, the app opens with a banner and the Decrypt page decrypts a .coffer file', async ({ browser }) => {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript(noFilePicker);
  const page = await context.newPage();
  await open(page, '/decrypt');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(async () => (await caches.keys()).length)).toBeGreaterThan(0);

  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  await expect(page.getByTestId('offline-banner')).toBeVisible();

  const dir = mkdtempSync(join(tmpdir(), 'coffer-pwa-'));
  const fixture = join(dir, 'vector.bin.coffer');
  writeFileSync(fixture, Buffer.from(vector.ciphertext, 'hex'));
  await page.getByLabel('Encrypted file (.coffer)').setInputFiles(fixture);
  await page.getByLabel('File key').fill(key);
  const saved = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Decrypt and save' }).click();
  const download = await saved;
  expect(download.suggestedFilename()).toBe('vector.bin');
  expect(sha256(readFileSync((await download.path())!))).toBe(sha256(plaintext));

  // Another page offline lands on the Decrypt page rather than an error.
  await page.goto('/vault');
  await expect(page).toHaveURL(/\/decrypt$/);
  await context.close();
});

test('a new build\'s service worker shows "A new version is available"; Reload switches to it', async ({ page }) => {
  // A new build = a service worker with other bytes. The server reads the worker from the site
  // directory at each request, so changing that file (and putting it back) is a new release.
  const siteRoot = process.env.COFFER_E2E_SITE_ROOT;
  expect(siteRoot, 'COFFER_E2E_SITE_ROOT must name the site directory the server serves').toBeTruthy();
  const workerPath = join(siteRoot!, 'sw.js');
  const original = readFileSync(workerPath, 'utf8');
  await open(page, '/decrypt');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  const before = await page.evaluate(() => caches.keys());
  try {
    writeFileSync(workerPath, original + `\n// next release ${Date.now()}\n`);
    await page.evaluate(async () => { await (await navigator.serviceWorker.getRegistration())!.update(); });
    await expect(page.getByTestId('update-banner')).toContainText('A new version is available', { timeout: 30_000 });
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Reload' }).click();
    await reloaded;
    await page.waitForSelector('body[data-hydrated="true"]');
    await expect(page.getByTestId('update-banner')).toHaveCount(0);
    // The new release has its own cache; the old one is gone.
    await expect.poll(() => page.evaluate(() => caches.keys())).not.toEqual(before);
    expect(await page.evaluate(() => caches.keys())).toHaveLength(1);
  } finally {
    writeFileSync(workerPath, original);
  }
});

test('"Share -> Coffer": shared files wait in the browser, then are encrypted and uploaded from the vault', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const user = `pwa_${Date.now().toString(36)}`;
  const password = `Share-Target-Otter-${user}-🦦`;
  await register(page, user, password);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  const shareResponses: boolean[] = [];
  page.on('response', (r) => { if (r.url().endsWith('/share-target')) shareResponses.push(r.fromServiceWorker()); });
  // What the operating system does for "Share -> Coffer": a multipart POST to the share target.
  const content = `a note shared from another app ${user}`;
  await page.evaluate((text) => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = '/share-target';
    form.enctype = 'multipart/form-data';
    const input = document.createElement('input');
    input.type = 'file';
    input.name = 'files';
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'shared-note.txt', { type: 'text/plain' }));
    input.files = dt.files;
    form.appendChild(input);
    document.body.appendChild(form);
    form.submit();
  }, content);
  await page.waitForURL(/\/vault\?shared=1$/);
  await page.waitForSelector('body[data-hydrated="true"]');
  await unlock(page, password);
  await expect(fileRow(page, 'shared-note.txt')).toBeVisible({ timeout: 30_000 });
  await expect(page).toHaveURL(/\/vault$/);
  // The POST was answered inside the browser: the plaintext never went to the server.
  expect(shareResponses).toEqual([true]);
  expect(await page.evaluate(async () => (await caches.keys()).includes('share-inbox'))).toBe(false);
  await context.close();
});

test('without the File System Access API, a 50 MiB download streams through the service worker', async ({ browser }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript(noFilePicker);
  const page = await context.newPage();
  const user = `pwa_dl_${Date.now().toString(36)}`;
  const password = `Stream-Worker-Heron-${user}-🐦`;
  await register(page, user, password);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  await unlock(page, password);
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

  const data = randomBytes(50 * 1024 * 1024);
  const path = join(mkdtempSync(join(tmpdir(), 'coffer-pwa-')), 'fifty.bin');
  writeFileSync(path, data);
  await page.getByLabel('Add files').setInputFiles(path);
  await expect(fileRow(page, 'fifty.bin')).toBeVisible({ timeout: 120_000 });

  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download fifty.bin', exact: true }).click();
  const download = await pending;
  expect(download.url()).toMatch(/\/sw-download\/[0-9a-f]{32}$/);
  expect(download.suggestedFilename()).toBe('fifty.bin');
  expect(sha256(readFileSync((await download.path())!))).toBe(sha256(data));
  await expect(page.getByTestId('transfer').filter({ hasText: 'Decrypted and saved.' })).toBeVisible();
  await context.close();
});
