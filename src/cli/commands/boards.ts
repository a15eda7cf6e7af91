// `cleave boards [--json]`: every board descriptor cleave knows (boards/*.json).
import type { Command } from 'commander';
import { loadBoardCatalog, type BoardDescriptor } from '../../../hal';
import { formatTable } from '../table';

function cpuCell(b: BoardDescriptor): string {
  const cores = b.cpu.cores === undefined ? '' : `${b.cpu.cores}x `;
  const clock = b.cpu.clockMHz === undefined ? '' : ` @${b.cpu.clockMHz} MHz`;
  return `${cores}${b.cpu.core}${clock}`;
}

/** Board memory reads best in the unit vendors use: KiB for microcontrollers, GiB for Linux boards. */
function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} B`;
}

function memoryCell(b: BoardDescriptor): string {
  const parts: string[] = [];
  if (b.memory.ramBytes !== undefined) parts.push(`${formatBytes(b.memory.ramBytes)} RAM`);
  if (b.memory.flashBytes !== undefined) parts.push(`${formatBytes(b.memory.flashBytes)} flash`);
  return parts.join(', ') || '-';
}

function powerCell(b: BoardDescriptor): string {
  const sources: string[] = b.power.sources.map((s) => s.driver);
  if (b.power.model) sources.push('power-model (estimated)');
  return sources.join(', ') || '-';
}

export function register(program: Command): void {
  program
    .command('boards')
    .description('list the board descriptors (boards/*.json)')
    .option('--json', 'the full descriptors, machine-readable')
    .action((opts: { json?: boolean }) => {
      const boards = loadBoardCatalog();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(boards, null, 2)}\n`);
        return;
      }
      const rows = boards.map((b) => [b.id, b.runtime, b.cpu.arch, cpuCell(b), memoryCell(b), powerCell(b), b.emulation ? b.emulation.kind : '-']);
      process.stdout.write(`${formatTable(['board', 'runtime', 'arch', 'cpu', 'memory', 'power sources', 'emulation'], rows)}\n`);
    });
}
