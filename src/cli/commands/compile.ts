// `cleave compile MODEL [-o FILE.cprog]`: a .tflite model to a Program (docs/program-format.md).
// The output defaults to the model's name with .cprog, is checked before compiling, and is never
// the model itself.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { compileGraph } from '../../compile/program';
import { CleaveError } from '../../errors';
import { checkOutputFile, readUserFile, writeUserFile } from '../../io/files';
import { readModel } from '../../model/reader';
import { formatNumber } from '../table';

/** "dir/model.tflite" -> "dir/model.cprog". */
export function defaultProgramPath(model: string): string {
  const { dir, name } = path.parse(model);
  return path.join(dir, `${name}.cprog`);
}

/** Whether the two paths are one file (the same path, or links to the same inode). */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [sa, sb] = await Promise.all([fsp.stat(a).catch(() => null), fsp.stat(b).catch(() => null)]);
  return sa !== null && sb !== null && sa.dev === sb.dev && sa.ino === sb.ino;
}

export function register(program: Command): void {
  program
    .command('compile')
    .description('compile a .tflite model into a cleave Program')
    .argument('<model>', '.tflite file')
    .option('-o, --output <file>', 'Program file to write (default: the model\'s name with .cprog)')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, opts: { output?: string; json?: boolean }) => {
      const output = opts.output ?? defaultProgramPath(model);
      if (await sameFile(model, output)) {
        throw new CleaveError('BAD_ARGUMENT', `${output}: is the model being compiled; name another output with -o`);
      }
      await checkOutputFile(output);
      const graph = readModel(new Uint8Array(await readUserFile(model, 'model')), model);
      const compiled = compileGraph(graph);
      await writeUserFile(output, compiled.bytes, 'Program');
      const summary = {
        model,
        program: output,
        programBytes: compiled.bytes.length,
        ops: graph.ops.length,
        arenaBytes: compiled.arenaBytes,
        arenaLowerBound: compiled.arenaLowerBound,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        process.stdout.write(
          `${output}: ${formatNumber(summary.programBytes)} bytes, ${summary.ops} ops\n` +
          `arena: ${formatNumber(summary.arenaBytes)} B (lower bound ${formatNumber(summary.arenaLowerBound)} B, ` +
          `${((summary.arenaBytes / Math.max(summary.arenaLowerBound, 1) - 1) * 100).toFixed(1)}% above)\n`);
      }
    });
}
