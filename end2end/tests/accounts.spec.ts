// Accounts end to end in headless Chromium: register -> recovery key -> vault,
// logout, login, reload -> unlock, wrong passwords, and session isolation.
// The password and recovery key used here are appended to $COFFER_E2E_SECRETS so
// scripts/test.sh can prove afterwards that neither reached the database or log.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { open, recordSecret } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const username = `e2e_${run}`;
// Unicode, exactly 128 characters (code points), and unique to this run: easy to
// search for afterwards.
const password = [...`Violet-Otter-Harbor-${run}-ключ-🔑-`.repeat(8)].slice(0, 128).join('');


async function logIn(page: Page, name: string, pw: string) {
  await open(page, '/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(pw);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test.describe.serial('accounts', () => {
  test('register shows the recovery key once, then opens the empty vault', async ({ page }) => {
    recordSecret('password', password);
    await open(page, '/register');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Repeat the password').fill(password);
    await expect(page.locator('#reg-strength')).toContainText(/strong/i);
    await page.getByRole('button', { name: 'Create account' }).click();

    const keyText = page.getByTestId('recovery-key');
    await expect(keyText).toHaveText(/^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/, { timeout: 30_000 });
    const recoveryKey = (await keyText.textContent())!.trim();
    recordSecret('recovery key', recoveryKey);
    recordSecret('recovery key without dashes', recoveryKey.replaceAll('-', ''));

    const downloadPromise = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download as text' }).click();
    const download = await downloadPromise;
    expect(download.suggestedFilename()).toBe('coffer-recovery-key.txt');
    expect(readFileSync(await download.path(), 'utf8')).toContain(recoveryKey);

    const goOn = page.getByRole('button', { name: 'Continue to my vault' });
    await expect(goOn).toBeDisabled();
    await page.getByLabel('I saved my recovery key somewhere safe').check();
    await goOn.click();
    await expect(page).toHaveURL(/\/vault$/);
    await expect(page.getByTestId('vault-empty')).toContainText('No files yet');
  });

  test('log out, then log in again', async ({ page }) => {
    await logIn(page, username, password);
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await open(page, '/vault');
    await expect(page.getByRole('heading', { name: 'Please log in' })).toBeVisible();
  });

  test('the login form remembers the username, not the password', async ({ page }) => {
    await logIn(page, username, password);
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await open(page, '/login');
    await expect(page.getByLabel('Username')).toHaveValue(username);
    await expect(page.getByLabel('Password')).toHaveValue('');
  });

  test('a wrong password gets a clear message', async ({ page }) => {
    await logIn(page, username, password + 'x');
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.', { timeout: 30_000 });
    await expect(page).toHaveURL(/\/login$/);
  });

  test('after a reload the keys are gone and the unlock screen asks again', async ({ page }) => {
    await logIn(page, username, password);
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    const unlock = page.getByTestId('unlock');
    await expect(unlock).toBeVisible();
    await unlock.getByLabel('Password').fill('not my password');
    await unlock.getByRole('button', { name: 'Unlock' }).click();
    await expect(unlock.getByRole('alert')).toHaveText('That password is not right. Try again.', { timeout: 30_000 });
    await unlock.getByLabel('Password').fill(password);
    await unlock.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByTestId('vault-empty')).toBeVisible({ timeout: 30_000 });
    await open(page, '/account');
    // Navigating with a full page load forgets the keys again: unlock, then see the fingerprint.
    await page.getByTestId('unlock').getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByTestId('fingerprint')).toHaveText(/^(\d{5} ){11}\d{5}$/, { timeout: 30_000 });
    await expect(page.getByTestId('account-username')).toHaveText(username);
  });

  test('a second browser context cannot see the first one\'s session', async ({ browser, page }) => {
    await logIn(page, username, password);
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    const other = await browser.newContext();
    const stranger = await other.newPage();
    await open(stranger, '/vault');
    await expect(stranger.getByRole('heading', { name: 'Please log in' })).toBeVisible();
    await other.close();
  });

  test('common passwords are refused before anything is sent', async ({ page }) => {
    await open(page, '/register');
    await page.getByLabel('Username').fill(`weak_${run}`);
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByLabel('Repeat the password').fill('password123');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('alert')).toContainText('too easy to guess');
    await logIn(page, `weak_${run}`, 'password123');
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.', { timeout: 30_000 });
  });

  test('pages are served with a nonce CSP and no inline-script allowance', async ({ page }) => {
    const response = await page.goto('/');
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toContain("'wasm-unsafe-eval'");
    expect(csp).not.toContain('unsafe-inline');
    const violations: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    expect(violations).toEqual([]);
  });
});
