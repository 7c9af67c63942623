// A malicious server (issue 12): between page loads the test edits the running server's
// database and blob store by hand (tests/hostile.ts) and checks what the browser makes of it.
//
//   (1) a file planted in Alice's vault (key wrapped to her public key) is not listed as hers;
//   (2) Mallory's file, moved into Alice's vault with the wrapped key of its share, is not hers;
//   (3) Mallory's share relabelled as coming from Bob (whom Alice verified) is not shown as Bob's;
//   (4) Bob's pin deleted and his key replaced: sharing with Bob is blocked, key-change warning;
//   (5) Alice's pins corrupted: the same;
//   (6) an older copy of Alice's contact list put back: a warning;
//   (7) an upload resumed with the file edited in place (same size and date) while the server
//       says it has no parts: refused, and not one part is sent again;
//   (8) content resealed by someone who holds the file key (a sharee), under the same header, so
//       every chunk authenticates: refused by the owner's and the sharee's download;
//   (9) a rename by a key holder (new metadata sealed under the file key): not the owner's file
//       any more, and not shown to the sharee as the owner's version;
//  (10) a link (and its file) the server re-attributes to another owner, serving that owner's
//       public key: the visitor's page refuses it (the link id binds the real owner's key).
import { test, expect, type Page, type BrowserContext } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRow as row, noFilePicker, open, recordSecret, register as registerAs, sha256, unlock as unlockWith } from './helpers';
import { corruptPins, dropPins, fileIdByOwner, forge, pinRows, plantFile, restorePins, rows, sql, storedContent, user } from './hostile';

const run = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
const password = `Cobalt-Harbor-Lichen-${run}-⚓`;
const alice = `evil_a_${run}`;
const bob = `evil_b_${run}`;
const mallory = `evil_m_${run}`;
const carol = `evil_c_${run}`;
const dir = mkdtempSync(join(tmpdir(), 'coffer-evil-'));

const register = (page: Page, username: string) => registerAs(page, username, password);
const unlock = (page: Page) => unlockWith(page, password);

async function reload(page: Page, path: string) {
  await open(page, path);
  await unlock(page);
}

async function upload(page: Page, name: string, data: Buffer) {
  await page.getByLabel('Add files').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: data });
  await expect(row(page, name)).toBeVisible({ timeout: 30_000 });
}

async function menu(page: Page, name: string, action: string) {
  await row(page, name).locator('summary').click();
  await row(page, name).getByRole('button', { name: action }).click();
}

async function lookUp(page: Page, file: string, who: string) {
  await menu(page, file, 'Share with a user');
  await page.getByLabel('Username').fill(who);
  await page.getByRole('button', { name: 'Look up' }).click();
  await expect(page.getByTestId('share-fingerprint')).toBeVisible();
}

/** Shares after ticking "I compared" (works on every version of the dialog). */
async function shareCompared(page: Page, file: string, who: string) {
  await lookUp(page, file, who);
  await page.getByLabel(`I compared this safety number with ${who}`).check();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `with ${who}` })).toBeVisible();
}

async function expectSharingBlocked(page: Page, who: string) {
  const warning = page.getByTestId('key-changed');
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(who);
  await expect(page.getByRole('button', { name: 'Share', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Share without verifying' })).toHaveCount(0);
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
}

test.describe.serial('a malicious server', () => {
  let contexts: BrowserContext[] = [];
  let a: Page, b: Page, m: Page, c: Page;
  const notes = `alice notes ${run}.txt`;
  const second = `alice second ${run}.txt`;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(180_000); // four accounts (Argon2id each) on two cores
    recordSecret('password', password);
    const page = async () => {
      const context = await browser.newContext({ acceptDownloads: true });
      await context.addInitScript(noFilePicker);
      contexts.push(context);
      return context.newPage();
    };
    [a, b, m, c] = [await page(), await page(), await page(), await page()];
    await register(b, bob);
    await register(m, mallory);
    await register(c, carol);
    await register(a, alice);
    await upload(a, notes, Buffer.from(`notes of ${run}\n`));
    await upload(a, second, Buffer.from(`second file of ${run}\n`));
    // Alice compared Bob's safety number and shared with him: he is a verified contact, and a
    // signed share of hers names his key.
    await shareCompared(a, notes, bob);
  });
  test.afterAll(async () => {
    for (const context of contexts) await context.close();
    contexts = [];
  });

  test('(3) a share relabelled in the database as coming from Bob is not shown as Bob\'s', async () => {
    test.setTimeout(120_000);
    const report = `mallory-report ${run}.pdf`;
    await upload(m, report, Buffer.from('I am not Bob\n'));
    await shareCompared(m, report, alice);
    const [fileId] = fileIdByOwner(user(mallory).id);
    sql([
      { sql: 'UPDATE grants SET granted_by = ? WHERE file_id = ?', params: [user(bob).id, fileId] },
      { sql: 'UPDATE files SET owner_id = ? WHERE id = ?', params: [user(bob).id, fileId] },
    ]);
    await reload(a, '/shared');
    // Not listed as a share from Bob (nor from anyone else). The refused row first: it says the
    // list has loaded, so the counts of zero below cannot pass before it did.
    const refused = a.getByTestId('refused-share');
    await expect(refused).toHaveCount(1);
    await expect(a.getByTestId('shared-row').filter({ hasText: report })).toHaveCount(0);
    await expect(a.getByText(report)).toHaveCount(0);
    await expect(refused).toContainText(`not shared by ${bob} as shown`);
    await expect(refused.getByRole('button', { name: /^Download/ })).toHaveCount(0);
  });

  test('(1) a file planted in Alice\'s vault is not listed as hers', async () => {
    const planted = `planted-invoice ${run}.pdf`;
    const id = plantFile(user(alice), planted);
    await reload(a, '/vault');
    await expect(row(a, notes)).toBeVisible();
    await expect(a.getByText(planted)).toHaveCount(0);
    await expect(a.locator(`[data-testid="file-row"][data-file-id="${id}"]`)).toHaveCount(0);
    const apart = a.getByTestId('unverified-file');
    await expect(apart).toHaveCount(1);
    await expect(a.getByTestId('unverified-files')).toContainText('were not added by you and cannot be verified');
    // It can be deleted from there.
    await apart.getByRole('button', { name: /^Delete/ }).click();
    await expect(a.getByTestId('unverified-file')).toHaveCount(0);
    expect(rows('SELECT id FROM files WHERE id = ?', [id])).toHaveLength(0);
  });

  test('(2) Mallory\'s shared file moved into Alice\'s own list is not listed as hers', async () => {
    const secret = `mallory-secret ${run}.txt`;
    await upload(m, secret, Buffer.from('from mallory\n'));
    await shareCompared(m, secret, alice);
    const mine = fileIdByOwner(user(mallory).id);
    const fileId = mine[mine.length - 1];
    sql([{
      sql: `UPDATE files SET owner_id = ?, wrapped_key =
              (SELECT wrapped_key FROM grants WHERE file_id = ? AND grantee_id = ?) WHERE id = ?`,
      params: [user(alice).id, fileId, user(alice).id, fileId],
    }]);
    await reload(a, '/vault');
    await expect(row(a, notes)).toBeVisible();
    await expect(row(a, secret)).toHaveCount(0);
    await expect(a.getByText(secret)).toHaveCount(0);
    await expect(a.getByTestId('unverified-file')).toHaveCount(1);
    await a.getByTestId('unverified-file').getByRole('button', { name: /^Delete/ }).click();
    await expect(a.getByTestId('unverified-file')).toHaveCount(0);
  });

  test('(6) an older copy of Alice\'s contact list put back by the server is flagged', async () => {
    const older = pinRows(user(alice).id);
    await shareCompared(a, second, carol);
    restorePins(user(alice).id, older);
    await reload(a, '/vault');
    const warning = a.getByTestId('record-warning');
    await expect(warning).toBeVisible();
    await expect(warning).toContainText('older copy of your contact list');
    // Carol's pin is gone from that copy: sharing with her is blocked, not "new".
    await lookUp(a, second, carol);
    await expectSharingBlocked(a, carol);
    // The user may keep the copy; the warning goes.
    await warning.getByRole('button', { name: 'Keep this copy' }).click();
    await expect(a.getByTestId('record-warning')).toHaveCount(0);
  });

  test('(5) Alice\'s stored pins corrupted: sharing with Bob is blocked with the key-change warning', async () => {
    corruptPins(user(alice).id);
    await reload(a, '/vault');
    await lookUp(a, second, bob);
    await expectSharingBlocked(a, bob);
    await expect(a.getByTestId('record-warning')).toContainText('could not be opened');
    // Start a new list so the next test begins from a readable one.
    await a.getByTestId('record-warning').getByRole('button', { name: 'Keep this copy' }).click();
    await expect(a.getByTestId('record-warning')).toHaveCount(0);
  });

  test('(4) Bob\'s pin deleted and his key replaced: sharing with Bob is blocked, in a new browser too', async ({ browser }) => {
    const bobsKey = user(bob).publicKey;
    dropPins(user(alice).id);
    sql([{ sql: 'UPDATE users SET public_key = ? WHERE id = ?', params: [{ hex: user(mallory).publicKey }, user(bob).id] }]);
    try {
      // A browser that never saw Alice's contact list: only her own signed share to Bob, made
      // for his old key, says she knew another key.
      const fresh = await browser.newContext();
      const page = await fresh.newPage();
      await open(page, '/login');
      await page.getByLabel('Username').fill(alice);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page).toHaveURL(/\/vault$/, { timeout: 30_000 });
      await expect(row(page, second)).toBeVisible({ timeout: 30_000 });
      await lookUp(page, second, bob);
      await expectSharingBlocked(page, bob);
      await fresh.close();
      // And the browser that did see it.
      await reload(a, '/vault');
      await lookUp(a, second, bob);
      await expectSharingBlocked(a, bob);
    } finally {
      sql([{ sql: 'UPDATE users SET public_key = ? WHERE id = ?', params: [{ hex: bobsKey }, user(bob).id] }]);
    }
    // Bob's real key is back: Alice accepts the (now empty) list, and her own signed share to
    // Bob vouches for his key again.
    await reload(a, '/vault');
    await a.getByTestId('record-warning').getByRole('button', { name: 'Keep this copy' }).click();
    await expect(a.getByTestId('record-warning')).toHaveCount(0);
    await lookUp(a, second, bob);
    await expect(a.getByTestId('key-status')).toContainText('before without comparing');
    await a.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  });

  test('(7) resuming with the file edited in place while the server says it has no parts is refused, sending nothing', async () => {
    test.setTimeout(120_000);
    const original = randomBytes(9 * 1024 * 1024); // three 4 MiB parts
    const path = join(dir, `resume ${run}.bin`);
    writeFileSync(path, original);
    const { mtimeMs } = statSync(path);
    // Part 1 never gets an answer; parts 0 (and perhaps 2) reach the server.
    let held = false;
    await a.route('**/api/uploads/*/parts/1', () => { held = true; });
    await a.getByLabel('Add files').setInputFiles(path);
    await expect.poll(() => held, { timeout: 30_000 }).toBe(true);
    await expect.poll(() => rows('SELECT upload_id FROM upload_parts').length, { timeout: 30_000 }).toBeGreaterThan(0);
    // Leave the page while part 1 is held (un-routing first would let it through).
    await open(a, '/vault');
    await a.unroute('**/api/uploads/*/parts/1');
    // Edited in place: same size, same modification time, other bytes in part 0.
    const edited = Buffer.from(original);
    randomBytes(4096).copy(edited, 100_000);
    writeFileSync(path, edited);
    utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
    expect(statSync(path).mtimeMs).toBeCloseTo(mtimeMs, 0);
    // The server "lost" every part, to get them sent again.
    sql([{ sql: 'DELETE FROM upload_parts' }]);
    await unlock(a);
    const interrupted = a.getByTestId('interrupted');
    await expect(interrupted).toHaveCount(1);
    let partsSent = 0;
    a.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().includes('/parts/')) partsSent += 1;
    });
    await a.getByLabel(`Resume resume ${run}.bin`).setInputFiles(path);
    const transfer = a.getByTestId('transfer').filter({ hasText: `resume ${run}.bin` }).first();
    // Whichever comes first: the refusal, or (what must not happen) the upload completing.
    await expect.poll(async () => (await transfer.getAttribute('data-state')) === 'failed'
      || (await row(a, `resume ${run}.bin`).count()) > 0, { timeout: 30_000 }).toBe(true);
    expect(partsSent).toBe(0);
    await expect(transfer).toHaveAttribute('data-state', 'failed');
    await expect(transfer).toContainText('changed since the upload started');
    // A fresh upload (new key, new salt) is offered and works.
    await transfer.getByRole('button', { name: 'Upload as a new file' }).click();
    await expect(row(a, `resume ${run}.bin`)).toBeVisible({ timeout: 30_000 });
    const pending = a.waitForEvent('download');
    await row(a, `resume ${run}.bin`).getByRole('button', { name: `Download resume ${run}.bin` }).click();
    expect(sha256(readFileSync((await (await pending).path())!))).toBe(sha256(edited));
  });

  test('(8) content resealed under the same header by a key holder is refused on download', async () => {
    test.setTimeout(120_000);
    const name = `contract ${run}.txt`;
    const text = Buffer.from(`Alice agrees to pay 10 coffee beans. ${run}\n`.repeat(40));
    await upload(a, name, text);
    await shareCompared(a, name, bob);
    // Every sharee holds the file key; Alice's "Export key" shows the same one.
    await menu(a, name, 'Export key');
    const key = (await a.getByTestId('exported-key').inputValue()).trim();
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    const id = (await row(a, name).getAttribute('data-file-id'))!;
    const stored = storedContent(id);
    const forged = Buffer.from(forge(['reseal-content', key, stored.bytes.toString('hex')]).ciphertext as string, 'hex');
    expect(forged.subarray(0, 91)).toEqual(stored.bytes.subarray(0, 91)); // the same header
    expect(forged.equals(stored.bytes)).toBe(false);
    writeFileSync(stored.path, forged);

    const downloadFails = async (page: Page) => {
      await page.getByRole('button', { name: `Download ${name}`, exact: true }).click();
      const t = page.getByTestId('transfer').filter({ hasText: name }).first();
      await expect(t).toHaveAttribute('data-state', /failed|done/, { timeout: 30_000 });
      await expect(t).toHaveAttribute('data-state', 'failed');
      await expect(t).toContainText('tampered with or corrupted');
    };
    await reload(a, '/vault');
    await downloadFails(a);
    await reload(b, '/shared');
    await expect(b.getByTestId('shared-row').filter({ hasText: name })).toBeVisible({ timeout: 30_000 });
    await downloadFails(b);
  });

  test('(9) a rename sealed by a key holder is not the owner\'s version, for the owner or the sharee', async () => {
    test.setTimeout(120_000);
    const name = `letter ${run}.txt`;
    await upload(a, name, Buffer.from(`Dear Bob ${run}\n`));
    await shareCompared(a, name, bob);
    const id = (await row(a, name).getAttribute('data-file-id'))!;
    await menu(a, name, 'Export key');
    const key = (await a.getByTestId('exported-key').inputValue()).trim();
    await a.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    const [f] = rows('SELECT ciphertext_size FROM files WHERE id = ?', [id]);
    const size = String(Number(f.ciphertext_size) - 91 - 16); // one chunk
    const renamed = `pay this invoice ${run}.pdf`;
    const sealed = forge(['reseal-metadata', key, id, renamed, size]).sealed_metadata as string;
    sql([{ sql: 'UPDATE files SET sealed_metadata = ? WHERE id = ?', params: [{ hex: sealed }, id] }]);
    await reload(a, '/vault');
    await expect(row(a, notes)).toBeVisible();
    await expect(a.getByText(renamed)).toHaveCount(0);
    await expect(a.locator(`[data-testid="unverified-file"][data-file-id="${id}"]`)).toHaveCount(1);
    await reload(b, '/shared');
    await expect(b.getByText(renamed)).toHaveCount(0);
    await expect(b.getByTestId('refused-share')).toContainText(`not shared by ${alice} as shown`);
  });

  test('(10) a link the server says belongs to someone else is refused by the visitor', async ({ browser }) => {
    await menu(a, notes, 'Create link');
    await a.getByRole('button', { name: 'Create link' }).click();
    const url = (await a.getByTestId('link-url').textContent())!.trim();
    recordSecret('link secret', url.split('#')[1]);
    await a.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    const linkId = new URL(url).pathname.split('/').pop()!;
    // The server answers for the link as if Mallory owned it and the file: it serves Mallory's
    // public key as the owner's. (Its own lookups need the link's and the file's owner to agree.)
    const [fileId] = rows('SELECT file_id FROM links WHERE id = ?', [linkId]).map((r) => r.file_id as string);
    sql([
      { sql: 'UPDATE files SET owner_id = ? WHERE id = ?', params: [user(mallory).id, fileId] },
      { sql: 'UPDATE links SET owner_id = ? WHERE id = ?', params: [user(mallory).id, linkId] },
    ]);
    const visitor = await browser.newContext({ acceptDownloads: true });
    const p = await visitor.newPage();
    await p.goto(url);
    await p.waitForSelector('body[data-hydrated="true"]');
    await expect(p.getByTestId('link-not-genuine')).toBeVisible({ timeout: 30_000 });
    await expect(p.getByText(notes)).toHaveCount(0);
    await expect(p.getByRole('button', { name: 'Download' })).toHaveCount(0);
    await visitor.close();
  });
});
