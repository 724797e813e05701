/**
 * The viewer's browser code (client/viewer-page.ts, dicom-parser included: nothing fetched
 * from a CDN) bundled by esbuild, and its stylesheet; built once per app on first request,
 * in memory, each with a content hash as ETag.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { build } from 'esbuild';

export interface ViewerAsset {
  body: Buffer;
  type: string;
  etag: string;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const asset = (body: Buffer, type: string): ViewerAsset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` });

export async function buildViewerAssets(): Promise<Map<string, ViewerAsset>> {
  const result = await build({
    entryPoints: { viewer: here('./client/viewer-page.ts') },
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
  const out = new Map<string, ViewerAsset>();
  for (const f of result.outputFiles) if (f.path.endsWith('.js')) out.set('viewer.js', asset(Buffer.from(f.contents), 'text/javascript; charset=utf-8'));
  out.set('viewer.css', asset(await readFile(here('./viewer.css')), 'text/css; charset=utf-8'));
  return out;
}
