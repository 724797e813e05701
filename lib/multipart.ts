/**
 * multipart/related (RFC 2387) as used by DICOMweb WADO-RS: build and parse whole bodies.
 * Parsing is for clients (demo, tests, site tools): it holds the body in memory, so use it for
 * instances, not for whole large studies.
 */
export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

export function boundaryOf(contentType: string | null | undefined): string | undefined {
  const m = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  return m?.[1];
}

export function parseMultipartRelated(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break; // close delimiter
    if (body.subarray(start, start + 2).toString('latin1') === '\r\n') start += 2;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) throw new Error('multipart: part without header end');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(start, headerEnd).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new Error('multipart: unterminated part');
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

/** Frames one part: delimiter line, headers, blank line (the body follows, then `closing`). */
export function partHeader(boundary: string, headers: Record<string, string>, first: boolean): Buffer {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return Buffer.from(`${first ? '' : '\r\n'}--${boundary}\r\n${lines}\r\n`, 'latin1');
}

export function closingDelimiter(boundary: string): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
}
