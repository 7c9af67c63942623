// Summaries of a CDP CPU profile (`Profiler.stop` of a page's main thread), shared by the bench
// scripts.

/** Self time per profile node id, in microseconds. */
function selfTimes(profile) {
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  return dt;
}

/** The busiest functions of a profile (self time), one per line, at most `top`. */
export function summarizeProfile(profile, top = 25) {
  const dt = selfTimes(profile);
  const byName = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? f.url.split('/').pop() : ''}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + us);
  }
  return [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`).join('\n');
}

/** Where the main thread's time went, in ms: idle; (program), the browser's own work outside
 *  JS and Wasm (style, layout, paint, parsing, task scheduling); the garbage collector; Wasm
 *  functions; JavaScript (by script). */
export function profileCategories(profile) {
  const dt = selfTimes(profile);
  const out = { idle: 0, program: 0, gc: 0, wasm: 0, js: 0, total: 0, byScript: {} };
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    if (!us) continue;
    out.total += us;
    const f = node.callFrame;
    if (f.functionName === '(idle)') out.idle += us;
    else if (f.functionName === '(program)') out.program += us;
    else if (f.functionName === '(garbage collector)') out.gc += us;
    else if (f.url?.endsWith('.wasm') || f.url?.startsWith('wasm://') || /^(\$|wasm-function)/.test(f.functionName)) out.wasm += us;
    else {
      out.js += us;
      const script = f.url ? f.url.split('/').pop() : '(native or anonymous)';
      out.byScript[script] = (out.byScript[script] ?? 0) + us;
    }
  }
  const ms = (us) => Math.round(us / 1000);
  return {
    idle: ms(out.idle), program: ms(out.program), gc: ms(out.gc), wasm: ms(out.wasm), js: ms(out.js),
    total: ms(out.total),
    byScript: Object.fromEntries(Object.entries(out.byScript).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, ms(v)])),
  };
}
