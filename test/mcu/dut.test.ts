// The MLPerf Tiny / EEMBC runner's DUT dialect on the same UART as the MCU protocol: a Program
// loaded over binary frames, then driven with text commands as the runner sends them (`name%`,
// `profile%`, `db load N%`, `db HEX%`, `infer N W%`, `results%`), answered with `m-` lines,
// `m-lap-us-` timestamps and `e-[...]` errors; binary frames still work afterwards.
import t from 'tap';
import type { SerialLink } from '../../hal/serial';
import { bootRawBoard, goldenCase, toolsPresent } from './emulated';

t.setTimeout(5 * 60_000);

/** Sends one command and returns the lines up to its `m-ready`. */
async function command(link: SerialLink, text: string): Promise<string[]> {
  // Waiting for the first line before writing: the line reader starts with the first wait, and the
  // answer's first bytes must not come before it.
  const first = link.nextLine(60_000);
  await link.write(text);
  const lines: string[] = [];
  for (let next = first; ; next = link.nextLine(60_000)) {
    const line = (await next).trim();
    if (line === 'm-ready') return lines;
    if (line) lines.push(line);
  }
}

/** The firmware's rendering of an int8 value: (q - zero point) * scale in float32, three decimals. */
function dequantized(q: number, scale: number, zeroPoint: number): string {
  const v = Math.fround(Math.fround(q - zeroPoint) * Math.fround(scale));
  const milli = Math.trunc(Math.fround(Math.fround(v * 1000) + (v < 0 ? -0.5 : 0.5)));
  const sign = milli < 0 ? '-' : '';
  const m = Math.abs(milli);
  return `${sign}${Math.trunc(m / 1000)}.${String(m % 1000).padStart(3, '0')}`;
}

t.test('the EEMBC runner dialect drives the Program loaded over the MCU protocol', async (t) => {
  if (!toolsPresent(t)) return;
  const golden = goldenCase('mlperf_tiny_kws');
  const { device, link } = await bootRawBoard(t);
  await device.load(golden.program, 'kws');
  // Start reading lines only now: the boot banner (m-init-done, m-ready) came before.
  t.same(await command(link, 'name%'), ['m-name-dut-[cleave]']);
  t.same(await command(link, 'profile%'), ['m-profile-[cleave MLPerf Tiny DUT v1]', 'm-model-[cleave-program]']);
  t.same(await command(link, 'bogus 1%'), ['e-[Unknown command: bogus 1]']);
  t.same(await command(link, 'db load 9999%'), ['e-[db load 9999 bytes: the Program\'s input 0 holds 490]']);

  const input = golden.inputs[0]!;
  t.same(await command(link, `db load ${input.byteLength}%`), [`m-[Expecting ${input.byteLength} bytes]`]);
  const replies: string[] = [];
  for (let at = 0; at < input.byteLength; at += 64) replies.push(...(await command(link, `db ${input.subarray(at, at + 64).toString('hex')}%`)));
  t.same(replies, ['m-load-done'], 'the last db line completes the load');

  const infer = await command(link, 'infer 2 1%');
  t.same(infer.slice(0, 3), ['m-warmup-start-1', 'm-warmup-done', 'm-infer-start-2']);
  t.match(infer[3], /^m-lap-us-\d+$/);
  t.match(infer[4], /^m-lap-us-\d+$/);
  const lap = Number(infer[4]!.slice(9)) - Number(infer[3]!.slice(9));
  t.ok(lap > 0, `two inferences took ${lap} µs of SysTick time`);
  t.equal(infer[5], 'm-infer-done');
  // kws's output: int8 softmax, scale 1/256, zero point -128.
  const expected = `m-results-[${Array.from(new Int8Array(golden.outputs[0]!)).map((q) => dequantized(q, 1 / 256, -128)).join(',')}]`;
  t.equal(infer[6], expected, 'the results are the golden output, dequantized');
  t.same(await command(link, 'results%'), [expected]);

  // Binary frames after text: the output the DUT computed, byte for byte.
  t.same(await device.readOutput(0, golden.outputs[0]!.byteLength), golden.outputs[0], 'read over the MCU protocol afterwards');
});
