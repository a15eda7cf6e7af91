// `cleave hil`: drives the boards of a HIL spec from this host. Each golden case runs once on the host
// (the whole model, every tensor kept: the reference) and once through the plan as deployed on the
// boards; every tensor that crosses a cut and every output is compared byte for byte, in segment
// order, so a wrong Program is reported at the first tensor it got wrong. A board that stops
// answering is reported as gone, not as a wrong output, and the cases after it as not run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodecName } from '../codec';
import { CleaveError } from '../errors';
import { Pipeline, type PipelineResult } from '../pipeline/runner';
import type { PlanFile } from '../segments/plan';
import { readPlan } from '../segments/plan';
import { load, type TensorData } from '../session';
import { percentile } from '../stats';
import { describeEndpoint, parseEndpoint } from '../transport/endpoint';
import { startServedSegment, type ServedSegment } from './serve-board';
import type { HilSpec, LatencyBudget } from './spec';

export interface TensorMismatch {
  segment: number;
  board: string;
  tensor: number;
  name: string;
  /** First differing byte, and how many differ. */
  byteOffset: number;
  got: number;
  want: number;
  differingBytes: number;
  bytes: number;
}

export type CaseOutcome =
  | { kind: 'pass'; tensorsChecked: number; endToEndMs: number }
  | ({ kind: 'mismatch'; endToEndMs: number } & TensorMismatch)
  | { kind: 'gone'; board: string; message: string }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'not-run'; reason: string };

export interface CaseResult {
  name: string;
  outcome: CaseOutcome;
}

export interface BudgetResult {
  name: string;
  /** Undefined when the budget could not be checked (`detail` says why). */
  ok?: boolean;
  detail: string;
}

export interface HilResult {
  spec: HilSpec;
  /** Segment -> board name, "host" for segments run here. */
  placement: string[];
  cases: CaseResult[];
  budgets: BudgetResult[];
  passed: boolean;
  durationMs: number;
}

export interface HilEvents {
  /** A line of progress for a person (deploying, a case's outcome). */
  onProgress?: (line: string) => void;
}

const OUTAGES = new Set(['WIRE_UNREACHABLE', 'WIRE_RETRIES_EXHAUSTED']);

const bytesOf = (t: TensorData) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);

function compareTensor(got: Buffer, want: Buffer): Pick<TensorMismatch, 'byteOffset' | 'got' | 'want' | 'differingBytes' | 'bytes'> | null {
  if (got.length === want.length && got.equals(want)) return null;
  let first = -1;
  let differing = Math.abs(got.length - want.length);
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    if (got[i] !== want[i]) {
      if (first < 0) first = i;
      differing++;
    }
  }
  if (first < 0) first = Math.min(got.length, want.length);
  return { byteOffset: first, got: got[first] ?? -1, want: want[first] ?? -1, differingBytes: differing, bytes: want.length };
}

/** The first tensor, in segment order, where the boards' run departs from the reference. */
function firstMismatch(plan: PlanFile, placement: string[], result: PipelineResult, reference: Map<number, Uint8Array>): TensorMismatch | { checked: number } {
  let checked = 0;
  for (const seg of plan.segments) {
    for (const t of seg.outputs) {
      const want = reference.get(t.tensor);
      const got = result.tensors?.get(t.tensor);
      if (!want || !got) throw new CleaveError('HIL_SPEC_INVALID', `tensor ${t.tensor} ("${t.name}") of segment ${seg.index} is missing from the ${want ? 'boards\' run' : 'reference run'}: is the spec's model the one the plan was split from?`);
      checked++;
      const diff = compareTensor(bytesOf(got), Buffer.from(want.buffer, want.byteOffset, want.byteLength));
      if (diff) return { segment: seg.index, board: placement[seg.index]!, tensor: t.tensor, name: t.name, ...diff };
    }
  }
  return { checked };
}

function readCase(dir: string, inputIndices: number[]): Uint8Array[] {
  return inputIndices.map((i) => {
    const file = path.join(dir, `t${i}.bin`);
    try {
      return new Uint8Array(fs.readFileSync(file));
    } catch {
      throw new CleaveError('FILE_NOT_FOUND', `${file}: golden case input t${i}.bin cannot be read`);
    }
  });
}

function latencyBudgets(budget: LatencyBudget | undefined, latencies: number[]): BudgetResult[] {
  if (!budget) return [];
  const sorted = [...latencies].sort((a, b) => a - b);
  return (Object.entries(budget) as [keyof LatencyBudget, number][]).map(([key, limit]) => {
    const name = `end-to-end latency ${key} <= ${limit} ms`;
    if (sorted.length === 0) return { name, detail: 'no case completed, nothing to measure' };
    const value = percentile(sorted, Number(key.slice(1)) / 100);
    return { name, ok: value <= limit, detail: `${key} ${value.toFixed(2)} ms over ${sorted.length} case(s)` };
  });
}

/** Starts the boards the spec deploys itself; returns segment -> address for the pipeline. */
async function deployBoards(spec: HilSpec, plan: PlanFile, served: ServedSegment[], events: HilEvents): Promise<Record<number, string>> {
  const remotes: Record<number, string> = {};
  for (const board of spec.boards) {
    if (board.segment >= plan.segments.length) {
      throw new CleaveError('HIL_SPEC_INVALID', `${spec.file}: board "${board.name}" serves segment ${board.segment}, but ${spec.plan} has segments 0..${plan.segments.length - 1}`);
    }
    if (board.deploy === 'serve') {
      events.onProgress?.(`deploying segment ${board.segment} to ${board.name} (cleave serve on this host)…`);
      const s = await startServedSegment(spec.plan, board.segment, spec.token);
      served.push(s);
      remotes[board.segment] = s.address;
    } else {
      remotes[board.segment] = board.address!;
    }
  }
  return remotes;
}

export async function runHil(spec: HilSpec, events: HilEvents = {}): Promise<HilResult> {
  const started = performance.now();
  const plan = await readPlan(spec.plan);
  const served: ServedSegment[] = [];
  const cases: CaseResult[] = [];
  const placement = plan.segments.map(() => 'host');
  const reference = await load(spec.model, { threads: 1 });
  let boards: Pipeline | null = null;
  try {
    const remotes = await deployBoards(spec, plan, served, events);
    const boardByPeer = new Map<string, string>();
    for (const b of spec.boards) {
      placement[b.segment] = b.name;
      boardByPeer.set(describeEndpoint(parseEndpoint(remotes[b.segment]!, `board ${b.name} address`), false), b.name);
    }
    const goneBoard = (err: CleaveError) => [...boardByPeer].find(([peer]) => err.message.includes(peer))?.[1] ?? 'a board';
    const inputIndices = reference.inputs.map((t) => t.index);
    let gone: string | null = null;
    try {
      boards = await Pipeline.open(spec.plan, {
        remotes, token: spec.token, codec: spec.codec as CodecName | undefined, timeoutMs: spec.timeoutMs, keepTensors: true,
        retries: 1, reconnectAttempts: 3,
      });
    } catch (err) {
      if (!(err instanceof CleaveError) || !OUTAGES.has(err.code)) throw err;
      gone = goneBoard(err);
      events.onProgress?.(`board ${gone} is gone: ${err.message}`);
    }
    for (const dir of spec.cases) {
      const name = path.basename(dir);
      if (gone !== null) {
        cases.push({ name, outcome: { kind: 'not-run', reason: `board ${gone} is gone` } });
        continue;
      }
      const inputs = readCase(dir, inputIndices);
      reference.resetState();
      const want = await reference.runDetailed(inputs, { dump: true });
      let outcome: CaseOutcome;
      try {
        const got = await boards!.run(inputs);
        const m = firstMismatch(plan, placement, got, want.dumps!);
        outcome = 'checked' in m ? { kind: 'pass', tensorsChecked: m.checked, endToEndMs: got.endToEndMs } : { kind: 'mismatch', endToEndMs: got.endToEndMs, ...m };
      } catch (err) {
        if (!(err instanceof CleaveError)) throw err;
        if (OUTAGES.has(err.code)) {
          gone = goneBoard(err);
          outcome = { kind: 'gone', board: gone, message: err.message };
        } else {
          outcome = { kind: 'error', code: err.code, message: err.message };
        }
      }
      cases.push({ name, outcome });
      events.onProgress?.(`${name}: ${outcome.kind}`);
    }
  } finally {
    reference.dispose();
    await boards?.close();
    await Promise.all(served.map((s) => s.stop()));
  }
  const latencies = cases.flatMap((c) => (c.outcome.kind === 'pass' || c.outcome.kind === 'mismatch' ? [c.outcome.endToEndMs] : []));
  const budgets = latencyBudgets(spec.budgets.latencyMs, latencies);
  const passed = cases.length > 0 && cases.every((c) => c.outcome.kind === 'pass') && budgets.every((b) => b.ok !== false);
  return { spec, placement, cases, budgets, passed, durationMs: performance.now() - started };
}
