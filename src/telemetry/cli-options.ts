// The `--telemetry` options every command that runs models takes, and the Telemetry they open.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Option } from 'commander';
import { detectCurrentBoard } from '../../hal';
import { crc32 } from '../compile/crc32';
import { CleaveError } from '../errors';
import type { RunDetails } from '../session';
import { stagesOfRun, type TelemetrySource } from './record';
import { parseTelemetryTarget, type TelemetryTarget } from './target';
import { DEFAULT_SAMPLE_RATE, deviceName, openSinks, Telemetry } from './telemetry';

export interface TelemetryFlags {
  telemetry?: TelemetryTarget[];
  telemetrySample?: string;
  telemetryCa?: string;
}

/** `--telemetry <target>`, repeatable. */
export function telemetryOption(): Option {
  return new Option('--telemetry <target>', 'send latency/energy telemetry to mqtt://HOST:PORT[/fleet] (mqtts:// for TLS), serial:PATH[@BAUD] or file:PATH (repeatable)')
    .argParser((v: string, acc: TelemetryTarget[] | undefined) => [...(acc ?? []), parseTelemetryTarget(v)]);
}

export function telemetrySampleOption(): Option {
  return new Option('--telemetry-sample <rate>', 'fraction of telemetry records sent (summaries count all)').default(String(DEFAULT_SAMPLE_RATE));
}

export function telemetryCaOption(): Option {
  return new Option('--telemetry-ca <pem>', 'CA certificate of an mqtts:// telemetry broker');
}

/**
 * Where this run's records come from: $CLEAVE_DEVICE or the host name, the detected board ('' when
 * none matches), the model file and its CRC-32, and for a plan its directory's name as plan id.
 */
export async function telemetrySourceOf(modelPath: string): Promise<TelemetrySource> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(modelPath);
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${modelPath}: cannot read: ${(err as Error).message}`);
  }
  const board = await detectCurrentBoard().then((b) => b.descriptor.id, () => '');
  const isPlan = modelPath.endsWith('.json');
  return {
    device: deviceName(),
    board,
    model: path.basename(modelPath),
    programHash: crc32(bytes).toString(16).padStart(8, '0'),
    planId: isPlan ? path.basename(path.dirname(path.resolve(modelPath))) : null,
  };
}

/** The Telemetry of `--telemetry` flags, or undefined when none was given. */
export async function openTelemetry(flags: TelemetryFlags, modelPath: string): Promise<Telemetry | undefined> {
  if (!flags.telemetry?.length) return undefined;
  const sampleRate = Number(flags.telemetrySample ?? DEFAULT_SAMPLE_RATE);
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new CleaveError('BAD_ARGUMENT', `--telemetry-sample must be between 0 and 1, got "${flags.telemetrySample}"`);
  const source = await telemetrySourceOf(modelPath);
  const sinks = await openSinks(flags.telemetry, { device: source.device, tls: flags.telemetryCa ? { caFile: flags.telemetryCa } : undefined });
  return new Telemetry(source, sinks, { sampleRate });
}

/** One `compute` record per run; `energyPerRun` is a meter window's mean when the runner did not meter each run. */
export function recordRuns(telemetry: Telemetry, runs: Pick<RunDetails, 'micros' | 'energy' | 'outputs'>[], energyPerRun?: Parameters<typeof stagesOfRun>[1]): void {
  for (const run of runs) telemetry.record(stagesOfRun(run, energyPerRun));
}
