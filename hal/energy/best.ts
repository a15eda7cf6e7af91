// Choosing the meter to use: the board descriptor lists its measured sources in order of preference;
// the first that reads successfully wins, and the power model is the labelled fallback.
import { CleaveError } from '../../src/errors';
import type { BoardDescriptor, PowerSource } from '../boards/descriptor';
import type { Board } from '../boards/detect';
import { halContext, type HalContext } from '../context';
import { openEnergyMeter, openPowerMeter, unreadableReason, type DriverOptions } from '../power/registry';
import type { EnergyMeter, MeterKind, PowerReading } from '../power/types';
import { ESTIMATED_METER, EstimatedEnergyMeter, EstimatedPowerMeter } from './estimated';
import { readCpuTimes } from './proc-stat';

export interface MeterStatus {
  /** Meter name (its driver id, or `power-model` for the estimate). */
  name: string;
  kind: MeterKind;
  available: boolean;
  /** Why not, when unavailable: names the file, command or permission. */
  reason?: string;
  /** A sample reading, when available and the survey asked for one. */
  reading?: PowerReading;
}

export interface SurveyOptions extends DriverOptions {
  ctx?: HalContext;
}

function descriptorOf(board: Board | BoardDescriptor): BoardDescriptor {
  return 'descriptor' in board ? board.descriptor : board;
}

/** The estimate applies only where cleave's Linux runtime runs, because it reads that machine's /proc/stat. */
function hasEstimate(d: BoardDescriptor): boolean {
  return d.power.model !== undefined && d.runtime === 'linux';
}

function noEstimateReason(d: BoardDescriptor): string {
  return d.power.model ? `${d.id} runs firmware; its power model is for planning and cannot be applied from this machine` : `${d.id} has no power model`;
}

async function probeSource(ctx: HalContext, source: PowerSource, options: DriverOptions): Promise<MeterStatus> {
  const unreadable = unreadableReason(source);
  if (unreadable) return { name: source.driver, kind: 'measured', available: false, reason: unreadable };
  const meter = openPowerMeter(ctx, source, options);
  try {
    return { name: meter.name, kind: meter.kind, available: true, reading: await meter.read() };
  } catch (err) {
    if (!(err instanceof CleaveError)) throw err;
    return { name: meter.name, kind: meter.kind, available: false, reason: err.message };
  } finally {
    await meter.close();
  }
}

/** Every meter the board describes, each with availability and a reading or the reason it has none. */
export async function surveyMeters(board: Board | BoardDescriptor, options: SurveyOptions = {}): Promise<MeterStatus[]> {
  const d = descriptorOf(board);
  const ctx = options.ctx ?? halContext();
  const statuses: MeterStatus[] = [];
  for (const source of d.power.sources) statuses.push(await probeSource(ctx, source, options));
  if (d.power.model) {
    if (!hasEstimate(d)) {
      statuses.push({ name: ESTIMATED_METER, kind: 'estimated', available: false, reason: noEstimateReason(d) });
    } else {
      const meter = new EstimatedPowerMeter(ctx, d.power.model);
      try {
        statuses.push({ name: meter.name, kind: meter.kind, available: true, reading: await meter.read() });
      } catch (err) {
        if (!(err instanceof CleaveError)) throw err;
        statuses.push({ name: meter.name, kind: meter.kind, available: false, reason: err.message });
      }
    }
  }
  return statuses;
}

export interface BestEnergyMeter extends EnergyMeter {
  /** Meters passed over before this one, with why. */
  readonly skipped: { name: string; reason: string }[];
}

/**
 * The best available energy meter for the board: its first measured source that reads, else the
 * estimate from its power model. Throws a CleaveError listing every reason when there is none.
 */
export async function openBestEnergyMeter(board: Board | BoardDescriptor, options: SurveyOptions = {}): Promise<BestEnergyMeter> {
  const d = descriptorOf(board);
  const ctx = options.ctx ?? halContext();
  const skipped: { name: string; reason: string }[] = [];
  for (const source of d.power.sources) {
    const status = await probeSource(ctx, source, options);
    if (!status.available) {
      skipped.push({ name: status.name, reason: status.reason! });
      continue;
    }
    return Object.assign(openEnergyMeter(ctx, source, options), { skipped });
  }
  if (hasEstimate(d)) {
    try {
      await readCpuTimes(ctx);
      return Object.assign(new EstimatedEnergyMeter(ctx, d.power.model!, options.clock), { skipped });
    } catch (err) {
      if (!(err instanceof CleaveError)) throw err;
      skipped.push({ name: ESTIMATED_METER, reason: err.message });
    }
  } else {
    skipped.push({ name: ESTIMATED_METER, reason: noEstimateReason(d) });
  }
  throw new CleaveError('METER_UNAVAILABLE', `no energy meter available on ${d.id}:\n${skipped.map((s) => `  ${s.name}: ${s.reason}`).join('\n')}`);
}
