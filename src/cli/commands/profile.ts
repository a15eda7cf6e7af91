// `cleave profile MODEL [--board ID] [--threads N] [--repeat N] [-o FILE]`: per-op latency (and energy
// where the board has a meter) of a model on this machine, as the JSON the planner reads.
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { readModelFile } from '../../model/reader';
import { formatTable } from '../table';

function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CleaveError('BAD_ARGUMENT', `${flag} must be a positive integer, got "${value}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('profile')
    .description('measure per-op latency (and energy where metered) of a model on this machine, for `cleave plan`')
    .argument('<model>', '.tflite file')
    .option('--board <id>', 'board id to record (default: the board detected here)')
    .option('--threads <n>', 'intra-op threads', '1')
    .option('--repeat <n>', 'profiled runs per input set (the median is kept)', '10')
    .option('-o, --output <file>', 'write the profile JSON here (default: stdout)')
    .action(async (model: string, opts: { board?: string; threads: string; repeat: string; output?: string }) => {
      const graph = readModelFile(model);
      // Loaded here, not at the top: commands that need no addon must work where it is not built.
      const { profileModel } = require('../../plan/profile') as typeof import('../../plan/profile');
      const profile = await profileModel(graph, model, {
        board: opts.board, threads: positiveInteger('--threads', opts.threads), repeat: positiveInteger('--repeat', opts.repeat),
      });
      const json = `${JSON.stringify(profile, null, 2)}\n`;
      if (!opts.output) {
        process.stdout.write(json);
        return;
      }
      try {
        await fsp.writeFile(opts.output, json);
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `${opts.output}: cannot write profile (${(err as Error).message})`);
      }
      const energy = profile.energy.kind === 'none' ? `not measured (${profile.energy.reason.split('\n')[0]})` : `${(profile.energy.joulesPerInference * 1e3).toFixed(4)} mJ per inference, ${profile.energy.kind} by ${profile.energy.meter}`;
      const rows = profile.ops.map((o) => [o.op, o.opcode, o.kernel, o.micros.toFixed(1), o.macs, o.bytes]);
      process.stdout.write(`${formatTable(['op', 'opcode', 'kernel', 'µs', 'MACs', 'bytes'], rows)}\n`);
      process.stdout.write(`board ${profile.board.id}, kernels ${profile.kernels}, ${profile.threads} thread(s), total ${profile.totalMicros.toFixed(1)} µs; energy ${energy}\nwrote ${opts.output}\n`);
    });
}
