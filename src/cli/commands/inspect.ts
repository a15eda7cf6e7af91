// `cleave inspect MODEL|PROGRAM [--json]`: what a .tflite model holds and what it costs; for a
// compiled Program, what the Program keeps (src/cli/program-summary.ts).
import type { Command } from 'commander';
import { inspectModel, type InspectReport, type TensorReport } from '../../inspect';
import { isProgram } from '../../compile/program';
import { readUserFile } from '../../io/files';
import { renderProgramSummary, summarizeProgram } from '../program-summary';
import { formatBytes, formatNumber, formatTable } from '../table';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('list the ops, tensors, MACs and memory of a .tflite model (or what a .cprog Program keeps)')
    .argument('<model>', '.tflite file or .cprog Program')
    .option('--json', 'machine-readable output (schema in docs/inspect.md)')
    .action(async (model: string, opts: { json?: boolean }) => {
      const bytes = new Uint8Array(await readUserFile(model, 'model'));
      if (isProgram(bytes)) {
        const summary = summarizeProgram(bytes, model);
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderProgramSummary(summary)}\n`);
        return;
      }
      const report = inspectModel(model);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
    });
}
function tensorCell(t: TensorReport): string {
  const q = t.scale ? ` s=${t.scale.length > 1 ? `[${t.scale.length} ch]` : t.scale[0]!.toPrecision(4)} zp=${t.zeroPoint!.length > 1 ? '…' : t.zeroPoint![0]}` : '';
  return `t${t.index} ${t.dtype}[${t.shape.join('x')}]${t.constant ? ' const' : q}`;
}

function renderReport(r: InspectReport): string {
  const rows = r.ops.map((op) => [
    op.index,
    `${op.op} v${op.version}`,
    op.inputs.filter((t) => !t.constant).map(tensorCell).join(', '),
    op.outputs.map(tensorCell).join(', '),
    op.macs,
    op.weightBytes,
  ]);
  const t = r.totals;
  const lines = [
    `${r.model}: ${r.ops.length} ops, ${r.tensorCount} tensors, schema v${r.schemaVersion}${r.description ? ` (${r.description})` : ''}`,
    `inputs:  ${r.inputs.map(tensorCell).join(', ')}`,
    `outputs: ${r.outputs.map(tensorCell).join(', ')}`,
    '',
    formatTable(['#', 'op', 'activation inputs', 'outputs', 'MACs', 'weight bytes'], rows),
    '',
    `parameters          ${formatNumber(t.parameters)} (${formatBytes(t.weightBytes)})`,
    `MACs                ${formatNumber(t.macs)}`,
    `activation bytes    ${formatNumber(t.activationBytes)} (sum of all activation tensors)`,
    `largest activation  ${t.largestActivation ? `t${t.largestActivation.tensor} ${formatNumber(t.largestActivation.bytes)} B` : '-'}`,
    `peak live (naive)   ${formatNumber(t.peakLiveActivationBytes)} B at op ${t.peakAtOp}`,
    'error' in r.arena
      ? `planned arena       not compilable: ${r.arena.error}`
      : `planned arena       ${formatNumber(r.arena.bytes)} B (lower bound ${formatNumber(r.arena.lowerBound)} B)`,
  ];
  return lines.join('\n');
}
