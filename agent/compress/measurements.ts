/**
 * Default codec measurements for the policy, from `npm run bench -- compress --reps 3` on the
 * shared series (2-core shared VM under load from other jobs, Node 20.20; medians; raw pixel MB
 * per CPU-second of one core; see agent/README.md "Compression"). Reference series per content
 * class: CT = Philips Ingenuity phantom (54 × 512², 12-bit), MR = Siemens Prisma T1 (35 × 256²),
 * CR = Fuji RG3 (1760², 10-bit, MONOCHROME1), color = US RGB 640×480. Ratios are exact; speeds
 * vary ±30 % between runs on this machine. An agent may pass its own (re-measured) table instead.
 */
import type { CodecMeasurements } from './policy.ts';

const CT = [
  { codec: 'jpeg-ls', ratio: 5.53, encodeMBps: 60.8, decodeMBps: 53.9 },
  { codec: 'htj2k', ratio: 4.9, encodeMBps: 67.5, decodeMBps: 187.5 },
  { codec: 'j2k', ratio: 5.46, encodeMBps: 20.2, decodeMBps: 18.2 },
  { codec: 'jpeg-xl', ratio: 6.37, encodeMBps: 3.8, decodeMBps: 18.8 },
  { codec: 'rle', ratio: 1.91, encodeMBps: 117.7, decodeMBps: 277.9 },
] as const;

export const DEFAULT_MEASUREMENTS: CodecMeasurements = {
  CT,
  MR: [
    { codec: 'jpeg-ls', ratio: 3.57, encodeMBps: 61.5, decodeMBps: 89.5 },
    { codec: 'htj2k', ratio: 3.39, encodeMBps: 99.2, decodeMBps: 261.2 },
    { codec: 'j2k', ratio: 3.57, encodeMBps: 16.9, decodeMBps: 16.3 },
    { codec: 'jpeg-xl', ratio: 3.8, encodeMBps: 2, decodeMBps: 17.3 },
    { codec: 'rle', ratio: 1.81, encodeMBps: 120.6, decodeMBps: 206 },
  ],
  CR: [
    { codec: 'jpeg-ls', ratio: 7.31, encodeMBps: 99.1, decodeMBps: 167.5 },
    { codec: 'htj2k', ratio: 6.99, encodeMBps: 154.4, decodeMBps: 314.6 },
    { codec: 'j2k', ratio: 7.46, encodeMBps: 33.2, decodeMBps: 33.3 },
    { codec: 'jpeg-xl', ratio: 7.77, encodeMBps: 2.8, decodeMBps: 30.1 },
    { codec: 'rle', ratio: 3.21, encodeMBps: 204.9, decodeMBps: 1284.2 },
  ],
  color: [
    { codec: 'jpeg-ls', ratio: 3.52, encodeMBps: 95.4, decodeMBps: 100 },
    { codec: 'htj2k', ratio: 2.93, encodeMBps: 76.3, decodeMBps: 142.9 },
    { codec: 'j2k', ratio: 6.05, encodeMBps: 21.7, decodeMBps: 18.2 },
    { codec: 'jpeg-xl', ratio: 10.21, encodeMBps: 4.9, decodeMBps: 30.4 },
  ],
  default: CT,
};
