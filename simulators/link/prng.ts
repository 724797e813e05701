/**
 * Seeded pseudo-random numbers for the link simulator (reproducible impairments).
 * Contract: `createRandom(seed, stream)` returns a function yielding numbers in [0, 1); the same
 * (seed, stream) pair always yields the same sequence, and different streams are independent
 * enough for simulation (sfc32 seeded through splitmix32). Not for cryptography.
 */
export type Random = () => number;

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a of a label, so that streams can be named ("up/loss", "down/jitter"). */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRandom(seed: number, stream = ''): Random {
  const init = splitmix32((seed >>> 0) ^ hashLabel(stream));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A fresh seed for runs that do not ask for one (printed so the run can be replayed). */
export function randomSeed(source: Random = Math.random): number {
  return Math.floor(source() * 2 ** 32) >>> 0;
}
