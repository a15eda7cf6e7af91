// CPU utilization from /proc/stat. The `cpu` line holds jiffies since boot:
//   cpu  user nice system idle iowait irq softirq steal guest guest_nice
// guest time is already inside user/nice, so it is not added again. One `cpuN` line per online CPU.
import { CleaveError } from '../../src/errors';
import { rooted, type HalContext } from '../context';
import { readBoardText } from '../sysfs';

export interface CpuTimes {
  /** Jiffies spent doing work (user, nice, system, irq, softirq, steal). */
  busy: number;
  /** busy + idle + iowait. */
  total: number;
  /** Online CPUs (cpuN lines). */
  cpus: number;
}

export function parseProcStat(text: string, file: string): CpuTimes {
  const lines = text.split('\n');
  const all = lines.find((l) => /^cpu\s/.test(l));
  const cpus = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  const fields = all?.trim().split(/\s+/).slice(1).map(Number);
  if (!fields || fields.length < 4 || fields.some((n) => !Number.isFinite(n) || n < 0) || cpus === 0) {
    throw new CleaveError('SYSFS_GARBLED', `${file}: no valid "cpu" and "cpuN" lines (found ${JSON.stringify((all ?? lines[0] ?? '').slice(0, 80))})`);
  }
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, cpus };
}

export async function readCpuTimes(ctx: HalContext): Promise<CpuTimes> {
  return parseProcStat(await readBoardText(ctx, '/proc/stat'), rooted(ctx, '/proc/stat'));
}

/** Busy cores between two snapshots: utilization x online CPUs (2 CPUs at 50% = 1 busy core). */
export function busyCoresBetween(a: CpuTimes, b: CpuTimes, file: string): number {
  const total = b.total - a.total;
  if (total <= 0) {
    throw new CleaveError('METER_UNAVAILABLE', `${file}: CPU time did not advance between two readings, so utilization is unknown`);
  }
  return ((b.busy - a.busy) / total) * b.cpus;
}
