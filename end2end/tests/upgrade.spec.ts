// Format v1 data keeps working (issue 12): a database and blob store written by the released
// v1 build (end2end/fixtures/v1, made by its real UI; see its README) is served by THIS build.
// The first unlock upgrades each user's own files and shares to signed versions; every file,
// share, contact and link still opens, byte for byte; and afterwards a planted v1-style file is
// no longer accepted as the owner's.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRow as row, noFilePicker, sha256 } from './helpers';
import { plantFile, rows, sql, useDataDir, user } from './hostile';
import { startServer, type OwnServer } from './servers';

type Fixture = {
  password: string;
  files: { owner: string; name: string; sha256: string; size: number }[];
  links: { path: string; file: string; password: string | null }[];
};
const fixtureDir = join(__dirname, '..', 'fixtures', 'v1');
const fixture: Fixture = JSON.parse(readFileSync(join(fixtureDir, 'fixture.json'), 'utf8'));
const [alice, bob, carol] = ['fixture_alice', 'fixture_bob', 'fixture_carol'];
const filesOf = (owner: string) => fixture.files.filter((f) => f.owner === owner);

let server: OwnServer | undefined;
let base = '';
let dataDir = '';

async function logIn(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, acceptDownloads: true });
  await context.addInitScript(noFilePicker);
  const page = await context.newPage();
  await page.goto('/login');
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(fixture.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
  return page;
}

async function download(page: Page, name: string, label = `Download ${name}`): Promise<string> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: label, exact: true }).click();
  return sha256(readFileSync((await (await pending).path())!));
}

test.describe.serial('format v1 data after the upgrade', () => {
  test.beforeAll(async () => {
    test.setTimeout(60_000);
    dataDir = join(mkdtempSync(join(tmpdir(), 'coffer-v1-')), 'data');
    cpSync(join(fixtureDir, 'data'), dataDir, { recursive: true });
    useDataDir(dataDir);
    server = await startServer({}, dataDir);
    base = server.base;
  });
  test.afterAll(async () => {
    server?.stop();
    useDataDir(undefined);
  });

  test('Alice\'s first unlock upgrades her files and shares; every file opens byte for byte', async ({ browser }) => {
    test.setTimeout(120_000);
    // Before: v1 key slots, no version records, unsigned shares.
    expect(rows('SELECT id FROM files WHERE version_record IS NOT NULL')).toHaveLength(0);
    const page = await logIn(browser, alice);
    await expect(page.getByRole('status').filter({ hasText: 'Upgraded 4 file(s) and 2 share(s)' })).toBeVisible({ timeout: 30_000 });
    for (const f of filesOf(alice)) {
      await expect(row(page, f.name)).toBeVisible();
      expect(await download(page, f.name)).toBe(f.sha256);
    }
    await expect(page.getByTestId('unverified-files')).toHaveCount(0);
    const aliceId = user(alice).id;
    expect(rows('SELECT id FROM files WHERE owner_id = ? AND version = 1 AND version_record IS NOT NULL', [aliceId])).toHaveLength(4);
    expect(rows('SELECT file_id FROM grants WHERE granted_by = ? AND signature IS NOT NULL', [aliceId])).toHaveLength(2);
    // Her contacts came over: Bob verified, Carol shared with before without comparing.
    await row(page, 'empty.txt').locator('summary').click();
    await row(page, 'empty.txt').getByRole('button', { name: 'Share with a user' }).click();
    await page.getByLabel('Username').fill(bob);
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect(page.getByTestId('key-status')).toHaveText('You marked this key as verified.');
    await page.getByLabel('Username').fill(carol);
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect(page.getByTestId('key-status')).toContainText('before without comparing');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    // Upgraded once: the next unlock has nothing to do and lists the same files.
    await page.reload();
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByTestId('unlock').getByLabel('Password').fill(fixture.password);
    await page.getByTestId('unlock').getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByTestId('file-row')).toHaveCount(4, { timeout: 30_000 });
    await expect(page.getByRole('status').filter({ hasText: 'Upgraded' })).toHaveCount(0);
    await page.context().close();
  });

  test('Bob and Carol see Alice\'s re-signed shares from her, and Bob\'s own file upgrades', async ({ browser }) => {
    test.setTimeout(120_000);
    const b = await logIn(browser, bob);
    await expect(row(b, 'from bob.txt')).toBeVisible({ timeout: 30_000 });
    expect(await download(b, 'from bob.txt')).toBe(filesOf(bob)[0].sha256);
    await b.getByRole('link', { name: 'Shared with me' }).click();
    const notes = fixture.files.find((f) => f.name.startsWith('notes'))!;
    const shared = b.getByTestId('shared-row').filter({ hasText: notes.name });
    await expect(shared).toBeVisible({ timeout: 30_000 });
    await expect(shared.getByTestId('shared-from')).toContainText(alice);
    await expect(shared.getByTestId('sharer-trust')).toHaveText('verified');
    expect(await download(b, notes.name)).toBe(notes.sha256);
    await b.context().close();

    const c = await logIn(browser, carol);
    await c.getByRole('link', { name: 'Shared with me' }).click();
    const photo = fixture.files.find((f) => f.name === 'photo.bin')!;
    const fromAlice = c.getByTestId('shared-row').filter({ hasText: photo.name });
    await expect(fromAlice).toBeVisible({ timeout: 30_000 });
    await expect(fromAlice.getByTestId('sharer-trust')).toHaveText('not yet verified');
    expect(await download(c, photo.name)).toBe(photo.sha256);
    await c.context().close();

    // Bob's share to Alice was re-signed at his upgrade: she sees it from him, verified.
    const a = await logIn(browser, alice);
    await a.getByRole('link', { name: 'Shared with me' }).click();
    const fromBob = a.getByTestId('shared-row').filter({ hasText: 'from bob.txt' });
    await expect(fromBob).toBeVisible({ timeout: 30_000 });
    await expect(fromBob.getByTestId('sharer-trust')).toHaveText('verified');
    await a.context().close();
  });

  test('the v1 links open without an account and give the same bytes', async ({ browser }) => {
    test.setTimeout(120_000);
    for (const link of fixture.links) {
      const context = await browser.newContext({ baseURL: base, acceptDownloads: true });
      await context.addInitScript(noFilePicker);
      const p = await context.newPage();
      await p.goto(link.path);
      await p.waitForSelector('body[data-hydrated="true"]');
      if (link.password) {
        await p.getByLabel('Password').fill(link.password);
        await p.getByRole('button', { name: 'Open' }).click();
      }
      await expect(p.getByTestId('link-file-name')).toHaveText(link.file, { timeout: 30_000 });
      await expect(p.getByTestId('link-provenance')).toContainText('older version of Coffer');
      const pending = p.waitForEvent('download');
      await p.getByRole('button', { name: 'Download' }).click();
      const got = sha256(readFileSync((await (await pending).path())!));
      expect(got).toBe(fixture.files.find((f) => f.name === link.file)!.sha256);
      await context.close();
    }
  });

  test('after the upgrade, a file planted with a v1 key slot is not Alice\'s (nor Carol\'s, who had no files)', async ({ browser }) => {
    const planted = 'planted after the upgrade.pdf';
    plantFile(user(alice), planted);
    const page = await logIn(browser, alice);
    await expect(page.getByTestId('file-row')).toHaveCount(4, { timeout: 30_000 });
    await expect(page.getByText(planted)).toHaveCount(0);
    await expect(page.getByTestId('unverified-file')).toHaveCount(1);
    await page.context().close();
    // Carol's first unlock had nothing to upgrade, and still closed the door.
    plantFile(user(carol), planted);
    const c = await logIn(browser, carol);
    await expect(c.getByTestId('unverified-file')).toHaveCount(1, { timeout: 30_000 });
    await expect(c.getByText(planted)).toHaveCount(0);
    await c.context().close();
  });

  test('a server that drops Alice\'s account record (and with it the upgrade flag) still cannot plant a v1 file in a new browser', async ({ browser }) => {
    // The flag lives in the account record, which the server stores: it can delete the record
    // (or serve an older one without the flag). A browser that never saw a record cannot tell;
    // but Alice's own signed files prove the upgrade happened, so a v1 slot is not hers.
    const planted = 'planted after dropping the record.pdf';
    const alice_ = user(alice);
    sql([{ sql: 'DELETE FROM account_records WHERE user_id = ?', params: [alice_.id] }]);
    plantFile(alice_, planted);
    const page = await logIn(browser, alice);
    await expect(page.getByTestId('file-row')).toHaveCount(4, { timeout: 30_000 });
    await expect(page.getByTestId('unverified-file')).toHaveCount(2);
    await expect(page.getByText(planted)).toHaveCount(0);
    await expect(page.getByText('planted after the upgrade.pdf')).toHaveCount(0);
    await page.context().close();
  });
});
