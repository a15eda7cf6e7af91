// Acceptance 1 of #11 for the models too large to load over the emulated UART in a test's time:
// `cleave flash` builds the mps2-an385 image with the model's Program resident in it and boots it
// under QEMU; `cleave mcu run --port <pty>` finds the Program in the board's hello (same SHA-256),
// sends no Program byte, and gives the golden output byte for byte. A different Program on that
// board is loaded over serial as before.
import t from 'tap';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { McuDevice } from '../../src/mcu/device';
import { programSha256 } from '../../src/mcu/protocol';
import { cleave, repoRoot } from '../lib/cli';
import { goldenCase, toolsPresent } from './emulated';

// The shipped models `cleave mcu run` does not load over serial in run.test.ts.
const RESIDENT_MODELS = ['mlperf_tiny_vww', 'tflm_person_detect', 'mlperf_tiny_ad'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-resident-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface FlashedBoard {
  serialPath: string;
  pid: number;
  program: { sha256: string } | null;
  child: ChildProcess;
}

/** Runs `cleave flash --json` for an emulated board until it prints its summary line; stopped when the test ends. */
function flashEmulated(t: Tap.Test, args: string[]): Promise<FlashedBoard> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cleave'), 'flash', '--json', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    let stdout = '', stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve({ ...JSON.parse(stdout.slice(0, nl)), child });
    });
    void exited.then((code) => reject(new Error(`cleave flash exited with ${code} before printing its summary:\n${stderr}`)));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const name of RESIDENT_MODELS) {
  t.test(`${name}: flashed onto the emulated Cortex-M3, run without loading, golden byte for byte`, async (t) => {
    if (!toolsPresent(t)) return;
    t.setTimeout(6 * 60_000);
    const golden = goldenCase(name);
    const board = await flashEmulated(t, ['--board', 'mps2-an385', '--program', golden.model.file]);
    t.match(board.serialPath, /^\/dev\/pts\/\d+$/, 'the serial pty is printed');
    const out = path.join(tmp, `${name}.bin`);
    const r = cleave(['mcu', 'run', golden.model.file, '--port', board.serialPath, ...golden.inputFiles.flatMap((f) => ['--input', f]), '--output', out, '--json'], { timeout: 5 * 60_000 });
    t.equal(r.status, 0, r.stderr);
    if (r.status !== 0) return;
    const summary = JSON.parse(r.stdout);
    t.equal(summary.resident, true, 'the board already held the Program: nothing was loaded');
    t.same(fs.readFileSync(out), golden.outputs[0], `${name} (${golden.caseName}): output 0 is the golden one byte for byte`);
    summary.outputs.forEach((o: { values: number[] }, i: number) => {
      t.same(Buffer.from(Int8Array.from(o.values).buffer), golden.outputs[i], `${name}: output ${i} in --json`);
    });
    t.comment(`${name}: Program ${summary.programBytes} B resident, arena ${summary.arenaBytes} B, ${summary.latencyUs.mean.toFixed(0)} µs at 25 MHz`);

    board.child.kill('SIGTERM');
    const code = await new Promise((resolve) => board.child.once('exit', resolve));
    t.equal(code, 0, 'cleave flash exits 0 on SIGTERM');
    t.notOk(alive(board.pid), 'and QEMU is gone');
  });
}

t.test('another Program on a board with a resident one is loaded over serial', async (t) => {
  if (!toolsPresent(t)) return;
  t.setTimeout(5 * 60_000);
  const ad = goldenCase('mlperf_tiny_ad');
  const hello = goldenCase('tflm_hello_world');
  const board = await flashEmulated(t, ['--board', 'mps2-an385', '--program', ad.model.file]);
  t.equal(board.program?.sha256, programSha256(ad.program).toString('hex'), 'cleave flash names the resident Program by its SHA-256');
  const residentNow = async () => {
    const device = await McuDevice.open(board.serialPath, 115200);
    try {
      return (await device.hello()).residentSha256;
    } finally {
      await device.close();
    }
  };
  t.equal(await residentNow(), board.program?.sha256, "the board's hello reports it");
  const out = path.join(tmp, 'hello-over-ad.bin');
  const r = cleave(['mcu', 'run', hello.model.file, '--port', board.serialPath, '--input', hello.inputFiles[0]!, '--output', out, '--json'], { timeout: 3 * 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.equal(JSON.parse(r.stdout).resident, false, 'loaded over serial');
  t.same(fs.readFileSync(out), hello.outputs[0], 'golden output');
  t.equal(await residentNow(), null, 'the load over serial replaced the resident Program: hello no longer reports it');
});
