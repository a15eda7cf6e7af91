// `cleave hil` against boards served on this host: the golden cases of person_detect through a plan
// whose tail runs in another process. A correct deployment passes and its TAP parses with tap's own
// parser; a board flashed with the wrong Program (int4 weights where int8 were planned) fails with
// the first differing tensor named, in TAP and JUnit; a board killed mid-run is reported as gone,
// not as a wrong output; spec errors name the field.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Parser } from 'tap-parser';
import { runHil } from '../../src/hil/harness';
import { toJUnit, toTap } from '../../src/hil/report';
import { readHilSpec } from '../../src/hil/spec';
import { readModelFile } from '../../src/model/reader';
import { writePlan } from '../../src/segments/plan';
import { cleave } from '../lib/cli';
import { MIDDLE_CUT, personDetectDir, serveChild } from '../lib/pipeline';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-hil-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const model = path.join(personDetectDir, 'model.tflite');
const CASES = 6;

async function plan(name: string, int4Segments: number[] = []): Promise<string> {
  await writePlan(readModelFile(model), [MIDDLE_CUT], path.join(tmp, name), { int4Segments: new Set(int4Segments) });
  return path.join(tmp, name, 'plan.json');
}

function writeSpec(name: string, body: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, body);
  return file;
}

const parseTap = (text: string) => new Promise<{ ok: boolean; count: number; pass: number; fail: number; skip: number }>((resolve) => {
  const p = new Parser((r) => resolve({ ok: r.ok, count: r.count, pass: r.pass, fail: r.fail, skip: r.skip }));
  p.end(text);
});

t.test('a correct deployment passes; TAP and JUnit say so', async (t) => {
  const planFile = await plan('good');
  const spec = writeSpec('good.yaml', `model: ${model}\nplan: ${planFile}\nboards:\n  - { name: tail, segment: 1, deploy: serve }\nbudgets:\n  latencyMs: { p50: 60000 }\nreports: { junit: good.xml }\n`);
  const r = cleave(['hil', spec]);
  t.equal(r.status, 0, r.stderr);
  const tap = await parseTap(r.stdout);
  t.same(tap, { ok: true, count: CASES + 1, pass: CASES + 1, fail: 0, skip: 0 }, 'tap reads every point as passing');
  t.match(r.stdout, /^# placement: segment 0 on host, segment 1 on tail$/m);
  t.match(r.stdout, /^ok 1 - case edge_all_127: 2 tensor\(s\) match the reference$/m);
  t.match(r.stderr, /cleave hil: passed: 6 case\(s\), 0 not passed/);
  const junit = fs.readFileSync(path.join(tmp, 'good.xml'), 'utf8');
  t.match(junit, /<testsuite name="cleave hil good" tests="7" failures="0" errors="0" skipped="0"/);
});

t.test('a board with the wrong Program fails at the first differing tensor', async (t) => {
  const planFile = await plan('wrong', [1]);
  const spec = writeSpec('wrong.json', JSON.stringify({ model, plan: planFile, boards: [{ name: 'tail', segment: 1, deploy: 'serve' }] }));
  const junitFile = path.join(tmp, 'wrong.xml');
  const r = cleave(['hil', spec, '--junit', junitFile]);
  t.equal(r.status, 1, 'exit 1 on a failed case');
  const tap = await parseTap(r.stdout);
  t.equal(tap.ok, false);
  t.ok(tap.fail >= 1, `${tap.fail} case(s) fail`);
  // The head (segment 0, int8 on the host) is right, so the first difference is the tail's output.
  t.match(r.stdout, /^not ok \d+ - case \w+: segment 1 on tail: tensor 87 "MobilenetV1\/Predictions\/Reshape_1" differs from the reference$/m);
  t.match(r.stdout, /^ {2}firstDifferingByte: \d+$/m);
  const junit = fs.readFileSync(junitFile, 'utf8');
  t.match(junit, new RegExp(`failures="${tap.fail}"`));
  t.match(junit, /<failure message="case \w+: segment 1 on tail: tensor 87 &quot;MobilenetV1\/Predictions\/Reshape_1&quot; differs from the reference" type="mismatch">/);
});

t.test('a board killed mid-run is gone, not wrong; later cases are not run', async (t) => {
  const planFile = await plan('gone');
  const server = await serveChild([planFile, '--segment', '1', '--threads', '1']);
  t.teardown(() => server.child.kill('SIGKILL'));
  const spec = readHilSpec(writeSpec('gone.yaml', `model: ${model}\nplan: ${planFile}\ntimeoutMs: 2000\nboards:\n  - { name: pi, segment: 1, address: "127.0.0.1:${server.port}" }\n`));
  let killed = false;
  const result = await runHil(spec, {
    onProgress: (line) => {
      if (!killed && /: pass$/.test(line)) {
        killed = true;
        server.child.kill('SIGKILL');
      }
    },
  });
  const kinds = result.cases.map((c) => c.outcome.kind);
  t.same(kinds, ['pass', 'gone', 'not-run', 'not-run', 'not-run', 'not-run'], 'one pass, then gone, then not run');
  t.notOk(result.passed);
  const gone = result.cases[1]!.outcome;
  t.equal(gone.kind === 'gone' && gone.board, 'pi', 'the board is named');
  const tap = await parseTap(toTap(result));
  t.same({ fail: tap.fail, skip: tap.skip }, { fail: 1, skip: 4 });
  t.match(toTap(result), /^not ok 2 - case \w+: board pi is gone$/m);
  t.match(toJUnit(result), /errors="1" skipped="4"/);
});

t.test('spec errors name the field, one line, exit 1', async (t) => {
  const planFile = await plan('spec');
  const cases: [string, string, RegExp][] = [
    ['unknown.yaml', `model: ${model}\nplan: ${planFile}\nboards: []\nbudget: {}\n`, /unknown\.yaml: \/budget: is not a known field$/],
    ['nosegment.yaml', `model: ${model}\nplan: ${planFile}\nboards:\n  - { name: x, address: "127.0.0.1:1" }\n`, /nosegment\.yaml: \/boards\/0\/segment: is required$/],
    ['range.yaml', `model: ${model}\nplan: ${planFile}\nboards:\n  - { name: x, segment: 5, address: "127.0.0.1:1" }\n`, /board "x" serves segment 5, but .* has segments 0\.\.1$/],
    ['twice.yaml', `model: ${model}\nplan: ${planFile}\nboards:\n  - { name: a, segment: 1, address: "127.0.0.1:1" }\n  - { name: b, segment: 1, address: "127.0.0.1:2" }\n`, /\/boards\/1\/segment: segment 1 is already served by board "a"$/],
    ['cases.yaml', `model: ${model}\nplan: ${planFile}\ncases: nowhere\nboards: []\n`, /\/cases: .*nowhere: no such directory$/],
    ['bad.json', '{"model": ', /bad\.json: not JSON/],
  ];
  for (const [name, body, message] of cases) {
    const r = cleave(['hil', writeSpec(name, body)]);
    t.equal(r.status, 1, `${name}: exit 1`);
    t.match(r.stderr.trim(), message, name);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line, no stack`);
  }
  const missing = cleave(['hil', path.join(tmp, 'absent.yaml')]);
  t.match(missing.stderr, /absent\.yaml: cannot read HIL spec: no such file/);
  t.equal(missing.status, 1);
});
