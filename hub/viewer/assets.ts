/**
 * The viewer's browser code (client/viewer-page.ts, dicom-parser included: nothing fetched
 * from a CDN) bundled by esbuild, and its stylesheet; built once per app on first request,
 * in memory, each with a content hash as ETag.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { assetOf, bundleForBrowser, type Asset } from '../web/assets.ts';

export type ViewerAsset = Asset;

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export async function buildViewerAssets(): Promise<Map<string, ViewerAsset>> {
  const out = await bundleForBrowser({ viewer: here('./client/viewer-page.ts') });
  out.set('viewer.css', assetOf(await readFile(here('./viewer.css')), 'text/css; charset=utf-8'));
  return out;
}
