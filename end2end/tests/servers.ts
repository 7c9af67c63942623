// A second Coffer server of this build, for specs that need their own configuration or data
// (a tiny upload budget, a copy of the format-v1 fixture, an outage). scripts/test.sh passes the
// binary and the site; the server gets a free loopback port and is stopped with `stop()`.
// `crash()` kills it at once (no graceful end: open connections break, as when a machine or a
// network goes away) and `restart()` starts it again on the same port and data directory.
import { expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: scripts/test.sh passes it (this test starts its own server)`);
  return value;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export type OwnServer = {
  base: string;
  dataDir: string;
  /** Ends the server (SIGTERM: it finishes the requests it is serving). */
  stop: () => void;
  /** Kills the server at once (SIGKILL) and waits until it is gone. */
  crash: () => Promise<void>;
  /** Starts it again on the same port and data directory, and waits until it answers. */
  restart: () => Promise<void>;
};

function launch(port: number, dir: string, env: Record<string, string>): ChildProcess {
  return spawn(required('COFFER_E2E_SERVER_BIN'), [], {
    env: {
      ...process.env,
      LEPTOS_SITE_ROOT: required('COFFER_E2E_SITE_ROOT'),
      COFFER_BIND: `127.0.0.1:${port}`,
      COFFER_DATA_DIR: dir,
      COFFER_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function answers(base: string) {
  await expect.poll(async () => {
    try { return (await fetch(`${base}/healthz`)).ok; } catch { return false; }
  }, { timeout: 30_000 }).toBe(true);
}

/** Starts a server on `dataDir` (a fresh one if not given) with `env` added to its environment,
 *  and waits until it answers. */
export async function startServer(env: Record<string, string> = {}, dataDir?: string): Promise<OwnServer> {
  const dir = dataDir ?? join(mkdtempSync(join(tmpdir(), 'coffer-own-')), 'data');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = launch(port, dir, env);
  await answers(base);
  return {
    base,
    dataDir: dir,
    stop: () => server.kill('SIGTERM'),
    crash: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const gone = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await gone;
    },
    restart: async () => {
      server = launch(port, dir, env);
      await answers(base);
    },
  };
}
