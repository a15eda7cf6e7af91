// `cleave compile MODEL -o FILE.cprog`: a .tflite model to a Program (docs/program-format.md).
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import { compileGraph } from '../../compile/program';
import { CleaveError } from '../../errors';
import { readModelFile } from '../../model/reader';
import { formatNumber } from '../table';

export function register(program: Command): void {
  program
    .command('compile')
    .description('compile a .tflite model into a cleave Program')
    .argument('<model>', '.tflite file')
    .requiredOption('-o, --output <file>', 'Program file to write (.cprog)')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, opts: { output: string; json?: boolean }) => {
      const graph = readModelFile(model);
      const compiled = compileGraph(graph);
      try {
        await fsp.writeFile(opts.output, compiled.bytes);
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `${opts.output}: cannot write Program: ${(err as Error).message}`);
      }
      const summary = {
        model,
        program: opts.output,
        programBytes: compiled.bytes.length,
        ops: graph.ops.length,
        arenaBytes: compiled.arenaBytes,
        arenaLowerBound: compiled.arenaLowerBound,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        process.stdout.write(
          `${opts.output}: ${formatNumber(summary.programBytes)} bytes, ${summary.ops} ops\n` +
          `arena: ${formatNumber(summary.arenaBytes)} B (lower bound ${formatNumber(summary.arenaLowerBound)} B, ` +
          `${((summary.arenaBytes / Math.max(summary.arenaLowerBound, 1) - 1) * 100).toFixed(1)}% above)\n`);
      }
    });
}
