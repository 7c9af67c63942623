// Coffer on a phone (375 × 740): the header folds into a Menu button whose rows are at least
// 44 px tall (no small underlined links), the file list can still be sorted (the column headers
// are hidden at this width), dates read "just now" / "5 min ago" without seconds, and two files
// with the same name are told apart.
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { fileRow as row, open, recordSecret, register } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const password = `Pocket-Tundra-Signal-${run}-📱`;
const user = `phone_${run}`;

/** Height of an element's box, in CSS pixels. */
const height = async (page: Page, selector: string, i: number) =>
  (await page.locator(selector).nth(i).boundingBox())!.height;

test.describe.serial('on a phone', () => {
  let context: BrowserContext;
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    context = await browser.newContext({ viewport: { width: 375, height: 740 }, hasTouch: true });
    page = await context.newPage();
    recordSecret('password', password);
  });
  test.afterAll(async () => {
    await context.close();
  });

  test('the header is a Menu button; its links and buttons are at least 44 px tall and close it', async () => {
    await open(page, '/');
    const menu = page.getByRole('button', { name: 'Menu' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(menu).toBeVisible();
    expect((await menu.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await expect(nav).toBeHidden();
    await menu.click();
    await expect(menu).toHaveAttribute('aria-expanded', 'true');
    await expect(nav.getByRole('link', { name: 'Log in' })).toBeVisible();

    await register(page, user, password);
    await expect(nav).toBeHidden();
    await menu.click();
    const targets = nav.locator('a, button');
    await expect(targets).toHaveCount(6); // Vault, Shared with me, Account, Decrypt a file, Lock now, Log out
    for (let i = 0; i < 6; i++) {
      const h = await height(page, 'nav[aria-label="Main"] :is(a, button)', i);
      expect(h, await targets.nth(i).textContent() ?? '').toBeGreaterThanOrEqual(44);
    }
    // The page shown is marked; Escape closes the menu and focus returns to its button.
    await expect(nav.getByRole('link', { name: 'Vault' })).toHaveAttribute('aria-current', 'page');
    await nav.getByRole('link', { name: 'Account' }).focus();
    await page.keyboard.press('Escape');
    await expect(nav).toBeHidden();
    await expect(menu).toBeFocused();
    // A choice goes there and folds the menu away.
    await menu.click();
    await nav.getByRole('link', { name: 'Account' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(nav).toBeHidden();
    await menu.click();
    await nav.getByRole('link', { name: 'Vault' }).click();
    await expect(page).toHaveURL(/\/vault$/);
  });

  test('sorting works without the column headers; dates show no seconds', async () => {
    const files = [
      { name: `b middle ${run}.txt`, size: 2000 },
      { name: `a small ${run}.txt`, size: 10 },
      { name: `c large ${run}.txt`, size: 50_000 },
    ];
    for (const f of files) {
      await page.getByLabel('Add files').setInputFiles({ name: f.name, mimeType: 'text/plain', buffer: Buffer.alloc(f.size, 97) });
      await expect(row(page, f.name)).toBeVisible({ timeout: 30_000 });
    }
    // The headers (and their sort buttons) are hidden at this width…
    await expect(page.getByRole('button', { name: 'Size' })).toBeHidden();
    // …and one labelled choice takes their place.
    const sortBy = page.getByLabel('Sort by');
    await expect(sortBy).toBeVisible();
    expect((await sortBy.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    const names = () => page.getByTestId('file-name').allTextContents();
    await expect(sortBy).toHaveValue('date-desc');
    expect(await names()).toEqual([files[2].name, files[1].name, files[0].name]);
    await sortBy.selectOption({ label: 'Name A–Z' });
    expect(await names()).toEqual([files[1].name, files[0].name, files[2].name]);
    await sortBy.selectOption({ label: 'Largest first' });
    expect(await names()).toEqual([files[2].name, files[0].name, files[1].name]);
    await sortBy.selectOption({ label: 'Oldest first' });
    expect(await names()).toEqual(files.map((f) => f.name));

    // Dates: relative, without seconds (nor the locale's long form with them).
    const dates = await page.locator('td.date').allTextContents();
    expect(dates).toHaveLength(3);
    for (const d of dates) {
      expect(d).not.toMatch(/\d:\d\d:\d\d/);
      expect(d.trim()).toMatch(/^Uploaded (just now|\d+ min ago)$/);
    }
    // Size and date are visible together on the row.
    await expect(row(page, files[2].name).locator('td.date')).toBeVisible();
    await expect(row(page, files[2].name).locator('td.size')).toHaveText('48.8 KiB');
  });

  test('two files with the same name are told apart', async () => {
    const same = `holiday ${run}.jpg`;
    await page.getByLabel('Add files').setInputFiles({ name: same, mimeType: 'image/jpeg', buffer: Buffer.from('first') });
    await expect(row(page, same)).toHaveCount(1, { timeout: 30_000 });
    // Alone, it carries no number.
    await expect(row(page, same).getByTestId('namesake')).toHaveCount(0);
    await page.getByLabel('Add files').setInputFiles({ name: same, mimeType: 'image/jpeg', buffer: Buffer.from('second') });
    await expect(row(page, same)).toHaveCount(2, { timeout: 30_000 });
    await page.getByLabel('Sort by').selectOption({ label: 'Oldest first' });
    const marks = row(page, same).getByTestId('namesake');
    await expect(marks).toHaveText(['number (1)', 'number (2)']);
    await expect(marks.first()).toBeVisible();
    // The numbers stay with the files whatever the order.
    await page.getByLabel('Sort by').selectOption({ label: 'Newest first' });
    await expect(marks).toHaveText(['number (2)', 'number (1)']);
    // Other files are not numbered.
    await expect(page.getByTestId('namesake')).toHaveCount(2);
  });
});
