// Helpers shared by the end-to-end specs.
import { expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/** Records a value that must never reach the server's database, blobs or log. */
export function recordSecret(label: string, value: string) {
  const file = process.env.COFFER_E2E_SECRETS;
  if (file) appendFileSync(file, JSON.stringify({ label, value }) + '\n');
}

export const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Loads a page and waits until the app has hydrated. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await page.waitForSelector('body[data-hydrated="true"]');
}

/** Registers through the UI and lands on the vault with the keys unlocked. */
export async function register(page: Page, username: string, password: string) {
  await open(page, '/register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('recovery-key')).toBeVisible({ timeout: 30_000 });
  await page.getByLabel('I saved my recovery key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue to my vault' }).click();
  await expect(page).toHaveURL(/\/vault$/);
}

/** Unlocks the keys after a reload. */
export async function unlock(page: Page, password: string) {
  const form = page.getByTestId('unlock');
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Unlock' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });
}

/** An init script: without the File System Access API the app saves through a Blob download,
 *  which Playwright can catch. */
export const noFilePicker = () => {
  // @ts-expect-error: removing a browser API on purpose
  window.showSaveFilePicker = undefined;
};

/** A file row in the vault table, by its decrypted name. */
export const fileRow = (page: Page, name: string) =>
  page.getByTestId('file-row').filter({ has: page.getByTestId('file-name').getByText(name, { exact: true }) });

/** A link of the header (`Account`, `Create account`, …) ready to click at any width: on a
 *  phone the links fold behind the Menu button (phone.spec.ts), which this opens first. */
export async function headerLink(page: Page, name: string) {
  const menu = page.locator('header .menu-toggle');
  await menu.waitFor({ state: 'attached' });
  if ((await menu.isVisible()) && (await menu.getAttribute('aria-expanded')) !== 'true') {
    await menu.click();
    await expect(menu).toHaveAttribute('aria-expanded', 'true');
  }
  return page.getByRole('banner').getByRole('link', { name, exact: true });
}
