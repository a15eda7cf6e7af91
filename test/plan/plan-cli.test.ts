// `cleave plan` end to end: the front as a table with the chosen plan marked, an SVG chart that is
// well-formed XML with labelled axes and the chosen point highlighted, and a written plan that
// `cleave run` runs with the same output bytes as the whole model (lossless codecs only).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { shippedModels } from '../lib/models';

const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-plan-cli-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Tags open and close in order (no XML parser among the dependencies; this is the part that breaks). */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else if (!m[3]) stack.push(m[2]!);
  }
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;|#)/.test(xml);
}

t.test('plans kws over two memory-limited boards, charts the front and writes a plan that runs byte-exact', async (t) => {
  const profile = path.join(dir, 'profile.json');
  const p = cleave(['profile', kws.file, '--repeat', '2', '-o', profile]);
  t.equal(p.status, 0, p.stderr);
  const svg = path.join(dir, 'front.svg');
  const out = path.join(dir, 'plan');
  // 30 KiB each: neither board holds the whole model, so the plan must cut it.
  const r = cleave(['plan', kws.file, '--device', 'a=rpi4:mem=30k', '--device', 'b=rpi5:mem=30k', '--link', 'a-b=tcp:20mbit:1ms',
    '--codecs', 'raw,lossless', '--precisions', 'int8', '--profile', profile, '--svg', svg, '-o', out]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^\*\s+0\s+0\.\.\d+@a →(raw|lossless)→ \d+\.\.12@b/m, 'the chosen plan is marked and cuts the model');
  t.match(r.stdout, /a \(rpi4\): latency predicted, energy estimated/);
  t.match(r.stdout, /^chosen: [\d.]+ ms, a [\d.]+ mJ b [\d.]+ mJ$/m);
  t.match(r.stdout, /^vs best single device: no device holds the whole model$/m, 'neither board holds kws alone');
  t.match(r.stdout, /^vs full offload to b: it cannot hold the whole model$/m);
  t.match(r.stdout, /cost model fitted on host-x86_64: on held-back ops, median error [\d.]+%/);

  const chart = fs.readFileSync(svg, 'utf8');
  t.ok(wellFormed(chart), 'the SVG is well-formed');
  t.match(chart, /end-to-end latency \(ms\)/);
  t.match(chart, /energy per inference, all devices \(mJ\)/);
  t.match(chart, /fill="#d62728"[^>]*><title>plan 0 \(chosen\)/);

  const placement = JSON.parse(fs.readFileSync(path.join(out, 'placement.json'), 'utf8'));
  t.equal(placement.segments.length, 2);
  t.ok(placement.transfers.every((x: { lossless: boolean }) => x.lossless));
  const input = path.join(kws.dir, 'real_kws_input0', 't0.bin');
  const whole = cleave(['run', kws.file, '-i', input, '-o', path.join(dir, 'whole.bin')]);
  const split = cleave(['run', path.join(out, 'plan.json'), '-i', input, '-o', path.join(dir, 'split.bin')]);
  t.equal(whole.status, 0, whole.stderr);
  t.equal(split.status, 0, split.stderr);
  t.same(fs.readFileSync(path.join(dir, 'split.bin')), fs.readFileSync(path.join(dir, 'whole.bin')), 'byte-exact output');
});

t.test('beside the chosen plan: the best single device and full offloading, in the table and in --json', async (t) => {
  const args = ['plan', kws.file, '--device', 'a=rpi4', '--device', 'b=host-x86_64', '--link', 'a-b=tcp:20mbit:5ms', '--codecs', 'raw,lossless', '--precisions', 'int8', '--profile', path.join(dir, 'profile.json')];
  const r = cleave(args);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^vs best single device: (a|b) [\d.]+ ms, a [\d.]+ mJ b [\d.]+ mJ$/m);
  t.match(r.stdout, /^vs full offload to b: [\d.]+ ms, a [\d.]+ mJ b [\d.]+ mJ$/m);
  const j = cleave([...args, '--json']);
  t.equal(j.status, 0, j.stderr);
  const out = JSON.parse(j.stdout);
  t.equal(out.compared.fullOffload.device, 'b');
  t.ok(out.compared.fullOffload.latencyMs > 5, 'full offload pays the link: its 5 ms delay at least');
  t.ok(out.compared.chosen.latencyMs <= out.compared.bestSingleDevice.latencyMs, 'the chosen plan is no slower than any single device');
});

t.test('a bad --device is a usage error naming the flag and the reason', async (t) => {
  const r = cleave(['plan', kws.file, '--device', 'a=nosuchboard']);
  t.equal(r.status, 2, r.stderr);
  t.match(r.stderr, /--device "a=nosuchboard": no board "nosuchboard"/);
});

t.test('constraints nothing meets are a usage error naming each device\'s memory and the limit', async (t) => {
  const r = cleave(['plan', kws.file, '--device', 'a=rpi4:mem=1k', '--device', 'b=rpi5:mem=2k', '--link', 'a-b=tcp:1mbit:1ms', '--max-latency', '5']);
  t.equal(r.status, 2, r.stderr);
  t.match(r.stderr, /no plan fits the devices' memory \(a 1024 B RAM; b 2048 B RAM\) within --max-latency 5 ms/);
});
