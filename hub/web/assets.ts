/**
 * The web pages' static assets: the browser code bundled by esbuild (socket.io client
 * included, nothing fetched from a CDN) and the stylesheet. Built once per app, on first
 * request, in memory; each asset carries a content hash for caching.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export type AssetName = 'fleet.js' | 'login.js' | 'app.css';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` };
}

export async function buildWebAssets(): Promise<Map<AssetName, Asset>> {
  const result = await build({
    entryPoints: { fleet: here('./client/fleet-page.ts'), login: here('./client/login-page.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    write: false,
    outdir: 'out',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const out = new Map<AssetName, Asset>();
  for (const f of result.outputFiles) {
    if (f.path.endsWith('fleet.js')) out.set('fleet.js', asset(Buffer.from(f.contents), 'text/javascript; charset=utf-8'));
    if (f.path.endsWith('login.js')) out.set('login.js', asset(Buffer.from(f.contents), 'text/javascript; charset=utf-8'));
  }
  out.set('app.css', asset(await readFile(here('./style.css')), 'text/css; charset=utf-8'));
  return out;
}
