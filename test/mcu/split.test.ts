// MCU heads in plans: mlperf_tiny_kws and mlperf_tiny_ic split in two, the head on the emulated
// Cortex-M3 (`--remote 0=mcu:qemu:mps2-an385`), the tail here: the outputs are the golden ones.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readModelFile } from '../../src/model/reader';
import { pipeline } from '../../src/pipeline/runner';
import { readPlan, writePlan } from '../../src/segments/plan';
import { cleave } from '../lib/cli';
import { firmware, goldenCase, toolsPresent } from './emulated';

t.setTimeout(10 * 60_000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-mcu-split-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function splitInTwo(name: string): Promise<string> {
  const graph = readModelFile(goldenCase(name).model.file);
  const dir = path.join(tmp, name);
  await writePlan(graph, [Math.floor(graph.ops.length / 2)], dir);
  return path.join(dir, 'plan.json');
}

t.test('mlperf_tiny_ic: head on the emulated Cortex-M3, tail here (pipeline API)', async (t) => {
  if (!toolsPresent(t)) return;
  await firmware('mps2-an385');
  const golden = goldenCase('mlperf_tiny_ic');
  const planFile = await splitInTwo('mlperf_tiny_ic');
  const p = await pipeline(planFile, { remotes: { 0: 'mcu:qemu:mps2-an385' } });
  t.teardown(() => p.close());
  const r = await p.run(golden.inputs.map((b) => new Int8Array(b.buffer, b.byteOffset, b.byteLength)));
  t.same(Buffer.from(r.outputs[0]!.buffer, r.outputs[0]!.byteOffset, r.outputs[0]!.byteLength), golden.outputs[0], 'the output is the golden one');
  t.match(r.stages[0], { segment: 0, where: /^mcu:\/dev\/pts\/\d+$/ });
  t.ok(r.stages[0]!.computeMs > 0 && r.stages[0]!.wireMs! > 0, 'the MCU stage reports compute (SysTick) and wire time');
  // Frame bytes on the serial line: the head's input out (3,072 bytes) and the crossing tensor back,
  // each in a frame of its own with 24 bytes of header and CRC and COBS's 2 delimiters at least.
  const inputBytes = golden.inputs.reduce((n, b) => n + b.byteLength, 0);
  const crossingBytes = (await readPlan(planFile)).segments[0]!.outputs.reduce((n, o) => n + o.bytes, 0);
  t.ok(r.stages[0]!.bytesSent! > inputBytes + 26 && r.stages[0]!.bytesSent! < 2 * inputBytes, `the MCU stage sent ${r.stages[0]!.bytesSent} bytes for ${inputBytes} input bytes`);
  t.ok(r.stages[0]!.bytesReceived! > crossingBytes + 26 && r.stages[0]!.bytesReceived! < 2 * crossingBytes + 1024, `the MCU stage received ${r.stages[0]!.bytesReceived} bytes for ${crossingBytes} output bytes`);
  t.equal(r.bytesSent, r.stages[0]!.bytesSent, 'the result counts the MCU stage\'s bytes');
  t.equal(r.stages[1]!.where, 'local');
});

t.test('mlperf_tiny_kws: cleave run PLAN --remote 0=mcu:qemu:mps2-an385', async (t) => {
  if (!toolsPresent(t)) return;
  await firmware('mps2-an385');
  const golden = goldenCase('mlperf_tiny_kws');
  const plan = await splitInTwo('mlperf_tiny_kws');
  const out = path.join(tmp, 'kws-out.bin');
  const r = cleave(['run', plan, '--remote', '0=mcu:qemu:mps2-an385', '--input', golden.inputFiles[0]!, '--output', out, '--json'], { timeout: 8 * 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.same(fs.readFileSync(out), golden.outputs[0], 'the output is the golden one');
  const stages = JSON.parse(r.stdout).results[0].stages;
  t.match(stages, [{ segment: 0, where: /^mcu:\/dev\/pts\/\d+$/ }, { segment: 1, where: 'local' }], 'the stage timings name the board');
});
