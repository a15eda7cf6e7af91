// The lossy wire codecs keep their promises element by element: ts sends every value beyond its
// threshold exactly and the rest within half a step; tabq and ts+tabq stay within the error budget;
// the bound each payload reports holds for every element. Seeded random tensors and the golden dumps.
import t from 'tap';
import { decode, encode, type CodecName, type CodecOptions, type WireTensor } from '../../src/codec';
import { goldenActivations, int8, median, randomInt8, type Kind } from './helpers';

const SHAPES: number[][] = [[], [0], [1], [5], [3, 5], [1, 0, 4], [2, 3, 5, 7], [1, 12, 12, 16], [1, 6, 6, 128], [1, 25, 5, 64], [1, 4099]];
const KINDS: Kind[] = ['uniform', 'relu', 'runs', 'narrow', 'constant'];

/** Checks one encode/decode; returns a description of the first broken promise, or '' when all hold. */
function check(codec: CodecName, tensor: WireTensor, options: CodecOptions): string {
  const bytes = encode(codec, tensor, options);
  const d = decode(bytes);
  const a = int8(tensor);
  const b = new Int8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength);
  if (b.length !== a.length || JSON.stringify(d.shape) !== JSON.stringify(tensor.shape) || d.zeroPoint !== tensor.zeroPoint) {
    return 'shape or metadata differ';
  }
  if (d.codec.name !== codec || d.codec.lossless) return `decoded as ${d.codec.name}`;
  const bound = d.codec.errorBound;
  const zp = tensor.zeroPoint;
  const threshold = d.codec.threshold;
  if (options.threshold !== undefined && threshold !== options.threshold) return `threshold ${threshold}, asked ${options.threshold}`;
  if (codec !== 'ts' && bound > (options.errorBudget ?? 2)) return `bound ${bound} above the budget ${options.errorBudget ?? 2}`;
  if (codec === 'ts' && d.codec.step !== undefined && bound !== Math.floor(d.codec.step / 2)) return `ts bound ${bound} for step ${d.codec.step}`;
  let outliers = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!);
    if (err > bound) return `element ${i}: ${a[i]} decoded as ${b[i]} (bound ${bound})`;
    if (threshold !== undefined && Math.abs(a[i]! - zp) > threshold) {
      outliers++;
      if (err !== 0) return `outlier ${i} (${a[i]}, threshold ${threshold}) decoded as ${b[i]}`;
    }
  }
  if (threshold !== undefined && outliers !== d.codec.outliers) return `${d.codec.outliers} outliers reported, ${outliers} beyond the threshold`;
  return '';
}

t.test('random tensors: ts, tabq and ts+tabq within their bounds', async (t) => {
  const runs: [CodecName, CodecOptions][] = [
    ['ts', {}], ['ts', { bits: 1 }], ['ts', { bits: 2, threshold: 10 }], ['ts', { bits: 3, threshold: 0 }], ['ts', { bits: 8 }],
    ['ts', { threshold: 255 }],
    ['tabq', {}], ['tabq', { errorBudget: 0 }], ['tabq', { errorBudget: 1 }], ['tabq', { errorBudget: 7 }], ['tabq', { errorBudget: 127 }],
    ['ts+tabq', {}], ['ts+tabq', { errorBudget: 4 }], ['ts+tabq', { threshold: 20, errorBudget: 3 }], ['ts+tabq', { threshold: 0, errorBudget: 0 }],
    ['ts+tabq', { threshold: 255, errorBudget: 10 }],
  ];
  const failures: string[] = [];
  let n = 0;
  let seed = 1000;
  for (const shape of SHAPES) {
    for (const kind of KINDS) {
      for (const zp of [-128, 0, 17, 127]) {
        const tensor = randomInt8(shape, kind, seed++, zp);
        for (const [codec, options] of runs) {
          const why = check(codec, tensor, options);
          if (why) failures.push(`${codec} ${JSON.stringify(options)} [${shape}] ${kind} zp=${zp} seed=${seed - 1}: ${why}`);
          n++;
        }
      }
    }
  }
  t.same(failures.slice(0, 10), [], `${n} encodings keep their bounds`);
});

t.test('exact settings are exact: tabq with budget 0, ts with 8 bits', async (t) => {
  const tensor = randomInt8([1, 24, 24, 32], 'uniform', 7, -3);
  for (const [codec, options] of [['tabq', { errorBudget: 0 }], ['ts', { bits: 8 }], ['ts+tabq', { errorBudget: 0 }]] as const) {
    const d = decode(encode(codec, tensor, options));
    t.equal(d.codec.errorBound, 0, `${codec} ${JSON.stringify(options)}: bound 0`);
    t.same(Buffer.from(d.data), Buffer.from(int8(tensor).buffer), `${codec} ${JSON.stringify(options)}: decoded exactly`);
  }
});

t.test('golden activations: bounds hold; sizes against raw int8 reported', async (t) => {
  const golden = goldenActivations().filter((g) => g.role === 'intermediate' && !g.caseName.startsWith('edge_'));
  const runs: [CodecName, CodecOptions][] = [
    ['ts', {}], ['ts', { bits: 2 }], ['tabq', {}], ['tabq', { errorBudget: 4 }], ['ts+tabq', {}], ['ts+tabq', { errorBudget: 4 }],
  ];
  const failures: string[] = [];
  const ratios = new Map<string, number[]>();
  const meanErrors = new Map<string, number[]>();
  for (const g of golden) {
    for (const [codec, options] of runs) {
      const why = check(codec, g.tensor, options);
      if (why) failures.push(`${codec} ${JSON.stringify(options)} ${g.model}/${g.caseName}/t${g.index}: ${why}`);
      if (g.tensor.data.byteLength < 1024) continue;
      const bytes = encode(codec, g.tensor, options);
      const key = `${codec} ${JSON.stringify(options)}`;
      ratios.set(key, [...(ratios.get(key) ?? []), g.tensor.data.byteLength / bytes.length]);
      const a = int8(g.tensor);
      const b = new Int8Array(decode(bytes).data.buffer);
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
      meanErrors.set(key, [...(meanErrors.get(key) ?? []), sum / a.length]);
    }
  }
  t.same(failures.slice(0, 10), [], `${golden.length} tensors x ${runs.length} settings keep their bounds`);
  t.comment('golden intermediate activations of >= 1 KiB (real and natural inputs), whole encoding incl. header:');
  t.comment('codec and options                      median ratio to raw int8   median mean |error|');
  for (const [key, r] of ratios) {
    t.comment(`${key.padEnd(38)} ${median(r).toFixed(2).padStart(10)}x ${median(meanErrors.get(key)!).toFixed(3).padStart(24)}`);
  }
});
