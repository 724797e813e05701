/** The demo's view of the hub: health, QIDO-RS counts and WADO-RS retrieval, as any DICOMweb client. */
import { boundaryOf, parseMultipartRelated } from '../../lib/multipart.ts';

export class HubClient {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.baseUrl}/api/v1/health`);
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`hub not healthy after ${timeoutMs} ms at ${this.baseUrl}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Number of instances the hub lists for these studies (QIDO-RS). */
  async countInstances(studyUids: string[]): Promise<number> {
    let total = 0;
    for (const uid of studyUids) {
      const res = await fetch(`${this.baseUrl}/dicomweb/studies?StudyInstanceUID=${encodeURIComponent(uid)}&includefield=00201208`, {
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/dicom+json' },
      });
      if (res.status === 204) continue;
      if (!res.ok) throw new Error(`QIDO-RS answered ${res.status}`);
      const body = (await res.json()) as Array<Record<string, { Value?: unknown[] }>>;
      const n = Number(body[0]?.['00201208']?.Value?.[0] ?? 0);
      total += Number.isFinite(n) ? n : 0;
    }
    return total;
  }

  async waitForInstances(studyUids: string[], expected: number, timeoutMs: number, onProgress: (n: number) => void): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    for (;;) {
      const n = await this.countInstances(studyUids);
      if (n !== last) {
        onProgress(n);
        last = n;
      }
      if (n >= expected) return;
      if (Date.now() > deadline) throw new Error(`only ${n}/${expected} instances at the hub after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** WADO-RS retrieval of one instance as application/dicom; undefined when the hub does not have it. */
  async retrieveInstance(study: string, series: string, sop: string): Promise<Buffer | undefined> {
    const url = `${this.baseUrl}/dicomweb/studies/${study}/series/${series}/instances/${sop}`;
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${this.token}`, accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`WADO-RS answered ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    const boundary = boundaryOf(res.headers.get('content-type'));
    if (!boundary) throw new Error('WADO-RS answer is not multipart');
    const parts = parseMultipartRelated(body, boundary);
    return parts[0]?.body;
  }
}
