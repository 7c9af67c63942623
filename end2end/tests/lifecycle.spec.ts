// An account's life (issue 16) in headless Chromium: a new password, a reset with the recovery
// key, signing other devices out, and deleting the account. Every password and recovery key used
// here is recorded for the zero-knowledge check.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileRow as row, noFilePicker, open, recordSecret, sha256 } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const first = `Lifecycle-Cedar-${run}-first-🌲`;
const second = `Lifecycle-Birch-${run}-second-🍂`;
recordSecret('password', first);
recordSecret('password', second);

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ acceptDownloads: true });
  await context.addInitScript(noFilePicker);
  return context.newPage();
}

/** RFC 6238 as an authenticator app computes it (HMAC-SHA1, 6 digits, 30 s), from the base32
 *  secret the page showed as text. */
function totp(secretBase32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** Registers through the UI and returns the recovery key it showed. */
async function registerKeepingKey(page: Page, name: string, password: string): Promise<string> {
  await open(page, '/register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  const keyText = page.getByTestId('recovery-key');
  await expect(keyText).toHaveText(/^[0-9A-Z]{4}(-[0-9A-Z]{4})+$/, { timeout: 30_000 });
  const key = (await keyText.textContent())!.trim();
  recordSecret('recovery key', key);
  await page.getByLabel('I saved my recovery key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue to my vault' }).click();
  await expect(page).toHaveURL(/\/vault$/);
  return key;
}

async function logIn(page: Page, name: string, password: string) {
  await open(page, '/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

async function upload(page: Page, name: string, data: Buffer) {
  await page.getByLabel('Add files').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: data });
  await expect(row(page, name)).toBeVisible({ timeout: 30_000 });
}

async function downloadedHash(page: Page, name: string): Promise<string> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: `Download ${name}`, exact: true }).click();
  const download = await pending;
  expect(download.suggestedFilename()).toBe(name);
  return sha256(readFileSync((await download.path())!));
}

/** The Account page by the header's link (a client-side move: the keys stay unlocked). */
async function toAccount(page: Page) {
  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await expect(page.getByTestId('fingerprint')).toBeVisible({ timeout: 30_000 });
}

/** Whether `page`'s session still works: a full load of the vault either asks to unlock or to log in. */
async function expectSignedOut(page: Page) {
  await open(page, '/vault');
  await expect(page.getByRole('heading', { name: 'Please log in' })).toBeVisible({ timeout: 30_000 });
}

test.describe('account lifecycle', () => {
  test('change the password: the old one stops, the new one opens a file uploaded before, other devices are signed out', async ({ browser }) => {
    test.setTimeout(120_000);
    const name = `pw_${run}`;
    const data = Buffer.from(`before the change ${run}\n`.repeat(500));
    const a = await newPage(browser);
    await registerKeepingKey(a, name, first);
    await upload(a, 'before.txt', data);
    const b = await newPage(browser);
    await logIn(b, name, first);
    await expect(b).toHaveURL(/\/vault$/, { timeout: 30_000 });

    await toAccount(a);
    await a.getByLabel('Current password').fill(first);
    await a.getByLabel('New password', { exact: true }).fill(second);
    await a.getByLabel('Repeat the new password').fill(second);
    await a.getByRole('button', { name: 'Change password' }).click();
    await expect(a.getByTestId('password-changed')).toBeVisible({ timeout: 60_000 });

    await expectSignedOut(b);
    await a.getByRole('link', { name: 'Vault', exact: true }).click();
    await logOut(a);
    await logIn(a, name, first);
    await expect(a.getByRole('alert')).toHaveText('Wrong username or password.', { timeout: 30_000 });
    await logIn(a, name, second);
    await expect(a).toHaveURL(/\/vault$/, { timeout: 30_000 });
    expect(await downloadedHash(a, 'before.txt')).toBe(sha256(data));
  });

  test('forgot the password: the recovery key sets a new one, a new recovery key replaces it, files still open', async ({ browser }) => {
    test.setTimeout(120_000);
    const name = `rk_${run}`;
    const data = Buffer.from(`kept through a reset ${run}\n`.repeat(300));
    const page = await newPage(browser);
    const oldKey = await registerKeepingKey(page, name, first);
    await upload(page, 'kept.txt', data);
    await logOut(page);

    await page.getByRole('link', { name: 'Use your recovery key' }).click();
    await expect(page).toHaveURL(/\/recover$/);
    await expect(page.getByText('nobody can restore your files')).toBeVisible();
    const fill = async (user: string, key: string) => {
      await page.getByLabel('Username').fill(user);
      await page.getByLabel('Recovery key').fill(key);
      await page.getByLabel('New password', { exact: true }).fill(second);
      await page.getByLabel('Repeat the new password').fill(second);
      await page.getByRole('button', { name: 'Set new password' }).click();
    };
    // A typo is caught by the key's checksum; an unknown name answers like a wrong key.
    await fill(name, oldKey.slice(0, -1) + (oldKey.endsWith('0') ? '1' : '0'));
    await expect(page.getByRole('alert')).toContainText('not a whole recovery key');
    await fill(`nobody_${run}`, oldKey);
    await expect(page.getByRole('alert')).toHaveText('That username and recovery key do not match. Check both.', { timeout: 30_000 });

    // Lower case, no dashes: the key as someone might type it.
    await fill(name, oldKey.replaceAll('-', ' ').toLowerCase());
    const keyText = page.getByTestId('recovery-key');
    await expect(keyText).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('recovery-replaced')).toBeVisible();
    const newKey = (await keyText.textContent())!.trim();
    recordSecret('recovery key', newKey);
    expect(newKey).not.toBe(oldKey);
    await page.getByLabel('I saved my recovery key somewhere safe').check();
    await page.getByRole('button', { name: 'Continue to my vault' }).click();
    await expect(page).toHaveURL(/\/vault$/);
    expect(await downloadedHash(page, 'kept.txt')).toBe(sha256(data));

    // The old key stops working; the new password logs in.
    await logOut(page);
    await open(page, '/recover');
    await fill(name, oldKey);
    await expect(page.getByRole('alert')).toHaveText('That username and recovery key do not match. Check both.', { timeout: 30_000 });
    await logIn(page, name, second);
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
  });

  test('sign out everywhere else: the other browser is logged out, this one stays', async ({ browser }) => {
    test.setTimeout(90_000);
    const name = `ss_${run}`;
    const a = await newPage(browser);
    await registerKeepingKey(a, name, first);
    const b = await newPage(browser);
    await logIn(b, name, first);
    await expect(b).toHaveURL(/\/vault$/, { timeout: 30_000 });

    await toAccount(a);
    const sessions = a.getByTestId('session');
    await expect(sessions).toHaveCount(2);
    await expect(a.getByTestId('this-device')).toHaveCount(1);
    await expect(sessions.first()).toContainText('127.0.0.1');
    await expect(sessions.first()).toContainText('Chrome');
    await a.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await expect(a.getByTestId('sessions-status')).toHaveText('Signed out 1 other session.');
    await expect(sessions).toHaveCount(1);

    await expectSignedOut(b);
    await a.getByRole('link', { name: 'Vault', exact: true }).click();
    await expect(a.getByTestId('vault-empty')).toBeVisible({ timeout: 30_000 });
  });

  test('two-step login: turned on by typing the secret into an app, then a login asks for its code; a recovery code works once', async ({ browser }) => {
    test.setTimeout(120_000);
    const name = `tf_${run}`;
    const page = await newPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await registerKeepingKey(page, name, first);
    await toAccount(page);
    await expect(page.getByTestId('two-step-state')).toHaveText('Off.');
    await page.getByRole('button', { name: 'Turn on two-step login' }).click();
    await expect(page.locator('.qr svg')).toBeVisible();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('The 6-digit code the app shows').fill('000000' === totp(secret) ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'not right' })).toBeVisible();
    await page.getByLabel('The 6-digit code the app shows').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await expect(codes).toHaveCount(10, { timeout: 30_000 });
    const recovery = (await codes.nth(0).textContent())!.trim();
    for (const c of await codes.allTextContents()) recordSecret('recovery code', c.trim());
    await page.getByRole('button', { name: 'I saved them' }).click();
    await expect(page.getByTestId('two-step-state')).toContainText('10 of 10 recovery codes left');

    // A login: the password, then the code (the one that turned it on is spent: wait a step).
    await page.getByRole('link', { name: 'Vault', exact: true }).click();
    await logOut(page);
    await logIn(page, name, first);
    const step = page.getByTestId('second-factor');
    await expect(step).toBeVisible({ timeout: 30_000 });
    await expect(page).toHaveURL(/\/login$/);
    await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 500);
    await step.getByLabel('Code').fill(totp(secret));
    await step.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });

    // A recovery code, once.
    await logOut(page);
    await logIn(page, name, first);
    await expect(step).toBeVisible({ timeout: 30_000 });
    await step.getByLabel('Code').fill(recovery.toLowerCase());
    await step.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await logOut(page);
    await logIn(page, name, first);
    await expect(step).toBeVisible({ timeout: 30_000 });
    await step.getByLabel('Code').fill(recovery);
    await step.getByRole('button', { name: 'Continue' }).click();
    await expect(step.getByRole('alert')).toContainText('used already');
  });

  test('keep this device unlocked: a reload and a new tab open without the password; Lock now ends it; signed out elsewhere, the copy is useless', async ({ browser }) => {
    test.setTimeout(120_000);
    const name = `ku_${run}`;
    const setup = await newPage(browser);
    await registerKeepingKey(setup, name, first);
    await upload(setup, 'kept-open.txt', Buffer.from(`kept ${run}\n`));
    await setup.context().close();

    const page = await newPage(browser);
    await open(page, '/login');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(first);
    await page.getByLabel('Keep this device unlocked').check();
    await page.getByLabel('For how long').selectOption('day');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await expect(row(page, 'kept-open.txt')).toBeVisible({ timeout: 30_000 });

    // Nothing in web storage is the key: IndexedDB holds a CryptoKey object and ciphertext.
    const stored = await page.evaluate(async () => {
      const db: IDBDatabase = await new Promise((ok, no) => {
        const r = indexedDB.open('coffer', 1); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
      });
      const rec: any = await new Promise((ok) => {
        const r = db.transaction('keep').objectStore('keep').get('device'); r.onsuccess = () => ok(r.result);
      });
      return { extractable: (rec.device as CryptoKey).extractable, type: (rec.device as CryptoKey).type, blob: rec.blob.length, local: JSON.stringify(localStorage) };
    });
    expect(stored).toMatchObject({ extractable: false, type: 'secret', blob: 62 + 16 });

    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await expect(row(page, 'kept-open.txt')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('unlock')).toHaveCount(0);
    const tab = await page.context().newPage();
    await open(tab, '/vault');
    await expect(row(tab, 'kept-open.txt')).toBeVisible({ timeout: 30_000 });

    // Lock now: the password is asked for again, after a reload too.
    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page.getByTestId('unlock')).toBeVisible({ timeout: 30_000 });
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await expect(page.getByTestId('unlock')).toBeVisible({ timeout: 30_000 });
    await page.waitForTimeout(1000);
    await expect(page.getByTestId('unlock')).toBeVisible();

    // Kept again, then signed out from another browser: the reload finds no session.
    await page.getByTestId('unlock').getByLabel('Password').fill(first);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(row(page, 'kept-open.txt')).toBeVisible({ timeout: 30_000 });
    await logOut(page);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(first);
    await page.getByLabel('Keep this device unlocked').check();
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(row(page, 'kept-open.txt')).toBeVisible({ timeout: 30_000 });
    const other = await newPage(browser);
    await logIn(other, name, first);
    await expect(other).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await toAccount(other);
    await other.getByRole('button', { name: 'Sign out everywhere else' }).click();
    // (The browser that registered the account still had a session too.)
    await expect(other.getByTestId('sessions-status')).toHaveText('Signed out 2 other sessions.');
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await expect(page.getByRole('heading', { name: 'Please log in' })).toBeVisible({ timeout: 30_000 });
  });

  test('Argon2id runs off the page: no long task over 200 ms while logging in, and the progress line shows', async ({ browser }) => {
    test.setTimeout(90_000);
    const name = `lt_${run}`;
    const setup = await newPage(browser);
    await registerKeepingKey(setup, name, first);
    await setup.context().close();

    const page = await newPage(browser);
    await open(page, '/login');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(first);
    await page.evaluate(() => {
      const w = window as any;
      w.__longTasks = [];
      w.__frames = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push(Math.round(e.duration));
      }).observe({ type: 'longtask' });
      // Which script a long task was (for the failure message): long animation frames name
      // their scripts' invokers.
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as any[]) {
          const scripts = e.scripts.map((s: any) => `${s.invoker} ${Math.round(s.duration)} ms`);
          w.__frames.push(`${Math.round(e.duration)} ms [${scripts.join('; ')}]`);
        }
      }).observe({ type: 'long-animation-frame' });
    });
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Deriving your keys from your password…' })).toBeVisible();
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    await expect(page.getByTestId('vault-empty')).toBeVisible({ timeout: 30_000 });
    const long: number[] = await page.evaluate(() => (window as any).__longTasks);
    const frames: string[] = await page.evaluate(() => (window as any).__frames);
    expect(long.filter((d) => d > 200), `long tasks: ${long.join(', ')} ms; frames: ${frames.join(' | ')}`).toEqual([]);
  });

  test('delete the account: it asks for the password and the name, then nothing is left and the name is free', async ({ browser }) => {
    test.setTimeout(120_000);
    const name = `del_${run}`;
    const page = await newPage(browser);
    await registerKeepingKey(page, name, first);
    await upload(page, 'doomed.txt', Buffer.from(`to be deleted ${run}\n`));
    await toAccount(page);
    await page.getByRole('button', { name: 'Delete my account…' }).click();
    await page.getByLabel('Your password', { exact: true }).fill(first);
    await page.getByLabel('to confirm').fill(`${name}x`);
    await page.getByRole('button', { name: 'Delete my account and files forever' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'exactly to confirm' })).toBeVisible();
    await page.getByLabel('Your password', { exact: true }).fill(second);
    await page.getByLabel('to confirm').fill(name);
    await page.getByRole('button', { name: 'Delete my account and files forever' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'password is not right' })).toBeVisible({ timeout: 30_000 });
    await page.getByLabel('Your password', { exact: true }).fill(first);
    await page.getByRole('button', { name: 'Delete my account and files forever' }).click();
    await expect(page.getByTestId('account-deleted')).toBeVisible({ timeout: 30_000 });

    await logIn(page, name, first);
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.', { timeout: 30_000 });
    await registerKeepingKey(page, name, second);
    await expect(page.getByTestId('vault-empty')).toBeVisible({ timeout: 30_000 });
  });
});
