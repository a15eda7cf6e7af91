// `cleave demo [--model NAME|FILE] [--runs N] [--out DIR] [--json]`: the main job, on embedded
// defaults (src/demo/demo.ts): a shipped model planned across the devices here, run split through the
// pipeline, its latency and energy per stage, and its telemetry read back from the embedded broker.
// The golden check of every shipped model is `cleave verify`.
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import type { Objective } from '../../plan/search';

interface DemoCliOptions {
  model: string;
  runs: string;
  objective: string;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the main job: plan a shipped model across the devices here, run it split, and show latency, energy and telemetry per stage')
    .option('--model <name|file>', 'a shipped model (models/NAME) or a .tflite file', 'tflm_person_detect')
    .option('--runs <n>', 'inferences to run through the pipeline', '100')
    .option('--objective <name>', 'latency | throughput | energy: which plan on the front to run', 'throughput')
    .option('--out <dir>', 'where the front\'s SVG, the plan and the telemetry spool go (default: a fresh folder under the OS temp dir)')
    .option('--json', 'machine-readable summary on stdout')
    .action(async (opts: DemoCliOptions) => {
      const runs = Number(opts.runs);
      if (!/^\d+$/.test(opts.runs) || runs < 1) throw new CleaveError('BAD_ARGUMENT', `--runs must be a positive integer, got "${opts.runs}"`);
      if (!['latency', 'throughput', 'energy'].includes(opts.objective)) throw new CleaveError('BAD_ARGUMENT', `--objective: "${opts.objective}" is not one of latency, throughput, energy`);
      // The demo loads the native addon: not at the top, so that other commands work without it.
      const { runDemo } = require('../../demo/demo') as typeof import('../../demo/demo');
      const summary = await runDemo({
        model: opts.model, runs, objective: opts.objective as Objective, out: opts.out, json: opts.json,
        log: (line) => process.stderr.write(`${line}\n`),
        print: opts.json ? undefined : (text) => process.stdout.write(text),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(`done: ${summary.runs} inferences; ${summary.skipped.length ? `skipped ${summary.skipped.join('; ')}` : 'nothing skipped'}. The golden check of every shipped model is \`cleave verify\`.\n`);
    });
}
