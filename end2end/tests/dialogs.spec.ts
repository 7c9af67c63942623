// Dialogs and the screens that hold the user, by keyboard: every vault dialog (rename, delete,
// export key, share with a user, create link, who has access) keeps Tab inside, closes with
// Escape in every state (also after an error, with focus fallen to the page) and gives focus
// back to the row's menu that opened it; sharing with an unknown name says so; an exported file
// key copies to the clipboard. The recovery key after registering cannot be left by the header
// or Back, copies to the clipboard, prints, and is left only by "I saved it" or an explicit
// "I'll risk losing my files". A new API token copies too, and tokens show when they expire.
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { fileRow as row, headerLink, open, recordSecret, register as registerAs } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const password = `Cobalt-Fennel-Orbit-${run}-⌨`;
const user = `dlg_${run}`;
const fileName = `keyboard notes ${run}.txt`;

/** Opens a row's "More" menu with the keyboard and picks `action` (Enter on each). */
async function openByKeyboard(page: Page, name: string, action: string) {
  const summary = row(page, name).locator('summary');
  await summary.focus();
  await page.keyboard.press('Enter');
  const item = row(page, name).getByRole('button', { name: action, exact: true });
  await item.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeVisible({ timeout: 30_000 });
}

/** Tab and Shift+Tab, more times than the dialog has controls: focus never leaves it, and it
 *  really moves (more than one control is reached each way). */
async function tabStaysInside(page: Page) {
  const dialog = page.getByRole('dialog');
  for (const key of ['Tab', 'Shift+Tab']) {
    const seen = new Set<string>();
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press(key);
      const where = await dialog.evaluate((d) => {
        const a = document.activeElement as HTMLElement | null;
        if (!a || a === d || !d.contains(a)) return null;
        return `${a.tagName}:${a.id}:${a.textContent?.trim()}:${[...d.querySelectorAll('*')].indexOf(a)}`;
      });
      expect(where, `${key} #${i + 1} left the dialog`).not.toBeNull();
      seen.add(where!);
    }
    expect(seen.size, `${key} reached only ${[...seen]}`).toBeGreaterThan(1);
  }
}

/** Escape closes the dialog and focus is back on the row's menu button. */
async function escapeReturnsFocus(page: Page, name: string) {
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(row(page, name).locator('summary')).toBeFocused();
}

/** Focus falls to the page (as when the focused button is disabled while it works). */
const dropFocus = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

test.describe.serial('vault dialogs by keyboard', () => {
  let context: BrowserContext;
  let page: Page;
  let name = fileName;

  test.beforeAll(async ({ browser }) => {
    // The export key dialog's Copy is read back from the clipboard.
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    recordSecret('password', password);
    await registerAs(page, user, password);
    await page.getByLabel('Add files').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(`notes ${run}\n`) });
    await expect(row(page, name)).toBeVisible({ timeout: 30_000 });
  });
  test.afterAll(async () => {
    await context.close();
  });

  test('rename: focus in the name, Tab stays inside, Escape closes and returns focus; after a rename focus is on the renamed row', async () => {
    await openByKeyboard(page, name, 'Rename');
    await expect(page.getByLabel('New name')).toBeFocused();
    await tabStaysInside(page);
    await escapeReturnsFocus(page, name);
    await expect(row(page, name)).toHaveCount(1); // nothing renamed

    // A failed save (empty name) keeps the dialog; Escape still closes it from the page.
    await openByKeyboard(page, name, 'Rename');
    await page.getByLabel('New name').fill(' ');
    await page.getByRole('button', { name: 'Save name' }).click();
    await expect(page.getByRole('dialog').getByRole('alert')).toHaveText('Enter a name.');
    await dropFocus(page);
    await escapeReturnsFocus(page, name);

    await openByKeyboard(page, name, 'Rename');
    const renamed = `renamed ${run}.txt`;
    await page.getByLabel('New name').fill(renamed);
    await page.keyboard.press('Enter');
    await expect(row(page, renamed)).toBeVisible({ timeout: 30_000 });
    await expect(row(page, renamed).locator('summary')).toBeFocused();
    name = renamed;
  });

  test('delete: Cancel and Escape both close without deleting and return focus', async () => {
    await openByKeyboard(page, name, 'Delete');
    await tabStaysInside(page);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('dialog')).toHaveCount(0);
    await expect(row(page, name).locator('summary')).toBeFocused();
    await openByKeyboard(page, name, 'Delete');
    await dropFocus(page);
    await escapeReturnsFocus(page, name);
    await expect(row(page, name)).toHaveCount(1);
  });

  test('export key: Copy puts the key in the clipboard; Tab stays inside, Escape closes and returns focus', async () => {
    await openByKeyboard(page, name, 'Export key');
    const shown = page.getByTestId('exported-key');
    await expect(shown).toHaveValue(/^coffer-key-v1:/);
    const key = (await shown.inputValue()).trim();
    recordSecret('file key', key);
    await page.evaluate(() => navigator.clipboard.writeText('something else'));
    const copy = page.getByRole('dialog').getByRole('button', { name: 'Copy file key' });
    await copy.click();
    await expect(copy).toHaveText('Copied ✓');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await tabStaysInside(page);
    await escapeReturnsFocus(page, name);
  });

  test('share: Cancel before the look-up; an unknown name is named; Escape after the error, from the page', async () => {
    await openByKeyboard(page, name, 'Share with a user');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toHaveCount(1);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(row(page, name).locator('summary')).toBeFocused();

    await openByKeyboard(page, name, 'Share with a user');
    await expect(page.getByLabel('Username')).toBeFocused();
    const nobody = `nobody_${run}`;
    await page.getByLabel('Username').fill(nobody);
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect(dialog.getByRole('alert')).toHaveText(`No Coffer user is called ‘${nobody}’. Check the spelling.`);
    await expect(dialog.getByRole('alert')).not.toContainText('no longer has this file');
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toHaveCount(1);
    await tabStaysInside(page);
    await dropFocus(page);
    // From the page, Tab goes back into the dialog rather than to the page behind it.
    await page.keyboard.press('Tab');
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await dropFocus(page);
    await escapeReturnsFocus(page, name);

    // Once someone is found, there is still exactly one Cancel.
    await openByKeyboard(page, name, 'Share with a user');
    await page.getByLabel('Username').fill(user);
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect(dialog.getByRole('alert')).toContainText('your own account');
    const other = `dlg_other_${run}`;
    const second = await (await context.browser()!.newContext()).newPage();
    await registerAs(second, other, password);
    await second.context().close();
    await page.getByLabel('Username').fill(other);
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect(page.getByTestId('share-fingerprint')).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toHaveCount(1);
    await tabStaysInside(page);
    await escapeReturnsFocus(page, name);
  });

  test('create link (another file\'s dialog, same Modal): Tab stays inside, Escape before and after creating', async () => {
    await openByKeyboard(page, name, 'Create link');
    await tabStaysInside(page);
    await escapeReturnsFocus(page, name);
    await openByKeyboard(page, name, 'Create link');
    await page.getByRole('dialog').getByRole('button', { name: 'Create link' }).click();
    const url = page.getByTestId('link-url');
    await expect(url).toBeVisible({ timeout: 30_000 });
    const link = (await url.textContent()) ?? '';
    if (link.includes('#')) recordSecret('link secret', link.split('#')[1]);
    await tabStaysInside(page);
    await escapeReturnsFocus(page, name);
  });

  test('who has access: Tab stays inside, Escape closes and returns focus', async () => {
    await openByKeyboard(page, name, 'Who has access');
    await expect(page.getByRole('dialog').getByText('Loading…')).toHaveCount(0, { timeout: 30_000 });
    await tabStaysInside(page);
    await dropFocus(page);
    await escapeReturnsFocus(page, name);
  });
});

test.describe('the recovery key', () => {
  test('cannot be left by the header or Back; copies, prints; "I\'ll risk losing my files" is the other way out', async ({ browser }) => {
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    await open(page, '/');
    // Into the form the way a visitor goes: the header's link (so Back stays inside the app).
    await (await headerLink(page, 'Create account')).click();
    await page.getByLabel('Username').fill(`rk_${run}`);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Repeat the password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    const key = page.getByTestId('recovery-key');
    await expect(key).toHaveText(/^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/, { timeout: 30_000 });
    const recoveryKey = (await key.textContent())!.trim();
    recordSecret('recovery key', recoveryKey);

    // No way out through the header: no links there at all, the brand included.
    const header = page.getByRole('banner');
    await expect(header.getByRole('link')).toHaveCount(0);
    await expect(header.getByRole('button')).toHaveCount(0);
    await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
    await expect(header).toContainText('Save your recovery key to go on.');
    // Back changes the address, not the screen.
    await page.goBack();
    await expect(page).toHaveURL(/\/$/);
    await expect(key).toHaveText(recoveryKey);
    await expect(page.getByRole('heading', { name: 'Save your recovery key' })).toBeVisible();
    // Reloading would lose the key: the browser asks first (and staying keeps it).
    let asked = '';
    page.once('dialog', async (d) => {
      asked = d.type();
      await d.dismiss();
    });
    await page.reload({ timeout: 3_000 }).catch(() => undefined);
    expect(asked).toBe('beforeunload');
    await expect(key).toHaveText(recoveryKey);

    // Copy puts exactly the key in the clipboard and says so.
    await page.getByRole('button', { name: 'Copy recovery key' }).click();
    await expect(page.getByRole('button', { name: 'Copy recovery key' })).toHaveText(/Copied/);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(recoveryKey);
    // Print opens the browser's print dialog.
    await page.evaluate(() => {
      (window as any).__printed = 0;
      window.print = () => { (window as any).__printed += 1; };
    });
    await page.getByRole('button', { name: 'Print' }).click();
    expect(await page.evaluate(() => (window as any).__printed)).toBe(1);

    // Without the tick, the only other way is the explicit risk.
    await expect(page.getByRole('button', { name: 'Continue to my vault' })).toBeDisabled();
    const risk = page.getByRole('button', { name: 'I\'ll risk losing my files' });
    await expect(risk).toBeHidden();
    await page.getByRole('button', { name: 'Continue without saving it' }).click();
    await expect(page.locator('#recovery-risk')).toContainText('gone for good');
    await risk.click();
    await expect(page).toHaveURL(/\/vault$/);
    await expect(page.getByTestId('vault-empty')).toBeVisible();
    await expect(await headerLink(page, 'Account')).toBeVisible();
    await context.close();
  });

  test('a new API token copies to the clipboard; the list shows when each token expires', async ({ browser }) => {
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    await registerAs(page, `tok_${run}`, password);
    await (await headerLink(page, 'Account')).click();
    await page.getByLabel('Name', { exact: true }).fill('backup script');
    await page.getByLabel('Days valid').fill('7');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = page.getByTestId('new-token');
    await expect(token).toHaveText(/^cft_/);
    await page.getByRole('button', { name: 'Copy token' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe((await token.textContent())!.trim());
    const state = page.getByTestId('token-state');
    await expect(state).toHaveCount(1);
    const expected = new Date(Date.now() + 7 * 86_400_000);
    const month = expected.toLocaleString('en', { month: 'short' });
    // Seven days ahead: a date without seconds (and with the year only across New Year).
    await expect(state).toHaveText(new RegExp(`^active · expires ${expected.getDate()} ${month}( \\d{4})? \\d\\d:\\d\\d$`));
    await context.close();
  });
});
