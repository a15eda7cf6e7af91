// Structure-blind mutations of model files for robustness fuzzing: bit flips, truncations, random
// offsets written where flatbuffers keep offsets and lengths, and swapped byte ranges. Seeded, so a
// failure is reproduced by its seed.

/** Mulberry32: small, fast, good enough to drive mutations reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutation = 'bitflip' | 'truncate' | 'offset' | 'swap';
export const MUTATIONS: Mutation[] = ['bitflip', 'truncate', 'offset', 'swap'];

export function mutate(original: Uint8Array, kind: Mutation, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  // Most of a flatbuffer's structure (root table, vtables, vectors of tables) sits outside the big
  // weight buffers; aim half of the mutations at the first and last 4 KiB where it is densest.
  const position = (): number => {
    const n = original.length;
    const r = rand();
    if (r < 0.25) return int(Math.min(n, 4096));
    if (r < 0.5) return Math.max(0, n - 1 - int(Math.min(n, 4096)));
    return int(n);
  };
  switch (kind) {
    case 'truncate':
      return original.slice(0, int(original.length));
    case 'bitflip': {
      const out = original.slice();
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) out[position()] ^= 1 << int(8);
      return out;
    }
    case 'offset': {
      const out = original.slice();
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const writes = 1 + int(4);
      const interesting = [0, 1, -1, 0x7fffffff, -0x80000000, original.length, original.length - 3, 0xffff, 0x8000];
      for (let i = 0; i < writes; i++) {
        const at = position() & ~3;
        if (at + 4 > out.length) continue;
        const value = rand() < 0.5 ? interesting[int(interesting.length)]! : int(original.length * 2) - original.length / 2;
        if (rand() < 0.3 && at + 2 <= out.length) view.setInt16(at, value, true);
        else view.setInt32(at, value | 0, true);
      }
      return out;
    }
    case 'swap': {
      const out = original.slice();
      const len = 1 + int(16);
      const a = position();
      const b = position();
      if (a + len <= out.length && b + len <= out.length) {
        const tmp = out.slice(a, a + len);
        out.copyWithin(a, b, b + len);
        out.set(tmp, b);
      }
      return out;
    }
  }
}
