// person_detect split in two for the pipeline tests: the plan, the golden cases with the whole model's
// outputs, and `cleave serve` as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readModelFile } from '../../src/model/reader';
import { writePlan } from '../../src/segments/plan';
import { load } from '../../src/session';
import { packageRoot } from '../../src/paths';
import { modelsRoot } from './models';

export const personDetectDir = path.join(modelsRoot, 'tflm_person_detect');
/** After op 9: a 9,216-byte int8 tensor crosses the cut. */
export const MIDDLE_CUT = 10;

export interface Case {
  name: string;
  input: Int8Array;
  /** The whole model's output, run here in one Session. */
  expected: Buffer;
}

/** Writes DIR/plan.json splitting person_detect at `cut`. */
export async function splitPersonDetect(dir: string, cut = MIDDLE_CUT): Promise<string> {
  await writePlan(readModelFile(path.join(personDetectDir, 'model.tflite')), [cut], dir);
  return path.join(dir, 'plan.json');
}

export async function personDetectCases(): Promise<Case[]> {
  const whole = await load(path.join(personDetectDir, 'model.tflite'), { threads: 1 });
  const names = fs.readdirSync(personDetectDir).filter((d) => fs.existsSync(path.join(personDetectDir, d, 't88.bin'))).sort();
  const cases: Case[] = [];
  for (const name of names) {
    const input = new Int8Array(fs.readFileSync(path.join(personDetectDir, name, 't88.bin')));
    const [out] = await whole.run(input);
    cases.push({ name, input, expected: Buffer.from(out!.buffer, out!.byteOffset, out!.byteLength) });
  }
  whole.dispose();
  return cases;
}

export const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export interface ServedChild {
  child: ChildProcess;
  port: number;
  status: string;
  /** Everything the child wrote so far. */
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `cleave serve ARGS --listen HOST:PORT` and waits for its status line; `prefix` runs it through
 * another command (`ip netns exec NS`).
 */
export function serveChild(args: string[], port = 0, host = '127.0.0.1', prefix: string[] = []): Promise<ServedChild> {
  const command = [...prefix, process.execPath, path.join(packageRoot, 'bin', 'cleave'), 'serve', ...args, '--listen', `${host}:${port}`];
  const child = spawn(command[0]!, command.slice(1), { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cleave serve printed no status line in 20 s: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^serving .* on tcp:\/\/[\d.]+:(\d+),.*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), status: m[0], stdout: () => out, stderr: () => err, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cleave serve exited with ${code} before serving: ${err}`));
    });
  });
}
