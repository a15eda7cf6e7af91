// CPU frequency scaling (/sys/devices/system/cpu/cpu*/cpufreq/): governor, current and limit clocks
// (all in kHz). Benchmarks want the `performance` governor and no cap below the hardware maximum.
import { CleaveError } from '../src/errors';
import { rooted, type HalContext } from './context';
import { boardPathExists, expandBoardPattern, readBoardInteger, readBoardText } from './sysfs';
import * as fs from 'node:fs/promises';

export interface CpuFreqState {
  cpu: number;
  governor: string;
  currentKHz: number;
  minKHz: number;
  maxKHz: number;
  /** The policy's ceiling; below maxKHz means something capped the clock. */
  scalingMaxKHz: number;
  availableGovernors: string[];
}

const CPUFREQ_PATTERN = '/sys/devices/system/cpu/cpu*/cpufreq';

async function cpufreqDirs(ctx: HalContext): Promise<{ cpu: number; dir: string }[]> {
  const dirs = (await expandBoardPattern(ctx, CPUFREQ_PATTERN))
    .map((dir) => ({ dir, m: /\/cpu(\d+)\/cpufreq$/.exec(dir) }))
    .filter((d): d is { dir: string; m: RegExpExecArray } => d.m !== null)
    .map((d) => ({ cpu: Number(d.m[1]), dir: d.dir }));
  if (dirs.length === 0) {
    throw new CleaveError('CPUFREQ_UNAVAILABLE', `no cpufreq at ${rooted(ctx, CPUFREQ_PATTERN)} (no frequency scaling driver, e.g. in a virtual machine)`);
  }
  return dirs;
}

export async function readCpuFreq(ctx: HalContext): Promise<CpuFreqState[]> {
  const states: CpuFreqState[] = [];
  for (const { cpu, dir } of await cpufreqDirs(ctx)) {
    const governorsFile = `${dir}/scaling_available_governors`;
    states.push({
      cpu,
      governor: (await readBoardText(ctx, `${dir}/scaling_governor`)).trim(),
      // scaling_cur_freq is the kernel's view; cpuinfo_cur_freq (hardware) is often root-only.
      currentKHz: await readBoardInteger(ctx, `${dir}/scaling_cur_freq`),
      minKHz: await readBoardInteger(ctx, `${dir}/cpuinfo_min_freq`),
      maxKHz: await readBoardInteger(ctx, `${dir}/cpuinfo_max_freq`),
      scalingMaxKHz: await readBoardInteger(ctx, `${dir}/scaling_max_freq`),
      availableGovernors: (await boardPathExists(ctx, governorsFile)) ? (await readBoardText(ctx, governorsFile)).trim().split(/\s+/) : [],
    });
  }
  return states.sort((a, b) => a.cpu - b.cpu);
}

/** CPUs whose policy ceiling sits below the hardware maximum. */
export function cappedCpus(states: CpuFreqState[]): string[] {
  return states.filter((s) => s.scalingMaxKHz < s.maxKHz).map((s) => `cpu${s.cpu} capped at ${s.scalingMaxKHz / 1000} MHz of ${s.maxKHz / 1000} MHz`);
}

/** Sets every CPU's governor (root only); errors name the file and the governors on offer. */
export async function setGovernor(ctx: HalContext, governor: string): Promise<void> {
  for (const state of await readCpuFreq(ctx)) {
    if (state.availableGovernors.length > 0 && !state.availableGovernors.includes(governor)) {
      throw new CleaveError('CPUFREQ_GOVERNOR', `cpu${state.cpu}: governor "${governor}" not offered (available: ${state.availableGovernors.join(', ')})`);
    }
    const file = rooted(ctx, `/sys/devices/system/cpu/cpu${state.cpu}/cpufreq/scaling_governor`);
    try {
      await fs.writeFile(file, `${governor}\n`);
    } catch (err) {
      throw new CleaveError('CPUFREQ_DENIED', `${file}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); setting the governor needs root`);
    }
  }
}
