// Vault transfer benchmark: Coffer's encrypted upload and download in headless Chromium, against
// the same bytes sent unencrypted through the same server routes (the ceiling), with the peak
// memory of the browser tab and of the server.
//
// For each file (a fresh browser per file, so the peaks are comparable), the script registers a
// new user in the browser (keys are made there), then runs these phases, `--runs` times each:
//
//   enc-up     the app's own upload: pick the file with "Add files" -> the transfer row says
//              data-state="done" (create + encrypt with WebCrypto + PUT 4 MiB parts + complete).
//              Timed in the page: from the input's `change` event to the attribute change.
//   plain-up   the ceiling: plain JS in a page with the same session reads the same File with
//              `file.stream()`, prefixes a 91-byte STREAM header (zero salt and commitment),
//              cuts the bytes into 4 MiB parts padded with zeros to the ciphertext size the app
//              declares, and PUTs them 3 at a time (as the app does) to a fresh upload, which is
//              then cancelled (DELETE, not timed). Timed from `POST /api/uploads` to the last part.
//   enc-down   the app's own download: a stand-in `showSaveFilePicker` (File System Access API)
//              whose writable only counts the bytes written and throws them away; timed from the
//              click on "Download <name>" to the writable's `close()`. No disk write is timed.
//   plain-down the ceiling: `fetch('/api/files/<id>/content')` of the same file, reading the
//              body to the end and discarding it.
//
// MB/s is plaintext bytes (file size) / 10^6 per second, the same numerator both ways.
// While each phase runs, every 250 ms: the server's VmRSS (/proc/<pid>/status), the RSS of every
// Chromium process started by this script (the tab = the largest `--type=renderer`; the browser
// process; the sum of all), and the tab's JS heap (CDP Performance.getMetrics, JSHeapUsedSize).
// Garbage is collected (CDP HeapProfiler.collectGarbage) before each phase, and each phase waits
// (at most --quiet-wait-s, default 60) for 2 s in which the machine is under 15 % busy. CPU
// seconds per process group and per thread and the machine's busy share (/proc/stat) are recorded
// too, to see who used the cores; "others" is the CPU used by processes that are neither the
// server, this browser nor this script (someone else's build). A phase during which others used
// more than 0.25 cores counts as disturbed: MB/s is the median of the undisturbed runs (of all
// runs, marked "*", if none was). Memory peaks are the largest of all runs. The server's VmHWM is
// reset per file (`echo 5 > /proc/<pid>/clear_refs`) and read at the end of the file.
// curl-down, a diagnostic in the per-phase table only, fetches the same content with curl and
// the tab's session cookie: the server alone, no browser.
//
// A benchmark, not a test: nothing is asserted on time; a failed phase is reported as such.
//
// Usage (bench/run.sh builds, starts a server and calls this; see there):
//   node bench/vault-transfer.mjs --report a.json,b.json   # one table from earlier --json files
//   node bench/vault-transfer.mjs --base-url http://127.0.0.1:3459 --server-pid 1234 \
//       --files /tmp/x/256MiB.bin,/tmp/x/1GiB.bin [--runs 1..5] [--json out.json] \
//       [--quiet-wait-s 60] [--interval-ms 250] [--chromium /usr/bin/chromium]
//       [--cpu-profile DIR]   # also a CDP CPU profile of the tab's main thread per phase
//                             # (DIR/<size>-run<n>-<phase>.cpuprofile; top functions on stderr)
// Prints a Markdown table on stdout; progress goes to stderr.

import { chromium } from '../end2end/node_modules/playwright-core/index.mjs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { summarizeProfile } from './cpu-profile.mjs';

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const args = { runs: 1, chromium: '/usr/bin/chromium', interval: 250, quietWait: 60 };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (key) {
      case '--base-url': args.baseUrl = value(); break;
      case '--server-pid': args.serverPid = Number(value()); break;
      case '--files': args.files = value().split(',').filter(Boolean); break;
      case '--runs': args.runs = Number(value()); break;
      case '--json': args.json = value(); break;
      case '--chromium': args.chromium = value(); break;
      case '--interval-ms': args.interval = Number(value()); break;
      case '--quiet-wait-s': args.quietWait = Number(value()); break;
      case '--report': args.report = value().split(',').filter(Boolean); break;
      case '--cpu-profile': args.cpuProfile = value(); break;
      case '-h': case '--help':
        console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n')
          .filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (args.report) return args;
  if (!args.baseUrl || !args.files?.length) throw new Error('--base-url and --files are required');
  if (!(args.runs >= 1 && args.runs <= 5)) throw new Error('--runs must be 1..5');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const log = (...m) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// /proc readers

const CLK_TCK = 100; // Linux USER_HZ

function readStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** utime + stime of a process, in seconds (null if it is gone). */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of stat(5)
  } catch {
    return null;
  }
}

/** CPU of this process's finished children (curl), in seconds. */
function childCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK; // cutime, cstime
}

/** Machine-wide jiffies: [busy, total] (busy excludes idle and iowait). */
function machineJiffies() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return [total - cpu[3] - cpu[4], total];
}

/** Every Chromium process below this Node process, with its kind; the tree is rescanned at most
 * every 2 s (reading all of /proc four times a second would cost a noticeable share of a core). */
let processCache = { at: -Infinity, list: [] };
function chromiumProcesses() {
  if (performance.now() - processCache.at > 2000) processCache = { at: performance.now(), list: scanChromium() };
  return processCache.list;
}

function scanChromium() {
  const parent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const ours = (pid) => {
    for (let p = parent.get(pid), depth = 0; p && depth < 20; p = parent.get(p), depth++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  const out = [];
  for (const pid of parent.keys()) {
    if (!ours(pid)) continue;
    let cmdline;
    try {
      // Chromium's child processes rewrite their title: one space-joined string.
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    } catch {
      continue;
    }
    if (!/chrom/i.test(cmdline[0] ?? '')) continue;
    const type = cmdline.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser';
    const sub = cmdline.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? '';
    let kind = 'other';
    if (type === 'renderer') kind = cmdline.includes('--top-chrome-webui') ? 'other' : 'renderer';
    else if (type === 'browser') kind = 'browser';
    else if (type === 'gpu-process') kind = 'gpu';
    else if (sub.startsWith('network.')) kind = 'network';
    else if (type === 'utility') kind = 'utility';
    out.push({ pid, kind });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sampler: peaks of memory and CPU seconds per phase

class Sampler {
  constructor(serverPid, cdp) {
    this.serverPid = serverPid;
    this.cdp = cdp;
  }

  cpuByGroup() {
    const groups = { server: 0, renderer: 0, browser: 0, network: 0, gpu_utility: 0 };
    if (this.serverPid) groups.server = cpuSeconds(this.serverPid) ?? 0;
    for (const { pid, kind } of chromiumProcesses()) {
      const group = kind === 'gpu' || kind === 'utility' || kind === 'other' ? 'gpu_utility' : kind;
      groups[group] += cpuSeconds(pid) ?? 0;
    }
    const self = process.cpuUsage();
    groups.bench_node = (self.user + self.system) / 1e6 + childCpuSeconds();
    return groups;
  }

  /** CPU seconds per thread name ("renderer:CrRendererMain", "server:tokio-runtime-w", ...):
   * shows whether one thread (the tab's main thread, say) is the one holding things up. */
  cpuByThread() {
    const out = {};
    const add = (kind, pid) => {
      let tasks;
      try {
        tasks = readdirSync(`/proc/${pid}/task`);
      } catch {
        return;
      }
      for (const tid of tasks) {
        try {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d/]+$/, '');
          const name = Number(tid) === pid ? 'main' : comm; // a process's first thread carries its name
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const key = `${kind}:${name}`;
          out[key] = (out[key] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
        } catch { /* gone */ }
      }
    };
    if (this.serverPid) add('server', this.serverPid);
    for (const { pid, kind } of chromiumProcesses()) {
      if (kind === 'renderer' || kind === 'browser' || kind === 'network') add(kind, pid);
    }
    return out;
  }

  start(phase) {
    this.phase = phase;
    this.threads0 = this.cpuByThread();
    this.peak = { tabRss: 0, jsHeap: 0, browserRss: 0, chromiumRss: 0, serverRss: 0, samples: 0 };
    this.cpu0 = this.cpuByGroup();
    this.machine0 = machineJiffies();
    this.t0 = performance.now();
    this.pendingHeap = false;
    this.tick();
    this.timer = setInterval(() => this.tick(), args.interval);
  }

  tick() {
    const p = this.peak;
    p.samples++;
    if (this.serverPid) p.serverRss = Math.max(p.serverRss, readStatus(this.serverPid)?.rss ?? 0);
    let total = 0;
    for (const { pid, kind } of chromiumProcesses()) {
      const rss = readStatus(pid)?.rss ?? 0;
      total += rss;
      if (kind === 'renderer') p.tabRss = Math.max(p.tabRss, rss);
      if (kind === 'browser') p.browserRss = Math.max(p.browserRss, rss);
    }
    p.chromiumRss = Math.max(p.chromiumRss, total);
    // The heap is read from the tab itself; skip a sample rather than queue behind a busy tab.
    if (this.cdp && !this.pendingHeap) {
      this.pendingHeap = true;
      this.cdp.send('Performance.getMetrics').then(({ metrics }) => {
        const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
        p.jsHeap = Math.max(p.jsHeap, used);
      }, () => {}).finally(() => { this.pendingHeap = false; });
    }
  }

  stop() {
    clearInterval(this.timer);
    this.tick();
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu1 = this.cpuByGroup();
    const cpu = {};
    for (const k of Object.keys(cpu1)) cpu[k] = Math.max(0, cpu1[k] - (this.cpu0[k] ?? 0));
    const [busy1, total1] = machineJiffies();
    const busyShare = (busy1 - this.machine0[0]) / Math.max(1, total1 - this.machine0[1]);
    const ours = Object.values(cpu).reduce((a, b) => a + b, 0);
    const threads1 = this.cpuByThread();
    const threads = Object.fromEntries(Object.entries(threads1)
      .map(([k, v]) => [k, +(v - (this.threads0[k] ?? 0)).toFixed(2)])
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1]));
    // CPU that neither the server, this browser nor this script used: other work on the machine.
    const others = Math.max(0, (busy1 - this.machine0[0]) / CLK_TCK - ours);
    return { ...this.peak, seconds, cpu, threads, machineBusy: busyShare, oursCpu: ours, othersCores: others / seconds };
  }
}

// ---------------------------------------------------------------------------------------------
// Browser steps

const password = `Lantern-Quartz-Meadow-${randomBytes(6).toString('hex')}-🔐`;

async function register(page, username) {
  await page.goto('/register');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 60_000 });
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('recovery-key').waitFor({ timeout: 30_000 });
  await page.getByLabel('I saved my recovery key somewhere safe').check();
  await page.getByRole('button', { name: 'Continue to my vault' }).click();
  await page.waitForURL(/\/vault$/, { timeout: 30_000 });
  await page.getByLabel('Add files').waitFor({ state: 'attached', timeout: 30_000 });
}

/** Installs the page-side instruments (idempotent): timing hooks, the stand-in save picker and a
 * file input of our own for the ceiling. */
async function instrument(page) {
  await page.evaluate(() => {
    const w = window;
    if (w.__bench) return;
    const b = (w.__bench = { up: null, down: null });
    // Encrypted upload: start at the app input's change event, end when the newest transfer
    // row (the app inserts it first) leaves data-state="running".
    document.addEventListener('change', (ev) => {
      if (ev.target?.id === 'file-picker' && b.up && b.up.start === null) b.up.start = performance.now();
    }, true);
    new MutationObserver(() => {
      const u = b.up;
      if (!u || u.start === null || u.end !== null) return;
      const first = document.querySelector('[data-testid="transfer"]');
      if (!first || first === u.before) return;
      const state = first.getAttribute('data-state');
      if (state && state !== 'running') {
        u.end = performance.now();
        u.state = state;
        u.text = first.textContent.trim().slice(0, 300);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    // Encrypted download: start at the click on "Download <name>", end at close().
    document.addEventListener('click', (ev) => {
      const button = ev.target?.closest?.('button');
      const d = b.down;
      if (d && d.start === null && button?.getAttribute('aria-label') === `Download ${d.name}`) d.start = performance.now();
    }, true);
    w.showSaveFilePicker = async () => ({
      createWritable: async () => ({
        // The app writes Blobs today; count BufferSources too, in case it writes those directly.
        write: async (data) => { const d = b.down; d.bytes += data.size ?? data.byteLength; d.writes++; },
        close: async () => { b.down.end = performance.now(); b.down.state = 'closed'; },
        abort: async () => { b.down.end = performance.now(); b.down.state = 'aborted'; },
      }),
    });
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'bench-file';
    input.hidden = true;
    document.body.appendChild(input);
  });
}

/** Waits (at most --quiet-wait-s) for two seconds in which the machine is under 15 % busy (this
 * browser and server are idle then), so a phase does not start in the middle of someone else's
 * build. Whether the phase then stayed undisturbed is judged afterwards (DISTURBED_CORES). */
async function waitForQuiet() {
  const started = Date.now();
  for (;;) {
    const [b0, t0] = machineJiffies();
    await sleep(2000);
    const [b1, t1] = machineJiffies();
    const share = (b1 - b0) / Math.max(1, t1 - t0);
    if (share < 0.15) return true;
    if (Date.now() - started > args.quietWait * 1000) {
      log(`machine still ${(share * 100).toFixed(0)}% busy after ${args.quietWait} s; starting anyway`);
      return false;
    }
  }
}

async function collectGarbage(cdp) {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  await sleep(500);
}

const phaseTimeout = (bytes) => Math.max(120_000, Math.round((bytes / (2 * 1e6)) * 1000)); // >= 2 MB/s

async function encryptedUpload(page, path, name, size) {
  await page.evaluate(() => {
    window.__bench.up = {
      start: null, end: null, state: null, text: '',
      before: document.querySelector('[data-testid="transfer"]'),
    };
  });
  await page.getByLabel('Add files').setInputFiles(path);
  await page.waitForFunction(() => window.__bench.up.end !== null, null, { timeout: phaseTimeout(size), polling: 200 });
  const up = await page.evaluate(() => { const { before, ...rest } = window.__bench.up; return rest; });
  if (up.state !== 'done') return { ok: false, error: `transfer ${up.state}: ${up.text}` };
  // The listing refreshes after the upload; the new row carries the file id.
  const row = page.getByTestId('file-row').filter({ has: page.getByTestId('file-name').getByText(name, { exact: true }) });
  await row.waitFor({ timeout: 30_000 });
  const fileId = await row.getAttribute('data-file-id');
  return { ok: true, ms: up.end - up.start, fileId };
}

async function plainUpload(page, path, size) {
  await page.locator('#bench-file').setInputFiles(path);
  return page.evaluate(async () => {
    const file = document.getElementById('bench-file').files[0];
    const CHUNK = 65536;
    const PART = 4 * 1024 * 1024;
    const IN_FLIGHT = 3;
    const p = file.size;
    const ciphertextSize = 91 + p + 16 * Math.max(1, Math.ceil(p / CHUNK));
    const t0 = performance.now();
    const created = await fetch('/api/uploads', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ciphertext_size: ciphertextSize, chunk_size: CHUNK, part_size: PART }),
    });
    if (created.status !== 201) return { ok: false, error: `create: ${created.status} ${await created.text()}` };
    const { upload_id: uploadId, file_id: fileId, part_count: partCount } = await created.json();
    const header = new Uint8Array(91);
    header.set([0x43, 0x4f, 0x46, 0x46, 0x45, 0x52, 0x01]); // "COFFER", version 1
    new DataView(header.buffer).setUint32(7, CHUNK, false);
    for (let i = 0; i < 16; i++) header[43 + i] = parseInt(fileId.slice(2 * i, 2 * i + 2), 16);

    // Same plumbing as the app: stream pieces -> views cut at part boundaries -> one Blob per part.
    const reader = file.stream().getReader();
    const queue = [header];
    let queued = header.length;
    let ended = false;
    const take = (n) => {
      const pieces = [];
      while (n > 0 && queue.length) {
        const front = queue[0];
        if (front.length <= n) { pieces.push(queue.shift()); n -= front.length; queued -= front.length; }
        else { pieces.push(front.subarray(0, n)); queue[0] = front.subarray(n); queued -= n; n = 0; }
      }
      return pieces;
    };
    const inFlight = [];
    let error = null;
    const put = async (n, body) => {
      const r = await fetch(`/api/uploads/${uploadId}/parts/${n}`, {
        method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body,
      });
      if (r.status !== 204) error ??= `part ${n}: ${r.status} ${await r.text()}`;
    };
    for (let n = 0; n < partCount && !error; n++) {
      const len = Math.min(PART, ciphertextSize - n * PART);
      while (queued < len && !ended) {
        const { done, value } = await reader.read();
        if (done) ended = true; else if (value.length) { queue.push(value); queued += value.length; }
      }
      const pieces = take(len);
      const got = pieces.reduce((a, x) => a + x.length, 0);
      if (got < len) pieces.push(new Uint8Array(len - got)); // zeros where the tags would be
      const body = new Blob(pieces);
      while (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      inFlight.push(put(n, body));
    }
    await Promise.all(inFlight);
    const ms = performance.now() - t0;
    await fetch(`/api/uploads/${uploadId}`, { method: 'DELETE' });
    return error ? { ok: false, error } : { ok: true, ms };
  });
}

async function encryptedDownload(page, name, size) {
  await page.evaluate((n) => { window.__bench.down = { name: n, start: null, end: null, state: null, bytes: 0, writes: 0 }; }, name);
  await page.getByRole('button', { name: `Download ${name}`, exact: true }).click();
  await page.waitForFunction(() => window.__bench.down.end !== null, null, { timeout: phaseTimeout(size), polling: 200 });
  const d = await page.evaluate(() => window.__bench.down);
  if (d.state !== 'closed') return { ok: false, error: `save target ${d.state}` };
  if (d.bytes !== size) return { ok: false, error: `wrote ${d.bytes} bytes, expected ${size}` };
  if (d.start === null) return { ok: false, error: 'click not seen' };
  return { ok: true, ms: d.end - d.start, writes: d.writes };
}

async function plainDownload(page, fileId) {
  return page.evaluate(async (id) => {
    const t0 = performance.now();
    const r = await fetch(`/api/files/${id}/content`);
    if (r.status !== 200) return { ok: false, error: `status ${r.status}` };
    const reader = r.body.getReader();
    let bytes = 0;
    let reads = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      reads++;
    }
    const ms = performance.now() - t0;
    const expected = Number(r.headers.get('Content-Length'));
    if (bytes !== expected) return { ok: false, error: `read ${bytes} of ${expected} bytes` };
    return { ok: true, ms, reads, bytes };
  }, fileId);
}

/** Diagnostic, no browser: curl fetches the same content with the tab's session cookie. */
async function curlDownload(context, fileId, size) {
  const host = new URL(args.baseUrl).hostname;
  const cookie = (await context.cookies()).filter((c) => c.domain === host).map((c) => `${c.name}=${c.value}`).join('; ');
  const expected = 91 + size + 16 * Math.max(1, Math.ceil(size / 65536));
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_download}',
      '-H', `Cookie: ${cookie}`, `${args.baseUrl}/api/files/${fileId}/content`]);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => resolve({ ok: false, error: `curl: ${e.message}` }));
    child.on('close', () => {
      const ms = performance.now() - t0;
      const [status, bytes] = out.trim().split(' ');
      if (status !== '200' || Number(bytes) !== expected) resolve({ ok: false, error: `curl: ${out.trim()}` });
      else resolve({ ok: true, ms });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// One file

// curl-down is a diagnostic (the server alone, no browser); it is in the per-phase table only.
const PHASES = ['enc-up', 'plain-up', 'enc-down', 'plain-down', 'curl-down'];

async function benchFile(path) {
  const size = statSync(path).size;
  const label = size % MiB === 0 ? (size >= 1024 * MiB && size % (1024 * MiB) === 0 ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`) : `${size} B`;
  log(`== ${label} (${path})`);
  if (args.serverPid) {
    try { writeFileSync(`/proc/${args.serverPid}/clear_refs`, '5'); } catch (e) { log(`cannot reset server VmHWM: ${e.message}`); }
  }
  const browser = await chromium.launch({
    executablePath: args.chromium,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const version = browser.version();
  const links = [];
  const result = { label, size, path, chromium: version, runs: [], errors: [] };
  try {
    // Each run has two fresh browser contexts: the app's phases (a new user: register, enc-up,
    // enc-down) and then, once that context is closed, the ceiling's phases (plain-up,
    // plain-down, curl-down) with the same session cookie. Chromium keeps the bytes of every
    // request body Blob of a page in its blob storage (here: in memory, ~2 GiB at most for an
    // off-the-record context) long after the upload, even across forced garbage collections,
    // so two 1 GiB uploads in one page failed with "Failed to fetch" (observed 2026-11-26 also
    // with the code of earlier commits; see docs/PERFORMANCE.md).
    const open = async (storageState) => {
      const context = await browser.newContext({ baseURL: args.baseUrl, storageState });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      return { context, page, cdp, sampler: new Sampler(args.serverPid, cdp) };
    };
    for (let run = 1; run <= args.runs; run++) {
      // A distinct name per run (a hard link to the same bytes), so each download is unambiguous.
      const linkPath = join(dirname(path), `${basename(path, extname(path))}-run${run}-${randomBytes(3).toString('hex')}${extname(path)}`);
      linkSync(path, linkPath);
      links.push(linkPath);
      const name = basename(linkPath);
      const r = { run };
      let fileId = null;
      let tab = await open(undefined);
      const username = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
      await register(tab.page, username);
      await instrument(tab.page);
      if (run === 1) {
        await collectGarbage(tab.cdp);
        tab.sampler.start('idle');
        await sleep(1500);
        result.idle = tab.sampler.stop();
      }
      for (const phase of ['enc-up', 'enc-down', 'plain-up', 'plain-down', 'curl-down']) {
        if (phase === 'plain-up') {
          const state = await tab.context.storageState();
          await tab.context.close();
          tab = await open(state);
          await tab.page.goto('/decrypt');
          await instrument(tab.page);
        }
        const { context, page, cdp, sampler } = tab;
        await collectGarbage(cdp);
        const quiet = await waitForQuiet();
        sampler.start(phase);
        if (args.cpuProfile) {
          await cdp.send('Profiler.enable');
          await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
          await cdp.send('Profiler.start');
        }
        let out;
        try {
          if (phase === 'enc-up') out = await encryptedUpload(page, linkPath, name, size);
          else if (phase === 'plain-up') out = await plainUpload(page, linkPath, size);
          else if (!fileId) out = { ok: false, error: 'no file (the encrypted upload failed)' };
          else if (phase === 'enc-down') out = await encryptedDownload(page, name, size);
          else if (phase === 'plain-down') out = await plainDownload(page, fileId);
          else out = await curlDownload(context, fileId, size);
        } catch (e) {
          out = { ok: false, error: String(e.message ?? e).split('\n')[0] };
        }
        const stats = sampler.stop();
        if (args.cpuProfile) {
          const { profile } = await cdp.send('Profiler.stop');
          const file = join(args.cpuProfile, `${label.replace(' ', '')}-run${run}-${phase}.cpuprofile`);
          writeFileSync(file, JSON.stringify(profile));
          log(`${phase} main-thread profile: ${file}\n${summarizeProfile(profile)}`);
        }
        if (phase === 'enc-up' && out.ok) fileId = out.fileId;
        r[phase] = { ...out, mbps: out.ok ? size / 1e6 / (out.ms / 1000) : null, stats, quiet };
        const mem = `tab ${mib(stats.tabRss)} MiB, heap ${mib(stats.jsHeap)} MiB, server ${mib(stats.serverRss)} MiB`;
        if (out.ok) log(`${label} run ${run} ${phase}: ${(out.ms / 1000).toFixed(2)} s = ${r[phase].mbps.toFixed(1)} MB/s; ${mem}; machine busy ${(stats.machineBusy * 100).toFixed(0)}%, others ${stats.othersCores.toFixed(2)} cores`);
        else { log(`${label} run ${run} ${phase}: FAILED: ${out.error}`); result.errors.push(`run ${run} ${phase}: ${out.error}`); }
        await sleep(500);
      }
      // Free the server's disk for the next run.
      if (fileId) await tab.page.evaluate((id) => fetch(`/api/files/${id}`, { method: 'DELETE' }).then((x) => x.status), fileId).catch(() => {});
      await tab.context.close();
      result.runs.push(r);
    }
  } finally {
    await browser.close();
    for (const l of links) rmSync(l, { force: true });
  }
  if (args.serverPid) result.serverHwm = readStatus(args.serverPid)?.hwm ?? 0;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

const mib = (b) => (b / MiB).toFixed(0);
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 0) => (x == null ? 'failed' : x.toFixed(digits));
const rate = (p) => (p?.mbps == null ? 'failed' : `${p.mbps.toFixed(0)}${p.disturbed ? ' *' : ''}`);
/** Encrypted / unencrypted, paired within each run (the two phases run back to back): the median
 * over runs where both were undisturbed, else over all runs (marked). */
function ratio(res, enc, plain) {
  const pairs = res.runs.map((r) => [r[enc], r[plain]]).filter(([e, p]) => e?.mbps != null && p?.mbps != null);
  if (!pairs.length) return '—';
  const quiet = pairs.filter(([e, p]) => e.stats.othersCores <= DISTURBED_CORES && p.stats.othersCores <= DISTURBED_CORES);
  const use = quiet.length ? quiet : pairs;
  return `${(median(use.map(([e, p]) => e.mbps / p.mbps)) * 100).toFixed(0)} %${quiet.length ? '' : ' *'}`;
}

/** A phase during which other processes used more than this many cores (of 2) was disturbed. */
const DISTURBED_CORES = 0.25;

function summarize(res) {
  const s = { label: res.label, size: res.size };
  for (const phase of PHASES) {
    const all = res.runs.map((r) => r[phase]).filter(Boolean);
    if (!all.length) continue;
    // MB/s: the median of the undisturbed runs; of all runs (marked) if every run was disturbed.
    const ok = all.filter((x) => x.mbps != null);
    const quiet = ok.filter((x) => x.stats.othersCores <= DISTURBED_CORES);
    const use = quiet.length ? quiet : ok;
    s[phase] = {
      mbps: median(use.map((x) => x.mbps)),
      disturbed: ok.length > 0 && !quiet.length,
      quietRuns: `${quiet.length}/${all.length}`,
      tabRss: Math.max(0, ...all.map((x) => x.stats.tabRss)),
      jsHeap: Math.max(0, ...all.map((x) => x.stats.jsHeap)),
      browserRss: Math.max(0, ...all.map((x) => x.stats.browserRss)),
      chromiumRss: Math.max(0, ...all.map((x) => x.stats.chromiumRss)),
      serverRss: Math.max(0, ...all.map((x) => x.stats.serverRss)),
      machineBusy: median(all.map((x) => x.stats.machineBusy)),
      cpu: Object.fromEntries(Object.keys(all[0].stats.cpu).map((k) => [k, median(all.map((x) => x.stats.cpu[k]))])),
      cpuWork: median(all.map((x) => ['renderer', 'browser', 'network', 'gpu_utility', 'server']
        .reduce((a, k) => a + (x.stats.cpu[k] ?? 0), 0))),
      seconds: median(all.map((x) => x.stats.seconds)),
      oursCpu: median(all.map((x) => x.stats.oursCpu)),
      othersCores: Math.max(0, ...all.map((x) => x.stats.othersCores)),
    };
  }
  return s;
}

function table(results) {
  const lines = [];
  lines.push('| Size | Encrypted up MB/s | Unencrypted up MB/s | Ratio | Encrypted down MB/s | Unencrypted down MB/s | Ratio | Peak tab RSS / JS heap (enc up; enc down) | Peak server RSS (enc up; enc down; max) |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const res of results) {
    const s = summarize(res);
    const eu = s['enc-up'];
    const pu = s['plain-up'];
    const ed = s['enc-down'];
    const pd = s['plain-down'];
    const serverMax = Math.max(...PHASES.map((p) => s[p]?.serverRss ?? 0));
    lines.push(`| ${s.label} | ${rate(eu)} | ${rate(pu)} | ${ratio(res, 'enc-up', 'plain-up')} | ${rate(ed)} | ${rate(pd)} | ${ratio(res, 'enc-down', 'plain-down')} `
      + `| ${mib(eu.tabRss)} / ${mib(eu.jsHeap)} MiB; ${mib(ed.tabRss)} / ${mib(ed.jsHeap)} MiB `
      + `| ${mib(eu.serverRss)}; ${mib(ed.serverRss)}; ${mib(serverMax)} MiB (VmHWM ${mib(res.serverHwm ?? 0)}) |`);
  }
  lines.push('');
  lines.push(`MB/s: median of the runs during which other processes used at most ${DISTURBED_CORES} cores; `
    + 'ratio: encrypted / unencrypted within the same run, median likewise; '
    + '"*" = every run was disturbed by other work on the machine (median of all runs). Peaks: the largest of all runs.');
  lines.push('');
  lines.push('Per phase (peaks over the phase; CPU in seconds of one core, median of all runs; "busy" = share of both cores in use, everyone included; "others" = cores used by processes other than the server, this browser and this script, worst run):');
  lines.push('');
  lines.push('| Size | Phase | MB/s | quiet runs | s | Tab RSS | JS heap | Browser proc RSS | All Chromium RSS | Server RSS | CPU renderer / browser / network / other Chromium / server / bench | CPU s per GB (browser + server) | Machine busy | Others |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const res of results) {
    const s = summarize(res);
    lines.push(`| ${s.label} | idle (logged in) | | | | ${mib(res.idle.tabRss)} | ${mib(res.idle.jsHeap)} | ${mib(res.idle.browserRss)} | ${mib(res.idle.chromiumRss)} | ${mib(res.idle.serverRss)} | | | | |`);
    for (const phase of PHASES) {
      const x = s[phase];
      if (!x) continue;
      const c = x.cpu ?? {};
      const cpu = [c.renderer, c.browser, c.network, c.gpu_utility, c.server, c.bench_node].map((v) => (v ?? 0).toFixed(1)).join(' / ');
      // What moving the bytes cost, whoever else was running: CPU seconds per 10^9 plaintext bytes.
      const perGB = x.cpuWork == null ? '' : (x.cpuWork / (res.size / 1e9)).toFixed(1);
      lines.push(`| ${s.label} | ${phase} | ${rate(x)} | ${x.quietRuns} | ${fmt(x.seconds, 1)} | ${mib(x.tabRss)} | ${mib(x.jsHeap)} | ${mib(x.browserRss)} | ${mib(x.chromiumRss)} | ${mib(x.serverRss)} | ${cpu} | ${perGB} | ${x.machineBusy == null ? '' : (x.machineBusy * 100).toFixed(0) + ' %'} | ${x.othersCores.toFixed(2)} |`);
    }
  }
  lines.push('');
  lines.push('Busiest threads (CPU s over the phase, first run; renderer = the tab, renderer:main = its main thread (JS, Wasm, DOM), ThreadPoolForeg = thread pool (WebCrypto, blob reads), Chrome_ChildIOT/Chrome_IOThread = IPC):');
  lines.push('');
  for (const res of results) {
    for (const phase of PHASES) {
      const x = res.runs[0]?.[phase];
      if (!x?.stats?.threads) continue;
      const top = Object.entries(x.stats.threads).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
      lines.push(`- ${res.label} ${phase} (${x.stats.seconds.toFixed(1)} s): ${top}`);
    }
  }
  const errors = results.flatMap((r) => r.errors.map((e) => `${r.label}: ${e}`));
  if (errors.length) {
    lines.push('');
    lines.push('Failures:');
    for (const e of errors) lines.push(`- ${e}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

function report(results) {
  const runs = [...new Set(results.map((r) => r.runs.length))].join('/');
  console.log(`Chromium ${results[0]?.chromium ?? '?'}, ${runs} run(s) per size, MB = 10^6 bytes of plaintext per second, memory in MiB.\n`);
  console.log(table(results));
}

let results = [];
if (args.report) {
  // `--report a.json,b.json`: one table from earlier runs (bench/run.sh runs one size per server).
  results = args.report.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).results);
} else {
  for (const path of args.files) results.push(await benchFile(path));
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), args, results }, null, 2));
  }
}
report(results);
process.exit(results.some((r) => r.errors.length) ? 1 : 0);
