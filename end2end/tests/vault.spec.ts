// The vault end to end in headless Chromium: upload by drag and drop and by the picker, list,
// download and compare SHA-256, streamed saving through the File System Access API, tampered
// content refused, "Download encrypted" + "Export key" + the Decrypt page, rename, delete with
// confirmation, reload, an interrupted upload resumed, cancel, and a second user who sees nothing.
//
// A marker string unique to this run is put into file names and contents and recorded in
// $COFFER_E2E_SECRETS with the exported file key, so scripts/test.sh can prove afterwards that
// none of them reached the database, the blob store or the server log.
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRow as row, noFilePicker, open, recordSecret, register as registerAs, sha256, unlock as unlockWith } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const marker = `ZKMARKER${run}X`;
const password = `Lantern-Quartz-Meadow-${run}-🔐`;
const alice = `vault_a_${run}`;


// Test files: empty, one byte, 5 MiB random with the marker inside, and a picked text file.
const fiveMiB = randomBytes(5 * 1024 * 1024);
Buffer.from(`--${marker}--`).copy(fiveMiB, 1234567);
const files = [
  { name: 'empty.txt', type: 'text/plain', data: Buffer.alloc(0) },
  { name: 'one byte.bin', type: 'application/octet-stream', data: Buffer.from([0x2a]) },
  { name: `random ${marker}.bin`, type: 'application/octet-stream', data: fiveMiB },
];
const picked = { name: `picked-${marker}.txt`, data: Buffer.from(`notes with ${marker} inside\n`.repeat(1000)) };
const dir = mkdtempSync(join(tmpdir(), 'coffer-e2e-'));
const pickedPath = join(dir, picked.name);
writeFileSync(pickedPath, picked.data);




/** Drops files on the vault page the way a browser does: a `drop` event with a DataTransfer. */
async function dropFiles(page: Page, list: { name: string; type: string; data: Buffer }[]) {
  const payload = list.map((f) => ({ name: f.name, type: f.type, b64: f.data.toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const f of items) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent('[data-testid="dropzone"]', 'dragover', { dataTransfer });
  await page.dispatchEvent('[data-testid="dropzone"]', 'drop', { dataTransfer });
}

const register = (page: Page, username: string) => registerAs(page, username, password);
const unlock = (page: Page) => unlockWith(page, password);

async function downloadPlain(page: Page, name: string): Promise<Buffer> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: `Download ${name}`, exact: true }).click();
  const download = await pending;
  expect(download.suggestedFilename()).toBe(name);
  return readFileSync((await download.path())!);
}

async function moreAction(page: Page, name: string, action: string) {
  await row(page, name).locator('summary').click();
  await row(page, name).getByRole(action === 'Download encrypted' ? 'link' : 'button', { name: action }).click();
}


test.describe.serial('vault', () => {
  let context: BrowserContext;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    context = await browser.newContext({ acceptDownloads: true });
    await context.addInitScript(noFilePicker);
    page = await context.newPage();
    recordSecret('marker', marker);
    recordSecret('password', password);
  });
  test.afterAll(async () => {
    await context.close();
  });

  // @phone: also run at phone width (playwright.config.ts), with the export test that needs it.
  test('drag and drop three files (0 B, 1 B, 5 MiB): each is encrypted, uploaded and listed', { tag: '@phone' }, async () => {
    await register(page, alice);
    await expect(page.getByTestId('vault-empty')).toBeVisible();
    await dropFiles(page, files);
    const transfers = page.getByTestId('transfer');
    await expect(transfers).toHaveCount(3);
    await expect(transfers.and(page.locator('[data-state="done"]'))).toHaveCount(3, { timeout: 60_000 });
    for (const f of files) await expect(row(page, f.name)).toBeVisible();
    await expect(row(page, files[2].name)).toContainText('5 MiB');
    await expect(page.getByTestId('usage')).toContainText('of 50 GiB used');
  });

  test('upload with the file picker', async () => {
    await page.getByLabel('Add files').setInputFiles(pickedPath);
    await expect(row(page, picked.name)).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('file-row')).toHaveCount(4);
  });

  test('download each file: identical bytes (SHA-256)', async () => {
    for (const f of [...files, picked]) {
      const got = await downloadPlain(page, f.name);
      expect(got.length, f.name).toBe(f.data.length);
      expect(sha256(got), f.name).toBe(sha256(f.data));
    }
  });

  test('search and sort work on the decrypted names', async () => {
    await page.getByLabel('Search your files').fill(marker.toLowerCase());
    await expect(page.getByTestId('file-row')).toHaveCount(2);
    await page.getByLabel('Search your files').fill('no such name');
    await expect(page.getByTestId('file-row')).toHaveCount(0);
    await expect(page.getByText('No file name contains “no such name”.')).toBeVisible();
    await page.getByLabel('Search your files').fill('');
    await page.getByRole('button', { name: 'Size' }).click();
    const names = await page.getByTestId('file-name').allTextContents();
    expect(names[0]).toBe('empty.txt');
    expect(names[3]).toBe(files[2].name);
    await page.getByRole('button', { name: 'Size' }).click();
    expect((await page.getByTestId('file-name').allTextContents())[0]).toBe(files[2].name);
  });

  test('streamed to disk through the File System Access API; tampered content is refused and discarded', async () => {
    // A stand-in picker that records what the app writes, and whether it closed or aborted.
    await page.evaluate(() => {
      const w = window as any;
      w.__saved = {};
      w.showSaveFilePicker = async ({ suggestedName }: { suggestedName: string }) => ({
        createWritable: async () => {
          const parts: Blob[] = [];
          return {
            // Copies at write time, as the real FileSystemWritableFileStream does ("let
            // dataBytes be a copy of data"): the app reuses its buffers after write() resolves.
            write: async (b: BlobPart) => { parts.push(new Blob([b])); },
            close: async () => {
              const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
              const digest = await crypto.subtle.digest('SHA-256', bytes);
              w.__saved[suggestedName] = {
                state: 'closed', writes: parts.length,
                sha: [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join(''),
              };
            },
            abort: async () => { w.__saved[suggestedName] = { state: 'aborted', writes: parts.length }; },
          };
        },
      });
    });
    const big = files[2];
    await page.getByRole('button', { name: `Download ${big.name}`, exact: true }).click();
    await expect.poll(() => page.evaluate((n) => (window as any).__saved[n]?.state, big.name)).toBe('closed');
    const saved = await page.evaluate((n) => (window as any).__saved[n], big.name);
    expect(saved.sha).toBe(sha256(big.data));
    expect(saved.writes).toBeGreaterThan(1); // written batch by batch, not as one buffer

    // Flip one ciphertext byte in the middle of the 5 MiB file on its way to the browser.
    await page.route('**/api/files/*/content', async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[3 * 1024 * 1024] ^= 0x01;
      await route.fulfill({ response, body });
    });
    await page.evaluate((n) => delete (window as any).__saved[n], big.name);
    await page.getByRole('button', { name: `Download ${big.name}`, exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'tampered with or corrupted' })).toBeVisible({ timeout: 30_000 });
    expect(await page.evaluate((n) => (window as any).__saved[n]?.state, big.name)).toBe('aborted');
    await page.unroute('**/api/files/*/content');
    await page.evaluate(() => { (window as any).showSaveFilePicker = undefined; });
  });

  test('"Download encrypted" + "Export key" decrypt on the Decrypt page, without the server', { tag: '@phone' }, async () => {
    const f = files[2];
    const pending = page.waitForEvent('download');
    await moreAction(page, f.name, 'Download encrypted');
    const download = await pending;
    // Saved under the file's own name, which the server never sees (the browser names it).
    expect(download.suggestedFilename()).toBe(`${f.name}.coffer`);
    const encrypted = readFileSync((await download.path())!);
    // An export: the framed sealed metadata (the name travels inside, encrypted), then the stream.
    expect(encrypted.subarray(0, 13).toString()).toBe('COFFER-EXPORT');
    const metaLen = encrypted.readUInt16BE(14);
    expect(encrypted.subarray(16 + metaLen, 16 + metaLen + 6).toString()).toBe('COFFER');
    expect(encrypted.length).toBe(16 + metaLen + 91 + f.data.length + 16 * Math.ceil(f.data.length / 65536));
    expect(encrypted.includes(Buffer.from(marker))).toBe(false);
    expect(encrypted.includes(Buffer.from(f.name))).toBe(false);
    // Renamed on the way: the Decrypt page still restores the original name.
    const encryptedPath = join(dir, 'renamed-on-the-way.coffer');
    writeFileSync(encryptedPath, encrypted);

    await moreAction(page, f.name, 'Export key');
    const key = (await page.getByTestId('exported-key').inputValue()).trim();
    expect(key).toMatch(/^coffer-key-v1:/);
    recordSecret('file key', key);
    await page.getByRole('button', { name: 'Close' }).click();

    await open(page, '/decrypt');
    await page.getByLabel('Encrypted file (.coffer)').setInputFiles(encryptedPath);
    // A key for another file is refused.
    await page.getByLabel('File key').fill('coffer-key-v1:' + 'A'.repeat(43));
    await page.getByRole('button', { name: 'Decrypt and save' }).click();
    await expect(page.getByRole('alert')).toContainText(/not a Coffer file key|does not open this file/);
    await page.getByLabel('File key').fill(key);
    const saved = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Decrypt and save' }).click();
    const savedDownload = await saved;
    expect(savedDownload.suggestedFilename()).toBe(f.name);
    const plain = readFileSync((await savedDownload.path())!);
    expect(sha256(plain)).toBe(sha256(f.data));
    await expect(page.getByTestId('decrypt-status')).toContainText(`Decrypted and saved as “${f.name}”`);
  });

  test('rename re-encrypts the name; reload keeps the list', async () => {
    await open(page, '/vault');
    await unlock(page);
    await moreAction(page, 'one byte.bin', 'Rename');
    const input = page.getByLabel('New name');
    await expect(input).toBeFocused();
    await input.fill(`renamed ${marker}.bin`);
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect(row(page, `renamed ${marker}.bin`)).toBeVisible();
    await expect(row(page, 'one byte.bin')).toHaveCount(0);

    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await unlock(page);
    await expect(page.getByTestId('file-row')).toHaveCount(4);
    await expect(row(page, `renamed ${marker}.bin`)).toBeVisible();
    expect(sha256(await downloadPlain(page, `renamed ${marker}.bin`))).toBe(sha256(files[1].data));
  });

  test('delete asks first, naming the file; cancel keeps it, confirm removes it', async () => {
    await moreAction(page, 'empty.txt', 'Delete');
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('Delete “empty.txt”?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(row(page, 'empty.txt')).toBeVisible();
    await moreAction(page, 'empty.txt', 'Delete');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(row(page, 'empty.txt')).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: 'Deleted “empty.txt”.' })).toBeVisible();
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await unlock(page);
    await expect(page.getByTestId('file-row')).toHaveCount(3);
  });

  test('an upload interrupted by a reload is resumed from the vault page', async () => {
    const data = randomBytes(9 * 1024 * 1024); // three 4 MiB parts
    const path = join(dir, 'resume me.bin');
    writeFileSync(path, data);
    // Part 1 never gets an answer, as if the connection died; then the page is reloaded.
    let held = false;
    await page.route('**/api/uploads/*/parts/1', () => { held = true; });
    await page.getByLabel('Add files').setInputFiles(path);
    await expect.poll(() => held, { timeout: 30_000 }).toBe(true);
    // Leave the page while part 1 is held: un-routing first would let the held request through
    // and the upload could finish before the reload.
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.unroute('**/api/uploads/*/parts/1');
    await unlock(page);
    const interrupted = page.getByTestId('interrupted');
    await expect(interrupted).toHaveCount(1);
    await expect(interrupted).toContainText('resume me.bin');
    await page.getByLabel('Resume resume me.bin').setInputFiles(path);
    await expect(row(page, 'resume me.bin')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('interrupted')).toHaveCount(0);
    expect(sha256(await downloadPlain(page, 'resume me.bin'))).toBe(sha256(data));
  });

  test('cancel stops an upload and leaves nothing behind', async () => {
    await page.route('**/api/uploads/*/parts/*', () => { /* never answered */ });
    await page.getByLabel('Add files').setInputFiles(pickedPath.replace(picked.name, 'resume me.bin'));
    const transfer = page.getByTestId('transfer').filter({ hasText: 'resume me.bin' }).first();
    await transfer.getByRole('button', { name: /^Cancel uploading/ }).click();
    await expect(transfer).toHaveAttribute('data-state', 'cancelled');
    await page.unroute('**/api/uploads/*/parts/*');
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await unlock(page);
    await expect(page.getByTestId('file-row')).toHaveCount(4);
    await expect(page.getByTestId('interrupted')).toHaveCount(0);
  });

  test('a second user sees none of it, and gets 404 for the first user\'s file ids', async ({ browser }) => {
    const ids = await page.getByTestId('file-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-file-id')));
    expect(ids.length).toBe(4);
    const other = await browser.newContext();
    const bob = await other.newPage();
    await register(bob, `vault_b_${run}`);
    await expect(bob.getByTestId('vault-empty')).toBeVisible();
    for (const id of ids) {
      expect((await bob.request.get(`/api/files/${id}/content`)).status()).toBe(404);
      expect((await bob.request.delete(`/api/files/${id}`, { headers: { Origin: new URL(bob.url()).origin } })).status()).toBe(404);
    }
    const list = await (await bob.request.get('/api/files')).json();
    expect(list.files).toEqual([]);
    await other.close();
    // Alice still has everything.
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await unlock(page);
    await expect(page.getByTestId('file-row')).toHaveCount(4);
  });

  test('a part lost on the network is sent again, with backoff', async () => {
    const data = randomBytes(300_000);
    let attempts = 0;
    await page.route('**/api/uploads/*/parts/0', async (route) => {
      attempts += 1;
      if (attempts === 1) await route.abort('connectionreset');
      else await route.continue();
    });
    await page.getByLabel('Add files').setInputFiles({ name: 'flaky.bin', mimeType: 'application/octet-stream', buffer: data });
    await expect(row(page, 'flaky.bin')).toBeVisible({ timeout: 30_000 });
    await page.unroute('**/api/uploads/*/parts/0');
    expect(attempts).toBe(2);
    await expect(page.getByTestId('transfer').filter({ hasText: 'flaky.bin' })).toContainText('293 KiB of 293 KiB');
    expect(sha256(await downloadPlain(page, 'flaky.bin'))).toBe(sha256(data));
  });

  test('a decrypted name is not a path: separators and bidi overrides are gone when it is shown and saved', async () => {
    // U+202E (right-to-left override) would make "invoice<RLO>fdp.exe" show as "invoiceexe.pdf".
    const hostile = '..\\invoice\u202efdp.exe';
    await page.getByLabel('Add files').setInputFiles({ name: hostile, mimeType: 'application/octet-stream', buffer: Buffer.from('x') });
    await expect(row(page, '.._invoicefdp.exe')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText(hostile)).toHaveCount(0);
    const pending = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download .._invoicefdp.exe', exact: true }).click();
    const download = await pending;
    // Chromium may tidy the name further (it drops the leading dots); nothing of a path is left.
    expect(download.suggestedFilename()).toMatch(/^[._]*invoicefdp\.exe$/);
    expect(readFileSync((await download.path())!).toString()).toBe('x');
  });
});
