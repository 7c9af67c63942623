// An upload that meets a busy server (issue 14): this spec's own server holds one 4 MiB part at a
// time (COFFER_UPLOAD_BUFFER_BYTES), the browser sends three at once, so parts are answered
// 503 busy with Retry-After; the upload waits its turn by itself and finishes, and the file
// downloads byte for byte.
import { test, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileRow as row, noFilePicker, recordSecret, register, sha256 } from './helpers';
import { startServer, type OwnServer } from './servers';

const MiB = 1024 * 1024;
let server: OwnServer | undefined;

test.beforeAll(async () => {
  server = await startServer({
    COFFER_MAX_PART_BYTES: String(4 * MiB),
    COFFER_UPLOAD_BUFFER_BYTES: String(4 * MiB),
    COFFER_UPLOAD_BUFFER_PER_USER_BYTES: String(4 * MiB),
  });
});
test.afterAll(() => server?.stop());

test('an upload that meets 503 busy waits its turn and finishes by itself, byte for byte', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ baseURL: server!.base, acceptDownloads: true });
  await context.addInitScript(noFilePicker);
  const page = await context.newPage();
  const run = Date.now().toString(36);
  const password = `Busy-Harbour-Teal-${run}-⛵`;
  recordSecret('password', password);
  await register(page, `busy_${run}`, password);

  let busy = 0;
  page.on('response', (res) => {
    if (res.url().includes('/parts/') && res.status() === 503) busy += 1;
  });
  const data = randomBytes(18 * MiB);
  await page.getByLabel('Add files').setInputFiles({ name: 'busy.bin', mimeType: 'application/octet-stream', buffer: data });
  await expect(row(page, 'busy.bin')).toBeVisible({ timeout: 90_000 });
  expect(busy, 'the server said busy at least once').toBeGreaterThan(0);
  await expect(page.getByTestId('transfer').filter({ hasText: 'busy.bin' })).toHaveAttribute('data-state', 'done');

  const pending = page.waitForEvent('download');
  await row(page, 'busy.bin').getByRole('button', { name: 'Download busy.bin' }).click();
  const saved = readFileSync((await (await pending).path())!);
  expect(sha256(saved)).toBe(sha256(data));
  await context.close();
});
