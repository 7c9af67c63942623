// Coffer's crypto worker (plain JS, embedded in the Wasm by app/src/client/webcrypto.rs and started
// from a blob: URL, so it is always the build's own and works offline).
//
// It runs WebCrypto AES-256-GCM over batches of file chunks OFF the page's main thread (Chromium
// runs crypto.subtle.encrypt/decrypt on the calling thread). It decides nothing about the format:
// the page sends the key (a non-extractable CryptoKey), the associated data, and for every batch
// the chunk lengths and nonces that coffer-crypto's ChunkSchedule computed.
//
// Messages in:
//   { type: 'key', cipher, key: CryptoKey, aad: Uint8Array }       remember a key
//   { type: 'drop', cipher }                                       forget it
//   { type: 'seal' | 'open', id, cipher, input: Uint8Array, output: ArrayBuffer,
//     lengths: Uint32Array, nonces: Uint8Array (12 bytes each) }   one batch, chunks back to back
// Messages out:
//   { id, output: Uint8Array, spare: ArrayBuffer, digests: Uint8Array }
//                                the batch's results back to back, written
//                                into the `output` buffer it was given (a new one if too small),
//                                and the input's buffer handed back; both are transferred, so
//                                the same few buffers go back and forth (fresh multi-MiB buffers
//                                cost page faults and zeroing on every use); and SHA-256 of
//                                every chunk's CIPHERTEXT (the sealed result, or the input when
//                                opening), 32 bytes each in chunk order, which the page folds
//                                into the file's content digest (docs/CRYPTO.md §6.5)
//   { id, error: name }          'OperationError' when a chunk fails authentication
'use strict';

const ciphers = new Map();

self.onmessage = async ({ data: m }) => {
  if (m.type === 'key') {
    ciphers.set(m.cipher, { key: m.key, aad: m.aad });
    return;
  }
  if (m.type === 'drop') {
    ciphers.delete(m.cipher);
    return;
  }
  try {
    const cipher = ciphers.get(m.cipher);
    if (!cipher) throw new Error('unknown cipher');
    const seal = m.type === 'seal';
    const results = [];
    const hashes = [];
    let at = 0;
    for (let i = 0; i < m.lengths.length; i++) {
      const chunk = m.input.subarray(at, at + m.lengths[i]);
      at += m.lengths[i];
      const params = {
        name: 'AES-GCM',
        iv: m.nonces.subarray(12 * i, 12 * i + 12),
        additionalData: cipher.aad,
      };
      if (seal) {
        const sealed = crypto.subtle.encrypt(params, cipher.key, chunk);
        results.push(sealed);
        hashes.push(sealed.then((b) => crypto.subtle.digest('SHA-256', b)));
      } else {
        results.push(crypto.subtle.decrypt(params, cipher.key, chunk));
        hashes.push(crypto.subtle.digest('SHA-256', chunk));
      }
    }
    if (at !== m.input.length) throw new Error('lengths do not match the input');
    const buffers = await Promise.all(results);
    const digests = new Uint8Array(32 * hashes.length);
    (await Promise.all(hashes)).forEach((d, i) => digests.set(new Uint8Array(d), 32 * i));
    let total = 0;
    for (const b of buffers) total += b.byteLength;
    const output = new Uint8Array(
      m.output && m.output.byteLength >= total ? m.output : new ArrayBuffer(total), 0, total);
    let offset = 0;
    for (const b of buffers) {
      output.set(new Uint8Array(b), offset);
      offset += b.byteLength;
    }
    const spare = m.input.buffer;
    self.postMessage({ id: m.id, output, spare, digests }, [output.buffer, spare, digests.buffer]);
  } catch (e) {
    self.postMessage({ id: m.id, error: (e && e.name) || 'Error' });
  }
};
