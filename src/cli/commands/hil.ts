// `cleave hil SPEC [--tap FILE|-] [--junit FILE] [--json]`: hardware-in-the-loop tests from this
// host against the boards a spec names (docs/hil.md). TAP goes to stdout unless --tap names a file
// or --json is given; progress goes to stderr. Exits 1 when a case or budget fails.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { runHil } from '../../hil/harness';
import { toJUnit, toTap } from '../../hil/report';
import { readHilSpec } from '../../hil/spec';

interface HilCliOptions {
  tap?: string;
  junit?: string;
  json?: boolean;
}

function writeReport(file: string, text: string, what: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot write the ${what} report: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function register(program: Command): void {
  program
    .command('hil')
    .description('hardware-in-the-loop: run golden cases through a plan deployed on boards, compare every crossing tensor with the host reference')
    .argument('<spec>', 'HIL spec (JSON or YAML; docs/hil.md)')
    .option('--tap <file>', 'write the TAP report here ("-": stdout, the default without --json)')
    .option('--junit <file>', 'write a JUnit XML report here')
    .option('--json', 'print the results as JSON instead of TAP')
    .action(async (specFile: string, opts: HilCliOptions) => {
      const spec = readHilSpec(specFile);
      const result = await runHil(spec, { onProgress: (line) => process.stderr.write(`cleave hil: ${line}\n`) });
      const tapFile = opts.tap ?? spec.reports.tap ?? (opts.json ? undefined : '-');
      const junitFile = opts.junit ?? spec.reports.junit;
      if (tapFile === '-') process.stdout.write(toTap(result));
      else if (tapFile !== undefined) writeReport(tapFile, toTap(result), 'TAP');
      if (junitFile !== undefined) writeReport(junitFile, toJUnit(result), 'JUnit');
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...result, spec: { ...result.spec, token: result.spec.token && '(set)' } }, null, 2)}\n`);
      const failed = result.cases.filter((c) => c.outcome.kind !== 'pass').length + result.budgets.filter((b) => b.ok === false).length;
      process.stderr.write(`cleave hil: ${result.passed ? 'passed' : 'FAILED'}: ${result.cases.length} case(s), ${failed} not passed, in ${(result.durationMs / 1000).toFixed(1)} s\n`);
      if (!result.passed) process.exitCode = 1;
    });
}
