// Renders public/icons/icon.svg into the PNG icons the web app manifest names, with the
// Chromium that the e2e tests use (no image tools needed):
//
//     node scripts/make-icons.mjs
//
// Writes public/icons/icon-192.png, icon-512.png and maskable-512.png. The PNGs are committed;
// run this again after changing the SVG.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'end2end', 'package.json'));
const { chromium } = require('@playwright/test');
const svg = readFileSync(join(root, 'public', 'icons', 'icon.svg'), 'utf8');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
for (const [name, size] of [['icon-192.png', 192], ['icon-512.png', 512], ['maskable-512.png', 512]]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(
    `<html><body style="margin:0">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
  );
  await page.screenshot({ path: join(root, 'public', 'icons', name), omitBackground: false });
  await page.close();
  console.log(`wrote public/icons/${name} (${size}x${size})`);
}
await browser.close();
