// `cleave cuts MODEL [--json]`: every position a model can be cut, with the tensors that cross it.
import type { Command } from 'commander';
import { readModelFile } from '../../model/reader';
import { listCuts } from '../../segments/cuts';
import { formatTable } from '../table';

export function register(program: Command): void {
  program
    .command('cuts')
    .description('list every valid cut of a model with its crossing tensors and their bytes')
    .argument('<model>', '.tflite file')
    .option('--json', 'machine-readable output')
    .action((model: string, opts: { json?: boolean }) => {
      const graph = readModelFile(model);
      const cuts = listCuts(graph).map((c) => ({
        ...c,
        after: `${c.position - 1} ${graph.ops[c.position - 1]!.opcode}`,
        tensors: c.crossing.map((t) => ({ index: t, name: graph.tensors[t]!.name, shape: graph.tensors[t]!.shape, dtype: graph.tensors[t]!.dtype, bytes: graph.tensors[t]!.byteLength })),
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ model, ops: graph.ops.length, cuts }, null, 2)}\n`);
        return;
      }
      const rows = cuts.map((c) => [c.position, c.after, c.tensors.map((t) => `t${t.index} ${t.dtype}[${t.shape.join('x')}]`).join(', '), c.bytes]);
      process.stdout.write(`${model}: ${graph.ops.length} ops, ${cuts.length} valid cuts (cut N runs ops 0..N-1 before it)\n`);
      process.stdout.write(`${formatTable(['cut', 'after op', 'crossing tensors', 'bytes'], rows)}\n`);
    });
}
