// `cleave cuts MODEL [--json]`: every position a model can be cut, with the tensors that cross it
// and the MACs and weight bytes on each side (what balancing stages across devices needs). A
// compiled Program is one unit: for it, the command says so and lists its ops.
import type { Command } from 'commander';
import { isProgram } from '../../compile/program';
import { readUserFile } from '../../io/files';
import { opMacs, opWeightBytes } from '../../model/analysis';
import { readModel } from '../../model/reader';
import { listCuts } from '../../segments/cuts';
import { summarizeProgram } from '../program-summary';
import { formatTable } from '../table';

/** Running totals: `before[p]` is the sum of values[0..p). */
function prefixSums(values: number[]): number[] {
  const sums = [0];
  for (const v of values) sums.push(sums[sums.length - 1]! + v);
  return sums;
}

export function register(program: Command): void {
  program
    .command('cuts')
    .description('list every valid cut of a model with its crossing tensors, and the MACs and weight bytes on each side')
    .argument('<model>', '.tflite file (a .cprog Program is listed as one unit)')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { json?: boolean }) => {
      const bytes = new Uint8Array(await readUserFile(model, 'model'));
      if (isProgram(bytes)) {
        const s = summarizeProgram(bytes, model);
        const note = 'a compiled Program is one unit: cuts are found on the .tflite it was compiled from (`cleave cuts MODEL.tflite`, then `cleave split`)';
        if (opts.json) process.stdout.write(`${JSON.stringify({ model, program: true, ops: s.ops.length, cuts: [], note }, null, 2)}\n`);
        else process.stdout.write(`${model}: ${s.ops.length} ops (${s.ops.map((o) => o.op).join(', ')}); ${note}\n`);
        return;
      }
      const graph = readModel(bytes, model);
      const macs = prefixSums(graph.ops.map((op) => opMacs(graph, op)));
      const weights = prefixSums(graph.ops.map((op) => opWeightBytes(graph, op)));
      const n = graph.ops.length;
      const cuts = listCuts(graph).map((c) => ({
        ...c,
        after: `${c.position - 1} ${graph.ops[c.position - 1]!.opcode}`,
        tensors: c.crossing.map((t) => ({ index: t, name: graph.tensors[t]!.name, shape: graph.tensors[t]!.shape, dtype: graph.tensors[t]!.dtype, bytes: graph.tensors[t]!.byteLength })),
        macsBefore: macs[c.position]!,
        macsAfter: macs[n]! - macs[c.position]!,
        weightBytesBefore: weights[c.position]!,
        weightBytesAfter: weights[n]! - weights[c.position]!,
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ model, ops: n, macs: macs[n], weightBytes: weights[n], cuts }, null, 2)}\n`);
        return;
      }
      const share = (part: number, whole: number) => `${whole > 0 ? Math.round((100 * part) / whole) : 0}%`;
      const rows = cuts.map((c) => [
        c.position, c.after, c.tensors.map((t) => `t${t.index} ${t.dtype}[${t.shape.join('x')}]`).join(', '), c.bytes,
        c.macsBefore, c.macsAfter, share(c.macsBefore, macs[n]!), c.weightBytesBefore, c.weightBytesAfter,
      ]);
      process.stdout.write(`${model}: ${n} ops, ${cuts.length} valid cuts (cut N runs ops 0..N-1 before it)\n`);
      process.stdout.write(`${formatTable(['cut', 'after op', 'crossing tensors', 'bytes', 'MACs before', 'MACs after', 'MACs % before', 'weight B before', 'weight B after'], rows)}\n`);
    });
}
