// Links you can hand over, and link pages that tell the truth (issue 15, points 1 and 2).
//
// The owner's context may use the clipboard: a new link is shown whole, copied with one click
// and read back from the clipboard; after a reload (nothing of the link left in the page) it is
// copied again from "Who has access", rebuilt from the secret sealed under the account key. A
// link made the way an older browser made it (no sealed secret, no verifier; the request is
// rewritten on its way out) says it cannot be copied. A visitor with no account gets a verdict
// whose heading matches its words: an altered or cut "#…" is "damaged or incomplete" within 2 s
// of the page becoming interactive, with and without a link password (and a right password on
// an altered link is never "Wrong password"); a wrong password on the intact link is "Wrong
// password"; the right one opens it and the page shows size, expiry, downloads left and the
// sender's name (as the owner chose); a revoked link is "no longer available".
//
// Link secrets and the link password are recorded in $COFFER_E2E_SECRETS for the
// zero-knowledge check.
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileRow as row, noFilePicker, open, recordSecret, register, sha256, unlock } from './helpers';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const password = `Lantern-Orchid-Basalt-${run}`;
const owner = `links_a_${run}`;
const linkPassword = `link-pw-${run}-Heron`;
const fileName = `hand over ${run}.bin`;
const data = randomBytes(300 * 1024);
const DAMAGED = 'This link is damaged or incomplete — ask the sender for the whole link';

async function menu(page: Page, name: string, action: string) {
  await row(page, name).locator('summary').click();
  await row(page, name).getByRole('button', { name: action }).click();
}

/** Creates a link in the open vault and returns its URL as the dialog shows it. */
async function createLink(page: Page, opts: { password?: string; showName?: boolean; limit?: string } = {}) {
  await menu(page, fileName, 'Create link');
  if (opts.limit) await page.getByLabel('Download limit').selectOption(opts.limit);
  if (opts.password) await page.getByLabel('Password (optional)').fill(opts.password);
  if (opts.showName) await page.getByLabel('Show my name on the link page').check();
  await page.getByRole('button', { name: 'Create link' }).click();
  const shown = page.getByTestId('link-url');
  await expect(shown).toHaveText(/\/s\/[0-9a-f]{32}#[A-Za-z0-9_-]{44}$/, { timeout: 30_000 });
  const url = (await shown.textContent())!.trim();
  recordSecret('link secret', url.split('#')[1]);
  return url;
}

/** The same link with one character of its secret changed: still 44 characters of base64url. */
function altered(url: string): string {
  const [base, fragment] = url.split('#');
  const i = 20;
  return `${base}#${fragment.slice(0, i)}${fragment[i] === 'Q' ? 'R' : 'Q'}${fragment.slice(i + 1)}`;
}

/** Opens `url` in `context` and returns the page once it is interactive. */
async function visit(context: BrowserContext, url: string) {
  const p = await context.newPage();
  await p.goto(url);
  await p.waitForSelector('body[data-hydrated="true"]');
  return p;
}

/** The page says "damaged or incomplete", heading and words alike, within 2 s. */
async function expectDamaged(p: Page) {
  const shownAt = Date.now();
  await expect(p.getByTestId('link-damaged')).toContainText(DAMAGED, { timeout: 2_000 });
  expect(Date.now() - shownAt).toBeLessThan(2_000);
  await expect(p.getByTestId('link-heading')).toHaveText('This link is damaged or incomplete');
  await expect(p.getByLabel('Password')).toHaveCount(0);
  await expect(p.getByText('Wrong password')).toHaveCount(0);
}

test.describe.serial('links', () => {
  let ownerContext: BrowserContext;
  let a: Page;
  let plainUrl = '';
  let passwordUrl = '';

  test.beforeAll(async ({ browser }) => {
    ownerContext = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    a = await ownerContext.newPage();
    recordSecret('password', password);
    recordSecret('link password', linkPassword);
  });
  test.afterAll(async () => {
    await ownerContext.close();
  });

  test('a new link is shown whole and one click copies it to the clipboard', async () => {
    await register(a, owner, password);
    await a.getByLabel('Add files').setInputFiles({ name: fileName, mimeType: 'application/octet-stream', buffer: data });
    await expect(row(a, fileName)).toBeVisible({ timeout: 30_000 });

    plainUrl = await createLink(a, { showName: true, limit: '5' });
    expect(new URL(plainUrl).origin).toBe(new URL(a.url()).origin);
    // Readable whole: wrapped inside the dialog, nothing scrolled away or cut off.
    const shown = a.getByTestId('link-url');
    expect(await shown.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    const dialog = (await a.getByRole('dialog').boundingBox())!;
    const box = (await shown.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(dialog.x + dialog.width);

    const copy = a.getByRole('dialog').getByRole('button', { name: 'Copy link' });
    await copy.click();
    await expect(copy).toHaveText('Copied ✓');
    expect(await a.evaluate(() => navigator.clipboard.readText())).toBe(plainUrl);
    await a.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  });

  test('the owner copies the link again later from "Who has access"', async () => {
    // A reload: nothing of the link is left in the page, only what the server keeps sealed.
    await a.evaluate(() => navigator.clipboard.writeText('something else'));
    await a.reload();
    await a.waitForSelector('body[data-hydrated="true"]');
    await unlock(a, password);
    await menu(a, fileName, 'Who has access');
    const link = a.getByTestId('link');
    await expect(link).toHaveCount(1);
    await expect(link.getByTestId('link-facts')).toContainText('5 downloads left');
    await expect(link.getByTestId('link-facts')).toContainText('expires');
    await expect(link.getByTestId('link-facts')).toContainText('shows your name');
    await expect(link.getByTestId('link-again')).toHaveText(plainUrl);
    const copy = link.getByRole('button', { name: /^Copy link …[0-9a-f]{6}$/ });
    await copy.click();
    await expect(copy).toHaveText('Copied ✓');
    expect(await a.evaluate(() => navigator.clipboard.readText())).toBe(plainUrl);
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  });

  test('an altered or cut "#…" is damaged at once; the intact link opens and shows size, expiry, downloads left and the sender', async ({ browser }) => {
    const visitor = await browser.newContext({ acceptDownloads: true });
    await visitor.addInitScript(noFilePicker);
    for (const url of [altered(plainUrl), plainUrl.slice(0, -5), plainUrl.split('#')[0], `${plainUrl.split('#')[0]}#`]) {
      await expectDamaged(await visit(visitor, url));
    }
    // An id cut short is damaged too (found before any request).
    const [base, fragment] = plainUrl.split('#');
    await expectDamaged(await visit(visitor, `${base.slice(0, -3)}#${fragment}`));

    const p = await visit(visitor, plainUrl);
    expect(p.url()).not.toContain('#'); // the secret left the address bar
    await expect(p.getByTestId('link-file-name')).toHaveText(fileName, { timeout: 30_000 });
    await expect(p.getByTestId('link-heading')).toHaveText('A file was shared with you');
    await expect(p.getByTestId('link-size')).toContainText('300 KiB');
    await expect(p.getByTestId('link-facts')).toContainText('Expires');
    await expect(p.getByTestId('link-facts')).toContainText('5 downloads left');
    await expect(p.getByTestId('link-sender')).toContainText(`From “${owner}”`);
    const pending = p.waitForEvent('download');
    await p.getByRole('button', { name: 'Download' }).click();
    expect(sha256(readFileSync((await (await pending).path())!))).toBe(sha256(data));
    await expect(p.getByTestId('link-status')).toContainText('Downloaded and decrypted');
    // The damaged visits used up nothing: one download so far.
    await expect((await visit(visitor, plainUrl)).getByTestId('link-facts')).toContainText('4 downloads left', { timeout: 30_000 });
    await visitor.close();
  });

  test('with a password: an altered "#…" is damaged before any password; a wrong password says so; the right one opens', async ({ browser }) => {
    passwordUrl = await createLink(a, { password: linkPassword, limit: '10' });
    await a.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    const visitor = await browser.newContext({ acceptDownloads: true });
    await visitor.addInitScript(noFilePicker);
    await expectDamaged(await visit(visitor, altered(passwordUrl)));

    const p = await visit(visitor, passwordUrl);
    await expect(p.getByLabel('Password')).toBeVisible({ timeout: 2_000 });
    await expect(p.getByTestId('link-heading')).toHaveText('This file is protected by a password');
    await expect(p.getByTestId('link-facts')).toContainText('10 downloads left');
    await p.getByLabel('Password').fill('not the password');
    await p.getByRole('button', { name: 'Open' }).click();
    await expect(p.getByRole('alert')).toHaveText('Wrong password. Try again.', { timeout: 30_000 });
    await p.getByLabel('Password').fill(linkPassword);
    await p.getByRole('button', { name: 'Open' }).click();
    await expect(p.getByTestId('link-file-name')).toHaveText(fileName, { timeout: 30_000 });
    await expect(p.getByTestId('link-size')).toContainText('300 KiB');
    await expect(p.getByTestId('link-facts')).toContainText('10 downloads left');
    // The owner did not choose to show their name on this one.
    await expect(p.getByTestId('link-sender')).toHaveCount(0);
    await visitor.close();
  });

  test('a link made as an older browser made it cannot be copied again, and an altered one of it is still damaged', async ({ browser }) => {
    // The request leaves without the sealed secret and the verifier, as before this version.
    await a.route('**/api/files/*/links', async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      const body = JSON.parse(request.postData()!);
      delete body.sealed_secret;
      delete body.verifier;
      delete body.show_sender;
      await route.continue({ postData: JSON.stringify(body) });
    });
    const olderUrl = await createLink(a);
    await a.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await a.unroute('**/api/files/*/links');

    await menu(a, fileName, 'Who has access');
    const older = a.getByTestId('link').filter({ hasText: olderUrl.split('#')[0].slice(-6) });
    await expect(older.getByTestId('link-not-again')).toHaveText(
      'This link was made before Coffer could show links again: it cannot be copied.');
    await expect(older.getByRole('button', { name: /^Copy link/ })).toHaveCount(0);
    await expect(a.getByTestId('link-again')).toHaveCount(2); // the other two still can be
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();

    // Without a verifier and a password, the server's refusal of the only key is the verdict.
    const visitor = await browser.newContext();
    await expectDamaged(await visit(visitor, altered(olderUrl)));
    const p = await visit(visitor, olderUrl);
    await expect(p.getByTestId('link-file-name')).toHaveText(fileName, { timeout: 30_000 });
    await visitor.close();
  });

  test('a revoked link is no longer available, heading and words alike', async ({ browser }) => {
    await menu(a, fileName, 'Who has access');
    const tail = passwordUrl.split('#')[0].slice(-6);
    await a.getByRole('button', { name: `Revoke link …${tail}` }).click();
    await expect(a.getByTestId('revoked-note')).toBeVisible();
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    const visitor = await browser.newContext();
    const p = await visit(visitor, passwordUrl);
    await expect(p.getByTestId('link-unavailable')).toContainText('This link is no longer available', { timeout: 2_000 });
    await expect(p.getByTestId('link-heading')).toHaveText('This link is no longer available');
    await visitor.close();
  });
});

