// Runs one fuzz mutant as far as it goes (parse, compile, load, run) and counts how many got past
// each stage, so a fuzzer whose mutants all stop at the first check is visible. A typed CleaveError
// at any stage is a refusal; anything else (or a crash, which ends the process) is a failure.
import { CleaveError } from '../../src/errors';
import { compileGraph } from '../../src/compile/program';
import { readModel } from '../../src/model/reader';
import { Session, type SessionOptions } from '../../src/session';

export const STAGES = ['parse', 'compile', 'load', 'run'] as const;
export type Stage = (typeof STAGES)[number];

export interface StageCounts {
  mutants: number;
  /** How many mutants got past each stage. */
  passed: Record<Stage, number>;
  /** Errors that are not a CleaveError: each is a bug. */
  untyped: string[];
}

export const newCounts = (): StageCounts => ({ mutants: 0, passed: { parse: 0, compile: 0, load: 0, run: 0 }, untyped: [] });

export function addCounts(into: StageCounts, from: StageCounts): void {
  into.mutants += from.mutants;
  for (const s of STAGES) into.passed[s] += from.passed[s];
  into.untyped.push(...from.untyped);
}

/** "12000 mutants: 11873 past parse, 9 past compile, ..." (only the stages the mutants start before). */
export function formatCounts(c: StageCounts, stages: readonly Stage[] = STAGES): string {
  return `${c.mutants} mutants: ${stages.map((s) => `${c.passed[s]} past ${s}`).join(', ')}; ${c.untyped.length} untyped errors`;
}

/**
 * Lets deferred work run: Session#dispose() frees the native session on the microtask queue (after
 * the runs already queued), so a synchronous loop of mutants would hold every session's memory.
 */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The kernel set for mutant i when mutation kinds cycle with period `kinds`: alternate per cycle,
 * so every kind meets both the reference kernels and the host's optimized ones.
 */
export const kernelsFor = (i: number, kinds: number): SessionOptions['kernels'] => (Math.floor(i / kinds) % 2 ? 'reference' : 'auto');

export interface MutantOptions {
  kernels?: SessionOptions['kernels'];
}

/** A .tflite mutant through every stage. */
export function fuzzModelMutant(bytes: Uint8Array, source: string, counts: StageCounts, options: MutantOptions = {}): void {
  counts.mutants++;
  attempt(counts, source, () => {
    const graph = readModel(bytes, source);
    counts.passed.parse++;
    const program = compileGraph(graph).bytes;
    counts.passed.compile++;
    loadAndRun(program, source, counts, options);
  });
}

/** A Program mutant from the load stage on. */
export function fuzzProgramMutant(bytes: Uint8Array, source: string, counts: StageCounts, options: MutantOptions = {}): void {
  counts.mutants++;
  attempt(counts, source, () => loadAndRun(bytes, source, counts, options));
}

function loadAndRun(program: Uint8Array, source: string, counts: StageCounts, options: MutantOptions): void {
  const session = Session.fromBytes(program, source, { threads: 1, kernels: options.kernels ?? 'reference' });
  try {
    counts.passed.load++;
    session.runSync(session.inputs.map((x) => new Uint8Array(x.byteLength)));
    counts.passed.run++;
  } finally {
    session.dispose();
  }
}

function attempt(counts: StageCounts, source: string, body: () => void): void {
  try {
    body();
  } catch (err) {
    if (!(err instanceof CleaveError)) counts.untyped.push(`${source}: ${(err as Error).stack ?? String(err)}`);
  }
}
