// `cleave board [--json]`: the board this machine is (detected from device tree, nv_tegra_release and
// cpuinfo under CLEAVE_SYSFS_ROOT), its power meters with availability and reasons, thermal state and
// CPU frequency.
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import {
  cappedCpus,
  detectCurrentBoard,
  halContext,
  readCpuFreq,
  readThermalZones,
  readThrottleState,
  surveyMeters,
  type CpuFreqState,
  type MeterStatus,
  type ThermalZone,
} from '../../../hal';
import { formatTable } from '../table';

type Section<T> = ({ available: true } & T) | { available: false; reason: string };

/** A part of the report that may be missing on this machine: its error becomes the reason. */
async function section<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { available: true, ...(await read()) };
  } catch (err) {
    if (!(err instanceof CleaveError)) throw err;
    return { available: false, reason: err.message };
  }
}

function meterRow(m: MeterStatus): string[] {
  if (!m.available) return [m.name, m.kind, 'no', m.reason ?? ''];
  const r = m.reading!;
  const rails = r.rails.length > 1 || r.rails[0]?.name !== 'model' ? ` (${r.rails.map((x) => `${x.name} ${x.watts.toFixed(3)} W`).join(', ')})` : '';
  return [m.name, m.kind, 'yes', `${r.totalWatts.toFixed(3)} W ${m.kind}${rails}`];
}

export function register(program: Command): void {
  program
    .command('board')
    .description('show the detected board, its power meters (available or why not), thermal state and CPU clocks')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const ctx = halContext();
      const board = await detectCurrentBoard(ctx);
      const meters = await surveyMeters(board, { ctx });
      const best = meters.find((m) => m.available)?.name ?? null;
      const thermal = await section(async () => {
        const zones = await readThermalZones(ctx);
        return { zones, throttle: await readThrottleState(ctx, board.descriptor) };
      });
      const cpufreq = await section(async () => {
        const cpus = await readCpuFreq(ctx);
        return { cpus, capped: cappedCpus(cpus) };
      });
      const d = board.descriptor;
      if (opts.json) {
        const report = {
          board: { id: d.id, name: d.name, runtime: d.runtime, matched: board.matched.map((m) => ({ ...m.rule, text: m.text })) },
          root: ctx.root,
          meters,
          best,
          thermal,
          cpufreq,
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const lines = [
        `board    ${d.id}: ${d.name}`,
        `detected ${board.matched.map((m) => `${m.rule.source}${m.rule.field ? `.${m.rule.field}` : ''} ~ /${m.rule.pattern}/`).join(', ')}`,
        ...(ctx.root === '/' ? [] : [`root     ${ctx.root} (CLEAVE_SYSFS_ROOT)`]),
        '',
        formatTable(['meter', 'kind', 'available', 'reading or reason'], meters.map(meterRow)),
        '',
        `best meter  ${best ?? 'none'}`,
        `thermal     ${thermal.available ? thermalSummary(thermal.zones, thermal.throttle.reasons) : `unavailable: ${thermal.reason}`}`,
        `cpufreq     ${cpufreq.available ? cpufreqSummary(cpufreq.cpus, cpufreq.capped) : `unavailable: ${cpufreq.reason}`}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function thermalSummary(zones: ThermalZone[], throttled: string[]): string {
  const temps = zones.map((z) => `${z.type} ${z.celsius === undefined ? '?' : `${z.celsius.toFixed(1)} °C`}`).join(', ');
  return `${temps}; ${throttled.length ? `THROTTLING: ${throttled.join('; ')}` : 'not throttling'}`;
}

function cpufreqSummary(cpus: CpuFreqState[], capped: string[]): string {
  const governors = [...new Set(cpus.map((c) => c.governor))].join('/');
  const clocks = cpus.map((c) => c.currentKHz / 1000);
  return `${cpus.length} CPUs, governor ${governors}, ${Math.min(...clocks)}-${Math.max(...clocks)} MHz now${capped.length ? `; ${capped.join('; ')}` : ''}`;
}
