/**
 * Watches the raw bytes of a DICOM upper-layer connection and reports the first PDU that no
 * conformant peer would send: an unknown PDU type or a declared length above the cap.
 * dcmjs-dimse accumulates a whole PDU in memory before parsing it, so without this guard a
 * peer announcing a 4 GiB PDU could make the agent buffer up to that much.
 * Contract: `feed` is given every chunk in order; it returns a description of the violation
 * once (and keeps returning it), or undefined while the stream looks sane. Pure, no I/O.
 */
const PDU_TYPES = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);

export class PduGuard {
  readonly #maxPduLength: number;
  #header = Buffer.alloc(6);
  #headerFill = 0;
  #remaining = 0;
  #violation: string | undefined;

  constructor(maxPduLength: number) {
    this.#maxPduLength = maxPduLength;
  }

  feed(chunk: Uint8Array): string | undefined {
    let pos = 0;
    while (pos < chunk.length && !this.#violation) {
      if (this.#remaining > 0) {
        const skip = Math.min(this.#remaining, chunk.length - pos);
        this.#remaining -= skip;
        pos += skip;
        continue;
      }
      const take = Math.min(6 - this.#headerFill, chunk.length - pos);
      this.#header.set(chunk.subarray(pos, pos + take), this.#headerFill);
      this.#headerFill += take;
      pos += take;
      if (this.#headerFill < 6) break;
      this.#headerFill = 0;
      const type = this.#header[0]!;
      const length = this.#header.readUInt32BE(2);
      if (!PDU_TYPES.has(type)) this.#violation = `unknown PDU type 0x${type.toString(16)}`;
      else if (length > this.#maxPduLength) this.#violation = `PDU length ${length} above the limit ${this.#maxPduLength}`;
      else this.#remaining = length;
    }
    return this.#violation;
  }
}
