// node dist/bench/layers.js [--kernels SET] [--threads N] [--rounds N] [--only NAME]:
// single layers shaped like the hot layers of the shipped models, timed one op at a time through
// the whole stack (Session.runSync, interpreter time). The figure is the minimum over many runs:
// on a shared machine every other process only ever adds time, so the minimum is the steadiest
// A/B figure (medians are what `npm run bench` reports). Each layer's outputs are checked equal to
// the reference kernels'; the kernel each op runs is printed beside its time.
import { compileGraph } from '../src/compile/program';
import { Session } from '../src/session';
import { type ConvSpec, convGraph, randomBytes } from '../test/lib/synthetic';

const layers: Record<string, ConvSpec> = {
  'vww conv0 3x3/2 3->8 96²': { height: 96, width: 96, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', symmetricWeights: true },
  'pd dw0 3x3/2 1x8 96²': { height: 96, width: 96, inChannels: 1, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', depthwise: true, depthMultiplier: 8 },
  'dw 3x3 x8 48²': { height: 48, width: 48, inChannels: 8, outChannels: 8, kernel: 3, padding: 'SAME', depthwise: true },
  'dw 3x3/2 x16 48²': { height: 48, width: 48, inChannels: 16, outChannels: 16, kernel: 3, stride: 2, padding: 'SAME', depthwise: true },
  'dw 3x3 x64 12²': { height: 12, width: 12, inChannels: 64, outChannels: 64, kernel: 3, padding: 'SAME', depthwise: true },
  'pw 1x1 8->16 48²': { height: 48, width: 48, inChannels: 8, outChannels: 16, kernel: 1, symmetricWeights: true },
  'pw 1x1 16->32 24²': { height: 24, width: 24, inChannels: 16, outChannels: 32, kernel: 1, symmetricWeights: true },
  'pw 1x1/2 8->16 96²': { height: 96, width: 96, inChannels: 8, outChannels: 16, kernel: 1, stride: 2, padding: 'SAME', symmetricWeights: true },
  'conv 1x3 2->24 48²': { height: 48, width: 48, inChannels: 2, outChannels: 24, kernel: 1, kernelW: 3, padding: 'SAME', symmetricWeights: true },
  'ic 1x1/2 16->32 32²': { height: 32, width: 32, inChannels: 16, outChannels: 32, kernel: 1, stride: 2, padding: 'SAME', symmetricWeights: true },
  'pw 1x1 64->128 12²': { height: 12, width: 12, inChannels: 64, outChannels: 128, kernel: 1, symmetricWeights: true },
  'pw 1x1 128->128 6²': { height: 6, width: 6, inChannels: 128, outChannels: 128, kernel: 1, symmetricWeights: true },
  'kws conv0 10x4/2 1->64 49x10': { height: 49, width: 10, inChannels: 1, outChannels: 64, kernel: 10, kernelW: 4, stride: 2, padding: 'SAME', symmetricWeights: true },
  'ic conv 3x3 16->16 32²': { height: 32, width: 32, inChannels: 16, outChannels: 16, kernel: 3, padding: 'SAME', symmetricWeights: true },
  'conv 3x3 64->64 56²': { height: 56, width: 56, inChannels: 64, outChannels: 64, kernel: 3, padding: 'SAME', symmetricWeights: true },
};

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const kernels = arg('--kernels', 'auto') as 'auto';
const threads = Number(arg('--threads', '1'));
const rounds = Number(arg('--rounds', '200'));
const only = arg('--only', '');

for (const [name, spec] of Object.entries(layers)) {
  if (only && !name.includes(only)) continue;
  const graph = convGraph({ seed: 3, ...spec });
  const program = compileGraph(graph).bytes;
  const input = randomBytes(spec.height * spec.width * spec.inChannels, 9);
  const reference = Session.fromBytes(program, name, { kernels: 'reference', threads: 1 });
  const expected = Buffer.from(reference.runSync(input).outputs[0]!.buffer);
  reference.dispose();
  const s = Session.fromBytes(program, name, { kernels, threads });
  const first = s.runSync(input, { profile: true });
  const same = Buffer.from(first.outputs[0]!.buffer).equals(expected);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, s.runSync(input).micros);
  process.stdout.write(`${name.padEnd(32)} ${best.toFixed(1).padStart(9)} µs  ${first.profile![0]!.kernel}${same ? '' : '  DIFFERS FROM REFERENCE'}\n`);
  s.dispose();
}
