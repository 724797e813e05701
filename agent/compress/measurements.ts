/**
 * Default codec measurements for the policy, from `npm run bench -- compress --reps 3` on the
 * shared series (2-core shared VM, Node 20.20, medians; raw pixel MB/s on one core; see
 * agent/README.md "Compression"). Reference series per content class: CT = Philips Ingenuity
 * phantom (54 × 512², 12-bit), MR = Siemens Prisma T1 (35 × 256²), CR = Fuji RG3 (1760², 10-bit,
 * MONOCHROME1), color = US RGB 640×480. An agent may pass its own (re-measured) table instead.
 */
import type { CodecMeasurements } from './policy.ts';

const CT = [
  { codec: 'jpeg-ls', ratio: 5.53, encodeMBps: 84.3, decodeMBps: 81.0 },
  { codec: 'htj2k', ratio: 4.9, encodeMBps: 102.7, decodeMBps: 261.8 },
  { codec: 'j2k', ratio: 5.46, encodeMBps: 21.4, decodeMBps: 19.7 },
  { codec: 'jpeg-xl', ratio: 6.37, encodeMBps: 3.7, decodeMBps: 20.8 },
  { codec: 'rle', ratio: 1.91, encodeMBps: 78.2, decodeMBps: 436.7 },
] as const;

export const DEFAULT_MEASUREMENTS: CodecMeasurements = {
  CT,
  MR: [
    { codec: 'jpeg-ls', ratio: 3.57, encodeMBps: 46.8, decodeMBps: 61.7 },
    { codec: 'htj2k', ratio: 3.39, encodeMBps: 91.0, decodeMBps: 219.9 },
    { codec: 'j2k', ratio: 3.57, encodeMBps: 13.7, decodeMBps: 12.7 },
    { codec: 'jpeg-xl', ratio: 3.8, encodeMBps: 1.6, decodeMBps: 13.7 },
    { codec: 'rle', ratio: 1.81, encodeMBps: 59.7, decodeMBps: 277.6 },
  ],
  CR: [
    { codec: 'jpeg-ls', ratio: 7.31, encodeMBps: 104.7, decodeMBps: 156.3 },
    { codec: 'htj2k', ratio: 6.99, encodeMBps: 103.3, decodeMBps: 249.7 },
    { codec: 'j2k', ratio: 7.46, encodeMBps: 12.5, decodeMBps: 10.1 },
    { codec: 'jpeg-xl', ratio: 7.77, encodeMBps: 2.3, decodeMBps: 21.4 },
    { codec: 'rle', ratio: 3.21, encodeMBps: 108.5, decodeMBps: 906.1 },
  ],
  color: [
    { codec: 'jpeg-ls', ratio: 3.52, encodeMBps: 42.3, decodeMBps: 54.2 },
    { codec: 'htj2k', ratio: 2.93, encodeMBps: 53.3, decodeMBps: 159.8 },
    { codec: 'j2k', ratio: 6.05, encodeMBps: 9.8, decodeMBps: 7.8 },
    { codec: 'jpeg-xl', ratio: 10.21, encodeMBps: 3.4, decodeMBps: 25.7 },
  ],
  default: CT,
};
