// A large vault (issue 14): 350 files seeded natively with real keys (coffer-bench seed). The
// first page shows at once, the rest load, decrypt and join the list in the background, the table
// renders only the rows in view, and search covers every file.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileRow as row, open, recordSecret } from './helpers';
import { required } from './servers';

const FILES = 350;

test('350 files: the first screen at once, all of them listed, searchable and scrolled through', async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const run = Date.now().toString(36);
  const user = `large_${run}`;
  const password = `Large-Vault-Amber-${run}-⛰`;
  recordSecret('password', password);
  execFileSync(join(required('CARGO_TARGET_DIR'), 'debug', 'coffer-bench'), [
    'seed', '--base', baseURL!, '--user', user, '--password', password, '--files', String(FILES),
  ], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 150_000 });

  await open(page, '/login');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });

  // Every file arrives; the table holds only the rows around the view.
  await expect(page.getByTestId('file-table')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('more-to-load')).toBeHidden({ timeout: 60_000 });
  const inDom = await page.getByTestId('file-row').count();
  expect(inDom).toBeGreaterThan(10);
  expect(inDom).toBeLessThan(FILES);

  // A file whose row is not in the page (the table renders only the rows in view): search
  // finds it among all 350.
  const namesInView = async () =>
    new Set(await page.getByTestId('file-name').allTextContents());
  const atTop = await namesInView();
  const seeded = Array.from({ length: FILES }, (_, i) => `seed-${String(i).padStart(5, '0')}.txt`);
  const hidden = seeded.find((n) => !atTop.has(n))!;
  await expect(row(page, hidden)).toHaveCount(0);
  await page.locator('#search').fill(hidden.replace('.txt', ''));
  await expect(row(page, hidden)).toBeVisible();
  await expect(page.getByTestId('file-row')).toHaveCount(1);

  // Without a search, scrolling down the page brings every row into it, a few at a time.
  await page.locator('#search').fill('');
  await expect.poll(() => page.getByTestId('file-row').count()).toBeLessThan(FILES);
  const seen = new Set<string>();
  for (let step = 0; step < 400 && seen.size < FILES; step++) {
    (await namesInView()).forEach((n) => seen.add(n));
    const more = await page.evaluate(() => {
      const before = window.scrollY;
      window.scrollBy(0, Math.floor(window.innerHeight * 0.8));
      return window.scrollY > before;
    });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    if (!more) (await namesInView()).forEach((n) => seen.add(n));
    if (!more) break;
  }
  expect(seen.size).toBe(FILES);
  expect(await page.getByTestId('file-row').count()).toBeLessThan(FILES);
});
