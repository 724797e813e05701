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

export type AssetName = 'fleet.js' | 'login.js' | 'rota.js' | 'cases.js' | 'my-cases.js' | 'nav.js' | 'app.css';

const ENTRIES = {
  fleet: './client/fleet-page.ts',
  login: './client/login-page.ts',
  rota: './client/rota-page.ts',
  cases: './client/cases-page.ts',
  'my-cases': './client/my-cases-page.ts',
  nav: './client/nav-page.ts',
} as const;

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** An asset with its content hash as ETag. */
export function assetOf(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` };
}

/**
 * Browser bundles (esm, minified, in memory) of `entryPoints` (output name → absolute path):
 * one JavaScript asset per entry, keyed `<name>.js`. Shared by the hub's pages and its viewer.
 */
export async function bundleForBrowser(entryPoints: Record<string, string>): Promise<Map<string, Asset>> {
  const result = await build({
    entryPoints,
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
  const out = new Map<string, Asset>();
  for (const f of result.outputFiles) {
    const name = f.path.split(/[\\/]/).pop()!;
    if (name.endsWith('.js')) out.set(name, assetOf(Buffer.from(f.contents), 'text/javascript; charset=utf-8'));
  }
  return out;
}

export async function buildWebAssets(): Promise<Map<AssetName, Asset>> {
  const out = (await bundleForBrowser(Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, here(path)])))) as Map<AssetName, Asset>;
  out.set('app.css', assetOf(await readFile(here('./style.css')), 'text/css; charset=utf-8'));
  return out;
}
