// The lab's state file (lab.json in the state folder): what `cleave lab up` started, so that `status`
// and `down` find it from another process. A process is known by its pid and a piece of its command
// line, so that a pid reused by an unrelated process is never taken for (or killed as) a lab device.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import type { LabDeviceKind } from './config';

export interface LabProcess {
  pid: number;
  /** A substring of /proc/PID/cmdline (NULs as spaces) that the lab's process has. */
  match: string;
}

export interface LabDeviceState {
  name: string;
  kind: LabDeviceKind;
  segment?: number;
  /** The process `down` stops (a process group leader: its children go with it). */
  process: LabProcess;
  /** Processes under it worth listing (QEMU under the MCU's keeper). */
  children: LabProcess[];
  board?: string;
  /** The MCU's UART pty. */
  serial?: string;
  /** Where the device serves its segment over the wire protocol: HOST:PORT. */
  address?: string;
  /** The Pi's network namespace and the host end of its veth pair. */
  namespace?: string;
  hostIf?: string;
  mbit?: number;
  log: string;
}

export interface LabState {
  version: 1;
  startedAt: string;
  config: string;
  model: string;
  plan: string;
  /** False when links are loopback without tbf (not root, or no iproute2). */
  shaped: boolean;
  devices: LabDeviceState[];
}

export function defaultStateDir(): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime ? path.join(runtime, 'cleave-lab') : path.join(os.tmpdir(), `cleave-lab-${process.getuid?.() ?? 'user'}`);
}

export const stateFile = (dir: string) => path.join(dir, 'lab.json');

export function readLabState(dir: string): LabState | null {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(dir), 'utf8');
  } catch {
    return null;
  }
  try {
    return JSON.parse(text) as LabState;
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${stateFile(dir)}: damaged lab state (${(err as Error).message}): remove it, after stopping what it lists by hand`);
  }
}

/** Written whole and renamed, so a reader never sees half a file. */
export function writeLabState(dir: string, state: LabState): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${stateFile(dir)}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, stateFile(dir));
}

export function isAlive(p: LabProcess): boolean {
  try {
    return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(p.match);
  } catch {
    return false;
  }
}
