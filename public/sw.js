// Coffer's service worker (plain JS). The server serves this file at /sw.js with
// __COFFER_BUILD__ replaced by a hash of this file and the build's Wasm, JS and CSS, so every release gets
// its own cache and the old one is deleted when the new worker activates.
//
// What it caches: the app shell only (the Wasm, its JS glue, the CSS, the manifest and icons,
// and the HTML of the "Decrypt a file" page fetched WITHOUT cookies, so nothing user-specific).
// What it never caches: API responses, ciphertext, or any other page. Everything that is not a
// navigation or a shell asset goes to the network untouched.
const BUILD = '__COFFER_BUILD__';
const CACHE = `coffer-shell-${BUILD}`;
const SHELL_PAGE = '/decrypt';
const ASSETS = [
  '/pkg/coffer.js',
  '/pkg/coffer.wasm',
  '/pkg/coffer.css',
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Fetched past the HTTP cache (not cache.addAll): a page loading the same Wasm meanwhile
    // (the user moved on while this installs) writes it to the HTTP cache itself, and two
    // writers of one large entry made Chromium fail the page's copy (ERR_CACHE_WRITE_FAILURE:
    // the Wasm never compiled and the page never started). All or nothing, like addAll.
    const responses = await Promise.all(ASSETS.map(async (url) => {
      const res = await fetch(url, { cache: 'no-store' });
      if (!res.ok) throw new Error(`could not fetch ${url} (${res.status})`);
      return [url, res];
    }));
    for (const [url, res] of responses) await cache.put(url, res);
    const shell = await fetch(SHELL_PAGE, { credentials: 'omit', cache: 'no-store' });
    if (!shell.ok) throw new Error(`could not fetch the offline shell (${shell.status})`);
    await cache.put(SHELL_PAGE, shell);
  })());
  // No skipWaiting() here: the page shows "A new version is available" and asks first.
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('coffer-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Streamed downloads for browsers without the File System Access API (the approach Send uses):
// the page decrypts and posts batches over a MessageChannel; this worker answers the download
// request for /sw-download/<id> with a ReadableStream fed by those batches, asking for the next
// batch ('pull') only when the stream wants more, so memory stays bounded.
const downloads = new Map();

self.addEventListener('message', (event) => {
  const msg = event.data;
  if (msg === 'skip-waiting') {
    self.skipWaiting();
    return;
  }
  if (msg && msg.type === 'download' && event.ports[0]) {
    const port = event.ports[0];
    const stream = new ReadableStream({
      start(controller) {
        port.onmessage = ({ data }) => {
          if (data.chunk) controller.enqueue(data.chunk instanceof Uint8Array ? data.chunk : new Uint8Array(data.chunk));
          else if (data.done) { controller.close(); port.close(); }
          else if (data.abort) { controller.error(new Error('the download failed its integrity check')); port.close(); }
        };
      },
      pull() { port.postMessage('pull'); },
      cancel() { port.postMessage('cancel'); },
    }, { highWaterMark: 4 });
    downloads.set(msg.id, { stream, name: msg.name, mime: msg.mime, size: msg.size });
    port.postMessage('ready');
  }
});

function streamedDownload(id) {
  const download = downloads.get(id);
  if (!download) return new Response('This download is no longer available.', { status: 404 });
  downloads.delete(id);
  const headers = {
    'content-type': download.mime || 'application/octet-stream',
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(download.name)}`,
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'",
    'x-content-type-options': 'nosniff',
  };
  if (Number.isFinite(download.size)) headers['content-length'] = String(download.size);
  return new Response(download.stream, { headers });
}

// Web Share Target: "Share -> Coffer" from the operating system POSTs the files here. They are
// kept in this browser (the 'share-inbox' cache) until the vault page picks them up, encrypts and
// uploads them, and empties the inbox; the plaintext never goes to the server.
const INBOX = 'share-inbox';

async function receiveShare(request) {
  const form = await request.formData();
  const inbox = await caches.open(INBOX);
  let n = 0;
  for (const file of form.getAll('files')) {
    if (!(file instanceof File)) continue;
    await inbox.put(`/share-inbox/${Date.now()}-${n++}`, new Response(file, {
      headers: {
        'content-type': file.type || 'application/octet-stream',
        'x-name': encodeURIComponent(file.name),
        'x-modified': String(file.lastModified),
      },
    }));
  }
  return Response.redirect('/vault?shared=1', 303);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname === '/share-target') {
    event.respondWith(receiveShare(request));
    return;
  }
  if (request.method !== 'GET') return;
  if (url.pathname.startsWith('/sw-download/')) {
    event.respondWith(streamedDownload(url.pathname.slice('/sw-download/'.length)));
    return;
  }
  if (request.mode === 'navigate') {
    // Network first; offline, the Decrypt page (the one page that works without a server).
    event.respondWith(fetch(request).catch(async () => {
      if (url.pathname === SHELL_PAGE) {
        return (await caches.match(SHELL_PAGE, { cacheName: CACHE })) || Response.error();
      }
      return Response.redirect(SHELL_PAGE, 302);
    }));
    return;
  }
  if (ASSETS.includes(url.pathname)) {
    // Network first too (asset names are not hashed, so a cached copy must never shadow a new
    // release while online); the cached copy only when the network fails.
    event.respondWith(fetch(request).catch(async () =>
      (await caches.match(url.pathname, { cacheName: CACHE })) || Response.error()));
  }
});
