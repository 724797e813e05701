/** SHA-256 helpers (hex) for files, streams and buffers. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string, start?: number, end?: number): Promise<string> {
  const hash = createHash('sha256');
  const opts: { start?: number; end?: number; highWaterMark: number } = { highWaterMark: 1 << 20 };
  if (start !== undefined) opts.start = start;
  if (end !== undefined) opts.end = end;
  for await (const chunk of createReadStream(path, opts)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
