// `cleave run PLAN --remote … --inputs DIR --outputs DIR` as a user runs it: DIR's cases as the local
// run reads them (for a one-input plan, every file is one), each output under its case's name, byte-identical with the whole model's; no progress
// bar when stderr is not a terminal; clear usage errors. And `cleave serve --candidate` with
// `cleave run --replan --candidate`: the peer serves both cuts and the run names the cut of each result.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { personDetectCases, serveChild, splitPersonDetect } from '../lib/pipeline';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-inputs-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('--inputs DIR --outputs DIR over a remote tail, with a candidate cut served too', async (t) => {
  const plan = await splitPersonDetect(path.join(tmp, 'cut10'), 10);
  const candidate = await splitPersonDetect(path.join(tmp, 'cut28'), 28);
  const cases = await personDetectCases();
  const inputs = path.join(tmp, 'in');
  fs.mkdirSync(inputs);
  // Three files per case, named so that sorting interleaves them; a hidden file is not an input.
  const names: string[] = [];
  for (let k = 0; k < 3; k++) {
    for (const c of cases) {
      const name = `${k}-${c.name}.bin`;
      fs.writeFileSync(path.join(inputs, name), c.input);
      names.push(name);
    }
  }
  fs.writeFileSync(path.join(inputs, '.hidden'), 'x');
  names.sort();
  const expected = (name: string) => cases.find((c) => name.endsWith(`-${c.name}.bin`))!.expected;

  const server = await serveChild([plan, '--segment', '1', '--candidate', candidate, '--threads', '1']);
  t.teardown(() => server.child.kill('SIGKILL'));
  t.match(server.status, /; candidate .*cut28\/plan\.json ops 28\.\.30 sha256 [0-9a-f]{64}$/);
  const remote = `1=127.0.0.1:${server.port}`;

  const out = path.join(tmp, 'out');
  const r = cleave(['run', plan, '--remote', remote, '--inputs', inputs, '--outputs', out, '--threads', '1']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');
  t.same(fs.readdirSync(out).sort(), names, 'one output file per input, under its name');
  for (const name of names) t.same(fs.readFileSync(path.join(out, name)), expected(name), `${name}: byte-identical with the whole model`);
  t.match(r.stdout, new RegExp(`wrote the outputs of ${names.length} input\\(s\\) to ${out}`));

  // Cases as subdirectories, as the local run reads them: t<index>.<ext> per input of the plan.
  const caseDir = path.join(tmp, 'cases');
  const [index] = JSON.parse(fs.readFileSync(plan, 'utf8')).inputs as number[];
  for (const c of cases) {
    fs.mkdirSync(path.join(caseDir, c.name), { recursive: true });
    fs.writeFileSync(path.join(caseDir, c.name, `t${index}.bin`), c.input);
  }
  const byCase = path.join(tmp, 'out-cases');
  const rc = cleave(['run', plan, '--remote', remote, '--inputs', caseDir, '--outputs', byCase, '--threads', '1']);
  t.equal(rc.status, 0, rc.stderr);
  for (const c of cases) t.same(fs.readFileSync(path.join(byCase, c.name)), c.expected, `case ${c.name}: its output under the case's name`);

  const j = cleave(['run', plan, '--remote', remote, '--inputs', inputs, '--json', '--replan', '--candidate', candidate, '--threads', '1']);
  t.equal(j.status, 0, j.stderr);
  const json = JSON.parse(j.stdout);
  t.same(json.results.map((x: { input: string }) => path.basename(x.input)), names, 'results in input order, naming their input');
  t.ok(json.results.every((x: { cuts: number[] }) => x.cuts.length === 1 && (x.cuts[0] === 10 || x.cuts[0] === 28)), 'each result names its cut');
  t.same(json.replans, json.replans.filter((e: { fromCut: number }) => e.fromCut === 10 || e.fromCut === 28), 're-planning events, if any, name the cuts');
});

t.test('usage errors name what is wrong', async (t) => {
  const plan = path.join(tmp, 'cut10', 'plan.json');
  const inputs = path.join(tmp, 'in');
  const cases: [string[], number, RegExp][] = [
    [['--inputs', path.join(tmp, 'nowhere')], 1, /nowhere: cannot read --inputs directory: no such file or directory/],
    [['--inputs', inputs, '-i', path.join(inputs, '0-no_person.bin')], 2, /give --input or --inputs, not both/],
    [['-i', path.join(inputs, '0-no_person.bin'), '--outputs', tmp], 2, /--outputs DIR goes with --inputs DIR/],
    [['--inputs', inputs, '--replan'], 2, /--replan needs at least one --candidate PLAN/],
  ];
  for (const [args, status, message] of cases) {
    const r = cleave(['run', plan, '--remote', '1=127.0.0.1:1', ...args]);
    t.equal(r.status, status, args.join(' '));
    t.match(r.stderr, message);
  }
});
