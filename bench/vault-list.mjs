// A large vault in the browser (issue 14): how long from submitting the login until every file
// of a seeded vault (`coffer-bench seed`) is listed, checked and decrypted in the page, and where
// the page's main thread spends that time.
//
// In a fresh browser context (headless Chromium, the flags of end2end/playwright.config.ts) the
// user logs in through the login form. Times are taken in this script from the click on "Log in":
//   vault      the URL is /vault (the key derivation, Argon2id in the page, and the login are
//              behind it)
//   first      the first file row is in the page (the first page of GET /api/files, checked and
//              decrypted)
//   listed     every file is listed: the file table is there and [data-testid="more-to-load"],
//              shown while the later pages load, is hidden again. Every page is verified and
//              decrypted before it joins the list, so listed = listed, decrypted, searchable.
// Then: the rows in the DOM (`tr[data-testid="file-row"]`: above 300 files the table renders
// only the rows in view and a margin) and the number of files the table stands for (rows plus
// spacers / row height); the search box (#search) must find the last seeded file's name and the
// first seeded (the oldest: it comes with the last page), each as the one row left. CDP CPU
// profiles of the tab's main thread, one for the login (click → /vault) and one for the listing
// (/vault → listed), say where the time goes: idle (waiting for the network, the server or the
// crypto worker), Wasm, JavaScript, the browser's own work ("(program)": style, layout, paint,
// parsing) and the garbage collector, and the functions with the most self time. (The release
// Wasm has no names section: its functions appear as wasm-function[N].)
//
// A benchmark, not a test: nothing is asserted on time. It fails (exit 1) if a file is missing.
//
// Usage (bench/abuse.sh seeds the vault and calls this):
//   node bench/vault-list.mjs --base-url http://127.0.0.1:3459 --user NAME --password PW \
//       --files 10000 [--chromium /usr/bin/chromium] [--cpu-profile out]
//   (--cpu-profile: also writes the two profiles, out-login.cpuprofile and out-listing.cpuprofile,
//   for Chromium's DevTools)
// Prints a Markdown table on stdout; progress goes to stderr.

import { chromium } from '../end2end/node_modules/playwright-core/index.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { profileCategories, summarizeProfile } from './cpu-profile.mjs';

function parseArgs(argv) {
  const args = { chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (key) {
      case '--base-url': args.baseUrl = value(); break;
      case '--user': args.user = value(); break;
      case '--password': args.password = value(); break;
      case '--files': args.files = Number(value()); break;
      case '--chromium': args.chromium = value(); break;
      case '--cpu-profile': args.cpuProfile = value(); break;
      case '-h': case '--help':
        console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n')
          .filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!args.baseUrl || !args.user || !args.password || !(args.files >= 1)) {
    throw new Error('--base-url, --user, --password and --files are required');
  }
  const host = new URL(args.baseUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error('loopback servers only');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const log = (...m) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...m);
const seedName = (i) => `seed-${String(i).padStart(5, '0')}.txt`;
const TIMEOUT = 180_000;

/** Types `text` into the search box and times until `name` is the one row left. */
async function search(page, name) {
  const t0 = performance.now();
  await page.locator('#search').fill(name.replace(/\.txt$/, ''));
  const row = page.getByTestId('file-row')
    .filter({ has: page.getByTestId('file-name').getByText(name, { exact: true }) });
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll('tr[data-testid="file-row"]').length === 1,
    null, { polling: 10, timeout: 30_000 });
  return Math.round(performance.now() - t0);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: args.chromium,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const version = browser.version();
  try {
    const context = await browser.newContext({ baseURL: args.baseUrl });
    const page = await context.newPage();
    const pages = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/api/files') pages.push(r.status());
    });
    await page.goto('/login');
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByLabel('Username').fill(args.user);
    await page.getByLabel('Password').fill(args.password);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
    log(`logging in as ${args.user}; waiting for ${args.files} files`);
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/vault$/, { timeout: TIMEOUT });
    const vault = performance.now() - t0;
    // One profile per phase: the login, then the listing (the few ms between the two are not
    // profiled).
    const { profile: loginProfile } = await cdp.send('Profiler.stop');
    await cdp.send('Profiler.start');
    await page.waitForSelector('tr[data-testid="file-row"]', { timeout: TIMEOUT });
    const first = performance.now() - t0;
    await page.waitForFunction(() => {
      const more = document.querySelector('[data-testid="more-to-load"]');
      return document.querySelector('[data-testid="file-table"]') && more && more.hidden;
    }, null, { polling: 10, timeout: TIMEOUT });
    const listed = performance.now() - t0;
    const { profile } = await cdp.send('Profiler.stop');
    if (args.cpuProfile) {
      writeFileSync(args.cpuProfile.replace(/(\.cpuprofile)?$/, '-login.cpuprofile'), JSON.stringify(loginProfile));
      writeFileSync(args.cpuProfile.replace(/(\.cpuprofile)?$/, '-listing.cpuprofile'), JSON.stringify(profile));
    }
    log(`listed after ${Math.round(listed)} ms`);

    const table = await page.evaluate(() => {
      const rows = document.querySelectorAll('tr[data-testid="file-row"]');
      const spacers = [...document.querySelectorAll('[data-testid="file-table"] tbody tr.spacer')]
        // Their laid-out height (the page sets it through the CSSOM: its CSP refuses style
        // attributes).
        .filter((s) => !s.hidden)
        .map((s) => s.getBoundingClientRect().height);
      const rowHeight = rows[0]?.getBoundingClientRect().height || 1;
      return { inDom: rows.length, standsFor: rows.length + Math.round(spacers.reduce((a, b) => a + b, 0) / rowHeight) };
    });
    const lastName = seedName(args.files - 1);
    const firstName = seedName(0);
    const findLast = await search(page, lastName);
    const findFirst = await search(page, firstName);
    const login = profileCategories(loginProfile);
    const listing = profileCategories(profile);

    const ms = (t) => `${Math.round(t)} ms`;
    const share = (where, part) => `${part} ms (${((100 * part) / Math.max(1, where.total)).toFixed(0)} %)`;
    const scripts = (where) => Object.entries(where.byScript).slice(0, 3).map(([k, v]) => `${k} ${v}`).join(', ');
    const rows = [
      ['login submitted → /vault (Argon2id in the page, login)', ms(vault)],
      ['→ first rows in the page', ms(first)],
      [`→ all ${args.files} listed (more-to-load hidden)`, `**${ms(listed)}**`],
      ['GET /api/files pages', `${pages.length} (${pages.filter((s) => s !== 200).length} not 200)`],
      ['rows in the DOM / files the table stands for', `${table.inDom} / ≈${table.standsFor}`],
      [`search "${lastName}" (the last seeded)`, `one row, after ${findLast} ms`],
      [`search "${firstName}" (the oldest, last page)`, `one row, after ${findFirst} ms`],
    ];
    console.log(`| vault-list: ${args.files} files, fresh context, ${version} | |`);
    console.log('|---|---|');
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
    console.log('\n| main thread (CDP CPU profile) | login: click → /vault | listing: /vault → all listed |');
    console.log('|---|---|---|');
    for (const [label, key] of [['profiled', 'total'], ['idle (waiting: network, server, worker)', 'idle'], ['Wasm', 'wasm'],
      ['JavaScript', 'js'], ['browser: style, layout, paint, parse ("(program)")', 'program'], ['garbage collector', 'gc']]) {
      const cell = (where) => (key === 'total' ? `${where.total} ms` : share(where, where[key]));
      console.log(`| ${label} | ${cell(login)} | ${cell(listing)} |`);
    }
    console.log(`| JavaScript by script (ms) | ${scripts(login)} | ${scripts(listing)} |`);
    console.log('\nMost self time on the main thread while listing (/vault → all listed):\n');
    console.log('```text');
    console.log(summarizeProfile(profile, 15));
    console.log('```');
    console.log('\nMost self time on the main thread while logging in (click → /vault):\n');
    console.log('```text');
    console.log(summarizeProfile(loginProfile, 5));
    console.log('```');
    if (Math.abs(table.standsFor - args.files) > Math.max(2, args.files * 0.01)) {
      throw new Error(`the table stands for ${table.standsFor} files, not ${args.files}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
