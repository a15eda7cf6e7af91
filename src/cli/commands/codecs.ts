// `cleave codecs MODEL --at CUT [--cases DIR]`: each wire codec on the tensors crossing a cut.
import * as path from 'node:path';
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { checkInputDir } from '../../io/files';
import { integerFlag, parseIncreasingIntegers } from '../flags';
import { readModelFile } from '../../model/reader';
import { readCaseInputs } from '../../segments/agreement';
import { codecReport, codecReportSteps } from '../../segments/codec-report';
import { parseCuts } from '../../segments/cuts';
import { startProgress } from '../progress';
import { formatTable } from '../table';

export function register(program: Command): void {
  program
    .command('codecs')
    .description('compare the wire codecs on the tensors crossing one cut, and their effect on the output')
    .argument('<model>', '.tflite file')
    .requiredOption('--at <cut>', 'the cut (see `cleave cuts`)')
    .option('--cases <dir>', 'golden cases to run (default: the model\'s directory; else one synthetic input)')
    .option('--threshold <n>', 'ts, ts+tabq: outlier threshold in quantized units (default: automatic)', integerFlag('--threshold', { min: 0, max: 255 }))
    .option('--error-budget <n>', 'tabq, ts+tabq: max error per element in quantized units', integerFlag('--error-budget', { min: 0, max: 127 }), 2)
    .option('--bits <n>', 'ts: bits per in-threshold value', integerFlag('--bits', { min: 1, max: 8 }), 4)
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { at: string; cases?: string; threshold?: number; errorBudget: number; bits: number; json?: boolean }) => {
      const graph = readModelFile(model);
      const at = parseIncreasingIntegers('--at', opts.at);
      if (at.length !== 1) throw new CleaveError('BAD_ARGUMENT', `--at takes one cut here, got ${at.length}`);
      const [cut] = parseCuts(graph, String(at[0]));
      if (opts.cases !== undefined) await checkInputDir(opts.cases, '--cases');
      let cases = readCaseInputs(opts.cases ?? path.dirname(model), graph.inputs).map((c) => c.inputs);
      const synthetic = cases.length === 0;
      if (synthetic) cases = [graph.inputs.map((i) => new Uint8Array(graph.tensors[i]!.byteLength).map((_, k) => (k * 131 + 7) & 0xff))];
      // Each codec times encode and decode on every case: long on big tensors or many cases.
      const progress = startProgress('codecs', codecReportSteps(cases.length), { json: opts.json });
      let report;
      try {
        report = codecReport(graph, cut!, cases, { threshold: opts.threshold, errorBudget: opts.errorBudget, bits: opts.bits }, progress);
      } finally {
        progress.stop();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${model} at cut ${cut}: ${report.crossing.map((c) => `t${c.tensor} [${c.shape.join('x')}] ${c.bytes} B`).join(', ')}; ` +
        `${report.cases} ${synthetic ? 'synthetic input (no golden cases found)' : 'golden case(s)'}\n`);
      const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
      const rows = report.rows.map((r) => [
        r.codec, r.lossless ? 'yes' : 'no', Math.round(r.bytes), `${f(r.ratioToFp32)}x`, `${f(r.ratioToInt8, 2)}x`,
        f(r.encodeMBps, 0), f(r.decodeMBps, 0), r.maxAbsError, f(r.meanAbsError, 3),
        `${f(100 * r.output.top1Agreement)}%`, f(r.output.meanAbsDiff, 2),
      ]);
      process.stdout.write(`${formatTable(['codec', 'lossless', 'bytes', 'vs fp32', 'vs int8', 'enc MB/s', 'dec MB/s', 'max err', 'mean err', 'top-1 agree', 'mean |Δout|'], rows)}\n`);
    });
}
