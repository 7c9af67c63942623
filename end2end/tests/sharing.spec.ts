// Sharing end to end with three browser contexts: Alice shares a file with Bob (public key,
// safety number), Bob downloads identical bytes, Alice revokes and Bob loses access; a changed
// key for Bob is flagged and blocks sharing; Alice's one-download password link is opened by a
// context with no account: a wrong password fails, the right one downloads identical bytes, and
// a second open says the link is no longer available.
//
// The link secret (URL fragment) and the link password are recorded in $COFFER_E2E_SECRETS for
// the zero-knowledge check that scripts/test.sh runs afterwards.
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileRow as row, noFilePicker, open, recordSecret, register as registerAs, sha256, unlock as unlockWith } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const password = `Harbor-Violet-Quartz-${run}-🗝`;
const alice = `share_a_${run}`;
const bob = `share_b_${run}`;
const carol = `share_c_${run}`;
const linkPassword = `link-pw-${run}-Zebra`;





const register = (page: Page, username: string) => registerAs(page, username, password);
const unlock = (page: Page) => unlockWith(page, password);

async function menu(page: Page, name: string, action: string) {
  await row(page, name).locator('summary').click();
  await row(page, name).getByRole('button', { name: action }).click();
}


test.describe.serial('sharing', () => {
  let aliceContext: BrowserContext;
  let bobContext: BrowserContext;
  let a: Page;
  let b: Page;
  let bobFingerprint = '';
  const data = randomBytes(700_000);
  const fileName = `for bob ${run}.bin`;

  test.beforeAll(async ({ browser }) => {
    aliceContext = await browser.newContext({ acceptDownloads: true });
    bobContext = await browser.newContext({ acceptDownloads: true });
    await aliceContext.addInitScript(noFilePicker);
    await bobContext.addInitScript(noFilePicker);
    a = await aliceContext.newPage();
    b = await bobContext.newPage();
    recordSecret('password', password);
    recordSecret('link password', linkPassword);
  });
  test.afterAll(async () => {
    await aliceContext.close();
    await bobContext.close();
  });

  test('Alice shares a file with Bob after seeing his safety number; Bob downloads identical bytes', async () => {
    await register(b, bob);
    await b.getByRole('link', { name: 'Account' }).click();
    bobFingerprint = (await b.getByTestId('fingerprint').textContent())!.trim();
    expect(bobFingerprint).toMatch(/^(\d{5} ){11}\d{5}$/);

    await register(a, alice);
    await a.getByLabel('Add files').setInputFiles({ name: fileName, mimeType: 'application/octet-stream', buffer: data });
    await expect(row(a, fileName)).toBeVisible({ timeout: 30_000 });

    await menu(a, fileName, 'Share with a user');
    await a.getByLabel('Username').fill(bob);
    await a.getByRole('button', { name: 'Look up' }).click();
    await expect(a.getByTestId('share-fingerprint')).toHaveText(bobFingerprint);
    await a.getByLabel(`I compared this safety number with ${bob}`).check();
    await a.getByLabel('Access ends').selectOption('604800');
    await a.getByRole('button', { name: 'Share', exact: true }).click();
    await expect(a.getByRole('status').filter({ hasText: `with ${bob}` })).toBeVisible();

    await b.getByRole('link', { name: 'Shared with me' }).click();
    const shared = b.getByTestId('shared-row').filter({ hasText: fileName });
    await expect(shared).toBeVisible();
    await expect(shared).toContainText(alice);
    const pending = b.waitForEvent('download');
    await shared.getByRole('button', { name: `Download ${fileName}` }).click();
    const got = readFileSync((await (await pending).path())!);
    expect(sha256(got)).toBe(sha256(data));
  });

  test('a first share needs the safety number compared or an explicit "share without verifying", which is remembered', async ({ browser }) => {
    const other = await browser.newContext();
    await register(await other.newPage(), carol);
    await other.close();
    await menu(a, fileName, 'Share with a user');
    await a.getByLabel('Username').fill(carol);
    await a.getByRole('button', { name: 'Look up' }).click();
    await expect(a.getByTestId('key-status')).toContainText('You have not shared with');
    await expect(a.getByRole('button', { name: 'Share', exact: true })).toBeDisabled();
    await a.getByRole('button', { name: 'Share without verifying' }).click();
    await expect(a.getByRole('status').filter({ hasText: `with ${carol}` })).toBeVisible();
    // Remembered: next time there is one Share button and no question.
    await menu(a, fileName, 'Share with a user');
    await a.getByLabel('Username').fill(carol);
    await a.getByRole('button', { name: 'Look up' }).click();
    await expect(a.getByTestId('key-status')).toContainText('before without comparing');
    await expect(a.getByRole('button', { name: 'Share', exact: true })).toBeEnabled();
    await expect(a.getByRole('button', { name: 'Share without verifying' })).toHaveCount(0);
    await a.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    // And Bob, compared in the first test, stays verified.
    await menu(a, fileName, 'Share with a user');
    await a.getByLabel('Username').fill(bob);
    await a.getByRole('button', { name: 'Look up' }).click();
    await expect(a.getByTestId('key-status')).toHaveText('You marked this key as verified.');
    await a.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  });

  test('a different key for Bob is flagged and blocks sharing until confirmed', async () => {
    // Make the server (as the page sees it) answer with another valid key for Bob: Alice's own.
    const aliceKey = await (await a.request.get(`/api/users/${alice}/key`)).json();
    await a.route(`**/api/users/${bob}/key`, (route) =>
      route.fulfill({ json: { username: bob, public_key: aliceKey.public_key } }));
    await menu(a, fileName, 'Share with a user');
    await a.getByLabel('Username').fill(bob);
    await a.getByRole('button', { name: 'Look up' }).click();
    const warning = a.getByTestId('key-changed');
    await expect(warning).toBeVisible();
    await expect(warning).toContainText(`${bob}'s key has changed`);
    await expect(warning).toContainText(bobFingerprint);
    await expect(a.getByRole('button', { name: 'Share', exact: true })).toHaveCount(0);
    await expect(a.getByRole('button', { name: 'Trust the new key' })).toBeDisabled();
    await a.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await a.unroute(`**/api/users/${bob}/key`);
  });

  test('Alice revokes; Bob loses access', async () => {
    const id = await row(a, fileName).getAttribute('data-file-id');
    await menu(a, fileName, 'Who has access');
    const bobsGrant = a.getByTestId('grant').filter({ hasText: bob });
    await expect(bobsGrant).toContainText('until'); // the 7-day expiry chosen above
    await a.getByRole('button', { name: `Revoke access for ${bob}` }).click();
    await expect(a.getByTestId('revoked-note')).toContainText('can still read the version they saw');
    await a.getByRole('button', { name: `Revoke access for ${carol}` }).click();
    await expect(a.getByText('Not shared with anyone.')).toBeVisible();
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    expect((await b.request.get(`/api/shared/${id}/content`)).status()).toBe(404);
    await b.reload();
    await b.waitForSelector('body[data-hydrated="true"]');
    await unlock(b);
    await expect(b.getByTestId('shared-empty')).toBeVisible();
  });

  test('a one-download password link: wrong password fails, right one gives identical bytes, then it is gone', async ({ browser }) => {
    await menu(a, fileName, 'Create link');
    await a.getByLabel('Download limit').selectOption('1');
    await a.getByLabel('Password (optional)').fill(linkPassword);
    await a.getByRole('button', { name: 'Create link' }).click();
    const url = (await a.getByTestId('link-url').textContent())!.trim();
    expect(url).toMatch(/\/s\/[0-9a-f]{32}#.+/);
    recordSecret('link secret', url.split('#')[1]);
    await a.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

    const anon = await browser.newContext({ acceptDownloads: true });
    await anon.addInitScript(noFilePicker);
    const p = await anon.newPage();
    await p.goto(url);
    await p.waitForSelector('body[data-hydrated="true"]');
    await expect(p.getByLabel('Password')).toBeVisible();
    expect(p.url()).not.toContain('#'); // the secret left the address bar
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Open' }).click();
    await expect(p.getByRole('alert')).toContainText('Wrong password', { timeout: 30_000 });
    await p.getByLabel('Password').fill(linkPassword);
    await p.getByRole('button', { name: 'Open' }).click();
    await expect(p.getByTestId('link-file-name')).toHaveText(fileName, { timeout: 30_000 });
    await expect(p.getByTestId('link-provenance')).toContainText('Coffer checked that this is the file the link was made for');
    const pending = p.waitForEvent('download');
    await p.getByRole('button', { name: 'Download' }).click();
    expect(sha256(readFileSync((await (await pending).path())!))).toBe(sha256(data));
    await expect(p.getByTestId('link-status')).toContainText('Downloaded and decrypted');

    const again = await anon.newPage();
    await again.goto(url);
    await again.waitForSelector('body[data-hydrated="true"]');
    await expect(again.getByTestId('link-unavailable')).toContainText('no longer available');
    await anon.close();

    // The owner no longer lists the used-up link.
    await menu(a, fileName, 'Who has access');
    await expect(a.getByText('No active links.')).toBeVisible();
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  });

  test('re-encrypt with a new key: a new file for those who keep access, the old key and links gone', async () => {
    test.setTimeout(120_000);
    const oldId = (await row(a, fileName).getAttribute('data-file-id'))!;
    await menu(a, fileName, 'Share with a user');
    await a.getByLabel('Username').fill(bob);
    await a.getByRole('button', { name: 'Look up' }).click();
    await a.getByRole('button', { name: 'Share', exact: true }).click();
    await expect(a.getByRole('status').filter({ hasText: `with ${bob}` })).toBeVisible();
    await menu(a, fileName, 'Create link');
    await a.getByRole('button', { name: 'Create link' }).click();
    const url = (await a.getByTestId('link-url').textContent())!.trim();
    recordSecret('link secret', url.split('#')[1]);
    await a.getByRole('dialog').getByRole('button', { name: 'Done' }).click();

    await menu(a, fileName, 'Who has access');
    await a.getByRole('button', { name: 'Re-encrypt with a new key' }).click();
    await expect(a.getByRole('status').filter({ hasText: 'with a new key' })).toContainText(`Still shared with ${bob}`, { timeout: 60_000 });
    // The list is read again after the old file is deleted.
    await expect.poll(async () => row(a, fileName).getAttribute('data-file-id'), { timeout: 30_000 }).not.toBe(oldId);
    await expect(row(a, fileName)).toHaveCount(1);
    expect((await a.request.get(`/api/files/${oldId}/content`)).status()).toBe(404);
    expect(sha256(await (async () => {
      const pending = a.waitForEvent('download');
      await row(a, fileName).getByRole('button', { name: `Download ${fileName}` }).click();
      return readFileSync((await (await pending).path())!);
    })())).toBe(sha256(data));

    await b.reload();
    await b.waitForSelector('body[data-hydrated="true"]');
    await unlock(b);
    const shared = b.getByTestId('shared-row').filter({ hasText: fileName });
    await expect(shared).toHaveCount(1);
    const pending = b.waitForEvent('download');
    await shared.getByRole('button', { name: `Download ${fileName}` }).click();
    expect(sha256(readFileSync((await (await pending).path())!))).toBe(sha256(data));

    // The link was to the old key: it no longer works.
    const p = await b.context().newPage();
    await p.goto(url);
    await p.waitForSelector('body[data-hydrated="true"]');
    await expect(p.getByTestId('link-unavailable')).toContainText('no longer available');
    await p.close();
  });
});
