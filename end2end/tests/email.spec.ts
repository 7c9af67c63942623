// Email in the browser (issue 16), against the suite's server and a real SMTP server on loopback
// (scripts/test.sh starts aiosmtpd and passes its maildir as COFFER_E2E_MAILDIR): an address
// confirmed on the Account page with the code mailed to it, codes by email turned on, and a
// login that asks for the code sent by email; and a Coffer that requires a confirmed address
// (COFFER_REQUIRE_EMAIL=true, a server of its own on the same mail server). Every code is recorded for the zero-knowledge
// check (it must be nowhere in the database, blobs or log).
import { test, expect, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headerLink, open, recordSecret, register } from './helpers';
import { required, startServer } from './servers';

const run = Date.now().toString(36);

/** The mails aiosmtpd took for `address`, oldest first. */
function mailsTo(address: string): string[] {
  const dir = join(required('COFFER_E2E_MAILDIR'), 'new');
  let files: string[] = [];
  try { files = readdirSync(dir); } catch { return []; }
  // Maildir names are `<seconds>.M<microseconds>P<pid>Q<count>.<host>`: the count orders
  // deliveries (the names themselves do not sort).
  const count = (f: string) => Number(/Q(\d+)\./.exec(f)?.[1] ?? Infinity);
  files.sort((a, b) => count(a) - count(b));
  return files
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .filter((m) => m.includes(`X-RcptTo: ${address}`));
}

/** Waits for the `n`-th mail to `address` and answers its six-digit code. */
async function codeFrom(address: string, n: number): Promise<string> {
  await expect.poll(() => mailsTo(address).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(n);
  const code = mailsTo(address)[n - 1].match(/\b(\d{6})\b/)![1];
  recordSecret('email code', code);
  return code;
}

async function toAccount(page: Page) {
  await (await headerLink(page, 'Account')).click();
  await expect(page.getByTestId('fingerprint')).toBeVisible({ timeout: 30_000 });
}

test('an address confirmed by the code sent to it, then codes by email at every login', async ({ page }) => {
  test.setTimeout(120_000);
  const name = `mail_${run}`;
  const password = `Postbox-Lantern-Moss-${run}-✉`;
  const address = `${name}@example.com`;
  recordSecret('password', password);
  await register(page, name, password);
  await toAccount(page);
  const section = page.getByTestId('email');
  await expect(section.getByTestId('email-state')).toContainText('No address');

  await section.getByLabel('Email address').fill(address);
  await section.getByRole('button', { name: 'Send a code' }).click();
  await expect(section.getByTestId('email-state')).toContainText(`${address} (not confirmed yet)`);
  const code = await codeFrom(address, 1);
  await expect(section.getByTestId('email-mail')).toHaveText(/Code sent/, { timeout: 15_000 });
  await section.getByLabel('The 6-digit code from the mail').fill(code === '000000' ? '111111' : '000000');
  await section.getByRole('button', { name: 'Confirm' }).click();
  await expect(section.getByRole('alert')).toContainText('not right');
  await section.getByLabel('The 6-digit code from the mail').fill(code);
  await section.getByRole('button', { name: 'Confirm' }).click();
  await expect(section.getByTestId('email-state')).toContainText(`${address} (confirmed)`);

  await section.getByRole('button', { name: 'Ask for a code by email at every login' }).click();
  const recovery = section.getByTestId('recovery-codes').locator('li');
  await expect(recovery).toHaveCount(10);
  for (const c of await recovery.allTextContents()) recordSecret('recovery code', c.trim());
  await section.getByRole('button', { name: 'I saved them' }).click();
  await expect(section.getByTestId('email-codes-state')).toBeVisible();

  // The password alone is not enough now: the login waits for the code mailed to the address.
  await page.getByRole('button', { name: 'Log out' }).first().click();
  await expect(page).toHaveURL(/\/login$/);
  await open(page, '/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  const step = page.getByTestId('second-factor');
  await expect(step).toBeVisible({ timeout: 30_000 });
  await expect(step.getByTestId('code-step-words')).toContainText('sent to m•••@example.com');
  const first = await codeFrom(address, 2);
  await expect(step.getByTestId('code-mail')).toHaveText(/Code sent/, { timeout: 15_000 });
  // Ask for another one: the newest works.
  await step.getByRole('button', { name: 'Send a new code' }).click();
  const second = await codeFrom(address, 3);
  expect(second).not.toBe('');
  await step.getByLabel('Code').fill(second);
  await step.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
  recordSecret('email code', first);
});

test('a Coffer that requires email: the new account waits for the code mailed to its address, then the vault opens', async ({ page }) => {
  test.setTimeout(120_000);
  const own = await startServer({
    COFFER_REQUIRE_EMAIL: 'true',
    COFFER_SMTP_URL: required('COFFER_E2E_SMTP_URL'),
    COFFER_MAIL_FROM: 'Coffer <coffer@coffer.test>',
  });
  try {
    const name = `req_${run}`;
    const password = `Required-Harbour-Fern-${run}-✉`;
    const address = `${name}@example.com`;
    recordSecret('password', password);
    await open(page, `${own.base}/register`);
    await expect(page.getByText('(required: a code sent to it confirms it)')).toBeVisible();
    await page.getByLabel('Username').fill(name);
    await page.getByLabel(/^E-mail/).fill(address);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Repeat the password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    // The account is made, but no session yet: the code step, with the address (partly hidden).
    const step = page.getByTestId('second-factor');
    await expect(step).toBeVisible({ timeout: 30_000 });
    await expect(step.getByTestId('code-step-words')).toContainText('r•••@example.com');
    const res = await page.request.get(`${own.base}/api/files`);
    expect(res.status(), 'no session before the address is confirmed').toBe(401);
    const code = await codeFrom(address, 1);
    await step.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await step.getByRole('button', { name: 'Continue' }).click();
    await expect(step.getByRole('alert')).toContainText('not right');
    await step.getByLabel('Code').fill(code);
    await step.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByTestId('recovery-key')).toBeVisible({ timeout: 30_000 });
    recordSecret('recovery key', (await page.getByTestId('recovery-key').textContent())!.trim());
    await page.getByLabel('I saved my recovery key somewhere safe').check();
    await page.getByRole('button', { name: 'Continue to my vault' }).click();
    await expect(page).toHaveURL(/\/vault$/);
    await expect(page.getByTestId('vault-empty')).toBeVisible({ timeout: 30_000 });

    // Confirmed once is enough: the next login needs the password only.
    await page.getByRole('button', { name: 'Log out' }).first().click();
    await expect(page).toHaveURL(/\/login$/);
    await open(page, `${own.base}/login`);
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
    expect(mailsTo(address)).toHaveLength(1);
  } finally {
    own.stop();
  }
});
