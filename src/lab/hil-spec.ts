// The HIL spec of an emulated lab (docs/hil.md format): the lab's model as the reference, its plan,
// and for each segment the first device of the lab that serves it over the wire protocol, by address.
// Segments no such device serves run on the checking host, and are named so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { LabState } from './state';

export interface LabHilSpec {
  spec: Record<string, unknown>;
  /** Segments that the spec leaves to the checking host (no wire-speaking lab device serves them). */
  onHost: number[];
}

export function labHilSpec(state: LabState, segments: number): LabHilSpec {
  const boards: { name: string; segment: number; address: string }[] = [];
  for (const d of state.devices) {
    if (d.address === undefined || d.segment === undefined || boards.some((b) => b.segment === d.segment)) continue;
    boards.push({ name: d.name, segment: d.segment, address: d.address });
  }
  const onHost = Array.from({ length: segments }, (_, k) => k).filter((k) => !boards.some((b) => b.segment === k));
  return {
    spec: { name: 'cleave-lab', model: state.model, plan: state.plan, cases: path.dirname(state.model), timeoutMs: 60_000, boards },
    onHost,
  };
}

/** Writes the spec as YAML, or JSON for a .json name; paths in it are absolute. */
export function writeLabHilSpec(file: string, spec: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, /\.json$/i.test(file) ? `${JSON.stringify(spec, null, 2)}\n` : toYaml(spec));
}
