// Fixture trees (test/fixtures/boards/<board>/) as HAL contexts, and scratch copies tests may change.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { halContext, type HalContext } from '../../hal/context';

export const fixturesRoot = path.resolve(__dirname, '..', 'fixtures', 'boards');

/** Boards with a fixture tree: every Linux board cleave can run on. */
export const fixtureBoards = fs.readdirSync(fixturesRoot).filter((d) => fs.statSync(path.join(fixturesRoot, d)).isDirectory()).sort();

export function fixtureRoot(board: string): string {
  return path.join(fixturesRoot, board);
}

/** The board's fixture tree as root, its fake tools (bin/) alone on the search path. */
export function fixtureContext(board: string): HalContext {
  return halContext({ root: fixtureRoot(board), searchPath: path.join(fixtureRoot(board), 'bin') });
}

interface Teardown {
  teardown(fn: () => void): void;
}

/** A scratch copy of a fixture tree, removed when the test ends. */
export function scratchCopy(t: Teardown, board: string): { root: string; ctx: HalContext; file: (p: string) => string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cleave-hal-${board}-`));
  fs.cpSync(fixtureRoot(board), root, { recursive: true });
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return { root, ctx: halContext({ root, searchPath: path.join(root, 'bin') }), file: (p: string) => path.join(root, p) };
}

/** An empty root: a machine with none of the files. */
export function emptyRoot(t: Teardown): HalContext {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-hal-empty-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return halContext({ root, searchPath: path.join(root, 'bin') });
}

/** A clock the test moves by hand, so integrated joules are exact. */
export function manualClock(start = 0): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v) };
}

interface Asserts {
  ok(value: unknown, message: string): unknown;
}

/** Equal to within 1e-9 relative: sums of exact decimal products differ in the last bits of a double. */
export function near(t: Asserts, actual: number | undefined, expected: number, message: string): void {
  t.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${message}: ${actual} ≈ ${expected}`);
}
