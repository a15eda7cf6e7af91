// Per-op profiles of a model on this machine: each op's latency from the interpreter's own per-op
// timing (session.profile), its energy where the board has a meter (apportioned to ops by their share
// of the time; labelled `estimated` when the meter is the board's power model), and the conditions
// that change those figures (governor, clock, temperature). The cost models (cost-model.ts) are
// fitted from these files, and the planner uses them as the measured costs of their board.
import * as path from 'node:path';
import { CleaveError } from '../errors';
import type { Graph } from '../model/graph';
import { opMacs } from '../model/analysis';
import { packageVersion } from '../paths';
import { type Session, load } from '../session';
import {
  type BoardDescriptor, type HalContext, detectBoard, halContext, loadBoardCatalog, findBoard, openBestEnergyMeter, readCpuFreq, readThermalZones,
} from '../../hal';
import { readBoardText } from '../../hal/sysfs';
import { measurementInputs } from './inputs';

export const PROFILE_FORMAT = 'cleave-profile';
export const PROFILE_VERSION = 1;

export type EnergyKind = 'measured' | 'estimated';

export interface OpRecord {
  op: number;
  opcode: string;
  kernel: string;
  /** Median over the profiled runs. */
  micros: number;
  macs: number;
  /** Activation bytes read and written plus constant bytes read. */
  bytes: number;
  /** The run's energy times this op's share of the run's time; absent when no meter was available. */
  joules?: number;
}

export interface Conditions {
  /** Governors of the CPUs, or null with `notes` saying why they could not be read. */
  governors: string[] | null;
  /** Mean of /proc/cpuinfo's "cpu MHz" while profiling, or null. */
  cpuMHz: number | null;
  /** The hottest readable thermal zone, or null. */
  temperatureC: number | null;
  notes: string[];
}

export interface Profile {
  format: typeof PROFILE_FORMAT;
  version: number;
  model: string;
  board: { id: string; name: string; cpu: BoardDescriptor['cpu'] };
  cleaveVersion: string;
  kernels: string;
  threads: number;
  repeat: number;
  inputs: string[];
  conditions: Conditions;
  energy: { kind: EnergyKind; meter: string; joulesPerInference: number } | { kind: 'none'; reason: string };
  totalMicros: number;
  ops: OpRecord[];
}

/** Bytes an op moves: activations in and out, and the constants it reads. */
export function opBytes(graph: Graph, opIndex: number): number {
  const op = graph.ops[opIndex]!;
  let bytes = 0;
  for (const t of [...op.inputs, ...op.outputs]) if (t >= 0) bytes += graph.tensors[t]!.byteLength;
  return bytes;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function readConditions(ctx: HalContext): Promise<Conditions> {
  const notes: string[] = [];
  const tryRead = async <T>(what: string, read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof CleaveError)) throw err;
      notes.push(`${what}: ${err.message}`);
      return null;
    }
  };
  const freq = await tryRead('governor', () => readCpuFreq(ctx));
  const zones = await tryRead('temperature', () => readThermalZones(ctx));
  const cpuinfo = await tryRead('clock', () => readBoardText(ctx, '/proc/cpuinfo'));
  const mhz = cpuinfo ? [...cpuinfo.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1])) : [];
  const temps = (zones ?? []).map((z) => z.celsius).filter((c): c is number => c !== undefined);
  return {
    governors: freq ? [...new Set(freq.map((f) => f.governor))] : null,
    cpuMHz: mhz.length ? mhz.reduce((a, b) => a + b, 0) / mhz.length : null,
    temperatureC: temps.length ? Math.max(...temps) : null,
    notes,
  };
}

export interface ProfileOptions {
  /** Board id to record; default: the board detected here. */
  board?: string;
  threads?: number;
  /** Profiled runs per input set (the median is kept). */
  repeat?: number;
  /** Input sets to run (golden cases or seeded random bytes). */
  inputSets?: number;
  /** Skip the energy measurement (tests, or where a window would disturb the machine). */
  energy?: boolean;
  ctx?: HalContext;
}

/** Profiles `graph` (read from `modelPath`) on this machine. */
export async function profileModel(graph: Graph, modelPath: string, options: ProfileOptions = {}): Promise<Profile> {
  const ctx = options.ctx ?? halContext();
  const repeat = options.repeat ?? 10;
  if (!Number.isInteger(repeat) || repeat < 1) throw new CleaveError('BAD_ARGUMENT', `repeat must be a positive integer, got ${repeat}`);
  const board = options.board ? findBoard(loadBoardCatalog(), options.board) : (await detectBoard(ctx, loadBoardCatalog())).descriptor;
  const threads = options.threads ?? 1;
  const sets = measurementInputs(graph, modelPath, options.inputSets ?? 2);
  const session: Session = await load(modelPath, { threads });
  try {
    const times: number[][] = graph.ops.map(() => []);
    let kernels: string[] = [];
    await session.run(sets[0]!.inputs); // the first run touches arena and weights for the first time
    for (const set of sets) {
      for (let r = 0; r < repeat; r++) {
        session.resetState();
        const { profile } = await session.runDetailed(set.inputs, { profile: true });
        if (!profile || profile.length !== graph.ops.length) {
          throw new CleaveError('INTERNAL', `${modelPath}: the interpreter timed ${profile?.length ?? 0} ops, the model has ${graph.ops.length}`);
        }
        profile.forEach((p, k) => times[k]!.push(p.micros));
        kernels = profile.map((p) => p.kernel);
      }
    }
    const conditions = await readConditions(ctx);
    const energy = options.energy === false ? { kind: 'none' as const, reason: 'not measured (energy: false)' } : await measureEnergy(session, sets[0]!.inputs, board, ctx, repeat * sets.length);
    const micros = times.map(median);
    const totalMicros = micros.reduce((a, b) => a + b, 0);
    const ops: OpRecord[] = graph.ops.map((op, k) => ({
      op: k,
      opcode: op.opcode,
      kernel: kernels[k]!,
      micros: micros[k]!,
      macs: opMacs(graph, op),
      bytes: opBytes(graph, k),
      ...(energy.kind !== 'none' && totalMicros > 0 ? { joules: (energy.joulesPerInference * micros[k]!) / totalMicros } : {}),
    }));
    return {
      format: PROFILE_FORMAT, version: PROFILE_VERSION, model: path.basename(modelPath),
      board: { id: board.id, name: board.name, cpu: board.cpu },
      cleaveVersion: packageVersion, kernels: session.kernels, threads, repeat,
      inputs: sets.map((s) => s.name), conditions, energy, totalMicros, ops,
    };
  } finally {
    session.dispose();
  }
}

async function measureEnergy(session: Session, inputs: Uint8Array[], board: BoardDescriptor, ctx: HalContext, runs: number): Promise<Profile['energy']> {
  let meter;
  try {
    meter = await openBestEnergyMeter(board, { ctx });
  } catch (err) {
    if (!(err instanceof CleaveError)) throw err;
    return { kind: 'none', reason: err.message };
  }
  try {
    const r = await session.measureEnergy(inputs, meter, Math.max(runs, 20));
    return { kind: r.reading.kind, meter: r.reading.name, joulesPerInference: r.joulesPerInference };
  } finally {
    await meter.close();
  }
}

/** Checks a profile read from a file (fields the planner relies on); names the file and field. */
export function validateProfile(file: string, value: unknown): Profile {
  const fail = (m: string): never => { throw new CleaveError('BAD_PROFILE', `${file}: ${m}`); };
  const p = value as Profile;
  if (!p || typeof p !== 'object' || p.format !== PROFILE_FORMAT) fail(`not a cleave profile (format is not "${PROFILE_FORMAT}")`);
  if (p.version !== PROFILE_VERSION) fail(`profile version ${p.version} is not supported (expected ${PROFILE_VERSION})`);
  if (!p.board || typeof p.board.id !== 'string' || !p.board.cpu) fail('board missing');
  if (!Array.isArray(p.ops) || p.ops.length === 0) fail('ops missing');
  p.ops.forEach((o, i) => {
    if (!o || typeof o.opcode !== 'string' || !(o.micros >= 0) || !(o.macs >= 0) || !(o.bytes >= 0)) fail(`ops[${i}] lacks opcode, micros, macs or bytes`);
  });
  return p;
}
