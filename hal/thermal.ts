// Thermal zones (/sys/class/thermal/thermal_zone*/): `type`, `temp` in m°C, and trip points
// `trip_point_{n}_type` (passive, active, hot, critical) / `trip_point_{n}_temp`. A zone at or above a
// passive trip is being throttled by the kernel. Raspberry Pi firmware also reports its own throttling
// through `vcgencmd get_throttled`, used when the board descriptor asks for it.
import { CleaveError } from '../src/errors';
import type { BoardDescriptor } from './boards/descriptor';
import { runCommand } from './command';
import { rooted, type HalContext } from './context';
import { expandBoardPattern, listBoardDir, readBoardInteger, readBoardText } from './sysfs';

export interface TripPoint {
  type: string;
  celsius: number;
}

export interface ThermalZone {
  zone: string;
  type: string;
  /** Undefined when the sensor cannot be read (powered-down domains answer EINVAL/ENODATA). */
  celsius?: number;
  error?: string;
  trips: TripPoint[];
}

export interface ThrottleState {
  throttled: boolean;
  reasons: string[];
}

export async function readThermalZones(ctx: HalContext): Promise<ThermalZone[]> {
  const dirs = await expandBoardPattern(ctx, '/sys/class/thermal/thermal_zone*');
  if (dirs.length === 0) {
    throw new CleaveError('THERMAL_UNAVAILABLE', `no thermal zones at ${rooted(ctx, '/sys/class/thermal/thermal_zone*')}`);
  }
  const zones: ThermalZone[] = [];
  for (const dir of dirs) {
    const zone: ThermalZone = { zone: dir.slice(dir.lastIndexOf('/') + 1), type: (await readBoardText(ctx, `${dir}/type`)).trim(), trips: [] };
    try {
      zone.celsius = (await readBoardInteger(ctx, `${dir}/temp`)) / 1000;
    } catch (err) {
      if (!(err instanceof CleaveError)) throw err;
      zone.error = err.message;
    }
    for (const entry of await listBoardDir(ctx, dir)) {
      const m = /^trip_point_(\d+)_type$/.exec(entry);
      if (!m) continue;
      zone.trips.push({
        type: (await readBoardText(ctx, `${dir}/${entry}`)).trim(),
        celsius: (await readBoardInteger(ctx, `${dir}/trip_point_${m[1]}_temp`)) / 1000,
      });
    }
    zones.push(zone);
  }
  return zones;
}

/** Zones at or above their lowest passive trip point (where the kernel starts cutting clocks). */
export function throttledZones(zones: ThermalZone[], only?: string[]): string[] {
  const reasons: string[] = [];
  for (const z of zones) {
    if (only && !only.includes(z.type)) continue;
    const passive = z.trips.filter((t) => t.type === 'passive').map((t) => t.celsius);
    if (z.celsius === undefined || passive.length === 0) continue;
    const limit = Math.min(...passive);
    if (z.celsius >= limit) reasons.push(`${z.type} at ${z.celsius.toFixed(1)} °C, at or above its passive trip point ${limit.toFixed(1)} °C`);
  }
  return reasons;
}

const GET_THROTTLED_BITS: [number, string][] = [
  [0, 'under-voltage now'],
  [1, 'ARM frequency capped now'],
  [2, 'throttled now'],
  [3, 'soft temperature limit active now'],
  [16, 'under-voltage has occurred'],
  [17, 'ARM frequency capping has occurred'],
  [18, 'throttling has occurred'],
  [19, 'soft temperature limit has occurred'],
];

/** `throttled=0x50005` (vcgencmd get_throttled) into its named bits; bits 0-3 are "now". */
export function parseGetThrottled(output: string): { now: string[]; past: string[] } {
  const m = /throttled=(0x[0-9a-fA-F]+)/.exec(output);
  if (!m) throw new CleaveError('THERMAL_GARBLED', `vcgencmd get_throttled: unexpected output ${JSON.stringify(output.trim().slice(0, 80))}`);
  const value = Number.parseInt(m[1]!, 16);
  const now: string[] = [];
  const past: string[] = [];
  for (const [bit, text] of GET_THROTTLED_BITS) if (value & (1 << bit)) (bit < 16 ? now : past).push(text);
  return { now, past };
}

/** Is the board throttling now, and why: passive trips crossed, plus the firmware's own report. */
export async function readThrottleState(ctx: HalContext, board: BoardDescriptor): Promise<ThrottleState> {
  const reasons = throttledZones(await readThermalZones(ctx), board.thermal?.zones);
  if (board.thermal?.throttleReport === 'vcgencmd-get-throttled') {
    const out = await runCommand(ctx, 'vcgencmd', ['get_throttled']);
    reasons.push(...parseGetThrottled(out.stdout).now.map((r) => `firmware: ${r}`));
  }
  return { throttled: reasons.length > 0, reasons };
}
