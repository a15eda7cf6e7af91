// Wire codecs on the golden activations (models/): size against raw int8 and against
// Node's zlib deflate at levels 1 and 6 on the same bytes, and encode/decode throughput through the
// addon (one thread, N-API call and result Buffer included). docs/codecs.md quotes its output.
//   node dist/bench/codecs.js [--cases natural|edge|all] [--ms 40] [--list FILE]
// The native one-core numbers without the N-API call come from bench/codec_bench.cc; --list FILE
// writes the tensor list it reads ("path zero_point dims...", one per line) and exits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { decode, encode, type CodecName, type CodecOptions, type WireTensor } from '../src/codec';
import { packageRoot } from '../src/paths';

interface Activation {
  model: string;
  caseName: string;
  index: number;
  file: string;
  tensor: WireTensor;
}

const CNNS = ['mlperf_tiny_vww', 'mlperf_tiny_ic', 'tflm_person_detect', 'mlperf_tiny_kws'];

function activations(which: string): Activation[] {
  const root = path.join(packageRoot, 'models');
  const out: Activation[] = [];
  for (const model of CNNS) {
    for (const caseName of fs.readdirSync(path.join(root, model)).sort()) {
      const manifest = path.join(root, model, caseName, 'manifest.json');
      if (!fs.existsSync(manifest)) continue;
      const edge = caseName.startsWith('edge_');
      if ((which === 'natural' && edge) || (which === 'edge' && !edge)) continue;
      type Entry = { index: number; role: string; dtype: string; shape: number[]; scale: number[]; zero_point: number[]; file: string };
      for (const e of JSON.parse(fs.readFileSync(manifest, 'utf8')) as Entry[]) {
        if (e.role !== 'intermediate' || e.dtype !== 'int8') continue;
        const data = fs.readFileSync(path.join(root, model, caseName, e.file));
        if (data.length < 1024) continue;
        out.push({ model, caseName, index: e.index, file: path.join(root, model, caseName, e.file), tensor: { data, dtype: 'int8', shape: e.shape, scale: Math.fround(e.scale[0]!), zeroPoint: e.zero_point[0]! } });
      }
    }
  }
  return out;
}

/** Seconds per call: repeat for about `ms` milliseconds, best of 3 rounds. */
function time(fn: () => void, ms: number): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let reps = 0;
    const t0 = process.hrtime.bigint();
    let el = 0;
    do {
      fn();
      reps++;
      el = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (el * 1000 < ms / 3);
    best = Math.min(best, el / reps);
  }
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function main(): void {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
  };
  const which = arg('--cases', 'natural');
  const ms = Number(arg('--ms', '40'));
  const list = activations(which);
  const listFile = arg('--list', '');
  if (listFile) {
    fs.writeFileSync(listFile, list.map((a) => `${a.file} ${a.tensor.zeroPoint} ${a.tensor.shape.join(' ')}\n`).join(''));
    console.log(`${list.length} tensors listed in ${listFile}`);
    return;
  }
  const rawBytes = list.reduce((a, x) => a + x.tensor.data.byteLength, 0);
  console.log(`${list.length} intermediate int8 activations of >= 1 KiB (${which} cases of ${CNNS.join(', ')}), ${rawBytes} bytes`);

  const settings: [string, CodecName | 'deflate-1' | 'deflate-6', CodecOptions][] = [
    ['raw', 'raw', {}], ['lossless', 'lossless', {}], ['deflate-1', 'deflate-1', {}], ['deflate-6', 'deflate-6', {}],
    ['ts (4 bits)', 'ts', {}], ['ts (3 bits)', 'ts', { bits: 3 }], ['tabq (E=2)', 'tabq', { errorBudget: 2 }],
    ['tabq (E=4)', 'tabq', { errorBudget: 4 }], ['ts+tabq (E=2)', 'ts+tabq', { errorBudget: 2 }],
    ['ts+tabq (E=4)', 'ts+tabq', { errorBudget: 4 }], ['ts+tabq (E=6)', 'ts+tabq', { errorBudget: 6 }],
  ];
  console.log('setting          total ratio  median ratio  encode MB/s  decode MB/s  max |err|  mean |err|');
  for (const [label, codec, options] of settings) {
    let bytes = 0;
    let encSeconds = 0;
    let decSeconds = 0;
    let maxErr = 0;
    let errSum = 0;
    const ratios: number[] = [];
    for (const a of list) {
      const input = a.tensor.data as Buffer;
      let enc: Buffer;
      let dec: () => Buffer;
      if (codec === 'deflate-1' || codec === 'deflate-6') {
        const level = codec === 'deflate-1' ? 1 : 6;
        enc = zlib.deflateRawSync(input, { level });
        encSeconds += time(() => zlib.deflateRawSync(input, { level }), ms);
        dec = () => zlib.inflateRawSync(enc);
      } else {
        enc = encode(codec, a.tensor, options);
        encSeconds += time(() => encode(codec, a.tensor, options), ms);
        dec = () => decode(enc).data;
      }
      decSeconds += time(dec, ms);
      const out = dec();
      const x = new Int8Array(input.buffer, input.byteOffset, input.byteLength);
      const y = new Int8Array(out.buffer, out.byteOffset, out.byteLength);
      for (let i = 0; i < x.length; i++) {
        const d = Math.abs(x[i]! - y[i]!);
        if (d > maxErr) maxErr = d;
        errSum += d;
      }
      bytes += enc.length;
      ratios.push(input.length / enc.length);
    }
    console.log(`${label.padEnd(16)} ${(rawBytes / bytes).toFixed(2).padStart(10)}x ${median(ratios).toFixed(2).padStart(12)}x ${(rawBytes / 1e6 / encSeconds).toFixed(0).padStart(12)} ${(rawBytes / 1e6 / decSeconds).toFixed(0).padStart(12)} ${String(maxErr).padStart(10)} ${(errSum / rawBytes).toFixed(3).padStart(11)}`);
  }

  // The largest activation of each model: the lossy codecs' target case.
  console.log('\nlargest activation per model (first case), ratio to raw int8 (mean |error|):');
  for (const model of CNNS) {
    const own = list.filter((a) => a.model === model);
    if (own.length === 0) continue;
    const first = own.filter((a) => a.caseName === own[0]!.caseName);
    const big = first.reduce((a, b) => (b.tensor.data.byteLength > a.tensor.data.byteLength ? b : a));
    const cells = settings.filter(([, c]) => c !== 'raw' && c !== 'deflate-1' && c !== 'deflate-6').map(([label, codec, options]) => {
      const enc = encode(codec as CodecName, big.tensor, options);
      const out = decode(enc).data;
      const x = new Int8Array(big.tensor.data.buffer, big.tensor.data.byteOffset, big.tensor.data.byteLength);
      let s = 0;
      for (let i = 0; i < x.length; i++) s += Math.abs(x[i]! - (out[i]! << 24 >> 24));
      return `${label} ${(x.length / enc.length).toFixed(2)}x (${(s / x.length).toFixed(2)})`;
    });
    console.log(`${model} t${big.index} [${big.tensor.shape.join('x')}] ${big.caseName}: ${cells.join(', ')}`);
  }
}

main();
