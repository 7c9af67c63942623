// The hostile server of the "malicious server" tests: edits the RUNNING server's database and
// blob store by hand (end2end/tools/db.py, crypto/examples/hostile_server.rs), the way an
// operator or an intruder with access to the host could, between page loads. Requests are never
// only intercepted: the server itself answers with what was planted.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: scripts/test.sh passes it (the malicious-server tests need the server's data directory)`);
  return value;
}

let dataDirOverride: string | undefined;
/** Points the helpers at another server's data directory (the upgrade test runs its own). */
export function useDataDir(dir: string | undefined) {
  dataDirOverride = dir;
}
const dataDir = () => dataDirOverride ?? required('COFFER_E2E_DATA_DIR');
const dbPath = () => join(dataDir(), 'coffer.db');
const tool = join(__dirname, '..', 'tools', 'db.py');

type Param = string | number | null | { hex: string };
export type Op = { sql: string; params?: Param[]; optional?: boolean };
export type Row = Record<string, string | number | null | { hex: string }>;

/** Runs SQL statements against the server's database; SELECTs answer their rows. */
export function sql(ops: Op[]): (Row[] | number | null)[] {
  const out = execFileSync('python3', [tool], { input: JSON.stringify({ db: dbPath(), ops }) });
  return JSON.parse(out.toString()).results;
}

export function rows(query: string, params: Param[] = []): Row[] {
  return sql([{ sql: query, params }])[0] as Row[];
}

export const hex = (v: Row[string]) => (v as { hex: string }).hex;

export function user(username: string): { id: number; publicKey: string } {
  const [u] = rows('SELECT id, public_key FROM users WHERE username = ?', [username]);
  if (!u) throw new Error(`no user ${username}`);
  return { id: u.id as number, publicKey: hex(u.public_key) };
}

export function fileIdByOwner(ownerId: number): string[] {
  return rows('SELECT id FROM files WHERE owner_id = ? ORDER BY created_at', [ownerId]).map((r) => r.id as string);
}

/** Runs the hostile_server example (crypto/examples/hostile_server.rs). */
export function forge(args: string[]): Record<string, string | number> {
  const bin = join(required('CARGO_TARGET_DIR'), 'debug', 'examples', 'hostile_server');
  return JSON.parse(execFileSync(bin, args).toString());
}

/** The stored ciphertext of a one-part file, and where it lives. */
export function storedContent(fileId: string): { path: string; bytes: Buffer } {
  const [f] = rows('SELECT storage_key FROM files WHERE id = ?', [fileId]);
  const path = join(dataDir(), 'blobs', f.storage_key as string, '0');
  return { path, bytes: readFileSync(path) };
}

/** Plants a complete file in `owner`'s vault: a row and its stored ciphertext, made from the
 *  owner's PUBLIC key only, with the name `name`. Returns its id. */
export function plantFile(owner: { id: number; publicKey: string }, name: string): string {
  const id = randomBytes(16).toString('hex');
  const made = forge(['plant', owner.publicKey, id, name]) as Record<string, string>;
  made.chunk_size = String(made.chunk_size);
  const ciphertext = Buffer.from(made.ciphertext, 'hex');
  const storageKey = randomBytes(16).toString('hex');
  const now = Date.now();
  // The row first, then the content, as the server itself does (its janitor removes content no
  // row names); the owner's usage counts it, so nothing looks off.
  sql([{
    sql: 'UPDATE user_usage SET stored_bytes = stored_bytes + ? WHERE user_id = ?',
    params: [ciphertext.length, owner.id],
  }, {
    sql: `INSERT INTO files (id, owner_id, ciphertext_size, chunk_size, part_size, sealed_metadata,
            wrapped_key, storage_key, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [id, owner.id, ciphertext.length, made.chunk_size, 4 * 1024 * 1024,
      { hex: made.sealed_metadata }, { hex: made.key_slot }, storageKey, now, now],
  }]);
  mkdirSync(join(dataDir(), 'blobs', storageKey), { recursive: true });
  writeFileSync(join(dataDir(), 'blobs', storageKey, '0'), ciphertext);
  return id;
}

/** The rows that hold `userId`'s pins in any Coffer version: the v2 account record, and the v1
 *  per-contact records. */
export function pinRows(userId: number): { records: Row[] | null; contacts: Row[] } {
  const [records, contacts] = sql([
    { sql: 'SELECT * FROM account_records WHERE user_id = ?', params: [userId], optional: true },
    { sql: 'SELECT * FROM contacts WHERE owner_id = ?', params: [userId] },
  ]);
  return { records: records as Row[] | null, contacts: contacts as Row[] };
}

/** Puts back pins read earlier with `pinRows` (an older copy of the contact list). */
export function restorePins(userId: number, saved: { records: Row[] | null; contacts: Row[] }) {
  const ops: Op[] = [
    { sql: 'DELETE FROM account_records WHERE user_id = ?', params: [userId], optional: true },
    { sql: 'DELETE FROM contacts WHERE owner_id = ?', params: [userId] },
  ];
  for (const r of saved.records ?? []) {
    ops.push({
      sql: 'INSERT INTO account_records (user_id, revision, sealed, updated_at) VALUES (?, ?, ?, ?)',
      params: [r.user_id, r.revision, r.sealed, r.updated_at],
    });
  }
  for (const c of saved.contacts) {
    ops.push({
      sql: 'INSERT INTO contacts (owner_id, contact_username, sealed, updated_at) VALUES (?, ?, ?, ?)',
      params: [c.owner_id, c.contact_username, c.sealed, c.updated_at],
    });
  }
  sql(ops);
}

/** Flips one bit in every stored pin of `userId` (account record and v1 records). */
export function corruptPins(userId: number) {
  const saved = pinRows(userId);
  const flip = (blob: Row[string]) => {
    const b = Buffer.from(hex(blob), 'hex');
    b[Math.min(30, b.length - 1)] ^= 0x01;
    return { hex: b.toString('hex') };
  };
  restorePins(userId, {
    records: saved.records?.map((r) => ({ ...r, sealed: flip(r.sealed) })) ?? null,
    contacts: saved.contacts.map((c) => ({ ...c, sealed: flip(c.sealed) })),
  });
}

/** Removes every stored pin of `userId`. */
export function dropPins(userId: number) {
  restorePins(userId, { records: [], contacts: [] });
}
