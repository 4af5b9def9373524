// Module hooks for scenario files anywhere (registered by bin/register.js after tsx):
// - `mqttlab` and `mqttlab/...` resolve to this package from any directory (its "exports"), so a
//   scenario outside the repository imports the API by name;
// - a .ts file is loaded as an ES module unless its package.json says "type": "commonjs": tsx would
//   otherwise compile a scenario in a directory without "type": "module" to CommonJS, and its ES
//   imports fail with ERR_REQUIRE_CYCLE_MODULE.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = pathToFileURL(join(ROOT, 'package.json')).href;

/** The "type" of the nearest package.json above a file (undefined: none, or no "type" field). */
function packageType(file) {
  for (let d = dirname(file); ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p)) {
      try {
        return JSON.parse(readFileSync(p, 'utf8')).type;
      } catch {
        return undefined;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

export async function resolve(specifier, context, next) {
  if (specifier === 'mqttlab' || specifier.startsWith('mqttlab/'))
    return next(specifier, { ...context, parentURL: SELF });
  const r = await next(specifier, context);
  if (r.url.startsWith('file:') && /\.m?tsx?$/.test(r.url) && !r.url.includes('/node_modules/')) {
    const file = fileURLToPath(r.url);
    if (!file.endsWith('.cts') && packageType(file) !== 'commonjs') return { ...r, format: 'module' };
  }
  return r;
}
