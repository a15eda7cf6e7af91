// `cleave split MODEL --at CUT[,CUT...] -o DIR`: standalone .tflite and Program per segment, plus
// DIR/plan.json mapping each segment's inputs and outputs to the original tensors.
import * as path from 'node:path';
import type { Command } from 'commander';
import { readModelFile } from '../../model/reader';
import { parseCuts } from '../../segments/cuts';
import { writePlan } from '../../segments/plan';
import { formatTable } from '../table';

export function register(program: Command): void {
  program
    .command('split')
    .description('cut a model into segments: a .tflite and a Program each, and plan.json')
    .argument('<model>', '.tflite file')
    .requiredOption('--at <cuts>', 'cut positions, comma-separated (see `cleave cuts`)')
    .requiredOption('-o, --output <dir>', 'directory to write the segments and plan.json into')
    .action(async (model: string, opts: { at: string; output: string }) => {
      const graph = readModelFile(model);
      const plan = await writePlan(graph, parseCuts(graph, opts.at), opts.output);
      const rows = plan.segments.map((s) => [
        s.index, `${s.ops[0]}..${s.ops[1] - 1}`, s.tflite, s.weightBytes, s.arenaBytes,
        s.outputs.map((t) => `t${t.tensor}`).join(', '), s.outputs.reduce((n, t) => n + t.bytes, 0),
      ]);
      process.stdout.write(`${formatTable(['segment', 'ops', 'file', 'weight B', 'arena B', 'outputs', 'output B'], rows)}\n`);
      process.stdout.write(`wrote ${path.join(opts.output, 'plan.json')}\n`);
    });
}
